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

use serde_json::Value;

mod changes;
mod fields;
mod handlers;
mod order;
mod routes;
mod validate;

pub use crate::reply::Reply;
use crate::time;
use order::{Key, Order, State, mark_paid, order_not_exist, state_conflict};
use time::{fmt_compact, fmt_rfc3339};

/// A notification WeChat Pay would send to the merchant's `notify_url`.
///
/// ```
/// use serde_json::json;
/// use wechatpay_sandbox::payscore::{Event, PayScore};
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
    /// use wechatpay_sandbox::payscore::Event;
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
    /// use wechatpay_sandbox::payscore::Event;
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
/// use wechatpay_sandbox::payscore::{PayScore, Rules};
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

/// The in-memory Pay-Score service: orders keyed by (mchid, sub_mchid or `""`, out_order_no).
///
/// ```
/// use serde_json::json;
/// use wechatpay_sandbox::payscore::PayScore;
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

impl PayScore {
    /// An empty sandbox with default [`Rules`].
    ///
    /// ```
    /// use wechatpay_sandbox::payscore::PayScore;
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
    /// use wechatpay_sandbox::payscore::{PayScore, Rules};
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
    /// use wechatpay_sandbox::payscore::PayScore;
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
    /// use wechatpay_sandbox::payscore::PayScore;
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
        Ok(order.events(false))
    }

    /// The user pays a completed order still `USER_PAYING`: the collection becomes
    /// `USER_PAID` with a `NEWTON` payment, and a `PAYSCORE.USER_PAID` event is emitted.
    ///
    /// # Errors
    /// 404 `ORDER_NOT_EXIST`; 400 `INVALID_REQUEST` when nothing is left to pay.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay_sandbox::payscore::PayScore;
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
        Ok(order.events(true))
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
    /// use wechatpay_sandbox::payscore::PayScore;
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
    /// use wechatpay_sandbox::payscore::PayScore;
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
    /// use wechatpay_sandbox::payscore::PayScore;
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
    /// use wechatpay_sandbox::payscore::PayScore;
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
}

#[cfg(test)]
mod tests;
