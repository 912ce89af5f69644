//! Readers of the order's parts that several calls share: payments, discounts and their
//! sum, risk fund, time range, location, device, `sub_mchid`.

use wechatpay::models::payscore::{
    Device, Location, PostDiscount, PostPayment, RiskFund, TimeRange,
};

use super::{
    Reply,
    routes::{Ctx, Flavor},
    time::{parse_compact, parse_rfc3339},
    validate::{Obj, check_len, missing, param_error},
};

pub(super) fn check_sum(
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

pub(super) fn required_payments(o: &Obj) -> Result<Vec<PostPayment>, Reply> {
    match parse_payments(o, true)? {
        Some(p) if !p.is_empty() => Ok(p),
        Some(_) => Err(param_error("post_payments must hold at least one item")),
        None => Err(missing("post_payments")),
    }
}

pub(super) fn parse_payments(o: &Obj, required: bool) -> Result<Option<Vec<PostPayment>>, Reply> {
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

pub(super) fn parse_discounts(
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

pub(super) fn parse_risk_fund(o: &Obj) -> Result<RiskFund, Reply> {
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
/// optional and must be real times: `yyyyMMddHHmmss`, or for the overseas forms (whose
/// pages write `2019-11-11T16:24:05+08:00`) RFC 3339 too.
pub(super) fn parse_time_range(o: &Obj, create: bool, flavor: Flavor) -> Result<TimeRange, Reply> {
    let rfc3339 = flavor == Flavor::Oversea;
    let longest = if rfc3339 { 64 } else { 14 };
    let start_time = if create {
        Some(o.req_str("start_time", 1, longest)?)
    } else {
        o.opt_str("start_time", 1, longest)?
    };
    let end_time = o.opt_str("end_time", 1, longest)?;
    let form = if rfc3339 {
        "yyyyMMddHHmmss or RFC 3339"
    } else {
        "yyyyMMddHHmmss"
    };
    let parse = |t: &str| parse_compact(t).or_else(|| rfc3339.then(|| parse_rfc3339(t)).flatten());
    let start = match start_time.as_deref() {
        Some("OnAccept") if create => None,
        Some(s) => Some(parse(s).ok_or_else(|| {
            param_error(if create {
                format!("time_range.start_time must be {form} or OnAccept")
            } else {
                format!("time_range.start_time must be {form}")
            })
        })?),
        None => None,
    };
    let end = end_time
        .as_deref()
        .map(|e| parse(e).ok_or_else(|| param_error(format!("time_range.end_time must be {form}"))))
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

pub(super) fn parse_location(o: &Obj, create: bool) -> Result<Option<Location>, Reply> {
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

pub(super) fn parse_device(o: &Obj) -> Result<Option<Device>, Reply> {
    let Some(d) = o.opt_obj("device")? else {
        return Ok(None);
    };
    Ok(Some(Device {
        start_device_id: d.opt_str("start_device_id", 1, 32)?,
        end_device_id: d.opt_str("end_device_id", 1, 32)?,
        materiel_no: d.opt_str("materiel_no", 1, 256)?,
    }))
}

pub(super) fn sub_mchid(o: &Obj, ctx: &Ctx) -> Result<String, Reply> {
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
