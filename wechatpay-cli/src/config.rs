//! Credentials and connection settings from flags or the `WECHATPAY_*`
//! environment.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::CliError;
use wechatpay::{
    Builder, Client,
    crypto::{PrivateKey, PublicKey},
};

/// Flags shared by the subcommands that call WeChat Pay.
///
/// APIv3 needs `--mchid`, `--serial`, `--private-key` and `--certs`;
/// APIv2 (`v2/…` templates) needs `--secret`, and for `security: true`
/// calls the client certificate. A merchant on APIv2 alone gives `--mchid`
/// and `--secret` only.
#[derive(Args, Debug, Clone)]
pub struct Credentials {
    /// Merchant ID.
    #[arg(long, env = "WECHATPAY_MCHID")]
    pub mchid: Option<String>,
    /// Merchant API certificate serial (APIv3).
    #[arg(long, env = "WECHATPAY_SERIAL")]
    pub serial: Option<String>,
    /// Path to the merchant private key, apiclient_key.pem (APIv3).
    #[arg(long = "private-key", env = "WECHATPAY_PRIVATE_KEY")]
    pub private_key: Option<String>,
    /// WeChat Pay public keys or platform certificates: ID=path,ID=path (APIv3).
    #[arg(long, env = "WECHATPAY_CERTS")]
    pub certs: Option<String>,
    /// The APIv2 secret (the 32-character API key) for v2/… calls. Prefer
    /// the environment variable: a flag shows in the process list.
    #[arg(long, env = "WECHATPAY_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Path to the merchant client certificate, apiclient_cert.pem, for
    /// APIv2 calls with `security: true`; goes with --client-key.
    #[arg(long = "client-cert", env = "WECHATPAY_CLIENT_CERT")]
    pub client_cert: Option<PathBuf>,
    /// Path to the client certificate's private key, apiclient_key.pem.
    #[arg(long = "client-key", env = "WECHATPAY_CLIENT_KEY")]
    pub client_key: Option<PathBuf>,
    /// Path to apiclient_cert.p12 (its password is the merchant ID), in
    /// place of --client-cert and --client-key.
    #[arg(long, env = "WECHATPAY_P12")]
    pub p12: Option<PathBuf>,
    /// Base URI, e.g. https://api.mch.weixin.qq.com/.
    #[arg(long = "base-uri", env = "WECHATPAY_BASE_URI")]
    pub base_uri: Option<String>,
    #[command(flatten)]
    pub network: Network,
}

/// How to reach WeChat Pay: shared by every subcommand that calls it.
#[derive(Args, Debug, Clone, Default)]
pub struct Network {
    /// Send calls through this proxy: http://[user:password@]host:port,
    /// https://…, socks5://… or socks5h://… (default: HTTPS_PROXY,
    /// HTTP_PROXY, ALL_PROXY and NO_PROXY).
    #[arg(long, env = "WECHATPAY_PROXY", hide_env_values = true)]
    pub proxy: Option<String>,
    /// Also trust this CA (a PEM file) for the server's TLS certificate: a
    /// test server, or a proxy that inspects TLS.
    #[arg(long = "root-certificate", env = "WECHATPAY_ROOT_CERTIFICATE")]
    pub root_certificate: Option<PathBuf>,
}

impl Network {
    /// `builder` with the proxy and the extra CA.
    pub fn apply(&self, mut builder: Builder) -> Result<Builder, CliError> {
        if let Some(proxy) = self.proxy.as_deref().filter(|p| !p.is_empty()) {
            builder = builder.proxy(proxy);
        }
        if let Some(path) = &self.root_certificate {
            builder = builder.root_certificate(read_text(path, "--root-certificate")?);
        }
        Ok(builder)
    }
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

fn required<'a>(v: &'a Option<String>, flag: &str, env: &str) -> Result<&'a str, CliError> {
    given(v).ok_or_else(|| CliError::Usage(format!("give --{flag} or set {env}")))
}

fn read_text(path: &Path, flag: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::io(format!("cannot read {flag} {}", path.display()), e))
}

/// Loads `ID=path,…` into (ID, key) pairs.
pub fn parse_certs(spec: &str) -> Result<Vec<(String, PublicKey)>, CliError> {
    spec.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            let (id, path) = pair.split_once('=').ok_or_else(|| {
                CliError::Usage(format!("WECHATPAY_CERTS wants ID=path, got `{pair}`"))
            })?;
            Ok((
                id.trim().to_string(),
                PublicKey::from_pem(&format!("file://{}", path.trim()))?,
            ))
        })
        .collect()
}

impl Credentials {
    /// Whether any APIv3 setting is given.
    fn has_v3(&self) -> bool {
        [&self.serial, &self.private_key, &self.certs]
            .into_iter()
            .any(|v| given(v).is_some())
    }

    /// Whether a client certificate (PEM or `.p12`) is given at all.
    pub fn has_client_certificate(&self) -> bool {
        self.client_cert.is_some() || self.client_key.is_some() || self.p12.is_some()
    }

    /// The client these settings describe.
    pub fn client(&self) -> Result<Client, CliError> {
        let mchid = required(&self.mchid, "mchid", "WECHATPAY_MCHID")?;
        let mut b = Builder::new().mchid(mchid);
        let secret = given(&self.secret);
        // APIv2 alone: --mchid and --secret, nothing of APIv3.
        if self.has_v3() || secret.is_none() {
            let hint = |e: CliError| match e {
                CliError::Usage(m) => CliError::Usage(format!(
                    "{m} (APIv3 needs --serial, --private-key and --certs; a merchant on APIv2 \
                     alone gives --mchid and --secret only)"
                )),
                other => other,
            };
            let serial = required(&self.serial, "serial", "WECHATPAY_SERIAL").map_err(hint)?;
            let key = required(&self.private_key, "private-key", "WECHATPAY_PRIVATE_KEY")
                .map_err(hint)?;
            let certs = required(&self.certs, "certs", "WECHATPAY_CERTS").map_err(hint)?;
            b = b
                .serial(serial)
                .private_key(PrivateKey::from_pem(&format!("file://{key}"))?);
            for (id, key) in parse_certs(certs)? {
                b = b.cert(id, key);
            }
        }
        if let Some(secret) = secret {
            b = b.secret(secret);
        }
        b = self.client_certificate(b)?;
        if let Some(base) = given(&self.base_uri) {
            b = b.base_uri(base);
        }
        Ok(self.network.apply(b)?.build()?)
    }

    /// The merchant client certificate for `security: true`: PEM pair or `.p12`.
    fn client_certificate(&self, b: Builder) -> Result<Builder, CliError> {
        match (&self.client_cert, &self.client_key, &self.p12) {
            (None, None, None) => Ok(b),
            (Some(cert), Some(key), None) => Ok(b.client_cert(
                format!("file://{}", cert.display()),
                format!("file://{}", key.display()),
            )),
            (None, None, Some(p12)) => {
                let der = std::fs::read(p12)
                    .map_err(|e| CliError::io(format!("cannot read --p12 {}", p12.display()), e))?;
                Ok(b.client_cert_p12(der))
            }
            (_, _, Some(_)) => Err(CliError::Usage(
                "give --p12 or --client-cert with --client-key, not both".into(),
            )),
            (Some(_), None, None) => Err(CliError::Usage(
                "--client-cert needs --client-key (or set WECHATPAY_CLIENT_KEY)".into(),
            )),
            (None, Some(_), None) => Err(CliError::Usage(
                "--client-key needs --client-cert (or set WECHATPAY_CLIENT_CERT)".into(),
            )),
        }
    }
}
