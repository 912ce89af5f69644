//! The sandbox's own error type: starting it, and the control calls that
//! play the user's part.

use std::fmt;

/// Why the sandbox could not start, or refused a control call.
///
/// ```
/// let err = wechatpay_sandbox::Sandbox::builder()
///     .listen("0.0.0.0:0".parse().unwrap())
///     .start_blocking()
///     .unwrap_err();
/// assert!(err.to_string().contains("loopback"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SandboxError {
    /// The sandbox serves loopback addresses only.
    NotLoopback(std::net::SocketAddr),
    /// The socket, thread or runtime could not be set up.
    Io(std::io::Error),
    /// A key of the sandbox's identity did not load.
    Key(wechatpay::Error),
    /// A control call was refused, as WeChat Pay would refuse it: the order
    /// does not exist, or is not in a state that allows the step.
    Refused {
        /// The HTTP status the same call over HTTP would get.
        status: u16,
        /// WeChat Pay's error code, e.g. `ORDER_NOT_EXIST`.
        code: String,
        /// Why, in words.
        message: String,
    },
}

impl fmt::Display for SandboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotLoopback(addr) => {
                write!(f, "the sandbox listens on loopback only, not {addr}")
            }
            Self::Io(e) => write!(f, "the sandbox could not start: {e}"),
            Self::Key(e) => write!(f, "a sandbox key did not load: {e}"),
            Self::Refused {
                status,
                code,
                message,
            } => write!(f, "the sandbox refused ({status} {code}): {message}"),
        }
    }
}

impl std::error::Error for SandboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Key(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for SandboxError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<wechatpay::Error> for SandboxError {
    fn from(e: wechatpay::Error) -> Self {
        Self::Key(e)
    }
}
