//! AES-256-ECB with PKCS#7 padding, as used by the WeChat Pay APIv2 refund
//! notification `req_info` field.
//!
//! ECB leaks plaintext structure and has no integrity protection; it exists
//! here only because APIv2 mandates it. Never use it for anything new.

use aws_lc_rs::cipher::{
    AES_256, DecryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::error::CryptoError;

const ALGORITHM: &str = "AES-256-ECB";

/// Required key length; [`derive_key`] produces exactly this many bytes.
///
/// ```
/// use wechatpay::crypto::aes_ecb;
///
/// assert_eq!(aes_ecb::derive_key("secret").len(), aes_ecb::KEY_LEN);
/// ```
pub const KEY_LEN: usize = 32;

/// AES block size, and therefore the ciphertext length granularity.
///
/// ```
/// use base64::Engine as _;
/// use wechatpay::crypto::aes_ecb;
///
/// // Block-aligned input still gets a whole block of padding.
/// let ct = aes_ecb::encrypt(b"0123456789abcdef0123456789abcdef", &[0u8; 16])?;
/// let raw = base64::engine::general_purpose::STANDARD.decode(ct).unwrap();
/// assert_eq!(raw.len(), 2 * aes_ecb::BLOCK_LEN);
/// # Ok::<(), wechatpay::crypto::error::CryptoError>(())
/// ```
pub const BLOCK_LEN: usize = 16;

/// Derives the `req_info` key from the merchant's APIv2 secret.
///
/// WeChat Pay uses the 32 ASCII characters of the lowercase hex MD5 digest
/// as the AES-256 key, not the 16 raw digest bytes.
///
/// # Example
///
/// ```
/// use wechatpay::crypto::aes_ecb;
///
/// let key = aes_ecb::derive_key("192006250b4c09247ec02edce69f6a2d");
/// assert_eq!(key.len(), 32);
/// assert!(key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
/// let ct = aes_ecb::encrypt(key.as_bytes(), b"<root/>")?;
/// assert_eq!(aes_ecb::decrypt(key.as_bytes(), &ct)?, b"<root/>");
/// # Ok::<(), wechatpay::crypto::error::CryptoError>(())
/// ```
#[must_use]
pub fn derive_key(apiv2_secret: &str) -> String {
    crate::crypto::hash::md5(apiv2_secret, "")
}

/// Encrypts `plaintext` with PKCS#7 padding and returns standard base64.
///
/// # Errors
///
/// [`CryptoError::InvalidKeyLength`] unless `key` is 32 bytes.
///
/// # Example
///
/// ```
/// use wechatpay::crypto::aes_ecb;
///
/// let ct = aes_ecb::encrypt(b"0123456789abcdef0123456789abcdef", b"hello")?;
/// assert_eq!(ct, "pZwJZBLuy3mDACEQT4YTBw==");
/// # Ok::<(), wechatpay::crypto::error::CryptoError>(())
/// ```
pub fn encrypt(key: &[u8], plaintext: &[u8]) -> Result<String, CryptoError> {
    let key = PaddedBlockEncryptingKey::ecb_pkcs7(unbound_key(key)?).map_err(|_| {
        CryptoError::Backend {
            operation: "AES-256-ECB key setup",
        }
    })?;
    let mut in_out = Vec::with_capacity(plaintext.len() + BLOCK_LEN);
    in_out.extend_from_slice(plaintext);
    key.encrypt(&mut in_out).map_err(|_| CryptoError::Backend {
        operation: "AES-256-ECB encryption",
    })?;
    Ok(STANDARD.encode(in_out))
}

/// Decodes base64, decrypts, and strips PKCS#7 padding.
///
/// Padding is checked strictly (every padding byte must equal the pad
/// length, which must be 1..=16), because with no MAC the padding is the
/// only signal that the key was right.
///
/// # Errors
///
/// [`CryptoError::InvalidKeyLength`] unless `key` is 32 bytes,
/// [`CryptoError::InvalidBase64`] if the input does not decode,
/// [`CryptoError::InvalidCiphertextLength`] unless it decodes to a non-zero
/// multiple of 16 bytes, and [`CryptoError::InvalidPadding`] if the padding
/// is malformed.
///
/// # Example
///
/// ```
/// use wechatpay::crypto::aes_ecb;
///
/// let pt = aes_ecb::decrypt(b"0123456789abcdef0123456789abcdef", "pZwJZBLuy3mDACEQT4YTBw==")?;
/// assert_eq!(pt, b"hello");
/// # Ok::<(), wechatpay::crypto::error::CryptoError>(())
/// ```
pub fn decrypt(key: &[u8], ciphertext_b64: &str) -> Result<Vec<u8>, CryptoError> {
    let key = PaddedBlockDecryptingKey::ecb_pkcs7(unbound_key(key)?).map_err(|_| {
        CryptoError::Backend {
            operation: "AES-256-ECB key setup",
        }
    })?;
    let mut in_out =
        STANDARD
            .decode(ciphertext_b64)
            .map_err(|source| CryptoError::InvalidBase64 {
                algorithm: ALGORITHM,
                source,
            })?;
    // The backend reports every failure as the same opaque error, so rule
    // out length problems first; what remains can only be bad padding.
    if in_out.is_empty() || in_out.len() % BLOCK_LEN != 0 {
        return Err(CryptoError::InvalidCiphertextLength {
            algorithm: ALGORITHM,
            block_size: BLOCK_LEN,
            actual: in_out.len(),
        });
    }
    let plaintext_len = key
        .decrypt(&mut in_out, DecryptionContext::None)
        .map_err(|_| CryptoError::InvalidPadding {
            algorithm: ALGORITHM,
        })?
        .len();
    in_out.truncate(plaintext_len);
    Ok(in_out)
}

fn unbound_key(key: &[u8]) -> Result<UnboundCipherKey, CryptoError> {
    if key.len() != KEY_LEN {
        return Err(CryptoError::InvalidKeyLength {
            algorithm: ALGORITHM,
            expected: KEY_LEN,
            actual: key.len(),
        });
    }
    UnboundCipherKey::new(&AES_256, key).map_err(|_| CryptoError::Backend {
        operation: "AES-256-ECB key setup",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    /// Encrypts raw blocks with no padding, so tests can forge arbitrary
    /// "decrypted" tails and check the padding validator.
    fn encrypt_raw_blocks(key: &[u8], blocks: &[u8]) -> String {
        assert_eq!(blocks.len() % BLOCK_LEN, 0);
        // Encrypting block || full padding block and dropping the last
        // ciphertext block yields the raw ECB encryption of `blocks`.
        let full = STANDARD.decode(encrypt(key, blocks).unwrap()).unwrap();
        STANDARD.encode(&full[..blocks.len()])
    }

    #[test]
    fn known_answer() {
        assert_eq!(encrypt(KEY, b"hello").unwrap(), "pZwJZBLuy3mDACEQT4YTBw==");
        assert_eq!(decrypt(KEY, "pZwJZBLuy3mDACEQT4YTBw==").unwrap(), b"hello");
    }

    #[test]
    fn round_trip_various_lengths() {
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 1000] {
            let pt: Vec<u8> = (0..=u8::MAX).cycle().take(len).collect();
            let ct = encrypt(KEY, &pt).unwrap();
            // PKCS#7 always adds 1..=16 bytes.
            let expected_len = (len / BLOCK_LEN + 1) * BLOCK_LEN;
            assert_eq!(STANDARD.decode(&ct).unwrap().len(), expected_len);
            assert_eq!(decrypt(KEY, &ct).unwrap(), pt);
        }
    }

    #[test]
    fn derive_key_is_lowercase_hex_md5() {
        // md5("") is the well-known d41d8cd9...
        assert_eq!(derive_key(""), "d41d8cd98f00b204e9800998ecf8427e");
        let key = derive_key("192006250b4c09247ec02edce69f6a2d");
        assert_eq!(key.len(), KEY_LEN);
        assert_eq!(key, key.to_ascii_lowercase());
        let ct = encrypt(key.as_bytes(), b"<xml>refund</xml>").unwrap();
        assert_eq!(decrypt(key.as_bytes(), &ct).unwrap(), b"<xml>refund</xml>");
    }

    #[test]
    fn wrong_key_length_rejected() {
        for len in [0usize, 16, 24, 31, 33] {
            let key = vec![b'k'; len];
            assert!(matches!(
                encrypt(&key, b"x"),
                Err(CryptoError::InvalidKeyLength { expected: 32, actual, .. }) if actual == len
            ));
            assert!(matches!(
                decrypt(&key, "pZwJZBLuy3mDACEQT4YTBw=="),
                Err(CryptoError::InvalidKeyLength { .. })
            ));
        }
        assert_eq!(
            encrypt(&[0u8; 16], b"x").unwrap_err().to_string(),
            "AES-256-ECB key must be 32 bytes, got 16"
        );
    }

    #[test]
    fn bad_base64_rejected() {
        assert!(matches!(
            decrypt(KEY, "pZwJZBLuy3mDACEQT4YT*w=="),
            Err(CryptoError::InvalidBase64 { .. })
        ));
    }

    #[test]
    fn bad_length_rejected() {
        for len in [0usize, 1, 15, 17, 31] {
            let ct = STANDARD.encode(vec![0u8; len]);
            assert!(matches!(
                decrypt(KEY, &ct),
                Err(CryptoError::InvalidCiphertextLength { block_size: 16, actual, .. }) if actual == len
            ));
        }
    }

    #[test]
    fn bad_padding_rejected() {
        let mut tails: Vec<[u8; BLOCK_LEN]> = Vec::new();
        // Pad byte 0 is never valid.
        tails.push([0u8; BLOCK_LEN]);
        // Pad byte larger than a block.
        tails.push([17u8; BLOCK_LEN]);
        tails.push([0xffu8; BLOCK_LEN]);
        // Claims 4 bytes of padding but one of them differs.
        let mut t = [b'a'; BLOCK_LEN];
        t[12..].copy_from_slice(&[4, 3, 4, 4]);
        tails.push(t);
        // Claims a full padding block with one wrong byte.
        let mut t = [16u8; BLOCK_LEN];
        t[0] = 15;
        tails.push(t);
        for tail in tails {
            let ct = encrypt_raw_blocks(KEY, &tail);
            assert!(
                matches!(decrypt(KEY, &ct), Err(CryptoError::InvalidPadding { .. })),
                "tail {tail:?} should be rejected"
            );
        }
    }

    #[test]
    fn good_forged_padding_accepted() {
        // Sanity check for encrypt_raw_blocks: valid padding must pass, so
        // the rejections above are really about the padding bytes.
        let mut t = [b'a'; BLOCK_LEN];
        t[12..].copy_from_slice(&[4, 4, 4, 4]);
        let ct = encrypt_raw_blocks(KEY, &t);
        assert_eq!(decrypt(KEY, &ct).unwrap(), &t[..12]);
    }

    #[test]
    fn wrong_key_rejected() {
        let ct = encrypt(KEY, b"hello").unwrap();
        let other = derive_key("some other secret");
        // A wrong key yields random-looking padding, which in theory passes
        // with probability about 1/256; this particular pair does not.
        assert!(matches!(
            decrypt(other.as_bytes(), &ct),
            Err(CryptoError::InvalidPadding { .. })
        ));
    }
}
