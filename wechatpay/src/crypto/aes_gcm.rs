//! AES-256-GCM as used by WeChat Pay APIv3 for callback `resource` payloads
//! and platform certificate downloads.
//!
//! The wire format is `base64(ciphertext || 16-byte tag)`, keyed by the
//! 32-byte merchant APIv3 key, with a 12-byte nonce and the `associated_data`
//! string as AAD.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::error::CryptoError;

const ALGORITHM: &str = "AES-256-GCM";

/// Required key length: the APIv3 key is 32 ASCII characters.
///
/// ```
/// assert_eq!(wechatpay::crypto::aes_gcm::KEY_LEN, b"0123456789abcdef0123456789abcdef".len());
/// ```
pub const KEY_LEN: usize = 32;

/// Required nonce length, as sent by WeChat Pay in `resource.nonce`.
///
/// ```
/// assert_eq!(wechatpay::crypto::aes_gcm::NONCE_LEN, b"0123456789ab".len());
/// ```
pub const NONCE_LEN: usize = 12;

/// Length of the authentication tag appended to the ciphertext.
///
/// ```
/// use base64::Engine as _;
/// use wechatpay::crypto::aes_gcm;
///
/// let key = b"0123456789abcdef0123456789abcdef";
/// let ct = aes_gcm::encrypt(key, b"0123456789ab", b"", b"")?;
/// let raw = base64::engine::general_purpose::STANDARD.decode(ct).unwrap();
/// assert_eq!(raw.len(), aes_gcm::TAG_LEN);
/// # Ok::<(), wechatpay::crypto::error::CryptoError>(())
/// ```
pub const TAG_LEN: usize = 16;

/// Encrypts `plaintext` and returns `base64(ciphertext || tag)`.
///
/// Mainly useful for building test fixtures that look like WeChat Pay
/// notifications; a nonce must never be reused with the same key.
///
/// # Errors
///
/// [`CryptoError::InvalidKeyLength`] unless `key` is 32 bytes,
/// [`CryptoError::InvalidNonceLength`] unless `nonce` is 12 bytes.
///
/// # Example
///
/// ```
/// use wechatpay::crypto::aes_gcm;
///
/// let key = b"0123456789abcdef0123456789abcdef";
/// let ct = aes_gcm::encrypt(key, b"0123456789ab", b"certificate", br#"{"hello":"wechatpay"}"#)?;
/// assert_eq!(ct, "4ouPXy+m9znPJ1TY0GwdUzLnre1qQgEIKpXiko3IccfcXN1Dkg==");
/// # Ok::<(), wechatpay::crypto::error::CryptoError>(())
/// ```
pub fn encrypt(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<String, CryptoError> {
    let (key, nonce) = prepare(key, nonce)?;
    let mut in_out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    in_out.extend_from_slice(plaintext);
    key.seal_in_place_append_tag(nonce, Aad::from(aad), &mut in_out)
        .map_err(|_| CryptoError::Backend {
            operation: "AES-256-GCM encryption",
        })?;
    Ok(STANDARD.encode(in_out))
}

/// Decrypts `base64(ciphertext || tag)` and verifies the tag.
///
/// # Errors
///
/// [`CryptoError::InvalidKeyLength`] / [`CryptoError::InvalidNonceLength`]
/// for wrongly sized key or nonce, [`CryptoError::InvalidBase64`] if the
/// input does not decode, [`CryptoError::CiphertextTooShort`] if it is
/// shorter than the tag, and [`CryptoError::AuthenticationFailed`] if the
/// key, nonce, AAD or data do not match.
///
/// # Example
///
/// ```
/// use wechatpay::crypto::aes_gcm;
///
/// let key = b"0123456789abcdef0123456789abcdef";
/// let pt = aes_gcm::decrypt(
///     key,
///     b"0123456789ab",
///     b"certificate",
///     "4ouPXy+m9znPJ1TY0GwdUzLnre1qQgEIKpXiko3IccfcXN1Dkg==",
/// )?;
/// assert_eq!(pt, br#"{"hello":"wechatpay"}"#);
/// # Ok::<(), wechatpay::crypto::error::CryptoError>(())
/// ```
pub fn decrypt(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext_b64: &str,
) -> Result<Vec<u8>, CryptoError> {
    // Validate lengths before decoding so configuration mistakes surface
    // as such, not as a confusing decode or tag error.
    let (key, nonce) = prepare(key, nonce)?;
    let mut in_out =
        STANDARD
            .decode(ciphertext_b64)
            .map_err(|source| CryptoError::InvalidBase64 {
                algorithm: ALGORITHM,
                source,
            })?;
    if in_out.len() < TAG_LEN {
        return Err(CryptoError::CiphertextTooShort {
            algorithm: ALGORITHM,
            minimum: TAG_LEN,
            actual: in_out.len(),
        });
    }
    let plaintext_len = key
        .open_in_place(nonce, Aad::from(aad), &mut in_out)
        .map_err(|_| CryptoError::AuthenticationFailed {
            algorithm: ALGORITHM,
        })?
        .len();
    in_out.truncate(plaintext_len);
    Ok(in_out)
}

/// Like [`decrypt`], but also requires the plaintext to be UTF-8, which
/// every APIv3 `resource` payload (JSON or PEM) is.
///
/// # Errors
///
/// Everything [`decrypt`] returns, plus [`CryptoError::InvalidUtf8`].
///
/// # Example
///
/// ```
/// use wechatpay::crypto::aes_gcm;
///
/// let key = b"0123456789abcdef0123456789abcdef";
/// let json = aes_gcm::decrypt_to_string(
///     key,
///     b"0123456789ab",
///     b"certificate",
///     "4ouPXy+m9znPJ1TY0GwdUzLnre1qQgEIKpXiko3IccfcXN1Dkg==",
/// )?;
/// assert_eq!(json, r#"{"hello":"wechatpay"}"#);
/// # Ok::<(), wechatpay::crypto::error::CryptoError>(())
/// ```
pub fn decrypt_to_string(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext_b64: &str,
) -> Result<String, CryptoError> {
    let bytes = decrypt(key, nonce, aad, ciphertext_b64)?;
    String::from_utf8(bytes).map_err(|e| CryptoError::InvalidUtf8(e.utf8_error()))
}

fn prepare(key: &[u8], nonce: &[u8]) -> Result<(LessSafeKey, Nonce), CryptoError> {
    if key.len() != KEY_LEN {
        return Err(CryptoError::InvalidKeyLength {
            algorithm: ALGORITHM,
            expected: KEY_LEN,
            actual: key.len(),
        });
    }
    let nonce =
        Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::InvalidNonceLength {
            algorithm: ALGORITHM,
            expected: NONCE_LEN,
            actual: nonce.len(),
        })?;
    let key = UnboundKey::new(&AES_256_GCM, key).map_err(|_| CryptoError::Backend {
        operation: "AES-256-GCM key setup",
    })?;
    // LessSafeKey because WeChat Pay dictates the nonce; the safer
    // sequence-based keys cannot accept an externally supplied one.
    Ok((LessSafeKey::new(key), nonce))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NONCE: &[u8] = b"0123456789ab";
    const AAD: &[u8] = b"certificate";
    const PLAINTEXT: &str = r#"{"hello":"wechatpay"}"#;
    const KNOWN: &str = "4ouPXy+m9znPJ1TY0GwdUzLnre1qQgEIKpXiko3IccfcXN1Dkg==";

    fn flip_byte(b64: &str, index_from_end: usize) -> String {
        let mut raw = STANDARD.decode(b64).unwrap();
        let i = raw.len() - 1 - index_from_end;
        raw[i] ^= 0x01;
        STANDARD.encode(raw)
    }

    #[test]
    fn known_answer_encrypt() {
        assert_eq!(
            encrypt(KEY, NONCE, AAD, PLAINTEXT.as_bytes()).unwrap(),
            KNOWN
        );
    }

    #[test]
    fn known_answer_decrypt() {
        assert_eq!(
            decrypt(KEY, NONCE, AAD, KNOWN).unwrap(),
            PLAINTEXT.as_bytes()
        );
        assert_eq!(
            decrypt_to_string(KEY, NONCE, AAD, KNOWN).unwrap(),
            PLAINTEXT
        );
    }

    #[test]
    fn round_trip_various_lengths() {
        for len in [0usize, 1, 15, 16, 17, 255, 4096] {
            let pt: Vec<u8> = (0..=u8::MAX).cycle().take(len).collect();
            let ct = encrypt(KEY, NONCE, AAD, &pt).unwrap();
            assert_eq!(STANDARD.decode(&ct).unwrap().len(), len + TAG_LEN);
            assert_eq!(decrypt(KEY, NONCE, AAD, &ct).unwrap(), pt);
        }
    }

    #[test]
    fn empty_aad_round_trip() {
        let ct = encrypt(KEY, NONCE, b"", b"x").unwrap();
        assert_eq!(decrypt(KEY, NONCE, b"", &ct).unwrap(), b"x");
    }

    #[test]
    fn tampered_ciphertext_rejected() {
        // Last TAG_LEN bytes are the tag; flip a byte just before it.
        let bad = flip_byte(KNOWN, TAG_LEN);
        assert!(matches!(
            decrypt(KEY, NONCE, AAD, &bad),
            Err(CryptoError::AuthenticationFailed { .. })
        ));
    }

    #[test]
    fn tampered_tag_rejected() {
        let bad = flip_byte(KNOWN, 0);
        assert!(matches!(
            decrypt(KEY, NONCE, AAD, &bad),
            Err(CryptoError::AuthenticationFailed { .. })
        ));
    }

    #[test]
    fn wrong_key_nonce_or_aad_rejected() {
        let other_key = b"fedcba9876543210fedcba9876543210";
        for (k, n, a) in [
            (&other_key[..], NONCE, AAD),
            (KEY, &b"ba9876543210"[..], AAD),
            (KEY, NONCE, &b"transaction"[..]),
        ] {
            assert!(matches!(
                decrypt(k, n, a, KNOWN),
                Err(CryptoError::AuthenticationFailed { .. })
            ));
        }
    }

    #[test]
    fn wrong_key_length_rejected() {
        for len in [0usize, 16, 24, 31, 33] {
            let key = vec![b'k'; len];
            let err = encrypt(&key, NONCE, AAD, b"x").unwrap_err();
            assert!(
                matches!(err, CryptoError::InvalidKeyLength { expected: 32, actual, .. } if actual == len)
            );
            assert!(matches!(
                decrypt(&key, NONCE, AAD, KNOWN),
                Err(CryptoError::InvalidKeyLength { .. })
            ));
        }
        assert_eq!(
            encrypt(&[0u8; 16], NONCE, AAD, b"x")
                .unwrap_err()
                .to_string(),
            "AES-256-GCM key must be 32 bytes, got 16"
        );
    }

    #[test]
    fn wrong_nonce_length_rejected() {
        for len in [0usize, 8, 11, 13, 16] {
            let nonce = vec![b'n'; len];
            let err = decrypt(KEY, &nonce, AAD, KNOWN).unwrap_err();
            assert!(
                matches!(err, CryptoError::InvalidNonceLength { expected: 12, actual, .. } if actual == len)
            );
            assert!(matches!(
                encrypt(KEY, &nonce, AAD, b"x"),
                Err(CryptoError::InvalidNonceLength { .. })
            ));
        }
        assert_eq!(
            encrypt(KEY, b"123", AAD, b"x").unwrap_err().to_string(),
            "AES-256-GCM nonce must be 12 bytes, got 3"
        );
    }

    #[test]
    fn bad_base64_rejected() {
        for input in ["not base64!", "4ouPXy+m9znP=JTY", "YWJj\n"] {
            assert!(matches!(
                decrypt(KEY, NONCE, AAD, input),
                Err(CryptoError::InvalidBase64 { .. })
            ));
        }
    }

    #[test]
    fn too_short_rejected() {
        // 15 decoded bytes: one short of a bare tag.
        let short = STANDARD.encode([0u8; TAG_LEN - 1]);
        let err = decrypt(KEY, NONCE, AAD, &short).unwrap_err();
        assert!(matches!(
            err,
            CryptoError::CiphertextTooShort {
                minimum: TAG_LEN,
                actual: 15,
                ..
            }
        ));
        assert!(matches!(
            decrypt(KEY, NONCE, AAD, ""),
            Err(CryptoError::CiphertextTooShort { actual: 0, .. })
        ));
        // Exactly a tag's worth of garbage gets as far as authentication.
        let bare = STANDARD.encode([0u8; TAG_LEN]);
        assert!(matches!(
            decrypt(KEY, NONCE, AAD, &bare),
            Err(CryptoError::AuthenticationFailed { .. })
        ));
    }

    #[test]
    fn invalid_utf8_rejected() {
        let ct = encrypt(KEY, NONCE, AAD, &[b'{', 0xc3, 0x28]).unwrap();
        assert!(matches!(
            decrypt_to_string(KEY, NONCE, AAD, &ct),
            Err(CryptoError::InvalidUtf8(_))
        ));
    }

    #[test]
    fn errors_do_not_leak_key() {
        let key = b"SECRETSECRETSECRETSECRETSECRET!";
        let err = encrypt(key, NONCE, AAD, b"x").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("SECRET"));
        let other = b"SECRETSECRETSECRETSECRETSECRET!!";
        let err = decrypt(other, NONCE, AAD, KNOWN).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("SECRET"));
    }
}
