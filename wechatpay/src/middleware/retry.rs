//! Retries that cannot pay twice, and failover to WeChat Pay's backup host
//! ([`Builder::retries`](crate::Builder::retries),
//! [`Builder::backup_base_uri`](crate::Builder::backup_base_uri)).
//!
//! What may be sent again is decided by what the last attempt proved:
//!
//! | the attempt | sent again? |
//! |---|---|
//! | failed before anything was sent (no connection, a signer down) | yes, any method; to the backup host when there is one |
//! | answered 429, `FREQUENCY_LIMITED` or `RATELIMIT_EXCEED` | yes, after `Retry-After` when given |
//! | answered `SYSTEM_ERROR` ("call again later with the same parameters") | yes, any method |
//! | a GET answered 5xx, or timed out, or lost its connection | yes; to the backup host when there is one |
//! | a POST, PUT, PATCH or DELETE timed out or lost its connection after sending | **never**: the outcome is unknown, query the order |
//! | anything else (4xx, a verification failure, …) | no |
//!
//! The layer sits outside the verifiers and signers, so every attempt is
//! signed afresh and every answer verified. Backoff is exponential with
//! jitter, each pause at most [`MAX_PAUSE`] and all of them together at
//! most [`MAX_TOTAL_PAUSE`]; each attempt has the call's whole timeout.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use http::Method;

use super::{BoxFuture, Middleware, Next, clone_request};
use crate::{Error, Response, request::Request, trace};

/// The first pause; each next one doubles, with jitter.
const FIRST_PAUSE: Duration = Duration::from_millis(100);
/// The longest single pause, `Retry-After` included.
///
/// ```
/// assert_eq!(wechatpay::middleware::retry::MAX_PAUSE.as_secs(), 2);
/// ```
pub const MAX_PAUSE: Duration = Duration::from_secs(2);
/// The most all pauses of one call add up to.
///
/// ```
/// use wechatpay::middleware::retry::{MAX_PAUSE, MAX_TOTAL_PAUSE};
/// assert!(MAX_TOTAL_PAUSE >= MAX_PAUSE);
/// ```
pub const MAX_TOTAL_PAUSE: Duration = Duration::from_secs(5);
/// Consecutive failures of the primary host that open the breaker.
const BREAKER_FAILURES: u32 = 3;
/// How long the primary is left alone once the breaker is open; then one
/// call probes it again.
const BREAKER_COOLDOWN: Duration = Duration::from_secs(30);

/// Which host answered a call: the primary (`base_uri`) or the backup.
/// In the answer's extensions.
///
/// ```no_run
/// # fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
/// let r = client.chain("v3/certificates").get(())?;
/// if let Some(host) = r.extensions().get::<wechatpay::middleware::AnsweredBy>() {
///     println!("answered by {}", host.base_uri());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredBy {
    base_uri: String,
    backup: bool,
}

impl AnsweredBy {
    /// The base URI of the host that answered.
    ///
    /// ```
    /// # fn f(a: &wechatpay::middleware::AnsweredBy) {
    /// println!("{}", a.base_uri());
    /// # }
    /// ```
    pub fn base_uri(&self) -> &str {
        &self.base_uri
    }

    /// Whether it was the backup host.
    ///
    /// ```
    /// # fn f(a: &wechatpay::middleware::AnsweredBy) {
    /// if a.is_backup() { eprintln!("the primary host is failing"); }
    /// # }
    /// ```
    pub fn is_backup(&self) -> bool {
        self.backup
    }
}

/// What the last attempt allows next.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Stop,
    /// Again, after a pause (a `Retry-After`, or the backoff).
    Again(Option<Duration>),
    /// Again, on the other host if there is one.
    Elsewhere,
}

/// The policy of the table above.
fn next_step(method: &Method, result: &Result<Response, Error>) -> Step {
    let e = match result {
        Ok(_) => return Step::Stop,
        Err(e) => e,
    };
    let read_only = method == Method::GET || method == Method::HEAD;
    if e.is_before_send() {
        // A configuration or option problem is the same next time.
        if e.is_config() || e.is_options() || e.is_template() || e.is_crypto() {
            return Step::Stop;
        }
        return Step::Elsewhere;
    }
    if e.is_rate_limited() {
        return Step::Again(retry_after(e));
    }
    if e.api_error()
        .is_some_and(|a| a.code() == Some("SYSTEM_ERROR"))
    {
        return Step::Again(retry_after(e));
    }
    if read_only && (e.is_outcome_unknown() || e.status().is_some_and(|s| s.is_server_error())) {
        return Step::Elsewhere;
    }
    Step::Stop
}

/// `Retry-After` in seconds, when the answer gave one.
fn retry_after(e: &Error) -> Option<Duration> {
    let seconds: u64 = e
        .response()?
        .headers()
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_PAUSE))
}

/// A pause of about `FIRST_PAUSE × 2^n`, between half and all of it.
fn backoff(n: u32) -> Duration {
    let full = FIRST_PAUSE
        .saturating_mul(1u32.checked_shl(n.min(16)).unwrap_or(u32::MAX))
        .min(MAX_PAUSE);
    let jitter = rand::random_range(0.5..=1.0);
    full.mul_f64(jitter)
}

/// The primary's health: consecutive failures, and since when it is left alone.
#[derive(Default)]
struct Breaker {
    failures: AtomicU32,
    open_since: Mutex<Option<Instant>>,
}

impl Breaker {
    /// Whether calls should go to the backup first now.
    fn open(&self) -> bool {
        let mut since = match self.open_since.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        match *since {
            Some(t) if t.elapsed() < BREAKER_COOLDOWN => true,
            Some(_) => {
                // Half-open: this call probes the primary.
                *since = None;
                false
            }
            None => false,
        }
    }

    fn failed(&self) {
        if self.failures.fetch_add(1, Ordering::AcqRel) + 1 >= BREAKER_FAILURES {
            if let Ok(mut since) = self.open_since.lock() {
                *since = Some(Instant::now());
            }
            self.failures.store(0, Ordering::Release);
        }
    }

    fn succeeded(&self) {
        self.failures.store(0, Ordering::Release);
    }
}

/// The retry and failover layer, named `retry` in the stack.
pub(crate) struct Retry {
    pub(crate) retries: u32,
    /// (primary, backup) base URIs, when failover is configured.
    pub(crate) hosts: Option<(String, String)>,
    breaker: Breaker,
}

impl Retry {
    pub(crate) fn new(retries: u32, hosts: Option<(String, String)>) -> Self {
        Self {
            retries,
            hosts,
            breaker: Breaker::default(),
        }
    }

    /// `request` pointed at the backup (`to_backup`) or the primary.
    fn aim(&self, request: &mut Request, to_backup: bool) -> Option<AnsweredBy> {
        let (primary, backup) = self.hosts.as_ref()?;
        let (from, to) = if to_backup {
            (primary, backup)
        } else {
            (backup, primary)
        };
        let uri = request.uri().to_string();
        if let Some(rest) = uri.strip_prefix(from.as_str()) {
            if let Ok(moved) = format!("{to}{rest}").parse() {
                *request.uri_mut() = moved;
            }
        }
        let on = request.uri().to_string();
        let backup_now = on.starts_with(backup.as_str());
        // A call given another base (the `base_uri` option) is not moved.
        (backup_now || on.starts_with(primary.as_str())).then(|| AnsweredBy {
            base_uri: if backup_now { backup } else { primary }.clone(),
            backup: backup_now,
        })
    }
}

impl Middleware for Retry {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            let method = request.method().clone();
            let mut on_backup = self.hosts.is_some() && self.breaker.open();
            let mut paused = Duration::ZERO;
            let mut failovers_left = u32::from(self.hosts.is_some());
            let mut retries_left = self.retries;
            let mut attempt = 0u32;
            loop {
                let mut this = clone_request(&request);
                let host = self.aim(&mut this, on_backup);
                let result = next.run(this).await;
                let primary = host.as_ref().is_some_and(|h| !h.backup);
                let step = next_step(&method, &result);
                if primary {
                    match (&result, &step) {
                        (Ok(_), _) => self.breaker.succeeded(),
                        (Err(_), Step::Elsewhere) => self.breaker.failed(),
                        _ => {}
                    }
                }
                let pause = match step {
                    Step::Stop => None,
                    Step::Elsewhere if failovers_left > 0 => {
                        failovers_left -= 1;
                        on_backup = !on_backup;
                        Some(Duration::ZERO)
                    }
                    Step::Elsewhere | Step::Again(None) => {
                        (retries_left > 0).then(|| backoff(attempt))
                    }
                    Step::Again(Some(after)) => (retries_left > 0).then_some(after),
                };
                let pause = match pause {
                    Some(p) if p.is_zero() => Some(p),
                    Some(p) if retries_left > 0 && paused + p <= MAX_TOTAL_PAUSE => {
                        retries_left -= 1;
                        Some(p)
                    }
                    _ => None,
                };
                let Some(pause) = pause else {
                    return match (result, host) {
                        (Ok(mut response), Some(h)) => {
                            response.extensions_mut().insert(h);
                            Ok(response)
                        }
                        (other, _) => other,
                    };
                };
                attempt += 1;
                paused += pause;
                if let Err(why) = &result {
                    if pause.is_zero() {
                        if let Some((primary, backup)) = &self.hosts {
                            let (from, to) = if on_backup {
                                (primary, backup)
                            } else {
                                (backup, primary)
                            };
                            trace::failover(from, to);
                        }
                    } else {
                        trace::retry(attempt, pause, why);
                    }
                }
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_and_stay_bounded() {
        let mut total = Duration::ZERO;
        for n in 0..40 {
            let p = backoff(n);
            assert!(p <= MAX_PAUSE, "{n}: {p:?}");
            assert!(p >= FIRST_PAUSE / 2, "{n}: {p:?}");
            total += p;
        }
        assert!(backoff(0) <= FIRST_PAUSE);
        assert!(
            total > Duration::from_secs(10),
            "the cap is the call's budget, not the pause"
        );
    }

    #[test]
    fn the_breaker_opens_after_repeated_failures_and_probes_later() {
        let b = Breaker::default();
        for _ in 0..BREAKER_FAILURES - 1 {
            b.failed();
            assert!(!b.open());
        }
        b.failed();
        assert!(b.open());
        *b.open_since.lock().unwrap() = Some(Instant::now() - BREAKER_COOLDOWN);
        assert!(!b.open(), "half-open: one call probes the primary");
        assert!(!b.open());
    }
}
