//! Utilities beside the client (PHP's `Util\*`).

pub mod pem;
