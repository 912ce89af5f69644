//! A stored service order: its state, its collection bookkeeping, and the JSON views the
//! API answers and notifications show of it.

use serde::Serialize;
use serde_json::Value;

use wechatpay::models::payscore::{
    Collection, CollectionDetail, CreateServiceOrder, ServiceOrder, ServiceOrderNotification,
};

use super::Reply;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
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
pub(super) type Key = (String, String, String);

#[derive(Debug, Clone)]
pub(super) struct Order {
    pub(super) mchid: String,
    /// The create body as received, to tell an idempotent retry from a conflicting reuse.
    pub(super) request: Value,
    /// Most of the order's data lives in the typed create body, updated by later calls.
    pub(super) data: CreateServiceOrder,
    pub(super) state: State,
    pub(super) order_id: String,
    pub(super) query_id: String,
    pub(super) package: Option<String>,
    pub(super) total_amount: Option<i64>,
    /// Modify may lower the amount but never above what completion fixed.
    pub(super) completed_total: Option<i64>,
    pub(super) collection: Option<Collection>,
    pub(super) cashier_since: Option<i64>,
    pub(super) out_trade_no: Option<String>,
}

impl Order {
    pub(super) fn is_paying(&self) -> bool {
        self.state == State::Done
            && self
                .collection
                .as_ref()
                .is_some_and(|c| c.state == USER_PAYING)
    }

    pub(super) fn model(&self) -> ServiceOrder {
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
    pub(super) fn create_view(&self) -> Value {
        let mut m = self.model();
        m.package = self.package.clone();
        m.total_amount = None;
        m.need_collection = None;
        m.collection = None;
        m.openid = None;
        m.sub_openid = None;
        to_json(&m)
    }

    pub(super) fn query_view(&self) -> Value {
        to_json(&self.model())
    }

    /// The complete response lists the amounts and state but not the collection.
    pub(super) fn complete_view(&self) -> Value {
        let mut m = self.model();
        m.collection = None;
        m.attach = None;
        m.notify_url = None;
        m.openid = None;
        m.sub_openid = None;
        to_json(&m)
    }

    /// The notification this order fires on confirmation (`paid: false`)
    /// or payment, none when it has no `notify_url`.
    pub(super) fn events(&self, paid: bool) -> Vec<super::Event> {
        if self.data.notify_url.is_empty() {
            return Vec::new();
        }
        let (out_order_no, notify_url) =
            (self.data.out_order_no.clone(), self.data.notify_url.clone());
        let resource = self.notification(paid);
        vec![if paid {
            super::Event::UserPaid {
                out_order_no,
                notify_url,
                resource,
            }
        } else {
            super::Event::UserConfirmed {
                out_order_no,
                notify_url,
                resource,
            }
        }]
    }

    pub(super) fn notification(&self, paid: bool) -> Value {
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

pub(super) fn new_collection(total: i64) -> Collection {
    Collection {
        state: if total > 0 { USER_PAYING } else { USER_PAID }.to_string(),
        total_amount: Some(total),
        paying_amount: Some(total),
        paid_amount: Some(0),
        details: Some(Vec::new()),
        bank_type: None,
    }
}

pub(super) fn mark_paid(
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

pub(super) fn order_not_exist() -> Reply {
    Reply::error(404, "ORDER_NOT_EXIST", "订单不存在 (no such order)")
}

pub(super) fn state_conflict(order: &Order, why: &str) -> Reply {
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
