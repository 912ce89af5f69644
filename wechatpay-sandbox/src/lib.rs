//! A local WeChat Pay: a loopback server that behaves like WeChat Pay,
//! strictly enough that code passing against it passes against the real
//! service, for examples and for a merchant's own tests.
//!
//! It checks every request's `Authorization` (APIv3) or `sign` (APIv2) as
//! WeChat Pay does, signs every answer (errors included), keeps Pay-Score
//! orders and basic payments (orders, refunds, bills) in memory, serves `GET v3/certificates`, POSTs signed, encrypted
//! callbacks to loopback `notify_url`s, and answers APIv2's
//! `v2/pay/micropay` and `v2/pay/orderquery` in signed XML with WeChat
//! Pay's error codes. For what it does not model, a test sets a [`Stub`];
//! every request it got is in [`Sandbox::requests`].
//!
//! It runs on a thread and runtime of its own, whatever the caller runs
//! on, so a blocking call from a `#[tokio::test]` cannot starve it.
//!
//! ```
//! use serde_json::json;
//! use wechatpay_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start_blocking()?;
//! let client = sandbox.client()?;
//! let e = client["v3/payscore/serviceorder"].get(json!({
//!     "query": {"out_order_no": "NOPE0001", "service_id": "2002000000000558128851361561536", "appid": "wxd678efh567hg6787"}
//! })).unwrap_err();
//! assert_eq!(e.api_error().unwrap().code(), Some("ORDER_NOT_EXIST"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Faults
//! Send the header `Wechatpay-Sandbox-Fault` with one of the [`Fault`]
//! names to have that one answer misbehave, give a [`Stub`] a fault, or
//! [`Sandbox::set_fault`] for every answer.
//!
//! ## Payments, refunds, bills
//! Ordering (JSAPI, APP, H5, Native; direct and partner), query, close,
//! refunds and the two bills, with their download: see [`transactions`].
//!
//! ## Control calls
//! What the real service learns from the user's WeChat app, the sandbox
//! takes from the handle ([`Sandbox::user_confirm`], [`Sandbox::user_pay`],
//! [`Sandbox::user_pay_transaction`]…) or from unsigned HTTP calls:
//! `POST /sandbox/payscore/{out_order_no}/confirm`, `…/pay`, `…/expire`,
//! `…/paying` (the user is at the cashier), and
//! `POST /sandbox/transactions/{out_trade_no}/pay` or `…/fail`.
//!
//! ## Callbacks
//! Notifications go only to loopback `notify_url`s, signed, the resource
//! encrypted under the APIv3 key, and again when not acknowledged:
//! [`CALLBACK_ATTEMPTS`] attempts, 200 ms then 400 ms apart, each waiting
//! [`CALLBACK_TIMEOUT`] for a 2xx ([`Sandbox::callbacks`] counts them).

#![deny(missing_docs)]

mod auth;
mod bills;
mod callbacks;
mod error;
mod faults;
mod keys;
pub mod payscore;
mod query;
mod record;
mod refunds;
mod reply;
mod server;
mod signing;
mod state;
mod stubs;
mod time;
mod tls;
pub mod transactions;
mod v2;
mod validate;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex, atomic::Ordering},
};

pub use callbacks::{
    ATTEMPT_TIMEOUT as CALLBACK_TIMEOUT, ATTEMPTS as CALLBACK_ATTEMPTS, SentCallback,
};
pub use error::SandboxError;
pub use faults::{FAULT_HEADER, Fault};
pub use keys::SandboxKeys;
pub use record::{Protocol, RecordedRequest};
pub use reply::Reply;
pub use stubs::Stub;
pub use tls::SandboxTls;
use tokio::sync::oneshot;

use state::Shared;
use wechatpay::{
    Builder, Client, Error,
    crypto::{PrivateKey, PublicKey},
};

/// How the sandbox signs its answers.
///
/// ```
/// assert_ne!(wechatpay_sandbox::SigningMode::PublicKey, wechatpay_sandbox::SigningMode::Certificate);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningMode {
    /// `Wechatpay-Serial` is the public-key ID (`PUB_KEY_ID_…`), as new merchants see.
    #[default]
    PublicKey,
    /// `Wechatpay-Serial` is the platform certificate's serial.
    Certificate,
}

/// Options for [`Sandbox`].
///
/// ```
/// let sandbox = wechatpay_sandbox::Sandbox::builder()
///     .signing_mode(wechatpay_sandbox::SigningMode::Certificate)
///     .start_blocking()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SandboxBuilder {
    listen: Option<SocketAddr>,
    signing_mode: SigningMode,
    keys: Option<SandboxKeys>,
    tls: Option<SandboxTls>,
    worker_threads: Option<usize>,
}

impl SandboxBuilder {
    /// The address to bind; default `127.0.0.1:0` (any free port).
    ///
    /// ```
    /// let b = wechatpay_sandbox::Sandbox::builder().listen("127.0.0.1:0".parse().unwrap());
    /// ```
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// How answers are signed; default public-key mode.
    ///
    /// ```
    /// let b = wechatpay_sandbox::Sandbox::builder().signing_mode(wechatpay_sandbox::SigningMode::Certificate);
    /// ```
    pub fn signing_mode(mut self, mode: SigningMode) -> Self {
        self.signing_mode = mode;
        self
    }

    /// The merchant the sandbox accepts and the WeChat Pay keys it signs
    /// with; default [`SandboxKeys::load`]. A test with keys of its own
    /// (the merchant's test certificate, say) passes them here.
    ///
    /// ```
    /// let keys = wechatpay_sandbox::SandboxKeys { mchid: "1230000109".into(), ..wechatpay_sandbox::SandboxKeys::load()? };
    /// let sandbox = wechatpay_sandbox::Sandbox::builder().keys(keys).start_blocking()?;
    /// assert_eq!(sandbox.keys().mchid, "1230000109");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys(mut self, keys: SandboxKeys) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Threads of the sandbox's runtime; default 2. A benchmark that wants
    /// the server to take one core of two sets 1.
    ///
    /// ```
    /// let sandbox = wechatpay_sandbox::Sandbox::builder().worker_threads(1).start_blocking()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n.max(1));
        self
    }

    /// Serves HTTPS instead of HTTP (the base URI becomes
    /// `https://localhost:PORT/`), optionally requiring client certificates.
    ///
    /// ```no_run
    /// let tls = wechatpay_sandbox::SandboxTls {
    ///     cert_pem: std::fs::read_to_string("server.pem")?,
    ///     key_pem: std::fs::read_to_string("server.key")?,
    ///     client_ca_pem: Some(std::fs::read_to_string("ca.pem")?),
    /// };
    /// let sandbox = wechatpay_sandbox::Sandbox::builder().tls(tls).start_blocking()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tls(mut self, tls: SandboxTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Starts the sandbox on a thread and runtime of its own; the future
    /// only waits for it to listen, so it works on any runtime.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let sandbox = wechatpay_sandbox::Sandbox::builder().start().await?;
    /// assert!(sandbox.base_uri().starts_with("http://127.0.0.1:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub async fn start(self) -> Result<Sandbox, SandboxError> {
        let (tx, rx) = oneshot::channel();
        self.launch(move |r| {
            let _ = tx.send(r);
        })?;
        rx.await.map_err(|_| ended())?
    }

    /// Starts the sandbox on a thread and runtime of its own, waiting here
    /// until it listens: for code without a runtime (a plain `fn main`, a `#[test]`).
    ///
    /// ```
    /// let sandbox = wechatpay_sandbox::Sandbox::builder().start_blocking()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start_blocking(self) -> Result<Sandbox, SandboxError> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.launch(move |r| {
            let _ = tx.send(r);
        })?;
        rx.recv().map_err(|_| ended())?
    }

    fn launch(
        self,
        ready: impl FnOnce(Result<Sandbox, SandboxError>) + Send + 'static,
    ) -> Result<(), SandboxError> {
        let listen = self
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        if !listen.ip().is_loopback() {
            return Err(SandboxError::NotLoopback(listen));
        }
        let keys = match self.keys {
            Some(k) => k,
            None => SandboxKeys::load()?,
        };
        let acceptor = self.tls.as_ref().map(tls::acceptor).transpose()?;
        let https = self.tls.is_some();
        let mode = self.signing_mode;
        let workers = self.worker_threads.unwrap_or(2);
        // Signalled once the runtime is gone, so that dropping the handle
        // returns only when every connection is closed.
        let (done, gone) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("wechatpay-sandbox".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers)
                    .thread_name("wechatpay-sandbox")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => return ready(Err(SandboxError::Io(e))),
                };
                rt.block_on(async move {
                    let started = async {
                        let listener = tokio::net::TcpListener::bind(listen).await?;
                        let addr = listener.local_addr()?;
                        let shared = Arc::new(Shared::new(
                            keys.clone(),
                            mode,
                            tokio::runtime::Handle::current(),
                            &base_uri(https, addr),
                        )?);
                        Ok::<_, SandboxError>((listener, addr, shared))
                    };
                    let (listener, addr, shared) = match started.await {
                        Ok(s) => s,
                        Err(e) => return ready(Err(e)),
                    };
                    let (stop, stopped) = oneshot::channel();
                    let server =
                        tokio::spawn(server::serve(listener, shared.clone(), acceptor, stopped));
                    ready(Ok(Sandbox {
                        addr,
                        https,
                        keys,
                        shared,
                        _stop: StopOnDrop {
                            stop: Mutex::new(Some(stop)),
                            gone: Mutex::new(gone),
                        },
                    }));
                    // Serve until the handle is dropped; then the runtime
                    // and its thread end, closing every connection.
                    let _ = server.await;
                });
                drop(rt);
                let _ = done.send(());
            })?;
        Ok(())
    }
}

/// `http://127.0.0.1:PORT/`, or `https://localhost:PORT/` over TLS (the
/// name the server certificate is for).
fn base_uri(https: bool, addr: SocketAddr) -> String {
    if https {
        format!("https://localhost:{}/", addr.port())
    } else {
        format!("http://{addr}/")
    }
}

fn ended() -> SandboxError {
    SandboxError::Io(std::io::Error::other(
        "the sandbox thread ended before it listened",
    ))
}

/// Stops the server task (and so its thread) when the handle is dropped,
/// and waits until its connections are closed: a client that calls after
/// the drop finds nothing listening, never a connection still answering.
struct StopOnDrop {
    stop: Mutex<Option<oneshot::Sender<()>>>,
    gone: Mutex<std::sync::mpsc::Receiver<()>>,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let stop = match self.stop.lock() {
            Ok(mut s) => s.take(),
            Err(p) => p.into_inner().take(),
        };
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        // Dropped on one of its own threads (from a stub's callback, say),
        // waiting would wait for itself.
        let own = std::thread::current().name() == Some("wechatpay-sandbox");
        if !own {
            if let Ok(gone) = self.gone.lock() {
                let _ = gone.recv_timeout(std::time::Duration::from_secs(5));
            }
        }
    }
}

/// Connections the sandbox has seen.
///
/// ```
/// let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
/// assert_eq!(sandbox.connections().open(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connections {
    /// Accepted so far.
    pub opened: usize,
    /// Closed so far (by either side).
    pub closed: usize,
    /// TLS handshakes that completed.
    pub tls_handshakes: usize,
    /// TLS handshakes refused (no or a wrong client certificate, say).
    pub tls_refused: usize,
}

impl Connections {
    /// Open right now.
    ///
    /// ```
    /// let c = wechatpay_sandbox::Connections { opened: 3, closed: 1, tls_handshakes: 0, tls_refused: 0 };
    /// assert_eq!(c.open(), 2);
    /// ```
    pub fn open(&self) -> usize {
        self.opened.saturating_sub(self.closed)
    }
}

/// A running sandbox. Dropping it stops the server.
///
/// ```
/// let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
/// let client = sandbox.client()?;
/// assert_eq!(client.chain("v3/certificates").get(())?.status(), 200);
/// drop(sandbox); // stops serving
/// assert!(client.chain("v3/certificates").get(()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Sandbox {
    addr: SocketAddr,
    https: bool,
    keys: SandboxKeys,
    shared: Arc<Shared>,
    _stop: StopOnDrop,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_uri", &self.base_uri())
            .field("mchid", &self.keys.mchid)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Options for a sandbox.
    ///
    /// ```
    /// let b = wechatpay_sandbox::Sandbox::builder();
    /// ```
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// Starts a sandbox with default options; see [`SandboxBuilder::start`].
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let sandbox = wechatpay_sandbox::Sandbox::start().await?;
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub async fn start() -> Result<Sandbox, SandboxError> {
        Self::builder().start().await
    }

    /// Starts a sandbox with default options; see [`SandboxBuilder::start_blocking`].
    ///
    /// ```
    /// let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start_blocking() -> Result<Sandbox, SandboxError> {
        Self::builder().start_blocking()
    }

    /// `http://127.0.0.1:PORT/`, or `https://localhost:PORT/` over TLS.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert!(sandbox.base_uri().ends_with('/'));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn base_uri(&self) -> String {
        base_uri(self.https, self.addr)
    }

    /// The bound address.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert!(sandbox.addr().ip().is_loopback());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The credentials and keys the sandbox accepts and signs with.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert_eq!(sandbox.keys().apiv3_key.len(), 32);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys(&self) -> &SandboxKeys {
        &self.keys
    }

    /// A client configured for this sandbox, in public-key mode (plus the
    /// platform certificate, so certificate-mode answers verify too), with
    /// the APIv2 secret.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// let client = sandbox.client()?;
    /// assert_eq!(client.base_uri(), sandbox.base_uri());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client(&self) -> Result<Client, Error> {
        self.client_builder()?.build()
    }

    /// A [`Builder`] filled in for this sandbox, to add options to.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// let client = sandbox.client_builder()?.timeout(std::time::Duration::from_secs(5)).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client_builder(&self) -> Result<Builder, Error> {
        let k = &self.keys;
        Ok(Builder::new()
            .mchid(k.mchid.clone())
            .serial(k.serial.clone())
            .private_key(PrivateKey::from_pem(&k.merchant_private_key_pem)?)
            .cert(
                k.public_key_id.clone(),
                PublicKey::from_pem(&k.platform_public_key_pem)?,
            )
            .cert(
                k.platform_cert_serial.clone(),
                PublicKey::from_pem(&k.platform_cert_pem)?,
            )
            .secret(k.apiv2_secret.clone())
            .base_uri(self.base_uri()))
    }

    /// Answers matching requests with `stub` (newest stubs first), until
    /// it is used up or [`clear_stubs`](Self::clear_stubs).
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// sandbox.stub(wechatpay_sandbox::Stub::any().status(500).json(serde_json::json!({"code": "SYSTEM_ERROR", "message": "busy"})).times(1));
    /// let e = sandbox.client()?.chain("v3/certificates").get(()).unwrap_err();
    /// assert_eq!(e.api_error().unwrap().code(), Some("SYSTEM_ERROR"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stub(&self, stub: Stub) {
        self.shared.stubs.push(stub);
    }

    /// Removes every stub.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// sandbox.clear_stubs();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clear_stubs(&self) {
        self.shared.stubs.clear();
    }

    /// Spoils every answer with `fault` from now on (`None` stops it), as
    /// if each request carried the [`FAULT_HEADER`].
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// sandbox.set_fault(Some(wechatpay_sandbox::Fault::BadSignature));
    /// assert!(sandbox.client()?.chain("v3/certificates").get(()).unwrap_err().is_verification());
    /// sandbox.set_fault(None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_fault(&self, fault: Option<Fault>) {
        match self.shared.fault.lock() {
            Ok(mut f) => *f = fault,
            Err(p) => *p.into_inner() = fault,
        }
    }

    /// The requests received (the last 4,096), oldest first.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert!(sandbox.requests().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.all()
    }

    /// The requests received, emptying the log.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert!(sandbox.take_requests().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn take_requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.take()
    }

    /// How many connections the sandbox has accepted and seen closed.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// sandbox.client()?.chain("v3/certificates").get(())?;
    /// assert_eq!(sandbox.connections().opened, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connections(&self) -> Connections {
        let c = &self.shared.connections;
        Connections {
            opened: c.opened.load(Ordering::SeqCst),
            closed: c.closed.load(Ordering::SeqCst),
            tls_handshakes: c.tls_handshakes.load(Ordering::SeqCst),
            tls_refused: c.tls_refused.load(Ordering::SeqCst),
        }
    }

    /// The user confirms the order in WeChat (CREATED → DOING), firing
    /// `PAYSCORE.USER_CONFIRM` to its `notify_url`.
    ///
    /// ```no_run
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// sandbox.user_confirm("1234323JKHDFE1243252")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user_confirm(&self, out_order_no: &str) -> Result<(), SandboxError> {
        self.shared.control(out_order_no, state::Control::Confirm)
    }

    /// The user pays (USER_PAYING → USER_PAID), firing `PAYSCORE.USER_PAID`.
    ///
    /// ```no_run
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// sandbox.user_pay("1234323JKHDFE1243252")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user_pay(&self, out_order_no: &str) -> Result<(), SandboxError> {
        self.shared.control(out_order_no, state::Control::Pay)
    }

    /// The order expires (EXPIRED).
    ///
    /// ```no_run
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// sandbox.expire("1234323JKHDFE1243252")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expire(&self, out_order_no: &str) -> Result<(), SandboxError> {
        self.shared.control(out_order_no, state::Control::Expire)
    }

    /// The user is paying at the cashier right now, so a sync must wait.
    ///
    /// ```no_run
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// sandbox.user_paying_at_cashier("1234323JKHDFE1243252")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user_paying_at_cashier(&self, out_order_no: &str) -> Result<(), SandboxError> {
        self.shared
            .control(out_order_no, state::Control::PayingAtCashier)
    }

    /// The order as the sandbox holds it, for inspection in tests.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert!(sandbox.order("none").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn order(&self, out_order_no: &str) -> Option<serde_json::Value> {
        self.shared.order(out_order_no)
    }

    /// The `query_id` the confirmation mini-program would hand back for this
    /// order; the query API takes it in place of `out_order_no`.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert!(sandbox.query_id("none").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn query_id(&self, out_order_no: &str) -> Option<String> {
        self.shared.query_id(out_order_no)
    }

    /// The user pays the order `out_trade_no` at WeChat's cashier (NOTPAY or
    /// PAYERROR → SUCCESS), firing `TRANSACTION.SUCCESS` to its `notify_url`.
    /// Over HTTP, unsigned: `POST /sandbox/transactions/{out_trade_no}/pay`.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// let e = sandbox.user_pay_transaction("NOPE000001").unwrap_err();
    /// assert!(e.to_string().contains("ORDER_NOT_EXIST"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user_pay_transaction(&self, out_trade_no: &str) -> Result<(), SandboxError> {
        self.shared
            .cashier(out_trade_no, state::Cashier::Pay)
            .map_err(state::refused)
    }

    /// The payment of `out_trade_no` fails at the cashier (NOTPAY → PAYERROR;
    /// nothing is notified). Over HTTP: `POST /sandbox/transactions/{out_trade_no}/fail`.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert!(sandbox.user_fail_transaction("NOPE000001").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user_fail_transaction(&self, out_trade_no: &str) -> Result<(), SandboxError> {
        self.shared
            .cashier(out_trade_no, state::Cashier::Fail)
            .map_err(state::refused)
    }

    /// The `bill_date` (`YYYY-MM-DD`, Beijing time, as bills are dated) of the
    /// moment `unix`: what to ask the bill of today for.
    ///
    /// ```
    /// assert_eq!(wechatpay_sandbox::Sandbox::bill_date(1_735_660_800), "2025-01-01");
    /// assert_eq!(wechatpay_sandbox::Sandbox::bill_date(1_735_660_799), "2024-12-31");
    /// ```
    pub fn bill_date(unix: i64) -> String {
        time::fmt_rfc3339(unix)[..10].to_string()
    }

    /// The order of basic payments `out_trade_no` as a query shows it.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert!(sandbox.transaction("NOPE000001").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn transaction(&self, out_trade_no: &str) -> Option<serde_json::Value> {
        self.shared.transaction(out_trade_no)
    }

    /// Every notification sent so far (the last 4,096), oldest first, with
    /// how many attempts each took; see [`CALLBACK_ATTEMPTS`].
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert!(sandbox.callbacks().iter().all(|c| c.attempts <= wechatpay_sandbox::CALLBACK_ATTEMPTS));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn callbacks(&self) -> Vec<SentCallback> {
        self.shared.callbacks()
    }

    /// How many callbacks were delivered (2xx from the receiver) so far.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert_eq!(sandbox.callbacks_delivered(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn callbacks_delivered(&self) -> usize {
        self.shared.callbacks_delivered()
    }
}
