//! A stored order: its state, and the JSON it answers queries and
//! notifications with (built from the library's own models, so the two
//! cannot drift apart).

use serde_json::Value;
use wechatpay::models::transactions::{Payer, Transaction, TransactionAmount, TransactionScene};

use crate::time::fmt_rfc3339;

/// An order's key: (mchid, sub_mchid or `""`, out_trade_no).
pub(crate) type Key = (String, String, String);

/// The four ways to pay, as the path names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Jsapi,
    App,
    H5,
    Native,
}

impl Kind {
    pub(super) fn parse(segment: &str) -> Option<Self> {
        match segment {
            "jsapi" => Some(Kind::Jsapi),
            "app" => Some(Kind::App),
            "h5" => Some(Kind::H5),
            "native" => Some(Kind::Native),
            _ => None,
        }
    }

    /// `trade_type` as WeChat Pay reports it (H5 is `MWEB`).
    pub(crate) fn trade_type(self) -> &'static str {
        match self {
            Kind::Jsapi => "JSAPI",
            Kind::App => "APP",
            Kind::H5 => "MWEB",
            Kind::Native => "NATIVE",
        }
    }
}

/// `trade_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TradeState {
    NotPay,
    Success,
    Closed,
    PayError,
    Refund,
}

impl TradeState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TradeState::NotPay => "NOTPAY",
            TradeState::Success => "SUCCESS",
            TradeState::Closed => "CLOSED",
            TradeState::PayError => "PAYERROR",
            TradeState::Refund => "REFUND",
        }
    }

    fn description(self) -> &'static str {
        match self {
            TradeState::NotPay => "订单未支付",
            TradeState::Success => "支付成功",
            TradeState::Closed => "订单已关闭",
            TradeState::PayError => "支付失败，请重新下单支付",
            TradeState::Refund => "订单发生过退款，退款详情请查询退款单",
        }
    }

    /// Paid, and so refundable and no longer closable.
    pub(crate) fn is_paid(self) -> bool {
        matches!(self, TradeState::Success | TradeState::Refund)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Order {
    /// The merchant that placed it (`mchid`, or `sp_mchid` of a partner order).
    pub(crate) mchid: String,
    pub(crate) sub_mchid: Option<String>,
    /// The body as received, to tell a retry from a reuse of the number.
    pub(crate) request: Value,
    pub(crate) kind: Kind,
    pub(crate) appid: String,
    pub(crate) sub_appid: Option<String>,
    pub(crate) description: String,
    pub(crate) out_trade_no: String,
    pub(crate) attach: Option<String>,
    pub(crate) notify_url: String,
    pub(crate) total: i64,
    pub(crate) openid: Option<String>,
    pub(crate) sub_openid: Option<String>,
    pub(crate) device_id: Option<String>,
    pub(crate) state: TradeState,
    pub(crate) prepay_id: String,
    pub(crate) transaction_id: Option<String>,
    pub(crate) success_time: Option<i64>,
    /// What successful refunds took back, in fen.
    pub(crate) refunded: i64,
}

impl Order {
    pub(crate) fn is_partner(&self) -> bool {
        self.sub_mchid.is_some()
    }

    /// The order as a query (and `TRANSACTION.SUCCESS`) reports it.
    pub(crate) fn view(&self) -> Value {
        let paid = self.transaction_id.is_some();
        let partner = self.is_partner();
        let t = Transaction {
            appid: (!partner).then(|| self.appid.clone()),
            mchid: (!partner).then(|| self.mchid.clone()),
            sp_appid: partner.then(|| self.appid.clone()),
            sp_mchid: partner.then(|| self.mchid.clone()),
            sub_appid: self.sub_appid.clone(),
            sub_mchid: self.sub_mchid.clone(),
            out_trade_no: self.out_trade_no.clone(),
            transaction_id: self.transaction_id.clone(),
            trade_type: paid.then(|| self.kind.trade_type().to_string()),
            trade_state: self.state.as_str().to_string(),
            trade_state_desc: Some(self.state.description().to_string()),
            bank_type: paid.then(|| "OTHERS".to_string()),
            attach: self.attach.clone(),
            success_time: self.success_time.map(fmt_rfc3339),
            payer: paid.then(|| self.payer()),
            amount: Some(TransactionAmount {
                total: Some(self.total),
                payer_total: paid.then_some(self.total),
                currency: Some("CNY".into()),
                payer_currency: paid.then(|| "CNY".to_string()),
            }),
            scene_info: self
                .device_id
                .clone()
                .map(|d| TransactionScene { device_id: Some(d) }),
            promotion_detail: paid.then(Vec::new),
        };
        serde_json::to_value(&t).unwrap_or(Value::Null)
    }

    fn payer(&self) -> Payer {
        if self.is_partner() {
            Payer {
                sp_openid: self.openid.clone(),
                sub_openid: self.sub_openid.clone(),
                ..Payer::default()
            }
        } else {
            Payer {
                openid: self.openid.clone(),
                ..Payer::default()
            }
        }
    }

    /// The user's openid as bills show it.
    pub(crate) fn payer_openid(&self) -> &str {
        self.openid
            .as_deref()
            .or(self.sub_openid.as_deref())
            .unwrap_or_default()
    }
}
