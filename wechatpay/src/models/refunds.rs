//! Typed bodies of **domestic refunds** (退款): asking for one, querying it,
//! and the `REFUND.SUCCESS` notification. The same endpoints serve direct
//! merchants and service providers (who add `sub_mchid`).
//!
//! | call | body | answer |
//! |---|---|---|
//! | `POST v3/refund/domestic/refunds` | [`CreateRefund`] | [`Refund`] |
//! | `GET v3/refund/domestic/refunds/{out_refund_no}` | query [`RefundQuery`] (partners) | [`Refund`] |
//! | `REFUND.SUCCESS` resource | | [`RefundNotification`] |
//!
//! A refund is asked for part or all of what was paid; several partial
//! refunds may follow one another until the paid amount is used up. Its
//! `status` is `PROCESSING` at first, then `SUCCESS`, `CLOSED` or `ABNORMAL`.
//! Amounts are integers in fen, times RFC 3339 strings.
//!
//! ```
//! use wechatpay::models::refunds::{CreateRefund, RefundRequestAmount};
//!
//! let refund = CreateRefund {
//!     out_trade_no: Some("1217752501201407033233368018".into()),
//!     out_refund_no: "1217752501201407033233368019".into(),
//!     reason: Some("商品已售完".into()),
//!     amount: RefundRequestAmount { refund: 50, total: 100, currency: "CNY".into(), from: None },
//!     ..Default::default()
//! };
//! let json = serde_json::to_value(&refund).unwrap();
//! assert_eq!(json["amount"]["refund"], 50);
//! assert!(json.get("transaction_id").is_none());
//! ```

use serde::{Deserialize, Serialize};

/// Where a part of the refund comes from (`amount.from[]`, 退款出资账户及金额).
///
/// ```
/// let f = wechatpay::models::refunds::FundsFrom { account: "AVAILABLE".into(), amount: 444 };
/// assert_eq!(serde_json::to_string(&f).unwrap(), r#"{"account":"AVAILABLE","amount":444}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundsFrom {
    /// `AVAILABLE` or `UNAVAILABLE` (出资账户类型).
    pub account: String,
    /// The amount in fen (出资金额).
    pub amount: i64,
}

/// The amounts of a refund being asked for (`amount`, 金额信息).
///
/// ```
/// let a = wechatpay::models::refunds::RefundRequestAmount { refund: 1, total: 2, currency: "CNY".into(), from: None };
/// assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"refund":1,"total":2,"currency":"CNY"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequestAmount {
    /// How much to refund, in fen (退款金额): at most what is left of the paid amount.
    pub refund: i64,
    /// The order's total, in fen (原订单金额): must be the order's.
    pub total: i64,
    /// `CNY` (退款币种).
    pub currency: String,
    /// Which accounts the refund comes from (退款出资账户及金额).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<FundsFrom>>,
}

/// One item being refunded (`goods_detail[]`, 退款商品).
///
/// ```
/// let g = wechatpay::models::refunds::RefundGoodsDetail { merchant_goods_id: "1217752501201407033233368018".into(),
///     unit_price: 100, refund_amount: 100, refund_quantity: 1, ..Default::default() };
/// assert_eq!(serde_json::to_value(&g).unwrap()["refund_quantity"], 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundGoodsDetail {
    /// The merchant's item code (商户侧商品编码).
    pub merchant_goods_id: String,
    /// WeChat Pay's item code (微信侧商品编码).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechatpay_goods_id: Option<String>,
    /// The item's name (商品名称).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_name: Option<String>,
    /// The unit price in fen (商品单价).
    pub unit_price: i64,
    /// The refund for this item in fen (商品退款金额).
    pub refund_amount: i64,
    /// How many are refunded (商品退货数量).
    pub refund_quantity: i64,
}

/// The body of *apply for a refund* (申请退款): `POST v3/refund/domestic/refunds`.
/// Name the order by `transaction_id` or by `out_trade_no`.
///
/// ```
/// let r: wechatpay::models::refunds::CreateRefund = serde_json::from_str(r#"{"transaction_id": "4200000001",
///     "out_refund_no": "R0000001", "amount": {"refund": 1, "total": 1, "currency": "CNY"}}"#).unwrap();
/// assert_eq!(r.transaction_id.as_deref(), Some("4200000001"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRefund {
    /// The sub-merchant (子商户号), service providers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// WeChat Pay's order number (微信支付订单号); this or `out_trade_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// The merchant's order number (商户订单号); this or `transaction_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// The merchant's refund number (商户退款单号), unique per merchant, at most 64 characters;
    /// asking again with it and the same amounts asks for the same refund.
    pub out_refund_no: String,
    /// Why, shown to the user (退款原因), at most 80 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where `REFUND.SUCCESS` goes (退款结果回调url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    /// `AVAILABLE` to refund from the available balance (退款资金来源).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funds_account: Option<String>,
    /// The amounts.
    pub amount: RefundRequestAmount,
    /// The items refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_detail: Option<Vec<RefundGoodsDetail>>,
}

/// The query string of a partner's refund query (`?sub_mchid=…`).
///
/// ```
/// let q = wechatpay::models::refunds::RefundQuery { sub_mchid: Some("1900000109".into()) };
/// assert_eq!(serde_json::to_string(&q).unwrap(), r#"{"sub_mchid":"1900000109"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundQuery {
    /// The sub-merchant (子商户号), service providers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
}

/// The amounts of a refund as WeChat Pay reports them (`amount`, 金额信息).
///
/// ```
/// let a: wechatpay::models::refunds::RefundAmount = serde_json::from_str(
///     r#"{"total": 100, "refund": 50, "payer_total": 100, "payer_refund": 50, "currency": "CNY"}"#).unwrap();
/// assert_eq!(a.payer_refund, Some(50));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    /// The order's total in fen (订单金额).
    #[serde(default)]
    pub total: i64,
    /// The refund in fen (退款金额).
    #[serde(default)]
    pub refund: i64,
    /// Which accounts it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<FundsFrom>>,
    /// What the user paid, fen (用户支付金额).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<i64>,
    /// What goes back to the user, fen, coupons excluded (用户退款金额).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_refund: Option<i64>,
    /// The refund less non-settled coupons, fen (应结退款金额).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_refund: Option<i64>,
    /// The order's settled total, fen (应结订单金额).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_total: Option<i64>,
    /// The coupons refunded, fen (优惠退款金额).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_refund: Option<i64>,
    /// `CNY` (退款币种).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The fee returned, fen (手续费退款金额).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_fee: Option<i64>,
}

/// A refund as WeChat Pay reports it: the answer of *apply* and of *query*.
///
/// ```
/// let r: wechatpay::models::refunds::Refund = serde_json::from_str(r#"{"refund_id": "50000000382019052709732678859",
///     "out_refund_no": "1217752501201407033233368018", "transaction_id": "1217752501201407033233368018",
///     "out_trade_no": "1217752501201407033233368018", "channel": "ORIGINAL", "user_received_account": "招商银行信用卡0403",
///     "create_time": "2020-12-01T16:18:12+08:00", "status": "PROCESSING",
///     "amount": {"total": 100, "refund": 100}}"#).unwrap();
/// assert_eq!(r.status, "PROCESSING");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// WeChat Pay's refund number (微信支付退款单号).
    #[serde(default)]
    pub refund_id: String,
    /// The merchant's refund number (商户退款单号).
    #[serde(default)]
    pub out_refund_no: String,
    /// WeChat Pay's order number (微信支付订单号).
    #[serde(default)]
    pub transaction_id: String,
    /// The merchant's order number (商户订单号).
    #[serde(default)]
    pub out_trade_no: String,
    /// `ORIGINAL`, `BALANCE`, `OTHER_BALANCE` or `OTHER_BANKCARD` (退款渠道).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Where the money goes, e.g. `支付用户零钱` (退款入账账户).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_received_account: Option<String>,
    /// When it succeeded, RFC 3339 (退款成功时间).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// When it was asked for, RFC 3339 (退款创建时间).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// `SUCCESS`, `CLOSED`, `PROCESSING` or `ABNORMAL` (退款状态).
    #[serde(default)]
    pub status: String,
    /// `UNSETTLED`, `AVAILABLE`, `UNAVAILABLE`, `OPERATION`, `BASIC` or `ECNY_BASIC` (资金账户).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funds_account: Option<String>,
    /// The amounts.
    #[serde(default)]
    pub amount: RefundAmount,
}

/// The amounts in a refund notification.
///
/// ```
/// let a: wechatpay::models::refunds::RefundNotificationAmount = serde_json::from_str(
///     r#"{"total": 999, "refund": 999, "payer_total": 999, "payer_refund": 999}"#).unwrap();
/// assert_eq!(a.refund, 999);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotificationAmount {
    /// The order's total in fen (订单金额).
    #[serde(default)]
    pub total: i64,
    /// The refund in fen (退款金额).
    #[serde(default)]
    pub refund: i64,
    /// What the user paid in fen (用户支付金额).
    #[serde(default)]
    pub payer_total: i64,
    /// What goes back to the user in fen (用户退款金额).
    #[serde(default)]
    pub payer_refund: i64,
}

/// The decrypted resource of `REFUND.SUCCESS` (and `REFUND.ABNORMAL`, `REFUND.CLOSED`).
///
/// ```
/// let n: wechatpay::models::refunds::RefundNotification = serde_json::from_str(r#"{"mchid": "1900000100",
///     "transaction_id": "1008450740201411110005820873", "out_trade_no": "20150806125346",
///     "refund_id": "50200207182018070300011301001", "out_refund_no": "7752501201407033233368018",
///     "refund_status": "SUCCESS", "success_time": "2018-06-08T10:34:56+08:00",
///     "user_received_account": "招商银行信用卡0403",
///     "amount": {"total": 999, "refund": 999, "payer_total": 999, "payer_refund": 999}}"#).unwrap();
/// assert_eq!(n.refund_status, "SUCCESS");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotification {
    /// The merchant ID (商户号), direct merchants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<String>,
    /// The service provider's merchant ID, partner refunds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_mchid: Option<String>,
    /// The sub-merchant, partner refunds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// The merchant's order number (商户订单号).
    #[serde(default)]
    pub out_trade_no: String,
    /// WeChat Pay's order number (微信支付订单号).
    #[serde(default)]
    pub transaction_id: String,
    /// The merchant's refund number (商户退款单号).
    #[serde(default)]
    pub out_refund_no: String,
    /// WeChat Pay's refund number (微信支付退款单号).
    #[serde(default)]
    pub refund_id: String,
    /// `SUCCESS`, `CLOSED` or `ABNORMAL` (退款状态).
    #[serde(default)]
    pub refund_status: String,
    /// When it succeeded, RFC 3339 (退款成功时间).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// Where the money went (退款入账账户).
    #[serde(default)]
    pub user_received_account: String,
    /// The amounts.
    #[serde(default)]
    pub amount: RefundNotificationAmount,
}
