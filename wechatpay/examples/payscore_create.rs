//! Pay-Score: create a service order (创建支付分订单) as the PHP page does,
//! against the sandbox:
//!
//! ```text
//! cargo run --example payscore_create
//! ```
//!
//! PHP: `$instance->v3->payscore->serviceorder->postAsync([...])->then(…)->wait()`.
//! The order starts CREATED; its `package` goes to the mini-program that
//! asks the user to confirm. Repeating the call with the same order number
//! and parameters gives the same order back; other parameters are refused.

mod common;

use serde_json::{Value, json};
use wechatpay::{ResponseExt, chain, models::payscore::ServiceOrder};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (_sandbox, client) = common::sandbox().await?;

    // The page's order, as PHP writes it (see common/mod.rs).
    let order = common::create_body("1234323JKHDFE1243252");
    println!("{}", serde_json::to_string_pretty(&order)?);

    // ->postAsync(['json' => $order])->then(fn ($r) => print_r(json_decode((string) $r->getBody(), true)))->wait()
    let response = chain!(client.v3.payscore.serviceorder)
        .post_async(json!({"json": order}))
        .await?;
    common::show("create", &response);
    // json_decode(…, true), or a typed model of the same answer.
    let order: Value = response.json()?;
    let typed: ServiceOrder = response.json()?;
    println!(
        "  package for the mini-program: {}",
        order["package"].as_str().unwrap_or("-")
    );
    println!(
        "  as ServiceOrder: state={} out_order_no={}",
        typed.state, typed.out_order_no
    );

    // The same call again is answered with the same order, as WeChat Pay does.
    let again = client["v3/payscore/serviceorder"]
        .post_async(json!({"json": common::create_body(common::OUT_ORDER_NO)}))
        .await?;
    common::show("create again, same body", &again);

    // The same order number with other parameters is refused, and says why.
    let mut other = common::create_body(common::OUT_ORDER_NO);
    other["service_introduction"] = "另一家酒店".into();
    let again = client["v3/payscore/serviceorder"]
        .post_async(json!({"json": other}))
        .await;
    common::refused("create again, other body", again)?;
    Ok(())
}
