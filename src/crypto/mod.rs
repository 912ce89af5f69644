//! Keys and ciphers: RSA signing, verification and OAEP, and the symmetric helpers.
//!
//! The RSA work runs on a backend behind a small internal trait
//! ; `aws-lc-rs` is the default because reqwest's TLS already
//! builds it and it signs several times faster than the pure-Rust `rsa` crate.

pub mod aes_ecb;
pub mod aes_gcm;
mod backend;
pub mod error;
pub mod hash;
mod rsa;

pub use self::error::CryptoError;
pub use self::rsa::{PrivateKey, PublicKey};
