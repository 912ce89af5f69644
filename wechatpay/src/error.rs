//! The crate's one error type.
//!
//! [`Error`] is opaque, as reqwest's is: a private kind, the facts a caller
//! acts on behind `is_*` methods, and the cause behind
//! [`source`](std::error::Error::source). Two reasons drove this over a
//! public enum. First, the fact that matters most for a payment, whether
//! the request could have reached WeChat Pay, is not a property of the
//! kind: a decode error after an answer and a decode error of the caller's
//! options differ exactly there, so it is recorded as the call happens and
//! asked with [`Error::is_before_send`]. Second, new kinds (a retry budget
//! spent, a proxy refusal) can be added without breaking anyone's `match`.

use std::{borrow::Cow, fmt};

use http::StatusCode;

use crate::{Response, crypto::CryptoError};

/// A boxed error of any type, the shape of every [`Error`] source.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong with a call, from a bad option to a forged
/// answer.
///
/// Ask what happened with the `is_*` methods; walk
/// [`source`](std::error::Error::source) for the cause. An error never carries a
/// private key, an APIv3 key or an APIv2 secret.
///
/// ```
/// use wechatpay::Error;
/// fn describe(e: &Error) -> String {
///     if let Some(api) = e.api_error() {
///         format!("{} {}", api.status(), api.code().unwrap_or("-"))
///     } else if e.is_verification() {
///         format!("forged or broken answer: {e}")
///     } else if e.is_before_send() {
///         format!("nothing was sent: {e}")
///     } else {
///         format!("outcome unknown, query before retrying: {e}")
///     }
/// }
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    reach: Reach,
    message: Cow<'static, str>,
    source: Option<BoxError>,
    response: Option<Response>,
    detail: Detail,
}

/// What stage refused. Private so that kinds can be added freely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The client's configuration, at build time or for this call.
    Config,
    /// The call's options.
    Options,
    /// The URI template or its expansion.
    Template,
    /// A key, certificate or cipher.
    Crypto,
    /// DNS, TCP or the TLS handshake: no connection was made.
    Connect,
    /// A deadline passed.
    Timeout,
    /// The connection failed while the request or the answer was in flight.
    Request,
    /// The answer's body was too large or cut off.
    Body,
    /// WeChat Pay answered with a status other than 2xx or 3xx.
    Api,
    /// An answer or a callback failed verification.
    Verification,
    /// A body did not fit the type asked for.
    Decode,
    /// A layer added to the stack (or a custom signer) failed.
    Layer,
    /// Writing a download (a bill) to the caller's sink failed.
    Sink,
}

/// How far a call got: the fact a retry must be built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Reach {
    /// Nothing left this process, or no connection was ever established.
    NotSent,
    /// Bytes of the request may have been written: WeChat Pay may have it.
    MaybeSent,
    /// An answer arrived.
    Answered,
}

enum Detail {
    None,
    Api(ApiError),
    Verification(VerificationFailure),
    MissingVariable { name: String, template: String },
}

impl Error {
    fn new(kind: Kind, reach: Reach, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                reach,
                message: message.into(),
                source: None,
                response: None,
                detail: Detail::None,
            }),
        }
    }

    fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// An error of a layer or signer of your own, for [`Middleware`] and
    /// [`MessageSigner`] implementations. Whether the call could have
    /// reached WeChat Pay is still judged by what the transport did.
    ///
    /// [`Middleware`]: crate::middleware::Middleware
    /// [`MessageSigner`]: crate::middleware::MessageSigner
    ///
    /// ```
    /// let e = wechatpay::Error::custom("the signing service is down");
    /// assert!(e.is_before_send());
    /// assert_eq!(e.to_string(), "the signing service is down");
    /// ```
    pub fn custom(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        let source = source.into();
        Self::new(Kind::Layer, Reach::NotSent, source.to_string()).with_source(source)
    }

    pub(crate) fn config(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Kind::Config, Reach::NotSent, message)
    }

    pub(crate) fn config_caused(
        message: impl Into<Cow<'static, str>>,
        source: impl Into<BoxError>,
    ) -> Self {
        Self::config(message).with_source(source)
    }

    pub(crate) fn options(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Kind::Options, Reach::NotSent, message)
    }

    pub(crate) fn template(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Kind::Template, Reach::NotSent, message)
    }

    pub(crate) fn variable_missing(name: &str, template: &str) -> Self {
        let mut e = Self::new(
            Kind::Template,
            Reach::NotSent,
            format!(
                "the URI template `{template}` needs the variable `{name}`, which is missing or empty"
            ),
        );
        e.inner.detail = Detail::MissingVariable {
            name: name.to_string(),
            template: template.to_string(),
        };
        e
    }

    pub(crate) fn connect(
        message: impl Into<Cow<'static, str>>,
        source: impl Into<BoxError>,
    ) -> Self {
        Self::new(Kind::Connect, Reach::NotSent, message).with_source(source)
    }

    /// A deadline passed; `connect` when no connection had been made yet.
    pub(crate) fn timeout(after: std::time::Duration, connecting: bool, reach: Reach) -> Self {
        let message = if connecting {
            format!("no connection within {after:?}")
        } else {
            format!("no complete answer within {after:?}")
        };
        let mut e = Self::new(Kind::Timeout, reach, message);
        if connecting {
            e.inner.reach = Reach::NotSent;
            e.inner.source = Some(Box::new(ConnectTimeout));
        }
        e
    }

    pub(crate) fn request(
        message: impl Into<Cow<'static, str>>,
        source: impl Into<BoxError>,
        reach: Reach,
    ) -> Self {
        Self::new(Kind::Request, reach, message).with_source(source)
    }

    pub(crate) fn body_too_large(limit: usize) -> Self {
        Self::new(
            Kind::Body,
            Reach::Answered,
            format!("the answer's body exceeds the {limit}-byte cap"),
        )
    }

    pub(crate) fn body(message: impl Into<Cow<'static, str>>, source: impl Into<BoxError>) -> Self {
        Self::new(Kind::Body, Reach::Answered, message).with_source(source)
    }

    /// A non-2xx/3xx answer. `verified` says whether its signature checked
    /// out; an unverified body is never presented as WeChat Pay's words.
    pub(crate) fn api(api: ApiError, response: Response) -> Self {
        let mut e = Self::new(Kind::Api, Reach::Answered, "");
        e.inner.detail = Detail::Api(api);
        e.inner.response = Some(response);
        e
    }

    pub(crate) fn verification(reason: VerificationFailure, response: Response) -> Self {
        let mut e = Self::new(Kind::Verification, Reach::Answered, "");
        e.inner.detail = Detail::Verification(reason);
        e.inner.response = Some(response);
        e
    }

    /// A callback (notification) failed verification; no call was involved.
    pub(crate) fn callback(reason: VerificationFailure) -> Self {
        let mut e = Self::new(Kind::Verification, Reach::NotSent, "callback");
        e.inner.detail = Detail::Verification(reason);
        e
    }

    /// Writing a download to the caller's sink failed, after WeChat Pay answered.
    pub(crate) fn sink(source: std::io::Error, response: Option<Response>) -> Self {
        let mut e = Self::new(
            Kind::Sink,
            Reach::Answered,
            "the download could not be written",
        )
        .with_source(source);
        e.inner.response = response;
        e
    }

    pub(crate) fn decode(target: &'static str, source: impl Into<BoxError>) -> Self {
        Self::new(
            Kind::Decode,
            Reach::NotSent,
            format!("could not decode the body as {target}"),
        )
        .with_source(source)
    }

    /// Keeps the answer this error is about (a decode error of a response, say).
    pub(crate) fn answered(mut self, response: Response) -> Self {
        self.inner.reach = Reach::Answered;
        self.inner.response = Some(response);
        self
    }

    /// Raises how far the call got to what the transport recorded: an error
    /// made by a layer after the request went out must not claim it never did.
    pub(crate) fn reached(mut self, reach: Reach) -> Self {
        self.inner.reach = self.inner.reach.max(reach);
        self
    }

    /// Whether nothing of this call could have reached WeChat Pay: options,
    /// template, configuration or key errors found before sending, and a
    /// connection that was never established. Such a call is safe to send
    /// again; one for which this is `false` may have been carried out.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// # let client = sandbox.client()?;
    /// let e = client.chain("v3/payscore/serviceorder/{out_order_no}").get(()).unwrap_err();
    /// assert!(e.is_before_send()); // the variable is missing: nothing was sent
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_before_send(&self) -> bool {
        self.inner.reach == Reach::NotSent
    }

    /// Whether the request may have reached WeChat Pay but no answer came
    /// (a timeout or a lost connection after sending): the outcome is
    /// unknown, so query the order before trying again.
    ///
    /// ```
    /// let e = wechatpay::Error::custom("x");
    /// assert!(!e.is_outcome_unknown());
    /// ```
    pub fn is_outcome_unknown(&self) -> bool {
        self.inner.reach == Reach::MaybeSent
    }

    /// Whether a deadline passed (the connect timeout, the call's timeout).
    ///
    /// ```
    /// let e = wechatpay::Error::custom("x");
    /// assert!(!e.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == Kind::Timeout
    }

    /// Whether no connection could be made: DNS, TCP, the TLS handshake, the
    /// [proxy](crate::Builder::proxy) (unreachable, credentials rejected, a
    /// tunnel refused), or the connect timeout. Nothing was sent.
    ///
    /// ```
    /// let e = wechatpay::Error::custom("x");
    /// assert!(!e.is_connect());
    /// ```
    pub fn is_connect(&self) -> bool {
        self.inner.kind == Kind::Connect
            || (self.inner.kind == Kind::Timeout
                && self
                    .inner
                    .source
                    .as_ref()
                    .is_some_and(|s| s.is::<ConnectTimeout>()))
    }

    /// Whether WeChat Pay (or something claiming to be it) answered with a
    /// status other than 2xx or 3xx; see [`api_error`](Self::api_error).
    ///
    /// ```
    /// let e = wechatpay::Error::custom("x");
    /// assert!(!e.is_api());
    /// ```
    pub fn is_api(&self) -> bool {
        self.inner.kind == Kind::Api
    }

    /// Whether WeChat Pay said to slow down: status 429, or the code
    /// `FREQUENCY_LIMITED` or `RATELIMIT_EXCEED`. Waiting (`Retry-After`
    /// when given) and sending again is safe.
    ///
    /// ```
    /// let e = wechatpay::Error::custom("x");
    /// assert!(!e.is_rate_limited());
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        self.api_error().is_some_and(|a| {
            a.status() == StatusCode::TOO_MANY_REQUESTS
                || matches!(a.code(), Some("FREQUENCY_LIMITED" | "RATELIMIT_EXCEED"))
        })
    }

    /// Whether an answer (or a callback) failed verification: it must not
    /// be trusted; see [`verification_failure`](Self::verification_failure).
    ///
    /// ```
    /// let e = wechatpay::Error::custom("x");
    /// assert!(!e.is_verification());
    /// ```
    pub fn is_verification(&self) -> bool {
        self.inner.kind == Kind::Verification
    }

    /// Whether the client's configuration refused the call (a missing
    /// key, an APIv2 call without the APIv2 secret, …).
    ///
    /// ```
    /// let e = wechatpay::Builder::new().build().unwrap_err();
    /// assert!(e.is_config());
    /// ```
    pub fn is_config(&self) -> bool {
        self.inner.kind == Kind::Config
    }

    /// Whether the call's options were refused (a wrong type for a known
    /// key, a header that cannot be sent, …).
    ///
    /// ```
    /// let e = wechatpay::Error::custom("x");
    /// assert!(!e.is_options());
    /// ```
    pub fn is_options(&self) -> bool {
        self.inner.kind == Kind::Options
    }

    /// Whether the URI template, or its expansion with the options'
    /// variables, was refused; see [`missing_variable`](Self::missing_variable).
    ///
    /// ```
    /// let e = wechatpay::Error::custom("x");
    /// assert!(!e.is_template());
    /// ```
    pub fn is_template(&self) -> bool {
        self.inner.kind == Kind::Template
    }

    /// Whether a key, certificate or cipher failed; the source is a
    /// [`CryptoError`].
    ///
    /// ```
    /// let e: wechatpay::Error = wechatpay::crypto::aes_ecb::encrypt(b"short", b"x").unwrap_err().into();
    /// assert!(e.is_crypto());
    /// ```
    pub fn is_crypto(&self) -> bool {
        self.inner.kind == Kind::Crypto
    }

    /// Whether the answer's body was too large or cut off.
    ///
    /// ```
    /// let e = wechatpay::Error::custom("x");
    /// assert!(!e.is_body());
    /// ```
    pub fn is_body(&self) -> bool {
        self.inner.kind == Kind::Body
    }

    /// Whether a body did not fit the type asked for
    /// ([`ResponseExt::json`](crate::ResponseExt::json)).
    ///
    /// ```
    /// use wechatpay::ResponseExt;
    /// let r: wechatpay::Response = http::Response::new(bytes::Bytes::from_static(b"[]"));
    /// assert!(r.json::<std::collections::HashMap<String, String>>().unwrap_err().is_decode());
    /// ```
    pub fn is_decode(&self) -> bool {
        self.inner.kind == Kind::Decode
    }

    /// Whether writing a download (a [bill](crate::bills)) to the sink you
    /// gave failed: the disk is full, the file was closed. The source is the
    /// `std::io::Error`.
    ///
    /// ```
    /// let e = wechatpay::Error::custom("x");
    /// assert!(!e.is_sink());
    /// ```
    pub fn is_sink(&self) -> bool {
        self.inner.kind == Kind::Sink
    }

    /// Whether a layer of your own (or a custom signer) failed.
    ///
    /// ```
    /// assert!(wechatpay::Error::custom("x").is_custom());
    /// ```
    pub fn is_custom(&self) -> bool {
        self.inner.kind == Kind::Layer
    }

    /// The answer this error is about, if one arrived: log its `Request-ID`,
    /// inspect its body. For a verification failure it is the unverified answer.
    ///
    /// ```
    /// # fn f(e: wechatpay::Error) {
    /// if let Some(r) = e.response() {
    ///     eprintln!("Request-ID: {:?}", r.headers().get("Request-ID"));
    /// }
    /// # }
    /// ```
    pub fn response(&self) -> Option<&Response> {
        self.inner.response.as_ref()
    }

    /// The answer, taken out of the error.
    ///
    /// ```
    /// assert!(wechatpay::Error::custom("x").into_response().is_none());
    /// ```
    pub fn into_response(self) -> Option<Response> {
        self.inner.response
    }

    /// The HTTP status of the answer, if one arrived.
    ///
    /// ```
    /// assert!(wechatpay::Error::custom("x").status().is_none());
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.response.as_ref().map(|r| r.status())
    }

    /// WeChat Pay's error, when it answered with one.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// # let client = sandbox.client()?;
    /// let e = client["v3/payscore/serviceorder"]
    ///     .get(serde_json::json!({"query": {"out_order_no": "NOPE0001", "service_id": "2002000000000558128851361561536", "appid": "wxd678efh567hg6787"}}))
    ///     .unwrap_err();
    /// let api = e.api_error().unwrap();
    /// assert_eq!(api.status(), 404);
    /// assert!(api.is_verified());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.inner.detail {
            Detail::Api(a) => Some(a),
            _ => None,
        }
    }

    /// Which check an answer or callback failed.
    ///
    /// ```
    /// assert!(wechatpay::Error::custom("x").verification_failure().is_none());
    /// ```
    pub fn verification_failure(&self) -> Option<&VerificationFailure> {
        match &self.inner.detail {
            Detail::Verification(v) => Some(v),
            _ => None,
        }
    }

    /// The template variable that was missing or empty.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// # let client = sandbox.client()?;
    /// let e = client.chain("v3/x/{out_order_no}").get(()).unwrap_err();
    /// assert_eq!(e.missing_variable(), Some("out_order_no"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn missing_variable(&self) -> Option<&str> {
        match &self.inner.detail {
            Detail::MissingVariable { name, .. } => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.detail {
            Detail::Api(api) => write!(f, "{api}")?,
            Detail::Verification(reason) if self.inner.response.is_some() => write!(
                f,
                "the answer failed verification, do not trust it: {reason}"
            )?,
            Detail::Verification(reason) => write!(f, "callback verification failed: {reason}")?,
            _ => f.write_str(&self.inner.message)?,
        }
        // reqwest-style top-level messages alone ("error sending request")
        // hide the cause a reader needs: add the chain, once each.
        let mut written = self.inner.message.to_string();
        let mut source = self
            .inner
            .source
            .as_deref()
            .map(|s| s as &dyn std::error::Error);
        while let Some(s) = source {
            let text = s.to_string();
            if !text.is_empty() && !written.contains(&text) {
                write!(f, ": {text}")?;
                written.push_str(&text);
            }
            source = s.source();
        }
        if self.inner.reach == Reach::MaybeSent {
            f.write_str(" (the request may have reached WeChat Pay: query before trying again)")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("wechatpay::Error");
        d.field("kind", &self.inner.kind)
            .field("reach", &self.inner.reach);
        if !self.inner.message.is_empty() {
            d.field("message", &self.inner.message);
        }
        match &self.inner.detail {
            Detail::None => {}
            Detail::Api(a) => {
                d.field("api", a);
            }
            Detail::Verification(v) => {
                d.field("verification", v);
            }
            Detail::MissingVariable { name, template } => {
                d.field("missing_variable", name)
                    .field("template", template);
            }
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        if let Some(r) = &self.inner.response {
            d.field("status", &r.status());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<CryptoError> for Error {
    fn from(e: CryptoError) -> Self {
        Self::new(Kind::Crypto, Reach::NotSent, e.to_string()).with_source(e)
    }
}

/// A failed check of something WeChat Pay sent outside a call (a callback,
/// an APIv2 notification's `sign`), as an [`Error`] for `?`.
///
/// ```
/// let note = serde_json::json!({"return_code": "SUCCESS", "sign": "00"});
/// let checked: Result<(), wechatpay::Error> = (|| {
///     wechatpay::v2::verify(note.as_object().unwrap(), "secret")?;
///     Ok(())
/// })();
/// assert!(checked.unwrap_err().is_verification());
/// ```
impl From<VerificationFailure> for Error {
    fn from(reason: VerificationFailure) -> Self {
        Self::callback(reason)
    }
}

/// The source of a connect timeout, so `is_connect()` can tell it apart.
#[derive(Debug)]
struct ConnectTimeout;

impl fmt::Display for ConnectTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connect timeout")
    }
}

impl std::error::Error for ConnectTimeout {}

/// WeChat Pay's error answer: the status, and the `code`, `message` and
/// `detail` of its JSON body (or APIv2's `return_code`/`err_code`).
///
/// When [`is_verified`](Self::is_verified) is `false` the answer's
/// signature was absent or wrong: anyone on the path could have written it,
/// so its text is shown as a claim, never as WeChat Pay's.
///
/// ```
/// # fn f(e: &wechatpay::Error) {
/// if let Some(api) = e.api_error() {
///     println!("{} {:?} {:?} request {:?}", api.status(), api.code(), api.message(), api.request_id());
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: Option<String>,
    message: Option<String>,
    detail: Option<ErrorDetail>,
    request_id: Option<String>,
    verified: bool,
}

/// The `detail` of an APIv3 error answer: which input WeChat Pay refused,
/// so a `PARAM_ERROR` says which field.
///
/// ```
/// # fn f(api: &wechatpay::ApiError) {
/// if let Some(d) = api.detail() {
///     eprintln!("field {:?} in {:?}: {:?}", d.field(), d.location(), d.issue());
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ErrorDetail {
    raw: serde_json::Value,
}

impl ErrorDetail {
    fn text(&self, key: &str) -> Option<&str> {
        self.raw.get(key).and_then(serde_json::Value::as_str)
    }

    /// The field, e.g. `/amount/total` or `appid`.
    ///
    /// ```
    /// # fn f(d: &wechatpay::ErrorDetail) { let _ = d.field(); }
    /// ```
    pub fn field(&self) -> Option<&str> {
        self.text("field")
    }

    /// The value WeChat Pay saw there, as sent back.
    ///
    /// ```
    /// # fn f(d: &wechatpay::ErrorDetail) { let _ = d.value(); }
    /// ```
    pub fn value(&self) -> Option<&serde_json::Value> {
        self.raw.get("value")
    }

    /// What is wrong with it, e.g. `missing`.
    ///
    /// ```
    /// # fn f(d: &wechatpay::ErrorDetail) { let _ = d.issue(); }
    /// ```
    pub fn issue(&self) -> Option<&str> {
        self.text("issue")
    }

    /// Where it was: `body`, `query`, `uri_template`, `header`.
    ///
    /// ```
    /// # fn f(d: &wechatpay::ErrorDetail) { let _ = d.location(); }
    /// ```
    pub fn location(&self) -> Option<&str> {
        self.text("location")
    }

    /// The whole `detail` object as sent.
    ///
    /// ```
    /// # fn f(d: &wechatpay::ErrorDetail) { println!("{}", d.raw()); }
    /// ```
    pub fn raw(&self) -> &serde_json::Value {
        &self.raw
    }
}

impl ApiError {
    /// Reads an APIv3 error answer: `{"code": …, "message": …, "detail": …}`.
    pub(crate) fn from_json(response: &Response, verified: bool) -> Self {
        #[derive(serde::Deserialize)]
        struct Body {
            code: Option<String>,
            message: Option<String>,
            detail: Option<serde_json::Value>,
        }
        let body: Option<Body> = serde_json::from_slice(response.body()).ok();
        let (code, message, detail) = body
            .map(|b| (b.code, b.message, b.detail))
            .unwrap_or((None, None, None));
        Self::new(
            response,
            code,
            message,
            detail.map(|raw| ErrorDetail { raw }),
            verified,
        )
    }

    pub(crate) fn new(
        response: &Response,
        code: Option<String>,
        message: Option<String>,
        detail: Option<ErrorDetail>,
        verified: bool,
    ) -> Self {
        let request_id = response
            .headers()
            .get("Request-ID")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Self {
            status: response.status(),
            code,
            message,
            detail,
            request_id,
            verified,
        }
    }

    /// The HTTP status.
    ///
    /// ```
    /// # fn f(api: &wechatpay::ApiError) {
    /// if api.status() == 404 { /* no such order */ }
    /// # }
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error code, e.g. `PARAM_ERROR`, `ORDER_NOT_EXIST`, `SYSTEM_ERROR`.
    ///
    /// ```
    /// # fn f(api: &wechatpay::ApiError) {
    /// let retry_later = api.code() == Some("SYSTEM_ERROR");
    /// # }
    /// ```
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The human-readable message.
    ///
    /// ```
    /// # fn f(api: &wechatpay::ApiError) {
    /// eprintln!("{}", api.message().unwrap_or(""));
    /// # }
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The `detail` of an APIv3 error: `field`, `value`, `issue`, `location`.
    ///
    /// ```
    /// # fn f(api: &wechatpay::ApiError) {
    /// if let Some(field) = api.detail().and_then(|d| d.field()) { eprintln!("bad field {field}"); }
    /// # }
    /// ```
    pub fn detail(&self) -> Option<&ErrorDetail> {
        self.detail.as_ref()
    }

    /// The `Request-ID` header, which WeChat Pay's support asks for.
    ///
    /// ```
    /// # fn f(api: &wechatpay::ApiError) {
    /// eprintln!("Request-ID {}", api.request_id().unwrap_or("-"));
    /// # }
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Whether the answer's signature verified, so the code and message are
    /// WeChat Pay's own. With verification off, or a missing or bad
    /// signature, this is `false`.
    ///
    /// ```
    /// # fn f(api: &wechatpay::ApiError) {
    /// if !api.is_verified() { eprintln!("unverified error answer"); }
    /// # }
    /// ```
    pub fn is_verified(&self) -> bool {
        self.verified
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.verified {
            write!(f, "WeChat Pay answered {}", self.status.as_u16())?;
        } else {
            write!(
                f,
                "an unverified answer with status {}",
                self.status.as_u16()
            )?;
        }
        let said = if self.verified { "" } else { " claims" };
        match (&self.code, &self.message) {
            (Some(c), Some(m)) => write!(f, "{said} {}: {}", escaped(c), escaped(m))?,
            (Some(c), None) => write!(f, "{said} {}", escaped(c))?,
            (None, Some(m)) => write!(f, "{said}: {}", escaped(m))?,
            (None, None) => {}
        }
        if let Some(d) = &self.detail {
            let parts: Vec<String> = [
                ("field", d.field()),
                ("issue", d.issue()),
                ("in", d.location()),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k} {}", escaped(v))))
            .collect();
            if !parts.is_empty() {
                write!(f, " ({})", parts.join(", "))?;
            }
        }
        if let Some(id) = &self.request_id {
            write!(f, " (Request-ID {})", escaped(id))?;
        }
        Ok(())
    }
}

/// Server-provided text with control characters escaped, so an answer
/// cannot forge log lines or send terminal escapes.
pub(crate) fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The check an answer (or a callback) failed, with the values involved.
///
/// ```
/// use wechatpay::VerificationFailure;
/// let f = VerificationFailure::MissingHeader("Wechatpay-Signature");
/// assert!(f.to_string().contains("Wechatpay-Signature"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationFailure {
    /// One of `Wechatpay-Timestamp`, `-Nonce`, `-Serial`, `-Signature` is absent or not text.
    MissingHeader(&'static str),
    /// One of those headers was sent more than once, so the answer is ambiguous.
    DuplicateHeader(&'static str),
    /// `Wechatpay-Signature-Type` names a scheme other than `WECHATPAY2-SHA256-RSA2048`.
    UnsupportedSignatureType(String),
    /// `Wechatpay-Timestamp` is not a whole number of seconds.
    InvalidTimestamp(String),
    /// The timestamp is more than the allowed offset away from local time.
    StaleTimestamp {
        /// The answer's timestamp.
        response: i64,
        /// Local time when checked.
        local: i64,
        /// The allowed offset in seconds.
        allowed: i64,
    },
    /// `Wechatpay-Serial` names no configured public key or certificate.
    UnknownSerial {
        /// The serial the answer named.
        serial: String,
        /// The serials and public-key IDs configured.
        known: Vec<String>,
    },
    /// The signature is WeChat Pay's `WECHATPAY/SIGNTEST/` probe, never valid.
    SignatureProbe,
    /// The signature is not base64.
    MalformedSignature,
    /// The signature does not verify over `timestamp\nnonce\nbody\n`.
    BadSignature {
        /// The serial whose key was used.
        serial: String,
        /// The answer's timestamp.
        timestamp: String,
        /// The answer's nonce.
        nonce: String,
    },
    /// An APIv2 answer is not XML WeChat Pay would send.
    MalformedXml(String),
    /// An APIv2 answer carries no `sign`, or it does not match.
    BadXmlSign(String),
    /// A callback's nonce was seen before (replay).
    Replayed(String),
    /// A callback's body is larger than the verifier accepts.
    TooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// A downloaded bill's SHA-1 is not the `hash_value` WeChat Pay gave for
    /// it: it was cut short, altered, or is another bill.
    BillDigest {
        /// The `hash_value` of the bill answer, lowercase.
        expected: String,
        /// The SHA-1 of what was downloaded (after gunzipping).
        actual: String,
    },
}

impl fmt::Display for VerificationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeader(h) => write!(
                f,
                "header `{h}` is missing (Wechatpay-Timestamp, -Nonce, -Serial and -Signature are all required)"
            ),
            Self::DuplicateHeader(h) => write!(f, "header `{h}` was sent more than once"),
            Self::UnsupportedSignatureType(t) => write!(
                f,
                "Wechatpay-Signature-Type `{}` is not WECHATPAY2-SHA256-RSA2048",
                escaped(t)
            ),
            Self::InvalidTimestamp(t) => {
                write!(
                    f,
                    "Wechatpay-Timestamp `{}` is not unix seconds",
                    escaped(t)
                )
            }
            Self::StaleTimestamp {
                response,
                local,
                allowed,
            } => write!(
                f,
                "timestamp {response} is {}s away from local time {local}, more than the allowed ±{allowed}s",
                local.abs_diff(*response)
            ),
            Self::UnknownSerial { serial, known } => write!(
                f,
                "Wechatpay-Serial `{}` is not configured (configured: {})",
                escaped(serial),
                known.join(", ")
            ),
            Self::SignatureProbe => write!(
                f,
                "the signature is a WECHATPAY/SIGNTEST/ probe, which never verifies"
            ),
            Self::MalformedSignature => write!(f, "Wechatpay-Signature is not base64"),
            Self::BadSignature {
                serial,
                timestamp,
                nonce,
            } => write!(
                f,
                "signature does not verify with `{}` over timestamp={}, nonce={} and the body",
                escaped(serial),
                escaped(timestamp),
                escaped(nonce)
            ),
            Self::MalformedXml(why) => write!(f, "the APIv2 answer is not usable XML: {why}"),
            Self::BadXmlSign(why) => write!(f, "APIv2 sign check failed: {why}"),
            Self::Replayed(nonce) => {
                write!(f, "nonce `{}` was already seen (replay)", escaped(nonce))
            }
            Self::TooLarge { limit } => {
                write!(f, "the body is larger than the {limit}-byte cap")
            }
            Self::BillDigest { expected, actual } => write!(
                f,
                "the bill's SHA-1 is {} where WeChat Pay gave {}: discard what was written",
                escaped(actual),
                escaped(expected)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Response {
        let mut r = http::Response::new(bytes::Bytes::from(body.to_string()));
        *r.status_mut() = StatusCode::from_u16(status).unwrap();
        r.headers_mut()
            .insert("Request-ID", http::HeaderValue::from_static("R1"));
        r
    }

    #[test]
    fn reach_only_rises() {
        let e = Error::options("bad");
        assert!(e.is_before_send());
        let e = e.reached(Reach::MaybeSent);
        assert!(!e.is_before_send() && e.is_outcome_unknown());
        let e = e.reached(Reach::NotSent);
        assert!(e.is_outcome_unknown(), "never lowered");
        assert!(e.to_string().contains("query before trying again"));
    }

    #[test]
    fn api_errors_say_whether_they_are_verified() {
        let body = r#"{"code":"SIGN_ERROR","message":"bad\n[FAKE] log line\u001b[31m","detail":{"field":"x"}}"#;
        let r = answer(401, body);
        let verified = Error::api(ApiError::from_json(&r, true), r.clone());
        assert!(verified.to_string().starts_with("WeChat Pay answered 401"));
        let forged = Error::api(ApiError::from_json(&r, false), r);
        let text = forged.to_string();
        assert!(
            text.starts_with("an unverified answer with status 401 claims SIGN_ERROR"),
            "{text}"
        );
        assert!(!text.contains('\n') && !text.contains('\u{1b}'), "{text}");
        let api = forged.api_error().unwrap();
        assert_eq!(api.request_id(), Some("R1"));
        assert_eq!(api.detail().unwrap().field(), Some("x"));
        assert!(forged.to_string().contains("(field x)"), "{forged}");
        assert!(!forged.is_before_send() && !forged.is_outcome_unknown());
    }

    #[test]
    fn connect_timeouts_are_connect_errors_and_never_sent() {
        let e = Error::timeout(std::time::Duration::from_secs(1), true, Reach::MaybeSent);
        assert!(e.is_timeout() && e.is_connect() && e.is_before_send());
        let e = Error::timeout(std::time::Duration::from_secs(1), false, Reach::MaybeSent);
        assert!(e.is_timeout() && !e.is_connect() && e.is_outcome_unknown());
    }

    #[test]
    fn stale_timestamps_at_the_extremes_do_not_overflow() {
        let f = VerificationFailure::StaleTimestamp {
            response: i64::MIN,
            local: i64::MAX,
            allowed: 300,
        };
        assert!(f.to_string().contains(&u64::MAX.to_string()));
    }
}
