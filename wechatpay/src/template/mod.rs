//! RFC 6570 URI templates: parsed once (see [`cache`]), expanded per call.
//!
//! Expansion of each `{…}` expression is delegated to `uritemplate-next`,
//! but only after this module has done what that crate does not: it checks
//! required variables, applies `:N` prefixes by character (the crate slices
//! bytes and panics inside a multi-byte character), encodes literals once at
//! parse time (the crate recompiles a regex for every literal on every
//! expansion), and refuses dot segments that would let a value climb the path.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::{Map, Value};
use uritemplate::{TemplateVar, UriTemplate};

use crate::{
    Error,
    encoding::{encode_literal, number_to_string},
};

pub(crate) mod cache;

/// A template such as `v3/payscore/serviceorder/{out_order_no}/sync`, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    /// Literal text, already percent-encoded as it goes on the wire.
    Literal(String),
    Expression(Expression),
}

#[derive(Debug, Clone)]
struct Expression {
    operator: Option<char>,
    vars: Vec<VarSpec>,
}

#[derive(Debug, Clone)]
struct VarSpec {
    name: String,
    prefix: Option<usize>,
    explode: bool,
}

impl Expression {
    /// `{?x}` and `{&x}` build a query, whose variables the RFC lets be absent;
    /// every other expression is part of the path and must be filled.
    fn is_required(&self) -> bool {
        !matches!(self.operator, Some('?') | Some('&'))
    }

    /// The expression without prefixes, for `uritemplate-next`.
    fn stripped(&self) -> String {
        let mut s = String::from("{");
        if let Some(op) = self.operator {
            s.push(op);
        }
        for (i, v) in self.vars.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&v.name);
            if v.explode {
                s.push('*');
            }
        }
        s.push('}');
        s
    }
}

impl Template {
    /// Parses `source`; unbalanced braces and empty expressions are errors.
    pub(crate) fn parse(source: &str) -> Result<Self, Error> {
        let mut parts = Vec::new();
        let mut rest = source;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                None => {
                    parts.push(Part::Literal(encode_literal(rest)));
                    break;
                }
                Some(i) if rest.as_bytes()[i] == b'}' => {
                    return Err(Error::template(format!(
                        "unbalanced `}}` at byte {} of `{source}`",
                        source.len() - rest.len() + i
                    )));
                }
                Some(i) => {
                    if i > 0 {
                        parts.push(Part::Literal(encode_literal(&rest[..i])));
                    }
                    let after = &rest[i + 1..];
                    let end = after
                        .find(['}', '{'])
                        .filter(|&j| after.as_bytes()[j] == b'}');
                    let Some(end) = end else {
                        return Err(Error::template(format!("unclosed `{{` in `{source}`")));
                    };
                    parts.push(Part::Expression(parse_expression(&after[..end], source)?));
                    rest = &after[end + 1..];
                }
            }
        }
        Ok(Self {
            source: source.to_string(),
            parts,
        })
    }

    /// The names of the variables the template expands.
    pub(crate) fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts
            .iter()
            .flat_map(|p| match p {
                Part::Literal(_) => [].iter(),
                Part::Expression(e) => e.vars.iter(),
            })
            .map(|v| v.name.as_str())
    }

    /// The template as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Expands with the top-level keys of `vars`.
    pub(crate) fn expand(&self, vars: &Map<String, Value>) -> Result<String, Error> {
        let mut out = String::with_capacity(self.source.len() + 32);
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Expression(e) => out.push_str(&self.expand_expression(e, vars)?),
            }
        }
        reject_dot_segments(&out)?;
        Ok(out)
    }

    fn expand_expression(
        &self,
        e: &Expression,
        vars: &Map<String, Value>,
    ) -> Result<String, Error> {
        let mut t = UriTemplate::new(&e.stripped());
        for spec in &e.vars {
            let value = vars.get(&spec.name);
            match value
                .map(|v| to_template_var(&spec.name, v, spec.prefix))
                .transpose()?
            {
                Some(var) if !is_empty(&var) => {
                    t.set(&spec.name, var);
                }
                _ if e.is_required() => {
                    return Err(Error::variable_missing(&spec.name, &self.source));
                }
                _ => {}
            }
        }
        // The crate has panicked on inputs before; a panic here must become
        // an error, never unwind into the caller's request.
        catch_unwind(AssertUnwindSafe(|| t.build()))
            .map_err(|_| Error::template(format!("could not expand `{}`", self.source)))
    }
}

fn parse_expression(body: &str, source: &str) -> Result<Expression, Error> {
    let (operator, list) = match body.chars().next() {
        Some(c @ ('+' | '#' | '.' | '/' | ';' | '?' | '&')) => (Some(c), &body[1..]),
        Some(c @ ('=' | ',' | '!' | '@' | '|')) => {
            return Err(Error::template(format!(
                "operator `{c}` is reserved by RFC 6570 (in `{source}`)"
            )));
        }
        _ => (None, body),
    };
    let mut vars = Vec::new();
    for raw in list.split(',') {
        let (raw, explode) = match raw.strip_suffix('*') {
            Some(r) => (r, true),
            None => (raw, false),
        };
        let (name, prefix) = match raw.split_once(':') {
            Some((n, p)) => {
                let len = p
                    .parse::<usize>()
                    .ok()
                    .filter(|&l| (1..10_000).contains(&l))
                    .ok_or_else(|| Error::template(format!("bad prefix `:{p}` in `{source}`")))?;
                (n, Some(len))
            }
            None => (raw, None),
        };
        // RFC 6570 names have no `-`, but PHP's `_outOrderNo_` gives
        // `{out-order-no}`, so `-` is accepted as PHP accepts it.
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'%'));
        if !valid {
            return Err(Error::template(format!(
                "bad variable name `{name}` in `{source}`"
            )));
        }
        vars.push(VarSpec {
            name: name.to_string(),
            prefix,
            explode,
        });
    }
    Ok(Expression { operator, vars })
}

fn to_template_var(name: &str, value: &Value, prefix: Option<usize>) -> Result<TemplateVar, Error> {
    let scalar = |v: &Value| -> Result<Option<String>, Error> {
        Ok(match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
            Value::Number(n) => Some(number_to_string(n)),
            _ => {
                return Err(Error::options(format!(
                    "the template variable `{name}` nests a list or map, which a URI cannot carry"
                )));
            }
        })
    };
    Ok(match value {
        Value::Array(items) => {
            let mut list = Vec::with_capacity(items.len());
            for item in items {
                list.extend(scalar(item)?);
            }
            TemplateVar::List(list)
        }
        Value::Object(map) => {
            let mut pairs = Vec::with_capacity(map.len());
            for (k, v) in map {
                if let Some(v) = scalar(v)? {
                    pairs.push((k.clone(), v));
                }
            }
            TemplateVar::AssociativeArray(pairs)
        }
        other => {
            let s = scalar(other)?.unwrap_or_default();
            // Prefixes count characters (RFC 6570 §2.4.1), never bytes.
            let s = match prefix {
                Some(n) => s.chars().take(n).collect(),
                None => s,
            };
            TemplateVar::Scalar(s)
        }
    })
}

fn is_empty(var: &TemplateVar) -> bool {
    match var {
        TemplateVar::Scalar(s) => s.is_empty(),
        TemplateVar::List(l) => l.is_empty(),
        TemplateVar::AssociativeArray(a) => a.is_empty(),
    }
}

/// A `.` or `..` segment (or its `%2E` spelling, which URL parsers treat
/// the same) would be resolved away and send the call somewhere else.
fn reject_dot_segments(expanded: &str) -> Result<(), Error> {
    let path = expanded.split(['?', '#']).next().unwrap_or("");
    for segment in path.split('/') {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        if decoded == "." || decoded == ".." {
            return Err(Error::template(format!(
                "the path `{path}` has a `{segment}` segment, which would change the path"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expand(t: &str, v: Value) -> Result<String, Error> {
        Template::parse(t)?.expand(v.as_object().unwrap())
    }

    #[test]
    fn simple_expansion_encodes_everything_but_unreserved() {
        assert_eq!(expand("a/{x}", json!({"x": "a/b"})).unwrap(), "a/a%2Fb");
        assert_eq!(expand("a/{x}", json!({"x": "100%"})).unwrap(), "a/100%25");
        assert_eq!(expand("a/{x}", json!({"x": "a%2F"})).unwrap(), "a/a%252F");
        assert_eq!(expand("a/{x}", json!({"x": "中"})).unwrap(), "a/%E4%B8%AD");
        assert_eq!(expand("a/{x}", json!({"x": "?#&"})).unwrap(), "a/%3F%23%26");
    }

    #[test]
    fn operators_follow_the_rfc() {
        let v = json!({"x": "a/b", "y": "c d", "list": ["a", "b c"], "keys": {"k1": "v1", "k2": "v 2"}});
        assert_eq!(expand("{+x}", v.clone()).unwrap(), "a/b");
        assert_eq!(expand("{#x}", v.clone()).unwrap(), "#a/b");
        assert_eq!(expand("p{/y}", v.clone()).unwrap(), "p/c%20d");
        assert_eq!(expand("p{?x,y}", v.clone()).unwrap(), "p?x=a%2Fb&y=c%20d");
        assert_eq!(expand("{list}", v.clone()).unwrap(), "a,b%20c");
        assert_eq!(expand("{keys}", v.clone()).unwrap(), "k1,v1,k2,v%202");
        assert_eq!(expand("p{?absent}", v).unwrap(), "p");
    }

    #[test]
    fn prefixes_count_characters_and_never_panic() {
        assert_eq!(expand("{x:1}", json!({"x": "中文"})).unwrap(), "%E4%B8%AD");
        assert_eq!(expand("{x:3}", json!({"x": "abcdef"})).unwrap(), "abc");
        assert!(matches!(
            expand("{x:0}", json!({"x": "a"})),
            Err(e) if e.is_template()
        ));
        assert!(matches!(
            expand("{x:z}", json!({"x": "a"})),
            Err(e) if e.is_template()
        ));
    }

    #[test]
    fn missing_variables_are_named() {
        for v in [
            json!({}),
            json!({"x": null}),
            json!({"x": ""}),
            json!({"x": []}),
        ] {
            let e = expand("s/{x}/sync", v).unwrap_err();
            assert_eq!(e.missing_variable(), Some("x"));
            assert!(e.to_string().contains("s/{x}/sync"), "{e}");
        }
    }

    #[test]
    fn php_style_hyphenated_names_work() {
        assert_eq!(
            expand("o/{out-order-no}", json!({"out-order-no": "A1"})).unwrap(),
            "o/A1"
        );
    }

    #[test]
    fn dot_segments_are_refused() {
        for bad in ["..", ".", "%2e%2E", ".%2E"] {
            assert!(
                matches!(expand("a/{+x}/b", json!({"x": bad})), Err(e) if e.is_template()),
                "{bad}"
            );
        }
        assert!(matches!(
            expand("a/{x}/b", json!({"x": ".."})),
            Err(e) if e.is_template()
        ));
        assert_eq!(expand("a/{x}", json!({"x": "..."})).unwrap(), "a/...");
    }

    #[test]
    fn malformed_templates_are_errors() {
        for bad in ["a/{x", "a/x}", "a/{}", "a/{x{y}}", "a/{=x}", "a/{x y}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn literals_are_normalised_once() {
        let t = Template::parse("v3/x?out_order_no=ABC&foo=a b&p=%41&q=100%").unwrap();
        assert_eq!(
            t.expand(&Map::new()).unwrap(),
            "v3/x?out_order_no=ABC&foo=a%20b&p=%41&q=100%25"
        );
    }
}
