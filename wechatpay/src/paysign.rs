//! The signatures a merchant's server makes from a `prepay_id` so that its
//! front end can open WeChat's cashier: [`JsapiPayParams`] for
//! `wx.requestPayment` / `WeixinJSBridge` (mini-programs and official-account
//! pages) and [`AppPayParams`] for the APP SDK's `PayReq`.
//!
//! Both are RSA-SHA256 signatures with the merchant API private key (the one
//! that signs API calls) over four lines, each ending in `\n`:
//!
//! | kind | signed lines | the signature's field |
//! |---|---|---|
//! | JSAPI | `appId`, `timeStamp`, `nonceStr`, `package` (`prepay_id=…`) | `paySign`, with `signType: RSA` |
//! | APP | `appid`, `timestamp`, `noncestr`, `prepayid` | `sign`, with `package: Sign=WXPay` |
//!
//! The structs serialize with the names the front end expects, so the
//! server hands them over as JSON unchanged. The private key never leaves
//! the server: the front end gets only the signed parameters.
//!
//! ```
//! use wechatpay::{crypto::PrivateKey, paysign::JsapiPayParams};
//! # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
//! let key = PrivateKey::from_pem(&pem)?;
//! let params = JsapiPayParams::new("wxd678efh567hg6787", "wx201410272009395522657a690389285100", &key)?;
//! let json = serde_json::to_value(&params).unwrap();
//! assert_eq!(json["package"], "prepay_id=wx201410272009395522657a690389285100");
//! assert_eq!(json["signType"], "RSA");
//! assert!(key.public_key()?.verify(params.message(), &params.pay_sign));
//! # Ok::<(), wechatpay::crypto::CryptoError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::{
    crypto::{CryptoError, PrivateKey},
    formatter,
};

/// The length of the random `nonceStr` made by [`JsapiPayParams::new`] and
/// [`AppPayParams::new`]; WeChat Pay allows up to 32 characters.
const NONCE_LEN: usize = 32;

/// What `wx.requestPayment` (or `WeixinJSBridge.invoke('getBrandWCPayRequest', …)`)
/// takes, signed: JSAPI and mini-program payments.
///
/// ```
/// use wechatpay::{crypto::PrivateKey, paysign::JsapiPayParams};
/// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
/// let key = PrivateKey::from_pem(&pem)?;
/// let p = JsapiPayParams::with("wx1", "wx2024", 1_700_000_000, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", &key)?;
/// assert_eq!(p.message(), "wx1\n1700000000\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx2024\n");
/// let json = serde_json::to_string(&p).unwrap();
/// assert!(json.starts_with(r#"{"appId":"wx1","timeStamp":"1700000000","nonceStr":"5K8264ILTKCH16CQ2502SI8ZNMTM67VS","package":"prepay_id=wx2024","signType":"RSA","paySign":""#));
/// # Ok::<(), wechatpay::crypto::CryptoError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsapiPayParams {
    /// The app ID the order was placed with (`appid`, or `sub_appid`/`sp_appid` for a partner order).
    #[serde(rename = "appId")]
    pub app_id: String,
    /// Unix seconds, as text.
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    /// A random string of at most 32 characters.
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// `prepay_id=` and the order's prepay ID.
    pub package: String,
    /// `RSA`.
    #[serde(rename = "signType")]
    pub sign_type: String,
    /// The base64 RSA-SHA256 signature over [`message`](Self::message).
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

impl JsapiPayParams {
    /// Signs for `prepay_id` now, with a fresh nonce.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// # let key = wechatpay::crypto::PrivateKey::from_pem(&pem)?;
    /// let p = wechatpay::paysign::JsapiPayParams::new("wx1", "wx2024", &key)?;
    /// assert_eq!(p.nonce_str.len(), 32);
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn new(appid: &str, prepay_id: &str, key: &PrivateKey) -> Result<Self, CryptoError> {
        Self::with(
            appid,
            prepay_id,
            formatter::timestamp(),
            &formatter::nonce(NONCE_LEN),
            key,
        )
    }

    /// Signs for `prepay_id` with the timestamp and nonce given (for tests,
    /// or to sign again exactly what was signed before).
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// # let key = wechatpay::crypto::PrivateKey::from_pem(&pem)?;
    /// let a = wechatpay::paysign::JsapiPayParams::with("wx1", "wx2024", 1, "n", &key)?;
    /// let b = wechatpay::paysign::JsapiPayParams::with("wx1", "wx2024", 1, "n", &key)?;
    /// assert_eq!(a, b); // PKCS#1 v1.5 signatures are deterministic
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn with(
        appid: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
        key: &PrivateKey,
    ) -> Result<Self, CryptoError> {
        let mut params = Self {
            app_id: appid.to_string(),
            time_stamp: timestamp.to_string(),
            nonce_str: nonce.to_string(),
            package: format!("prepay_id={prepay_id}"),
            sign_type: "RSA".into(),
            pay_sign: String::new(),
        };
        params.pay_sign = key.sign(params.message())?;
        Ok(params)
    }

    /// The signed text: `appId\ntimeStamp\nnonceStr\npackage\n`.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// # let key = wechatpay::crypto::PrivateKey::from_pem(&pem)?;
    /// let p = wechatpay::paysign::JsapiPayParams::with("wx1", "wx2", 3, "n", &key)?;
    /// assert_eq!(p.message(), "wx1\n3\nn\nprepay_id=wx2\n");
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn message(&self) -> String {
        formatter::joined_by_line_feed(&[
            &self.app_id,
            &self.time_stamp,
            &self.nonce_str,
            &self.package,
        ])
    }
}

/// What the APP SDK's `PayReq` takes, signed: APP payments.
///
/// ```
/// use wechatpay::{crypto::PrivateKey, paysign::AppPayParams};
/// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
/// let key = PrivateKey::from_pem(&pem)?;
/// let p = AppPayParams::with("wx1", "1900000001", "wx2024", 1_700_000_000, "n0", &key)?;
/// assert_eq!(p.message(), "wx1\n1700000000\nn0\nwx2024\n");
/// let json = serde_json::to_value(&p).unwrap();
/// assert_eq!(json["package"], "Sign=WXPay");
/// assert_eq!(json["partnerid"], "1900000001");
/// # Ok::<(), wechatpay::crypto::CryptoError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPayParams {
    /// The app's ID the order was placed with.
    pub appid: String,
    /// The merchant ID the order was placed with.
    pub partnerid: String,
    /// The order's prepay ID.
    pub prepayid: String,
    /// `Sign=WXPay`.
    pub package: String,
    /// A random string of at most 32 characters.
    pub noncestr: String,
    /// Unix seconds, as text.
    pub timestamp: String,
    /// The base64 RSA-SHA256 signature over [`message`](Self::message).
    pub sign: String,
}

impl AppPayParams {
    /// Signs for `prepay_id` now, with a fresh nonce.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// # let key = wechatpay::crypto::PrivateKey::from_pem(&pem)?;
    /// let p = wechatpay::paysign::AppPayParams::new("wx1", "1900000001", "wx2024", &key)?;
    /// assert!(key.public_key()?.verify(p.message(), &p.sign));
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn new(
        appid: &str,
        mchid: &str,
        prepay_id: &str,
        key: &PrivateKey,
    ) -> Result<Self, CryptoError> {
        Self::with(
            appid,
            mchid,
            prepay_id,
            formatter::timestamp(),
            &formatter::nonce(NONCE_LEN),
            key,
        )
    }

    /// Signs for `prepay_id` with the timestamp and nonce given.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// # let key = wechatpay::crypto::PrivateKey::from_pem(&pem)?;
    /// let p = wechatpay::paysign::AppPayParams::with("wx1", "1900000001", "wx2024", 7, "n", &key)?;
    /// assert_eq!(p.timestamp, "7");
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn with(
        appid: &str,
        mchid: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
        key: &PrivateKey,
    ) -> Result<Self, CryptoError> {
        let mut params = Self {
            appid: appid.to_string(),
            partnerid: mchid.to_string(),
            prepayid: prepay_id.to_string(),
            package: "Sign=WXPay".into(),
            noncestr: nonce.to_string(),
            timestamp: timestamp.to_string(),
            sign: String::new(),
        };
        params.sign = key.sign(params.message())?;
        Ok(params)
    }

    /// The signed text: `appid\ntimestamp\nnoncestr\nprepayid\n`.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// # let key = wechatpay::crypto::PrivateKey::from_pem(&pem)?;
    /// let p = wechatpay::paysign::AppPayParams::with("wx1", "1900000001", "wx2", 3, "n", &key)?;
    /// assert_eq!(p.message(), "wx1\n3\nn\nwx2\n");
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn message(&self) -> String {
        formatter::joined_by_line_feed(&[
            &self.appid,
            &self.timestamp,
            &self.noncestr,
            &self.prepayid,
        ])
    }
}
