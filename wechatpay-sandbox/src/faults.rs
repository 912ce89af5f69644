//! Per-request misbehaviour, asked for with the `Wechatpay-Sandbox-Fault` header.

/// A fault the sandbox injects into one response.
///
/// ```
/// use wechatpay_sandbox::Fault;
/// assert_eq!(Fault::parse("stale_timestamp"), Some(Fault::StaleTimestamp));
/// assert_eq!(Fault::StaleTimestamp.name(), "stale_timestamp");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A valid signature over other bytes.
    BadSignature,
    /// A signature that is not even base64.
    GarbageSignature,
    /// A timestamp ten minutes old.
    StaleTimestamp,
    /// A `Wechatpay-Serial` nobody configured.
    UnknownSerial,
    /// No `Wechatpay-*` headers at all.
    MissingHeaders,
    /// WeChat Pay's `WECHATPAY/SIGNTEST/` probe signature.
    SignTest,
    /// A signed 500 SYSTEM_ERROR.
    ServerError,
    /// The answer comes after three seconds.
    Slow,
    /// No answer ever comes; the connection stays open until the client
    /// closes it (a timeout, a cancelled call).
    Hang,
    /// The connection is closed without an answer.
    Drop,
    /// The body arrives one byte every 100 ms.
    Drip,
    /// The body stops short of its `Content-Length`.
    Truncate,
    /// This response is signed in certificate mode.
    CertificateSerial,
}

/// The request header that asks for a fault.
///
/// ```
/// let o = wechatpay::Options::new().header(wechatpay_sandbox::FAULT_HEADER, "stale_timestamp");
/// ```
pub const FAULT_HEADER: &str = "Wechatpay-Sandbox-Fault";

const NAMES: &[(&str, Fault)] = &[
    ("bad_signature", Fault::BadSignature),
    ("garbage_signature", Fault::GarbageSignature),
    ("stale_timestamp", Fault::StaleTimestamp),
    ("unknown_serial", Fault::UnknownSerial),
    ("missing_headers", Fault::MissingHeaders),
    ("signtest", Fault::SignTest),
    ("server_error", Fault::ServerError),
    ("slow", Fault::Slow),
    ("hang", Fault::Hang),
    ("drop", Fault::Drop),
    ("drip", Fault::Drip),
    ("truncate", Fault::Truncate),
    ("certificate_serial", Fault::CertificateSerial),
];

impl Fault {
    /// The fault named `name`, as sent in the header.
    ///
    /// ```
    /// assert!(wechatpay_sandbox::Fault::parse("nonsense").is_none());
    /// ```
    pub fn parse(name: &str) -> Option<Fault> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// The header value naming this fault.
    ///
    /// ```
    /// assert_eq!(wechatpay_sandbox::Fault::Drop.name(), "drop");
    /// ```
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("")
    }

    /// Options that ask for this fault on a call.
    ///
    /// ```
    /// let o = wechatpay_sandbox::Fault::Slow.options();
    /// assert_eq!(o.as_map()["headers"]["Wechatpay-Sandbox-Fault"], "slow");
    /// ```
    pub fn options(self) -> wechatpay::Options {
        wechatpay::Options::new().header(FAULT_HEADER, self.name())
    }
}
