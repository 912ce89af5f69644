//! The one error type of [`crypto`](crate::crypto) and
//! [`util::pem`](crate::util::pem): ciphers, RSA, and loading keys and
//! certificates.
//!
//! Messages name the offending input and what was expected, but never echo
//! key material, plaintext or passphrases: these errors end up in logs and
//! in HTTP error bodies. Where a library below gave a typed reason (an
//! [`std::io::Error`], a PEM, DER, PKCS#8 or PKCS#12 error, the RSA
//! backend's rejection), it is kept as the [`source`](std::error::Error::source).

use std::path::PathBuf;

/// Everything that can go wrong in [`crypto`](crate::crypto) and
/// [`util::pem`](crate::util::pem): the symmetric ciphers, RSA signing and
/// OAEP, and reading keys, certificates and PKCS#12 files.
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

    /// An asymmetric plaintext is longer than one block of the key holds.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PublicKey};
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
    ///
    /// let err = PublicKey::from_pem(&pem)?.encrypt([0u8; 215]).unwrap_err();
    /// assert!(matches!(err, CryptoError::PlaintextTooLong { maximum: 214, actual: 215, .. }));
    /// # Ok::<(), CryptoError>(())
    /// ```
    #[error(
        "{algorithm} plaintext is {actual} bytes, but a {key_bits}-bit key encrypts at most {maximum} bytes"
    )]
    PlaintextTooLong {
        /// Scheme that refused the input, e.g. `"RSA-OAEP"`.
        algorithm: &'static str,
        /// The most the key takes, in bytes.
        maximum: usize,
        /// The plaintext's length in bytes.
        actual: usize,
        /// The key's modulus size in bits.
        key_bits: usize,
    },

    /// An asymmetric ciphertext is not exactly as long as the key's modulus.
    ///
    /// ```
    /// use base64::{Engine as _, engine::general_purpose::STANDARD};
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    ///
    /// let key = PrivateKey::from_pem(&pem)?;
    /// let err = key.decrypt(&STANDARD.encode([0u8; 255])).unwrap_err();
    /// assert!(matches!(err, CryptoError::CiphertextLengthMismatch { expected: 256, actual: 255, .. }));
    /// # Ok::<(), CryptoError>(())
    /// ```
    #[error("{algorithm} ciphertext must be {expected} bytes for a {}-bit key, got {actual}", expected * 8)]
    CiphertextLengthMismatch {
        /// Scheme that refused the input.
        algorithm: &'static str,
        /// The key's modulus length in bytes.
        expected: usize,
        /// Decoded length that was supplied.
        actual: usize,
    },

    /// A key or certificate file could not be read (missing, unreadable, a
    /// directory…).
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    ///
    /// let err = PrivateKey::from_pem("file:///nonexistent/apiclient_key.pem").unwrap_err();
    /// assert!(matches!(&err, CryptoError::FileUnreadable { path, source }
    ///     if path.ends_with("apiclient_key.pem") && source.kind() == std::io::ErrorKind::NotFound));
    /// ```
    #[error("cannot read `{}`: {source}", path.display())]
    FileUnreadable {
        /// The file that was asked for.
        path: PathBuf,
        /// Why reading it failed.
        source: std::io::Error,
    },

    /// A key or certificate file is larger than 1 MiB, so it is not one (a
    /// device, a log): refused before it is read whole.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    ///
    /// let err = PrivateKey::from_pem("file:///dev/zero").unwrap_err();
    /// assert!(matches!(err, CryptoError::FileTooLarge { limit: 1048576, .. }));
    /// ```
    #[error("`{}` is larger than {limit} bytes, too large for a key or certificate", path.display())]
    FileTooLarge {
        /// The file that was asked for.
        path: PathBuf,
        /// The cap in bytes.
        limit: u64,
    },

    /// The text given as PEM looks like a filesystem path (one line, no
    /// `-----BEGIN`, starting with `/`, `./`, `../` or `~`, or ending in
    /// `.pem`, `.key`, `.crt` or `.cer`), but no file is there. `~` is not
    /// expanded.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    ///
    /// let err = PrivateKey::from_pem("/nonexistent/apiclient_key.pem").unwrap_err();
    /// assert!(matches!(&err, CryptoError::NoFileAtPath { path } if path.ends_with("apiclient_key.pem")));
    /// assert!(err.to_string().contains("use `from_pem_file`"));
    /// ```
    #[error(
        "`{}` looks like a path, but there is no file there{}; give PEM text, a `file://` path, \
         or use `from_pem_file`",
        path.display(),
        if path.starts_with("~") { " (`~` is not expanded)" } else { "" }
    )]
    NoFileAtPath {
        /// The text, taken as a path.
        path: PathBuf,
    },

    /// Key text (PEM, PHP's bare base64 forms, a long base64 run) was given
    /// where a file path belongs. The text is not shown: it is the key.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    ///
    /// let err = PrivateKey::from_pem_file(&pem).unwrap_err();
    /// assert!(matches!(err, CryptoError::KeyTextAsPath));
    /// assert!(!format!("{err} {err:?}").contains("BEGIN"));
    /// ```
    #[error(
        "key text was given where a file path belongs (not shown here): pass PEM text to \
         `from_pem`, a path to `from_pem_file`"
    )]
    KeyTextAsPath,

    /// A file that should hold PEM text is binary (not UTF-8), such as a
    /// PKCS#12 `.p12` or a DER file.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    ///
    /// let p12 = concat!("file://", env!("CARGO_MANIFEST_DIR"), "/tests/keys/apiclient_cert.legacy.p12");
    /// let err = PrivateKey::from_pem(p12).unwrap_err();
    /// assert!(matches!(err, CryptoError::FileNotText { .. }));
    /// assert!(err.to_string().contains("PrivateKey::from_pkcs12"));
    /// ```
    #[error(
        "`{}` is binary, not PEM text ({source}): a PKCS#12 `.p12` file loads with \
         `PrivateKey::from_pkcs12` or `Pkcs12::parse`, DER with `from_der`",
        path.display()
    )]
    FileNotText {
        /// The file that was read.
        path: PathBuf,
        /// Where the bytes stop being UTF-8 (a position, never the bytes).
        source: std::str::Utf8Error,
    },

    /// The text is not PEM (or is broken PEM) and not a usable file path.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    ///
    /// let err = PrivateKey::from_pem("not a key").unwrap_err();
    /// assert!(matches!(err, CryptoError::InvalidPem { .. }));
    /// assert!(err.to_string().contains("PRIVATE KEY"));
    /// ```
    #[error("expected {expected} PEM: {source}")]
    InvalidPem {
        /// What was expected, e.g. ``"an X.509 `CERTIFICATE`"``.
        expected: &'static str,
        /// The PEM decoder's reason (it never quotes the text).
        source: pem_rfc7468::Error,
    },

    /// The PEM is well formed but holds something else, e.g. a public key
    /// given where the private key belongs.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_public_key.pem")).unwrap();
    ///
    /// let err = PrivateKey::from_pem(&pem).unwrap_err();
    /// assert!(matches!(&err, CryptoError::UnexpectedPemLabel { found, .. } if found == "PUBLIC KEY"));
    /// ```
    #[error("expected {expected} PEM, got `{found}`")]
    UnexpectedPemLabel {
        /// What was expected.
        expected: &'static str,
        /// The label found after `-----BEGIN `.
        found: String,
    },

    /// The key uses OpenSSL's pre-PKCS#8 encryption (`Proc-Type:
    /// 4,ENCRYPTED` and `DEK-Info` headers inside an `RSA PRIVATE KEY`),
    /// which is not supported; it converts to an `ENCRYPTED PRIVATE KEY`.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    ///
    /// let pem = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
    ///            DEK-Info: AES-256-CBC,0123456789ABCDEF0123456789ABCDEF\n\nAAAA\n\
    ///            -----END RSA PRIVATE KEY-----\n";
    /// let err = PrivateKey::from_pem(pem).unwrap_err();
    /// assert!(matches!(err, CryptoError::LegacyEncryptedPem));
    /// assert!(err.to_string().contains("openssl pkcs8 -topk8"));
    /// ```
    #[error(
        "expected a PKCS#8 `ENCRYPTED PRIVATE KEY`, got a legacy OpenSSL-encrypted \
         `RSA PRIVATE KEY` (Proc-Type/DEK-Info headers), which is not supported: \
         convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
    )]
    LegacyEncryptedPem,

    /// The key is an `ENCRYPTED PRIVATE KEY` but no passphrase was given.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.encrypted.pem")).unwrap();
    ///
    /// let err = PrivateKey::from_pem(&pem).unwrap_err();
    /// assert!(matches!(err, CryptoError::PassphraseRequired));
    /// assert!(err.to_string().contains("from_pem_with_passphrase"));
    /// ```
    #[error(
        "the key is an `ENCRYPTED PRIVATE KEY` and needs its passphrase: \
         load it with `PrivateKey::from_pem_with_passphrase`"
    )]
    PassphraseRequired,

    /// The `ENCRYPTED PRIVATE KEY` is malformed, or encrypted with a scheme
    /// other than PBES2 (AES-CBC or DES-EDE3-CBC, keyed by PBKDF2 or scrypt).
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    ///
    /// let pem = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----";
    /// let err = PrivateKey::from_pem_with_passphrase(pem, "passphrase").unwrap_err();
    /// assert!(matches!(err, CryptoError::InvalidEncryptedKey { .. }));
    /// ```
    #[error(
        "expected a PKCS#8 `ENCRYPTED PRIVATE KEY` encrypted with PBES2 \
         (AES-CBC or DES-EDE3-CBC, PBKDF2 or scrypt): {source}"
    )]
    InvalidEncryptedKey {
        /// The PKCS#8 parser's reason.
        source: pkcs8::Error,
    },

    /// The `ENCRYPTED PRIVATE KEY` did not decrypt to a PKCS#8 key: almost
    /// always a wrong passphrase, otherwise a corrupted file. The two cannot
    /// be told apart.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.encrypted.pem")).unwrap();
    ///
    /// let err = PrivateKey::from_pem_with_passphrase(&pem, "wrong").unwrap_err();
    /// assert!(matches!(err, CryptoError::KeyDecryptionFailed { .. }));
    /// assert!(!err.to_string().contains("wrong"));
    /// ```
    #[error(
        "cannot decrypt the `ENCRYPTED PRIVATE KEY`: the passphrase is incorrect \
         or the key is corrupted ({source})"
    )]
    KeyDecryptionFailed {
        /// The PKCS#8/PKCS#5 reason (never the passphrase).
        source: pkcs8::Error,
    },

    /// The text after PHP's `private.pkcs1://`, `private.pkcs8://`,
    /// `public.pkcs1://` or `public.spki://` is not base64.
    ///
    /// Deliberately without the decoder's error, which would quote a byte
    /// of the key.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    ///
    /// let err = PrivateKey::from_pem("private.pkcs8://%%%").unwrap_err();
    /// assert!(matches!(err, CryptoError::InvalidBareKey { scheme: "private.pkcs8" }));
    /// ```
    #[error("the bare key after `{scheme}://` is not base64")]
    InvalidBareKey {
        /// The prefix before `://`, e.g. `"private.pkcs8"`.
        scheme: &'static str,
    },

    /// The RSA backend refused the key: the DER does not hold the kind of
    /// key that was expected, or its numbers are inconsistent.
    ///
    /// `source` is the backend's own error: aws-lc-rs's
    /// `aws_lc_rs::error::KeyRejected` by default, the `rsa` crate's PKCS#8,
    /// PKCS#1 or SPKI error with the `rustcrypto` feature. Neither shows key
    /// bytes.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    ///
    /// let err = PrivateKey::from_der(&[0x30, 0x00], true).unwrap_err();
    /// assert!(matches!(err, CryptoError::KeyRejected { .. }));
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
    /// use wechatpay::crypto::{CryptoError, PublicKey};
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/rsa1024_public_key.pem")).unwrap();
    ///
    /// let err = PublicKey::from_pem(&pem).unwrap_err(); // a 1024-bit key
    /// assert!(matches!(err, CryptoError::UnsupportedKeySize { bits: 1024 }));
    /// assert_eq!(err.to_string(), "RSA keys of 2048 to 8192 bits are supported, got 1024 bits");
    /// ```
    #[error("RSA keys of 2048 to 8192 bits are supported, got {bits} bits")]
    UnsupportedKeySize {
        /// The key's modulus size in bits.
        bits: usize,
    },

    /// A public key uses an algorithm other than RSA (`rsaEncryption`).
    ///
    /// ```
    /// use base64::{Engine as _, engine::general_purpose::STANDARD};
    /// use wechatpay::crypto::{CryptoError, PublicKey};
    ///
    /// // An Ed25519 key (RFC 8410's example).
    /// let ed25519 = STANDARD.decode("MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=").unwrap();
    /// let err = PublicKey::from_der(&ed25519).unwrap_err();
    /// assert!(matches!(&err, CryptoError::UnsupportedKeyAlgorithm { algorithm } if algorithm.to_string() == "1.3.101.112"));
    /// ```
    #[error(
        "expected an RSA public key (rsaEncryption, 1.2.840.113549.1.1.1), got algorithm {algorithm}"
    )]
    UnsupportedKeyAlgorithm {
        /// The key's algorithm identifier.
        algorithm: x509_cert::der::asn1::ObjectIdentifier,
    },

    /// The DER is not an X.509 certificate.
    ///
    /// ```
    /// use wechatpay::{crypto::CryptoError, util::pem::Certificate};
    ///
    /// let err = Certificate::from_der(b"junk").unwrap_err();
    /// assert!(matches!(err, CryptoError::InvalidCertificate { .. }));
    /// ```
    #[error("not an X.509 certificate: {source}")]
    InvalidCertificate {
        /// The DER decoder's reason (a position and a kind, never content).
        source: x509_cert::der::Error,
    },

    /// A PKCS#12 (`.p12`, `.pfx`) file did not open: a wrong password (for
    /// `apiclient_cert.p12`, the mchid), a corrupted file, a file that is
    /// not PKCS#12, or a cipher that is not supported.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, Pkcs12};
    /// # let der = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/apiclient_cert.legacy.p12")).unwrap();
    ///
    /// let err = Pkcs12::parse(&der, "not-the-mchid").unwrap_err();
    /// assert!(matches!(err, CryptoError::Pkcs12Rejected { .. }));
    /// assert!(err.to_string().contains("wrong password"));
    /// ```
    #[error("cannot open the PKCS#12 file: {}", pkcs12_reason(source))]
    Pkcs12Rejected {
        /// `p12-keystore`'s reason.
        source: p12_keystore::error::Error,
    },

    /// The PKCS#12 file opened but holds no private key.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, Pkcs12};
    /// # let der = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/apiclient_cert.nokey.p12")).unwrap();
    ///
    /// let err = Pkcs12::parse(&der, "1900000001").unwrap_err(); // certificate only
    /// assert!(matches!(err, CryptoError::Pkcs12NoPrivateKey));
    /// ```
    #[error("the PKCS#12 file holds no private key (expected the merchant's `apiclient_cert.p12`)")]
    Pkcs12NoPrivateKey,

    /// The PKCS#12 file holds a private key but no certificate for it.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, Pkcs12};
    /// # let der = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/apiclient_cert.nocert.p12")).unwrap();
    ///
    /// let err = Pkcs12::parse(&der, "1900000001").unwrap_err(); // key only
    /// assert!(matches!(err, CryptoError::Pkcs12NoMatchingCertificate { certificates: 0 }));
    /// ```
    #[error("the PKCS#12 file holds {certificates} certificate(s), none for its private key")]
    Pkcs12NoMatchingCertificate {
        /// How many certificates the file holds.
        certificates: usize,
    },

    /// Asymmetric decryption failed: the ciphertext was not made for this
    /// key, or it was altered.
    ///
    /// Carries no cause on purpose: which padding check failed is exactly
    /// what a padding-oracle attacker wants to learn.
    ///
    /// ```
    /// use base64::{Engine as _, engine::general_purpose::STANDARD};
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    ///
    /// let key = PrivateKey::from_pem(&pem)?;
    /// let err = key.decrypt(&STANDARD.encode([0u8; 256])).unwrap_err();
    /// assert!(matches!(err, CryptoError::DecryptionFailed { algorithm: "RSA-OAEP" }));
    /// # Ok::<(), CryptoError>(())
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

/// p12-keystore's errors, in the user's terms; never echoes the password.
fn pkcs12_reason(e: &p12_keystore::error::Error) -> String {
    use p12_keystore::error::Error as P12Error;
    match e {
        P12Error::MacError(_) => "wrong password (the file's integrity MAC does not match; \
             for `apiclient_cert.p12` the password is the mchid)"
            .to_string(),
        P12Error::UnpadError => {
            "wrong password or corrupted file (a bag did not decrypt)".to_string()
        }
        P12Error::DerError(e) => format!("not a PKCS#12 (PFX) file: {e}"),
        P12Error::InvalidVersion => "not a PKCS#12 (PFX) v3 file".to_string(),
        P12Error::UnsupportedEncryptionScheme => "unsupported encryption scheme (supported: \
             PBE-SHA1-3DES, PBE-SHA1-RC2-40, PBES2 with PBKDF2 and AES-CBC)"
            .to_string(),
        P12Error::UnsupportedMacAlgorithm => {
            "unsupported MAC algorithm (supported: HMAC-SHA1, HMAC-SHA256)".to_string()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::CryptoError;

    #[test]
    fn crypto_error_crosses_threads_and_boxes() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<CryptoError>();
        let boxed: Box<dyn std::error::Error + Send + Sync> =
            CryptoError::PassphraseRequired.into();
        assert!(boxed.to_string().contains("passphrase"));
    }
}
