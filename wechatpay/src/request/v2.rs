//! An APIv2 request (PHP's `ClientXmlTrait`): the `xml` payload as an
//! unsigned XML body (or, for a GET, as the query), checked here and
//! signed by the stack's APIv2 signer, so a retry signs every attempt.

use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::{Map, Value};

use super::{Defaults, Request, target};
use crate::{Error, Options, encoding::number_to_string, options::build_query, v2};

/// PHP's APIv2 `Accept`.
pub(crate) const ACCEPT: &str = "text/xml, text/plain, application/x-gzip";
/// PHP's APIv2 `Content-Type`, sent on every APIv2 request, GET included.
pub(crate) const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// The keys whose value must be the configured merchant ID, first present wins.
const MCHID_KEYS: [&str; 3] = ["mch_id", "mchid", "combine_mch_id"];

pub(super) fn prepare(
    defaults: &Defaults,
    method: Method,
    template: &str,
    target: &str,
    options: &Options,
) -> Result<Request, Error> {
    if !defaults.has_v2_secret {
        return Err(Error::config(format!(
            "`{template}` is an APIv2 endpoint and this client has no APIv2 secret (Builder::secret)"
        )));
    }
    if options.upload_part().is_some() {
        return Err(Error::options("APIv2 calls take `xml`, not an upload"));
    }
    for key in ["json", "body"] {
        if options.get(key).is_some() {
            return Err(Error::options(format!(
                "`{template}` is an APIv2 endpoint: give its payload as `xml`, not `{key}`"
            )));
        }
    }
    if super::flag(options, "security")? && !defaults.has_identity {
        return Err(Error::config(
            "`security: true` presents the merchant client certificate, and none is configured \
             (Builder::client_cert or client_cert_p12)",
        ));
    }
    super::flag(options, "nonceless")?;

    // `v2/pay/micropay` → `pay/micropay`, resolved against the base URI.
    let rest = target.get(3..).unwrap_or_default();
    let (path, written_query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut query = written_query.to_string();
    if let Some(q) = options.get("query") {
        let q = build_query(q)?;
        if !q.is_empty() {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&q);
        }
    }

    let is_get = method == Method::GET;
    let mut data = match options.get("xml") {
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(Error::options("`xml` must be a map")),
        // PHP 1.4.12: a GET signs its own query.
        None if is_get => v2::parse_query(&query),
        None => Map::new(),
    };
    // A number is sent and signed as the same text, as PHP prints it (888.0 → 888).
    for v in data.values_mut() {
        if let Value::Number(n) = v {
            *v = Value::String(number_to_string(n));
        }
    }
    check_mchid(&data, &defaults.mchid)?;
    v2::sign_type_of(&data)?;

    let (target, body) = if is_get {
        let q = build_query(&Value::Object(data))?;
        (format!("{path}?{q}"), Bytes::new())
    } else {
        let xml = crate::transformer::to_xml(&data)
            .map_err(|e| Error::options(format!("the `xml` payload cannot be XML: {e}")))?;
        let target = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        };
        (target, Bytes::from(xml))
    };
    let base = target::base_for(&defaults.base, &defaults.allowed, options)?;
    let uri = base.join(&target)?;
    Ok(super::request(
        defaults,
        method,
        uri,
        ACCEPT,
        HeaderValue::from_static(CONTENT_TYPE),
        body,
    ))
}

/// A scalar as PHP would print it; `None` for null, lists and maps.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(number_to_string(n)),
        Value::Bool(true) => Some("1".into()),
        Value::Bool(false) => Some(String::new()),
        _ => None,
    }
}

/// The payload must name this client's merchant, as PHP requires: a
/// mismatch would be signed with the wrong merchant's secret.
fn check_mchid(data: &Map<String, Value>, mchid: &str) -> Result<(), Error> {
    let given = MCHID_KEYS
        .iter()
        .find_map(|k| data.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)));
    if given.and_then(|(_, v)| scalar(v)).as_deref() == Some(mchid) {
        return Ok(());
    }
    let (key, shown) = given.map_or(("mch_id", String::new()), |(k, v)| {
        (k, scalar(v).unwrap_or_else(|| v.to_string()))
    });
    Err(Error::options(format!(
        "the xml's {key} ({shown}) does not match the configured mchid ({mchid})"
    )))
}
