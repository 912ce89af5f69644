//! Delivers Pay-Score notifications as WeChat Pay does: the resource
//! encrypted with the APIv3 key, the whole body signed with the platform key.
//! Only ever to loopback `notify_url`s.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use serde_json::json;

use crate::{payscore::Event, signing::AnswerSigner};
use wechatpay::{crypto::aes_gcm, formatter};

/// Sends the notifications events cause, on the sandbox's runtime.
pub(crate) struct Notifier {
    pub(crate) apiv3_key: String,
    pub(crate) signer: Arc<AnswerSigner>,
    pub(crate) delivered: Arc<AtomicUsize>,
    pub(crate) runtime: tokio::runtime::Handle,
}

impl Notifier {
    /// Posts each event's callback in the background; counts the acknowledged.
    pub(crate) fn deliver(&self, events: Vec<Event>) {
        for event in events {
            let Some(delivery) = prepare(self, &event) else {
                continue;
            };
            let delivered = self.delivered.clone();
            self.runtime.spawn(async move {
                if send(delivery).await {
                    delivered.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    }

    pub(crate) fn delivered(&self) -> usize {
        self.delivered.load(Ordering::SeqCst)
    }
}

struct Delivery {
    url: http::Uri,
    body: String,
    headers: Vec<(&'static str, String)>,
}

/// Builds the signed request, or `None` when the URL is not loopback.
fn prepare(notifier: &Notifier, event: &Event) -> Option<Delivery> {
    let (notify_url, resource) = match event {
        Event::UserConfirmed {
            notify_url,
            resource,
            ..
        }
        | Event::UserPaid {
            notify_url,
            resource,
            ..
        } => (notify_url, resource),
    };
    let url: http::Uri = notify_url.parse().ok()?;
    let loopback = matches!(url.host(), Some("127.0.0.1" | "localhost" | "[::1]"));
    // Plain http only: a loopback receiver in a test has no certificate.
    if !loopback || url.scheme_str() != Some("http") {
        return None;
    }
    let nonce = formatter::nonce(12);
    let plaintext = serde_json::to_vec(resource).ok()?;
    let ciphertext = aes_gcm::encrypt(
        notifier.apiv3_key.as_bytes(),
        nonce.as_bytes(),
        b"payscore",
        &plaintext,
    )
    .ok()?;
    let body = json!({
        "id": format!("EV-{}", formatter::nonce(20)),
        "create_time": crate::time::fmt_rfc3339(formatter::timestamp()),
        "resource_type": "encrypt-resource",
        "event_type": event.event_type(),
        "summary": event.summary(),
        "resource": {
            "original_type": "payscore",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": "payscore",
            "nonce": nonce,
        }
    })
    .to_string();
    let timestamp = formatter::timestamp().to_string();
    let header_nonce = formatter::nonce(32);
    let signature = notifier
        .signer
        .key
        .sign(formatter::response(&timestamp, &header_nonce, &body))
        .ok()?;
    let serial = notifier.signer.serial.clone();
    Some(Delivery {
        url,
        body,
        headers: vec![
            ("Content-Type", "application/json".into()),
            ("Wechatpay-Timestamp", timestamp),
            ("Wechatpay-Nonce", header_nonce),
            ("Wechatpay-Serial", serial),
            ("Wechatpay-Signature", signature),
            (
                "Wechatpay-Signature-Type",
                "WECHATPAY2-SHA256-RSA2048".into(),
            ),
        ],
    })
}

/// Posts it, retrying twice as WeChat Pay retries; true once answered 2xx.
async fn send(delivery: Delivery) -> bool {
    for attempt in 0..3 {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
        }
        let once = tokio::time::timeout(std::time::Duration::from_secs(5), post(&delivery));
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
    for (k, v) in &delivery.headers {
        request.headers_mut().insert(*k, v.parse()?);
    }
    Ok(sender.send_request(request).await?.status())
}
