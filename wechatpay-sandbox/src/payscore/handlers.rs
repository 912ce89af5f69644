//! The API calls themselves: create, query, and the actions (modify, complete, cancel,
//! sync) on an existing order.

use serde_json::{Value, json};

use wechatpay::models::payscore::CreateServiceOrder;

use super::{
    PayScore, Reply,
    changes::{
        Change, apply_complete, apply_modify, apply_sync, parse_complete, parse_modify, parse_sync,
    },
    fields::{
        parse_device, parse_discounts, parse_location, parse_payments, parse_risk_fund,
        parse_time_range, sub_mchid,
    },
    order::{Order, State, order_not_exist, state_conflict},
    routes::{Action, Ctx, Flavor},
    time::fmt_compact,
    validate::{Obj, check_len, check_out_order_no, missing, param_error, parse_body},
};

impl PayScore {
    pub(super) fn create(&mut self, ctx: &Ctx, body: &[u8]) -> Result<Reply, Reply> {
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
        let time_range = parse_time_range(&time_range_obj, true, ctx.flavor)?;
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

    pub(super) fn query(&mut self, ctx: &Ctx) -> Result<Reply, Reply> {
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

    pub(super) fn act(
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
