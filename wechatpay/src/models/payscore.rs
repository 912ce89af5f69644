//! Typed request and response bodies of the WeChat Pay **Pay-Score (微信支付分) service order**
//! calls: create, query, modify, complete, cancel and sync, in the direct-merchant form
//! (`/v3/payscore/serviceorder…`), the partner form (`/v3/payscore/partner/serviceorder…`,
//! which adds `sub_mchid`/`sub_appid`/`sub_openid`) and the overseas partner form
//! (`/v3/payscore/oversea/partner/serviceorder…`, which adds `currency`).
//!
//! One struct serves all three forms: the fields that only one form uses are optional and are
//! left out of the JSON when `None`. Field names are exactly those of the WeChat Pay documents.
//! Unknown fields are ignored when deserializing, so newer WeChat responses still parse.

use serde::{Deserialize, Serialize};

/// One post-paid fee item (`post_payments[]`, 后付费项目).
///
/// `amount` is the item's total in fen (分), not a unit price: `count` is only shown to the user.
///
/// ```
/// use wechatpay::models::payscore::PostPayment;
///
/// let p: PostPayment = serde_json::from_str(
///     r#"{"name": "就餐费用", "amount": 40000, "description": "就餐人均100元", "count": 4}"#,
/// ).unwrap();
/// assert_eq!(p.amount, Some(40000));
/// assert_eq!(p.count, Some(4));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostPayment {
    /// Fee name (付费名称), `string[1,20]`.
    #[serde(default)]
    pub name: String,
    /// Fee amount in fen (付费金额).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Fee description (付费说明), `string[1,30]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Quantity (付费数量).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

/// One merchant discount (`post_discounts[]`, 商户优惠).
///
/// ```
/// use wechatpay::models::payscore::PostDiscount;
///
/// let d = PostDiscount { name: "新人券".into(), amount: Some(100), ..Default::default() };
/// let json = serde_json::to_string(&d).unwrap();
/// assert_eq!(json, r#"{"name":"新人券","amount":100}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostDiscount {
    /// Discount name (优惠名称), `string[1,20]`.
    #[serde(default)]
    pub name: String,
    /// Discount description (优惠说明), `string[1,30]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Discount amount in fen (优惠金额).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Quantity (优惠数量).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

/// Order risk fund (`risk_fund`, 服务风险金).
///
/// ```
/// use wechatpay::models::payscore::RiskFund;
///
/// let r: RiskFund = serde_json::from_str(
///     r#"{"name": "ESTIMATE_ORDER_COST", "amount": 10000, "description": "就餐的预估费用"}"#,
/// ).unwrap();
/// assert_eq!(r.name, "ESTIMATE_ORDER_COST");
/// assert_eq!(r.amount, 10000);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskFund {
    /// One of `DEPOSIT`, `ADVANCE`, `CASH_DEPOSIT`, `ESTIMATE_ORDER_COST`.
    #[serde(default)]
    pub name: String,
    /// Risk amount in fen, greater than zero.
    #[serde(default)]
    pub amount: i64,
    /// Description (风险说明), `string[1,30]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Service time range (`time_range`, 服务时间段).
///
/// Times use the `yyyyMMddHHmmss` form; on create `start_time` may also be `OnAccept`
/// (the service starts when the user confirms).
///
/// ```
/// use wechatpay::models::payscore::TimeRange;
///
/// let t = TimeRange { start_time: Some("OnAccept".into()), ..Default::default() };
/// assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"start_time":"OnAccept"}"#);
/// let t: TimeRange = serde_json::from_str(r#"{"end_time": "20091225121010"}"#).unwrap();
/// assert_eq!(t.end_time.as_deref(), Some("20091225121010"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Service start time (服务开始时间).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Service end time (服务结束时间).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// Remark on the start time (服务开始时间备注).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time_remark: Option<String>,
    /// Remark on the end time (服务结束时间备注).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time_remark: Option<String>,
}

/// Service location (`location`, 服务位置).
///
/// ```
/// use wechatpay::models::payscore::Location;
///
/// let l: Location = serde_json::from_str(
///     r#"{"start_location": "嗨客时尚主题展餐厅", "end_location": "机场"}"#,
/// ).unwrap();
/// assert_eq!(l.end_location.as_deref(), Some("机场"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Where the service starts (服务开始地点), `string[1,50]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_location: Option<String>,
    /// Where the service ends (服务结束地点), `string[1,50]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_location: Option<String>,
}

/// Device information (`device`, 设备信息).
///
/// ```
/// use wechatpay::models::payscore::Device;
///
/// let d = Device { start_device_id: Some("HG123456".into()), ..Default::default() };
/// let json = serde_json::to_value(&d).unwrap();
/// assert_eq!(json["start_device_id"], "HG123456");
/// assert!(json.get("end_device_id").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Device id where the service starts (服务开始的设备ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_device_id: Option<String>,
    /// Device id where the service ends (服务结束的设备ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_device_id: Option<String>,
    /// Material number or URL (物料编码).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub materiel_no: Option<String>,
}

/// Request body of *create a Pay-Score order* (创建支付分订单):
/// `POST /v3/payscore/serviceorder`, `POST /v3/payscore/partner/serviceorder`
/// (with `sub_mchid`) or `POST /v3/payscore/oversea/partner/serviceorder` (with `currency`).
///
/// ```
/// use wechatpay::models::payscore::{CreateServiceOrder, RiskFund, TimeRange};
///
/// let req = CreateServiceOrder {
///     out_order_no: "1234323JKHDFE1243252".into(),
///     appid: "wxd678efh567hg6787".into(),
///     service_id: "2002000000000558128851361561536".into(),
///     service_introduction: "某某酒店".into(),
///     time_range: TimeRange { start_time: Some("OnAccept".into()), ..Default::default() },
///     risk_fund: RiskFund { name: "DEPOSIT".into(), amount: 10000, description: None },
///     notify_url: "https://api.test.com".into(),
///     need_user_confirm: Some(true),
///     ..Default::default()
/// };
/// let json = serde_json::to_value(&req).unwrap();
/// assert_eq!(json["risk_fund"]["amount"], 10000);
/// assert!(json.get("sub_mchid").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateServiceOrder {
    /// Merchant service order number (商户服务订单号): 6..32 of `[0-9A-Za-z_-|*]`.
    #[serde(default)]
    pub out_order_no: String,
    /// App id (公众账号ID; for partners the service provider's app id).
    #[serde(default)]
    pub appid: String,
    /// Sub-merchant id (子商户号), partner forms only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// Sub-merchant app id (子商户应用ID), partner forms only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_appid: Option<String>,
    /// Service id (服务ID).
    #[serde(default)]
    pub service_id: String,
    /// Currency (货币类型), overseas form only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Service information shown to the user (服务信息), `string[1,20]`.
    #[serde(default)]
    pub service_introduction: String,
    /// Post-paid fee items (后付费项目), at most 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_payments: Option<Vec<PostPayment>>,
    /// Merchant discounts (商户优惠), at most 30.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_discounts: Option<Vec<PostDiscount>>,
    /// Service time range (服务时间段).
    #[serde(default)]
    pub time_range: TimeRange,
    /// Service location (服务位置).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Risk fund (服务风险金).
    #[serde(default)]
    pub risk_fund: RiskFund,
    /// Merchant data returned untouched (商户数据包), `string[1,256]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Notification URL (商户回调地址).
    #[serde(default)]
    pub notify_url: String,
    /// User open id under `appid` (用户标识); required when `need_user_confirm` is `false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    /// User open id under `sub_appid` (子商户公众号下的用户标识), partner forms only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_openid: Option<String>,
    /// Whether the user must confirm the order (是否需要用户确认); absent means `true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_user_confirm: Option<bool>,
    /// Device information (设备信息).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
}

/// One collected payment in [`Collection::details`] (收款明细).
///
/// ```
/// use wechatpay::models::payscore::CollectionDetail;
///
/// let d: CollectionDetail = serde_json::from_str(r#"{"seq": 1, "amount": 500,
///     "paid_type": "NEWTON", "paid_time": "2025-01-01T01:00:00+08:00",
///     "transaction_id": "4200000000000000000000000001"}"#).unwrap();
/// assert_eq!(d.paid_type.as_deref(), Some("NEWTON"));
/// assert!(d.promotion_detail.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionDetail {
    /// Payment sequence number, from 1 (收款序号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u32>,
    /// Amount collected by this payment, in fen (单笔收款金额).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Channel: `NEWTON` (WeChat Pay-Score) or `MCH` (merchant, reported by sync).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_type: Option<String>,
    /// When the payment succeeded (收款成功时间).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_time: Option<String>,
    /// WeChat Pay transaction id (微信支付交易单号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Promotions applied (优惠功能).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotion_detail: Option<Vec<PromotionDetail>>,
}

/// One promotion in [`CollectionDetail::promotion_detail`] (优惠功能).
///
/// ```
/// use wechatpay::models::payscore::PromotionDetail;
///
/// let p: PromotionDetail = serde_json::from_str(r#"{"coupon_id": "109519", "name": "单品惠",
///     "scope": "SINGLE", "type": "CASH", "amount": 100, "merchant_contribute": 100}"#).unwrap();
/// assert_eq!(p.promotion_type.as_deref(), Some("CASH"));
/// assert_eq!(serde_json::to_value(&p).unwrap()["type"], "CASH");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionDetail {
    /// Coupon id (券ID).
    #[serde(default)]
    pub coupon_id: String,
    /// Promotion name (优惠名称).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `SINGLE` or `GLOBAL` (优惠范围).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// `CASH` or `NOCASH` (优惠类型).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub promotion_type: Option<String>,
    /// Coupon face value in fen (优惠券面额).
    #[serde(default)]
    pub amount: i64,
    /// Stock (campaign) id (活动ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock_id: Option<String>,
    /// Part funded by WeChat Pay (微信出资).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wechatpay_contribute: Option<i64>,
    /// Part funded by the merchant (商户出资).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_contribute: Option<i64>,
    /// Part funded by others (其他出资).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_contribute: Option<i64>,
    /// Currency (优惠币种).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Per-goods details (单品列表).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goods_detail: Option<Vec<GoodsDetail>>,
}

/// One goods line in [`PromotionDetail::goods_detail`] (单品列表).
///
/// ```
/// use wechatpay::models::payscore::GoodsDetail;
///
/// let g: GoodsDetail = serde_json::from_str(
///     r#"{"goods_id": "M1006", "quantity": 2, "unit_price": 100, "discount_amount": 10}"#,
/// ).unwrap();
/// assert_eq!(g.goods_id, "M1006");
/// assert_eq!(g.quantity, Some(2));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodsDetail {
    /// Goods id (商品编码).
    #[serde(default)]
    pub goods_id: String,
    /// Quantity (商品数量).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// Unit price in fen (商品价格).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<i64>,
    /// Discount on this goods in fen (商品优惠金额).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_amount: Option<i64>,
    /// Remark (商品备注).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goods_remark: Option<String>,
}

/// Collection state of a completed order (`collection`, 收款信息).
///
/// ```
/// use wechatpay::models::payscore::Collection;
///
/// let c: Collection = serde_json::from_str(r#"{"state": "USER_PAID", "total_amount": 500,
///     "paying_amount": 0, "paid_amount": 500,
///     "details": [{"seq": 1, "amount": 500, "paid_type": "MCH"}]}"#).unwrap();
/// assert_eq!(c.state, "USER_PAID");
/// assert_eq!(c.details.unwrap()[0].paid_type.as_deref(), Some("MCH"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    /// `USER_PAYING` (待支付) or `USER_PAID` (已支付).
    #[serde(default)]
    pub state: String,
    /// Total to collect in fen (总收款金额).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<i64>,
    /// Still to collect (待收金额).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paying_amount: Option<i64>,
    /// Already collected (已收金额).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_amount: Option<i64>,
    /// Payments made (收款明细列表).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<CollectionDetail>>,
    /// Paying bank (收款银行).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_type: Option<String>,
}

/// A Pay-Score order as WeChat Pay returns it: the response of create, query, complete and
/// the direct-merchant modify and sync.
///
/// Which fields are present depends on the call and the order's state: `package` only after
/// create of an order that needs confirmation; `total_amount`, `need_collection` and
/// `collection` once the order is completed.
///
/// ```
/// use wechatpay::models::payscore::ServiceOrder;
///
/// let order: ServiceOrder = serde_json::from_str(r#"{
///     "out_order_no": "1234323JKHDFE1243252", "service_id": "2002000000000558128851361561536",
///     "appid": "wxd678efh567hg6787", "mchid": "1230000109", "state": "DONE",
///     "state_description": "MCH_COMPLETE", "total_amount": 500,
///     "collection": {"state": "USER_PAYING", "total_amount": 500, "paying_amount": 500,
///                    "paid_amount": 0},
///     "order_id": "15646546545165651651", "a_future_field": 1
/// }"#).unwrap();
/// assert_eq!(order.collection.as_ref().unwrap().state, "USER_PAYING");
/// let back = serde_json::to_value(&order).unwrap();
/// assert!(back.get("package").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOrder {
    /// App id (公众账号ID / 服务商应用ID).
    #[serde(default)]
    pub appid: String,
    /// Merchant id, the service provider's for partners (商户号).
    #[serde(default)]
    pub mchid: String,
    /// Sub-merchant app id, partner forms only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_appid: Option<String>,
    /// Sub-merchant id, partner forms only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// Merchant service order number (商户服务订单号).
    #[serde(default)]
    pub out_order_no: String,
    /// Service id (服务ID).
    #[serde(default)]
    pub service_id: String,
    /// Service information (服务信息).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_introduction: Option<String>,
    /// `CREATED`, `DOING`, `DONE`, `REVOKED` or `EXPIRED` (服务订单状态).
    #[serde(default)]
    pub state: String,
    /// `USER_CONFIRM` (with `DOING`) or `MCH_COMPLETE` (with `DONE`) (订单状态说明).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_description: Option<String>,
    /// Total amount in fen, once completed (总金额).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<i64>,
    /// Post-paid fee items (后付费项目).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_payments: Option<Vec<PostPayment>>,
    /// Merchant discounts (商户优惠).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_discounts: Option<Vec<PostDiscount>>,
    /// Risk fund (服务风险金).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_fund: Option<RiskFund>,
    /// Whether WeChat Pay collects money for this order (是否需要收款).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_collection: Option<bool>,
    /// Collection state (收款信息).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection: Option<Collection>,
    /// Service time range (服务时间段).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_range: Option<TimeRange>,
    /// Service location (服务位置).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Merchant data (商户数据包).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Notification URL (商户回调地址).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    /// User open id under `appid` (用户标识).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    /// User open id under `sub_appid`, partner forms only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_openid: Option<String>,
    /// WeChat Pay service order id (微信支付服务订单号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Data for opening the confirmation mini-program (跳转微信侧小程序订单数据), create only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Currency, overseas form only (货币类型).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// Query string of *query a Pay-Score order* (查询支付分订单):
/// `GET /v3/payscore/serviceorder` (direct: `appid` required) or
/// `GET /v3/payscore/partner/serviceorder` (partner: `sub_mchid` required).
///
/// Exactly one of `out_order_no` and `query_id` must be set.
///
/// ```
/// use wechatpay::models::payscore::QueryServiceOrder;
///
/// let q = QueryServiceOrder {
///     out_order_no: Some("1234323JKHDFE1243252".into()),
///     service_id: "2002000000000558128851361561536".into(),
///     appid: Some("wxd678efh567hg6787".into()),
///     ..Default::default()
/// };
/// let json = serde_json::to_value(&q).unwrap();
/// assert!(json.get("query_id").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryServiceOrder {
    /// Merchant service order number (商户服务订单号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_order_no: Option<String>,
    /// Query id handed back by the confirmation mini-program (回跳查询ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_id: Option<String>,
    /// Service id (服务ID).
    #[serde(default)]
    pub service_id: String,
    /// App id, direct form (公众账号ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Sub-merchant id, partner forms (子商户号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
}

/// Request body of *modify the order amount* (修改订单金额):
/// `POST /v3/payscore/serviceorder/{out_order_no}/modify` (answers the order) or
/// `POST /v3/payscore/partner/serviceorder/{out_order_no}/modify` (answers `204`).
///
/// Allowed only on a completed order whose collection is still `USER_PAYING`.
///
/// ```
/// use wechatpay::models::payscore::{ModifyServiceOrder, PostPayment};
///
/// let req = ModifyServiceOrder {
///     service_id: Some("2002000000000558128851361561536".into()),
///     sub_mchid: Some("1900000109".into()),
///     post_payments: vec![PostPayment {
///         name: "就餐费用".into(), amount: Some(300), ..Default::default()
///     }],
///     total_amount: 300,
///     reason: "用户投诉".into(),
///     ..Default::default()
/// };
/// let json = serde_json::to_value(&req).unwrap();
/// assert_eq!(json["total_amount"], 300);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifyServiceOrder {
    /// App id, direct form (公众账号ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Service id (服务ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    /// Sub-merchant id, partner form (子商户号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// New post-paid fee items (后付费项目).
    #[serde(default)]
    pub post_payments: Vec<PostPayment>,
    /// New merchant discounts (后付费商户优惠).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_discounts: Option<Vec<PostDiscount>>,
    /// New total in fen (总金额).
    #[serde(default)]
    pub total_amount: i64,
    /// Why the amount changes (修改原因), `string[1,50]`.
    #[serde(default)]
    pub reason: String,
    /// Device information (设备信息).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
}

/// Request body of *complete the order* (完结支付分订单):
/// `POST /v3/payscore/serviceorder/{out_order_no}/complete` (answers the order), the partner
/// and overseas forms answer `204`.
///
/// ```
/// use wechatpay::models::payscore::{CompleteServiceOrder, PostDiscount, PostPayment};
///
/// let req = CompleteServiceOrder {
///     appid: Some("wxd678efh567hg6787".into()),
///     service_id: "2002000000000558128851361561536".into(),
///     post_payments: vec![PostPayment {
///         name: "就餐费用".into(), amount: Some(500), ..Default::default()
///     }],
///     post_discounts: Some(vec![PostDiscount {
///         name: "满20减1元".into(), amount: Some(100), ..Default::default()
///     }]),
///     total_amount: 400,
///     ..Default::default()
/// };
/// let json = serde_json::to_value(&req).unwrap();
/// assert_eq!(json["post_discounts"][0]["amount"], 100);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteServiceOrder {
    /// App id, direct form (公众账号ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Service id (服务ID).
    #[serde(default)]
    pub service_id: String,
    /// Sub-merchant id, partner forms (子商户号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// Post-paid fee items (后付费项目).
    #[serde(default)]
    pub post_payments: Vec<PostPayment>,
    /// Merchant discounts (商户优惠).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_discounts: Option<Vec<PostDiscount>>,
    /// Total in fen: the payments' amounts less the discounts' amounts (总金额).
    #[serde(default)]
    pub total_amount: i64,
    /// Currency, overseas form (货币类型).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Actual service time range (实际服务时间段).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_range: Option<TimeRange>,
    /// Actual service location (实际服务位置).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Whether the payment will be profit-shared (微信支付服务分账标记).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profit_sharing: Option<bool>,
    /// Completion time, RFC 3339, partner forms (完结服务时间).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete_time: Option<String>,
    /// Promotion tag (订单优惠标记).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goods_tag: Option<String>,
    /// Device information (设备信息).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
}

/// Request body of *cancel the order* (取消支付分订单):
/// `POST /v3/payscore/serviceorder/{out_order_no}/cancel` (answers
/// [`CancelServiceOrderResponse`]), the partner and overseas forms answer `204`.
///
/// ```
/// use wechatpay::models::payscore::CancelServiceOrder;
///
/// let req = CancelServiceOrder {
///     appid: Some("wxd678efh567hg6787".into()),
///     service_id: "500001".into(),
///     reason: "用户投诉".into(),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_string(&req).unwrap(),
///     r#"{"appid":"wxd678efh567hg6787","service_id":"500001","reason":"用户投诉"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelServiceOrder {
    /// App id, direct form (公众账号ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Service id (服务ID).
    #[serde(default)]
    pub service_id: String,
    /// Sub-merchant id, partner forms (子商户号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// Why the order is cancelled (取消原因), `string[1,50]`.
    #[serde(default)]
    pub reason: String,
}

/// Response of the direct-merchant cancel (取消支付分订单).
///
/// ```
/// use wechatpay::models::payscore::CancelServiceOrderResponse;
///
/// let r: CancelServiceOrderResponse = serde_json::from_str(r#"{
///     "appid": "wxd678efh567hg6787", "mchid": "1230000109",
///     "out_order_no": "1234323JKHDFE1243252", "service_id": "2002000000000558128851361561536",
///     "order_id": "15646546545165651651"
/// }"#).unwrap();
/// assert_eq!(r.order_id, "15646546545165651651");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelServiceOrderResponse {
    /// App id (公众账号ID).
    #[serde(default)]
    pub appid: String,
    /// Merchant id (商户号).
    #[serde(default)]
    pub mchid: String,
    /// Merchant service order number (商户服务订单号).
    #[serde(default)]
    pub out_order_no: String,
    /// Service id (服务ID).
    #[serde(default)]
    pub service_id: String,
    /// WeChat Pay service order id (微信支付服务订单号).
    #[serde(default)]
    pub order_id: String,
}

/// `detail` of a sync call (内容信息详情), required when `type` is `Order_Paid`.
///
/// ```
/// use wechatpay::models::payscore::SyncDetail;
///
/// let d: SyncDetail = serde_json::from_str(
///     r#"{"seq": 1, "paid_time": "2019-11-11T16:24:05+08:00", "paid_amount": 100}"#,
/// ).unwrap();
/// assert_eq!(d.paid_time, "2019-11-11T16:24:05+08:00");
/// assert_eq!(d.paid_amount, Some(100));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncDetail {
    /// Payment sequence number (收款序号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u32>,
    /// When the merchant collected the money (收款成功时间): `yyyyMMddHHmmss`, or RFC 3339 as
    /// the overseas document shows (`2019-11-11T16:24:05+08:00`).
    #[serde(default)]
    pub paid_time: String,
    /// Amount collected in fen (收款金额).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_amount: Option<i64>,
}

/// Request body of *sync the order* (同步服务订单信息):
/// `POST /v3/payscore/serviceorder/{out_order_no}/sync` (answers the order), the partner form
/// `…/partner/serviceorder/{out_order_no}/sync` and the overseas form
/// `…/oversea/partner/serviceorder/{out_order_no}/sync` answer `204`.
///
/// ```
/// use wechatpay::models::payscore::{SyncDetail, SyncServiceOrder};
///
/// let req = SyncServiceOrder {
///     service_id: "2002000000000558128851361561536".into(),
///     sub_mchid: Some("1900000109".into()),
///     sync_type: "Order_Paid".into(),
///     detail: Some(SyncDetail {
///         seq: Some(1), paid_time: "20091225091210".into(), paid_amount: Some(1),
///     }),
///     ..Default::default()
/// };
/// let json = serde_json::to_value(&req).unwrap();
/// assert_eq!(json["type"], "Order_Paid");
/// assert_eq!(json["detail"]["paid_time"], "20091225091210");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncServiceOrder {
    /// App id, direct form (公众账号ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Service id (服务ID).
    #[serde(default)]
    pub service_id: String,
    /// Sub-merchant id, partner forms (子商户号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// Scene type (场景类型): `Order_Paid`.
    #[serde(rename = "type", default)]
    pub sync_type: String,
    /// Details (内容信息详情).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<SyncDetail>,
}

/// Decrypted `resource` of the `PAYSCORE.USER_CONFIRM` and `PAYSCORE.USER_PAID` notifications
/// (支付分服务用户确认成功通知 / 支付成功通知).
///
/// ```
/// use wechatpay::models::payscore::ServiceOrderNotification;
///
/// let n: ServiceOrderNotification = serde_json::from_str(r#"{
///     "appid": "wxd678efh567hg6787", "mchid": "1230000109",
///     "out_order_no": "1234323JKHDFE1243252", "service_id": "500001",
///     "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "state": "DOING",
///     "state_description": "USER_CONFIRM", "service_introduction": "某某酒店",
///     "post_payments": [], "risk_fund": {"name": "DEPOSIT", "amount": 100},
///     "time_range": {"start_time": "20091225091010"}, "order_id": "1"
/// }"#).unwrap();
/// assert_eq!(n.state, "DOING");
/// assert!(serde_json::to_value(&n).unwrap().get("collection").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOrderNotification {
    /// Service id (服务ID).
    #[serde(default)]
    pub service_id: String,
    /// App id (应用ID).
    #[serde(default)]
    pub appid: String,
    /// Merchant id (商户号).
    #[serde(default)]
    pub mchid: String,
    /// Sub-merchant app id, partner forms only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_appid: Option<String>,
    /// Sub-merchant id, partner forms only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// Merchant service order number (商户服务订单号).
    #[serde(default)]
    pub out_order_no: String,
    /// User open id (用户标识).
    #[serde(default)]
    pub openid: String,
    /// User open id under `sub_appid`, partner forms only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_openid: Option<String>,
    /// Order state (服务订单状态).
    #[serde(default)]
    pub state: String,
    /// Order state description (订单状态说明).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_description: Option<String>,
    /// Service information (服务信息).
    #[serde(default)]
    pub service_introduction: String,
    /// Total amount in fen (总金额).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<i64>,
    /// Post-paid fee items (后付费项目).
    #[serde(default)]
    pub post_payments: Vec<PostPayment>,
    /// Merchant discounts (商户优惠).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_discounts: Option<Vec<PostDiscount>>,
    /// Risk fund (服务风险金).
    #[serde(default)]
    pub risk_fund: RiskFund,
    /// Service time range (服务时间段).
    #[serde(default)]
    pub time_range: TimeRange,
    /// Service location (服务位置).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Merchant data (商户数据包).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// WeChat Pay service order id (微信支付服务订单号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Whether WeChat Pay collects money (是否需要收款).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_collection: Option<bool>,
    /// Merchant-side deduction number (商户系统内部扣款单号).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// Collection state (收款信息).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection: Option<Collection>,
}
