//! The strings WeChat Pay signs and the header that carries a signature
//! (PHP's `Formatter`).

use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng as _;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A random nonce of `len` base62 characters (WeChat Pay uses 32).
///
/// ```
/// let n = wechatpay::formatter::nonce(32);
/// assert_eq!(n.len(), 32);
/// assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
/// ```
pub fn nonce(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect()
}

/// Unix time in seconds, as WeChat Pay's `timestamp` fields want it.
///
/// ```
/// assert!(wechatpay::formatter::timestamp() > 1_700_000_000);
/// ```
pub fn timestamp() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The `Authorization` header of an APIv3 request, parameters in WeChat Pay's order.
///
/// ```
/// let h = wechatpay::formatter::authorization("1900000001", "n", "sig", "1", "SERIAL");
/// assert_eq!(h, r#"WECHATPAY2-SHA256-RSA2048 mchid="1900000001",serial_no="SERIAL",timestamp="1",nonce_str="n",signature="sig""#);
/// ```
pub fn authorization(
    mchid: &str,
    nonce: &str,
    signature: &str,
    timestamp: &str,
    serial: &str,
) -> String {
    format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"{mchid}\",serial_no=\"{serial}\",timestamp=\"{timestamp}\",nonce_str=\"{nonce}\",signature=\"{signature}\""
    )
}

/// The message a merchant signs: `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`.
///
/// ```
/// let m = wechatpay::formatter::request("GET", "/v3/certificates", "1", "n", "");
/// assert_eq!(m, "GET\n/v3/certificates\n1\nn\n\n");
/// ```
pub fn request(method: &str, target: &str, timestamp: &str, nonce: &str, body: &str) -> String {
    joined_by_line_feed(&[method, target, timestamp, nonce, body])
}

/// The message WeChat Pay signs in replies and callbacks: `TIMESTAMP\nNONCE\nBODY\n`.
///
/// ```
/// assert_eq!(wechatpay::formatter::response("1", "n", "{}"), "1\nn\n{}\n");
/// ```
pub fn response(timestamp: &str, nonce: &str, body: &str) -> String {
    joined_by_line_feed(&[timestamp, nonce, body])
}

/// Each piece followed by `\n`, the shape of every WeChat Pay signed message.
///
/// ```
/// assert_eq!(wechatpay::formatter::joined_by_line_feed(&["a", "b"]), "a\nb\n");
/// ```
pub fn joined_by_line_feed(pieces: &[&str]) -> String {
    let mut out = String::with_capacity(pieces.iter().map(|p| p.len() + 1).sum());
    for p in pieces {
        out.push_str(p);
        out.push('\n');
    }
    out
}

/// Byte-wise joined message for a body that may not be UTF-8 (responses).
pub(crate) fn joined_bytes(pieces: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pieces.iter().map(|p| p.len() + 1).sum());
    for p in pieces {
        out.extend_from_slice(p);
        out.push(b'\n');
    }
    out
}
