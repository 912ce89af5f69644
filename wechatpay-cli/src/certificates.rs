//! `wechatpay certificates download`: PHP's CertificateDownloader, same flags.

use std::path::PathBuf;

use clap::Args;
use wechatpay::{Builder, crypto::PrivateKey};

use crate::error::CliError;

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
}

pub fn download(args: &DownloadArgs) -> Result<(), CliError> {
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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start a runtime", e))?;
    let certs = rt.block_on(wechatpay::certificates::download_with(
        builder,
        &args.apiv3_key,
    ))?;
    std::fs::create_dir_all(&args.output)
        .map_err(|e| CliError::io(format!("cannot create {}", args.output.display()), e))?;
    for (i, c) in certs.iter().enumerate() {
        let path = args.output.join(format!("wechatpay_{}.pem", c.serial_no));
        std::fs::write(&path, c.certificate.to_pem())
            .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e))?;
        println!("Certificate #{i} {{");
        println!("    Serial Number: {}", c.serial_no);
        println!("    Not Before: {}", c.effective_time);
        println!("    Not After: {}", c.expire_time);
        println!("    Saved to: {}", path.display());
        println!("}}");
    }
    Ok(())
}
