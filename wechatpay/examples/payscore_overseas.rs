//! Pay-Score overseas (跨境/全球, institution mode): an order in HKD
//! created, queried, completed and synced on the Hong Kong host, against
//! the sandbox:
//!
//! ```text
//! cargo run --example payscore_overseas
//! ```
//!
//! The paths are `v3/payscore/oversea/partner/serviceorder…`, and the PHP
//! pages send each call to `https://apihk.mch.weixin.qq.com/` with the
//! per-call `'base_uri'` option, as this does (`base_uri` is the same option
//! here; WeChat Pay's own hosts are always allowed). Times are RFC 3339,
//! amounts carry a `currency`, and there is no modify. Set the client's
//! host once instead with `Builder::base_uri`.

mod common;

use serde_json::{Value, json};
use wechatpay::{Response, chain};

use common::{OUT_ORDER_NO, SERVICE_ID, SUB_MCHID};

fn status(what: &str, r: &Response) {
    println!("{what:<28} {}", r.status().as_u16());
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (sandbox, client) = common::sandbox().await?;
    // In production: "https://apihk.mch.weixin.qq.com/" (接入点(香港接入)).
    let hk = Value::from(sandbox.base_uri());

    let created = chain!(client.v3.payscore.oversea.partner.serviceorder)
        .post_async(json!({
            "base_uri": hk,
            "json": {
                "service_id": "2002000000000558128851361561536",
                "appid": "wxd678efh567hg6787",
                "sub_mchid": "1900000109",
                "sub_appid": "wxd678efh567hg6999",
                "out_order_no": "1234323JKHDFE1243252",
                "currency": "HKD",
                "service_introduction": "XX充电宝",
                "post_payments": [{"name": "就餐费用", "amount": 40000, "description": "就餐人均100元", "count": 4}],
                "post_discounts": [{"name": "满20减1元", "description": "不与其他优惠叠加", "amount": 100, "count": 2}],
                "risk_fund": {"name": "DEPOSIT", "amount": 10000, "description": "就餐的预估费用"},
                "time_range": {
                    "start_time": "2019-11-11T16:24:05+08:00", "end_time": "2019-11-11T16:24:05+08:00",
                    "start_time_remark": "备注1", "end_time_remark": "备注2",
                },
                "location": {"start_location": "嗨客时尚主题展餐厅", "end_location": "嗨客时尚主题展餐厅"},
                "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
                "sub_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
                "need_user_confirm": true,
                "notify_url": "https://api.test.com",
                "attach": "Easdfowealsdkjfnlaksjdlfkwqoi&wl3l2sald",
            },
        }))
        .await?;
    common::show("create (overseas)", &created);

    let query = json!({"base_uri": hk, "query": {
        "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID, "out_order_no": OUT_ORDER_NO,
    }});
    let queried = client
        .chain("v3/payscore/oversea/partner/serviceorder")
        .get_async(query.clone())
        .await?;
    common::show("query (overseas)", &queried);

    sandbox.user_confirm(OUT_ORDER_NO)?;
    let completed = chain!(client.v3.payscore.oversea.partner.serviceorder._out_order_no_.complete)
        .post_async(json!({
            "base_uri": hk,
            "out_order_no": OUT_ORDER_NO,
            "json": {
                "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID,
                "post_payments": [{"name": "就餐费用", "description": "就餐人均100元", "amount": 10000, "count": 1}],
                "post_discounts": [{"name": "满20减1元", "description": "不与其他优惠叠加", "amount": 100, "count": 1}],
                "total_amount": 9900,
                "currency": "HKD",
                "time_range": {"end_time": "2019-11-11T18:24:05+08:00"},
            },
        }))
        .await?;
    status("(user confirms) complete", &completed);

    // The overseas sync page: paid_time in RFC 3339.
    let synced = chain!(
        client
            .v3
            .payscore
            .oversea
            .partner
            .serviceorder
            ._out_order_no_
            .sync
    )
    .post_async(json!({
        "base_uri": hk,
        "out_order_no": "1234323JKHDFE1243252",
        "json": {
            "service_id": "2002000000000558128851361561536",
            "sub_mchid": "1900000109",
            "type": "Order_Paid",
            "detail": {"seq": 1, "paid_time": "2019-11-11T16:24:05+08:00", "paid_amount": 1},
        },
    }))
    .await?;
    status("sync (overseas)", &synced);

    let after = client["v3/payscore/oversea/partner/serviceorder"]
        .get_async(query)
        .await?;
    common::show("query (overseas)", &after);

    // A host that is neither WeChat Pay's nor allowed is refused before
    // anything is sent: no option can carry the Authorization elsewhere.
    let e = client["v3/payscore/oversea/partner/serviceorder"]
        .get_async(json!({"base_uri": "https://wechatpay.example/", "query": {"out_order_no": OUT_ORDER_NO}}))
        .await
        .expect_err("an unknown host is refused");
    println!(
        "{:<28} refused, nothing sent ({}): {e}",
        "base_uri elsewhere",
        e.is_before_send()
    );
    Ok(())
}
