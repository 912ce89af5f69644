//! Pay-Score: sync an order paid offline (同步订单信息), against the sandbox:
//!
//! ```text
//! cargo run --example payscore_sync
//! ```
//!
//! PHP: `$instance->v3->payscore->serviceorder->_out_order_no_->sync->postAsync([...])`.
//! When the user paid outside WeChat Pay, `type: Order_Paid` tells WeChat
//! Pay so, and the collection becomes USER_PAID. While the user is paying
//! at WeChat's cashier the call is refused for 3 minutes (the page's
//! 注意): an `INVALID_REQUEST` to retry later, not a failure to hide. The
//! partner and overseas forms are in `payscore_partner.rs` and
//! `payscore_overseas.rs`.

mod common;

use serde_json::{Value, json};
use wechatpay::{ResponseExt, chain};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (sandbox, client) = common::sandbox().await?;
    common::create(&client, common::OUT_ORDER_NO).await?;
    common::confirm_and_complete(&sandbox, &client, common::OUT_ORDER_NO).await?;

    // ->_out_order_no_->sync->postAsync([...])->then(…)->wait()
    let synced = chain!(client.v3.payscore.serviceorder._out_order_no_.sync)
        .post_async(json!({
            "out_order_no": "1234323JKHDFE1243252",
            "json": {
                "appid": "wxd678efh567hg6787",
                "service_id": "2002000000000558128851361561536",
                "type": "Order_Paid",
                "detail": {"seq": 1, "paid_time": "20091225091210", "paid_amount": 9900},
            },
        }))
        .await?;
    common::show("sync Order_Paid", &synced);
    let order: Value = synced.json()?;
    println!(
        "  collection: paid {} of {}",
        order["collection"]["paid_amount"], order["collection"]["total_amount"]
    );

    // Another order, whose user is at the cashier right now.
    let busy = "1234323JKHDFE1243253";
    common::create(&client, busy).await?;
    common::confirm_and_complete(&sandbox, &client, busy).await?;
    sandbox.user_paying_at_cashier(busy)?;
    let refused = client
        .chain("v3/payscore/serviceorder/{out_order_no}/sync")
        .post_async(json!({
            "out_order_no": busy,
            "json": {
                "appid": common::APPID, "service_id": common::SERVICE_ID, "type": "Order_Paid",
                "detail": {"seq": 1, "paid_time": "20091225091210", "paid_amount": 9900},
            },
        }))
        .await;
    common::refused("sync at the cashier", refused)?;
    println!("  (query the order in 3 minutes: the user may have paid meanwhile)");
    Ok(())
}
