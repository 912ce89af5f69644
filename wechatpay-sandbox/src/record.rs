//! What reached the sandbox, for a test to look at afterwards.

use std::{collections::VecDeque, sync::Mutex};

use bytes::Bytes;

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
