//! APIv2 request/response signatures, mirroring wechatpay-php's
//! `WeChatPay\Crypto\Hash`.
//!
//! APIv2 signs the sorted `k=v&...` string with the merchant's APIv2 secret
//! appended as `&key=SECRET`, then sends the digest in uppercase hex.

use aws_lc_rs::hmac;
use md5::{Digest as _, Md5};

/// Signature algorithm named by the APIv2 `sign_type` field.
///
/// # Example
///
/// ```
/// use wechatpay::crypto::hash::SignType;
///
/// assert_eq!(SignType::HmacSha256.as_str(), "HMAC-SHA256");
/// assert_eq!(SignType::default(), SignType::Md5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SignType {
    /// `MD5`, the APIv2 default when `sign_type` is absent.
    ///
    /// ```
    /// use wechatpay::crypto::hash::SignType;
    ///
    /// assert_eq!(SignType::Md5.as_str(), "MD5");
    /// ```
    #[default]
    Md5,
    /// `HMAC-SHA256`.
    ///
    /// ```
    /// use wechatpay::crypto::hash::SignType;
    ///
    /// assert_eq!(SignType::HmacSha256.as_str(), "HMAC-SHA256");
    /// ```
    HmacSha256,
}

impl SignType {
    /// The value WeChat Pay expects in the `sign_type` request field.
    ///
    /// # Example
    ///
    /// ```
    /// use wechatpay::crypto::hash::SignType;
    ///
    /// assert_eq!(SignType::Md5.as_str(), "MD5");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::HmacSha256 => "HMAC-SHA256",
        }
    }
}

/// Lowercase hex MD5 of `data`, or of `data&key=KEY` when `key` is non-empty.
///
/// # Example
///
/// ```
/// use wechatpay::crypto::hash;
///
/// assert_eq!(hash::md5("", ""), "d41d8cd98f00b204e9800998ecf8427e");
/// assert_eq!(hash::md5("a=1", "k"), hash::md5("a=1&key=k", ""));
/// ```
#[must_use]
pub fn md5(data: &str, key: &str) -> String {
    let mut hasher = Md5::new();
    hasher.update(data.as_bytes());
    if !key.is_empty() {
        hasher.update(b"&key=");
        hasher.update(key.as_bytes());
    }
    to_hex(&hasher.finalize())
}

/// Lowercase hex HMAC-SHA256 of `data&key=KEY`, keyed with `key`.
///
/// The secret is both the HMAC key and part of the message because that is
/// what WeChat Pay's servers compute; it adds nothing cryptographically.
///
/// # Example
///
/// ```
/// use wechatpay::crypto::hash;
///
/// let mac = hash::hmac_sha256("a=1", "k");
/// assert_eq!(mac.len(), 64);
/// assert_eq!(mac, mac.to_ascii_lowercase());
/// ```
#[must_use]
pub fn hmac_sha256(data: &str, key: &str) -> String {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    let mut ctx = hmac::Context::with_key(&k);
    ctx.update(data.as_bytes());
    ctx.update(b"&key=");
    ctx.update(key.as_bytes());
    to_hex(ctx.sign().as_ref())
}

/// Computes the APIv2 `sign` field: the chosen digest in UPPERCASE hex.
///
/// # Example
///
/// ```
/// use wechatpay::crypto::hash::{self, SignType};
///
/// let data = "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA";
/// let key = "192006250b4c09247ec02edce69f6a2d";
/// assert_eq!(hash::sign(SignType::Md5, data, key), "9A0A8659F005D6984697E2CA0A9CF3B7");
/// ```
#[must_use]
pub fn sign(sign_type: SignType, data: &str, key: &str) -> String {
    let mut digest = match sign_type {
        SignType::Md5 => md5(data, key),
        SignType::HmacSha256 => hmac_sha256(data, key),
    };
    digest.make_ascii_uppercase();
    digest
}

/// Compares two strings in constant time with respect to their contents.
///
/// Use this to check a received `sign` against the expected one, so response
/// timing does not reveal how many leading characters matched. Strings of
/// different lengths are unequal; their lengths are not treated as secret.
///
/// # Example
///
/// ```
/// use wechatpay::crypto::hash;
///
/// assert!(hash::equals("9A0A8659", "9A0A8659"));
/// assert!(!hash::equals("9A0A8659", "9A0A8658"));
/// assert!(!hash::equals("9A0A", "9A0A8659"));
/// ```
#[must_use]
pub fn equals(a: &str, b: &str) -> bool {
    // Backed by CRYPTO_memcmp, which ORs every byte difference rather than
    // returning at the first mismatch.
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

// Hand-rolled to avoid a dependency for a dozen lines.
fn to_hex(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(ALPHABET[usize::from(b >> 4)]));
        out.push(char::from(ALPHABET[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA";
    const KEY: &str = "192006250b4c09247ec02edce69f6a2d";

    #[test]
    fn md5_known_answer() {
        assert_eq!(
            sign(SignType::Md5, DATA, KEY),
            "9A0A8659F005D6984697E2CA0A9CF3B7"
        );
        assert_eq!(md5(DATA, KEY), "9a0a8659f005d6984697e2ca0a9cf3b7");
    }

    #[test]
    fn hmac_sha256_known_answer() {
        assert_eq!(
            sign(SignType::HmacSha256, DATA, KEY),
            "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
        );
        assert_eq!(
            hmac_sha256(DATA, KEY),
            "6a9ae1657590fd6257d693a078e1c3e4bb6ba4dc30b23e0ee2496e54170dacd6"
        );
    }

    #[test]
    fn md5_without_key_hashes_data_only() {
        // RFC 1321 test vectors.
        assert_eq!(md5("", ""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5("abc", ""), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5(DATA, KEY), md5(&format!("{DATA}&key={KEY}"), ""));
    }

    #[test]
    fn hmac_sha256_rfc4231_case_2() {
        // Pin the backend to a published vector, then check that our
        // function is exactly HMAC over `data&key=KEY`.
        let direct = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, b"Jefe"),
            b"what do ya want for nothing?",
        );
        assert_eq!(
            to_hex(direct.as_ref()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let ours = hmac_sha256("x", "Jefe");
        let expected = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, b"Jefe"), b"x&key=Jefe");
        assert_eq!(ours, to_hex(expected.as_ref()));
    }

    #[test]
    fn sign_is_uppercase_hex() {
        for t in [SignType::Md5, SignType::HmacSha256] {
            let s = sign(t, "a=b", "k");
            assert!(
                s.bytes()
                    .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
            );
            let expected_len = if t == SignType::Md5 { 32 } else { 64 };
            assert_eq!(s.len(), expected_len);
        }
    }

    #[test]
    fn equals_behaviour() {
        assert!(equals("", ""));
        assert!(equals("ABC", "ABC"));
        assert!(!equals("ABC", "ABD"));
        assert!(!equals("ABC", "XBC"));
        assert!(!equals("ABC", "abc"));
        assert!(!equals("ABC", "ABCD"));
        assert!(!equals("ABCD", "ABC"));
        assert!(!equals("", "A"));
        let s = sign(SignType::Md5, DATA, KEY);
        assert!(equals(&s, "9A0A8659F005D6984697E2CA0A9CF3B7"));
        assert!(!equals(&s, "9a0a8659f005d6984697e2ca0a9cf3b7"));
    }

    #[test]
    fn to_hex_encodes_all_nibbles() {
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }
}
