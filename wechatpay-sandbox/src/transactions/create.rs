//! The body of an order (JSAPI, APP, H5, Native; direct or partner), checked
//! field by field as the ordering pages describe it.

use crate::{
    reply::Reply,
    time::parse_rfc3339,
    validate::{Obj, missing, param_error},
};

use super::{Ctx, order::Kind};

/// What an order says, checked.
pub(super) struct NewOrder {
    pub(super) sub_mchid: Option<String>,
    pub(super) appid: String,
    pub(super) sub_appid: Option<String>,
    pub(super) description: String,
    pub(super) out_trade_no: String,
    pub(super) attach: Option<String>,
    pub(super) notify_url: String,
    pub(super) total: i64,
    pub(super) openid: Option<String>,
    pub(super) sub_openid: Option<String>,
    pub(super) device_id: Option<String>,
}

/// `out_trade_no`: 6 to 32 of `0-9 A-Z a-z _ - | *`.
pub(crate) fn check_out_trade_no(s: &str) -> Result<(), Reply> {
    crate::validate::check_order_no("out_trade_no", s)
}

/// The merchant a body or query names must be the one that signed the call.
pub(super) fn check_merchant(field: &str, given: &str, ctx: &Ctx) -> Result<(), Reply> {
    if given == ctx.mchid {
        Ok(())
    } else {
        Err(param_error(format!(
            "{field} {given} is not the merchant that signed the request ({})",
            ctx.mchid
        )))
    }
}

/// A `notify_url`: http(s), no query (the pages: 不能携带参数).
pub(crate) fn check_notify_url(field: &str, url: &str) -> Result<(), Reply> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(param_error(format!("{field} must be an http(s) URL")));
    }
    if url.contains('?') {
        return Err(param_error(format!("{field} must not carry a query")));
    }
    Ok(())
}

pub(super) fn parse(o: &Obj, ctx: &Ctx, kind: Kind) -> Result<NewOrder, Reply> {
    let (appid, sub_mchid, sub_appid) = if ctx.partner {
        let sp_appid = o.req_str("sp_appid", 1, 32)?;
        check_merchant("sp_mchid", &o.req_str("sp_mchid", 1, 32)?, ctx)?;
        let sub_mchid = o.req_str("sub_mchid", 1, 32)?;
        (sp_appid, Some(sub_mchid), o.opt_str("sub_appid", 1, 32)?)
    } else {
        let appid = o.req_str("appid", 1, 32)?;
        check_merchant("mchid", &o.req_str("mchid", 1, 32)?, ctx)?;
        (appid, None, None)
    };
    let description = o.req_str("description", 1, 127)?;
    let out_trade_no = o.req_str("out_trade_no", 1, 32)?;
    check_out_trade_no(&out_trade_no)?;
    if let Some(t) = o.opt_str("time_expire", 1, 64)? {
        if parse_rfc3339(&t).is_none() {
            return Err(param_error(
                "time_expire must be RFC 3339, e.g. 2018-06-08T10:34:56+08:00",
            ));
        }
    }
    let attach = o.opt_str("attach", 1, 128)?;
    let notify_url = o.req_str("notify_url", 1, 255)?;
    check_notify_url("notify_url", &notify_url)?;
    o.opt_str("goods_tag", 1, 32)?;
    o.opt_bool("support_fapiao")?;
    let amount = o.req_obj("amount")?;
    let total = amount.req_int("total", 1)?;
    if let Some(c) = amount.opt_str("currency", 1, 16)? {
        if c != "CNY" {
            return Err(param_error(format!("amount.currency must be CNY, got {c}")));
        }
    }
    let (openid, sub_openid) = parse_payer(o, ctx, kind, sub_appid.is_some())?;
    let device_id = parse_scene(o, kind)?;
    o.opt_obj("detail")?;
    if let Some(settle) = o.opt_obj("settle_info")? {
        settle.opt_bool("profit_sharing")?;
    }
    Ok(NewOrder {
        sub_mchid,
        appid,
        sub_appid,
        description,
        out_trade_no,
        attach,
        notify_url,
        total,
        openid,
        sub_openid,
        device_id,
    })
}

/// `payer`: required by JSAPI orders (`openid`; a partner's `sp_openid` or
/// `sub_openid`, the latter with `sub_appid`), ignored by the others.
fn parse_payer(
    o: &Obj,
    ctx: &Ctx,
    kind: Kind,
    has_sub_appid: bool,
) -> Result<(Option<String>, Option<String>), Reply> {
    if kind != Kind::Jsapi {
        return Ok((None, None));
    }
    let payer = o.req_obj("payer")?;
    if !ctx.partner {
        return Ok((Some(payer.req_str("openid", 1, 128)?), None));
    }
    let sp_openid = payer.opt_str("sp_openid", 1, 128)?;
    let sub_openid = payer.opt_str("sub_openid", 1, 128)?;
    if sp_openid.is_none() && sub_openid.is_none() {
        return Err(missing("payer.sp_openid or payer.sub_openid"));
    }
    if sub_openid.is_some() && !has_sub_appid {
        return Err(param_error(
            "sub_appid is required when payer.sub_openid is given",
        ));
    }
    Ok((sp_openid, sub_openid))
}

/// `scene_info`: H5 orders need `payer_client_ip` and `h5_info.type`.
fn parse_scene(o: &Obj, kind: Kind) -> Result<Option<String>, Reply> {
    let scene = if kind == Kind::H5 {
        Some(o.req_obj("scene_info")?)
    } else {
        o.opt_obj("scene_info")?
    };
    let Some(scene) = scene else {
        return Ok(None);
    };
    scene.req_str("payer_client_ip", 1, 45)?;
    let device_id = scene.opt_str("device_id", 1, 32)?;
    scene.opt_obj("store_info")?;
    let h5 = if kind == Kind::H5 {
        Some(scene.req_obj("h5_info")?)
    } else {
        scene.opt_obj("h5_info")?
    };
    if let Some(h5) = h5 {
        let kind = h5.req_str("type", 1, 32)?;
        if !matches!(kind.as_str(), "iOS" | "Android" | "Wap") {
            return Err(param_error(format!(
                "scene_info.h5_info.type must be iOS, Android or Wap, got {kind}"
            )));
        }
    }
    Ok(device_id)
}
