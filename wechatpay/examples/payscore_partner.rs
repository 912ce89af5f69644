//! Pay-Score for service providers (服务商): an order of a sub-merchant
//! (`sub_mchid`) created, queried, completed, modified and synced, against
//! the sandbox:
//!
//! ```text
//! cargo run --example payscore_partner
//! ```
//!
//! The partner paths are the direct ones under `v3/payscore/partner/`. Each
//! call names the sub-merchant; modify, complete and sync answer
//! `204 No Content`, which the PHP pages check with
//! `print_r($response->getStatusCode() === 204)`.

mod common;

use serde_json::json;
use wechatpay::{Response, chain};

use common::{OUT_ORDER_NO, SERVICE_ID, SUB_MCHID};

fn status_is_204(what: &str, r: &Response) {
    // print_r($response->getStatusCode() === 204);
    println!(
        "{what:<28} {} (=== 204: {})",
        r.status().as_u16(),
        r.status() == 204
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (sandbox, client) = common::sandbox().await?;

    // The direct order, for the sub-merchant: `sub_mchid` beside `appid`,
    // and an estimated cost (no cap on the final amount) as its risk fund.
    let mut order = common::create_body(OUT_ORDER_NO);
    order["sub_mchid"] = SUB_MCHID.into();
    order["sub_appid"] = common::SUB_APPID.into();
    order["risk_fund"] =
        json!({"name": "ESTIMATE_ORDER_COST", "amount": 60000, "description": "就餐的预估费用"});
    let created = client["v3/payscore/partner/serviceorder"]
        .post_async(json!({"json": order}))
        .await?;
    common::show("create (partner)", &created);

    let queried = client
        .chain("v3/payscore/partner/serviceorder")
        .get_async(json!({"query": {
            "out_order_no": OUT_ORDER_NO, "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID,
        }}))
        .await?;
    common::show("query (partner)", &queried);

    sandbox.user_confirm(OUT_ORDER_NO)?;
    let completed = chain!(client.v3.payscore.partner.serviceorder._out_order_no_.complete)
        .post_async(json!({
            "out_order_no": OUT_ORDER_NO,
            "json": {
                "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID,
                "post_payments": [{"name": "就餐费用", "amount": 60000, "description": "就餐人均100元", "count": 4}],
                "total_amount": 60000,
            },
        }))
        .await?;
    status_is_204("(user confirms) complete", &completed);

    // The modify page, but for its total: the page says 50000, which is
    // not its payments less its discounts, and WeChat Pay refuses that.
    let modified = chain!(
        client
            .v3
            .payscore
            .partner
            .serviceorder
            ._out_order_no_
            .modify
    )
    .post_async(json!({
        "out_order_no": "1234323JKHDFE1243252",
        "json": {
            "service_id": "2002000000000558128851361561536",
            "sub_mchid": "1900000109",
            "post_payments": [{
                "name": "就餐费用",
                "description": "就餐人均100元",
                "amount": 40000,
                "count": 4,
            }],
            "post_discounts": [{
                "name": "满20减1元",
                "description": "不与其他优惠叠加",
                "amount": 100,
                "count": 2,
            }],
            "total_amount": 39900,
            "reason": "用户投诉",
        },
    }))
    .await?;
    status_is_204("modify (partner)", &modified);

    // The sync page, word for word.
    let synced = chain!(client.v3.payscore.partner.serviceorder._out_order_no_.sync)
        .post_async(json!({
            "out_order_no": "1234323JKHDFE1243252",
            "json": {
                "service_id": "2002000000000558128851361561536",
                "sub_mchid": "1900000109",
                "type": "Order_Paid",
                "detail": {"seq": 1, "paid_time": "20091225091210", "paid_amount": 1},
            },
        }))
        .await?;
    status_is_204("sync (partner)", &synced);

    let after = client["v3/payscore/partner/serviceorder"]
        .get_async(json!({"query": {
            "out_order_no": OUT_ORDER_NO, "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID,
        }}))
        .await?;
    common::show("query (partner)", &after);

    // Without `sub_mchid` a partner call is refused before any order is touched.
    let e = client["v3/payscore/partner/serviceorder"]
        .get_async(json!({"query": {"out_order_no": OUT_ORDER_NO, "service_id": SERVICE_ID}}))
        .await;
    common::refused("query without sub_mchid", e)?;
    Ok(())
}
