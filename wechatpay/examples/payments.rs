//! An order's whole life, against the sandbox (no account needed):
//!
//! ```sh
//! cargo run --example payments
//! ```
//!
//! A JSAPI order, the `paySign` the front end needs, the user paying, the
//! notification verified and acknowledged by a small axum receiver, a
//! query, a partial refund and its notification, then the bill of the day
//! downloaded with its digest checked. `docs/payments.md` walks through it.

use std::{sync::Arc, time::Duration};

use axum::{Router, extract::State, http::StatusCode, routing::post};
use bytes::Bytes;
use wechatpay::{
    Options, ResponseExt,
    crypto::PrivateKey,
    models::{
        bills::{BillDownload, TradeBillQuery},
        refunds::{CreateRefund, Refund, RefundNotification, RefundRequestAmount},
        transactions::{
            Amount, CreateTransaction, MerchantQuery, Order, Payer, Prepay, Transaction,
        },
    },
    notify::{Notification, NotifyVerifier},
    paysign::JsapiPayParams,
};
use wechatpay_sandbox::Sandbox;

const APPID: &str = "wxd678efh567hg6787";
const OUT_TRADE_NO: &str = "EXAMPLE20261124001";

/// What the receiver hands the rest of the program: each verified notification.
type Inbox = tokio::sync::mpsc::UnboundedSender<Notification>;

/// The `notify_url` handler: verify, decrypt, then acknowledge with 204 (any
/// 2xx will do; anything else and WeChat Pay delivers again).
async fn notify(
    State((verifier, inbox)): State<(Arc<NotifyVerifier>, Inbox)>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> StatusCode {
    match verifier.handle(&headers, &body) {
        Ok(n) => {
            // Process by `n.id` once: the same notification may come again.
            let _ = inbox.send(n);
            StatusCode::NO_CONTENT
        }
        Err(e) => {
            eprintln!("refused a notification: {e}");
            StatusCode::UNAUTHORIZED
        }
    }
}

async fn next(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Notification>,
) -> Result<Notification, Box<dyn std::error::Error>> {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await?
        .ok_or_else(|| "the receiver stopped".into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    let client = sandbox.client()?;
    let keys = sandbox.keys().clone();

    // The merchant's notification receiver.
    let verifier = Arc::new(NotifyVerifier::new(
        client.certs().clone(),
        &keys.apiv3_key,
    )?);
    let (inbox, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let app = Router::new()
        .route("/notify", post(notify))
        .with_state((verifier, inbox));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let notify_url = format!("http://{}/notify", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("receiver:   {notify_url}");

    // 1. Order (JSAPI): the answer is a prepay_id.
    let order = CreateTransaction {
        appid: APPID.into(),
        mchid: client.mchid().into(),
        order: Order {
            description: "Image形象店-深圳腾大-QQ公仔".into(),
            out_trade_no: OUT_TRADE_NO.into(),
            notify_url: notify_url.clone(),
            amount: Amount {
                total: 100,
                currency: Some("CNY".into()),
            },
            payer: Some(Payer::openid("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")),
            ..Default::default()
        },
    };
    let prepay: Prepay = client["v3/pay/transactions/jsapi"]
        .post_async(Options::new().json(&order))
        .await?
        .json()?;
    println!("prepay_id:  {}", prepay.prepay_id);

    // 2. What the page hands wx.requestPayment, signed with the merchant key.
    let merchant_key = PrivateKey::from_pem(&keys.merchant_private_key_pem)?;
    let pay = JsapiPayParams::new(APPID, &prepay.prepay_id, &merchant_key)?;
    println!("front end:  {}", serde_json::to_string(&pay)?);

    // 3. The user pays (in real life: in WeChat, after wx.requestPayment).
    sandbox.user_pay_transaction(OUT_TRADE_NO)?;
    let paid = next(&mut rx).await?;
    let transaction: Transaction = serde_json::from_value(paid.resource)?;
    println!(
        "notified:   {} {} {}",
        paid.event_type,
        transaction.trade_state,
        transaction.transaction_id.as_deref().unwrap_or("-")
    );

    // 4. Query, as after a missed notification.
    let queried: Transaction = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get_async(
            Options::new()
                .var("out_trade_no", OUT_TRADE_NO)
                .query(&MerchantQuery {
                    mchid: client.mchid().into(),
                }),
        )
        .await?
        .json()?;
    println!(
        "queried:    {} paid {:?} fen",
        queried.trade_state,
        queried.amount.and_then(|a| a.payer_total)
    );

    // 5. A partial refund: 30 of the 100 fen.
    let refund = CreateRefund {
        out_trade_no: Some(OUT_TRADE_NO.into()),
        out_refund_no: format!("{OUT_TRADE_NO}R1"),
        reason: Some("一件缺货".into()),
        notify_url: Some(notify_url.clone()),
        amount: RefundRequestAmount {
            refund: 30,
            total: 100,
            currency: "CNY".into(),
            from: None,
        },
        ..Default::default()
    };
    let asked: Refund = client["v3/refund/domestic/refunds"]
        .post_async(Options::new().json(&refund))
        .await?
        .json()?;
    println!("refund:     {} {} fen", asked.status, asked.amount.refund);
    let refunded = next(&mut rx).await?;
    let r: RefundNotification = serde_json::from_value(refunded.resource)?;
    println!(
        "notified:   {} {} {}",
        refunded.event_type, r.refund_status, r.out_refund_no
    );

    // 6. The bill of the day, gzipped, streamed and checked against its SHA-1.
    let today = &Sandbox::bill_date(wechatpay::formatter::timestamp());
    let query = TradeBillQuery {
        bill_date: today.clone(),
        tar_type: Some("GZIP".into()),
        ..Default::default()
    };
    let bill: BillDownload = client["v3/bill/tradebill"]
        .get_async(Options::new().query(&query))
        .await?
        .json()?;
    let mut csv = Vec::new();
    let done = wechatpay::bills::download(&client, &bill, &mut csv).await?;
    println!(
        "bill {today}: {} bytes received, {} written, sha1 {} matches",
        done.received, done.written, done.sha1
    );
    for line in String::from_utf8(csv)?.lines() {
        println!("  {line}");
    }
    Ok(())
}
