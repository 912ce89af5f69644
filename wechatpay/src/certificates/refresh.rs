//! Keeping certificate stores fresh in the background: one [`Refresher`]
//! (one timer) for the clients of any number of merchants, a download at
//! once when a client starts being watched, another at once (shared and
//! rate-limited) when an answer names a serial the store lacks, and a clear
//! status for a merchant that has no platform certificates at all.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, Weak},
    time::{Duration, Instant},
};

use std::future::Future as _;

use tokio::sync::Notify;
use zeroize::Zeroizing;

use super::{CertStore, PlatformCertificate, download, store::Refetch};
use crate::{Client, Error, middleware::BoxFuture, runtime};

/// The least time between two refetches a merchant's unknown serials
/// trigger: a flood of answers naming a serial nobody lists does not become
/// a flood of downloads.
///
/// ```
/// assert_eq!(wechatpay::certificates::MIN_REFETCH_INTERVAL.as_secs(), 60);
/// ```
pub const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// How often a merchant without platform certificates (public-key mode
/// only) is checked again.
///
/// ```
/// assert_eq!(wechatpay::certificates::NO_CERTIFICATES_RECHECK.as_secs(), 24 * 3600);
/// ```
pub const NO_CERTIFICATES_RECHECK: Duration = Duration::from_secs(24 * 3600);

/// How a background refresh is doing.
///
/// ```
/// let s = wechatpay::certificates::RefreshStatus::default();
/// assert_eq!(s.successes, 0);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RefreshStatus {
    /// Refreshes that updated the store.
    pub successes: u64,
    /// Refreshes that failed; the store kept its certificates.
    pub failures: u64,
    /// The most recent failure, if the last attempt failed.
    pub last_error: Option<String>,
    /// WeChat Pay answered 404 or 403 to `v3/certificates`: the merchant has
    /// no platform certificates and uses the public key alone. The
    /// refresher then only checks again every [`NO_CERTIFICATES_RECHECK`].
    pub no_platform_certificates: bool,
    /// Downloads an unknown serial triggered.
    pub refetches: u64,
}

/// One watched merchant.
struct Watched {
    client: Client,
    apiv3_key: Zeroizing<String>,
    status: Mutex<RefreshStatus>,
    /// Certificates this refresher put in the store, so that those WeChat
    /// Pay stops listing can be dropped (keys configured by hand stay).
    added: Mutex<HashSet<String>>,
    due: Mutex<Instant>,
    gate: Mutex<Gate>,
    done: Notify,
    refresher: Weak<Shared>,
    /// Itself, for the store's refetch hook, which only has `&self`.
    me: Weak<Watched>,
}

/// The state of a merchant's downloads, for sharing one among callers.
#[derive(Default)]
struct Gate {
    running: bool,
    generation: u64,
    last_refetch: Option<Instant>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Watched {
    /// Downloads now, unless a download is running; either way returns
    /// once one has finished.
    async fn download_shared(self: Arc<Self>) {
        let (start, seen) = {
            let mut g = locked(&self.gate);
            let start = !g.running;
            g.running = true;
            (start, g.generation)
        };
        let notified = self.done.notified();
        let mut notified = std::pin::pin!(notified);
        notified.as_mut().enable();
        if start {
            let me = self.clone();
            let spawned = runtime::spawn_background(async move {
                me.download_now().await;
            });
            if spawned.is_err() {
                self.finish();
            }
        }
        loop {
            if locked(&self.gate).generation > seen {
                return;
            }
            notified.as_mut().await;
            notified.set(self.done.notified());
            notified.as_mut().enable();
        }
    }

    fn finish(&self) {
        let mut g = locked(&self.gate);
        g.running = false;
        g.generation += 1;
        drop(g);
        self.done.notify_waiters();
    }

    async fn download_now(&self) {
        let outcome = download(&self.client, &self.apiv3_key).await;
        crate::trace::refresh(self.client.mchid(), outcome.as_ref().map(Vec::len));
        let next = {
            let mut s = locked(&self.status);
            let every = self
                .refresher
                .upgrade()
                .map_or(Duration::from_secs(3600), |r| r.every);
            match outcome {
                Ok(certs) => {
                    let mut added = locked(&self.added);
                    *added = merge(self.client.certs(), &added, &certs);
                    s.successes += 1;
                    s.last_error = None;
                    s.no_platform_certificates = false;
                    every
                }
                Err(e) => {
                    s.failures += 1;
                    let missing = e
                        .api_error()
                        .is_some_and(|a| matches!(a.status().as_u16(), 403 | 404));
                    s.no_platform_certificates = missing;
                    s.last_error = Some(describe(&e, missing));
                    if missing {
                        NO_CERTIFICATES_RECHECK.max(every)
                    } else {
                        every
                    }
                }
            }
        };
        *locked(&self.due) = Instant::now() + next;
        self.finish();
        if let Some(r) = self.refresher.upgrade() {
            r.wake.notify_one();
        }
    }
}

fn describe(e: &Error, no_certificates: bool) -> String {
    if no_certificates {
        format!(
            "this merchant has no platform certificates ({e}); it uses WeChat Pay's public key \
             alone: configure that key with Builder::cert(\"PUB_KEY_ID_…\", …) and stop the refresh"
        )
    } else {
        e.to_string()
    }
}

impl Refetch for Watched {
    fn refetch(&self) -> BoxFuture<'static, ()> {
        let allowed = {
            let mut g = locked(&self.gate);
            let recent = g
                .last_refetch
                .is_some_and(|t| t.elapsed() < MIN_REFETCH_INTERVAL);
            if recent && !g.running {
                false
            } else {
                if !recent {
                    g.last_refetch = Some(Instant::now());
                    locked(&self.status).refetches += 1;
                }
                true
            }
        };
        let me = self.me.upgrade();
        Box::pin(async move {
            if let (true, Some(me)) = (allowed, me) {
                me.download_shared().await;
            }
        })
    }
}

/// What the refresher's one task shares with its handles.
struct Shared {
    every: Duration,
    watched: Mutex<Vec<Arc<Watched>>>,
    wake: Notify,
}

/// One background task that keeps the certificate stores of many clients
/// fresh: a service with 1,500 merchants runs one refresher, not 1,500
/// timers. Downloads run one merchant at a time, each every `every`.
///
/// ```no_run
/// # fn f(clients: Vec<(wechatpay::Client, String)>) {
/// use std::time::Duration;
/// let refresher = wechatpay::certificates::Refresher::every(Duration::from_secs(12 * 3600));
/// let handles: Vec<_> = clients.iter().map(|(c, apiv3_key)| refresher.watch(c, apiv3_key)).collect();
/// for h in &handles {
///     if let Some(e) = h.status().last_error { eprintln!("{e}"); }
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Refresher {
    shared: Arc<Shared>,
    task: Arc<TaskGuard>,
}

/// Stops the task when the last clone of the refresher and of its
/// handles is gone.
struct TaskGuard(Option<tokio::task::AbortHandle>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            t.abort();
        }
    }
}

impl std::fmt::Debug for Refresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresher")
            .field("every", &self.shared.every)
            .field("watched", &locked(&self.shared.watched).len())
            .finish()
    }
}

impl Refresher {
    /// A refresher downloading each watched client's certificates every
    /// `every` (at least one second), on the current tokio runtime or, with
    /// none, on the crate's helper thread.
    ///
    /// ```no_run
    /// let r = wechatpay::certificates::Refresher::every(std::time::Duration::from_secs(3600));
    /// ```
    pub fn every(every: Duration) -> Self {
        let shared = Arc::new(Shared {
            every: every.max(Duration::from_secs(1)),
            watched: Mutex::new(Vec::new()),
            wake: Notify::new(),
        });
        let weak = Arc::downgrade(&shared);
        let task = runtime::spawn_background(run(weak)).ok();
        Self {
            shared,
            task: Arc::new(TaskGuard(task)),
        }
    }

    /// Watches `client`: downloads its certificates at once, then every
    /// interval, merging them into `client.certs()` in one atomic swap; an
    /// answer naming an unknown serial triggers a download at once (one at
    /// a time, at most every [`MIN_REFETCH_INTERVAL`]). Dropping the handle
    /// stops watching.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) {
    /// let r = wechatpay::certificates::Refresher::every(std::time::Duration::from_secs(3600));
    /// let watching = r.watch(client, "0123456789abcdef0123456789abcdef");
    /// # }
    /// ```
    pub fn watch(&self, client: &Client, apiv3_key: &str) -> Refresh {
        let watched = Arc::new_cyclic(|me| Watched {
            me: me.clone(),
            client: client.clone(),
            apiv3_key: Zeroizing::new(apiv3_key.to_string()),
            status: Mutex::new(RefreshStatus::default()),
            added: Mutex::new(HashSet::new()),
            due: Mutex::new(Instant::now()),
            gate: Mutex::new(Gate::default()),
            done: Notify::new(),
            refresher: Arc::downgrade(&self.shared),
        });
        if self.task.0.is_none() {
            locked(&watched.status).last_error =
                Some("the refresh task could not start (no runtime, no helper thread)".into());
        }
        let as_refetch: Arc<dyn Refetch> = watched.clone();
        client.certs().set_refetcher(Arc::downgrade(&as_refetch));
        locked(&self.shared.watched).push(watched.clone());
        self.shared.wake.notify_one();
        Refresh {
            watched,
            refresher: self.clone(),
        }
    }
}

/// The refresher's task: download whoever is due, then sleep until the
/// next is, or until a new client is watched. It ends when aborted, which
/// the last handle of its refresher does.
async fn run(shared: Weak<Shared>) {
    loop {
        let Some(s) = shared.upgrade() else { return };
        let now = Instant::now();
        let due: Vec<Arc<Watched>> = locked(&s.watched)
            .iter()
            .filter(|w| *locked(&w.due) <= now)
            .cloned()
            .collect();
        for w in due {
            // Not due again until this download sets the next time.
            *locked(&w.due) = now + s.every;
            w.download_shared().await;
        }
        let next = locked(&s.watched).iter().map(|w| *locked(&w.due)).min();
        let wake = s.wake.notified();
        let mut wake = std::pin::pin!(wake);
        wake.as_mut().enable();
        let sleep = next.map_or(Duration::from_secs(3600), |t| {
            t.saturating_duration_since(Instant::now())
        });
        let mut sleep = std::pin::pin!(tokio::time::sleep(sleep));
        std::future::poll_fn(|cx| {
            if sleep.as_mut().poll(cx).is_ready() || wake.as_mut().poll(cx).is_ready() {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
    }
}

/// A client being watched; dropping it stops watching that client.
///
/// ```no_run
/// # fn f(client: &wechatpay::Client) {
/// let refresh = wechatpay::certificates::refresh_every(client, "0123456789abcdef0123456789abcdef", std::time::Duration::from_secs(12 * 3600));
/// println!("{:?}", refresh.status());
/// # }
/// ```
pub struct Refresh {
    watched: Arc<Watched>,
    refresher: Refresher,
}

impl std::fmt::Debug for Refresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresh")
            .field("mchid", &self.watched.client.mchid())
            .field("status", &self.status())
            .finish()
    }
}

impl Refresh {
    /// The refresh's counters and last error.
    ///
    /// ```no_run
    /// # fn f(r: &wechatpay::certificates::Refresh) {
    /// if let Some(e) = r.status().last_error { eprintln!("certificate refresh failing: {e}"); }
    /// # }
    /// ```
    pub fn status(&self) -> RefreshStatus {
        locked(&self.watched.status).clone()
    }

    /// Waits for the first download (or any running one) to finish, e.g.
    /// before serving traffic.
    ///
    /// ```no_run
    /// # async fn f(r: &wechatpay::certificates::Refresh) {
    /// r.ready().await;
    /// # }
    /// ```
    pub async fn ready(&self) {
        loop {
            let notified = self.watched.done.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            {
                let g = locked(&self.watched.gate);
                if g.generation > 0 && !g.running {
                    return;
                }
            }
            notified.await;
        }
    }
}

impl Drop for Refresh {
    fn drop(&mut self) {
        let me = Arc::as_ptr(&self.watched);
        locked(&self.refresher.shared.watched).retain(|w| !std::ptr::eq(Arc::as_ptr(w), me));
    }
}

/// Downloads platform certificates now and then every `every`, merging them
/// into `client.certs()` in one atomic swap, so verification never sees the
/// store empty or half-filled; an answer with an unknown serial downloads
/// again at once. Public keys and certificates configured by hand stay;
/// certificates this refresh added and WeChat Pay no longer lists are
/// dropped. A failed refresh keeps the old certificates and is reported in
/// [`Refresh::status`]. For many merchants, share one [`Refresher`].
///
/// ```no_run
/// # fn f(client: &wechatpay::Client) {
/// let _refresh = wechatpay::certificates::refresh_every(client, "0123456789abcdef0123456789abcdef", std::time::Duration::from_secs(3600));
/// # }
/// ```
pub fn refresh_every(client: &Client, apiv3_key: &str, every: Duration) -> Refresh {
    Refresher::every(every).watch(client, apiv3_key)
}

/// One swap: the store minus what we added before, plus what was downloaded.
fn merge(
    store: &CertStore,
    previously_added: &HashSet<String>,
    certs: &[PlatformCertificate],
) -> HashSet<String> {
    let fresh: HashSet<String> = certs.iter().map(|c| c.serial_no.clone()).collect();
    store.swap(|old| {
        let mut next: std::collections::HashMap<_, _> = old
            .iter()
            .filter(|(s, _)| !previously_added.contains(*s))
            .map(|(s, k)| (s.clone(), k.clone()))
            .collect();
        for c in certs {
            next.insert(c.serial_no.clone(), c.certificate.public_key().clone());
        }
        next
    });
    fresh
}
