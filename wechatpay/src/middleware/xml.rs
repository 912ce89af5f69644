//! APIv2 (PHP's `ClientXmlTrait`): the request is built and signed when the
//! call is prepared ([`prepare`]), and the [`XmlLayer`] checks the reply's
//! codes and `sign` before anyone reads it, failing closed.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, header};
use serde_json::{Map, Value};

use super::{ApiVersion, BoxFuture, CallContext, Middleware, Next, Request, api_of};
use crate::{
    Error, Options, Response,
    client::{Core, merge_headers},
    crypto::hash,
    formatter::{self, ksort, query_string_like},
    options::{build_query, number_to_string},
    v2::{self, Secret},
};

/// PHP's APIv2 `Accept`.
pub(crate) const ACCEPT: &str = "text/xml, text/plain, application/x-gzip";
/// PHP's APIv2 `Content-Type`, sent on every APIv2 request, GET included.
pub(crate) const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// The keys whose value must be the configured merchant ID, first present wins.
const MCHID_KEYS: [&str; 3] = ["mch_id", "mchid", "combine_mch_id"];

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

fn flag(options: &Options, key: &str) -> Result<bool, Error> {
    match options.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Error::Options(format!("`{key}` must be true or false"))),
    }
}

/// `a=1&b=2` back into a map, percent-decoded (`+` as space, as PHP's
/// `Query::parse`); a repeated key keeps its first place and last value.
fn parse_query(query: &str) -> Map<String, Value> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        percent_encoding::percent_decode_str(&s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut map = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        map.insert(decode(k), Value::String(decode(v)));
    }
    map
}

/// Builds a signed APIv2 request from `target` (the expanded template, still
/// starting with `v2/`), or refuses before anything is sent.
pub(crate) fn prepare(
    core: &Core,
    method: Method,
    template: &str,
    target: &str,
    options: &Options,
) -> Result<Request, Error> {
    let secret = core.secret.as_ref().ok_or_else(|| {
        Error::Config(format!(
            "`{template}` is an APIv2 endpoint and this client has no APIv2 secret (Builder::secret)"
        ))
    })?;
    for key in ["json", "body"] {
        if options.get(key).is_some() {
            return Err(Error::Options(format!(
                "`{template}` is an APIv2 endpoint: give its payload as `xml`, not `{key}`"
            )));
        }
    }
    let security = flag(options, "security")?;
    if security && !core.transport.has_identity() {
        return Err(Error::Config(
            "`security: true` presents the merchant client certificate, and none is configured (Builder::client_cert or client_cert_p12)"
                .into(),
        ));
    }
    let nonceless = flag(options, "nonceless")?;

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
        Some(_) => return Err(Error::Options("`xml` must be a map".into())),
        // PHP 1.4.12: a GET signs its own query.
        None if is_get => parse_query(&query),
        None => Map::new(),
    };
    // A number is sent and signed as the same text, as PHP prints it (888.0 → 888).
    for v in data.values_mut() {
        if let Value::Number(n) = v {
            *v = Value::String(number_to_string(n));
        }
    }
    let mchid = core.mchid.as_str();
    let given = MCHID_KEYS
        .iter()
        .find_map(|k| data.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)));
    if given.and_then(|(_, v)| scalar(v)).as_deref() != Some(mchid) {
        let (key, shown) = given.map_or(("mch_id", String::new()), |(k, v)| {
            (k, scalar(v).unwrap_or_else(|| v.to_string()))
        });
        return Err(Error::Options(format!(
            "the xml's {key} ({shown}) does not match the configured mchid ({mchid})"
        )));
    }
    let kind = v2::sign_type_of(&data)?;
    if !nonceless && data.get("nonce_str").is_none_or(Value::is_null) {
        data.insert("nonce_str".into(), Value::String(formatter::nonce(32)));
    }
    let sign = hash::sign(kind, &query_string_like(&ksort(&data)), secret.expose());
    data.insert("sign".into(), Value::String(sign));

    let (target, body) = if is_get {
        let q = build_query(&Value::Object(data))?;
        (format!("{path}?{q}"), Bytes::new())
    } else {
        let xml = crate::transformer::to_xml(&data).map_err(|e| Error::Xml(e.to_string()))?;
        let target = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        };
        (target, Bytes::from(xml))
    };
    let uri = core.resolve(options, &target)?;

    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
    headers.insert(header::USER_AGENT, core.user_agent.clone());
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Some(extra) = options.get("headers") {
        merge_headers(&mut headers, extra)?;
    }
    let timeout = crate::client::timeout_of(options)?;

    let mut request = http::Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    request.extensions_mut().insert(CallContext {
        api: ApiVersion::V2,
        template: template.to_string(),
        timeout,
        verify_response: true,
        security,
        signed_body: None,
    });
    Ok(request)
}

/// Checks each APIv2 reply: XML, `return_code` and `result_code` SUCCESS,
/// a `sign` that verifies with the secret. The endpoints of
/// [`UNSIGNED_PATHS`](crate::v2::UNSIGNED_PATHS) pass through.
pub(crate) struct XmlLayer {
    pub(crate) secret: Option<Secret>,
}

impl Middleware for XmlLayer {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            if api_of(&request) != ApiVersion::V2 {
                return next.run(request).await;
            }
            let verify = request
                .extensions()
                .get::<CallContext>()
                .is_none_or(|c| c.verify_response);
            let unsigned = v2::is_unsigned(request.uri().path());
            let response = next.run(request).await?;
            check(response, self.secret.as_ref(), unsigned, verify)
        })
    }
}

fn text<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m str> {
    map.get(key).and_then(Value::as_str)
}

/// `Error::Api` from an APIv2 body: the codes and messages WeChat Pay wrote.
fn api_error(response: Response, map: Option<&Map<String, Value>>) -> Error {
    let (code, message) = match map {
        Some(m) if text(m, "return_code") != Some("SUCCESS") => (
            text(m, "err_code")
                .or(text(m, "error_code"))
                .or(text(m, "return_code")),
            text(m, "return_msg").or(text(m, "err_code_des")),
        ),
        Some(m) => (
            text(m, "err_code").or(text(m, "result_code")),
            text(m, "err_code_des").or(text(m, "return_msg")),
        ),
        None => (None, None),
    };
    Error::Api {
        status: response.status(),
        code: code.map(str::to_string),
        message: message.map(str::to_string),
        response: Box::new(response),
    }
}

fn failed(map: &Map<String, Value>, key: &str) -> bool {
    map.contains_key(key) && text(map, key) != Some("SUCCESS")
}

fn check(
    response: Response,
    secret: Option<&Secret>,
    unsigned: bool,
    verify: bool,
) -> Result<Response, Error> {
    let status = response.status();
    if !(status.is_success() || status.is_redirection()) {
        let map = v2::parse(response.body()).ok();
        return Err(api_error(response, map.as_ref()));
    }
    if status.is_redirection() {
        return Ok(response);
    }
    if unsigned {
        // CSV, gzip or unsigned XML: only an XML failure is read.
        let body = response.body();
        let start = body
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(body.len());
        let looks_xml =
            body[start..].starts_with(b"<") || body[start..].starts_with("\u{FEFF}<".as_bytes());
        if let Some(map) = looks_xml.then(|| v2::parse(body).ok()).flatten() {
            if failed(&map, "return_code") || failed(&map, "result_code") {
                return Err(api_error(response, Some(&map)));
            }
        }
        return Ok(response);
    }
    let map = v2::parse(response.body()).map_err(|e| match e {
        Error::Xml(why) => Error::Xml(format!("the APIv2 reply: {why}")),
        other => other,
    })?;
    if text(&map, "return_code") != Some("SUCCESS") {
        return Err(api_error(response, Some(&map)));
    }
    if verify {
        let Some(secret) = secret else {
            return Err(Error::Config(
                "this client has no APIv2 secret to verify the reply with".into(),
            ));
        };
        if let Err(reason) = v2::verify(&map, secret.expose()) {
            return Err(Error::Verification {
                reason,
                response: Box::new(response),
            });
        }
    }
    if failed(&map, "result_code") {
        return Err(api_error(response, Some(&map)));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VerificationFailure;

    fn reply(status: u16, body: &str) -> Response {
        let mut r = http::Response::new(Bytes::from(body.to_string()));
        *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
        r
    }

    fn secret() -> Secret {
        Secret::new("k".into())
    }

    fn signed(fields: &[(&str, &str)]) -> String {
        let mut m = Map::new();
        for (k, v) in fields {
            m.insert((*k).into(), (*v).into());
        }
        let s = v2::sign(&m, "k").unwrap();
        m.insert("sign".into(), s.into());
        crate::transformer::to_xml(&m).unwrap()
    }

    #[test]
    fn codes_and_sign_are_checked_in_order() {
        let s = secret();
        let ok = signed(&[("return_code", "SUCCESS"), ("result_code", "SUCCESS")]);
        assert!(check(reply(200, &ok), Some(&s), false, true).is_ok());

        let fail = "<xml><return_code>FAIL</return_code><return_msg>bad</return_msg></xml>";
        let e = check(reply(200, fail), Some(&s), false, true).unwrap_err();
        assert!(
            matches!(&e, Error::Api { status, code: Some(c), message: Some(m), .. } if status.as_u16() == 200 && c == "FAIL" && m == "bad"),
            "{e:?}"
        );

        let biz = signed(&[
            ("return_code", "SUCCESS"),
            ("result_code", "FAIL"),
            ("err_code", "ORDERPAID"),
            ("err_code_des", "paid"),
        ]);
        let e = check(reply(200, &biz), Some(&s), false, true).unwrap_err();
        assert!(
            matches!(&e, Error::Api { code: Some(c), .. } if c == "ORDERPAID"),
            "{e:?}"
        );

        let forged = ok.replace("</xml>", "<extra>1</extra></xml>");
        let e = check(reply(200, &forged), Some(&s), false, true).unwrap_err();
        assert!(matches!(
            e,
            Error::Verification {
                reason: VerificationFailure::BadXmlSign(_),
                ..
            }
        ));
        // …and unchecked when the caller verifies itself.
        assert!(check(reply(200, &forged), Some(&s), false, false).is_ok());
    }

    #[test]
    fn unsigned_endpoints_pass_through_unless_they_fail() {
        let s = secret();
        let csv = "交易时间,公众账号ID\n`2014-06-03,`wx1\n";
        assert_eq!(
            check(reply(200, csv), Some(&s), true, true).unwrap().body(),
            csv.as_bytes()
        );
        let unsigned =
            "<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code></xml>";
        assert!(check(reply(200, unsigned), Some(&s), true, true).is_ok());
        let fail = " <xml><return_code>FAIL</return_code><return_msg>No Bill Exist</return_msg><error_code>20002</error_code></xml>";
        let e = check(reply(200, fail), Some(&s), true, true).unwrap_err();
        assert!(
            matches!(&e, Error::Api { code: Some(c), .. } if c == "20002"),
            "{e:?}"
        );
        // binary (gzip) stays untouched
        let gz = [0x1f_u8, 0x8b, 0x08, 0x00];
        let mut r = http::Response::new(Bytes::copy_from_slice(&gz));
        *r.status_mut() = http::StatusCode::OK;
        assert!(check(r, Some(&s), true, true).is_ok());
    }

    #[test]
    fn http_errors_keep_their_status_and_codes() {
        let e = check(
            reply(
                500,
                "<xml><return_code>FAIL</return_code><return_msg>busy</return_msg></xml>",
            ),
            Some(&secret()),
            false,
            true,
        )
        .unwrap_err();
        assert!(
            matches!(&e, Error::Api { status, code: Some(c), .. } if status.as_u16() == 500 && c == "FAIL")
        );
        let e = check(reply(502, "gateway"), None, false, true).unwrap_err();
        assert!(matches!(e, Error::Api { code: None, .. }));
    }

    #[test]
    fn queries_parse_like_php() {
        let m = parse_query("a=1&b=x+y%21&c&=z&a=2");
        assert_eq!(
            Value::Object(m),
            serde_json::json!({"a": "2", "b": "x y!", "c": "", "": "z"})
        );
    }
}
