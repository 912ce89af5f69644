//! What reached the sandbox, for a test to look at afterwards.

use std::{collections::VecDeque, sync::Mutex};

use bytes::Bytes;
use serde_json::{Map, Value};

/// How many requests the log keeps; older ones are dropped, so a load test
/// does not grow the sandbox without end.
const KEPT: usize = 4096;

/// Which protocol a request spoke.
///
/// ```
/// assert_ne!(wechatpay_sandbox::Protocol::V3, wechatpay_sandbox::Protocol::V2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// APIv3: JSON, an `Authorization` header.
    V3,
    /// APIv2: XML (or a GET query) carrying `sign`.
    V2,
}

/// One request as it arrived, and whether its signature would pass at
/// WeChat Pay.
///
/// ```
/// let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
/// sandbox.client()?.chain("v3/certificates").get(())?;
/// let seen = sandbox.take_requests();
/// assert_eq!(seen.len(), 1);
/// assert_eq!(seen[0].target, "/v3/certificates");
/// assert!(seen[0].signature.is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The method, uppercase.
    pub method: String,
    /// Path and query exactly as sent.
    pub target: String,
    /// Every header, in arrival order.
    pub headers: http::HeaderMap,
    /// The body, whole.
    pub body: Bytes,
    /// APIv3 or APIv2.
    pub protocol: Protocol,
    /// `Ok` when the `Authorization` (APIv3) or the `sign` (APIv2)
    /// verifies as WeChat Pay would check it, else why not.
    pub signature: Result<(), String>,
}

impl RecordedRequest {
    /// The body as JSON, if it is.
    ///
    /// ```
    /// # fn f(r: &wechatpay_sandbox::RecordedRequest) {
    /// if let Some(body) = r.json() { println!("{}", body["out_trade_no"]); }
    /// # }
    /// ```
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The APIv2 fields the request carried, as the sandbox checked their
    /// `sign`: the query of a GET, else the XML body (`None` if it is not
    /// XML). For a test that looks at what a layer or the signer put in.
    ///
    /// ```
    /// let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// sandbox.stub(wechatpay_sandbox::Stub::any().xml(&[("return_code", "SUCCESS"), ("result_code", "SUCCESS")]));
    /// let client = sandbox.client()?;
    /// client["v2/pay/orderquery"].post(serde_json::json!({"xml": {"mch_id": "1900000001", "out_trade_no": "A 1"}}))?;
    /// client["v2/tools/authcodetoopenid"].get(serde_json::json!({"xml": {"mch_id": "1900000001", "auth_code": "a b"}}))?;
    /// let seen = sandbox.take_requests();
    /// assert_eq!(seen[0].v2_fields().unwrap()["out_trade_no"], "A 1");
    /// let query = seen[1].v2_fields().unwrap();
    /// assert_eq!(query["auth_code"], "a b");
    /// assert!(query.contains_key("sign") && seen[1].signature.is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn v2_fields(&self) -> Option<Map<String, Value>> {
        let query = self.target.split_once('?').map_or("", |(_, q)| q);
        v2_fields(&self.method, query, &self.body)
    }

    /// One header as text.
    ///
    /// ```
    /// # fn f(r: &wechatpay_sandbox::RecordedRequest) {
    /// let ua = r.header("User-Agent");
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The APIv2 fields of a request: the query of a GET, else the XML body.
pub(crate) fn v2_fields(method: &str, query: &str, body: &[u8]) -> Option<Map<String, Value>> {
    if method != "GET" {
        return wechatpay::v2::parse(body).ok();
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    let pairs = query.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (decode(k), Value::String(decode(v)))
    });
    Some(pairs.collect())
}

#[derive(Default)]
pub(crate) struct Log(Mutex<VecDeque<RecordedRequest>>);

impl Log {
    pub(crate) fn push(&self, r: RecordedRequest) {
        let mut log = self.lock();
        if log.len() == KEPT {
            log.pop_front();
        }
        log.push_back(r);
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn take(&self) -> Vec<RecordedRequest> {
        self.lock().drain(..).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<RecordedRequest>> {
        match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}
