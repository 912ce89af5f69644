//! Pay-Score: query a service order (查询支付分订单) by its number, then by
//! the `query_id` the confirmation mini-program hands back, against the
//! sandbox:
//!
//! ```text
//! cargo run --example payscore_query
//! ```
//!
//! PHP: `$instance->v3->payscore->serviceorder->getAsync(['query' => [...]])`.
//! The page sends `query_id => ''` beside `out_order_no`: the empty value
//! goes out as `query_id=`, as PHP sends it, and counts as not given. An
//! order that does not exist is a 404 `ORDER_NOT_EXIST`, a typed error.

mod common;

use serde_json::{Value, json};
use wechatpay::{ResponseExt, chain};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (sandbox, client) = common::sandbox().await?;
    common::create(&client, common::OUT_ORDER_NO).await?;

    // ->getAsync(['query' => [...]])->then(fn ($r) => print_r(json_decode((string) $r->getBody(), true)))->wait()
    let by_number = chain!(client.v3.payscore.serviceorder)
        .get_async(json!({"query": {
            "out_order_no": "1234323JKHDFE1243252",
            "query_id": "",
            "service_id": "2002000000000558128851361561536",
            "appid": "wxd678efh567hg6787",
        }}))
        .await?;
    common::show("query by out_order_no", &by_number);

    // The user confirms; the mini-program's answer carries the query_id.
    sandbox.user_confirm(common::OUT_ORDER_NO)?;
    let query_id = sandbox
        .query_id(common::OUT_ORDER_NO)
        .ok_or("the sandbox has no query_id for the order")?;
    let by_query_id = client
        .chain("v3/payscore/serviceorder")
        .get_async(json!({"query": {
            "query_id": query_id,
            "service_id": common::SERVICE_ID,
            "appid": common::APPID,
        }}))
        .await?;
    common::show("query by query_id", &by_query_id);
    let order: Value = by_query_id.json()?;
    println!("  the same order: {}", order["out_order_no"]);

    // Blocking, as PHP's ->get([...]) without Async.
    let blocking = client["v3/payscore/serviceorder"].get(json!({"query": {
        "out_order_no": common::OUT_ORDER_NO, "service_id": common::SERVICE_ID, "appid": common::APPID,
    }}))?;
    common::show("query, blocking", &blocking);

    let unknown = client["v3/payscore/serviceorder"]
        .get_async(json!({"query": {
            "out_order_no": "NOSUCHORDER0001", "service_id": common::SERVICE_ID, "appid": common::APPID,
        }}))
        .await;
    let e = common::refused("query an unknown order", unknown)?;
    let verified = e.api_error().is_some_and(|a| a.is_verified());
    println!("  signed by WeChat Pay, so its code can be trusted: {verified}");
    Ok(())
}
