//! APIv2, the legacy XML protocol, beside APIv3 on the same [`Client`](crate::Client).
//!
//! A path that starts with `v2/` (any case of the prefix) is an APIv2 call:
//! the `xml` option is the payload, the client adds `nonce_str` and `sign`
//! (MD5, or HMAC-SHA256 when `sign_type` says so) with the APIv2 secret set
//! by [`Builder::secret`](crate::Builder::secret), sends XML, and checks the
//! reply's `return_code`, `result_code` and `sign` before handing it back.
//! The option `security: true` presents the merchant client certificate
//! (mTLS) configured by [`Builder::client_cert`](crate::Builder::client_cert)
//! or [`Builder::client_cert_p12`](crate::Builder::client_cert_p12).
//!
//! ```no_run
//! use serde_json::json;
//! use wechatpay::Builder;
//!
//! # fn main() -> Result<(), wechatpay::Error> {
//! // An APIv2-only merchant: no APIv3 credentials needed.
//! let client = Builder::new()
//!     .mchid("1900000001")
//!     .secret("your-32-character-apiv2-secret-0")
//!     .client_cert_p12(std::fs::read("apiclient_cert.p12").unwrap_or_default())
//!     .build()?;
//! let r = client["v2/pay/micropay"].post(json!({"xml": {
//!     "appid": "wx8888888888888888", "mch_id": "1900000001",
//!     "body": "image形象店-深圳腾大- QQ公仔", "out_trade_no": "1217752501201407033233368018",
//!     "total_fee": 888, "spbill_create_ip": "8.8.8.8", "auth_code": "120061098828009406",
//! }}))?;
//! let reply = wechatpay::v2::parse(r.body())?;
//! println!("{}", reply["transaction_id"]);
//! // a refund needs the client certificate
//! client["v2/secapi/pay/refund"].post(json!({"security": true, "xml": {
//!     "appid": "wx8888888888888888", "mch_id": "1900000001",
//!     "out_trade_no": "1217752501201407033233368018", "out_refund_no": "R1",
//!     "total_fee": 888, "refund_fee": 888,
//! }}))?;
//! # Ok(()) }
//! ```
//!
//! The helpers here serve what arrives outside a call: [`parse`] a reply or
//! a notification, [`verify`] a payment notification's `sign`,
//! [`decrypt_refund_req_info`] a refund notification's `req_info`, [`sign`]
//! a map (e.g. parameters a front end passes on).

mod identity;

use serde_json::{Map, Value};

use crate::{
    Error, VerificationFailure,
    crypto::{
        aes_ecb,
        hash::{self, SignType},
    },
    formatter::{ksort, query_string_like},
};

pub(crate) use identity::ClientCert;

/// The APIv2 endpoints that answer unsigned or not in XML, whose replies
/// pass through as received: PHP 1.4.12's list (`ClientXmlTrait`), 24 paths.
///
/// A reply from one of them is not checked for a `sign`; if it is XML whose
/// `return_code` (or `result_code`) is not `SUCCESS` it is still an
/// API error, so a bill download gives its CSV (or gzip) on success and
/// an error on failure. A call matches when its template expands, relative
/// to the base URI and after `v2/`, to exactly one of these paths, or to
/// `sandboxnew/` and one of them (WeChat Pay's APIv2 sandbox): a longer path
/// that merely ends with one does not, so no other endpoint's answer can go
/// unchecked.
///
/// ```
/// assert!(wechatpay::v2::UNSIGNED_PATHS.contains(&"/pay/downloadbill"));
/// assert_eq!(wechatpay::v2::UNSIGNED_PATHS.len(), 24);
/// ```
pub const UNSIGNED_PATHS: [&str; 24] = [
    "/mchrisk/querymchrisk",
    "/mchrisk/setmchriskcallback",
    "/mchrisk/syncmchriskresult",
    "/mmpaymkttransfers/gethbinfo",
    "/mmpaymkttransfers/gettransferinfo",
    "/mmpaymkttransfers/pay_bank",
    "/mmpaymkttransfers/promotion/paywwsptrans2pocket",
    "/mmpaymkttransfers/promotion/querywwsptrans2pocket",
    "/mmpaymkttransfers/promotion/transfers",
    "/mmpaymkttransfers/query_bank",
    "/mmpaymkttransfers/sendgroupredpack",
    "/mmpaymkttransfers/sendminiprogramhb",
    "/mmpaymkttransfers/sendredpack",
    "/papay/entrustweb",
    "/papay/h5entrustweb",
    "/papay/partner/entrustweb",
    "/papay/partner/h5entrustweb",
    "/pay/downloadbill",
    "/pay/downloadfundflow",
    "/payitil/report",
    "/risk/getpublickey",
    "/risk/getviolation",
    "/secapi/mch/submchmanage",
    "/xdc/apiv2getsignkey/sign/getsignkey",
];

/// Whether answers on `path` (relative to the base URI, after `v2/`)
/// pass through unchecked (see [`UNSIGNED_PATHS`]).
pub(crate) fn is_unsigned(path: &str) -> bool {
    let path = path.trim_start_matches('/');
    let path = path.strip_prefix("sandboxnew/").unwrap_or(path);
    UNSIGNED_PATHS
        .iter()
        .any(|p| p.strip_prefix('/') == Some(path))
}

/// The APIv2 secret (API key): never printed.
#[derive(Clone)]
pub(crate) struct Secret(std::sync::Arc<zeroize::Zeroizing<String>>);

impl Secret {
    /// Wiped from memory when the last client holding it is dropped.
    pub(crate) fn new(secret: String) -> Self {
        Self(std::sync::Arc::new(zeroize::Zeroizing::new(secret)))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Parses an APIv2 XML body (a reply, a notification) into a map with the
/// hardened reader of [`transformer::to_map`](crate::transformer::to_map):
/// no DTD, no entity expansion, bounded depth and size.
///
/// # Errors
///
/// A decode error ([`Error::is_decode`]) when the body is not UTF-8 or
/// not usable XML; its source is the [`XmlError`](crate::transformer::XmlError).
///
/// ```
/// let m = wechatpay::v2::parse(b"<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>")?;
/// assert_eq!(m["return_code"], "SUCCESS");
/// assert!(wechatpay::v2::parse(b"<!DOCTYPE x><xml/>").unwrap_err().is_decode());
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn parse(body: &[u8]) -> Result<Map<String, Value>, Error> {
    let text = std::str::from_utf8(body).map_err(|e| Error::decode("APIv2 XML", e))?;
    crate::transformer::to_map(text).map_err(|e| Error::decode("APIv2 XML", e))
}

/// `a=1&b=2` back into a map, percent-decoded (`+` as space, as PHP's
/// `Query::parse`); a repeated key keeps its first place and last value.
pub(crate) fn parse_query(query: &str) -> Map<String, Value> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        percent_encoding::percent_decode_str(&s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut map = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        map.insert(decode(k), Value::String(decode(v)));
    }
    map
}

/// The algorithm a request's `sign_type` names: absent means MD5.
///
/// ```
/// use wechatpay::{crypto::hash::SignType, v2::sign_type_of};
/// let data = serde_json::json!({"sign_type": "HMAC-SHA256"});
/// assert_eq!(sign_type_of(data.as_object().unwrap())?, SignType::HmacSha256);
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn sign_type_of(data: &Map<String, Value>) -> Result<SignType, Error> {
    match data.get("sign_type") {
        None | Some(Value::Null) => Ok(SignType::Md5),
        Some(Value::String(s)) if s == SignType::Md5.as_str() => Ok(SignType::Md5),
        Some(Value::String(s)) if s == SignType::HmacSha256.as_str() => Ok(SignType::HmacSha256),
        Some(other) => Err(Error::options(format!(
            "`sign_type` {other} is neither \"MD5\" nor \"HMAC-SHA256\""
        ))),
    }
}

/// The `sign` of `data` under `secret`: MD5, or HMAC-SHA256 when the map's
/// `sign_type` is `HMAC-SHA256`, over the byte-ordered `k=v&…` string
/// (skipping `sign`, nulls and empty values) plus `&key=SECRET`, uppercase hex.
///
/// # Errors
///
/// An options error when `sign_type` is neither `MD5` nor `HMAC-SHA256`.
///
/// ```
/// use serde_json::json;
/// let data = json!({"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000",
///     "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA"});
/// let sign = wechatpay::v2::sign(data.as_object().unwrap(), "192006250b4c09247ec02edce69f6a2d")?;
/// assert_eq!(sign, "9A0A8659F005D6984697E2CA0A9CF3B7");
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn sign(data: &Map<String, Value>, secret: &str) -> Result<String, Error> {
    let kind = sign_type_of(data)?;
    Ok(hash::sign(kind, &query_string_like(&ksort(data)), secret))
}

/// Checks the `sign` of a map WeChat Pay sent (a reply, a payment
/// notification) as PHP does: 64 characters means HMAC-SHA256, anything else
/// MD5; compared in constant time.
///
/// # Errors
///
/// [`VerificationFailure::BadXmlSign`] when `sign` is absent, not text, or
/// does not match.
///
/// ```
/// use serde_json::json;
/// use wechatpay::v2;
///
/// let secret = "192006250b4c09247ec02edce69f6a2d";
/// let mut note = json!({"return_code": "SUCCESS", "out_trade_no": "A1", "total_fee": "1"});
/// let sign = v2::sign(note.as_object().unwrap(), secret)?;
/// note["sign"] = sign.into();
/// assert!(v2::verify(note.as_object().unwrap(), secret).is_ok());
/// note["total_fee"] = "100".into();
/// assert!(v2::verify(note.as_object().unwrap(), secret).is_err());
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn verify(data: &Map<String, Value>, secret: &str) -> Result<(), VerificationFailure> {
    let Some(Value::String(sign)) = data.get("sign") else {
        return Err(VerificationFailure::BadXmlSign(
            "the message carries no `sign`".into(),
        ));
    };
    let kind = if sign.len() == 64 {
        SignType::HmacSha256
    } else {
        SignType::Md5
    };
    let expected = hash::sign(kind, &query_string_like(&ksort(data)), secret);
    if hash::equals(&expected, sign) {
        Ok(())
    } else {
        Err(VerificationFailure::BadXmlSign(format!(
            "`sign` does not match ({})",
            kind.as_str()
        )))
    }
}

/// Decrypts a refund notification's `req_info` (base64 AES-256-ECB, the key
/// being the lowercase hex MD5 of the APIv2 secret) into a map.
///
/// The refund notification itself carries no `sign`: only the secret
/// opens `req_info`, and that is what authenticates it.
///
/// # Errors
///
/// A crypto error when `req_info` does not decrypt with this secret, a
/// decode error when the plaintext is not usable XML.
///
/// ```
/// use wechatpay::crypto::aes_ecb;
/// let secret = "192006250b4c09247ec02edce69f6a2d";
/// // what WeChat Pay would send
/// let key = aes_ecb::derive_key(secret);
/// let req_info = aes_ecb::encrypt(key.as_bytes(), b"<root><refund_status><![CDATA[SUCCESS]]></refund_status></root>")?;
///
/// let info = wechatpay::v2::decrypt_refund_req_info(&req_info, secret)?;
/// assert_eq!(info["refund_status"], "SUCCESS");
/// assert!(wechatpay::v2::decrypt_refund_req_info(&req_info, "another secret").is_err());
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn decrypt_refund_req_info(req_info: &str, secret: &str) -> Result<Map<String, Value>, Error> {
    let key = aes_ecb::derive_key(secret);
    let plain = aes_ecb::decrypt(key.as_bytes(), req_info.trim())?;
    let text =
        std::str::from_utf8(&plain).map_err(|e| Error::decode("the decrypted `req_info`", e))?;
    crate::transformer::to_map(text).map_err(|e| Error::decode("the decrypted `req_info`", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unsigned_paths_match_exactly() {
        let mut n = 0;
        for p in UNSIGNED_PATHS {
            assert!(is_unsigned(p), "{p}");
            assert!(is_unsigned(p.trim_start_matches('/')), "{p}");
            assert!(is_unsigned(&format!("sandboxnew{p}")), "{p}");
            assert!(!is_unsigned(&format!("x{p}")), "{p}");
            assert!(!is_unsigned(&format!("secapi{p}")), "{p}");
            assert!(!is_unsigned(&format!("{p}/x")), "{p}");
            n += 1;
        }
        assert_eq!(n, 24);
        assert!(!is_unsigned("pay/micropay"));
        assert!(!is_unsigned("evil/mmpaymkttransfers/promotion/transfers"));
    }

    #[test]
    fn sign_type_must_be_known() {
        let m = json!({"sign_type": "SHA1"});
        assert!(sign(m.as_object().unwrap(), "k").unwrap_err().is_options());
        let m = json!({"sign_type": "HMAC-SHA256", "a": "1"});
        assert_eq!(sign(m.as_object().unwrap(), "k").unwrap().len(), 64);
    }

    #[test]
    fn verify_wants_a_text_sign() {
        for m in [json!({}), json!({"sign": 1}), json!({"sign": ""})] {
            assert!(verify(m.as_object().unwrap(), "k").is_err());
        }
    }

    #[test]
    fn secret_is_never_printed() {
        let s = Secret::new("top-secret".into());
        assert!(!format!("{s:?}").contains("top"));
    }

    #[test]
    fn req_info_errors_are_typed() {
        assert!(
            decrypt_refund_req_info("not base64!", "k")
                .unwrap_err()
                .is_crypto()
        );
        let key = aes_ecb::derive_key("k");
        let ct = aes_ecb::encrypt(key.as_bytes(), b"<root><a>1</b></root>").unwrap();
        assert!(decrypt_refund_req_info(&ct, "k").unwrap_err().is_decode());
    }

    #[test]
    fn queries_parse_like_php() {
        let m = parse_query("a=1&b=x+y%21&c&=z&a=2");
        assert_eq!(
            Value::Object(m),
            json!({"a": "2", "b": "x y!", "c": "", "": "z"})
        );
    }
}
