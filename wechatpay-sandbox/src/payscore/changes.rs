//! The bodies of modify, complete, cancel and sync, and what each does to an order.

use wechatpay::models::payscore::{Location, PostDiscount, PostPayment, TimeRange};

use super::{
    Reply,
    fields::{
        check_sum, parse_device, parse_discounts, parse_location, parse_time_range,
        required_payments,
    },
    order::{Order, State, mark_paid, new_collection, state_conflict},
    routes::Flavor,
    time::{fmt_compact, fmt_rfc3339, parse_compact, parse_rfc3339},
    validate::{Obj, param_error},
};

/// The user may be at the cashier for this long; meanwhile sync is refused (the document
/// asks merchants to retry after 3 minutes).
const CASHIER_WINDOW_SECS: i64 = 180;

pub(super) enum Change {
    Complete(CompleteBody),
    Modify(ModifyBody),
    Cancel,
    Sync(SyncBody),
}

pub(super) struct CompleteBody {
    post_payments: Vec<PostPayment>,
    post_discounts: Option<Vec<PostDiscount>>,
    total_amount: i64,
    time_range: Option<TimeRange>,
    location: Option<Location>,
}

pub(super) struct ModifyBody {
    post_payments: Vec<PostPayment>,
    post_discounts: Option<Vec<PostDiscount>>,
    total_amount: i64,
}

pub(super) struct SyncBody {
    seq: Option<u32>,
    paid_time: i64,
    paid_amount: Option<i64>,
}

pub(super) fn parse_complete(
    o: &Obj,
    flavor: Flavor,
    checked: bool,
) -> Result<CompleteBody, Reply> {
    let post_payments = required_payments(o)?;
    let post_discounts = parse_discounts(o, flavor.is_partner(), true)?;
    let total_amount = o.req_int("total_amount", 0)?;
    if checked {
        check_sum(&post_payments, post_discounts.as_deref(), total_amount)?;
    }
    let time_range = o
        .opt_obj("time_range")?
        .map(|t| parse_time_range(&t, false, flavor))
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

pub(super) fn parse_modify(o: &Obj, checked: bool) -> Result<ModifyBody, Reply> {
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

pub(super) fn parse_sync(o: &Obj) -> Result<SyncBody, Reply> {
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

pub(super) fn apply_complete(order: &mut Order, c: CompleteBody, now: i64) -> Result<(), Reply> {
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

pub(super) fn apply_modify(order: &mut Order, m: ModifyBody) -> Result<(), Reply> {
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

pub(super) fn apply_sync(order: &mut Order, s: SyncBody, now: i64) -> Result<(), Reply> {
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
