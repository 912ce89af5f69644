//! Refunds of paid orders: `POST v3/refund/domestic/refunds` and
//! `GET v3/refund/domestic/refunds/{out_refund_no}`, on the orders of
//! [`Transactions`].
//!
//! A refund is answered `PROCESSING` and becomes `SUCCESS` at once after
//! answering, so the next query says `SUCCESS` and `REFUND.SUCCESS` goes
//! out (when the refund has a `notify_url`: without one WeChat Pay uses the
//! URL configured on the merchant platform, which the sandbox has not). The
//! order becomes `REFUND`. Partial refunds follow one another while
//! anything of the paid amount is left.

use crate::{
    reply::Reply,
    time::fmt_compact,
    transactions::{
        Ctx, Event, Key, Refund, TradeState, Transactions, check_notify_url, check_out_trade_no,
    },
    validate::{Obj, missing, param_error, parse_body},
};

/// A refund body, checked.
struct Asked {
    sub: String,
    transaction_id: Option<String>,
    out_trade_no: Option<String>,
    out_refund_no: String,
    notify_url: Option<String>,
    funds_account: Option<String>,
    refund: i64,
    total: i64,
}

fn parse(o: &Obj) -> Result<Asked, Reply> {
    let sub = o.opt_str("sub_mchid", 1, 32)?.unwrap_or_default();
    let transaction_id = o.opt_str("transaction_id", 1, 32)?;
    let out_trade_no = o.opt_str("out_trade_no", 1, 32)?;
    if let Some(no) = &out_trade_no {
        check_out_trade_no(no)?;
    }
    if transaction_id.is_none() && out_trade_no.is_none() {
        return Err(missing("transaction_id or out_trade_no"));
    }
    let out_refund_no = o.req_str("out_refund_no", 1, 64)?;
    o.opt_str("reason", 1, 80)?;
    let notify_url = o.opt_str("notify_url", 1, 256)?;
    if let Some(url) = &notify_url {
        check_notify_url("notify_url", url)?;
    }
    let funds_account = o.opt_str("funds_account", 1, 32)?;
    if funds_account.as_deref().is_some_and(|f| f != "AVAILABLE") {
        return Err(param_error("funds_account must be AVAILABLE"));
    }
    let amount = o.req_obj("amount")?;
    let refund = amount.req_int("refund", 1)?;
    let total = amount.req_int("total", 1)?;
    let currency = amount.req_str("currency", 1, 16)?;
    if currency != "CNY" {
        return Err(param_error(format!(
            "amount.currency must be CNY, got {currency}"
        )));
    }
    for from in amount.opt_array("from", 10)?.unwrap_or_default() {
        from.req_str("account", 1, 32)?;
        from.req_int("amount", 1)?;
    }
    o.opt_array("goods_detail", 100)?;
    Ok(Asked {
        sub,
        transaction_id,
        out_trade_no,
        out_refund_no,
        notify_url,
        funds_account,
        refund,
        total,
    })
}

fn refused(message: impl Into<String>) -> Reply {
    Reply::error(400, "INVALID_REQUEST", message)
}

fn no_resource(what: &str) -> Reply {
    Reply::error(404, "RESOURCE_NOT_EXISTS", format!("{what}不存在"))
}

impl Transactions {
    /// `POST v3/refund/domestic/refunds`.
    pub(crate) fn refund(&mut self, ctx: &Ctx, body: &[u8]) -> (Reply, Vec<Event>) {
        match self.try_refund(ctx, body) {
            Ok(done) => done,
            Err(reply) => (reply, Vec::new()),
        }
    }

    fn try_refund(&mut self, ctx: &Ctx, body: &[u8]) -> Result<(Reply, Vec<Event>), Reply> {
        let map = parse_body(body)?;
        let asked = parse(&Obj::root(&map))?;
        let order_key = self.refunded_order(ctx, &asked)?;
        let key = (
            ctx.mchid.to_string(),
            asked.sub.clone(),
            asked.out_refund_no.clone(),
        );
        if let Some(existing) = self.refunds.get(&key) {
            // Asking again is how a merchant learns the outcome of a call
            // that timed out: the same refund, not a second one.
            let order = &self.orders[&existing.order];
            let same = existing.order == order_key
                && existing.refund == asked.refund
                && existing.total == asked.total;
            return if same {
                Ok((Reply::ok(existing.view(order)), Vec::new()))
            } else {
                Err(refused(format!(
                    "订单金额或退款金额与之前请求不一致: out_refund_no {} was asked with other amounts",
                    asked.out_refund_no
                )))
            };
        }
        let order = &self.orders[&order_key];
        if !order.state.is_paid() {
            return Err(refused(format!(
                "订单状态不允许退款: the order is {}",
                order.state.as_str()
            )));
        }
        if asked.total != order.total {
            return Err(refused(format!(
                "amount.total {} is not the order's total {}",
                asked.total, order.total
            )));
        }
        let left = order.total - order.refunded;
        if asked.refund > left {
            return Err(refused(format!(
                "申请退款金额超过订单可退金额: {} fen asked, {left} left",
                asked.refund
            )));
        }
        let id = self.next_id();
        let mut refund = Refund {
            order: order_key.clone(),
            refund_id: format!("50300{}{:09}", fmt_compact(ctx.now), id),
            out_refund_no: asked.out_refund_no,
            refund: asked.refund,
            total: asked.total,
            funds_account: asked.funds_account.unwrap_or_else(|| "AVAILABLE".into()),
            status: "PROCESSING",
            create_time: ctx.now,
            success_time: None,
        };
        let order = self
            .orders
            .get_mut(&order_key)
            .ok_or_else(|| no_resource("订单"))?;
        let answer = Reply::ok(refund.view(order));
        // Processed at once: what the merchant sees next is the outcome.
        refund.status = "SUCCESS";
        refund.success_time = Some(ctx.now);
        order.refunded += refund.refund;
        order.state = TradeState::Refund;
        let events = asked
            .notify_url
            .map(|notify_url| Event::Refunded {
                out_refund_no: refund.out_refund_no.clone(),
                notify_url,
                resource: refund.notification(order),
            })
            .into_iter()
            .collect();
        self.refunds.insert(key, refund);
        Ok((answer, events))
    }

    /// The order a refund names, by `transaction_id` or `out_trade_no`.
    fn refunded_order(&self, ctx: &Ctx, asked: &Asked) -> Result<Key, Reply> {
        let by_no = asked
            .out_trade_no
            .as_ref()
            .map(|no| (ctx.mchid.to_string(), asked.sub.clone(), no.clone()));
        let by_id = asked.transaction_id.as_ref().map(|id| {
            self.orders
                .iter()
                .find(|((m, s, _), o)| {
                    *m == ctx.mchid && *s == asked.sub && o.transaction_id.as_ref() == Some(id)
                })
                .map(|(k, _)| k.clone())
        });
        let key = match (by_id, by_no) {
            (Some(Some(k)), Some(no)) if k != no => {
                return Err(param_error(
                    "transaction_id and out_trade_no name different orders",
                ));
            }
            (Some(found), _) => found,
            (None, no) => no.filter(|k| self.orders.contains_key(k)),
        };
        key.ok_or_else(|| no_resource("订单"))
    }

    /// `GET v3/refund/domestic/refunds/{out_refund_no}`.
    pub(crate) fn refund_query(&self, ctx: &Ctx, out_refund_no: &str) -> Reply {
        let no = crate::query::percent_decode(out_refund_no).unwrap_or_default();
        let sub = ctx.get("sub_mchid").unwrap_or_default().to_string();
        let key = (ctx.mchid.to_string(), sub, no);
        match self.refunds.get(&key) {
            Some(r) => Reply::ok(r.view(&self.orders[&r.order])),
            None => no_resource("退款单"),
        }
    }
}
