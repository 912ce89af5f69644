//! Delivers notifications as WeChat Pay does: the resource encrypted with the
//! APIv3 key, the whole body signed with the platform key, and delivered
//! again while the receiver does not acknowledge it. Only ever to loopback
//! `notify_url`s, over plain http.
//!
//! WeChat Pay tries 16 times over 24h4m (15s/15s/30s/3m/10m/20m/30m/30m/30m/
//! 60m/3h/3h/3h/6h/6h). The sandbox tries [`ATTEMPTS`] times, 200 ms and then
//! 400 ms apart, so that a test sees re-delivery within a second. An attempt
//! counts as acknowledged when the receiver answers 2xx within
//! [`ATTEMPT_TIMEOUT`]; any other status, a closed connection or silence is a
//! failure. Each attempt is signed afresh (new timestamp and nonce) over the
//! same body, so a receiver with replay protection accepts a re-delivery.

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use serde_json::{Value, json};

use crate::{payscore, signing::AnswerSigner, transactions};
use wechatpay::{crypto::aes_gcm, formatter};

/// Deliveries of one notification at most.
///
/// ```
/// assert_eq!(wechatpay_sandbox::CALLBACK_ATTEMPTS, 3);
/// ```
pub const ATTEMPTS: usize = 3;
/// How long one attempt waits for the receiver's answer.
///
/// ```
/// assert_eq!(wechatpay_sandbox::CALLBACK_TIMEOUT.as_secs(), 5);
/// ```
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// How many notifications [`Sandbox::callbacks`](crate::Sandbox::callbacks) remembers.
const KEPT: usize = 4096;

/// A notification to send.
pub(crate) struct Callback {
    pub(crate) notify_url: String,
    pub(crate) event_type: &'static str,
    pub(crate) summary: &'static str,
    /// `original_type` of the resource, and its associated data.
    pub(crate) original_type: &'static str,
    pub(crate) resource: Value,
}

impl From<payscore::Event> for Callback {
    fn from(event: payscore::Event) -> Self {
        let (event_type, summary) = (event.event_type(), event.summary());
        let (payscore::Event::UserConfirmed {
            notify_url,
            resource,
            ..
        }
        | payscore::Event::UserPaid {
            notify_url,
            resource,
            ..
        }) = event;
        Self {
            notify_url,
            event_type,
            summary,
            original_type: "payscore",
            resource,
        }
    }
}

impl From<transactions::Event> for Callback {
    fn from(event: transactions::Event) -> Self {
        let (event_type, summary, original_type) =
            (event.event_type(), event.summary(), event.original_type());
        let (transactions::Event::Paid {
            notify_url,
            resource,
            ..
        }
        | transactions::Event::Refunded {
            notify_url,
            resource,
            ..
        }) = event;
        Self {
            notify_url,
            event_type,
            summary,
            original_type,
            resource,
        }
    }
}

/// One notification the sandbox sent (or is sending), for tests to count
/// deliveries and re-deliveries.
///
/// ```
/// let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
/// assert!(sandbox.callbacks().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentCallback {
    /// The notification's `id` (the same in every attempt).
    pub id: String,
    /// E.g. `TRANSACTION.SUCCESS`.
    pub event_type: String,
    /// Where it went.
    pub notify_url: String,
    /// Attempts made so far.
    pub attempts: usize,
    /// Whether an attempt was answered 2xx.
    pub acknowledged: bool,
    /// Whether the sandbox is done with it: acknowledged, or out of attempts.
    pub finished: bool,
}

/// Sends the notifications events cause, on the sandbox's runtime.
pub(crate) struct Notifier {
    pub(crate) apiv3_key: String,
    pub(crate) signer: Arc<AnswerSigner>,
    pub(crate) delivered: Arc<AtomicUsize>,
    pub(crate) sent: Arc<Mutex<VecDeque<SentCallback>>>,
    pub(crate) runtime: tokio::runtime::Handle,
}

impl Notifier {
    /// Posts each callback in the background, again until acknowledged.
    pub(crate) fn deliver<C: Into<Callback>>(&self, events: impl IntoIterator<Item = C>) {
        for event in events {
            let Some(delivery) = prepare(self, event.into()) else {
                continue;
            };
            record(&self.sent, |log| {
                if log.len() == KEPT {
                    log.pop_front();
                }
                log.push_back(SentCallback {
                    id: delivery.id.clone(),
                    event_type: delivery.event_type.to_string(),
                    notify_url: delivery.url.to_string(),
                    attempts: 0,
                    acknowledged: false,
                    finished: false,
                });
            });
            let (delivered, sent, signer) = (
                self.delivered.clone(),
                self.sent.clone(),
                self.signer.clone(),
            );
            self.runtime.spawn(async move {
                let acknowledged = send(&delivery, &signer, &sent).await;
                if acknowledged {
                    delivered.fetch_add(1, Ordering::SeqCst);
                }
                update(&sent, &delivery.id, |c| {
                    c.acknowledged = acknowledged;
                    c.finished = true;
                });
            });
        }
    }

    pub(crate) fn delivered(&self) -> usize {
        self.delivered.load(Ordering::SeqCst)
    }

    pub(crate) fn sent(&self) -> Vec<SentCallback> {
        let mut out = Vec::new();
        record(&self.sent, |log| out = log.iter().cloned().collect());
        out
    }
}

fn record(sent: &Mutex<VecDeque<SentCallback>>, f: impl FnOnce(&mut VecDeque<SentCallback>)) {
    match sent.lock() {
        Ok(mut g) => f(&mut g),
        Err(p) => f(&mut p.into_inner()),
    }
}

fn update(sent: &Mutex<VecDeque<SentCallback>>, id: &str, f: impl FnOnce(&mut SentCallback)) {
    record(sent, |log| {
        if let Some(c) = log.iter_mut().find(|c| c.id == id) {
            f(c);
        }
    });
}

struct Delivery {
    id: String,
    event_type: &'static str,
    url: http::Uri,
    body: String,
}

/// Builds the body, or `None` when the URL is not loopback.
fn prepare(notifier: &Notifier, callback: Callback) -> Option<Delivery> {
    let url: http::Uri = callback.notify_url.parse().ok()?;
    let loopback = matches!(url.host(), Some("127.0.0.1" | "localhost" | "[::1]"));
    // Plain http only: a loopback receiver in a test has no certificate.
    if !loopback || url.scheme_str() != Some("http") {
        return None;
    }
    let nonce = formatter::nonce(12);
    let plaintext = serde_json::to_vec(&callback.resource).ok()?;
    let aad = callback.original_type;
    let ciphertext = aes_gcm::encrypt(
        notifier.apiv3_key.as_bytes(),
        nonce.as_bytes(),
        aad.as_bytes(),
        &plaintext,
    )
    .ok()?;
    let id = format!("EV-{}", formatter::nonce(20));
    let body = json!({
        "id": id,
        "create_time": crate::time::fmt_rfc3339(formatter::timestamp()),
        "resource_type": "encrypt-resource",
        "event_type": callback.event_type,
        "summary": callback.summary,
        "resource": {
            "original_type": aad,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": aad,
            "nonce": nonce,
        }
    })
    .to_string();
    Some(Delivery {
        id,
        event_type: callback.event_type,
        url,
        body,
    })
}

/// The headers of one attempt, signed now.
fn signed_headers(signer: &AnswerSigner, body: &str) -> Option<Vec<(&'static str, String)>> {
    let timestamp = formatter::timestamp().to_string();
    let nonce = formatter::nonce(32);
    let signature = signer
        .key
        .sign(formatter::response(&timestamp, &nonce, body))
        .ok()?;
    Some(vec![
        ("Content-Type", "application/json".into()),
        ("Request-ID", format!("sandbox-{}", formatter::nonce(16))),
        ("Wechatpay-Timestamp", timestamp),
        ("Wechatpay-Nonce", nonce),
        ("Wechatpay-Serial", signer.serial.clone()),
        ("Wechatpay-Signature", signature),
        (
            "Wechatpay-Signature-Type",
            "WECHATPAY2-SHA256-RSA2048".into(),
        ),
    ])
}

/// Posts it up to [`ATTEMPTS`] times; true once answered 2xx.
async fn send(
    delivery: &Delivery,
    signer: &AnswerSigner,
    sent: &Mutex<VecDeque<SentCallback>>,
) -> bool {
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * attempt as u64)).await;
        }
        update(sent, &delivery.id, |c| c.attempts += 1);
        let Some(headers) = signed_headers(signer, &delivery.body) else {
            return false;
        };
        let once = tokio::time::timeout(ATTEMPT_TIMEOUT, post(delivery, &headers));
        if let Ok(Ok(status)) = once.await {
            if status.is_success() {
                return true;
            }
        }
    }
    false
}

/// One POST over a fresh loopback connection.
async fn post(
    delivery: &Delivery,
    headers: &[(&'static str, String)],
) -> Result<http::StatusCode, Box<dyn std::error::Error + Send + Sync>> {
    let host = delivery.url.host().ok_or("no host")?;
    let port = delivery.url.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port)).await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let target = delivery
        .url
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut request = http::Request::post(target)
        .header(http::header::HOST, format!("{host}:{port}"))
        .body(http_body_util::Full::new(bytes::Bytes::from(
            delivery.body.clone(),
        )))?;
    for (k, v) in headers {
        request.headers_mut().insert(*k, v.parse()?);
    }
    Ok(sender.send_request(request).await?.status())
}
