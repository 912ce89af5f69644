//! Checks each APIv2 answer (PHP's `transform_response`): XML,
//! `return_code` and `result_code` SUCCESS, a `sign` that verifies with the
//! secret, failing closed. The endpoints of
//! [`UNSIGNED_PATHS`](crate::v2::UNSIGNED_PATHS) pass through.

use serde_json::{Map, Value};

use super::{BoxFuture, Middleware, Next, Verified};
use crate::{
    ApiError, Error, Response, VerificationFailure,
    request::{ApiVersion, Request, api_of, context_of},
    v2::{self, Secret},
};

pub(crate) struct VerifierV2 {
    pub(crate) secret: Option<Secret>,
}

impl Middleware for VerifierV2 {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            if api_of(&request) != ApiVersion::V2 {
                return next.run(request).await;
            }
            let verify = context_of(&request).is_none_or(|c| c.verify_response);
            let unsigned = context_of(&request).is_some_and(|c| c.unsigned_answer);
            let response = next.run(request).await?;
            check(response, self.secret.as_ref(), unsigned, verify)
        })
    }
}

fn text<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m str> {
    map.get(key).and_then(Value::as_str)
}

/// An API error from an APIv2 body: the codes and messages it holds.
fn api_error(response: Response, map: Option<&Map<String, Value>>, verified: bool) -> Error {
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
    let api = ApiError::new(
        &response,
        code.map(str::to_string),
        message.map(str::to_string),
        None,
        verified,
    );
    Error::api(api, response)
}

fn failed(map: &Map<String, Value>, key: &str) -> bool {
    map.contains_key(key) && text(map, key) != Some("SUCCESS")
}

fn signed_by(map: &Map<String, Value>, secret: Option<&Secret>) -> bool {
    secret.is_some_and(|s| v2::verify(map, s.expose()).is_ok())
}

fn check(
    mut response: Response,
    secret: Option<&Secret>,
    unsigned: bool,
    verify: bool,
) -> Result<Response, Error> {
    let status = response.status();
    if !(status.is_success() || status.is_redirection()) {
        let map = v2::parse(response.body()).ok();
        let verified = map.as_ref().is_some_and(|m| signed_by(m, secret));
        return Err(api_error(response, map.as_ref(), verified));
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
                return Err(api_error(response, Some(&map), false));
            }
        }
        return Ok(response);
    }
    let map = match v2::parse(response.body()) {
        Ok(map) => map,
        Err(e) if verify => {
            let reason = VerificationFailure::MalformedXml(e.to_string());
            return Err(Error::verification(reason, response));
        }
        Err(_) => return Ok(response),
    };
    if text(&map, "return_code") != Some("SUCCESS") {
        // WeChat Pay does not sign a `return_code` FAIL answer.
        let verified = signed_by(&map, secret);
        return Err(api_error(response, Some(&map), verified));
    }
    let verified = if verify {
        let Some(secret) = secret else {
            return Err(Error::config(
                "this client has no APIv2 secret to verify the answer with",
            ));
        };
        if let Err(reason) = v2::verify(&map, secret.expose()) {
            return Err(Error::verification(reason, response));
        }
        response.extensions_mut().insert(Verified);
        true
    } else {
        false
    };
    if failed(&map, "result_code") {
        return Err(api_error(response, Some(&map), verified));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

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
        let api = e.api_error().unwrap();
        assert_eq!(
            (api.status().as_u16(), api.code(), api.message()),
            (200, Some("FAIL"), Some("bad"))
        );
        assert!(!api.is_verified());

        let biz = signed(&[
            ("return_code", "SUCCESS"),
            ("result_code", "FAIL"),
            ("err_code", "ORDERPAID"),
            ("err_code_des", "paid"),
        ]);
        let e = check(reply(200, &biz), Some(&s), false, true).unwrap_err();
        assert_eq!(e.api_error().unwrap().code(), Some("ORDERPAID"));
        assert!(e.api_error().unwrap().is_verified());

        let forged = ok.replace("</xml>", "<extra>1</extra></xml>");
        let e = check(reply(200, &forged), Some(&s), false, true).unwrap_err();
        assert!(matches!(
            e.verification_failure(),
            Some(VerificationFailure::BadXmlSign(_))
        ));
        // …and unchecked when the caller verifies itself.
        assert!(check(reply(200, &forged), Some(&s), false, false).is_ok());
    }

    #[test]
    fn redirects_are_checked_like_success() {
        let s = secret();
        let forged = "<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code><sign>00</sign></xml>";
        for status in [300, 302] {
            let e = check(reply(status, forged), Some(&s), false, true).unwrap_err();
            assert!(e.is_verification(), "{status}");
            let e = check(reply(status, ""), Some(&s), false, true).unwrap_err();
            assert!(e.is_verification(), "{status} empty");
        }
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
        assert_eq!(e.api_error().unwrap().code(), Some("20002"));
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
        let api = e.api_error().unwrap();
        assert_eq!((api.status().as_u16(), api.code()), (500, Some("FAIL")));
        let e = check(reply(502, "gateway"), None, false, true).unwrap_err();
        assert_eq!(e.api_error().unwrap().code(), None);
    }
}
