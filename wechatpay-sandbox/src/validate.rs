//! Reading a JSON request body the way WeChat Pay validates it: the [`Obj`]
//! reader (lengths, types, `null` as absent), and the `PARAM_ERROR` replies
//! that name the field. Shared by Pay-Score and payments.

use serde_json::{Map, Value};

use crate::reply::Reply;

/// A merchant's order number (`out_order_no`, `out_trade_no`): 6 to 32 of
/// `0-9 A-Z a-z _ - | *`, as both the Pay-Score and the payment pages say.
pub(crate) fn check_order_no(field: &str, s: &str) -> Result<(), Reply> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '|' | '*');
    if (6..=32).contains(&s.len()) && s.chars().all(ok_char) {
        Ok(())
    } else {
        Err(param_error(format!(
            "{field} must be 6 to 32 characters of 0-9, A-Z, a-z, _, -, |, *"
        )))
    }
}

pub(crate) fn check_len(path: &str, s: &str, min: usize, max: usize) -> Result<(), Reply> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(param_error(format!(
            "{path} must be {min} to {max} characters long, got {n}"
        )));
    }
    Ok(())
}

pub(crate) fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(param_error(
            "the request body is empty; a JSON object is required",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(param_error("the request body must be a JSON object")),
        Err(e) => Err(param_error(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// A JSON object being validated; `prefix` names it in error messages (`time_range`,
/// `post_payments[0]`).
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Obj<'a> {
    pub(crate) fn root(map: &'a Map<String, Value>) -> Self {
        Obj {
            map,
            prefix: String::new(),
        }
    }

    fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// `null` counts as absent, as WeChat treats it.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn opt_str(
        &self,
        key: &str,
        min: usize,
        max: usize,
    ) -> Result<Option<String>, Reply> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => {
                check_len(&self.path(key), s, min, max)?;
                Ok(Some(s.clone()))
            }
            Some(_) => Err(param_error(format!("{} must be a string", self.path(key)))),
        }
    }

    pub(crate) fn req_str(&self, key: &str, min: usize, max: usize) -> Result<String, Reply> {
        self.opt_str(key, min, max)?
            .ok_or_else(|| missing(&self.path(key)))
    }

    pub(crate) fn opt_int(&self, key: &str, min: i64) -> Result<Option<i64>, Reply> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if n >= min => Ok(Some(n)),
                Some(_) => Err(param_error(format!(
                    "{} must be {}",
                    self.path(key),
                    if min > 0 {
                        "a positive integer"
                    } else {
                        "a non-negative integer"
                    }
                ))),
                None => Err(param_error(format!(
                    "{} must be an integer",
                    self.path(key)
                ))),
            },
        }
    }

    pub(crate) fn req_int(&self, key: &str, min: i64) -> Result<i64, Reply> {
        self.opt_int(key, min)?
            .ok_or_else(|| missing(&self.path(key)))
    }

    pub(crate) fn opt_count(&self, key: &str) -> Result<Option<u32>, Reply> {
        self.opt_int(key, 1)?
            .map(|n| {
                u32::try_from(n)
                    .map_err(|_| param_error(format!("{} is too large", self.path(key))))
            })
            .transpose()
    }

    pub(crate) fn opt_bool(&self, key: &str) -> Result<Option<bool>, Reply> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(param_error(format!("{} must be a boolean", self.path(key)))),
        }
    }

    pub(crate) fn opt_obj(&self, key: &str) -> Result<Option<Obj<'a>>, Reply> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Obj {
                map: m,
                prefix: self.path(key),
            })),
            Some(_) => Err(param_error(format!("{} must be an object", self.path(key)))),
        }
    }

    pub(crate) fn req_obj(&self, key: &str) -> Result<Obj<'a>, Reply> {
        self.opt_obj(key)?.ok_or_else(|| missing(&self.path(key)))
    }

    pub(crate) fn opt_array(&self, key: &str, max: usize) -> Result<Option<Vec<Obj<'a>>>, Reply> {
        let path = self.path(key);
        let items = match self.get(key) {
            None => return Ok(None),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(param_error(format!("{path} must be an array"))),
        };
        if items.len() > max {
            return Err(param_error(format!("{path} holds at most {max} items")));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(m) => Ok(Obj {
                    map: m,
                    prefix: format!("{path}[{i}]"),
                }),
                _ => Err(param_error(format!("{path}[{i}] must be an object"))),
            })
            .collect::<Result<Vec<_>, Reply>>()
            .map(Some)
    }
}

pub(crate) fn param_error(message: impl Into<String>) -> Reply {
    Reply::error(400, "PARAM_ERROR", message)
}

pub(crate) fn missing(path: &str) -> Reply {
    param_error(format!("{path} is required"))
}
