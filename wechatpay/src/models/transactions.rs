//! Typed bodies of WeChat Pay's **basic payments** (基础支付): placing an order
//! for JSAPI (a mini-program or an official-account page), APP, H5 and Native
//! payment, querying it, closing it, and the `TRANSACTION.SUCCESS` notification.
//!
//! | call | body | answer |
//! |---|---|---|
//! | `POST v3/pay/transactions/{jsapi,app}` | [`CreateTransaction`] | [`Prepay`] |
//! | `POST v3/pay/transactions/native` | [`CreateTransaction`] | [`NativePrepay`] |
//! | `POST v3/pay/transactions/h5` | [`CreateTransaction`] | [`H5Prepay`] |
//! | `POST v3/pay/partner/transactions/…` | [`PartnerCreateTransaction`] | the same |
//! | `GET v3/pay/transactions/id/{transaction_id}`, `…/out-trade-no/{out_trade_no}` | query [`MerchantQuery`] | [`Transaction`] |
//! | `GET v3/pay/partner/transactions/…` | query [`PartnerQuery`] | [`Transaction`] |
//! | `POST …/out-trade-no/{out_trade_no}/close` | [`MerchantQuery`] / [`PartnerQuery`] | 204 |
//! | `TRANSACTION.SUCCESS` resource | | [`Transaction`] |
//!
//! Amounts are integers in fen (分, a hundredth of a yuan); times are RFC 3339
//! strings (`2018-06-08T10:34:56+08:00`). Optional fields are `None` and are
//! left out of the JSON. Unknown fields are ignored when reading, so a newer
//! answer still parses.
//!
//! ```
//! use wechatpay::models::transactions::{Amount, CreateTransaction, Order, Payer};
//!
//! let order = CreateTransaction {
//!     appid: "wxd678efh567hg6787".into(),
//!     mchid: "1900000001".into(),
//!     order: Order {
//!         description: "Image形象店-深圳腾大-QQ公仔".into(),
//!         out_trade_no: "1217752501201407033233368018".into(),
//!         notify_url: "https://www.weixin.qq.com/wxpay/pay.php".into(),
//!         amount: Amount { total: 100, currency: Some("CNY".into()) },
//!         payer: Some(Payer::openid("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")),
//!         ..Default::default()
//!     },
//! };
//! let json = serde_json::to_value(&order).unwrap();
//! assert_eq!(json["amount"]["total"], 100);
//! assert_eq!(json["payer"]["openid"], "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
//! assert!(json.get("order").is_none(), "the shared fields sit at the top level");
//! ```

use serde::{Deserialize, Serialize};

/// The amount of an order being placed (`amount`, 订单金额).
///
/// ```
/// let a = wechatpay::models::transactions::Amount { total: 100, currency: None };
/// assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"total":100}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    /// The total in fen (总金额), greater than zero.
    pub total: i64,
    /// `CNY`, the only currency of domestic merchants (货币类型); WeChat Pay assumes it when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// Who pays (`payer`, 支付者): `openid` for a direct merchant; `sp_openid`
/// or `sub_openid` (with `sub_appid`) for a service provider's order.
///
/// ```
/// use wechatpay::models::transactions::Payer;
/// let p = Payer::openid("oUser");
/// assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"openid":"oUser"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    /// The user's openid under `appid` (用户标识), direct merchants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    /// The user's openid under `sp_appid` (用户服务标识), partner orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_openid: Option<String>,
    /// The user's openid under `sub_appid` (用户子标识), partner orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_openid: Option<String>,
}

impl Payer {
    /// A direct merchant's payer.
    ///
    /// ```
    /// assert_eq!(wechatpay::models::transactions::Payer::openid("o1").openid.as_deref(), Some("o1"));
    /// ```
    pub fn openid(openid: impl Into<String>) -> Self {
        Self {
            openid: Some(openid.into()),
            ..Self::default()
        }
    }
}

/// One item of the order (`detail.goods_detail[]`, 单品列表).
///
/// ```
/// let g: wechatpay::models::transactions::GoodsDetail = serde_json::from_str(
///     r#"{"merchant_goods_id": "1246464644", "quantity": 1, "unit_price": 528800}"#).unwrap();
/// assert_eq!(g.unit_price, 528800);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodsDetail {
    /// The merchant's item code (商户侧商品编码).
    pub merchant_goods_id: String,
    /// WeChat Pay's item code (微信支付商品编码).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechatpay_goods_id: Option<String>,
    /// The item's name (商品名称).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_name: Option<String>,
    /// How many (商品数量).
    pub quantity: i64,
    /// The unit price in fen (商品单价).
    pub unit_price: i64,
}

/// What was bought, for discounts (`detail`, 优惠功能).
///
/// ```
/// let d = wechatpay::models::transactions::Detail { cost_price: Some(608800), ..Default::default() };
/// assert_eq!(serde_json::to_string(&d).unwrap(), r#"{"cost_price":608800}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    /// The original price in fen (订单原价).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_price: Option<i64>,
    /// The receipt number (商品小票ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
    /// The items (单品列表).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_detail: Option<Vec<GoodsDetail>>,
}

/// The shop (`scene_info.store_info`, 商户门店信息).
///
/// ```
/// let s = wechatpay::models::transactions::StoreInfo { id: "0001".into(), ..Default::default() };
/// assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"id":"0001"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    /// The shop's number (门店编号).
    pub id: String,
    /// The shop's name (门店名称).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its area code (地区编码).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_code: Option<String>,
    /// Its address (详细地址).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// Where an H5 payment starts (`scene_info.h5_info`, H5场景信息), required by H5 orders.
///
/// ```
/// let h = wechatpay::models::transactions::H5Info { kind: "Wap".into(), ..Default::default() };
/// assert_eq!(serde_json::to_string(&h).unwrap(), r#"{"type":"Wap"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5Info {
    /// `iOS`, `Android` or `Wap` (场景类型).
    #[serde(rename = "type")]
    pub kind: String,
    /// The app's name (应用名称).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    /// The site's URL (网站URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_url: Option<String>,
    /// The iOS bundle ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
    /// The Android package name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name: Option<String>,
}

/// Where the payment happens (`scene_info`, 场景信息).
///
/// ```
/// use wechatpay::models::transactions::{H5Info, SceneInfo};
/// let s = SceneInfo { payer_client_ip: Some("14.23.150.211".into()), h5_info: Some(H5Info { kind: "Wap".into(), ..Default::default() }), ..Default::default() };
/// assert_eq!(serde_json::to_value(&s).unwrap()["h5_info"]["type"], "Wap");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneInfo {
    /// The user's IP, IPv4 or IPv6 (用户终端IP); required by H5 orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_client_ip: Option<String>,
    /// The merchant's device (商户端设备号).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The shop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_info: Option<StoreInfo>,
    /// The H5 scene; required by H5 orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h5_info: Option<H5Info>,
}

/// Settlement (`settle_info`, 结算信息).
///
/// ```
/// let s = wechatpay::models::transactions::SettleInfo { profit_sharing: Some(true) };
/// assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"profit_sharing":true}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettleInfo {
    /// Whether the funds are held for profit sharing (是否指定分账).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profit_sharing: Option<bool>,
}

/// What every order says, direct or partner: flattened into
/// [`CreateTransaction`] and [`PartnerCreateTransaction`], so its fields sit
/// at the top level of the JSON.
///
/// ```
/// use wechatpay::models::transactions::{Amount, Order};
/// let o = Order { description: "QQ公仔".into(), out_trade_no: "T0000001".into(),
///     notify_url: "https://example.com/notify".into(), amount: Amount { total: 1, currency: None },
///     ..Default::default() };
/// assert_eq!(serde_json::to_value(&o).unwrap()["out_trade_no"], "T0000001");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// What is sold, shown to the user (商品描述), at most 127 characters.
    pub description: String,
    /// The merchant's order number (商户订单号): 6 to 32 of `0-9 A-Z a-z _ - | *`,
    /// unique per merchant.
    pub out_trade_no: String,
    /// When the order stops taking payment, RFC 3339 (交易结束时间).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<String>,
    /// Data handed back in the query and the notification (附加数据), at most 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Where `TRANSACTION.SUCCESS` goes (通知地址): an https URL without a query.
    pub notify_url: String,
    /// A tag for discounts (订单优惠标记).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_tag: Option<String>,
    /// Whether the user may ask for an e-fapiao (电子发票入口开放标识).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_fapiao: Option<bool>,
    /// The amount.
    pub amount: Amount,
    /// Who pays: required by JSAPI orders, absent from the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    /// What was bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
    /// Where; required by H5 orders (`payer_client_ip`, `h5_info`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene_info: Option<SceneInfo>,
    /// Settlement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_info: Option<SettleInfo>,
}

/// The body of a direct merchant's order (JSAPI/APP/H5/Native下单):
/// `POST v3/pay/transactions/{jsapi|app|h5|native}`.
///
/// ```
/// use wechatpay::models::transactions::{Amount, CreateTransaction, Order};
/// let c: CreateTransaction = serde_json::from_str(r#"{"appid": "wx1", "mchid": "1900000001",
///     "description": "d", "out_trade_no": "T0000001", "notify_url": "https://e.com/n",
///     "amount": {"total": 1}}"#).unwrap();
/// assert_eq!(c.order.amount.total, 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTransaction {
    /// The app ID the user pays in (应用ID: an official account's, a mini-program's, an app's).
    pub appid: String,
    /// The merchant ID (直连商户号), the one that signs the request.
    pub mchid: String,
    /// The order itself.
    #[serde(flatten)]
    pub order: Order,
}

/// The body of a service provider's order for a sub-merchant:
/// `POST v3/pay/partner/transactions/{jsapi|app|h5|native}`.
///
/// ```
/// use wechatpay::models::transactions::{Amount, Order, PartnerCreateTransaction, Payer};
/// let c = PartnerCreateTransaction { sp_appid: "wx1".into(), sp_mchid: "1900000001".into(),
///     sub_mchid: "1900000109".into(), sub_appid: None,
///     order: Order { payer: Some(Payer { sp_openid: Some("oUser".into()), ..Default::default() }), ..Default::default() } };
/// assert_eq!(serde_json::to_value(&c).unwrap()["payer"]["sp_openid"], "oUser");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerCreateTransaction {
    /// The service provider's app ID (服务商应用ID).
    pub sp_appid: String,
    /// The service provider's merchant ID (服务商户号), the one that signs the request.
    pub sp_mchid: String,
    /// The sub-merchant's app ID (子商户应用ID), needed with `payer.sub_openid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_appid: Option<String>,
    /// The sub-merchant (子商户号).
    pub sub_mchid: String,
    /// The order itself.
    #[serde(flatten)]
    pub order: Order,
}

/// The answer of a JSAPI or APP order: the prepay ID (预支付交易会话标识),
/// valid for two hours, from which the front end's signature is made
/// ([`crate::paysign`]).
///
/// ```
/// let p: wechatpay::models::transactions::Prepay = serde_json::from_str(r#"{"prepay_id": "wx201410272009395522657a690389285100"}"#).unwrap();
/// assert!(p.prepay_id.starts_with("wx"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepay {
    /// The prepay ID.
    pub prepay_id: String,
}

/// The answer of a Native order: the link to show as a QR code (二维码链接).
///
/// ```
/// let p: wechatpay::models::transactions::NativePrepay = serde_json::from_str(r#"{"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}"#).unwrap();
/// assert!(p.code_url.starts_with("weixin://"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativePrepay {
    /// The `weixin://wxpay/bizpayurl?pr=…` link.
    pub code_url: String,
}

/// The answer of an H5 order: the page that takes the user to WeChat (支付跳转链接).
///
/// ```
/// let p: wechatpay::models::transactions::H5Prepay = serde_json::from_str(r#"{"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"}"#).unwrap();
/// assert!(p.h5_url.starts_with("https://"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5Prepay {
    /// The link, valid for five minutes.
    pub h5_url: String,
}

/// A direct merchant's query string of a query (`?mchid=…`), and the body of a close.
///
/// ```
/// let q = wechatpay::models::transactions::MerchantQuery { mchid: "1900000001".into() };
/// assert_eq!(serde_json::to_string(&q).unwrap(), r#"{"mchid":"1900000001"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantQuery {
    /// The merchant ID (直连商户号).
    pub mchid: String,
}

/// A service provider's query string of a query (`?sp_mchid=…&sub_mchid=…`), and the body of a close.
///
/// ```
/// let q = wechatpay::models::transactions::PartnerQuery { sp_mchid: "1900000001".into(), sub_mchid: "1900000109".into() };
/// assert_eq!(serde_json::to_value(&q).unwrap()["sub_mchid"], "1900000109");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerQuery {
    /// The service provider's merchant ID (服务商户号).
    pub sp_mchid: String,
    /// The sub-merchant (子商户号).
    pub sub_mchid: String,
}

/// The amount of an order as WeChat Pay reports it (`amount`, 订单金额).
///
/// ```
/// let a: wechatpay::models::transactions::TransactionAmount = serde_json::from_str(
///     r#"{"total": 100, "payer_total": 90, "currency": "CNY", "payer_currency": "CNY"}"#).unwrap();
/// assert_eq!(a.payer_total, Some(90));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionAmount {
    /// The order's total in fen (总金额).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// What the user paid in fen, discounts deducted (用户支付金额); once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<i64>,
    /// The order's currency (货币类型).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The currency the user paid in (用户支付币种).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_currency: Option<String>,
}

/// A discount applied to the payment (`promotion_detail[]`, 优惠功能).
///
/// ```
/// let p: wechatpay::models::transactions::PromotionDetail = serde_json::from_str(
///     r#"{"coupon_id": "109519", "amount": 100, "type": "CASH"}"#).unwrap();
/// assert_eq!(p.kind.as_deref(), Some("CASH"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionDetail {
    /// The coupon's ID (券ID).
    pub coupon_id: String,
    /// Its name (优惠名称).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `GLOBAL` or `SINGLE` (优惠范围).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// `CASH` or `NOCASH` (优惠类型).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The discount in fen (优惠券面额).
    #[serde(default)]
    pub amount: i64,
    /// The stock (活动ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_id: Option<String>,
    /// What WeChat Pay contributed, fen (微信出资).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechatpay_contribute: Option<i64>,
    /// What the merchant contributed, fen (商户出资).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_contribute: Option<i64>,
    /// What others contributed, fen (其他出资).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_contribute: Option<i64>,
    /// The currency (优惠币种).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// The merchant's device, as reported (`scene_info`).
///
/// ```
/// let s: wechatpay::models::transactions::TransactionScene = serde_json::from_str(r#"{"device_id": "013467007045764"}"#).unwrap();
/// assert_eq!(s.device_id.as_deref(), Some("013467007045764"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionScene {
    /// The merchant's device (商户端设备号).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

/// An order as WeChat Pay reports it: the answer of a query, and the
/// decrypted resource of `TRANSACTION.SUCCESS`. One struct for both forms:
/// a direct merchant's order has `appid`/`mchid`, a partner order
/// `sp_appid`/`sp_mchid`/`sub_mchid` (and `sub_appid` when given).
///
/// `trade_state` is one of `SUCCESS` (paid), `REFUND` (refunds were made),
/// `NOTPAY`, `CLOSED`, `REVOKED`, `USERPAYING` and `PAYERROR`.
///
/// ```
/// let t: wechatpay::models::transactions::Transaction = serde_json::from_str(r#"{
///     "appid": "wxd678efh567hg6787", "mchid": "1230000109", "out_trade_no": "1217752501201407033233368018",
///     "transaction_id": "1217752501201407033233368018", "trade_type": "JSAPI", "trade_state": "SUCCESS",
///     "trade_state_desc": "支付成功", "bank_type": "CMC", "success_time": "2018-06-08T10:34:56+08:00",
///     "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}, "amount": {"total": 100, "payer_total": 100}}"#).unwrap();
/// assert_eq!(t.trade_state, "SUCCESS");
/// assert_eq!(t.amount.unwrap().total, Some(100));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The app ID (应用ID), direct merchants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// The merchant ID (直连商户号), direct merchants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<String>,
    /// The service provider's app ID, partner orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_appid: Option<String>,
    /// The service provider's merchant ID, partner orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_mchid: Option<String>,
    /// The sub-merchant's app ID, partner orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_appid: Option<String>,
    /// The sub-merchant, partner orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// The merchant's order number (商户订单号).
    #[serde(default)]
    pub out_trade_no: String,
    /// WeChat Pay's order number (微信支付订单号), once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// `JSAPI`, `NATIVE`, `APP`, `MICROPAY`, `MWEB` (H5) or `FACEPAY` (交易类型), once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<String>,
    /// The state (交易状态); see the type's docs.
    #[serde(default)]
    pub trade_state: String,
    /// The state in words (交易状态描述).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_state_desc: Option<String>,
    /// The paying bank (付款银行), e.g. `CMC`, `OTHERS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_type: Option<String>,
    /// The order's `attach`, as given (附加数据).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// When it was paid, RFC 3339 (支付完成时间).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// Who paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    /// The amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<TransactionAmount>,
    /// The merchant's device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene_info: Option<TransactionScene>,
    /// Discounts applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_detail: Option<Vec<PromotionDetail>>,
}
