//! `Builder` → `Client` (PHP's `Builder::factory`).

use std::{sync::Arc, time::Duration};

use http::HeaderValue;

use crate::{
    CertStore, Client, Error,
    crypto::{PrivateKey, PublicKey},
    middleware::{
        Credentials, Layer, MessageSigner, Middleware, RETRY, Retry, SIGNER, SIGNER_V2, SignerV2,
        SignerV3, Stack, VERIFIER, VERIFIER_V2, VerifierV2, VerifierV3,
    },
    pipeline::Pipeline,
    request::{BaseUri, Defaults, target::AllowedBases},
    template::cache::TemplateCache,
    transport::{
        Transport, TransportConfig,
        proxy::{Proxies, ProxySetting},
        tls::TlsSettings,
    },
    v2::{ClientCert, Secret},
};

/// The default host of WeChat Pay's API.
///
/// ```
/// assert_eq!(wechatpay::DEFAULT_BASE_URI, "https://api.mch.weixin.qq.com/");
/// ```
pub const DEFAULT_BASE_URI: &str = "https://api.mch.weixin.qq.com/";

/// The answer-size cap. API answers are a few kilobytes; a call's whole
/// answer is held in memory, so the cap bounds what many calls in flight
/// can take (256 × 4 MiB = 1 GiB at worst). A larger bill through a call
/// needs [`Builder::max_response_bytes`].
const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 << 20;

/// A change to the stack, run at build time.
type StackEdit = Box<dyn FnOnce(&mut Stack) + Send>;

/// Configures a [`Client`].
///
/// An APIv3 client needs `mchid`, `serial`, `private_key` (or a
/// [`signer`](Self::signer) that holds the key elsewhere) and at least one
/// `cert` (a WeChat Pay public key by its `PUB_KEY_ID_…`, or a platform
/// certificate by its serial; both during the migration between them).
/// APIv2 (`v2/…` paths) needs the [`secret`](Self::secret), and for some
/// calls the [client certificate](Self::client_cert). A merchant on APIv2
/// alone gives `mchid` and `secret` only: leave the APIv3 settings out
/// altogether (see [`crate::v2`]).
///
/// ```
/// use wechatpay::{Builder, crypto::{PrivateKey, PublicKey}};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys");
/// # let merchant_key_pem = std::fs::read_to_string(format!("{dir}/merchant_private_key.pem")).unwrap();
/// # let platform_pub_pem = std::fs::read_to_string(format!("{dir}/platform_public_key.pem")).unwrap();
/// let client = Builder::new()
///     .mchid("1900000001")
///     .serial("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
///     .private_key(PrivateKey::from_pem(&merchant_key_pem)?)
///     .cert("PUB_KEY_ID_0119000000012025010100000000000001", PublicKey::from_pem(&platform_pub_pem)?)
///     .build()?;
/// assert_eq!(client.base_uri(), "https://api.mch.weixin.qq.com/");
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Default)]
pub struct Builder {
    mchid: Option<String>,
    serial: Option<String>,
    private_key: Option<PrivateKey>,
    signer: Option<Arc<dyn MessageSigner>>,
    certs: Vec<(String, PublicKey)>,
    cert_store: Option<CertStore>,
    base_uri: Option<String>,
    allowed_base_uris: Vec<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_response_bytes: Option<usize>,
    retries: u32,
    backup_base_uri: Option<String>,
    wechatpay_serial: Option<String>,
    layers: Vec<Arc<dyn Middleware>>,
    stack_edits: Vec<StackEdit>,
    unverified: bool,
    secret: Option<zeroize::Zeroizing<String>>,
    client_cert: Option<ClientCert>,
    root_certs: Vec<String>,
    proxy: ProxySetting,
    /// Set only by the certificate downloader, which must call before it
    /// has any WeChat Pay key and verifies the answer itself.
    bootstrap: bool,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("mchid", &self.mchid)
            .field("serial", &self.serial)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .field("signer", &self.signer.as_ref().map(|_| "<custom>"))
            .field(
                "certs",
                &self.certs.iter().map(|(s, _)| s).collect::<Vec<_>>(),
            )
            .field("base_uri", &self.base_uri)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("client_cert", &self.client_cert)
            .field("unverified", &self.unverified)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// An empty builder.
    ///
    /// ```
    /// let err = wechatpay::Builder::new().build().unwrap_err();
    /// assert!(err.to_string().contains("mchid"));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The merchant ID (`mchid`).
    ///
    /// ```
    /// let b = wechatpay::Builder::new().mchid("1900000001");
    /// ```
    pub fn mchid(mut self, mchid: impl Into<String>) -> Self {
        self.mchid = Some(mchid.into());
        self
    }

    /// The serial number of the merchant API certificate.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().serial("5157F09EFDC096DE15EBE81A47057A7232F1B8E1");
    /// ```
    pub fn serial(mut self, serial: impl Into<String>) -> Self {
        self.serial = Some(serial.into());
        self
    }

    /// The merchant API private key that signs requests.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// let b = wechatpay::Builder::new().private_key(wechatpay::crypto::PrivateKey::from_pem(&pem)?);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn private_key(mut self, key: PrivateKey) -> Self {
        self.private_key = Some(key);
        self
    }

    /// Signs requests with `signer` instead of an in-process private key:
    /// a key in an HSM, a KMS or a signing service. The `Authorization`
    /// header is still built here; only the signature comes from `signer`.
    ///
    /// ```
    /// use wechatpay::middleware::{BoxFuture, MessageSigner};
    /// struct Hsm;
    /// impl MessageSigner for Hsm {
    ///     fn sign<'a>(&'a self, message: &'a str) -> BoxFuture<'a, Result<String, wechatpay::Error>> {
    ///         Box::pin(async move { Err(wechatpay::Error::custom("ask the HSM here")) })
    ///     }
    /// }
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
    /// let client = wechatpay::Builder::new()
    ///     .mchid("1900000001")
    ///     .serial("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
    ///     .signer(Hsm)
    ///     .cert("PUB_KEY_ID_0119000000012025010100000000000001", wechatpay::crypto::PublicKey::from_pem(&pem)?)
    ///     .build()?;
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn signer(mut self, signer: impl MessageSigner) -> Self {
        self.signer = Some(Arc::new(signer));
        self
    }

    /// Trusts `key` for answers whose `Wechatpay-Serial` is `serial`
    /// (a `PUB_KEY_ID_…` or a platform certificate serial). Repeatable.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
    /// let b = wechatpay::Builder::new()
    ///     .cert("PUB_KEY_ID_0119000000012025010100000000000001", wechatpay::crypto::PublicKey::from_pem(&pem)?);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn cert(mut self, serial: impl Into<String>, key: PublicKey) -> Self {
        self.certs.push((serial.into(), key));
        self
    }

    /// Uses an existing store (shared with a certificate refresher, say)
    /// instead of a new one; keys given with [`cert`](Self::cert) are added to it.
    ///
    /// ```
    /// let store = wechatpay::CertStore::default();
    /// let b = wechatpay::Builder::new().cert_store(store.clone());
    /// ```
    pub fn cert_store(mut self, store: CertStore) -> Self {
        self.cert_store = Some(store);
        self
    }

    /// The base URI calls resolve against; default `https://api.mch.weixin.qq.com/`.
    /// A path is a folder: `https://host/prefix` means `https://host/prefix/`.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().base_uri("https://apihk.mch.weixin.qq.com/");
    /// ```
    pub fn base_uri(mut self, base_uri: impl Into<String>) -> Self {
        self.base_uri = Some(base_uri.into());
        self
    }

    /// Lets a call's `base_uri` option name `base_uri` too. WeChat Pay's own
    /// hosts (`api.mch.weixin.qq.com`, its backup `api2.`, the overseas
    /// `apihk.`, …) and the builder's base URI are always allowed; any other
    /// host must be allowed here first, so that no option can send the
    /// Authorization somewhere unexpected. Plain http is allowed for
    /// loopback only.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().allow_base_uri("https://wechatpay-gateway.internal.example/");
    /// ```
    pub fn allow_base_uri(mut self, base_uri: impl Into<String>) -> Self {
        self.allowed_base_uris.push(base_uri.into());
        self
    }

    /// The whole-call timeout; default 30 s. The `timeout` option overrides it per call.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().timeout(std::time::Duration::from_secs(10));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The connect timeout (DNS, TCP, the way through a proxy, and TLS);
    /// default 10 s.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().connect_timeout(std::time::Duration::from_secs(3));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The largest answer body accepted; default 4 MiB, ample for API
    /// answers. Each answer is held whole, so this bounds the memory of
    /// calls in flight; raise it for large bills fetched through a call.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().max_response_bytes(1 << 20);
    /// ```
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Sends a call again, up to `n` more times, when that cannot carry
    /// out a payment twice: see [`middleware::retry`](crate::middleware::retry)
    /// for exactly when. Each attempt is signed afresh and has the whole
    /// timeout; the pauses between them add up to a few seconds at most.
    /// Off (`0`) by default.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().retries(2);
    /// ```
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }

    /// WeChat Pay's backup host (备域名), e.g. `https://api2.mch.weixin.qq.com/`:
    /// a call that could not reach the primary (no connection made) goes
    /// there, and a GET also on a 5xx or a timeout; a write that may have
    /// been sent never does. After repeated failures the primary is left
    /// alone for 30 s, then probed again. The answer says which host
    /// answered ([`AnsweredBy`](crate::middleware::AnsweredBy)).
    ///
    /// ```
    /// let b = wechatpay::Builder::new().backup_base_uri("https://api2.mch.weixin.qq.com/");
    /// ```
    pub fn backup_base_uri(mut self, base_uri: impl Into<String>) -> Self {
        self.backup_base_uri = Some(base_uri.into());
        self
    }

    /// Sends `Wechatpay-Serial: id` on every APIv3 request: during the
    /// switch from platform certificates to WeChat Pay's public key, the
    /// serial a merchant sends chooses which key WeChat Pay answers with
    /// (a `PUB_KEY_ID_…` or a platform certificate serial). A call's own
    /// `headers` option still wins. Verification accepts every key
    /// configured with [`cert`](Self::cert) meanwhile; see
    /// `docs/public-key-migration.md`.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().wechatpay_serial("PUB_KEY_ID_0119000000012025010100000000000001");
    /// ```
    pub fn wechatpay_serial(mut self, id: impl Into<String>) -> Self {
        self.wechatpay_serial = Some(id.into());
        self
    }

    /// The APIv2 secret (the 32-character "API key" of the merchant
    /// platform) that signs `v2/…` requests and verifies their answers.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().mchid("1900000001").secret("your-32-character-apiv2-secret-0");
    /// assert!(!format!("{b:?}").contains("your-32"));
    /// ```
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(zeroize::Zeroizing::new(secret.into()));
        self
    }

    /// The merchant client certificate for APIv2 calls with `security: true`
    /// (refunds, red packets, transfers): `apiclient_cert.pem` and
    /// `apiclient_key.pem`, as PEM text or `file://` paths. Checked by
    /// [`build`](Self::build).
    ///
    /// ```
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/tls");
    /// let client = wechatpay::Builder::new()
    ///     .mchid("1900000001")
    ///     .secret("your-32-character-apiv2-secret-0")
    ///     .client_cert(format!("file://{dir}/client.pem"), format!("file://{dir}/client.key"))
    ///     .build()?;
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn client_cert(mut self, cert_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        self.client_cert = Some(ClientCert::Pem {
            cert: cert_pem.into(),
            key: key_pem.into(),
        });
        self
    }

    /// The merchant client certificate as the `apiclient_cert.p12` file's
    /// bytes; its password is the merchant ID, as WeChat Pay issues it.
    ///
    /// ```
    /// let p12 = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/tls/client.p12")).unwrap();
    /// let client = wechatpay::Builder::new()
    ///     .mchid("1900000001")
    ///     .secret("your-32-character-apiv2-secret-0")
    ///     .client_cert_p12(p12)
    ///     .build()?;
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn client_cert_p12(mut self, p12: impl Into<Vec<u8>>) -> Self {
        self.client_cert = Some(ClientCert::P12(p12.into()));
        self
    }

    /// Also trusts this CA (PEM text) for the server's TLS certificate, beside
    /// the system's roots: a test server, a proxy with its own CA. Repeatable.
    ///
    /// ```
    /// let ca = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/tls/ca.pem")).unwrap();
    /// let b = wechatpay::Builder::new().root_certificate(ca);
    /// ```
    pub fn root_certificate(mut self, pem: impl Into<String>) -> Self {
        self.root_certs.push(pem.into());
        self
    }

    /// Sends every call through this proxy, whatever the environment says
    /// and whatever the target (loopback included):
    ///
    /// - `http://[user:password@]host[:port]`: an HTTP `CONNECT` tunnel to
    ///   the target (with `Proxy-Authorization: Basic …` when credentials
    ///   are given), and TLS to WeChat Pay inside it. Plain-http targets
    ///   are tunnelled too, so the proxy never sees a request or its
    ///   Authorization.
    /// - `https://[user:password@]host[:port]`: the same inside TLS to the
    ///   proxy, which is verified like a server (the system's roots and
    ///   any [`root_certificate`](Self::root_certificate)); the merchant
    ///   client certificate is never shown to it.
    /// - `socks5://[user:password@]host[:port]`: SOCKS5, with a user name
    ///   and password when given; the target's name is resolved here.
    /// - `socks5h://…`: the same, the name resolved by the proxy.
    ///
    /// The ports default to 80, 443 and 1080; the user name and password
    /// are percent-decoded (`p%40ss` is `p@ss`). A URI that does not parse,
    /// or any other scheme, makes [`build`](Self::build) fail with a
    /// configuration error. Any failure reaching or talking to the proxy
    /// (refused, credentials rejected, `CONNECT` answered with other than
    /// 2xx, a SOCKS error) is a [connect error](crate::Error::is_connect):
    /// nothing of the request was sent. The password appears in no error,
    /// `Debug` or `Display`.
    ///
    /// Without this, the environment's proxy is used; see
    /// [`no_proxy`](Self::no_proxy). The last of `proxy` and `no_proxy`
    /// called wins.
    ///
    /// ```
    /// let b = wechatpay::Builder::new()
    ///     .mchid("1900000001")
    ///     .secret("your-32-character-apiv2-secret-0")
    ///     .proxy("http://alice:s3cret@proxy.internal.example:3128");
    /// assert!(!format!("{b:?}").contains("s3cret"));
    /// let client = b.build()?;
    ///
    /// let e = wechatpay::Builder::new()
    ///     .mchid("1900000001")
    ///     .secret("your-32-character-apiv2-secret-0")
    ///     .proxy("socks4://proxy.internal.example:1080")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(e.is_config());
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn proxy(mut self, uri: impl Into<String>) -> Self {
        self.proxy = ProxySetting::Uri(uri.into());
        self
    }

    /// Connects directly: no proxy from the environment, and none given
    /// earlier with [`proxy`](Self::proxy).
    ///
    /// By default the environment is read once, at [`build`](Self::build):
    /// `HTTPS_PROXY` (or `https_proxy`) for https targets, `HTTP_PROXY`
    /// (or `http_proxy`; only the lowercase one under CGI, where
    /// `HTTP_PROXY` can come from a request) for http targets, `ALL_PROXY`
    /// (or `all_proxy`) for either when its own is unset; a value without
    /// a scheme is an http proxy. `NO_PROXY` (or `no_proxy`) lists the
    /// hosts reached directly, comma-separated: names (each covers the
    /// names under it; a leading `.` is optional), `*` for all,
    /// addresses and CIDR networks; ports are ignored. Loopback targets
    /// (`127.0.0.0/8`, `::1`, `localhost`) never go through the
    /// environment's proxy. A variable that is set but does not parse
    /// makes `build` fail; `no_proxy` ignores it.
    ///
    /// ```
    /// let client = wechatpay::Builder::new()
    ///     .mchid("1900000001")
    ///     .secret("your-32-character-apiv2-secret-0")
    ///     .no_proxy()
    ///     .build()?;
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxySetting::Direct;
        self
    }

    /// Adds a layer outside the verifiers and signers (logging, retry,
    /// metrics). Layers run in the order added, the first outermost; in the
    /// [`Stack`] they are named `middleware_0`, `middleware_1`, …
    ///
    /// ```
    /// use wechatpay::middleware::{BoxFuture, Middleware, Next, Request};
    /// struct Noop;
    /// impl Middleware for Noop {
    ///     fn handle<'a>(&'a self, r: Request, next: Next<'a>) -> BoxFuture<'a, Result<wechatpay::Response, wechatpay::Error>> {
    ///         next.run(r)
    ///     }
    /// }
    /// let b = wechatpay::Builder::new().middleware(Noop);
    /// ```
    pub fn middleware(mut self, layer: impl Middleware) -> Self {
        self.layers.push(Arc::new(layer));
        self
    }

    /// Rearranges the stack, as PHP's `$instance->getDriver()->select()->getConfig('handler')`
    /// is rearranged: put a layer before or after a named one, replace one
    /// (a remote signer in place of `signer`), remove one. Runs at
    /// [`build`](Self::build), after the built-in layers and those of
    /// [`middleware`](Self::middleware) are in place; mistakes are build errors.
    ///
    /// ```
    /// use wechatpay::middleware::{BoxFuture, Middleware, Next, Request};
    /// struct Wire;
    /// impl Middleware for Wire {
    ///     fn handle<'a>(&'a self, r: Request, next: Next<'a>) -> BoxFuture<'a, Result<wechatpay::Response, wechatpay::Error>> {
    ///         eprintln!("{:?}", r.headers().get("Authorization").is_some());
    ///         next.run(r)
    ///     }
    /// }
    /// let b = wechatpay::Builder::new().stack(|s| {
    ///     s.after("signer_v2", "wire", Wire);
    /// });
    /// ```
    pub fn stack(mut self, edit: impl FnOnce(&mut Stack) + Send + 'static) -> Self {
        self.stack_edits.push(Box::new(edit));
        self
    }

    /// Turns response verification off: answers are returned without their
    /// signature (APIv3) or `sign` (APIv2) being checked, and error answers
    /// are all reported unverified. Anyone between the client and WeChat
    /// Pay could then forge a "payment succeeded". For a local experiment
    /// only; never in production.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().danger_accept_unverified_responses();
    /// ```
    pub fn danger_accept_unverified_responses(mut self) -> Self {
        self.unverified = true;
        self
    }

    /// For [`certificates::download_with`](crate::certificates::download_with) only.
    pub(crate) fn bootstrapping(mut self) -> Self {
        self.bootstrap = true;
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// ```
    /// let err = wechatpay::Builder::new().mchid("1900000001").build().unwrap_err();
    /// assert!(err.to_string().contains("serial"));
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let mchid = self
            .mchid
            .filter(|m| !m.is_empty())
            .ok_or_else(|| Error::config("the merchant ID `mchid` is required"))?;
        let secret = self
            .secret
            .filter(|s| !s.is_empty())
            .map(|s| Secret::new(s.to_string()));
        // A merchant on APIv2 alone gives no APIv3 settings at all.
        let v2_only = secret.is_some()
            && self.serial.as_deref().is_none_or(str::is_empty)
            && self.private_key.is_none()
            && self.signer.is_none()
            && self.certs.is_empty()
            && self.cert_store.is_none();
        let store = self.cert_store.unwrap_or_default();
        let credentials = if v2_only {
            None
        } else {
            let serial = self.serial.filter(|s| !s.is_empty()).ok_or_else(|| {
                Error::config(
                    "the merchant certificate serial `serial` is required for APIv3 (a merchant on \
                     APIv2 alone gives only mchid and secret, and leaves every APIv3 setting out)",
                )
            })?;
            for (s, k) in self.certs {
                store.insert(s, k);
            }
            if store.is_empty() && !self.bootstrap {
                return Err(Error::config(
                    "at least one WeChat Pay public key or platform certificate (`cert`) is required",
                ));
            }
            let serials = store.serials();
            if serials.iter().any(|s| s == &serial) {
                return Err(Error::config(format!(
                    "the certs ({}) contain the merchant's own certificate serial {serial}, which cannot verify WeChat Pay's answers",
                    serials.join(", ")
                )));
            }
            match (self.private_key, self.signer) {
                (_, Some(signer)) => Some(Credentials::remote(mchid.clone(), serial, signer)),
                (Some(key), None) => Some(Credentials::local(mchid.clone(), serial, key)),
                (None, None) => None,
            }
        };
        let has_v3 = !v2_only;

        let base = BaseUri::parse(
            self.base_uri.as_deref().unwrap_or(DEFAULT_BASE_URI),
            "`base_uri`",
        )?;
        let mut allowed = AllowedBases::default();
        for b in &self.allowed_base_uris {
            allowed.allow(BaseUri::parse(b, "an `allow_base_uri`")?);
        }
        let backup = match &self.backup_base_uri {
            Some(b) => {
                let b = BaseUri::parse(b, "`backup_base_uri`")?;
                allowed.allow(b.clone());
                Some(b)
            }
            None => None,
        };
        let identity = match &self.client_cert {
            Some(cert) => Some(cert.identity(&mchid)?),
            None => None,
        };
        let transport = Transport::new(TransportConfig {
            timeout: self.timeout.unwrap_or(Duration::from_secs(30)),
            connect_timeout: self.connect_timeout.unwrap_or(Duration::from_secs(10)),
            max_body: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            tls: TlsSettings {
                roots: self.root_certs,
                identity,
            },
            // The environment is read here, once: a client keeps the
            // proxies it was built with.
            proxies: Proxies::new(&self.proxy, |name| std::env::var(name).ok())?,
        })?;

        let keyless = credentials.is_none() && has_v3;
        let signer: Arc<dyn Middleware> = Arc::new(SignerV3 { credentials });
        let mut layers: Vec<Layer> = self
            .layers
            .into_iter()
            .enumerate()
            .map(|(i, l)| Layer::new(format!("middleware_{i}"), l))
            .collect();
        if self.retries > 0 || backup.is_some() {
            let hosts = backup.map(|b| (base.as_str().to_string(), b.as_str().to_string()));
            layers.push(Layer::new(RETRY, Arc::new(Retry::new(self.retries, hosts))));
        }
        layers.push(Layer::new(
            VERIFIER,
            Arc::new(VerifierV3 {
                certs: store.clone(),
            }),
        ));
        layers.push(Layer::new(
            VERIFIER_V2,
            Arc::new(VerifierV2 {
                secret: secret.clone(),
            }),
        ));
        layers.push(Layer::new(SIGNER, signer.clone()));
        layers.push(Layer::new(
            SIGNER_V2,
            Arc::new(SignerV2 {
                secret: secret.clone(),
            }),
        ));
        let mut stack = Stack::from_layers(layers);
        for edit in self.stack_edits {
            edit(&mut stack);
        }
        if self.unverified {
            stack.drop_verifiers();
        }
        // The built-in signer cannot sign without a key: a client without
        // one builds only when `signer` was replaced (or a MessageSigner given).
        if keyless && stack.layers().iter().any(|l| l.is(&signer)) {
            return Err(Error::config(
                "the merchant private key `private_key` is required (or Builder::signer for a key \
                 held in an HSM or signing service, or a replacement `signer` layer)",
            ));
        }
        let layers = stack.into_layers()?;

        let wechatpay_serial = match self.wechatpay_serial {
            Some(id) => Some(HeaderValue::from_str(&id).map_err(|_| {
                Error::config(format!(
                    "`wechatpay_serial` `{id}` cannot be sent in a header"
                ))
            })?),
            None => None,
        };
        let user_agent = HeaderValue::from_str(&user_agent())
            .unwrap_or(HeaderValue::from_static("wechatpay-rust"));
        let defaults = Defaults {
            base,
            allowed,
            user_agent,
            mchid,
            has_v3,
            has_v2_secret: secret.is_some(),
            has_identity: transport.has_identity(),
            wechatpay_serial,
        };
        Ok(Client::new(Pipeline {
            defaults,
            layers,
            transport,
            templates: TemplateCache::default(),
            certs: store,
        }))
    }
}

/// `wechatpay-rust/VERSION (OS/ARCH) Rust/VERSION`, naming this crate as PHP's names itself.
fn user_agent() -> String {
    format!(
        "wechatpay-rust/{} ({}/{}) Rust/{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH,
        env!("WECHATPAY_RUSTC_VERSION")
    )
}
