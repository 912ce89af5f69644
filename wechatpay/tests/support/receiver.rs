//! A merchant's notify URL on loopback, for the sandbox's callbacks: it
//! records what arrives and answers as the test asks.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;

/// One callback as it arrived.
pub struct Received {
    /// `METHOD URI`.
    pub target: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// How the receiver answers.
#[derive(Clone, Copy)]
pub enum Answer {
    /// 500 for the first `n` deliveries, then 204.
    FailFirst(usize),
    /// Closes the connection without a word, always.
    Silence,
}

/// A loopback receiver; every request it gets is sent on the channel.
pub async fn receiver(
    answer: Answer,
) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<Received>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let failures = Arc::new(AtomicUsize::new(match answer {
        Answer::FailFirst(n) => n,
        Answer::Silence => usize::MAX,
    }));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (tx, failures) = (tx.clone(), failures.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<Incoming>| {
                    let (tx, failures) = (tx.clone(), failures.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let _ = tx.send(Received {
                            target: format!("{} {}", parts.method, parts.uri),
                            headers: parts.headers,
                            body,
                        });
                        if matches!(answer, Answer::Silence) {
                            return Err("hang up");
                        }
                        let fail = failures
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                        let mut r = http::Response::new(Full::new(Bytes::new()));
                        *r.status_mut() = if fail {
                            http::StatusCode::INTERNAL_SERVER_ERROR
                        } else {
                            http::StatusCode::NO_CONTENT
                        };
                        Ok::<_, &str>(r)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, rx)
}

/// The next callback, within 5 s.
pub async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a callback within 5 s")
        .expect("the receiver runs")
}
