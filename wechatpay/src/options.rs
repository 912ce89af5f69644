//! The per-call options map, with PHP's keys and PHP's meaning.
//!
//! | key        | meaning |
//! |------------|---------|
//! | `json`     | any JSON value, sent as UTF-8 JSON (`Content-Type: application/json`) |
//! | `query`    | a map, encoded like PHP's `http_build_query(…, PHP_QUERY_RFC3986)`, or a ready string |
//! | `body`     | a raw string body, sent as is |
//! | `headers`  | a map of header names to values, merged over the defaults |
//! | `base_uri` | another host for this one call, e.g. `https://apihk.mch.weixin.qq.com/` |
//! | `timeout`  | seconds for this call, answer included |
//! | `connect_timeout` | seconds to connect, for this call |
//! | `debug`    | `true`: the signed request and the answer, to stderr, secrets redacted |
//! | `xml`      | APIv2 payload (a map) |
//! | `nonceless`| APIv2: do not add `nonce_str` |
//! | `security` | APIv2: present the merchant's client certificate |
//!
//! Every other top-level key must be a variable of the template: a key that
//! is neither is an error naming it, so a typo or an option this crate does
//! not take is never silently ignored. Guzzle's own options that PHP code
//! passes (`verify`, `proxy`, `allow_redirects`, …) are refused with the
//! Rust way to get the same ([`GUZZLE_OPTIONS`]).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    Error,
    encoding::{encode_literal, number_to_string, rawurlencode},
};

/// Keys with a meaning of their own; every other key is a template variable.
///
/// ```
/// assert!(wechatpay::options::RESERVED_KEYS.contains(&"json"));
/// assert!(!wechatpay::options::RESERVED_KEYS.contains(&"out_order_no"));
/// ```
pub const RESERVED_KEYS: &[&str] = &[
    "json",
    "query",
    "body",
    "headers",
    "base_uri",
    "timeout",
    "connect_timeout",
    "debug",
    "xml",
    "nonceless",
    "security",
];

/// Guzzle request options PHP code passes, each refused with what does the
/// same here.
///
/// ```
/// let (_, instead) = wechatpay::options::GUZZLE_OPTIONS.iter().find(|(k, _)| *k == "verify").unwrap();
/// assert!(instead.contains("root_certificate"));
/// ```
pub const GUZZLE_OPTIONS: &[(&str, &str)] = &[
    (
        "allow_redirects",
        "redirects are never followed: a redirect would carry the Authorization elsewhere",
    ),
    (
        "verify",
        "TLS is always verified; trust another CA with Builder::root_certificate",
    ),
    ("proxy", "use Builder::proxy (or HTTPS_PROXY)"),
    (
        "http_errors",
        "an answer other than 2xx/3xx is always an error; Error::response() holds it",
    ),
    (
        "decode_content",
        "answers are returned as sent; bills::download gunzips bills",
    ),
    (
        "cert",
        "use Builder::client_cert and the option `security: true`",
    ),
    (
        "ssl_key",
        "use Builder::client_cert and the option `security: true`",
    ),
    (
        "read_timeout",
        "use the option `timeout` (the whole call) or Builder::timeout",
    ),
    ("sink", "use bills::download to stream a bill to a file"),
    (
        "stream",
        "answers are read whole; bills::download streams bills",
    ),
    (
        "form_params",
        "APIv2 payloads go in `xml`; APIv3 bodies in `json`",
    ),
    (
        "multipart",
        "use util::media::MediaUtil::options() for uploads",
    ),
    (
        "auth",
        "requests are signed by the client; there is no other authentication",
    ),
    ("cookies", "WeChat Pay uses no cookies"),
    ("expect", "requests are sent whole"),
    ("version", "calls use HTTP/1.1"),
    ("force_ip_resolve", "not supported"),
    ("idn_conversion", "host names are converted as URLs require"),
    (
        "on_headers",
        "use a layer (Builder::middleware) to see answers",
    ),
    (
        "on_stats",
        "use a layer (Builder::middleware), or the tracing feature",
    ),
    (
        "progress",
        "not supported: answers are small; bills::download streams bills",
    ),
    ("delay", "use Builder::retries for pauses between attempts"),
    (
        "synchronous",
        "choose the verb: `get` blocks, `get_async` does not",
    ),
];

/// The options of one call: a JSON object, as PHP's options array.
///
/// ```
/// use serde_json::json;
/// use wechatpay::Options;
///
/// let from_json: Options = json!({"out_order_no": "A1", "json": {"type": "Order_Paid"}}).into();
/// let built = Options::new().var("out_order_no", "A1").json(&json!({"type": "Order_Paid"}));
/// assert_eq!(from_json.as_map(), built.as_map());
/// ```
#[derive(Clone, Default)]
pub struct Options {
    map: Map<String, Value>,
    /// A binary body that JSON cannot carry (a media upload).
    upload: Option<Upload>,
    /// Why the value given could not be options; reported at call time,
    /// because `From` cannot fail.
    invalid: Option<String>,
}

/// Keys only: values can be plaintext sensitive fields before encryption,
/// bodies and headers, none of which belong in a log.
impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Options");
        for key in self.map.keys() {
            d.field(key, &format_args!("<redacted>"));
        }
        if let Some(u) = &self.upload {
            d.field("upload", &format_args!("<{} bytes>", u.body.len()));
        }
        d.finish()
    }
}

/// A binary body and what its signature covers instead of the bytes.
#[derive(Clone)]
pub(crate) struct Upload {
    pub(crate) body: bytes::Bytes,
    pub(crate) content_type: String,
    pub(crate) signed: String,
}

impl From<Value> for Options {
    fn from(value: Value) -> Self {
        match value {
            Value::Object(map) => Self {
                map,
                ..Self::default()
            },
            Value::Null => Self::default(),
            other => Self {
                map: Map::new(),
                upload: None,
                invalid: Some(format!(
                    "options must be a JSON object, got {}",
                    kind_of(&other)
                )),
            },
        }
    }
}

impl From<Map<String, Value>> for Options {
    fn from(map: Map<String, Value>) -> Self {
        Self {
            map,
            ..Self::default()
        }
    }
}

impl From<()> for Options {
    fn from(_: ()) -> Self {
        Self::default()
    }
}

impl Options {
    /// Empty options.
    ///
    /// ```
    /// assert!(wechatpay::Options::new().as_map().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets any key.
    ///
    /// ```
    /// let o = wechatpay::Options::new().set("timeout", 5);
    /// assert_eq!(o.as_map()["timeout"], 5);
    /// ```
    pub fn set(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.map.insert(key.into(), value.into());
        self
    }

    /// Sets a path variable.
    ///
    /// ```
    /// let o = wechatpay::Options::new().var("out_order_no", "A1");
    /// assert_eq!(o.as_map()["out_order_no"], "A1");
    /// ```
    pub fn var(self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set(name, value)
    }

    /// Sets the JSON body from any `Serialize` value, such as the typed models.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Body { out_order_no: &'static str }
    /// let o = wechatpay::Options::new().json(&Body { out_order_no: "A1" });
    /// assert_eq!(o.as_map()["json"]["out_order_no"], "A1");
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_value(body) {
            Ok(v) => {
                self.map.insert("json".into(), v);
            }
            Err(e) => self.invalid = Some(format!("the `json` body did not serialize: {e}")),
        }
        self
    }

    /// Sets the query from any `Serialize` map-like value.
    ///
    /// ```
    /// let o = wechatpay::Options::new().query(&[("out_order_no", "A1")].into_iter().collect::<std::collections::BTreeMap<_, _>>());
    /// assert_eq!(o.as_map()["query"]["out_order_no"], "A1");
    /// ```
    pub fn query<T: Serialize + ?Sized>(mut self, query: &T) -> Self {
        match serde_json::to_value(query) {
            Ok(v) => {
                self.map.insert("query".into(), v);
            }
            Err(e) => self.invalid = Some(format!("the `query` did not serialize: {e}")),
        }
        self
    }

    /// Adds one request header, e.g. `Wechatpay-Serial`.
    ///
    /// ```
    /// let o = wechatpay::Options::new().header("Wechatpay-Serial", "PUB_KEY_ID_01");
    /// assert_eq!(o.as_map()["headers"]["Wechatpay-Serial"], "PUB_KEY_ID_01");
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let headers = self
            .map
            .entry("headers")
            .or_insert_with(|| Value::Object(Map::new()));
        match headers {
            Value::Object(h) => {
                h.insert(name.into(), Value::String(value.into()));
            }
            _ => self.invalid = Some("`headers` must be a map".into()),
        }
        self
    }

    /// The options as a JSON map.
    ///
    /// ```
    /// let o: wechatpay::Options = serde_json::json!({"a": 1}).into();
    /// assert_eq!(o.as_map().len(), 1);
    /// ```
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// A mutable view, for middleware and helpers that add fields.
    ///
    /// ```
    /// let mut o = wechatpay::Options::new();
    /// o.as_map_mut().insert("timeout".into(), 3.into());
    /// ```
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.map
    }

    /// Sends `body` (e.g. multipart) with `content_type`, signing `signed`
    /// in its place, as WeChat Pay's media uploads require; see
    /// [`MediaUtil`](crate::util::media::MediaUtil), which fills this in.
    ///
    /// ```
    /// let o = wechatpay::Options::new().upload(bytes::Bytes::from_static(b"--b\r\n"), "multipart/form-data; boundary=b", r#"{"filename":"a.png","sha256":"00"}"#);
    /// ```
    pub fn upload(mut self, body: bytes::Bytes, content_type: &str, signed: &str) -> Self {
        self.upload = Some(Upload {
            body,
            content_type: content_type.to_string(),
            signed: signed.to_string(),
        });
        self
    }

    pub(crate) fn upload_part(&self) -> Option<&Upload> {
        self.upload.as_ref()
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        match &self.invalid {
            Some(why) => Err(Error::options(why.clone())),
            None => Ok(()),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Encodes the `query` option as PHP's `http_build_query(…, PHP_QUERY_RFC3986)`:
/// key order kept, null dropped, booleans as `1`/`0`, lists as `k[0]=`, maps as
/// `k[x]=`. A string is taken as a ready query and only normalised.
///
/// ```
/// use serde_json::json;
/// let q = wechatpay::options::build_query(&json!({"a": "x y", "n": null, "t": true, "l": ["p"]})).unwrap();
/// assert_eq!(q, "a=x%20y&t=1&l%5B0%5D=p");
/// ```
pub fn build_query(query: &Value) -> Result<String, Error> {
    let mut out = String::new();
    match query {
        Value::Null => {}
        Value::String(s) => out = encode_literal(s.trim_start_matches('?')),
        Value::Object(map) => {
            for (k, v) in map {
                append_pair(&mut out, k, v);
            }
        }
        Value::Array(list) => {
            for (i, v) in list.iter().enumerate() {
                append_pair(&mut out, &i.to_string(), v);
            }
        }
        other => {
            return Err(Error::options(format!(
                "`query` must be a map or a string, got {}",
                kind_of(other)
            )));
        }
    }
    Ok(out)
}

fn append_pair(out: &mut String, key: &str, value: &Value) {
    let scalar = match value {
        Value::Null => return,
        Value::Bool(b) => (if *b { "1" } else { "0" }).to_string(),
        Value::Number(n) => number_to_string(n),
        Value::String(s) => s.clone(),
        Value::Array(list) => {
            for (i, v) in list.iter().enumerate() {
                append_pair(out, &format!("{key}[{i}]"), v);
            }
            return;
        }
        Value::Object(map) => {
            for (k, v) in map {
                append_pair(out, &format!("{key}[{k}]"), v);
            }
            return;
        }
    };
    if !out.is_empty() {
        out.push('&');
    }
    out.push_str(&rawurlencode(key));
    out.push('=');
    out.push_str(&rawurlencode(&scalar));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_matches_php_http_build_query() {
        let q = json!({"out_order_no": "a b&c=d/e?f#g", "query_id": "", "service_id": "中文",
            "appid": "~!*'()+,;:@$", "percent": "100%", "null_value": null, "true_value": true,
            "false_value": false, "zero": 0, "float": 1.5, "list": ["x", "y"], "map": {"k": "v"}});
        assert_eq!(
            build_query(&q).unwrap(),
            "out_order_no=a%20b%26c%3Dd%2Fe%3Ff%23g&query_id=&service_id=%E4%B8%AD%E6%96%87&appid=~%21%2A%27%28%29%2B%2C%3B%3A%40%24&percent=100%25&true_value=1&false_value=0&zero=0&float=1.5&list%5B0%5D=x&list%5B1%5D=y&map%5Bk%5D=v"
        );
    }

    #[test]
    fn string_query_is_normalised() {
        assert_eq!(
            build_query(&json!("out_order_no=a b&x=中&y=%41")).unwrap(),
            "out_order_no=a%20b&x=%E4%B8%AD&y=%41"
        );
    }

    #[test]
    fn key_order_is_kept_and_empty_is_empty() {
        assert_eq!(
            build_query(&json!({"z": "1", "a": "2", "m": "3"})).unwrap(),
            "z=1&a=2&m=3"
        );
        assert_eq!(build_query(&json!([])).unwrap(), "");
        assert!(build_query(&json!(5)).is_err());
    }

    #[test]
    fn non_object_options_are_reported() {
        let o: Options = json!([1]).into();
        assert!(o.check().unwrap_err().is_options());
        let o: Options = Value::Null.into();
        assert!(o.check().is_ok());
    }
}
