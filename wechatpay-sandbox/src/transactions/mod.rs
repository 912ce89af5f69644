//! In-memory sandbox of WeChat Pay's **basic payments** (基础支付), refunds and bills.
//!
//! Pure logic, as [`crate::payscore`]: [`Transactions::handle`] takes one
//! already-authenticated call and answers a [`Reply`] plus the [`Event`]s it
//! caused; [`Transactions::user_pay`] and [`Transactions::user_fail`] stand
//! in for the user at WeChat's cashier. Signing, encryption and delivery are
//! the HTTP side's job.
//!
//! # Routes
//! | route | success |
//! | --- | --- |
//! | `POST /v3/pay/transactions/{jsapi,app}` | 200 `{prepay_id}` |
//! | `POST /v3/pay/transactions/native` | 200 `{code_url}` |
//! | `POST /v3/pay/transactions/h5` | 200 `{h5_url}` |
//! | `GET /v3/pay/transactions/id/{transaction_id}?mchid=…` | 200 the order (paid orders only) |
//! | `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…` | 200 the order |
//! | `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close` `{mchid}` | 204 |
//! | the same under `/v3/pay/partner/transactions/…`, with `sp_appid`/`sp_mchid`/`sub_mchid` (queries `?sp_mchid=…&sub_mchid=…`) | as above |
//! | `POST /v3/refund/domestic/refunds` | 200 the refund, `PROCESSING` |
//! | `GET /v3/refund/domestic/refunds/{out_refund_no}` (`?sub_mchid=…` for partners) | 200 the refund |
//! | `GET /v3/bill/tradebill?bill_date=…[&bill_type=…][&tar_type=GZIP][&sub_mchid=…]` | 200 `{hash_type, hash_value, download_url}` |
//! | `GET /v3/bill/fundflowbill?bill_date=…[&account_type=BASIC][&tar_type=GZIP]` | 200 the same |
//! | `GET /v3/billdownload/file?token=…` ([`Transactions::bill_file`]) | 200 the CSV (gzipped when asked), unsigned |
//!
//! # States
//! `NOTPAY` →(the user pays)→ `SUCCESS` →(a refund succeeds)→ `REFUND`;
//! `NOTPAY` →(the payment fails)→ `PAYERROR`, from which the user may still
//! pay; `NOTPAY` or `PAYERROR` →(close)→ `CLOSED`. A refund is `PROCESSING`
//! in the answer that creates it and `SUCCESS` at once after: the next query
//! and the `REFUND.SUCCESS` notification say so. Partial refunds follow one
//! another until the paid amount is used up.
//!
//! Placing an order with an `out_trade_no` already used answers the same
//! prepay again when the body is the same, and is refused otherwise. The
//! sandbox serves the bill of any day up to today (WeChat Pay's is ready
//! the next morning), and writes every `bill_type` with the `ALL` columns.
//!
//! # Errors
//! Every error body is `{"code": "...", "message": "..."}`:
//!
//! | status | code | when |
//! | --- | --- | --- |
//! | 400 | `PARAM_ERROR` | a field missing or malformed (named in the message), a `mchid` other than the signer, a future `bill_date` |
//! | 403 | `OUT_TRADE_NO_USED` | the `out_trade_no` is taken by another body, or by a paid order |
//! | 400 | `ORDER_CLOSED` | ordering again, or paying, a closed order |
//! | 404 | `ORDER_NOT_EXIST` | no such order (query, close, control calls) |
//! | 400 | `INVALID_REQUEST` | closing or refunding in a state that forbids it, a refund above what is left, an `out_refund_no` reused with other amounts, an order number ambiguous across sub-merchants |
//! | 404 | `RESOURCE_NOT_EXISTS` | a refund of an unknown order, a query of an unknown refund |
//! | 400 | `NO_STATEMENT_EXIST` | no record on that day for that bill |
//! | 404 | `NOT_FOUND` / 405 `METHOD_NOT_ALLOWED` | an unknown path / another method (undocumented; the sandbox's own) |
//!
//! ```
//! use serde_json::json;
//! use wechatpay_sandbox::transactions::{Event, Transactions};
//!
//! let mut t = Transactions::new();
//! let order = json!({"appid": "wxd678efh567hg6787", "mchid": "1900000001", "description": "QQ公仔",
//!     "out_trade_no": "T20261124001", "notify_url": "https://example.com/notify",
//!     "amount": {"total": 100}, "payer": {"openid": "oUser"}}).to_string();
//! let (reply, _) = t.handle("1900000001", "POST", "/v3/pay/transactions/jsapi", "", order.as_bytes(), 0);
//! assert!(reply.body.unwrap()["prepay_id"].as_str().unwrap().starts_with("wx"));
//! let events = t.user_pay("1900000001", "T20261124001", 60).unwrap();
//! let Event::Paid { resource, .. } = &events[0] else { panic!("{events:?}") };
//! assert_eq!(resource["trade_state"], "SUCCESS");
//! ```

use std::collections::BTreeMap;

use serde_json::{Value, json};

mod create;
mod order;
mod refund;

pub(crate) use create::{check_notify_url, check_out_trade_no};
pub(crate) use order::{Key, Order, TradeState};
pub(crate) use refund::Refund;

use crate::{
    query::{parse_query, percent_decode},
    reply::Reply,
    time::fmt_compact,
    validate::{Obj, missing, parse_body},
};
use order::Kind;

/// Where bills are said to be downloaded from by default, as WeChat Pay answers.
const DEFAULT_BASE: &str = "https://api.mch.weixin.qq.com/";

/// A notification WeChat Pay would send.
///
/// ```
/// use wechatpay_sandbox::transactions::Event;
/// let e = Event::Paid { out_trade_no: "T1".into(), notify_url: "https://e.com/n".into(), resource: serde_json::json!({}) };
/// assert_eq!(e.event_type(), "TRANSACTION.SUCCESS");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `TRANSACTION.SUCCESS`: the order was paid.
    Paid {
        /// The order.
        out_trade_no: String,
        /// Where to deliver it.
        notify_url: String,
        /// The decrypted resource (the order, as a query shows it).
        resource: Value,
    },
    /// `REFUND.SUCCESS`: a refund succeeded (sent when it had a `notify_url`).
    Refunded {
        /// The refund.
        out_refund_no: String,
        /// Where to deliver it.
        notify_url: String,
        /// The decrypted resource.
        resource: Value,
    },
}

impl Event {
    /// `TRANSACTION.SUCCESS` or `REFUND.SUCCESS`.
    ///
    /// ```
    /// # use wechatpay_sandbox::transactions::Event;
    /// let e = Event::Refunded { out_refund_no: "R1".into(), notify_url: "https://e.com/n".into(), resource: serde_json::json!({}) };
    /// assert_eq!(e.event_type(), "REFUND.SUCCESS");
    /// ```
    pub fn event_type(&self) -> &'static str {
        match self {
            Event::Paid { .. } => "TRANSACTION.SUCCESS",
            Event::Refunded { .. } => "REFUND.SUCCESS",
        }
    }

    /// The notification's `summary` as WeChat words it.
    ///
    /// ```
    /// # use wechatpay_sandbox::transactions::Event;
    /// let e = Event::Paid { out_trade_no: "T1".into(), notify_url: "https://e.com/n".into(), resource: serde_json::json!({}) };
    /// assert_eq!(e.summary(), "支付成功");
    /// ```
    pub fn summary(&self) -> &'static str {
        match self {
            Event::Paid { .. } => "支付成功",
            Event::Refunded { .. } => "退款成功",
        }
    }

    /// The resource's `original_type` (and associated data): `transaction` or `refund`.
    ///
    /// ```
    /// # use wechatpay_sandbox::transactions::Event;
    /// let e = Event::Paid { out_trade_no: "T1".into(), notify_url: "https://e.com/n".into(), resource: serde_json::json!({}) };
    /// assert_eq!(e.original_type(), "transaction");
    /// ```
    pub fn original_type(&self) -> &'static str {
        match self {
            Event::Paid { .. } => "transaction",
            Event::Refunded { .. } => "refund",
        }
    }
}

/// What every call needs besides the body.
pub(crate) struct Ctx<'a> {
    pub(crate) mchid: &'a str,
    pub(crate) partner: bool,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) now: i64,
}

impl Ctx<'_> {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// One bill file (`crate::bills` writes it) and when its link was handed out.
#[derive(Debug, Clone)]
pub(crate) struct BillFile {
    pub(crate) body: Vec<u8>,
    pub(crate) created: i64,
}

/// Orders, refunds and bill files of every merchant the sandbox serves.
///
/// ```
/// let t = wechatpay_sandbox::transactions::Transactions::new();
/// assert!(t.order("1900000001", "T20261124001").is_none());
/// ```
#[derive(Debug, Clone)]
pub struct Transactions {
    pub(crate) orders: BTreeMap<Key, Order>,
    pub(crate) refunds: BTreeMap<Key, Refund>,
    /// Bill files handed out, by download token.
    pub(crate) bills: BTreeMap<String, BillFile>,
    /// The base URI bill `download_url`s point at: the sandbox's own.
    pub(crate) base: String,
    counter: u64,
}

impl Default for Transactions {
    fn default() -> Self {
        Self::new()
    }
}

impl Transactions {
    /// An empty store whose bill links point at WeChat Pay's host.
    ///
    /// ```
    /// let t = wechatpay_sandbox::transactions::Transactions::new();
    /// ```
    pub fn new() -> Self {
        Self::with_base(DEFAULT_BASE)
    }

    /// An empty store whose bill links point at `base` (the sandbox passes its own URI).
    ///
    /// ```
    /// let t = wechatpay_sandbox::transactions::Transactions::with_base("http://127.0.0.1:8080/");
    /// ```
    pub fn with_base(base: &str) -> Self {
        Self {
            orders: BTreeMap::new(),
            refunds: BTreeMap::new(),
            bills: BTreeMap::new(),
            base: base.to_string(),
            counter: 0,
        }
    }

    /// A fresh number for IDs, unique within this store.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// One API call under `/v3/pay/`, `/v3/refund/domestic/` or `/v3/bill/`.
    /// `now_unix` is injected so tests are deterministic. Never panics.
    ///
    /// ```
    /// let mut t = wechatpay_sandbox::transactions::Transactions::new();
    /// let (reply, _) = t.handle("1900000001", "GET", "/v3/pay/transactions/out-trade-no/T20261124001", "mchid=1900000001", b"", 0);
    /// assert_eq!(reply.code(), Some("ORDER_NOT_EXIST"));
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
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let post = method.eq_ignore_ascii_case("POST");
        let get = method.eq_ignore_ascii_case("GET");
        let (partner, rest) = match segs.as_slice() {
            ["v3", "pay", "partner", "transactions", rest @ ..] => (true, rest),
            ["v3", "pay", "transactions", rest @ ..] => (false, rest),
            ["v3", "refund", "domestic", "refunds", rest @ ..] => {
                let ctx = self.ctx(mchid, false, query, now_unix);
                return match rest {
                    [] if post => self.refund(&ctx, body),
                    [no] if get => (self.refund_query(&ctx, no), Vec::new()),
                    [] => (not_allowed("POST"), Vec::new()),
                    [_] => (not_allowed("GET"), Vec::new()),
                    _ => (not_found(path), Vec::new()),
                };
            }
            ["v3", "bill", kind] => {
                let ctx = self.ctx(mchid, false, query, now_unix);
                let reply = match *kind {
                    _ if !get => not_allowed("GET"),
                    "tradebill" => self.trade_bill(&ctx),
                    "fundflowbill" => self.fund_flow_bill(&ctx),
                    _ => not_found(path),
                };
                return (reply, Vec::new());
            }
            _ => return (not_found(path), Vec::new()),
        };
        let ctx = self.ctx(mchid, partner, query, now_unix);
        let reply = match rest {
            [kind] => match Kind::parse(kind) {
                Some(_) if !post => not_allowed("POST"),
                Some(kind) => self.create(&ctx, kind, body),
                None => not_found(path),
            },
            ["id", id] if get => self.query(&ctx, By::TransactionId(id)),
            ["out-trade-no", no] if get => self.query(&ctx, By::OutTradeNo(no)),
            ["id", _] | ["out-trade-no", _] => not_allowed("GET"),
            ["out-trade-no", no, "close"] if post => self.close(&ctx, no, body),
            ["out-trade-no", _, "close"] => not_allowed("POST"),
            _ => not_found(path),
        };
        (reply, Vec::new())
    }

    fn ctx<'a>(&self, mchid: &'a str, partner: bool, query: &str, now: i64) -> Ctx<'a> {
        Ctx {
            mchid,
            partner,
            query: parse_query(query),
            now,
        }
    }

    fn create(&mut self, ctx: &Ctx, kind: Kind, body: &[u8]) -> Reply {
        let map = match parse_body(body) {
            Ok(m) => m,
            Err(r) => return r,
        };
        let new = match create::parse(&Obj::root(&map), ctx, kind) {
            Ok(n) => n,
            Err(r) => return r,
        };
        let key = (
            ctx.mchid.to_string(),
            new.sub_mchid.clone().unwrap_or_default(),
            new.out_trade_no.clone(),
        );
        let request = Value::Object(map);
        if let Some(existing) = self.orders.get(&key) {
            return again(existing, kind, &request);
        }
        let prepay_id = format!("wx{}{:010}", fmt_compact(ctx.now), self.next_id());
        let order = Order {
            mchid: ctx.mchid.to_string(),
            sub_mchid: new.sub_mchid,
            request,
            kind,
            appid: new.appid,
            sub_appid: new.sub_appid,
            description: new.description,
            out_trade_no: new.out_trade_no,
            attach: new.attach,
            notify_url: new.notify_url,
            total: new.total,
            openid: new.openid,
            sub_openid: new.sub_openid,
            device_id: new.device_id,
            state: TradeState::NotPay,
            prepay_id,
            transaction_id: None,
            success_time: None,
            refunded: 0,
        };
        let reply = prepay_answer(&order);
        self.orders.insert(key, order);
        reply
    }

    /// The merchant (and sub-merchant) a query or close names, checked.
    fn owner(&self, ctx: &Ctx, body: Option<&Obj>) -> Result<String, Reply> {
        let field = |k: &str| -> Result<String, Reply> {
            match body {
                Some(o) => o.req_str(k, 1, 32),
                None => ctx.get(k).map(str::to_string).ok_or_else(|| missing(k)),
            }
        };
        if ctx.partner {
            create::check_merchant("sp_mchid", &field("sp_mchid")?, ctx)?;
            field("sub_mchid")
        } else {
            create::check_merchant("mchid", &field("mchid")?, ctx)?;
            Ok(String::new())
        }
    }

    fn query(&self, ctx: &Ctx, by: By) -> Reply {
        let sub = match self.owner(ctx, None) {
            Ok(s) => s,
            Err(r) => return r,
        };
        let found = match by {
            By::OutTradeNo(no) => {
                let no = percent_decode(no).unwrap_or_default();
                self.orders.get(&(ctx.mchid.to_string(), sub, no))
            }
            By::TransactionId(id) => self.orders.values().find(|o| {
                o.mchid == ctx.mchid
                    && o.sub_mchid.clone().unwrap_or_default() == sub
                    && o.transaction_id.as_deref() == Some(id)
            }),
        };
        match found {
            Some(o) => Reply::ok(o.view()),
            None => order_not_exist(),
        }
    }

    fn close(&mut self, ctx: &Ctx, no: &str, body: &[u8]) -> Reply {
        let map = match parse_body(body) {
            Ok(m) => m,
            Err(r) => return r,
        };
        let sub = match self.owner(ctx, Some(&Obj::root(&map))) {
            Ok(s) => s,
            Err(r) => return r,
        };
        let no = percent_decode(no).unwrap_or_default();
        let Some(order) = self.orders.get_mut(&(ctx.mchid.to_string(), sub, no)) else {
            return order_not_exist();
        };
        match order.state {
            TradeState::NotPay | TradeState::PayError | TradeState::Closed => {
                order.state = TradeState::Closed;
                Reply::no_content()
            }
            TradeState::Success | TradeState::Refund => Reply::error(
                400,
                "INVALID_REQUEST",
                "订单已支付，不能关闭 (a paid order is refunded, not closed)",
            ),
        }
    }

    /// The user pays at WeChat's cashier: a `NOTPAY` (or `PAYERROR`) order
    /// becomes `SUCCESS`, and a `TRANSACTION.SUCCESS` event goes to its `notify_url`.
    ///
    /// # Errors
    /// 404 `ORDER_NOT_EXIST`; 400 `ORDER_CLOSED` for a closed order; 400
    /// `INVALID_REQUEST` for a paid one, or a number used under several sub-merchants.
    ///
    /// ```
    /// let mut t = wechatpay_sandbox::transactions::Transactions::new();
    /// assert_eq!(t.user_pay("1900000001", "NOPE000001", 0).unwrap_err().code(), Some("ORDER_NOT_EXIST"));
    /// ```
    pub fn user_pay(
        &mut self,
        mchid: &str,
        out_trade_no: &str,
        now_unix: i64,
    ) -> Result<Vec<Event>, Reply> {
        let key = self.find(mchid, out_trade_no)?;
        let id = self.next_id();
        let order = self.orders.get_mut(&key).ok_or_else(order_not_exist)?;
        payable(order)?;
        order.state = TradeState::Success;
        order.success_time = Some(now_unix);
        order.transaction_id = Some(format!("42000{}{:09}", fmt_compact(now_unix), id));
        if order.openid.is_none() && order.sub_openid.is_none() {
            // APP, H5 and Native orders learn who paid at payment.
            order.openid = Some(format!("oSandboxUser{id:06}"));
        }
        Ok(vec![Event::Paid {
            out_trade_no: order.out_trade_no.clone(),
            notify_url: order.notify_url.clone(),
            resource: order.view(),
        }])
    }

    /// The payment fails at the cashier (the bank refused): the order becomes
    /// `PAYERROR`. Nothing is notified: WeChat Pay notifies successes only.
    ///
    /// # Errors
    /// As [`user_pay`](Self::user_pay).
    ///
    /// ```
    /// let mut t = wechatpay_sandbox::transactions::Transactions::new();
    /// assert!(t.user_fail("1900000001", "NOPE000001").is_err());
    /// ```
    pub fn user_fail(&mut self, mchid: &str, out_trade_no: &str) -> Result<(), Reply> {
        let key = self.find(mchid, out_trade_no)?;
        let order = self.orders.get_mut(&key).ok_or_else(order_not_exist)?;
        payable(order)?;
        order.state = TradeState::PayError;
        Ok(())
    }

    /// The order as a query shows it, for inspection in tests.
    ///
    /// ```
    /// let t = wechatpay_sandbox::transactions::Transactions::new();
    /// assert!(t.order("1900000001", "NOPE000001").is_none());
    /// ```
    pub fn order(&self, mchid: &str, out_trade_no: &str) -> Option<Value> {
        let key = self.find(mchid, out_trade_no).ok()?;
        self.orders.get(&key).map(Order::view)
    }

    /// The one order of `mchid` numbered `out_trade_no`, whatever its sub-merchant.
    pub(crate) fn find(&self, mchid: &str, out_trade_no: &str) -> Result<Key, Reply> {
        let mut found = self
            .orders
            .keys()
            .filter(|(m, _, o)| m == mchid && o == out_trade_no);
        match (found.next(), found.next()) {
            (Some(k), None) => Ok(k.clone()),
            (None, _) => Err(order_not_exist()),
            (Some(_), Some(_)) => Err(Reply::error(
                400,
                "INVALID_REQUEST",
                format!("out_trade_no {out_trade_no} exists under several sub_mchid"),
            )),
        }
    }
}

enum By<'a> {
    TransactionId(&'a str),
    OutTradeNo(&'a str),
}

/// An order placed again with a number in use: the same answer for the same
/// body while it can still be paid, else a refusal.
fn again(existing: &Order, kind: Kind, request: &Value) -> Reply {
    match existing.state {
        TradeState::Closed => {
            Reply::error(400, "ORDER_CLOSED", "订单已关闭，请使用新的商户订单号下单")
        }
        s if s.is_paid() => Reply::error(403, "OUT_TRADE_NO_USED", "商户订单号重复：该订单已支付"),
        _ if existing.kind == kind && existing.request == *request => prepay_answer(existing),
        _ => Reply::error(
            403,
            "OUT_TRADE_NO_USED",
            format!(
                "商户订单号重复：out_trade_no {} was placed with other parameters",
                existing.out_trade_no
            ),
        ),
    }
}

fn prepay_answer(order: &Order) -> Reply {
    let id = &order.prepay_id;
    Reply::ok(match order.kind {
        Kind::Jsapi | Kind::App => json!({ "prepay_id": id }),
        Kind::Native => json!({ "code_url": format!("weixin://wxpay/bizpayurl?pr={}", &id[2..]) }),
        Kind::H5 => json!({
            "h5_url": format!("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={id}&package=sandbox")
        }),
    })
}

/// Whether the user can pay `order` now.
fn payable(order: &Order) -> Result<(), Reply> {
    match order.state {
        TradeState::NotPay | TradeState::PayError => Ok(()),
        TradeState::Closed => Err(Reply::error(400, "ORDER_CLOSED", "订单已关闭")),
        TradeState::Success | TradeState::Refund => Err(Reply::error(
            400,
            "INVALID_REQUEST",
            "订单已支付 (already paid)",
        )),
    }
}

pub(crate) fn order_not_exist() -> Reply {
    Reply::error(404, "ORDER_NOT_EXIST", "订单不存在")
}

fn not_found(path: &str) -> Reply {
    let shown: String = path.chars().take(200).collect();
    Reply::error(404, "NOT_FOUND", format!("no such API: {shown}"))
}

fn not_allowed(allowed: &str) -> Reply {
    Reply::error(
        405,
        "METHOD_NOT_ALLOWED",
        format!("allowed methods: {allowed}"),
    )
}

#[cfg(test)]
mod tests;
