//! The crate's one error type, and the API error parsed from WeChat Pay's body.

use std::fmt;

use http::StatusCode;

use crate::Response;

/// Everything that can go wrong with a call, from a bad option to a forged reply.
///
/// Each variant says which stage refused: nothing is sent when the error comes
/// from the options, the template or the configuration, and a response is kept
/// whenever one arrived, so the caller can log `Request-ID` or inspect the body.
/// No variant ever carries a private key, an APIv3 key or an APIv2 secret.
///
/// ```
/// use wechatpay::Error;
/// fn describe(e: &Error) -> String {
///     match e {
///         Error::Api { status, code, .. } => format!("{status} {code:?}"),
///         Error::Verification { reason, .. } => format!("forged or broken reply: {reason}"),
///         Error::MissingVariable { name, .. } => format!("give `{name}`"),
///         other => other.to_string(),
///     }
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// WeChat Pay answered with a status other than 2xx or 3xx.
    ///
    /// `code` and `message` come from the JSON error body
    /// (`{"code":"PARAM_ERROR","message":"…"}`) or from APIv2's
    /// `return_code`/`err_code`, when present.
    #[error("WeChat Pay answered {status}{}{}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// WeChat Pay's error code, e.g. `PARAM_ERROR`.
        code: Option<String>,
        /// WeChat Pay's human-readable message.
        message: Option<String>,
        /// The whole response, unverified.
        response: Box<Response>,
    },

    /// A 2xx/3xx response failed verification; it must not be trusted.
    #[error("response verification failed: {reason}")]
    Verification {
        /// Which check failed, with the values involved.
        reason: VerificationFailure,
        /// The response as received.
        response: Box<Response>,
    },

    /// An incoming callback (notification) failed verification.
    #[error("callback verification failed: {0}")]
    Callback(VerificationFailure),

    /// A variable the path template needs is absent, null, `""` or an empty list.
    #[error("the URI template `{template}` needs the variable `{name}`, which is missing or empty")]
    MissingVariable {
        /// The variable's name, as written in the template.
        name: String,
        /// The template that needs it.
        template: String,
    },

    /// The template, a variable or the expanded URI is not usable.
    #[error("invalid URI: {0}")]
    Uri(String),

    /// The request options are not usable (wrong type for a known key, a bad header…).
    #[error("invalid options: {0}")]
    Options(String),

    /// The client is not configured for this call.
    #[error("configuration error: {0}")]
    Config(String),

    /// A key, certificate or cipher text could not be used.
    #[error("crypto error: {0}")]
    Crypto(String),

    /// An APIv2 XML payload could not be built or parsed.
    #[error("XML error: {0}")]
    Xml(String),

    /// A body did not fit the type asked for.
    #[error("could not decode the body as {target}: {source}")]
    Decode {
        /// The type asked for.
        target: &'static str,
        /// Why it did not fit.
        source: serde_json::Error,
    },

    /// The response body exceeded the configured size cap; nothing was kept.
    #[error("response body exceeds the {limit}-byte cap")]
    BodyTooLarge {
        /// The cap in bytes.
        limit: usize,
    },

    /// The connection failed, timed out, or the body was cut off.
    #[error("transport error: {}", causes(.0.as_ref()))]
    Transport(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// An error and its sources on one line: reqwest's top-level message alone
/// ("error sending request") hides the cause a reader needs.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

impl Error {
    /// The response attached to this error, if one arrived.
    ///
    /// ```
    /// # fn f(e: wechatpay::Error) {
    /// if let Some(r) = e.response() {
    ///     eprintln!("Request-ID: {:?}", r.headers().get("Request-ID"));
    /// }
    /// # }
    /// ```
    pub fn response(&self) -> Option<&Response> {
        match self {
            Error::Api { response, .. } | Error::Verification { response, .. } => Some(response),
            _ => None,
        }
    }

    /// Whether the request surely never reached the network (options,
    /// template or configuration refused it), so retrying it unchanged is pointless.
    ///
    /// ```
    /// let e = wechatpay::Error::Options("bad".into());
    /// assert!(e.is_before_send());
    /// ```
    pub fn is_before_send(&self) -> bool {
        matches!(
            self,
            Error::MissingVariable { .. }
                | Error::Uri(_)
                | Error::Options(_)
                | Error::Config(_)
                | Error::Crypto(_)
                | Error::Xml(_)
        )
    }

    pub(crate) fn transport<E: std::error::Error + Send + Sync + 'static>(e: E) -> Self {
        Error::Transport(Box::new(e))
    }

    /// Builds `Error::Api` from a non-2xx/3xx response, reading WeChat Pay's
    /// JSON error body when there is one.
    pub(crate) fn api(response: Response) -> Self {
        #[derive(serde::Deserialize)]
        struct Body {
            code: Option<String>,
            message: Option<String>,
        }
        let parsed: Option<Body> = serde_json::from_slice(response.body()).ok();
        let (code, message) = parsed.map(|b| (b.code, b.message)).unwrap_or((None, None));
        Error::Api {
            status: response.status(),
            code,
            message,
            response: Box::new(response),
        }
    }
}

impl From<crate::crypto::CryptoError> for Error {
    fn from(e: crate::crypto::CryptoError) -> Self {
        Error::Crypto(e.to_string())
    }
}

/// The check a response (or a callback) failed, with the values involved.
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
    /// `Wechatpay-Timestamp` is not a whole number of seconds.
    InvalidTimestamp(String),
    /// The timestamp is more than the allowed offset away from local time.
    StaleTimestamp {
        /// The response's timestamp.
        response: i64,
        /// Local time when checked.
        local: i64,
        /// The allowed offset in seconds.
        allowed: i64,
    },
    /// `Wechatpay-Serial` names no configured public key or certificate.
    UnknownSerial {
        /// The serial the response named.
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
        /// The response's timestamp.
        timestamp: String,
        /// The response's nonce.
        nonce: String,
    },
    /// An APIv2 reply carries no `sign`, or it does not match.
    BadXmlSign(String),
    /// A callback's nonce was seen before (replay).
    Replayed(String),
}

impl fmt::Display for VerificationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeader(h) => write!(
                f,
                "header `{h}` is missing (Wechatpay-Timestamp, -Nonce, -Serial and -Signature are all required)"
            ),
            Self::InvalidTimestamp(t) => write!(f, "Wechatpay-Timestamp `{t}` is not unix seconds"),
            Self::StaleTimestamp {
                response,
                local,
                allowed,
            } => write!(
                f,
                "timestamp {response} is {}s away from local time {local}, more than the allowed ±{allowed}s",
                (local - response).abs()
            ),
            Self::UnknownSerial { serial, known } => write!(
                f,
                "Wechatpay-Serial `{serial}` is not configured (configured: {})",
                known.join(", ")
            ),
            Self::SignatureProbe => {
                write!(
                    f,
                    "the signature is a WECHATPAY/SIGNTEST/ probe, which never verifies"
                )
            }
            Self::MalformedSignature => write!(f, "Wechatpay-Signature is not base64"),
            Self::BadSignature {
                serial,
                timestamp,
                nonce,
            } => write!(
                f,
                "signature does not verify with `{serial}` over timestamp={timestamp}, nonce={nonce} and the body"
            ),
            Self::BadXmlSign(why) => write!(f, "APIv2 sign check failed: {why}"),
            Self::Replayed(nonce) => write!(f, "nonce `{nonce}` was already seen (replay)"),
        }
    }
}
