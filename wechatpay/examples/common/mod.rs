//! What the Pay-Score examples share: the sandbox they run against, the
//! values of the PHP pages' snippets, and the steps that come before the
//! one an example is about (an order must exist before it is queried, be
//! completed before it is modified…).

// Each example uses a part of this.
#![allow(dead_code)]

use serde_json::{Value, json};
use wechatpay::{Client, Error, Response, ResponseExt, chain};
use wechatpay_sandbox::Sandbox;

/// The values the PHP pages use.
pub const APPID: &str = "wxd678efh567hg6787";
pub const SERVICE_ID: &str = "2002000000000558128851361561536";
pub const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
pub const SUB_MCHID: &str = "1900000109";
pub const SUB_APPID: &str = "wxd678efh567hg6999";
pub const OUT_ORDER_NO: &str = "1234323JKHDFE1243252";

/// A fresh sandbox and a client for it: no merchant account needed.
pub async fn sandbox() -> Result<(Sandbox, Client), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    let client = sandbox.client()?;
    println!("sandbox at {} (a local WeChat Pay)", sandbox.base_uri());
    Ok((sandbox, client))
}

/// The create page's order (`v3/payscore/serviceorder`), as PHP writes it.
pub fn create_body(out_order_no: &str) -> Value {
    json!({
        "out_order_no": out_order_no,
        "appid": APPID,
        "service_id": SERVICE_ID,
        "service_introduction": "某某酒店",
        "post_payments": [{"name": "就餐费用", "amount": 40000, "description": "就餐人均100元", "count": 4}],
        "post_discounts": [{"name": "满20减1元", "description": "不与其他优惠叠加", "count": 2}],
        "time_range": {
            "start_time": "20091225091010", "end_time": "20091225121010",
            "start_time_remark": "备注1", "end_time_remark": "备注2",
        },
        "location": {"start_location": "嗨客时尚主题展餐厅", "end_location": "嗨客时尚主题展餐厅"},
        "risk_fund": {"name": "DEPOSIT", "amount": 10000, "description": "就餐的预估费用"},
        "attach": "Easdfowealsdkjfnlaksjdlfkwqoi&wl3l2sald",
        "notify_url": "https://api.test.com",
        "openid": OPENID,
        "need_user_confirm": true,
    })
}

/// Creates the order `out_order_no` (CREATED).
pub async fn create(client: &Client, out_order_no: &str) -> Result<Value, Error> {
    chain!(client.v3.payscore.serviceorder)
        .post_async(json!({"json": create_body(out_order_no)}))
        .await?
        .json()
}

/// Has the user confirm the order in WeChat (the sandbox's stand-in for the
/// app) and completes it at 9900 fen: DONE, the collection USER_PAYING,
/// which modify and sync need.
pub async fn confirm_and_complete(
    sandbox: &Sandbox,
    client: &Client,
    out_order_no: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    sandbox.user_confirm(out_order_no)?;
    let r = chain!(client.v3.payscore.serviceorder._out_order_no_.complete)
        .post_async(json!({
            "out_order_no": out_order_no,
            "json": {
                "appid": APPID, "service_id": SERVICE_ID,
                "post_payments": [{"name": "就餐费用", "amount": 10000, "description": "就餐人均100元", "count": 1}],
                "post_discounts": [{"name": "满20减1元", "description": "不与其他优惠叠加", "amount": 100, "count": 1}],
                "total_amount": 9900,
                "time_range": {"end_time": "20091225121010"},
            },
        }))
        .await?;
    show("(user confirms) complete", &r);
    Ok(())
}

/// One line about an order: its state, collection and amount.
pub fn summary(order: &Value) -> String {
    let text = |p: &str| order.pointer(p).map(|v| v.to_string().replace('"', ""));
    [
        ("state", text("/state")),
        ("collection", text("/collection/state")),
        ("total_amount", text("/total_amount")),
        ("order_id", text("/order_id")),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
    .collect::<Vec<_>>()
    .join(" ")
}

/// Prints WeChat Pay's refusal of a call meant to be refused, and hands
/// the error back; anything else is this example failing.
pub fn refused(
    what: &str,
    result: Result<Response, Error>,
) -> Result<Error, Box<dyn std::error::Error>> {
    match result {
        Err(e) => match e.api_error() {
            Some(api) => {
                println!(
                    "{what:<28} {} {}: {}",
                    api.status().as_u16(),
                    api.code().unwrap_or("-"),
                    api.message().unwrap_or("-")
                );
                Ok(e)
            }
            None => Err(e.into()),
        },
        Ok(r) => Err(format!("{what}: expected a refusal, got {}", r.status()).into()),
    }
}

/// `status` and the order in an answer's body (or that it has none).
pub fn show(what: &str, r: &Response) {
    let shown = match r.json::<Value>() {
        Ok(order) => summary(&order),
        Err(_) => "(no body)".into(),
    };
    println!("{what:<28} {} {shown}", r.status().as_u16());
}
