//! `Builder` → `Client` (PHP's `Builder::factory`).

use std::{sync::Arc, time::Duration};

use http::HeaderValue;

use crate::{
    CertStore, Client, Error,
    blocking::Engine,
    client::Core,
    crypto::{PrivateKey, PublicKey},
    middleware::{Credentials, Middleware, Signer, Verifier, XmlLayer},
    transport::Transport,
    v2::{ClientCert, Secret},
};

/// The default host of WeChat Pay's API.
///
/// ```
/// assert_eq!(wechatpay::DEFAULT_BASE_URI, "https://api.mch.weixin.qq.com/");
/// ```
pub const DEFAULT_BASE_URI: &str = "https://api.mch.weixin.qq.com/";

/// Configures a [`Client`].
///
/// An APIv3 client needs `mchid`, `serial`, `private_key` and at least one
/// `cert` (a WeChat Pay public key by its `PUB_KEY_ID_…`, or a platform
/// certificate by its serial; both during the migration between them).
/// APIv2 (`v2/…` paths) needs the [`secret`](Self::secret), and for some
/// calls the [client certificate](Self::client_cert); a merchant on APIv2
/// alone gives `mchid` and `secret` only (see [`crate::v2`]).
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
    certs: Vec<(String, PublicKey)>,
    cert_store: Option<CertStore>,
    base_uri: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_response_bytes: Option<usize>,
    worker_threads: Option<usize>,
    layers: Vec<Arc<dyn Middleware>>,
    secret: Option<String>,
    client_cert: Option<ClientCert>,
    root_certs: Vec<String>,
    /// Set only by the certificate downloader, which must call before it
    /// has any WeChat Pay key and verifies the reply itself.
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
            .field(
                "certs",
                &self.certs.iter().map(|(s, _)| s).collect::<Vec<_>>(),
            )
            .field("base_uri", &self.base_uri)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("client_cert", &self.client_cert)
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

    /// Trusts `key` for responses whose `Wechatpay-Serial` is `serial`
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
    /// Its trailing slash matters (RFC 3986).
    ///
    /// ```
    /// let b = wechatpay::Builder::new().base_uri("https://apihk.mch.weixin.qq.com/");
    /// ```
    pub fn base_uri(mut self, base_uri: impl Into<String>) -> Self {
        self.base_uri = Some(base_uri.into());
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

    /// The connect timeout; default 10 s.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().connect_timeout(std::time::Duration::from_secs(3));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The largest response body accepted; default 64 MiB (bills can be large).
    ///
    /// ```
    /// let b = wechatpay::Builder::new().max_response_bytes(1 << 20);
    /// ```
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Threads of the client's private I/O runtime; default 2.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().worker_threads(4);
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n);
        self
    }

    /// The APIv2 secret (the 32-character "API key" of the merchant
    /// platform) that signs `v2/…` requests and verifies their replies.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().mchid("1900000001").secret("your-32-character-apiv2-secret-0");
    /// assert!(!format!("{b:?}").contains("your-32"));
    /// ```
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
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

    /// Adds a layer outside the verifier and signer (logging, retry,
    /// metrics). Layers run in the order added, the first outermost.
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
            .ok_or_else(|| Error::Config("the merchant ID `mchid` is required".into()))?;
        let secret = self.secret.filter(|s| !s.is_empty()).map(Secret::new);
        // A merchant on APIv2 alone gives no APIv3 credentials at all; its
        // APIv3 calls are refused by the signer with `Error::Config`.
        let v2_only = secret.is_some()
            && self.serial.is_none()
            && self.private_key.is_none()
            && self.certs.is_empty()
            && self.cert_store.is_none();
        let store = self.cert_store.unwrap_or_default();
        let credentials = if v2_only {
            None
        } else {
            let serial = self.serial.filter(|s| !s.is_empty()).ok_or_else(|| {
                Error::Config("the merchant certificate serial `serial` is required".into())
            })?;
            let key = self.private_key.ok_or_else(|| {
                Error::Config("the merchant private key `private_key` is required".into())
            })?;
            for (s, k) in self.certs {
                store.insert(s, k);
            }
            if store.is_empty() && !self.bootstrap {
                return Err(Error::Config(
                    "at least one WeChat Pay public key or platform certificate (`cert`) is required"
                        .into(),
                ));
            }
            let serials = store.serials();
            if serials.iter().any(|s| s == &serial) {
                return Err(Error::Config(format!(
                    "the certs ({}) contain the merchant's own certificate serial {serial}, which cannot verify WeChat Pay's replies",
                    serials.join(", ")
                )));
            }
            Some(Credentials {
                mchid: mchid.clone(),
                serial,
                key,
            })
        };

        let base = self.base_uri.as_deref().unwrap_or(DEFAULT_BASE_URI);
        let base_uri = reqwest::Url::parse(base)
            .map_err(|e| Error::Config(format!("`base_uri` `{base}` is not a URL: {e}")))?;
        if !matches!(base_uri.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "`base_uri` `{base}` must be http or https"
            )));
        }
        let ua = user_agent();
        let identity = match &self.client_cert {
            Some(cert) => Some(cert.identity(&mchid)?),
            None => None,
        };
        let roots = self
            .root_certs
            .iter()
            .map(|pem| {
                reqwest::Certificate::from_pem(pem.as_bytes()).map_err(|e| {
                    Error::Config(format!(
                        "a `root_certificate` is not a PEM certificate: {e}"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let transport = Transport::new(
            self.timeout.unwrap_or(Duration::from_secs(30)),
            self.connect_timeout.unwrap_or(Duration::from_secs(10)),
            self.max_response_bytes.unwrap_or(64 << 20),
            &ua,
            identity,
            &roots,
        )?;
        let mut layers = self.layers;
        layers.push(Arc::new(Verifier {
            certs: store.clone(),
        }));
        layers.push(Arc::new(XmlLayer {
            secret: secret.clone(),
        }));
        layers.push(Arc::new(Signer { credentials }));
        let core = Core {
            base_uri,
            user_agent: HeaderValue::from_str(&ua)
                .unwrap_or(HeaderValue::from_static("wechatpay-rust")),
            certs: store,
            layers,
            transport,
            engine: Engine::new(self.worker_threads.unwrap_or(1))?,
            mchid,
            secret,
        };
        Ok(Client::from_core(core))
    }
}

/// `wechatpay-rust/VERSION (OS/ARCH) Rust`, naming this crate as PHP's names itself.
fn user_agent() -> String {
    format!(
        "wechatpay-rust/{} ({}/{}) Rust/{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH,
        env!("WECHATPAY_RUSTC_VERSION")
    )
}
