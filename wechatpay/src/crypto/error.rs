//! Error type shared by the symmetric crypto helpers.
//!
//! Messages name the offending input and what was expected, but never echo
//! key material: these errors end up in logs and in HTTP error bodies.

/// Everything that can go wrong in [`aes_gcm`](crate::crypto::aes_gcm) and
/// [`aes_ecb`](crate::crypto::aes_ecb).
///
/// Every failure is reported through this type instead of panicking, because
/// the inputs (notification payloads, merchant configuration) come from
/// outside the program.
///
/// # Example
///
/// ```
/// use wechatpay::crypto::aes_gcm;
/// use wechatpay::crypto::error::CryptoError;
///
/// let err = aes_gcm::encrypt(&[0u8; 16], b"0123456789ab", b"", b"hi").unwrap_err();
/// assert!(matches!(err, CryptoError::InvalidKeyLength { expected: 32, actual: 16, .. }));
/// assert_eq!(err.to_string(), "AES-256-GCM key must be 32 bytes, got 16");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The key does not have the length the cipher requires.
    ///
    /// ```
    /// use wechatpay::crypto::{aes_ecb, error::CryptoError};
    ///
    /// let err = aes_ecb::encrypt(b"short", b"data").unwrap_err();
    /// assert!(matches!(err, CryptoError::InvalidKeyLength { actual: 5, .. }));
    /// ```
    #[error("{algorithm} key must be {expected} bytes, got {actual}")]
    InvalidKeyLength {
        /// Cipher the key was meant for, e.g. `"AES-256-GCM"`.
        algorithm: &'static str,
        /// Required key length in bytes.
        expected: usize,
        /// Length of the key that was supplied.
        actual: usize,
    },

    /// The nonce (IV) does not have the length the cipher requires.
    ///
    /// ```
    /// use wechatpay::crypto::{aes_gcm, error::CryptoError};
    ///
    /// let key = b"0123456789abcdef0123456789abcdef";
    /// let err = aes_gcm::encrypt(key, b"short", b"", b"data").unwrap_err();
    /// assert!(matches!(err, CryptoError::InvalidNonceLength { expected: 12, actual: 5, .. }));
    /// ```
    #[error("{algorithm} nonce must be {expected} bytes, got {actual}")]
    InvalidNonceLength {
        /// Cipher the nonce was meant for.
        algorithm: &'static str,
        /// Required nonce length in bytes.
        expected: usize,
        /// Length of the nonce that was supplied.
        actual: usize,
    },

    /// The ciphertext is not valid standard (padded) base64.
    ///
    /// ```
    /// use wechatpay::crypto::{aes_ecb, error::CryptoError};
    ///
    /// let err = aes_ecb::decrypt(b"0123456789abcdef0123456789abcdef", "not base64!").unwrap_err();
    /// assert!(matches!(err, CryptoError::InvalidBase64 { .. }));
    /// ```
    #[error("{algorithm} ciphertext is not valid standard base64: {source}")]
    InvalidBase64 {
        /// Cipher whose input failed to decode.
        algorithm: &'static str,
        /// Underlying decoder error (positions/bytes refer to the ciphertext only).
        source: base64::DecodeError,
    },

    /// The decoded ciphertext is too short to contain the authentication tag.
    ///
    /// ```
    /// use wechatpay::crypto::{aes_gcm, error::CryptoError};
    ///
    /// let key = b"0123456789abcdef0123456789abcdef";
    /// let err = aes_gcm::decrypt(key, b"0123456789ab", b"", "AAAA").unwrap_err();
    /// assert!(matches!(err, CryptoError::CiphertextTooShort { minimum: 16, actual: 3, .. }));
    /// ```
    #[error(
        "{algorithm} ciphertext must be at least {minimum} bytes (the authentication tag), got {actual}"
    )]
    CiphertextTooShort {
        /// Cipher that rejected the input.
        algorithm: &'static str,
        /// Minimum acceptable decoded length in bytes.
        minimum: usize,
        /// Decoded length that was supplied.
        actual: usize,
    },

    /// The decoded ciphertext is not a whole, non-zero number of blocks.
    ///
    /// ```
    /// use wechatpay::crypto::{aes_ecb, error::CryptoError};
    ///
    /// let key = b"0123456789abcdef0123456789abcdef";
    /// let err = aes_ecb::decrypt(key, "AAAA").unwrap_err();
    /// assert!(matches!(err, CryptoError::InvalidCiphertextLength { block_size: 16, actual: 3, .. }));
    /// ```
    #[error(
        "{algorithm} ciphertext length must be a non-zero multiple of {block_size} bytes, got {actual}"
    )]
    InvalidCiphertextLength {
        /// Cipher that rejected the input.
        algorithm: &'static str,
        /// Cipher block size in bytes.
        block_size: usize,
        /// Decoded length that was supplied.
        actual: usize,
    },

    /// AEAD authentication failed: the tag does not match.
    ///
    /// Deliberately does not say which input was wrong: the cipher cannot
    /// tell, and guessing would only mislead.
    ///
    /// ```
    /// use wechatpay::crypto::{aes_gcm, error::CryptoError};
    ///
    /// let key = b"0123456789abcdef0123456789abcdef";
    /// let ct = aes_gcm::encrypt(key, b"0123456789ab", b"aad", b"data").unwrap();
    /// let err = aes_gcm::decrypt(key, b"0123456789ab", b"other aad", &ct).unwrap_err();
    /// assert!(matches!(err, CryptoError::AuthenticationFailed { .. }));
    /// ```
    #[error(
        "{algorithm} authentication failed: tag mismatch (wrong key, nonce or associated data, or tampered ciphertext)"
    )]
    AuthenticationFailed {
        /// Cipher that rejected the input.
        algorithm: &'static str,
    },

    /// The decrypted data does not end in valid PKCS#7 padding.
    ///
    /// ```
    /// use wechatpay::crypto::{aes_ecb, error::CryptoError};
    ///
    /// let ct = aes_ecb::encrypt(b"0123456789abcdef0123456789abcdef", b"hello").unwrap();
    /// let err = aes_ecb::decrypt(b"fedcba9876543210fedcba9876543210", &ct).unwrap_err();
    /// assert!(matches!(err, CryptoError::InvalidPadding { .. }));
    /// ```
    #[error("{algorithm} plaintext has invalid PKCS#7 padding (wrong key or corrupted ciphertext)")]
    InvalidPadding {
        /// Cipher that rejected the input.
        algorithm: &'static str,
    },

    /// The decrypted data was expected to be text but is not valid UTF-8.
    ///
    /// Holds a [`Utf8Error`](std::str::Utf8Error) rather than a
    /// `FromUtf8Error` so that `Debug` output cannot leak the plaintext.
    ///
    /// ```
    /// use wechatpay::crypto::{aes_gcm, error::CryptoError};
    ///
    /// let key = b"0123456789abcdef0123456789abcdef";
    /// let ct = aes_gcm::encrypt(key, b"0123456789ab", b"", &[0xff, 0xfe]).unwrap();
    /// let err = aes_gcm::decrypt_to_string(key, b"0123456789ab", b"", &ct).unwrap_err();
    /// assert!(matches!(err, CryptoError::InvalidUtf8(_)));
    /// ```
    #[error("decrypted plaintext is not valid UTF-8: {0}")]
    InvalidUtf8(#[from] std::str::Utf8Error),

    /// The RSA backend refused the key: the DER does not hold the kind of
    /// key that was expected, or its numbers are inconsistent.
    ///
    /// `source` is the backend's own error: aws-lc-rs's
    /// `aws_lc_rs::error::KeyRejected` by default, the `rsa` crate's PKCS#8,
    /// PKCS#1 or SPKI error with the `rustcrypto` feature. Neither shows key
    /// bytes.
    ///
    /// ```
    /// use wechatpay::crypto::error::CryptoError;
    ///
    /// let err = CryptoError::KeyRejected {
    ///     expected: "PKCS#8 `PrivateKeyInfo`",
    ///     source: "InvalidEncoding".into(),
    /// };
    /// assert!(err.to_string().contains("expected PKCS#8 `PrivateKeyInfo` DER"));
    /// assert!(std::error::Error::source(&err).is_some());
    /// ```
    #[error("the RSA backend rejected the key: {source} (expected {expected} DER)")]
    KeyRejected {
        /// The encoding that was expected, e.g. ``"PKCS#8 `PrivateKeyInfo`"``.
        expected: &'static str,
        /// The backend's reason.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    /// The RSA key parsed, but its size is outside what the client supports
    /// (2048 to 8192 bits, the range aws-lc-rs accepts, applied to both
    /// backends).
    ///
    /// ```
    /// use wechatpay::crypto::error::CryptoError;
    ///
    /// let err = CryptoError::UnsupportedKeySize { bits: 1024 };
    /// assert_eq!(err.to_string(), "RSA keys of 2048 to 8192 bits are supported, got 1024 bits");
    /// ```
    #[error("RSA keys of 2048 to 8192 bits are supported, got {bits} bits")]
    UnsupportedKeySize {
        /// The key's modulus size in bits.
        bits: usize,
    },

    /// Asymmetric decryption failed: the ciphertext was not made for this
    /// key, or it was altered.
    ///
    /// Carries no cause on purpose: which padding check failed is exactly
    /// what a padding-oracle attacker wants to learn.
    ///
    /// ```
    /// use wechatpay::crypto::error::CryptoError;
    ///
    /// let err = CryptoError::DecryptionFailed { algorithm: "RSA-OAEP" };
    /// assert!(err.to_string().starts_with("RSA-OAEP decryption failed"));
    /// ```
    #[error("{algorithm} decryption failed: wrong private key or corrupted ciphertext")]
    DecryptionFailed {
        /// Scheme that rejected the input.
        algorithm: &'static str,
    },

    /// The crypto backend refused an operation that input validation
    /// should already have made valid; indicates a bug or a broken backend.
    ///
    /// ```
    /// use wechatpay::crypto::error::CryptoError;
    ///
    /// let err = CryptoError::Backend { operation: "AES-256-GCM encryption" };
    /// assert_eq!(err.to_string(), "crypto backend failed during AES-256-GCM encryption");
    /// ```
    #[error("crypto backend failed during {operation}")]
    Backend {
        /// What was being attempted.
        operation: &'static str,
    },
}
