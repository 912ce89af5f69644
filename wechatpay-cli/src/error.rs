//! The CLI's errors and the exit status each gets.

use std::fmt;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// A flag or argument is missing or malformed.
    Usage(String),
    /// A file could not be read or written, or the runtime not started.
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The library refused, or WeChat Pay answered an error.
    WeChatPay(wechatpay::Error),
    /// The sandbox could not start.
    Sandbox(wechatpay_sandbox::SandboxError),
    /// A failure, with what to do about it.
    Advised {
        /// What failed.
        error: Box<CliError>,
        /// What to do instead.
        advice: String,
    },
}

impl CliError {
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }

    /// 2 usage or configuration, 3 WeChat Pay answered an error, 4 an
    /// answer or callback failed verification, 1 anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Advised { error, .. } => error.exit_code(),
            Self::Usage(_) => 2,
            Self::WeChatPay(e) if e.is_api() => 3,
            Self::WeChatPay(e) if e.is_verification() => 4,
            Self::WeChatPay(e)
                if e.is_config() || e.is_options() || e.is_template() || e.is_crypto() =>
            {
                2
            }
            _ => 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(m) => f.write_str(m),
            Self::Io { what, source } => write!(f, "{what}: {source}"),
            Self::WeChatPay(e) => write!(f, "{e}"),
            Self::Sandbox(e) => write!(f, "{e}"),
            Self::Advised { error, advice } => write!(f, "{error}. {advice}"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<wechatpay::Error> for CliError {
    fn from(e: wechatpay::Error) -> Self {
        Self::WeChatPay(e)
    }
}

impl From<wechatpay::crypto::CryptoError> for CliError {
    fn from(e: wechatpay::crypto::CryptoError) -> Self {
        Self::WeChatPay(e.into())
    }
}

impl From<wechatpay_sandbox::SandboxError> for CliError {
    fn from(e: wechatpay_sandbox::SandboxError) -> Self {
        Self::Sandbox(e)
    }
}
