//! Credentials from flags or the `WECHATPAY_*` environment.

use clap::Args;

use crate::error::CliError;
use wechatpay::{
    Builder, Client,
    crypto::{PrivateKey, PublicKey},
};

/// Flags shared by the subcommands that call WeChat Pay.
#[derive(Args, Debug, Clone)]
pub struct Credentials {
    /// Merchant ID.
    #[arg(long, env = "WECHATPAY_MCHID")]
    pub mchid: Option<String>,
    /// Merchant API certificate serial.
    #[arg(long, env = "WECHATPAY_SERIAL")]
    pub serial: Option<String>,
    /// Path to the merchant private key (apiclient_key.pem).
    #[arg(long = "private-key", env = "WECHATPAY_PRIVATE_KEY")]
    pub private_key: Option<String>,
    /// WeChat Pay public keys or platform certificates: ID=path,ID=path.
    #[arg(long, env = "WECHATPAY_CERTS")]
    pub certs: Option<String>,
    /// Base URI, e.g. https://api.mch.weixin.qq.com/.
    #[arg(long = "base-uri", env = "WECHATPAY_BASE_URI")]
    pub base_uri: Option<String>,
}

fn required(v: &Option<String>, flag: &str, env: &str) -> Result<String, CliError> {
    v.clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| CliError::Usage(format!("give --{flag} or set {env}")))
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
    pub fn client(&self) -> Result<Client, CliError> {
        let mut b = Builder::new()
            .mchid(required(&self.mchid, "mchid", "WECHATPAY_MCHID")?)
            .serial(required(&self.serial, "serial", "WECHATPAY_SERIAL")?)
            .private_key(PrivateKey::from_pem(&format!(
                "file://{}",
                required(&self.private_key, "private-key", "WECHATPAY_PRIVATE_KEY")?
            ))?);
        for (id, key) in parse_certs(&required(&self.certs, "certs", "WECHATPAY_CERTS")?)? {
            b = b.cert(id, key);
        }
        if let Some(base) = &self.base_uri {
            b = b.base_uri(base);
        }
        Ok(b.build()?)
    }
}
