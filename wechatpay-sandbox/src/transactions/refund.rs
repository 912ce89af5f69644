//! A stored refund, and the JSON it answers queries and `REFUND.SUCCESS`
//! notifications with (built from the library's own models, as an order's).

use serde_json::Value;
use wechatpay::models::refunds::{
    Refund as RefundView, RefundAmount, RefundNotification, RefundNotificationAmount,
};

use super::order::{Key, Order};
use crate::time::fmt_rfc3339;

/// Where the money goes back to, as WeChat Pay words it for change (零钱).
const RECEIVED_BY: &str = "支付用户零钱";

/// One refund of an order, kept under (mchid, sub_mchid or `""`, `out_refund_no`).
#[derive(Debug, Clone)]
pub(crate) struct Refund {
    pub(crate) order: Key,
    pub(crate) refund_id: String,
    pub(crate) out_refund_no: String,
    pub(crate) refund: i64,
    pub(crate) total: i64,
    pub(crate) funds_account: String,
    pub(crate) status: &'static str,
    pub(crate) create_time: i64,
    pub(crate) success_time: Option<i64>,
}

impl Refund {
    pub(crate) fn view(&self, order: &Order) -> Value {
        let v = RefundView {
            refund_id: self.refund_id.clone(),
            out_refund_no: self.out_refund_no.clone(),
            transaction_id: order.transaction_id.clone().unwrap_or_default(),
            out_trade_no: order.out_trade_no.clone(),
            channel: Some("ORIGINAL".into()),
            user_received_account: Some(RECEIVED_BY.into()),
            success_time: self.success_time.map(fmt_rfc3339),
            create_time: Some(fmt_rfc3339(self.create_time)),
            status: self.status.to_string(),
            funds_account: Some(self.funds_account.clone()),
            amount: RefundAmount {
                total: self.total,
                refund: self.refund,
                from: Some(Vec::new()),
                payer_total: Some(self.total),
                payer_refund: Some(self.refund),
                settlement_refund: Some(self.refund),
                settlement_total: Some(self.total),
                discount_refund: Some(0),
                currency: Some("CNY".into()),
                refund_fee: Some(0),
            },
        };
        serde_json::to_value(&v).unwrap_or(Value::Null)
    }

    pub(crate) fn notification(&self, order: &Order) -> Value {
        let partner = order.is_partner();
        let n = RefundNotification {
            mchid: (!partner).then(|| order.mchid.clone()),
            sp_mchid: partner.then(|| order.mchid.clone()),
            sub_mchid: order.sub_mchid.clone(),
            out_trade_no: order.out_trade_no.clone(),
            transaction_id: order.transaction_id.clone().unwrap_or_default(),
            out_refund_no: self.out_refund_no.clone(),
            refund_id: self.refund_id.clone(),
            refund_status: self.status.to_string(),
            success_time: self.success_time.map(fmt_rfc3339),
            user_received_account: RECEIVED_BY.into(),
            amount: RefundNotificationAmount {
                total: self.total,
                refund: self.refund,
                payer_total: self.total,
                payer_refund: self.refund,
            },
        };
        serde_json::to_value(&n).unwrap_or(Value::Null)
    }
}
