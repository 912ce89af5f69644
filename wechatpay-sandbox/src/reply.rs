//! The answer of the sandbox's pure logic (Pay-Score, payments): an HTTP
//! status and a JSON body, which the HTTP side signs and sends.

use serde_json::{Value, json};

/// The answer to one call: an HTTP status and a JSON body, `None` for an empty body (204).
///
/// ```
/// use wechatpay_sandbox::payscore::PayScore;
///
/// let mut ps = PayScore::new();
/// let (reply, events) = ps.handle("1900000001", "GET", "/v3/nowhere", "", b"", 0);
/// assert_eq!(reply.status, 404);
/// assert_eq!(reply.code(), Some("NOT_FOUND"));
/// assert!(events.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// JSON body; `None` means no body at all.
    pub body: Option<Value>,
}

impl Reply {
    /// 200 with a JSON body.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay_sandbox::payscore::Reply;
    ///
    /// let reply = Reply::ok(json!({"state": "DONE"}));
    /// assert_eq!(reply.status, 200);
    /// assert_eq!(reply.body.unwrap()["state"], "DONE");
    /// ```
    pub fn ok(body: Value) -> Self {
        Reply {
            status: 200,
            body: Some(body),
        }
    }

    /// 204 with no body.
    ///
    /// ```
    /// use wechatpay_sandbox::payscore::Reply;
    ///
    /// let reply = Reply::no_content();
    /// assert_eq!(reply.status, 204);
    /// assert!(reply.body.is_none());
    /// ```
    pub fn no_content() -> Self {
        Reply {
            status: 204,
            body: None,
        }
    }

    /// An error reply `{"code": code, "message": message}`.
    ///
    /// ```
    /// use wechatpay_sandbox::payscore::Reply;
    ///
    /// let reply = Reply::error(400, "PARAM_ERROR", "appid is required");
    /// assert_eq!(reply.status, 400);
    /// assert_eq!(reply.body.unwrap()["message"], "appid is required");
    /// ```
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        let message: String = message.into();
        Reply {
            status,
            body: Some(json!({ "code": code, "message": message })),
        }
    }

    /// The documented 500 `SYSTEM_ERROR`, for callers simulating an outage.
    ///
    /// ```
    /// use wechatpay_sandbox::payscore::Reply;
    ///
    /// let reply = Reply::system_error();
    /// assert_eq!(reply.status, 500);
    /// assert_eq!(reply.code(), Some("SYSTEM_ERROR"));
    /// ```
    pub fn system_error() -> Self {
        Reply::error(500, "SYSTEM_ERROR", "系统异常，请稍后重试")
    }

    /// The `code` of an error body, if this is one.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay_sandbox::payscore::Reply;
    ///
    /// let reply = Reply::error(404, "ORDER_NOT_EXIST", "no such order");
    /// assert_eq!(reply.code(), Some("ORDER_NOT_EXIST"));
    /// assert_eq!(Reply::ok(json!({"state": "DONE"})).code(), None);
    /// ```
    pub fn code(&self) -> Option<&str> {
        self.body.as_ref()?.get("code")?.as_str()
    }

    /// The `message` of an error body, if this is one.
    ///
    /// ```
    /// use wechatpay_sandbox::payscore::Reply;
    ///
    /// let reply = Reply::error(405, "METHOD_NOT_ALLOWED", "allowed methods: POST");
    /// assert_eq!(reply.message(), Some("allowed methods: POST"));
    /// assert_eq!(Reply::no_content().message(), None);
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.body.as_ref()?.get("message")?.as_str()
    }
}
