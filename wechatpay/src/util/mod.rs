//! Utilities beside the client (PHP's `Util\*`).

pub mod media;
pub mod pem;
