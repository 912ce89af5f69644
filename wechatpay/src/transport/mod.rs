//! The bottom of the stack: HTTP/1.1 over hyper's connection API, driven
//! by the caller's own task.
//!
//! No task is spawned per connection: each call polls its connection while
//! it waits for the answer, so an async verb does all of its work on the
//! caller's runtime and thread, and dropping the call's future drops, and
//! so closes, the connection at once. Idle connections are pooled per
//! runtime ([`pool`]), because a socket belongs to the reactor of the
//! runtime that opened it.
//!
//! A connection may go through a proxy ([`proxy`] chooses it, [`tunnel`]
//! opens the way through it); the proxy is part of the pool key, so a
//! tunnelled connection never serves a direct call or the reverse.
//!
//! The transport also records how far each call got ([`Progress`]): only a
//! connection that was never established, or a request hyper hands back
//! unsent, leaves a call "not sent".

use std::{
    future::Future,
    pin::pin,
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
    task::Poll,
    time::Duration,
};

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

use crate::{
    Error, Response,
    error::Reach,
    request::{Progress, Request, context_of},
};

mod connect;
mod debug;
mod key;
mod pool;
pub(crate) mod proxy;
mod stream;
mod streaming;
pub(crate) mod tls;
mod tunnel;

pub(crate) use streaming::BodyStream;

use connect::Connector;
use key::PoolKey;
use pool::Pool;
use proxy::Proxies;

/// Transport settings from the builder.
pub(crate) struct TransportConfig {
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_body: usize,
    pub(crate) tls: tls::TlsSettings,
    pub(crate) proxies: Proxies,
}

pub(crate) struct Transport {
    pool: Pool,
    connector: Connector,
    proxies: Proxies,
    timeout: Duration,
    max_body: usize,
}

/// Where an attempt is, for a timeout to report truthfully.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Connecting,
    Sending,
    Answered,
}

/// The stage, shared between the attempt and its deadline.
#[derive(Default)]
struct StageCell(AtomicU8);

impl StageCell {
    fn set(&self, stage: Stage) {
        self.0.store(stage as u8, Ordering::Relaxed);
    }

    fn get(&self) -> Stage {
        match self.0.load(Ordering::Relaxed) {
            0 => Stage::Connecting,
            1 => Stage::Sending,
            _ => Stage::Answered,
        }
    }
}

impl Transport {
    pub(crate) fn new(config: TransportConfig) -> Result<Self, Error> {
        Ok(Self {
            pool: Pool::default(),
            connector: Connector::new(config.connect_timeout, config.tls)?,
            proxies: config.proxies,
            timeout: config.timeout,
            max_body: config.max_body,
        })
    }

    /// The proxies calls go through.
    pub(crate) fn proxies(&self) -> &Proxies {
        &self.proxies
    }

    /// Whether a merchant client certificate is configured.
    pub(crate) fn has_identity(&self) -> bool {
        self.connector.has_identity()
    }

    /// Sends `request` and reads the whole answer, within the call's timeout.
    pub(crate) async fn send(&self, request: Request) -> Result<Response, Error> {
        let (timeout, progress, security) = self.settings(&request);
        progress.attempt();
        let stage = StageCell::default();
        let attempt = self.attempt(request, security, &progress, &stage);
        let deadline = tokio::time::sleep(timeout);
        let mut attempt = pin!(attempt);
        let mut deadline = pin!(deadline);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(r) = attempt.as_mut().poll(cx) {
                return Poll::Ready(r);
            }
            if deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(Self::timed_out(timeout, stage.get(), &progress)));
            }
            Poll::Pending
        })
        .await
    }

    /// The call's timeout, progress and whether it shows the client certificate.
    fn settings(&self, request: &Request) -> (Duration, Progress, bool) {
        match context_of(request) {
            Some(c) => (
                c.timeout.unwrap_or(self.timeout),
                c.progress.clone(),
                c.security,
            ),
            None => (self.timeout, Progress::default(), false),
        }
    }

    fn timed_out(after: Duration, stage: Stage, progress: &Progress) -> Error {
        match stage {
            Stage::Connecting => Error::timeout(after, true, Reach::NotSent),
            Stage::Sending => {
                progress.mark(Reach::MaybeSent);
                Error::timeout(after, false, Reach::MaybeSent)
            }
            Stage::Answered => Error::timeout(after, false, Reach::Answered),
        }
    }

    async fn attempt(
        &self,
        request: Request,
        security: bool,
        progress: &Progress,
        stage: &StageCell,
    ) -> Result<Response, Error> {
        let debug = context_of(&request).is_some_and(|c| c.debug);
        let (key, mut conn, head) = self.exchange(request, security, progress, stage).await?;
        let keep_alive = !closes(head.headers());
        let (parts, body) = head.into_parts();
        let length = parts.headers.get(header::CONTENT_LENGTH);
        let body = conn.io.drive(collect(body, length, self.max_body)).await?;
        if keep_alive {
            self.pool.checkin(key, conn);
        }
        let response = Response::from_parts(parts, body);
        if debug {
            debug::answer(&response);
        }
        Ok(response)
    }

    /// Sends `request` on a pooled or fresh connection and waits for the
    /// answer's head; the body is still to be read, on the connection handed back.
    async fn exchange(
        &self,
        request: Request,
        security: bool,
        progress: &Progress,
        stage: &StageCell,
    ) -> Result<(PoolKey, pool::Connection, http::Response<Incoming>), Error> {
        let key = PoolKey::for_uri(request.uri(), security, &self.proxies)?;
        let connect_timeout = context_of(&request).and_then(|c| c.connect_timeout);
        if context_of(&request).is_some_and(|c| c.debug) {
            debug::request(&request);
        }
        let mut outgoing = to_hyper(request, &key)?;
        // A pooled connection that turns out closed is replaced once with
        // a fresh one; hyper hands the request back untouched in that case.
        let mut fresh_tries = 0;
        loop {
            stage.set(Stage::Connecting);
            let (mut conn, reused) = match self.pool.checkout(&key) {
                Some(c) => (c, true),
                None => {
                    fresh_tries += 1;
                    (self.connector.connect(&key, connect_timeout).await?, false)
                }
            };
            if conn.io.drive(conn.sender.ready()).await.is_err() {
                if reused {
                    continue;
                }
                return Err(Error::connect(
                    format!("the connection to {key} closed before the request was sent"),
                    ConnectionClosed,
                ));
            }
            stage.set(Stage::Sending);
            let sent = conn.sender.try_send_request(outgoing);
            let head = match conn.io.drive(sent).await {
                Ok(head) => head,
                Err(mut e) => match e.take_message() {
                    // Never serialised onto the connection: nothing was sent.
                    Some(back) if reused || fresh_tries < 2 => {
                        outgoing = back;
                        continue;
                    }
                    Some(_) => {
                        return Err(Error::connect(
                            format!("the connection to {key} would not take the request"),
                            e.into_error(),
                        ));
                    }
                    None => {
                        let e = e.into_error();
                        // Under TLS 1.3 the server checks the client
                        // certificate after the client has written its
                        // request; a refusal means it read none of it.
                        if !reused && tls::refused_handshake(&e) {
                            return Err(Error::connect(
                                format!("{key} refused the TLS handshake"),
                                e,
                            ));
                        }
                        progress.mark(Reach::MaybeSent);
                        return Err(Error::request(
                            format!(
                                "the connection to {key} failed while the request was in flight"
                            ),
                            e,
                            Reach::MaybeSent,
                        ));
                    }
                },
            };
            stage.set(Stage::Answered);
            progress.mark(Reach::Answered);
            return Ok((key, conn, head));
        }
    }
}

/// The answer's body, whole, within `max` bytes.
async fn collect(
    mut body: Incoming,
    length: Option<&HeaderValue>,
    max: usize,
) -> Result<Bytes, Error> {
    let declared = length
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(Error::body_too_large(max));
    }
    let mut buf = BytesMut::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::body("the answer's body was cut off", e))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > max {
                return Err(Error::body_too_large(max));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

fn closes(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"close"))
}

/// The request as hyper sends it: origin-form target, a `Host` header.
fn to_hyper(request: Request, key: &PoolKey) -> Result<http::Request<Full<Bytes>>, Error> {
    let (mut parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .parse()
        .map_err(|_| Error::template("the request target cannot be sent"))?;
    parts.uri = target;
    parts.version = http::Version::HTTP_11;
    if !parts.headers.contains_key(header::HOST) {
        let host = HeaderValue::from_str(&key.host_header())
            .map_err(|_| Error::template("the host cannot be sent in a Host header"))?;
        parts.headers.insert(header::HOST, host);
    }
    parts.extensions = http::Extensions::new();
    Ok(http::Request::from_parts(parts, Full::new(body)))
}

/// A connection hyper reported closed before it took the request.
#[derive(Debug)]
struct ConnectionClosed;

impl std::fmt::Display for ConnectionClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed")
    }
}

impl std::error::Error for ConnectionClosed {}

#[allow(dead_code)]
fn _assert_send(t: &Transport, r: Request) {
    fn is_send<T: Send>(_: &T) {}
    is_send(&t.send(r));
    let _: Option<Arc<Transport>> = None;
}
