//! `wechatpay sandbox`: serve the embedded sandbox until interrupted.

use std::{net::SocketAddr, path::PathBuf};

use clap::Args;
use wechatpay_sandbox::{Sandbox, SigningMode};

use crate::error::CliError;

#[derive(Args, Debug)]
pub struct SandboxArgs {
    /// Loopback address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Write sandbox.json and the PEM keys a client needs into this folder.
    #[arg(long)]
    keys_out: Option<PathBuf>,
    /// Sign responses with the platform certificate's serial instead of the public-key ID.
    #[arg(long)]
    certificate_mode: bool,
}

pub fn run(args: SandboxArgs) -> Result<(), CliError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start a runtime", e))?;
    rt.block_on(async move {
        let mode = if args.certificate_mode {
            SigningMode::Certificate
        } else {
            SigningMode::PublicKey
        };
        let sandbox = Sandbox::builder()
            .listen(args.listen)
            .signing_mode(mode)
            .start()
            .await?;
        if let Some(dir) = &args.keys_out {
            write_keys(&sandbox, dir)?;
        }
        println!("listening on {}", sandbox.base_uri());
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| CliError::io("cannot wait for ctrl-c", e))?;
        drop(sandbox);
        Ok(())
    })
}

fn write_keys(sandbox: &Sandbox, dir: &std::path::Path) -> Result<(), CliError> {
    let k = sandbox.keys();
    let io = |what: &std::path::Path, e: std::io::Error| {
        CliError::io(format!("cannot write {}", what.display()), e)
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let json = serde_json::json!({
        "mchid": k.mchid,
        "serial": k.serial,
        "public_key_id": k.public_key_id,
        "platform_cert_serial": k.platform_cert_serial,
        "apiv3_key": k.apiv3_key,
        "base_uri": sandbox.base_uri(),
    });
    let files = [
        (
            "sandbox.json",
            serde_json::to_string_pretty(&json).unwrap_or_default(),
        ),
        (
            "merchant_private_key.pem",
            k.merchant_private_key_pem.clone(),
        ),
        ("platform_public_key.pem", k.platform_public_key_pem.clone()),
        ("platform_cert.pem", k.platform_cert_pem.clone()),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    }
    Ok(())
}
