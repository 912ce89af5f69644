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

/// The signed message over bytes, for a body that may not be UTF-8: each
/// piece followed by `\n`, as [`response`] joins text.
///
/// ```
/// let m = wechatpay::formatter::joined_bytes(&[b"1700000000", b"nonce", &[0xff, 0x00]]);
/// assert_eq!(m, b"1700000000\nnonce\n\xff\x00\n");
/// ```
pub fn joined_bytes(pieces: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pieces.iter().map(|p| p.len() + 1).sum());
    for p in pieces {
        out.extend_from_slice(p);
        out.push(b'\n');
    }
    out
}

/// The map with its keys in byte order (PHP's `Formatter::ksort`, which
/// uses `strcmp`), as APIv2 signing wants.
///
/// ```
/// use serde_json::json;
/// let sorted = wechatpay::formatter::ksort(json!({"b": 1, "a": 2, "B": 3}).as_object().unwrap());
/// assert_eq!(sorted.keys().collect::<Vec<_>>(), ["B", "a", "b"]);
/// ```
pub fn ksort(
    map: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut pairs: Vec<_> = map.iter().collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    pairs
        .into_iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `k=v&k=v` in the map's order, skipping `sign`, nulls and empty values,
/// without URL encoding (PHP's `Formatter::queryStringLike`): the string an
/// APIv2 `sign` covers once `&key=SECRET` is appended. [`ksort`] first.
///
/// ```
/// use serde_json::json;
/// let m = json!({"appid": "wx1", "sign": "X", "empty": "", "none": null, "total_fee": 888});
/// assert_eq!(wechatpay::formatter::query_string_like(m.as_object().unwrap()), "appid=wx1&total_fee=888");
/// ```
pub fn query_string_like(map: &serde_json::Map<String, serde_json::Value>) -> String {
    use serde_json::Value;
    let mut out = String::new();
    for (k, v) in map {
        let text = match v {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Bool(true) => "1".into(),
            Value::Bool(false) => continue,
            Value::Number(n) => crate::encoding::number_to_string(n),
            nested => nested.to_string(),
        };
        if k == "sign" || text.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&text);
    }
    out
}
