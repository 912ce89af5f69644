//! Answers a test sets in advance: "answer the next `POST /v3/…` with this".
//!
//! A stub is matched before the sandbox's own routes, after the request's
//! signature was checked (a request WeChat Pay would refuse is still
//! refused). The answer is signed as every sandbox answer is, and a
//! [`Fault`](crate::Fault) can still spoil it.

use std::sync::Mutex;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::Fault;

/// What a stub answers with.
#[derive(Debug, Clone)]
pub(crate) enum StubBody {
    /// No body at all.
    Empty,
    /// A JSON body (APIv3).
    Json(Value),
    /// Bytes as given, with their `Content-Type`.
    Raw { content_type: String, body: Bytes },
    /// APIv2 fields, written as XML and signed with the sandbox's APIv2
    /// secret (HMAC-SHA256 when `hmac`, else MD5), as WeChat Pay signs.
    SignedXml {
        fields: Map<String, Value>,
        hmac: bool,
    },
}

/// A canned answer for the requests it matches.
///
/// ```
/// use wechatpay_sandbox::{Sandbox, Stub};
/// let sandbox = Sandbox::start_blocking()?;
/// sandbox.stub(Stub::new("GET", "/v3/pay/transactions/id/4200000001").json(serde_json::json!({"trade_state": "SUCCESS"})));
/// let r = sandbox.client()?.chain("v3/pay/transactions/id/4200000001").get(())?;
/// assert_eq!(r.body().as_ref(), br#"{"trade_state":"SUCCESS"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Stub {
    pub(crate) method: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) status: u16,
    pub(crate) body: StubBody,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) times: Option<usize>,
    pub(crate) fault: Option<Fault>,
}

impl Stub {
    /// Matches every request.
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::any().status(500);
    /// ```
    pub fn any() -> Self {
        Self {
            method: None,
            path: None,
            status: 200,
            body: StubBody::Empty,
            headers: Vec::new(),
            times: None,
            fault: None,
        }
    }

    /// Matches `method` (any case) on exactly `path` (no query), as it
    /// arrives: `/v3/…` for APIv3, `/pay/micropay` for APIv2.
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::new("POST", "/v3/refund/domestic/refunds");
    /// ```
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: Some(method.to_ascii_uppercase()),
            path: Some(path.to_string()),
            ..Self::any()
        }
    }

    /// Matches any method on exactly `path`.
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::path("/v3/certificates");
    /// ```
    pub fn path(path: &str) -> Self {
        Self {
            path: Some(path.to_string()),
            ..Self::any()
        }
    }

    /// The HTTP status; default 200.
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::any().status(404);
    /// ```
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// A JSON body.
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::any().status(400).json(serde_json::json!({"code": "PARAM_ERROR", "message": "bad"}));
    /// ```
    pub fn json(mut self, body: Value) -> Self {
        self.body = StubBody::Json(body);
        self
    }

    /// A JSON body given as text, sent byte for byte.
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::any().json_text(r#"{"state":"CREATED"}"#);
    /// ```
    pub fn json_text(self, body: &str) -> Self {
        self.raw(
            "application/json; charset=utf-8",
            Bytes::from(body.to_string()),
        )
    }

    /// Bytes as given (a CSV bill, gzip, an image), with their `Content-Type`.
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::any().raw("text/plain", "交易时间,公众账号ID\n");
    /// ```
    pub fn raw(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.body = StubBody::Raw {
            content_type: content_type.to_string(),
            body: body.into(),
        };
        self
    }

    /// No body.
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::any().status(204).empty();
    /// ```
    pub fn empty(mut self) -> Self {
        self.body = StubBody::Empty;
        self
    }

    /// APIv2 fields, answered as XML signed with the sandbox's APIv2 secret
    /// (MD5; see [`hmac`](Self::hmac)).
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::new("POST", "/pay/refundquery")
    ///     .xml(&[("return_code", "SUCCESS"), ("result_code", "SUCCESS"), ("refund_count", "1")]);
    /// ```
    pub fn xml(mut self, fields: &[(&str, &str)]) -> Self {
        let fields = fields
            .iter()
            .map(|(k, v)| ((*k).to_string(), Value::String((*v).to_string())))
            .collect();
        self.body = StubBody::SignedXml {
            fields,
            hmac: false,
        };
        self
    }

    /// Signs the [`xml`](Self::xml) answer with HMAC-SHA256 instead of MD5.
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::any().xml(&[("return_code", "SUCCESS")]).hmac();
    /// ```
    pub fn hmac(mut self) -> Self {
        if let StubBody::SignedXml { hmac, .. } = &mut self.body {
            *hmac = true;
        }
        self
    }

    /// An extra answer header, e.g. `Location` on a 302.
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::any().status(302).header("Location", "https://elsewhere.example/");
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Answers only the next `n` matching requests, then stops matching.
    ///
    /// ```
    /// let s = wechatpay_sandbox::Stub::any().status(500).times(2);
    /// ```
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    /// Spoils this stub's answers with `fault`.
    ///
    /// ```
    /// use wechatpay_sandbox::{Fault, Sandbox, Stub};
    /// let sandbox = Sandbox::start_blocking()?;
    /// sandbox.stub(Stub::path("/v3/certificates").json(serde_json::json!({"data": []})).fault(Fault::Truncate));
    /// let e = sandbox.client()?.chain("v3/certificates").get(()).unwrap_err();
    /// assert!(e.is_body(), "the answer was cut off: {e}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self.path.as_deref().is_none_or(|p| p == path)
    }
}

/// The stubs of one sandbox, newest first.
#[derive(Default)]
pub(crate) struct Stubs(Mutex<Vec<Stub>>);

impl Stubs {
    pub(crate) fn push(&self, stub: Stub) {
        self.lock().push(stub);
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// The newest stub matching, counted down and dropped when used up.
    pub(crate) fn take(&self, method: &str, path: &str) -> Option<Stub> {
        let mut stubs = self.lock();
        let at = stubs.iter().rposition(|s| s.matches(method, path))?;
        let stub = stubs[at].clone();
        if let Some(n) = &mut stubs[at].times {
            *n = n.saturating_sub(1);
            if *n == 0 {
                stubs.remove(at);
            }
        }
        Some(stub)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Stub>> {
        match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_matching_stub_wins_and_counts_down() {
        let stubs = Stubs::default();
        stubs.push(Stub::any().status(201));
        stubs.push(Stub::new("post", "/v3/x").status(202).times(1));
        assert_eq!(stubs.take("POST", "/v3/x").unwrap().status, 202);
        assert_eq!(stubs.take("POST", "/v3/x").unwrap().status, 201);
        assert_eq!(stubs.take("GET", "/v3/y").unwrap().status, 201);
        stubs.clear();
        assert!(stubs.take("GET", "/v3/y").is_none());
    }
}
