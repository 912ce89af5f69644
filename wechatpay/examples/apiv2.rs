//! APIv2 (XML) on the same client: a micropay, then its orderquery, blocking
//! and async, against the embedded sandbox; then what a refused payment
//! looks like; then a refund with `security: true`, which presents the
//! merchant's client certificate (`apiclient_cert.p12`) over mutual TLS.
//!
//! ```text
//! cargo run --example apiv2
//! ```
//!
//! A `return_code` or `result_code` of `FAIL` is an error, as a 4xx is in
//! APIv3: `e.api_error()` holds the `err_code` (or the `return_msg`), and
//! `e.response()` the whole XML answer.

use std::process::ExitCode;

use serde_json::{Map, Value, json};
use wechatpay::{Builder, Client, Error, chain, v2};
use wechatpay_sandbox::{Sandbox, SandboxTls, Stub};

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

/// The test PKI shipped with the crate's tests: a CA, a server certificate
/// for localhost, and a client certificate for merchant 1900000001.
fn tls_file(name: &str) -> Result<Vec<u8>, std::io::Error> {
    std::fs::read(format!(
        "{}/tests/keys/tls/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

/// A refund, which WeChat Pay takes only with the merchant's client
/// certificate: `security: true`, and the certificate on the builder.
fn secured() -> Result<(), Box<dyn std::error::Error>> {
    let text = |name: &str| -> Result<String, std::io::Error> {
        Ok(String::from_utf8_lossy(&tls_file(name)?).into_owned())
    };
    let sandbox = Sandbox::builder()
        .tls(SandboxTls {
            cert_pem: text("server.pem")?,
            key_pem: text("server.key")?,
            client_ca_pem: Some(text("ca.pem")?),
        })
        .start_blocking()?;
    sandbox.stub(Stub::new("POST", "/secapi/pay/refund").xml(&[
        ("return_code", "SUCCESS"),
        ("result_code", "SUCCESS"),
        ("refund_id", "50000000382019052709732678859"),
    ]));
    let keys = sandbox.keys();
    // An APIv2-only merchant: the ID, the secret and apiclient_cert.p12
    // (whose password is the merchant ID); the CA only because the
    // sandbox's server certificate is a test one.
    let client = Builder::new()
        .mchid(&keys.mchid)
        .secret(&keys.apiv2_secret)
        .client_cert_p12(tls_file("client.p12")?)
        .root_certificate(text("ca.pem")?)
        .base_uri(sandbox.base_uri())
        .build()?;
    let refund = |security: bool| {
        json!({"security": security, "xml": {
            "appid": APPID, "mch_id": keys.mchid, "out_trade_no": "APIV2DEMO0001",
            "out_refund_no": "APIV2DEMO0001R1", "total_fee": 888, "refund_fee": 888,
        }})
    };
    let r = client["v2/secapi/pay/refund"].post(refund(true))?;
    let reply = v2::parse(r.body())?;
    println!(
        "{:<22} result_code={} refund_id={}",
        "refund (mTLS)",
        reply["result_code"].as_str().unwrap_or("-"),
        reply["refund_id"].as_str().unwrap_or("-")
    );
    // Without `security` no certificate is shown, and WeChat Pay's server
    // ends the handshake: nothing was sent.
    let e = client["v2/secapi/pay/refund"]
        .post(refund(false))
        .expect_err("the handshake is refused");
    println!(
        "{:<22} connect error {}, nothing sent {}",
        "refund (no cert)",
        e.is_connect(),
        e.is_before_send()
    );
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
        secured()
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
