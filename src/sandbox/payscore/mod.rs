//! In-memory sandbox of the WeChat Pay **Pay-Score (微信支付分) service order** APIs.
//!
//! Pure logic: [`PayScore::handle`] takes one already-authenticated API call (merchant id,
//! method, path, raw query, raw body) and answers a [`Reply`] plus the [`Event`]s the call
//! caused. The control calls ([`PayScore::user_confirm`], [`PayScore::user_pay`],
//! [`PayScore::user_paying_at_cashier`], [`PayScore::expire`]) stand in for what the user does
//! in the WeChat app; they emit the `PAYSCORE.USER_CONFIRM` / `PAYSCORE.USER_PAID`
//! notifications as [`Event`]s whose `resource` is the decrypted notification JSON. Signing,
//! encryption and delivery are the HTTP layer's job.
//!
//! # Routes
//! | route | success |
//! | --- | --- |
//! | `POST /v3/payscore/serviceorder` (create) | 200 order with `package` |
//! | `GET /v3/payscore/serviceorder?out_order_no=…\|query_id=…&service_id=…&appid=…` | 200 order |
//! | `POST /v3/payscore/serviceorder/{out_order_no}/modify` | 200 order |
//! | `POST /v3/payscore/serviceorder/{out_order_no}/complete` | 200 order |
//! | `POST /v3/payscore/serviceorder/{out_order_no}/cancel` | 200 `{appid, mchid, out_order_no, service_id, order_id}` |
//! | `POST /v3/payscore/serviceorder/{out_order_no}/sync` | 200 order |
//! | the same under `/v3/payscore/partner/serviceorder…` (needs `sub_mchid`) | create/query 200 order, modify/complete/cancel/sync 204 |
//! | `/v3/payscore/oversea/partner/serviceorder…`: create (needs `currency`), query, complete, cancel, sync | as partner |
//!
//! An unknown path answers 404 `NOT_FOUND`; a known path with another method answers 405
//! `METHOD_NOT_ALLOWED` (WeChat documents neither; 405 tells a sandbox user more than 404).
//!
//! # States
//! `CREATED` →(user confirms)→ `DOING` →(complete)→ `DONE`, with the collection going
//! `USER_PAYING` →(user pays, or sync `Order_Paid`)→ `USER_PAID`. `cancel` turns `CREATED` or
//! `DOING` into `REVOKED`; [`PayScore::expire`] turns `CREATED` into `EXPIRED`. An order created
//! with `need_user_confirm: false` starts in `DOING`.
//!
//! # Errors
//! Every error body is `{"code": "...", "message": "..."}`: 400 `PARAM_ERROR` (bad or missing
//! field, named in the message), 400 `INVALID_REQUEST` (the order's state forbids the call, the
//! `out_order_no` is reused with other parameters, or the user is paying at the cashier),
//! 404 `ORDER_NOT_EXIST`, 404 `NOT_FOUND`, 405 `METHOD_NOT_ALLOWED`; [`Reply::system_error`]
//! builds the documented 500 `SYSTEM_ERROR` for a caller that wants to inject one.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::models::payscore::{
    Collection, CollectionDetail, CreateServiceOrder, Device, Location, PostDiscount, PostPayment,
    RiskFund, ServiceOrder, ServiceOrderNotification, TimeRange,
};

/// The answer to one call: an HTTP status and a JSON body, `None` for an empty body (204).
///
/// ```
/// use wechatpay::sandbox::payscore::PayScore;
///
/// let mut ps = PayScore::new();
/// let (reply, events) = ps.handle("1900000001", "GET", "/v3/nowhere", "", b"", 0);
/// assert_eq!(reply.status, 404);
/// assert_eq!(reply.code(), Some("NOT_FOUND"));
/// assert!(events.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// JSON body; `None` means no body at all.
    pub body: Option<Value>,
}

impl Reply {
    /// 200 with a JSON body.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::Reply;
    ///
    /// let reply = Reply::ok(json!({"state": "DONE"}));
    /// assert_eq!(reply.status, 200);
    /// assert_eq!(reply.body.unwrap()["state"], "DONE");
    /// ```
    pub fn ok(body: Value) -> Self {
        Reply {
            status: 200,
            body: Some(body),
        }
    }

    /// 204 with no body.
    ///
    /// ```
    /// use wechatpay::sandbox::payscore::Reply;
    ///
    /// let reply = Reply::no_content();
    /// assert_eq!(reply.status, 204);
    /// assert!(reply.body.is_none());
    /// ```
    pub fn no_content() -> Self {
        Reply {
            status: 204,
            body: None,
        }
    }

    /// An error reply `{"code": code, "message": message}`.
    ///
    /// ```
    /// use wechatpay::sandbox::payscore::Reply;
    ///
    /// let reply = Reply::error(400, "PARAM_ERROR", "appid is required");
    /// assert_eq!(reply.status, 400);
    /// assert_eq!(reply.body.unwrap()["message"], "appid is required");
    /// ```
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        let message: String = message.into();
        Reply {
            status,
            body: Some(json!({ "code": code, "message": message })),
        }
    }

    /// The documented 500 `SYSTEM_ERROR`, for callers simulating an outage.
    ///
    /// ```
    /// use wechatpay::sandbox::payscore::Reply;
    ///
    /// let reply = Reply::system_error();
    /// assert_eq!(reply.status, 500);
    /// assert_eq!(reply.code(), Some("SYSTEM_ERROR"));
    /// ```
    pub fn system_error() -> Self {
        Reply::error(500, "SYSTEM_ERROR", "系统异常，请稍后重试")
    }

    /// The `code` of an error body, if this is one.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::Reply;
    ///
    /// let reply = Reply::error(404, "ORDER_NOT_EXIST", "no such order");
    /// assert_eq!(reply.code(), Some("ORDER_NOT_EXIST"));
    /// assert_eq!(Reply::ok(json!({"state": "DONE"})).code(), None);
    /// ```
    pub fn code(&self) -> Option<&str> {
        self.body.as_ref()?.get("code")?.as_str()
    }

    /// The `message` of an error body, if this is one.
    ///
    /// ```
    /// use wechatpay::sandbox::payscore::Reply;
    ///
    /// let reply = Reply::error(405, "METHOD_NOT_ALLOWED", "allowed methods: POST");
    /// assert_eq!(reply.message(), Some("allowed methods: POST"));
    /// assert_eq!(Reply::no_content().message(), None);
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.body.as_ref()?.get("message")?.as_str()
    }
}

/// A notification WeChat Pay would send to the merchant's `notify_url`.
///
/// ```
/// use serde_json::json;
/// use wechatpay::sandbox::payscore::{Event, PayScore};
///
/// let mut ps = PayScore::new();
/// let create = json!({"out_order_no": "ORDER_0001", "appid": "wxd678efh567hg6787",
///     "service_id": "500001", "service_introduction": "充电宝租借", "openid": "oUser",
///     "time_range": {"start_time": "OnAccept"}, "notify_url": "https://example.com/notify",
///     "risk_fund": {"name": "DEPOSIT", "amount": 9900}}).to_string();
/// ps.handle("1900000001", "POST", "/v3/payscore/serviceorder", "", create.as_bytes(), 0);
/// let events = ps.user_confirm("1900000001", "ORDER_0001", 0).unwrap();
/// let Event::UserConfirmed { resource, .. } = &events[0] else { panic!("{events:?}") };
/// assert_eq!(resource["state"], "DOING");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `PAYSCORE.USER_CONFIRM`: the user confirmed the order.
    UserConfirmed {
        /// The order's merchant number.
        out_order_no: String,
        /// Where to deliver the notification.
        notify_url: String,
        /// The decrypted `resource` JSON.
        resource: Value,
    },
    /// `PAYSCORE.USER_PAID`: the user paid the completed order.
    UserPaid {
        /// The order's merchant number.
        out_order_no: String,
        /// Where to deliver the notification.
        notify_url: String,
        /// The decrypted `resource` JSON.
        resource: Value,
    },
}

impl Event {
    /// The notification's `event_type`: `PAYSCORE.USER_CONFIRM` or `PAYSCORE.USER_PAID`.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::Event;
    ///
    /// let event = Event::UserPaid {
    ///     out_order_no: "ORDER_0001".into(),
    ///     notify_url: "https://merchant.example/notify".into(),
    ///     resource: json!({"state": "DONE"}),
    /// };
    /// assert_eq!(event.event_type(), "PAYSCORE.USER_PAID");
    /// ```
    pub fn event_type(&self) -> &'static str {
        match self {
            Event::UserConfirmed { .. } => "PAYSCORE.USER_CONFIRM",
            Event::UserPaid { .. } => "PAYSCORE.USER_PAID",
        }
    }

    /// The notification's `summary` as WeChat words it.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::Event;
    ///
    /// let event = Event::UserConfirmed {
    ///     out_order_no: "ORDER_0001".into(),
    ///     notify_url: "https://merchant.example/notify".into(),
    ///     resource: json!({"state": "DOING"}),
    /// };
    /// assert_eq!(event.summary(), "微信支付分服务订单用户已确认");
    /// ```
    pub fn summary(&self) -> &'static str {
        match self {
            Event::UserConfirmed { .. } => "微信支付分服务订单用户已确认",
            Event::UserPaid { .. } => "微信支付分服务订单支付成功",
        }
    }
}

/// Knobs of the sandbox.
///
/// ```
/// use wechatpay::sandbox::payscore::{PayScore, Rules};
///
/// assert!(Rules::default().check_total_amount);
/// // To replay WeChat's own example bodies, whose totals do not add up:
/// let rules = Rules { check_total_amount: false };
/// let ps = PayScore::with_rules(rules);
/// assert!(ps.order("1900000001", "ORDER_0001").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Reject complete/modify whose `total_amount` is not the sum of the `post_payments`
    /// amounts less the sum of the `post_discounts` amounts. On by default. WeChat's own
    /// example bodies (and the conformance seed of modify: 40000 − 100 ≠ 50000) break this
    /// rule, so replaying them needs it off.
    pub check_total_amount: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            check_total_amount: true,
        }
    }
}

/// The user may be at the cashier for this long; meanwhile sync is refused (the document
/// asks merchants to retry after 3 minutes).
const CASHIER_WINDOW_SECS: i64 = 180;

/// Beijing time: every WeChat Pay time without an explicit offset is at +08:00.
const CST_OFFSET_SECS: i64 = 8 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Direct,
    Partner,
    Oversea,
}

impl Flavor {
    fn is_partner(self) -> bool {
        !matches!(self, Flavor::Direct)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Modify,
    Complete,
    Cancel,
    Sync,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Created,
    Doing,
    Done,
    Revoked,
    Expired,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Created => "CREATED",
            State::Doing => "DOING",
            State::Done => "DONE",
            State::Revoked => "REVOKED",
            State::Expired => "EXPIRED",
        }
    }

    fn description(self) -> Option<&'static str> {
        match self {
            State::Doing => Some("USER_CONFIRM"),
            State::Done => Some("MCH_COMPLETE"),
            _ => None,
        }
    }
}

const USER_PAYING: &str = "USER_PAYING";
const USER_PAID: &str = "USER_PAID";

/// (mchid, sub_mchid or "", out_order_no)
type Key = (String, String, String);

#[derive(Debug, Clone)]
struct Order {
    mchid: String,
    /// The create body as received, to tell an idempotent retry from a conflicting reuse.
    request: Value,
    /// Most of the order's data lives in the typed create body, updated by later calls.
    data: CreateServiceOrder,
    state: State,
    order_id: String,
    query_id: String,
    package: Option<String>,
    total_amount: Option<i64>,
    /// Modify may lower the amount but never above what completion fixed.
    completed_total: Option<i64>,
    collection: Option<Collection>,
    cashier_since: Option<i64>,
    out_trade_no: Option<String>,
}

impl Order {
    fn is_paying(&self) -> bool {
        self.state == State::Done
            && self
                .collection
                .as_ref()
                .is_some_and(|c| c.state == USER_PAYING)
    }

    fn model(&self) -> ServiceOrder {
        let d = &self.data;
        let done = self.state == State::Done;
        ServiceOrder {
            appid: d.appid.clone(),
            mchid: self.mchid.clone(),
            sub_appid: d.sub_appid.clone(),
            sub_mchid: d.sub_mchid.clone(),
            out_order_no: d.out_order_no.clone(),
            service_id: d.service_id.clone(),
            service_introduction: Some(d.service_introduction.clone()),
            state: self.state.as_str().to_string(),
            state_description: self.state.description().map(str::to_string),
            total_amount: self.total_amount,
            post_payments: d.post_payments.clone(),
            post_discounts: d.post_discounts.clone(),
            risk_fund: Some(d.risk_fund.clone()),
            need_collection: done.then(|| self.total_amount.unwrap_or(0) > 0),
            collection: self.collection.clone(),
            time_range: Some(d.time_range.clone()),
            location: d.location.clone(),
            attach: d.attach.clone(),
            notify_url: Some(d.notify_url.clone()),
            openid: d.openid.clone(),
            sub_openid: d.sub_openid.clone(),
            order_id: Some(self.order_id.clone()),
            package: None,
            currency: d.currency.clone(),
        }
    }

    /// The create response: the order as created, with `package` and without the
    /// post-completion and user fields the create document does not list.
    fn create_view(&self) -> Value {
        let mut m = self.model();
        m.package = self.package.clone();
        m.total_amount = None;
        m.need_collection = None;
        m.collection = None;
        m.openid = None;
        m.sub_openid = None;
        to_json(&m)
    }

    fn query_view(&self) -> Value {
        to_json(&self.model())
    }

    /// The complete response lists the amounts and state but not the collection.
    fn complete_view(&self) -> Value {
        let mut m = self.model();
        m.collection = None;
        m.attach = None;
        m.notify_url = None;
        m.openid = None;
        m.sub_openid = None;
        to_json(&m)
    }

    fn notification(&self, paid: bool) -> Value {
        let d = &self.data;
        let n = ServiceOrderNotification {
            service_id: d.service_id.clone(),
            appid: d.appid.clone(),
            mchid: self.mchid.clone(),
            sub_appid: d.sub_appid.clone(),
            sub_mchid: d.sub_mchid.clone(),
            out_order_no: d.out_order_no.clone(),
            openid: d.openid.clone().unwrap_or_default(),
            sub_openid: d.sub_openid.clone(),
            state: self.state.as_str().to_string(),
            state_description: self.state.description().map(str::to_string),
            service_introduction: d.service_introduction.clone(),
            total_amount: self.total_amount,
            post_payments: d.post_payments.clone().unwrap_or_default(),
            post_discounts: d.post_discounts.clone(),
            risk_fund: d.risk_fund.clone(),
            time_range: d.time_range.clone(),
            location: d.location.clone(),
            attach: d.attach.clone(),
            order_id: Some(self.order_id.clone()),
            need_collection: (self.state == State::Done)
                .then(|| self.total_amount.unwrap_or(0) > 0),
            out_trade_no: if paid {
                self.out_trade_no.clone()
            } else {
                None
            },
            collection: if paid { self.collection.clone() } else { None },
        };
        to_json(&n)
    }
}

fn to_json<T: Serialize>(v: &T) -> Value {
    // The models hold only strings, integers, booleans and vectors, which always serialize.
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The in-memory Pay-Score service: orders keyed by (mchid, sub_mchid or `""`, out_order_no).
///
/// ```
/// use serde_json::json;
/// use wechatpay::sandbox::payscore::PayScore;
///
/// let mut ps = PayScore::new();
/// let create = json!({"out_order_no": "ORDER_0001", "appid": "wxd678efh567hg6787",
///     "service_id": "500001", "service_introduction": "充电宝租借", "openid": "oUser",
///     "time_range": {"start_time": "OnAccept"}, "notify_url": "https://example.com/notify",
///     "risk_fund": {"name": "DEPOSIT", "amount": 9900}}).to_string();
/// ps.handle("1900000001", "POST", "/v3/payscore/serviceorder", "", create.as_bytes(), 0);
/// ps.user_confirm("1900000001", "ORDER_0001", 0).unwrap();
/// let order = ps.order("1900000001", "ORDER_0001").unwrap();
/// assert_eq!(order["state"], "DOING");
/// ```
#[derive(Debug, Clone, Default)]
pub struct PayScore {
    orders: BTreeMap<Key, Order>,
    counter: u64,
    options: Rules,
}

/// What every call needs besides the body.
struct Ctx<'a> {
    mchid: &'a str,
    flavor: Flavor,
    query: Vec<(String, String)>,
    now: i64,
}

impl PayScore {
    /// An empty sandbox with default [`Rules`].
    ///
    /// ```
    /// use wechatpay::sandbox::payscore::PayScore;
    ///
    /// let ps = PayScore::new();
    /// assert!(ps.order("1900000001", "ORDER_0001").is_none());
    /// assert!(ps.query_id("1900000001", "ORDER_0001").is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty sandbox with the given [`Rules`].
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::{PayScore, Rules};
    ///
    /// let mut ps = PayScore::with_rules(Rules { check_total_amount: false });
    /// # let create = json!({"out_order_no": "ORDER_0001", "appid": "wxd678efh567hg6787",
    /// #     "service_id": "500001", "service_introduction": "充电宝租借", "openid": "oUser",
    /// #     "time_range": {"start_time": "OnAccept"}, "notify_url": "https://example.com/notify",
    /// #     "risk_fund": {"name": "DEPOSIT", "amount": 9900},
    /// #     "need_user_confirm": false}).to_string();
    /// # ps.handle("1900000001", "POST", "/v3/payscore/serviceorder", "", create.as_bytes(), 0);
    /// // ORDER_0001 is in DOING. Its completion total 400 is not the 500 of post_payments:
    /// let complete = json!({"appid": "wxd678efh567hg6787", "service_id": "500001",
    ///     "post_payments": [{"name": "租借费", "amount": 500}], "total_amount": 400}).to_string();
    /// let path = "/v3/payscore/serviceorder/ORDER_0001/complete";
    /// let (reply, _) = ps.handle("1900000001", "POST", path, "", complete.as_bytes(), 0);
    /// assert_eq!(reply.status, 200);
    /// ```
    pub fn with_rules(options: Rules) -> Self {
        PayScore {
            options,
            ..Self::default()
        }
    }

    /// One API call. `now_unix` is injected so tests are deterministic.
    ///
    /// `path` is the URL path (segments percent-encoded), `query` the raw query string without
    /// `?`. Never panics; whatever the input, the answer is a [`Reply`].
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::PayScore;
    ///
    /// let mut ps = PayScore::new();
    /// let create = json!({"out_order_no": "ORDER_0001", "appid": "wxd678efh567hg6787",
    ///     "service_id": "500001", "service_introduction": "充电宝租借", "openid": "oUser",
    ///     "time_range": {"start_time": "OnAccept"}, "notify_url": "https://example.com/notify",
    ///     "risk_fund": {"name": "DEPOSIT", "amount": 9900}}).to_string();
    /// let path = "/v3/payscore/serviceorder";
    /// let (reply, events) = ps.handle("1900000001", "POST", path, "", create.as_bytes(), 0);
    /// assert_eq!(reply.status, 200);
    /// assert_eq!(reply.body.unwrap()["state"], "CREATED");
    /// assert!(events.is_empty());
    /// ```
    pub fn handle(
        &mut self,
        mchid: &str,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        now_unix: i64,
    ) -> (Reply, Vec<Event>) {
        match self.dispatch(mchid, method, path, query, body, now_unix) {
            Ok(reply) => (reply, Vec::new()),
            Err(reply) => (reply, Vec::new()),
        }
    }

    /// The user confirms a `CREATED` order in the WeChat app: it becomes `DOING`, and a
    /// `PAYSCORE.USER_CONFIRM` event is emitted when the order has a `notify_url`.
    ///
    /// A `start_time` of `OnAccept` becomes the confirmation time. An order created without
    /// `openid` gets a sandbox one, since the notification requires it.
    ///
    /// # Errors
    /// 404 `ORDER_NOT_EXIST`; 400 `INVALID_REQUEST` when the order is not `CREATED` or the
    /// number is ambiguous across sub-merchants.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::PayScore;
    ///
    /// let mut ps = PayScore::new();
    /// let create = json!({"out_order_no": "ORDER_0001", "appid": "wxd678efh567hg6787",
    ///     "service_id": "500001", "service_introduction": "充电宝租借", "openid": "oUser",
    ///     "time_range": {"start_time": "OnAccept"}, "notify_url": "https://example.com/notify",
    ///     "risk_fund": {"name": "DEPOSIT", "amount": 9900}}).to_string();
    /// ps.handle("1900000001", "POST", "/v3/payscore/serviceorder", "", create.as_bytes(), 0);
    /// let events = ps.user_confirm("1900000001", "ORDER_0001", 1_735_660_800).unwrap();
    /// assert_eq!(events[0].event_type(), "PAYSCORE.USER_CONFIRM");
    /// let order = ps.order("1900000001", "ORDER_0001").unwrap();
    /// assert_eq!(order["time_range"]["start_time"], "20250101000000");
    /// ```
    pub fn user_confirm(
        &mut self,
        mchid: &str,
        out_order_no: &str,
        now_unix: i64,
    ) -> Result<Vec<Event>, Reply> {
        let key = self.locate(mchid, out_order_no)?;
        let order = self.orders.get_mut(&key).ok_or_else(order_not_exist)?;
        if order.state != State::Created {
            return Err(state_conflict(order, "user_confirm needs a CREATED order"));
        }
        order.state = State::Doing;
        if order.data.time_range.start_time.as_deref() == Some("OnAccept") {
            order.data.time_range.start_time = Some(fmt_compact(now_unix));
        }
        if order.data.openid.is_none() {
            order.data.openid = Some(format!("oSandbox{}", order.order_id));
        }
        let mut events = Vec::new();
        if !order.data.notify_url.is_empty() {
            events.push(Event::UserConfirmed {
                out_order_no: order.data.out_order_no.clone(),
                notify_url: order.data.notify_url.clone(),
                resource: order.notification(false),
            });
        }
        Ok(events)
    }

    /// The user pays a completed order still `USER_PAYING`: the collection becomes
    /// `USER_PAID` with a `NEWTON` payment, and a `PAYSCORE.USER_PAID` event is emitted.
    ///
    /// # Errors
    /// 404 `ORDER_NOT_EXIST`; 400 `INVALID_REQUEST` when nothing is left to pay.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::PayScore;
    ///
    /// let mut ps = PayScore::new();
    /// # let create = json!({"out_order_no": "ORDER_0001", "appid": "wxd678efh567hg6787",
    /// #     "service_id": "500001", "service_introduction": "充电宝租借", "openid": "oUser",
    /// #     "time_range": {"start_time": "OnAccept"}, "notify_url": "https://example.com/notify",
    /// #     "risk_fund": {"name": "DEPOSIT", "amount": 9900},
    /// #     "need_user_confirm": false}).to_string();
    /// # ps.handle("1900000001", "POST", "/v3/payscore/serviceorder", "", create.as_bytes(), 0);
    /// # let complete = json!({"appid": "wxd678efh567hg6787", "service_id": "500001",
    /// #     "post_payments": [{"name": "租借费", "amount": 500}], "total_amount": 500}).to_string();
    /// # let path = "/v3/payscore/serviceorder/ORDER_0001/complete";
    /// # ps.handle("1900000001", "POST", path, "", complete.as_bytes(), 0);
    /// // ORDER_0001 is completed and waits for the user's 500 fen.
    /// let events = ps.user_pay("1900000001", "ORDER_0001", 0).unwrap();
    /// assert_eq!(events[0].event_type(), "PAYSCORE.USER_PAID");
    /// let order = ps.order("1900000001", "ORDER_0001").unwrap();
    /// assert_eq!(order["collection"]["state"], "USER_PAID");
    /// assert_eq!(order["collection"]["paid_amount"], 500);
    /// ```
    pub fn user_pay(
        &mut self,
        mchid: &str,
        out_order_no: &str,
        now_unix: i64,
    ) -> Result<Vec<Event>, Reply> {
        let key = self.locate(mchid, out_order_no)?;
        self.counter += 1;
        let n = self.counter;
        let order = self.orders.get_mut(&key).ok_or_else(order_not_exist)?;
        if !order.is_paying() {
            return Err(state_conflict(
                order,
                "user_pay needs a DONE order whose collection is USER_PAYING",
            ));
        }
        let transaction_id = format!("42{n:026}");
        order.out_trade_no = Some(format!("SBX{}{n:06}", order.order_id));
        if let Some(c) = order.collection.as_mut() {
            let amount = c.paying_amount.unwrap_or(0);
            mark_paid(
                c,
                amount,
                "NEWTON",
                fmt_rfc3339(now_unix),
                Some(transaction_id),
                None,
            );
        }
        order.cashier_since = None;
        let mut events = Vec::new();
        if !order.data.notify_url.is_empty() {
            events.push(Event::UserPaid {
                out_order_no: order.data.out_order_no.clone(),
                notify_url: order.data.notify_url.clone(),
                resource: order.notification(true),
            });
        }
        Ok(events)
    }

    /// The user opens the cashier to pay a `USER_PAYING` order. For the next 3 minutes
    /// sync answers 400 `INVALID_REQUEST`, as the sync document warns
    /// ("用户正在尝试通过收银台主动支付订单金额时，同步服务订单信息API无法调用成功，可等待3min后重试").
    ///
    /// # Errors
    /// 404 `ORDER_NOT_EXIST`; 400 `INVALID_REQUEST` when nothing is left to pay.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::PayScore;
    ///
    /// let mut ps = PayScore::new();
    /// # let create = json!({"out_order_no": "ORDER_0001", "appid": "wxd678efh567hg6787",
    /// #     "service_id": "500001", "service_introduction": "充电宝租借", "openid": "oUser",
    /// #     "time_range": {"start_time": "OnAccept"}, "notify_url": "https://example.com/notify",
    /// #     "risk_fund": {"name": "DEPOSIT", "amount": 9900},
    /// #     "need_user_confirm": false}).to_string();
    /// # ps.handle("1900000001", "POST", "/v3/payscore/serviceorder", "", create.as_bytes(), 0);
    /// # let complete = json!({"appid": "wxd678efh567hg6787", "service_id": "500001",
    /// #     "post_payments": [{"name": "租借费", "amount": 500}], "total_amount": 500}).to_string();
    /// # let path = "/v3/payscore/serviceorder/ORDER_0001/complete";
    /// # ps.handle("1900000001", "POST", path, "", complete.as_bytes(), 0);
    /// // ORDER_0001 is completed and waits for the user's 500 fen.
    /// ps.user_paying_at_cashier("1900000001", "ORDER_0001", 0).unwrap();
    /// let sync = json!({"appid": "wxd678efh567hg6787", "service_id": "500001",
    ///     "type": "Order_Paid", "detail": {"paid_time": "20250101000000"}}).to_string();
    /// let path = "/v3/payscore/serviceorder/ORDER_0001/sync";
    /// let (reply, _) = ps.handle("1900000001", "POST", path, "", sync.as_bytes(), 60);
    /// assert_eq!(reply.code(), Some("INVALID_REQUEST"));
    /// ```
    pub fn user_paying_at_cashier(
        &mut self,
        mchid: &str,
        out_order_no: &str,
        now_unix: i64,
    ) -> Result<(), Reply> {
        let key = self.locate(mchid, out_order_no)?;
        let order = self.orders.get_mut(&key).ok_or_else(order_not_exist)?;
        if !order.is_paying() {
            return Err(state_conflict(
                order,
                "the cashier needs a DONE order whose collection is USER_PAYING",
            ));
        }
        order.cashier_since = Some(now_unix);
        Ok(())
    }

    /// The user never confirmed: a `CREATED` order becomes `EXPIRED`.
    ///
    /// # Errors
    /// 404 `ORDER_NOT_EXIST`; 400 `INVALID_REQUEST` when the order is not `CREATED`.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::PayScore;
    ///
    /// let mut ps = PayScore::new();
    /// let create = json!({"out_order_no": "ORDER_0001", "appid": "wxd678efh567hg6787",
    ///     "service_id": "500001", "service_introduction": "充电宝租借", "openid": "oUser",
    ///     "time_range": {"start_time": "OnAccept"}, "notify_url": "https://example.com/notify",
    ///     "risk_fund": {"name": "DEPOSIT", "amount": 9900}}).to_string();
    /// ps.handle("1900000001", "POST", "/v3/payscore/serviceorder", "", create.as_bytes(), 0);
    /// ps.expire("1900000001", "ORDER_0001").unwrap();
    /// let order = ps.order("1900000001", "ORDER_0001").unwrap();
    /// assert_eq!(order["state"], "EXPIRED");
    /// assert_eq!(ps.expire("1900000001", "ORDER_0001").unwrap_err().status, 400);
    /// ```
    pub fn expire(&mut self, mchid: &str, out_order_no: &str) -> Result<(), Reply> {
        let key = self.locate(mchid, out_order_no)?;
        let order = self.orders.get_mut(&key).ok_or_else(order_not_exist)?;
        if order.state != State::Created {
            return Err(state_conflict(order, "only a CREATED order can expire"));
        }
        order.state = State::Expired;
        Ok(())
    }

    /// The order as the query API would answer it, for inspection.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::PayScore;
    ///
    /// let mut ps = PayScore::new();
    /// let create = json!({"out_order_no": "ORDER_0001", "appid": "wxd678efh567hg6787",
    ///     "service_id": "500001", "service_introduction": "充电宝租借", "openid": "oUser",
    ///     "time_range": {"start_time": "OnAccept"}, "notify_url": "https://example.com/notify",
    ///     "risk_fund": {"name": "DEPOSIT", "amount": 9900}}).to_string();
    /// ps.handle("1900000001", "POST", "/v3/payscore/serviceorder", "", create.as_bytes(), 0);
    /// let order = ps.order("1900000001", "ORDER_0001").unwrap();
    /// assert_eq!(order["state"], "CREATED");
    /// assert!(ps.order("1900000001", "ORDER_9999").is_none());
    /// ```
    pub fn order(&self, mchid: &str, out_order_no: &str) -> Option<Value> {
        let key = self.locate(mchid, out_order_no).ok()?;
        self.orders.get(&key).map(Order::query_view)
    }

    /// The `query_id` the confirmation mini-program would hand back for this order; it can
    /// replace `out_order_no` in the query API.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay::sandbox::payscore::PayScore;
    ///
    /// let mut ps = PayScore::new();
    /// let create = json!({"out_order_no": "ORDER_0001", "appid": "wxd678efh567hg6787",
    ///     "service_id": "500001", "service_introduction": "充电宝租借", "openid": "oUser",
    ///     "time_range": {"start_time": "OnAccept"}, "notify_url": "https://example.com/notify",
    ///     "risk_fund": {"name": "DEPOSIT", "amount": 9900}}).to_string();
    /// ps.handle("1900000001", "POST", "/v3/payscore/serviceorder", "", create.as_bytes(), 0);
    /// let query_id = ps.query_id("1900000001", "ORDER_0001").unwrap();
    /// let q = format!("query_id={query_id}&service_id=500001&appid=wxd678efh567hg6787");
    /// let (reply, _) = ps.handle("1900000001", "GET", "/v3/payscore/serviceorder", &q, b"", 0);
    /// assert_eq!(reply.body.unwrap()["out_order_no"], "ORDER_0001");
    /// ```
    pub fn query_id(&self, mchid: &str, out_order_no: &str) -> Option<String> {
        let key = self.locate(mchid, out_order_no).ok()?;
        self.orders.get(&key).map(|o| o.query_id.clone())
    }

    /// Control calls know only (mchid, out_order_no); a sub-merchant's order is found too.
    /// When several sub-merchants share the number, the direct order wins, else it is
    /// ambiguous.
    fn locate(&self, mchid: &str, out_order_no: &str) -> Result<Key, Reply> {
        let direct = (mchid.to_string(), String::new(), out_order_no.to_string());
        if self.orders.contains_key(&direct) {
            return Ok(direct);
        }
        let mut found = self
            .orders
            .keys()
            .filter(|(m, _, o)| m == mchid && o == out_order_no);
        match (found.next(), found.next()) {
            (Some(k), None) => Ok(k.clone()),
            (None, _) => Err(order_not_exist()),
            (Some(_), Some(_)) => Err(Reply::error(
                400,
                "INVALID_REQUEST",
                format!("out_order_no {out_order_no} exists under several sub_mchid"),
            )),
        }
    }

    fn dispatch(
        &mut self,
        mchid: &str,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        now: i64,
    ) -> Result<Reply, Reply> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segs: Vec<&str> = path.split('/').collect();
        let not_found = || {
            let shown: String = path.chars().take(200).collect();
            Reply::error(404, "NOT_FOUND", format!("no such API: {shown}"))
        };
        let Some(rest) = segs.strip_prefix(&["", "v3", "payscore"]) else {
            return Err(not_found());
        };
        let (flavor, rest) = match rest {
            ["partner", r @ ..] => (Flavor::Partner, r),
            ["oversea", "partner", r @ ..] => (Flavor::Oversea, r),
            r => (Flavor::Direct, r),
        };
        let is = |m: &str| method.eq_ignore_ascii_case(m);
        let ctx = Ctx {
            mchid,
            flavor,
            query: parse_query(query),
            now,
        };
        match rest {
            ["serviceorder"] if is("POST") => self.create(&ctx, body),
            ["serviceorder"] if is("GET") => self.query(&ctx),
            ["serviceorder"] => Err(method_not_allowed("GET, POST")),
            ["serviceorder", id, action] => {
                let action = match (*action, flavor) {
                    ("modify", Flavor::Oversea) => return Err(not_found()),
                    ("modify", _) => Action::Modify,
                    ("complete", _) => Action::Complete,
                    ("cancel", _) => Action::Cancel,
                    ("sync", _) => Action::Sync,
                    _ => return Err(not_found()),
                };
                if !is("POST") {
                    return Err(method_not_allowed("POST"));
                }
                let out_order_no = percent_decode(id)
                    .ok_or_else(|| param_error("out_order_no in the path is not valid UTF-8"))?;
                check_out_order_no(&out_order_no)?;
                self.act(&ctx, action, &out_order_no, body)
            }
            _ => Err(not_found()),
        }
    }

    fn create(&mut self, ctx: &Ctx, body: &[u8]) -> Result<Reply, Reply> {
        let map = parse_body(body)?;
        let o = Obj::root(&map);
        let out_order_no = o.req_str("out_order_no", 1, 32)?;
        check_out_order_no(&out_order_no)?;
        let appid = o.req_str("appid", 1, 32)?;
        let service_id = o.req_str("service_id", 1, 32)?;
        let (sub_mchid, sub_appid, sub_openid) = if ctx.flavor.is_partner() {
            (
                Some(sub_mchid(&o, ctx)?),
                o.opt_str("sub_appid", 1, 32)?,
                o.opt_str("sub_openid", 1, 128)?,
            )
        } else {
            (None, None, None)
        };
        let currency = match ctx.flavor {
            Flavor::Oversea => Some(o.req_str("currency", 1, 16)?),
            _ => None,
        };
        let service_introduction = o.req_str("service_introduction", 1, 20)?;
        let post_payments = parse_payments(&o, false)?;
        let post_discounts = parse_discounts(&o, true, false)?;
        let time_range_obj = o.req_obj("time_range")?;
        let time_range = parse_time_range(&time_range_obj, true)?;
        let location = parse_location(&o, true)?;
        let risk_fund = parse_risk_fund(&o.req_obj("risk_fund")?)?;
        let attach = o.opt_str("attach", 1, 256)?;
        let notify_url = o.req_str("notify_url", 1, 255)?;
        if !(notify_url.starts_with("https://") || notify_url.starts_with("http://")) {
            return Err(param_error("notify_url must be an http(s) URL"));
        }
        let openid = o.opt_str("openid", 1, 128)?;
        let need_user_confirm = o.opt_bool("need_user_confirm")?;
        let device = parse_device(&o)?;
        if need_user_confirm == Some(false) && openid.is_none() && sub_openid.is_none() {
            return Err(param_error(
                "openid is required when need_user_confirm is false",
            ));
        }
        if sub_openid.is_some() && sub_appid.is_none() {
            return Err(param_error(
                "sub_appid is required when sub_openid is given",
            ));
        }

        let key = (
            ctx.mchid.to_string(),
            sub_mchid.clone().unwrap_or_default(),
            out_order_no.clone(),
        );
        let request = Value::Object(map.clone());
        if let Some(existing) = self.orders.get(&key) {
            // The create document: "该接口支持原参重入,相同参数重复调用可以返回成功".
            if existing.request == request {
                return Ok(Reply::ok(existing.create_view()));
            }
            return Err(Reply::error(
                400,
                "INVALID_REQUEST",
                format!("out_order_no {out_order_no} already exists with different parameters"),
            ));
        }

        self.counter += 1;
        let order_id = format!("1{:019}", self.counter);
        let confirm = need_user_confirm.unwrap_or(true);
        let mut data = CreateServiceOrder {
            out_order_no,
            appid,
            sub_mchid,
            sub_appid,
            service_id,
            currency,
            service_introduction,
            post_payments,
            post_discounts,
            time_range,
            location,
            risk_fund,
            attach,
            notify_url,
            openid,
            sub_openid,
            need_user_confirm,
            device,
        };
        if !confirm && data.time_range.start_time.as_deref() == Some("OnAccept") {
            // Without confirmation the order is accepted at creation.
            data.time_range.start_time = Some(fmt_compact(ctx.now));
        }
        let order = Order {
            mchid: ctx.mchid.to_string(),
            request,
            data,
            state: if confirm {
                State::Created
            } else {
                State::Doing
            },
            query_id: format!("sandbox_query_{order_id}"),
            package: confirm.then(|| format!("sandbox_package_{order_id}")),
            order_id,
            total_amount: None,
            completed_total: None,
            collection: None,
            cashier_since: None,
            out_trade_no: None,
        };
        let view = order.create_view();
        self.orders.insert(key, order);
        Ok(Reply::ok(view))
    }

    fn query(&mut self, ctx: &Ctx) -> Result<Reply, Reply> {
        let get = |k: &str| {
            ctx.query
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let service_id = get("service_id").ok_or_else(|| missing("service_id"))?;
        check_len("service_id", service_id, 1, 32)?;
        let appid = match ctx.flavor {
            Flavor::Direct => {
                let a = get("appid").ok_or_else(|| missing("appid"))?;
                check_len("appid", a, 1, 32)?;
                Some(a)
            }
            _ => None,
        };
        let sub = match ctx.flavor {
            Flavor::Direct => String::new(),
            _ => {
                let s = get("sub_mchid").ok_or_else(|| missing("sub_mchid"))?;
                check_len("sub_mchid", s, 1, 32)?;
                s.to_string()
            }
        };
        let order = match (get("out_order_no"), get("query_id")) {
            (Some(out), None) => {
                check_out_order_no(out)?;
                let key = (ctx.mchid.to_string(), sub, out.to_string());
                self.orders.get(&key).ok_or_else(order_not_exist)?
            }
            (None, Some(qid)) => self
                .orders
                .iter()
                .find(|((m, s, _), o)| m == ctx.mchid && *s == sub && o.query_id == qid)
                .map(|(_, o)| o)
                .ok_or_else(order_not_exist)?,
            _ => {
                return Err(param_error(
                    "exactly one of out_order_no and query_id is required",
                ));
            }
        };
        check_owner(order, Some(service_id), appid)?;
        Ok(Reply::ok(order.query_view()))
    }

    fn act(
        &mut self,
        ctx: &Ctx,
        action: Action,
        out_order_no: &str,
        body: &[u8],
    ) -> Result<Reply, Reply> {
        let map = parse_body(body)?;
        let o = Obj::root(&map);
        let direct = ctx.flavor == Flavor::Direct;
        let appid = if direct {
            Some(o.req_str("appid", 1, 32)?)
        } else {
            None
        };
        // The partner modify document alone leaves service_id optional.
        let service_id = if action == Action::Modify && !direct {
            o.opt_str("service_id", 1, 32)?
        } else {
            Some(o.req_str("service_id", 1, 32)?)
        };
        let sub = if direct {
            String::new()
        } else {
            sub_mchid(&o, ctx)?
        };
        let checked = self.options.check_total_amount;
        let change = match action {
            Action::Modify => Change::Modify(parse_modify(&o, checked)?),
            Action::Complete => Change::Complete(parse_complete(&o, ctx.flavor, checked)?),
            Action::Cancel => {
                o.req_str("reason", 1, 50)?;
                Change::Cancel
            }
            Action::Sync => Change::Sync(parse_sync(&o)?),
        };

        let key = (ctx.mchid.to_string(), sub, out_order_no.to_string());
        let order = self.orders.get_mut(&key).ok_or_else(order_not_exist)?;
        check_owner(order, service_id.as_deref(), appid.as_deref())?;
        match change {
            Change::Complete(c) => apply_complete(order, c, ctx.now)?,
            Change::Modify(m) => apply_modify(order, m)?,
            Change::Cancel => {
                if !matches!(order.state, State::Created | State::Doing) {
                    return Err(state_conflict(
                        order,
                        "cancel needs a CREATED or DOING order",
                    ));
                }
                order.state = State::Revoked;
            }
            Change::Sync(s) => apply_sync(order, s, ctx.now)?,
        }
        if !direct {
            return Ok(Reply::no_content());
        }
        Ok(Reply::ok(match action {
            Action::Complete => order.complete_view(),
            Action::Cancel => json!({
                "appid": order.data.appid,
                "mchid": order.mchid,
                "out_order_no": order.data.out_order_no,
                "service_id": order.data.service_id,
                "order_id": order.order_id,
            }),
            Action::Modify | Action::Sync => order.query_view(),
        }))
    }
}

enum Change {
    Complete(CompleteBody),
    Modify(ModifyBody),
    Cancel,
    Sync(SyncBody),
}

struct CompleteBody {
    post_payments: Vec<PostPayment>,
    post_discounts: Option<Vec<PostDiscount>>,
    total_amount: i64,
    time_range: Option<TimeRange>,
    location: Option<Location>,
}

struct ModifyBody {
    post_payments: Vec<PostPayment>,
    post_discounts: Option<Vec<PostDiscount>>,
    total_amount: i64,
}

struct SyncBody {
    seq: Option<u32>,
    paid_time: i64,
    paid_amount: Option<i64>,
}

fn parse_complete(o: &Obj, flavor: Flavor, checked: bool) -> Result<CompleteBody, Reply> {
    let post_payments = required_payments(o)?;
    let post_discounts = parse_discounts(o, flavor.is_partner(), true)?;
    let total_amount = o.req_int("total_amount", 0)?;
    if checked {
        check_sum(&post_payments, post_discounts.as_deref(), total_amount)?;
    }
    let time_range = o
        .opt_obj("time_range")?
        .map(|t| parse_time_range(&t, false))
        .transpose()?;
    let location = parse_location(o, false)?;
    o.opt_bool("profit_sharing")?;
    o.opt_str("goods_tag", 1, 32)?;
    if flavor == Flavor::Oversea {
        o.opt_str("currency", 1, 16)?;
    }
    let complete_time = if flavor.is_partner() {
        o.opt_str("complete_time", 1, 64)?
    } else {
        None
    };
    if complete_time.is_some_and(|t| parse_rfc3339(&t).is_none()) {
        return Err(param_error(
            "complete_time must be RFC 3339, e.g. 2019-11-11T16:24:05+08:00",
        ));
    }
    parse_device(o)?;
    Ok(CompleteBody {
        post_payments,
        post_discounts,
        total_amount,
        time_range,
        location,
    })
}

fn parse_modify(o: &Obj, checked: bool) -> Result<ModifyBody, Reply> {
    let post_payments = required_payments(o)?;
    let post_discounts = parse_discounts(o, false, true)?;
    let total_amount = o.req_int("total_amount", 0)?;
    o.req_str("reason", 1, 50)?;
    parse_device(o)?;
    if checked {
        check_sum(&post_payments, post_discounts.as_deref(), total_amount)?;
    }
    Ok(ModifyBody {
        post_payments,
        post_discounts,
        total_amount,
    })
}

fn parse_sync(o: &Obj) -> Result<SyncBody, Reply> {
    let sync_type = o.req_str("type", 1, 32)?;
    if sync_type != "Order_Paid" {
        return Err(param_error(format!(
            "type must be Order_Paid, got {sync_type}"
        )));
    }
    let detail = o.req_obj("detail")?;
    let seq = detail
        .opt_int("seq", 1)?
        .map(|s| u32::try_from(s).map_err(|_| param_error("detail.seq is too large")))
        .transpose()?;
    let paid_time_text = detail.req_str("paid_time", 1, 64)?;
    let paid_time = parse_compact(&paid_time_text)
        .or_else(|| parse_rfc3339(&paid_time_text))
        .ok_or_else(|| {
            param_error(
                "detail.paid_time must be yyyyMMddHHmmss (20091225091210) or RFC 3339 (2019-12-25T09:12:10+08:00)",
            )
        })?;
    let paid_amount = detail.opt_int("paid_amount", 1)?;
    Ok(SyncBody {
        seq,
        paid_time,
        paid_amount,
    })
}

fn apply_complete(order: &mut Order, c: CompleteBody, now: i64) -> Result<(), Reply> {
    match order.state {
        State::Doing => {}
        State::Created => {
            return Err(state_conflict(
                order,
                "the user has not confirmed the order yet",
            ));
        }
        _ => return Err(state_conflict(order, "complete needs a DOING order")),
    }
    let rf = &order.data.risk_fund;
    if rf.name != "ESTIMATE_ORDER_COST" && c.total_amount > rf.amount {
        return Err(param_error(format!(
            "total_amount {} exceeds risk_fund.amount {} ({})",
            c.total_amount, rf.amount, rf.name
        )));
    }
    let tr = &mut order.data.time_range;
    if let Some(new) = c.time_range {
        if new.start_time.is_some() {
            tr.start_time = new.start_time;
        }
        if new.end_time.is_some() {
            tr.end_time = new.end_time;
        }
        if new.start_time_remark.is_some() {
            tr.start_time_remark = new.start_time_remark;
        }
        if new.end_time_remark.is_some() {
            tr.end_time_remark = new.end_time_remark;
        }
    }
    let start = tr.start_time.as_deref().and_then(parse_compact);
    let end = tr.end_time.as_deref().and_then(parse_compact);
    if start.zip(end).is_some_and(|(s, e)| e < s) {
        return Err(param_error(
            "time_range.end_time must not be before time_range.start_time",
        ));
    }
    if tr.end_time.is_none() {
        tr.end_time = Some(fmt_compact(now));
    }
    if let Some(new) = c.location {
        let loc = order.data.location.get_or_insert_with(Location::default);
        if new.start_location.is_some() {
            loc.start_location = new.start_location;
        }
        if new.end_location.is_some() {
            loc.end_location = new.end_location;
        }
    }
    order.data.post_payments = Some(c.post_payments);
    order.data.post_discounts = c.post_discounts;
    order.state = State::Done;
    order.total_amount = Some(c.total_amount);
    order.completed_total = Some(c.total_amount);
    order.collection = Some(new_collection(c.total_amount));
    Ok(())
}

fn new_collection(total: i64) -> Collection {
    Collection {
        state: if total > 0 { USER_PAYING } else { USER_PAID }.to_string(),
        total_amount: Some(total),
        paying_amount: Some(total),
        paid_amount: Some(0),
        details: Some(Vec::new()),
        bank_type: None,
    }
}

fn apply_modify(order: &mut Order, m: ModifyBody) -> Result<(), Reply> {
    if !order.is_paying() {
        return Err(state_conflict(
            order,
            "modify needs a DONE order whose collection is USER_PAYING",
        ));
    }
    let cap = order.completed_total.unwrap_or(0);
    if m.total_amount > cap {
        return Err(param_error(format!(
            "total_amount {} exceeds the total at completion {cap}",
            m.total_amount
        )));
    }
    order.data.post_payments = Some(m.post_payments);
    order.data.post_discounts = m.post_discounts;
    order.total_amount = Some(m.total_amount);
    let mut c = new_collection(m.total_amount);
    if let Some(old) = order.collection.take() {
        c.details = old.details;
    }
    order.collection = Some(c);
    Ok(())
}

fn apply_sync(order: &mut Order, s: SyncBody, now: i64) -> Result<(), Reply> {
    if !order.is_paying() {
        return Err(state_conflict(
            order,
            "sync Order_Paid needs a DONE order whose collection is USER_PAYING",
        ));
    }
    if order
        .cashier_since
        .is_some_and(|since| now.saturating_sub(since) < CASHIER_WINDOW_SECS)
    {
        return Err(Reply::error(
            400,
            "INVALID_REQUEST",
            "用户正在通过收银台支付订单，同步服务订单信息API暂不可用，请等待3min后重试 (the user is paying at the cashier)",
        ));
    }
    let Some(c) = order.collection.as_mut() else {
        return Err(Reply::system_error());
    };
    let paying = c.paying_amount.unwrap_or(0);
    let amount = s.paid_amount.unwrap_or(paying);
    if amount > paying {
        return Err(param_error(format!(
            "detail.paid_amount {amount} exceeds the amount still to pay {paying}"
        )));
    }
    mark_paid(c, amount, "MCH", fmt_rfc3339(s.paid_time), None, s.seq);
    order.cashier_since = None;
    Ok(())
}

fn mark_paid(
    c: &mut Collection,
    amount: i64,
    paid_type: &str,
    paid_time: String,
    transaction_id: Option<String>,
    seq: Option<u32>,
) {
    let details = c.details.get_or_insert_with(Vec::new);
    let seq = seq.unwrap_or_else(|| u32::try_from(details.len() + 1).unwrap_or(u32::MAX));
    details.push(CollectionDetail {
        seq: Some(seq),
        amount: Some(amount),
        paid_type: Some(paid_type.to_string()),
        paid_time: Some(paid_time),
        transaction_id,
        promotion_detail: None,
    });
    c.paid_amount = Some(c.paid_amount.unwrap_or(0).saturating_add(amount));
    c.paying_amount = Some(0);
    c.state = USER_PAID.to_string();
}

fn check_owner(order: &Order, service_id: Option<&str>, appid: Option<&str>) -> Result<(), Reply> {
    if service_id.is_some_and(|s| s != order.data.service_id) {
        return Err(Reply::error(
            400,
            "INVALID_REQUEST",
            "service_id does not match the one the order was created with",
        ));
    }
    // The create document: "完结订单和取消订单需要和创单传入的appid保持一致".
    if appid.is_some_and(|a| a != order.data.appid) {
        return Err(Reply::error(
            400,
            "INVALID_REQUEST",
            "appid does not match the one the order was created with",
        ));
    }
    Ok(())
}

fn check_sum(
    payments: &[PostPayment],
    discounts: Option<&[PostDiscount]>,
    total: i64,
) -> Result<(), Reply> {
    // i128: a hundred i64 amounts cannot overflow it.
    let paid: i128 = payments
        .iter()
        .map(|p| i128::from(p.amount.unwrap_or(0)))
        .sum();
    let off: i128 = discounts
        .unwrap_or_default()
        .iter()
        .map(|d| i128::from(d.amount.unwrap_or(0)))
        .sum();
    if paid - off != i128::from(total) {
        return Err(param_error(format!(
            "total_amount {total} must equal the post_payments amounts ({paid}) less the post_discounts amounts ({off})"
        )));
    }
    Ok(())
}

fn required_payments(o: &Obj) -> Result<Vec<PostPayment>, Reply> {
    match parse_payments(o, true)? {
        Some(p) if !p.is_empty() => Ok(p),
        Some(_) => Err(param_error("post_payments must hold at least one item")),
        None => Err(missing("post_payments")),
    }
}

fn parse_payments(o: &Obj, required: bool) -> Result<Option<Vec<PostPayment>>, Reply> {
    let Some(items) = o.opt_array("post_payments", 100)? else {
        return if required {
            Err(missing("post_payments"))
        } else {
            Ok(None)
        };
    };
    items
        .iter()
        .map(|i| {
            Ok(PostPayment {
                name: i.req_str("name", 1, 20)?,
                amount: i.opt_int("amount", 1)?,
                description: i.opt_str("description", 1, 30)?,
                count: i.opt_count("count")?,
            })
        })
        .collect::<Result<Vec<_>, Reply>>()
        .map(Some)
}

fn parse_discounts(
    o: &Obj,
    description_required: bool,
    amount_required: bool,
) -> Result<Option<Vec<PostDiscount>>, Reply> {
    let Some(items) = o.opt_array("post_discounts", 30)? else {
        return Ok(None);
    };
    items
        .iter()
        .map(|i| {
            Ok(PostDiscount {
                name: i.req_str("name", 1, 20)?,
                description: if description_required {
                    Some(i.req_str("description", 1, 30)?)
                } else {
                    i.opt_str("description", 1, 30)?
                },
                amount: if amount_required {
                    Some(i.req_int("amount", 1)?)
                } else {
                    i.opt_int("amount", 1)?
                },
                count: i.opt_count("count")?,
            })
        })
        .collect::<Result<Vec<_>, Reply>>()
        .map(Some)
}

fn parse_risk_fund(o: &Obj) -> Result<RiskFund, Reply> {
    let name = o.req_str("name", 1, 64)?;
    const NAMES: [&str; 4] = ["DEPOSIT", "ADVANCE", "CASH_DEPOSIT", "ESTIMATE_ORDER_COST"];
    if !NAMES.contains(&name.as_str()) {
        return Err(param_error(format!(
            "risk_fund.name must be one of DEPOSIT, ADVANCE, CASH_DEPOSIT, ESTIMATE_ORDER_COST, got {name}"
        )));
    }
    Ok(RiskFund {
        name,
        amount: o.req_int("amount", 1)?,
        description: o.opt_str("description", 1, 30)?,
    })
}

/// On create `start_time` is required and may be `OnAccept`; on complete both times are
/// optional and must be real times.
fn parse_time_range(o: &Obj, create: bool) -> Result<TimeRange, Reply> {
    let start_time = if create {
        Some(o.req_str("start_time", 1, 14)?)
    } else {
        o.opt_str("start_time", 1, 14)?
    };
    let end_time = o.opt_str("end_time", 1, 14)?;
    let start = match start_time.as_deref() {
        Some("OnAccept") if create => None,
        Some(s) => Some(parse_compact(s).ok_or_else(|| {
            param_error(if create {
                "time_range.start_time must be yyyyMMddHHmmss or OnAccept"
            } else {
                "time_range.start_time must be yyyyMMddHHmmss"
            })
        })?),
        None => None,
    };
    let end = end_time
        .as_deref()
        .map(|e| {
            parse_compact(e)
                .ok_or_else(|| param_error("time_range.end_time must be yyyyMMddHHmmss"))
        })
        .transpose()?;
    if start.zip(end).is_some_and(|(s, e)| e < s) {
        return Err(param_error(
            "time_range.end_time must not be before time_range.start_time",
        ));
    }
    Ok(TimeRange {
        start_time,
        end_time,
        start_time_remark: o.opt_str("start_time_remark", 0, 20)?,
        end_time_remark: o.opt_str("end_time_remark", 0, 20)?,
    })
}

fn parse_location(o: &Obj, create: bool) -> Result<Option<Location>, Reply> {
    let Some(l) = o.opt_obj("location")? else {
        return Ok(None);
    };
    let loc = Location {
        start_location: l.opt_str("start_location", 1, 50)?,
        end_location: l.opt_str("end_location", 1, 50)?,
    };
    if create && loc.end_location.is_some() && loc.start_location.is_none() {
        return Err(param_error(
            "location.start_location is required when location.end_location is given",
        ));
    }
    Ok(Some(loc))
}

fn parse_device(o: &Obj) -> Result<Option<Device>, Reply> {
    let Some(d) = o.opt_obj("device")? else {
        return Ok(None);
    };
    Ok(Some(Device {
        start_device_id: d.opt_str("start_device_id", 1, 32)?,
        end_device_id: d.opt_str("end_device_id", 1, 32)?,
        materiel_no: d.opt_str("materiel_no", 1, 256)?,
    }))
}

fn sub_mchid(o: &Obj, ctx: &Ctx) -> Result<String, Reply> {
    if let Some(s) = o.opt_str("sub_mchid", 1, 32)? {
        return Ok(s);
    }
    match ctx
        .query
        .iter()
        .find(|(k, v)| k == "sub_mchid" && !v.is_empty())
    {
        Some((_, v)) => {
            check_len("sub_mchid", v, 1, 32)?;
            Ok(v.clone())
        }
        None => Err(missing("sub_mchid")),
    }
}

fn check_out_order_no(s: &str) -> Result<(), Reply> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '|' | '*');
    if (6..=32).contains(&s.len()) && s.chars().all(ok_char) {
        Ok(())
    } else {
        Err(param_error(
            "out_order_no must be 6 to 32 characters of 0-9, A-Z, a-z, _, -, |, *",
        ))
    }
}

fn check_len(path: &str, s: &str, min: usize, max: usize) -> Result<(), Reply> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(param_error(format!(
            "{path} must be {min} to {max} characters long, got {n}"
        )));
    }
    Ok(())
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(param_error(
            "the request body is empty; a JSON object is required",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(param_error("the request body must be a JSON object")),
        Err(e) => Err(param_error(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// A JSON object being validated; `prefix` names it in error messages (`time_range`,
/// `post_payments[0]`).
struct Obj<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Obj<'a> {
    fn root(map: &'a Map<String, Value>) -> Self {
        Obj {
            map,
            prefix: String::new(),
        }
    }

    fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// `null` counts as absent, as WeChat treats it.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn opt_str(&self, key: &str, min: usize, max: usize) -> Result<Option<String>, Reply> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => {
                check_len(&self.path(key), s, min, max)?;
                Ok(Some(s.clone()))
            }
            Some(_) => Err(param_error(format!("{} must be a string", self.path(key)))),
        }
    }

    fn req_str(&self, key: &str, min: usize, max: usize) -> Result<String, Reply> {
        self.opt_str(key, min, max)?
            .ok_or_else(|| missing(&self.path(key)))
    }

    fn opt_int(&self, key: &str, min: i64) -> Result<Option<i64>, Reply> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if n >= min => Ok(Some(n)),
                Some(_) => Err(param_error(format!(
                    "{} must be {}",
                    self.path(key),
                    if min > 0 {
                        "a positive integer"
                    } else {
                        "a non-negative integer"
                    }
                ))),
                None => Err(param_error(format!(
                    "{} must be an integer",
                    self.path(key)
                ))),
            },
        }
    }

    fn req_int(&self, key: &str, min: i64) -> Result<i64, Reply> {
        self.opt_int(key, min)?
            .ok_or_else(|| missing(&self.path(key)))
    }

    fn opt_count(&self, key: &str) -> Result<Option<u32>, Reply> {
        self.opt_int(key, 1)?
            .map(|n| {
                u32::try_from(n)
                    .map_err(|_| param_error(format!("{} is too large", self.path(key))))
            })
            .transpose()
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, Reply> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(param_error(format!("{} must be a boolean", self.path(key)))),
        }
    }

    fn opt_obj(&self, key: &str) -> Result<Option<Obj<'a>>, Reply> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Obj {
                map: m,
                prefix: self.path(key),
            })),
            Some(_) => Err(param_error(format!("{} must be an object", self.path(key)))),
        }
    }

    fn req_obj(&self, key: &str) -> Result<Obj<'a>, Reply> {
        self.opt_obj(key)?.ok_or_else(|| missing(&self.path(key)))
    }

    fn opt_array(&self, key: &str, max: usize) -> Result<Option<Vec<Obj<'a>>>, Reply> {
        let path = self.path(key);
        let items = match self.get(key) {
            None => return Ok(None),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(param_error(format!("{path} must be an array"))),
        };
        if items.len() > max {
            return Err(param_error(format!("{path} holds at most {max} items")));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(m) => Ok(Obj {
                    map: m,
                    prefix: format!("{path}[{i}]"),
                }),
                _ => Err(param_error(format!("{path}[{i}] must be an object"))),
            })
            .collect::<Result<Vec<_>, Reply>>()
            .map(Some)
    }
}

fn param_error(message: impl Into<String>) -> Reply {
    Reply::error(400, "PARAM_ERROR", message)
}

fn missing(path: &str) -> Reply {
    param_error(format!("{path} is required"))
}

fn order_not_exist() -> Reply {
    Reply::error(404, "ORDER_NOT_EXIST", "订单不存在 (no such order)")
}

fn method_not_allowed(allowed: &str) -> Reply {
    Reply::error(
        405,
        "METHOD_NOT_ALLOWED",
        format!("allowed methods: {allowed}"),
    )
}

fn state_conflict(order: &Order, why: &str) -> Reply {
    let collection = order
        .collection
        .as_ref()
        .map(|c| format!(", collection {}", c.state))
        .unwrap_or_default();
    Reply::error(
        400,
        "INVALID_REQUEST",
        format!(
            "订单状态不允许此操作: order is {}{collection}; {why}",
            order.state.as_str()
        ),
    )
}

/// `+` stays `+`: these queries are RFC 3986 encoded, where `+` is not a space.
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode_lossy(k), percent_decode_lossy(v))
        })
        .collect()
}

fn percent_decode_bytes(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = b.get(i + 1).and_then(|c| hex(*c));
            let l = b.get(i + 2).and_then(|c| hex(*c));
            if let (Some(h), Some(l)) = (h, l) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    String::from_utf8(percent_decode_bytes(s)).ok()
}

fn percent_decode_lossy(s: &str) -> String {
    String::from_utf8_lossy(&percent_decode_bytes(s)).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Beijing wall-clock fields of a unix time.
fn cst_fields(unix: i64) -> (i64, i64, i64, i64, i64, i64) {
    // Clamped so the date arithmetic stays far from i64 overflow for any input.
    let t = unix.clamp(-(1 << 45), 1 << 45) + CST_OFFSET_SECS;
    let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    (y, mo, d, s / 3600, s % 3600 / 60, s % 60)
}

/// `2019-12-25T09:12:10+08:00`
/// `unix` as RFC 3339 in China Standard Time, e.g. `2026-11-24T16:00:00+08:00`.
pub(crate) fn rfc3339(unix: i64) -> String {
    fmt_rfc3339(unix)
}

fn fmt_rfc3339(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = cst_fields(unix);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+08:00")
}

/// `20191225091210`
fn fmt_compact(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = cst_fields(unix);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, c| n * 10 + i64::from(c - b'0')))
}

fn to_unix(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    let valid = (1..=12).contains(&mo)
        && (1..=days_in_month(y, mo)).contains(&d)
        && (0..24).contains(&h)
        && (0..60).contains(&mi)
        && (0..60).contains(&s);
    valid.then(|| days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// `yyyyMMddHHmmss` in Beijing time.
fn parse_compact(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 14 {
        return None;
    }
    let f = |r: std::ops::Range<usize>| digits(&b[r]);
    to_unix(
        f(0..4)?,
        f(4..6)?,
        f(6..8)?,
        f(8..10)?,
        f(10..12)?,
        f(12..14)?,
    )
    .map(|t| t - CST_OFFSET_SECS)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b[i] != c) || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let f = |r: std::ops::Range<usize>| digits(&b[r]);
    let local = to_unix(
        f(0..4)?,
        f(5..7)?,
        f(8..10)?,
        f(11..13)?,
        f(14..16)?,
        f(17..19)?,
    )?;
    let mut i = 19;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let zone = &b[i..];
    let offset = match zone {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    Some(local - offset)
}

#[cfg(test)]
mod tests;
