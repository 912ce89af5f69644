//! Keys and ciphers: RSA signing, verification and OAEP, key loading in
//! every form WeChat Pay hands out, and the symmetric helpers.
//!
//! The RSA work runs on a backend behind a small internal trait pair, chosen
//! at build time (see [`BACKEND`]): `aws-lc-rs` by default, because
//! reqwest's TLS already builds it and it signs several times faster than the
//! pure-Rust `rsa` crate; the `rsa` crate (0.10) with the `rustcrypto` cargo
//! feature, for targets without a C toolchain. Both give the same results
//! and pass the same tests.
//!
//! RSA encryption is OAEP (SHA-1) only; PKCS#1 v1.5 encryption is refused
//! by having no API, as wechatpay-php refuses it since 1.4.10.

pub mod aes_ecb;
pub mod aes_gcm;
mod backend;
pub mod error;
pub mod hash;
mod pkcs12;
mod rsa;
pub(crate) mod source;

pub use self::error::CryptoError;
pub use self::pkcs12::Pkcs12;
pub use self::rsa::{PrivateKey, PublicKey, pkcs1_to_spki};

/// The RSA backend compiled in: `"aws-lc-rs"` (the default) or `"rsa"`
/// (cargo feature `rustcrypto`). For diagnostics and bug reports.
///
/// ```
/// let backend = wechatpay::crypto::BACKEND;
/// assert!(backend == "aws-lc-rs" || backend == "rsa");
/// ```
pub const BACKEND: &str = backend::NAME;
