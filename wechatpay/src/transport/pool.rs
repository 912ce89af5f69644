//! Idle connections, kept per runtime, origin and client identity.
//!
//! A socket is registered with the reactor of the runtime that opened it:
//! used from another runtime it would wait on a reactor nobody drives (a
//! current-thread runtime between `block_on`s) or one that is gone. So a
//! connection is only ever handed to calls on the runtime that opened it,
//! and is checked on the way out: a connection whose peer closed it, or
//! whose runtime shut down, polls as finished and is dropped.

use std::{
    collections::HashMap,
    future::Future,
    pin::{Pin, pin},
    sync::Mutex,
    task::{Context, Waker},
    time::{Duration, Instant},
};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

use super::{key::PoolKey, stream::Stream};

type Body = Full<Bytes>;

/// How long a connection may sit idle; servers and load balancers close
/// idle connections after about a minute, and a reused connection the peer
/// is closing costs a round trip.
const IDLE_TIMEOUT: Duration = Duration::from_secs(50);
/// Idle connections kept per key (runtime, origin, identity).
const MAX_IDLE_PER_KEY: usize = 32;
/// Every this many check-ins, expired connections of every key are dropped,
/// so the pools of runtimes that are gone do not linger.
const SWEEP_EVERY: u64 = 64;

/// The connection's I/O half: hyper's connection future, polled by
/// whichever call is using it.
pub(crate) struct Io {
    conn: Pin<Box<http1::Connection<TokioIo<Stream>, Body>>>,
    finished: bool,
}

impl Io {
    /// Polls the connection once; `true` while it is still open.
    fn poll_io(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.finished && self.conn.as_mut().poll(cx).is_ready() {
            self.finished = true;
        }
        !self.finished
    }

    /// Polls the connection while `fut` runs: the connection's I/O happens
    /// inside the caller's task, not a spawned one.
    pub(crate) async fn drive<F: Future>(&mut self, fut: F) -> F::Output {
        let mut fut = pin!(fut);
        std::future::poll_fn(|cx| {
            self.poll_io(cx);
            fut.as_mut().poll(cx)
        })
        .await
    }
}

/// One HTTP/1.1 connection: the request half and the I/O half.
pub(crate) struct Connection {
    pub(crate) sender: http1::SendRequest<Body>,
    pub(crate) io: Io,
    idle_since: Instant,
}

impl Connection {
    pub(crate) fn new(
        sender: http1::SendRequest<Body>,
        conn: http1::Connection<TokioIo<Stream>, Body>,
    ) -> Self {
        Self {
            sender,
            io: Io {
                conn: Box::pin(conn),
                finished: false,
            },
            idle_since: Instant::now(),
        }
    }

    /// Whether this idle connection can take a request: not expired, and
    /// still open when polled once (which also reads a close or EOF the
    /// peer sent while it sat idle, and finishes the previous exchange).
    fn usable(&mut self, now: Instant) -> bool {
        if now.duration_since(self.idle_since) > IDLE_TIMEOUT || self.sender.is_closed() {
            return false;
        }
        let mut cx = Context::from_waker(Waker::noop());
        self.io.poll_io(&mut cx) && !self.sender.is_closed()
    }
}

#[derive(Default)]
struct Idle {
    by_key: HashMap<PoolKey, Vec<Connection>>,
    checkins: u64,
}

/// Idle connections by key.
#[derive(Default)]
pub(crate) struct Pool {
    idle: Mutex<Idle>,
}

impl Pool {
    fn lock(&self) -> std::sync::MutexGuard<'_, Idle> {
        // Only whole entries are moved under the lock.
        match self.idle.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The most recently used open connection for `key`, if any.
    pub(crate) fn checkout(&self, key: &PoolKey) -> Option<Connection> {
        let now = Instant::now();
        let mut idle = self.lock();
        let list = idle.by_key.get_mut(key)?;
        while let Some(mut conn) = list.pop() {
            if conn.usable(now) {
                return Some(conn);
            }
        }
        None
    }

    /// Keeps `conn` for the next call on `key`.
    pub(crate) fn checkin(&self, key: PoolKey, mut conn: Connection) {
        let now = Instant::now();
        {
            // Let the connection see the end of the exchange now, so the
            // next checkout finds it ready.
            let mut cx = Context::from_waker(Waker::noop());
            if !conn.io.poll_io(&mut cx) || conn.sender.is_closed() {
                return;
            }
        }
        conn.idle_since = now;
        let mut idle = self.lock();
        idle.checkins += 1;
        if idle.checkins.is_multiple_of(SWEEP_EVERY) {
            // Expired connections go, and so do those whose runtime is
            // gone: polled once, their socket reports the reactor's end.
            idle.by_key.retain(|_, list| {
                list.retain_mut(|c| c.usable(now));
                !list.is_empty()
            });
        }
        let list = idle.by_key.entry(key).or_default();
        if list.len() >= MAX_IDLE_PER_KEY {
            list.remove(0);
        }
        list.push(conn);
    }
}
