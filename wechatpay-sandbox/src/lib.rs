//! An embedded WeChat Pay sandbox: a loopback server that behaves like
//! WeChat Pay for the Pay-Score service-order endpoints, strictly enough that
//! code passing against it passes against the real service.
//!
//! It checks every request's `Authorization` as WeChat Pay does, signs every
//! response (errors included), keeps Pay-Score orders in memory, serves
//! `GET v3/certificates`, POSTs signed, encrypted callbacks to loopback
//! `notify_url`s, and injects faults on request. It also answers APIv2's
//! `v2/pay/micropay` and `v2/pay/orderquery` in signed XML, with WeChat
//! Pay's error codes (`AUTHCODEEXPIRE`, `ORDERPAID`, `ORDERNOTEXIST`,
//! `PARAM_ERROR`…).
//!
//! ```
//! use serde_json::json;
//! use wechatpay_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start_blocking()?;
//! let client = sandbox.client()?;
//! let r = client["v3/payscore/serviceorder"].get(json!({
//!     "query": {"out_order_no": "NOPE0001", "service_id": "2002000000000558128851361561536", "appid": "wxd678efh567hg6787"}
//! }));
//! assert!(matches!(r, Err(wechatpay::Error::Api { status, .. }) if status == 404));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Faults
//! Send the header `Wechatpay-Sandbox-Fault` with one of the [`Fault`]
//! names to have that one response misbehave.
//!
//! ## Control calls
//! What the real service learns from the user's WeChat app, the sandbox
//! takes from the handle ([`Sandbox::user_confirm`], [`Sandbox::user_pay`]…)
//! or from unsigned HTTP calls: `POST /sandbox/payscore/{out_order_no}/confirm`,
//! `…/pay`, `…/expire`, `…/paying` (the user is at the cashier).

mod auth;
mod callbacks;
mod error;
mod faults;
mod keys;
pub mod payscore;
mod server;
mod state;
mod v2;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

pub use error::SandboxError;
pub use faults::{FAULT_HEADER, Fault};
pub use keys::SandboxKeys;
use tokio::sync::oneshot;

use state::Shared;
use wechatpay::{
    Builder, Client, Error,
    crypto::{PrivateKey, PublicKey},
};

/// How the sandbox signs its responses.
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
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let sandbox = wechatpay_sandbox::Sandbox::builder()
///     .signing_mode(wechatpay_sandbox::SigningMode::Certificate)
///     .start()
///     .await?;
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct SandboxBuilder {
    listen: Option<SocketAddr>,
    signing_mode: SigningMode,
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

    /// How responses are signed; default public-key mode.
    ///
    /// ```
    /// let b = wechatpay_sandbox::Sandbox::builder().signing_mode(wechatpay_sandbox::SigningMode::Certificate);
    /// ```
    pub fn signing_mode(mut self, mode: SigningMode) -> Self {
        self.signing_mode = mode;
        self
    }

    /// Starts the sandbox on the current tokio runtime.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let sandbox = wechatpay_sandbox::Sandbox::builder().start().await?;
    /// assert!(sandbox.base_uri().starts_with("http://127.0.0.1:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub async fn start(self) -> Result<Sandbox, SandboxError> {
        let listen = self
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        if !listen.ip().is_loopback() {
            return Err(SandboxError::NotLoopback(listen));
        }
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let keys = SandboxKeys::load()?;
        let shared = Arc::new(Shared::new(keys.clone(), self.signing_mode)?);
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(server::serve(listener, shared.clone(), stopped));
        Ok(Sandbox {
            addr,
            keys,
            shared,
            _stop: StopOnDrop(Mutex::new(vec![stop])),
        })
    }

    /// Starts the sandbox on a thread and runtime of its own, for code
    /// without a runtime (a plain `fn main`, a `#[test]`).
    ///
    /// ```
    /// let sandbox = wechatpay_sandbox::Sandbox::builder().start_blocking()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start_blocking(self) -> Result<Sandbox, SandboxError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("wechatpay-sandbox".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(SandboxError::Io(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    let started = self.start().await;
                    let ok = started.is_ok();
                    let _ = tx.send(started);
                    if ok {
                        // Keep serving until the handle is dropped.
                        let _ = stop_rx.await;
                    }
                });
            })?;
        let sandbox = rx.recv().map_err(|_| {
            SandboxError::Io(std::io::Error::other(
                "the sandbox thread ended before starting",
            ))
        })??;
        // Stop the server task first, then let the thread and its runtime end.
        if let Ok(mut stops) = sandbox._stop.0.lock() {
            stops.push(stop_tx);
        }
        Ok(sandbox)
    }
}

/// Signals, in order, that stop the server task (and its thread, if any).
struct StopOnDrop(Mutex<Vec<oneshot::Sender<()>>>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let stops = match self.0.lock() {
            Ok(mut s) => std::mem::take(&mut *s),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        };
        for stop in stops {
            let _ = stop.send(());
        }
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

    /// Starts a sandbox with default options on the current tokio runtime.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let sandbox = wechatpay_sandbox::Sandbox::start().await?;
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub async fn start() -> Result<Sandbox, SandboxError> {
        Self::builder().start().await
    }

    /// Starts a sandbox with default options on a thread of its own.
    ///
    /// ```
    /// let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start_blocking() -> Result<Sandbox, SandboxError> {
        Self::builder().start_blocking()
    }

    /// `http://127.0.0.1:PORT/`.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// assert!(sandbox.base_uri().ends_with('/'));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn base_uri(&self) -> String {
        format!("http://{}/", self.addr)
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
    /// platform certificate, so certificate-mode replies verify too).
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
