//! APIv2 (XML) on the same client: a micropay, then its orderquery, blocking
//! and async, against the embedded sandbox; then what a refused payment
//! looks like.
//!
//! ```text
//! cargo run --example apiv2
//! ```

use std::process::ExitCode;

use serde_json::{Map, Value, json};
use wechatpay::{Client, Error, chain, v2};
use wechatpay_sandbox::Sandbox;

const APPID: &str = "wx8888888888888888";

fn micropay(mchid: &str, out_trade_no: &str, auth_code: &str) -> Value {
    json!({"xml": {
        "appid": APPID, "mch_id": mchid, "body": "image形象店-深圳腾大- QQ公仔",
        "out_trade_no": out_trade_no, "total_fee": 888, "spbill_create_ip": "8.8.8.8",
        "auth_code": auth_code,
    }})
}

fn orderquery(mchid: &str, out_trade_no: &str) -> Value {
    // HMAC-SHA256 this time; the reply is signed the same way.
    json!({"xml": {"appid": APPID, "mch_id": mchid, "out_trade_no": out_trade_no, "sign_type": "HMAC-SHA256"}})
}

fn show(what: &str, reply: &Map<String, Value>) {
    let get = |k: &str| reply.get(k).and_then(Value::as_str).unwrap_or("-");
    println!(
        "{what:<22} result_code={} transaction_id={} trade_state={} total_fee={}",
        get("result_code"),
        get("transaction_id"),
        get("trade_state"),
        get("total_fee")
    );
}

fn blocking(client: &Client, mchid: &str) -> Result<(), Error> {
    let paid =
        client["v2/pay/micropay"].post(micropay(mchid, "APIV2DEMO0001", "134567890123456789"))?;
    show("micropay (blocking)", &v2::parse(paid.body())?);
    let query = chain!(client.v2.pay.orderquery).post(orderquery(mchid, "APIV2DEMO0001"))?;
    show("orderquery (blocking)", &v2::parse(query.body())?);
    Ok(())
}

async fn nonblocking(client: &Client, mchid: &str) -> Result<(), Error> {
    let paid = client
        .chain("v2/pay/micropay")
        .post_async(micropay(mchid, "APIV2DEMO0002", "134567890123456788"))
        .await?;
    show("micropay (async)", &v2::parse(paid.body())?);
    let query = client["v2/pay/orderquery"]
        .post_async(orderquery(mchid, "APIV2DEMO0002"))
        .await?;
    show("orderquery (async)", &v2::parse(query.body())?);
    Ok(())
}

fn main() -> ExitCode {
    let run = || -> Result<(), Box<dyn std::error::Error>> {
        let sandbox = Sandbox::start_blocking()?;
        // The sandbox's builder carries the APIv2 secret (`Builder::secret`).
        let client = sandbox.client()?;
        let mchid = sandbox.keys().mchid.clone();
        println!("sandbox at {}", sandbox.base_uri());
        blocking(&client, &mchid)?;
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(nonblocking(&client, &mchid))?;

        // The same payment code twice: WeChat Pay's error, typed.
        match client["v2/pay/micropay"].post(micropay(
            &mchid,
            "APIV2DEMO0003",
            "134567890123456789",
        )) {
            Err(e) if e.is_api() => {
                let api = e.api_error().expect("an API error");
                println!(
                    "{:<22} refused: {} ({})",
                    "micropay (reused code)",
                    api.code().unwrap_or_default(),
                    api.message().unwrap_or_default()
                )
            }
            other => println!("unexpected: {other:?}"),
        }
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
