//! A Pay-Score callback receiver in axum, fed by the sandbox's real
//! callbacks (no account needed):
//!
//! ```text
//! cargo run --example payscore_notify
//! ```
//!
//! The `notify_url` handler does what WeChat Pay's callback pages ask:
//! verify the signature (`Wechatpay-Signature` over timestamp, nonce and
//! body, with the key `Wechatpay-Serial` names), decrypt `resource` with the
//! APIv3 key, then answer 2xx once the notification is safely processed, or
//! 4xx/5xx with `{"code": "FAIL", "message": …}` so that WeChat Pay delivers
//! it again. The same notification can come more than once: it is
//! processed once, by its `id`.
//!
//! The run: the user confirms (`PAYSCORE.USER_CONFIRM`) while the receiver's
//! store is down, so the first delivery is refused and the second accepted;
//! the user pays (`PAYSCORE.USER_PAID`); then a forged callback and a
//! replayed one, sent as anyone on the internet could, are both refused.

mod common;

use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
    routing::post,
};
use bytes::Bytes;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    sync::mpsc,
};
use wechatpay::{
    models::payscore::ServiceOrderNotification,
    notify::{Notification, NotifyVerifier},
};

/// What the handler shares: the verifier, the ids already processed, and
/// where processed notifications go (the rest of the merchant's system).
struct Receiver {
    verifier: NotifyVerifier,
    processed: Mutex<HashSet<String>>,
    /// Set to have the next notification fail to be stored.
    store_down: AtomicBool,
    inbox: mpsc::UnboundedSender<Notification<ServiceOrderNotification>>,
    /// The last genuine delivery, kept to show that a replay is refused.
    last_delivery: Mutex<Option<(HeaderMap, Bytes)>>,
}

fn fail(status: StatusCode, message: &str) -> Response {
    // What WeChat Pay wants with a 4xx/5xx: it will deliver again.
    let body = json!({"code": "FAIL", "message": message}).to_string();
    (status, [(CONTENT_TYPE, "application/json")], body).into_response()
}

/// `POST /payscore/notify`: verify, decrypt, process once, acknowledge.
async fn notify(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> Response {
    let n = match r
        .verifier
        .handle_as::<ServiceOrderNotification>(&headers, &body)
    {
        Ok(n) => n,
        Err(e) => {
            // Forged, replayed, stale, or not for this merchant: never processed.
            println!("  receiver: refused ({e})");
            return fail(StatusCode::UNAUTHORIZED, "signature verification failed");
        }
    };
    if r.store_down.swap(false, Ordering::SeqCst) {
        println!(
            "  receiver: {} {} could not be stored: answering 500",
            n.event_type, n.id
        );
        return fail(StatusCode::INTERNAL_SERVER_ERROR, "try again later");
    }
    *r.last_delivery.lock().unwrap() = Some((headers, body));
    let first_time = r.processed.lock().unwrap().insert(n.id.clone());
    if first_time {
        let _ = r.inbox.send(n);
    }
    // 200 or 204, no body needed (PHP's pages answer {"code":"SUCCESS"}, also fine).
    StatusCode::NO_CONTENT.into_response()
}

async fn next(
    rx: &mut mpsc::UnboundedReceiver<Notification<ServiceOrderNotification>>,
) -> Result<Notification<ServiceOrderNotification>, Box<dyn std::error::Error>> {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await?
        .ok_or_else(|| "the receiver stopped".into())
}

/// POSTs `body` to the receiver by hand, as anyone could; the status line back.
async fn post_raw(
    addr: std::net::SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
) -> std::io::Result<String> {
    let mut request = format!(
        "POST /payscore/notify HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        if name.as_str().starts_with("wechatpay-") {
            request.push_str(&format!(
                "{name}: {}\r\n",
                value.to_str().unwrap_or_default()
            ));
        }
    }
    request.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(request.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    Ok(answer.lines().next().unwrap_or_default().to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (sandbox, client) = common::sandbox().await?;

    // The receiver trusts the client's WeChat Pay keys and holds the APIv3 key.
    let (inbox, mut rx) = mpsc::unbounded_channel();
    let receiver = Arc::new(Receiver {
        verifier: NotifyVerifier::new(client.certs().clone(), &sandbox.keys().apiv3_key)?,
        processed: Mutex::default(),
        store_down: AtomicBool::new(true),
        inbox,
        last_delivery: Mutex::default(),
    });
    let app = Router::new()
        .route("/payscore/notify", post(notify))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    let notify_url = format!("http://{addr}/payscore/notify");
    println!("receiver at {notify_url}");

    let mut order = common::create_body(common::OUT_ORDER_NO);
    order["notify_url"] = notify_url.into();
    client["v3/payscore/serviceorder"]
        .post_async(json!({"json": order}))
        .await?;

    // The user confirms in WeChat; the sandbox delivers PAYSCORE.USER_CONFIRM.
    common::confirm_and_complete(&sandbox, &client, common::OUT_ORDER_NO).await?;
    let confirmed = next(&mut rx).await?;
    println!(
        "processed:  {} {} state={}",
        confirmed.event_type, confirmed.id, confirmed.resource.state
    );

    // The user pays the completed order: PAYSCORE.USER_PAID.
    sandbox.user_pay(common::OUT_ORDER_NO)?;
    let paid = next(&mut rx).await?;
    let collection = paid.resource.collection.as_ref();
    println!(
        "processed:  {} {} collection={} paid={:?}",
        paid.event_type,
        paid.id,
        collection.map_or("-", |c| c.state.as_str()),
        collection.and_then(|c| c.paid_amount)
    );
    // The sandbox records each acknowledgement once our answer reaches it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while sandbox.callbacks().iter().any(|c| !c.finished) {
        if tokio::time::Instant::now() > deadline {
            return Err("the sandbox is still delivering".into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for c in sandbox.callbacks() {
        println!(
            "delivered:  {} after {} attempt(s), acknowledged {}",
            c.event_type, c.attempts, c.acknowledged
        );
    }

    // Someone POSTs a callback of their own: the signature does not verify.
    let (headers, body) = receiver
        .last_delivery
        .lock()
        .unwrap()
        .clone()
        .ok_or("no delivery was kept")?;
    let forged =
        String::from_utf8_lossy(&body).replace("PAYSCORE.USER_PAID", "PAYSCORE.USER_CONFIRM");
    println!(
        "forged:     {}",
        post_raw(addr, &headers, forged.as_bytes()).await?
    );
    // Someone replays a genuine delivery: its nonce was seen.
    println!("replayed:   {}", post_raw(addr, &headers, &body).await?);
    if rx.try_recv().is_ok() {
        return Err("a forged or replayed callback was processed".into());
    }
    Ok(())
}
