//! The RSA operations the client needs, behind one small trait pair, so the
//! pure-Rust `rsa` crate can stand in for aws-lc-rs without touching callers.
//!
//! Exactly one implementation is compiled: aws-lc-rs by default (reqwest's
//! TLS already builds it, and it signs several times faster), the `rsa` crate
//! with the `rustcrypto` feature (for targets without a C toolchain). Key
//! *formats* (PEM, PKCS#1 wrapping, encrypted PKCS#8, PKCS#12) are handled
//! above this layer, so both backends only ever see PKCS#8, PKCS#1 or SPKI DER.

use std::sync::Arc;

use super::CryptoError;

#[cfg(not(feature = "rustcrypto"))]
mod aws_lc;
#[cfg(not(feature = "rustcrypto"))]
use aws_lc as imp;

#[cfg(feature = "rustcrypto")]
mod rust_crypto;
#[cfg(feature = "rustcrypto")]
use rust_crypto as imp;

/// The backend compiled in, for diagnostics.
pub(crate) const NAME: &str = imp::NAME;

/// Longest RSA modulus either backend accepts (8192 bits), so callers can
/// sign into a stack buffer instead of allocating one per call.
pub(crate) const MAX_MODULUS_LEN: usize = 8192 / 8;

/// Shortest modulus accepted (2048 bits): what aws-lc-rs enforces, applied to
/// both backends so that a key loads on one exactly when it loads on the other.
pub(crate) const MIN_MODULUS_LEN: usize = 2048 / 8;

/// A private key: RSA PKCS#1 v1.5 SHA-256 signatures and OAEP decryption.
pub(crate) trait SigningKey: Send + Sync {
    /// The modulus length in bytes, which is also the signature length.
    fn modulus_len(&self) -> usize;

    /// Signs into `out`, which is exactly [`modulus_len`](Self::modulus_len) long.
    fn sign_sha256(&self, message: &[u8], out: &mut [u8]) -> Result<(), CryptoError>;

    /// OAEP with SHA-1 and MGF1-SHA-1, empty label; `ciphertext` is exactly
    /// `modulus_len` long (checked by the caller, for a precise error).
    fn decrypt_oaep_sha1(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// The matching public key as SPKI DER.
    fn public_spki_der(&self) -> Result<Vec<u8>, CryptoError>;
}

/// A public key: RSA PKCS#1 v1.5 SHA-256 verification and OAEP encryption.
pub(crate) trait VerifyingKey: Send + Sync {
    /// The modulus length in bytes.
    fn modulus_len(&self) -> usize;

    /// Whether `signature` is a valid signature over `message`.
    fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool;

    /// OAEP with SHA-1 and MGF1-SHA-1, empty label; `plaintext` already fits
    /// (checked by the caller, for a precise error).
    fn encrypt_oaep_sha1(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// Parses PKCS#8 `PrivateKeyInfo` DER.
pub(crate) fn private_from_pkcs8(der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError> {
    Ok(Arc::new(imp::Private::from_pkcs8(der)?))
}

/// Parses PKCS#1 `RSAPrivateKey` DER.
pub(crate) fn private_from_pkcs1(der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError> {
    Ok(Arc::new(imp::Private::from_pkcs1(der)?))
}

/// Parses SPKI DER, once, so each verification skips parsing.
pub(crate) fn public_from_spki(spki: &[u8]) -> Result<Arc<dyn VerifyingKey>, CryptoError> {
    Ok(Arc::new(imp::Public::from_spki(spki)?))
}

/// The one RSA encryption scheme, as errors name it.
pub(crate) const OAEP: &str = "RSA-OAEP";

/// What [`private_from_pkcs8`] parses, for [`CryptoError::KeyRejected`].
pub(crate) const PKCS8_PRIVATE_KEY: &str = "PKCS#8 `PrivateKeyInfo`";
/// What [`private_from_pkcs1`] parses.
pub(crate) const PKCS1_PRIVATE_KEY: &str = "PKCS#1 `RSAPrivateKey`";
/// What [`public_from_spki`] is given (PKCS#1 arrives wrapped in SPKI, but
/// the caller may have handed over either).
pub(crate) const PUBLIC_KEY: &str = "SPKI `SubjectPublicKeyInfo` or PKCS#1 `RSAPublicKey`";

/// Maps a backend's own parse error to [`CryptoError::KeyRejected`], keeping
/// it as the source: both backends' errors are typed and show no key bytes.
fn rejected_as<E>(expected: &'static str) -> impl FnOnce(E) -> CryptoError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| CryptoError::KeyRejected {
        expected,
        source: Box::new(e),
    }
}

/// The size check shared by both backends.
fn check_modulus_len(len: usize) -> Result<(), CryptoError> {
    if (MIN_MODULUS_LEN..=MAX_MODULUS_LEN).contains(&len) {
        Ok(())
    } else {
        Err(CryptoError::UnsupportedKeySize { bits: len * 8 })
    }
}
