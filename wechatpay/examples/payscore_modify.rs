//! Pay-Score: modify the amount of a completed order (修改订单金额), against
//! the sandbox:
//!
//! ```text
//! cargo run --example payscore_modify
//! ```
//!
//! PHP: `$instance->v3->payscore->serviceorder->_out_order_no_->modify->postAsync([...])`.
//! Only an order whose collection is USER_PAYING (completed, not yet paid)
//! can be modified; before that WeChat Pay answers `INVALID_REQUEST`. The
//! partner form (with `sub_mchid`) is in `payscore_partner.rs`.

mod common;

use serde_json::json;
use wechatpay::chain;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (sandbox, client) = common::sandbox().await?;
    let modify = json!({
        "out_order_no": "1234323JKHDFE1243252",
        "json": {
            "appid": "wxd678efh567hg6787",
            "service_id": "2002000000000558128851361561536",
            "post_payments": [{"name": "就餐费用", "description": "就餐人均100元", "amount": 8000, "count": 1}],
            "post_discounts": [{"name": "满20减1元", "description": "不与其他优惠叠加", "amount": 100, "count": 1}],
            "total_amount": 7900,
            "reason": "用户投诉",
        },
    });

    // Too early: the order is only CREATED.
    common::create(&client, common::OUT_ORDER_NO).await?;
    let early = chain!(client.v3.payscore.serviceorder._out_order_no_.modify)
        .post_async(modify.clone())
        .await;
    let early = common::refused("modify a CREATED order", early)?;
    // Nothing was changed, and the request did reach WeChat Pay.
    println!("  reached WeChat Pay: {}", !early.is_before_send());

    // ->_out_order_no_->modify->postAsync([...])->then(…)->wait()
    common::confirm_and_complete(&sandbox, &client, common::OUT_ORDER_NO).await?;
    let modified = chain!(client.v3.payscore.serviceorder._out_order_no_.modify)
        .post_async(modify)
        .await?;
    common::show("modify", &modified);
    Ok(())
}
