//! `wechatpay certificates download`: PHP's CertificateDownloader, same flags.

use std::path::PathBuf;

use clap::Args;
use wechatpay::{Builder, crypto::PrivateKey};

use crate::{config::Network, error::CliError};

#[derive(Args, Debug)]
pub struct DownloadArgs {
    /// The APIv3 key.
    #[arg(
        short = 'k',
        long = "key",
        env = "WECHATPAY_APIV3_KEY",
        hide_env_values = true
    )]
    apiv3_key: String,
    /// Merchant ID.
    #[arg(short = 'm', long, env = "WECHATPAY_MCHID")]
    mchid: String,
    /// Path to the merchant private key (apiclient_key.pem).
    #[arg(short = 'f', long = "privatekey", env = "WECHATPAY_PRIVATE_KEY")]
    private_key: String,
    /// Merchant API certificate serial.
    #[arg(short = 's', long = "serialno", env = "WECHATPAY_SERIAL")]
    serial: String,
    /// Folder to write wechatpay_<SERIAL>.pem files into.
    #[arg(short = 'o', long = "output", default_value = ".")]
    output: PathBuf,
    /// Base URI, default https://api.mch.weixin.qq.com/.
    #[arg(short = 'u', long = "baseuri", env = "WECHATPAY_BASE_URI")]
    base_uri: Option<String>,
    #[command(flatten)]
    network: Network,
}

/// What a merchant without platform certificates is told: WeChat Pay
/// answers `v3/certificates` with 404 or 403 when the merchant verifies
/// with WeChat Pay's public key alone, and then there is nothing to fetch.
const PUBLIC_KEY_ADVICE: &str = "This merchant has no platform certificates: it is in public-key \
    mode, and there is nothing to download. Configure the WeChat Pay public key instead: its ID \
    (PUB_KEY_ID_…) and pub_key.pem, both under 账户中心 → API安全 on the merchant platform, \
    e.g. WECHATPAY_CERTS=PUB_KEY_ID_…=/path/to/pub_key.pem, or Builder::cert(\"PUB_KEY_ID_…\", \
    PublicKey::from_pem(\"file:///path/to/pub_key.pem\")?) in code";

/// Whether `e` is WeChat Pay saying there are no platform certificates.
fn no_platform_certificates(e: &wechatpay::Error) -> bool {
    e.api_error()
        .is_some_and(|a| a.status() == 404 || a.status() == 403)
}

/// Downloads, writes each `wechatpay_<SERIAL>.pem`, and says what it wrote
/// as PHP's downloader does.
pub fn download(args: &DownloadArgs) -> Result<String, CliError> {
    let mut builder = Builder::new()
        .mchid(&args.mchid)
        .serial(&args.serial)
        .private_key(PrivateKey::from_pem(&format!(
            "file://{}",
            args.private_key
        ))?);
    if let Some(base) = &args.base_uri {
        builder = builder.base_uri(base);
    }
    let builder = args.network.apply(builder)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start a runtime", e))?;
    let certs = rt
        .block_on(wechatpay::certificates::download_with(
            builder,
            &args.apiv3_key,
        ))
        .map_err(|e| {
            if no_platform_certificates(&e) {
                CliError::Advised {
                    error: Box::new(e.into()),
                    advice: PUBLIC_KEY_ADVICE.into(),
                }
            } else {
                e.into()
            }
        })?;
    std::fs::create_dir_all(&args.output)
        .map_err(|e| CliError::io(format!("cannot create {}", args.output.display()), e))?;
    let mut report = String::new();
    for (i, c) in certs.iter().enumerate() {
        let path = args.output.join(format!("wechatpay_{}.pem", c.serial_no));
        std::fs::write(&path, c.certificate.to_pem())
            .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e))?;
        report.push_str(&format!(
            "Certificate #{i} {{\n    Serial Number: {}\n    Not Before: {}\n    \
             Not After: {}\n    Saved to: {}\n}}\n",
            c.serial_no,
            c.effective_time,
            c.expire_time,
            path.display()
        ));
    }
    Ok(report)
}
