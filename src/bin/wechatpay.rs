//! The `wechatpay` command-line tool.
//!
//! ```text
//! wechatpay sandbox --listen 127.0.0.1:8080 --keys-out ./sandbox-keys
//! ```

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use wechatpay::sandbox::Sandbox;

#[derive(Parser)]
#[command(
    name = "wechatpay",
    version,
    about = "WeChat Pay from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the embedded WeChat Pay sandbox until stopped.
    Sandbox {
        /// Loopback address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// Write sandbox.json and the PEM keys a client needs into this folder.
        #[arg(long)]
        keys_out: Option<PathBuf>,
        /// Sign responses with the platform certificate's serial instead of the public-key ID.
        #[arg(long)]
        certificate_mode: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sandbox {
            listen,
            keys_out,
            certificate_mode,
        } => match sandbox(listen, keys_out, certificate_mode) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wechatpay: {e}");
                ExitCode::from(2)
            }
        },
    }
}

fn sandbox(
    listen: SocketAddr,
    keys_out: Option<PathBuf>,
    certificate_mode: bool,
) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let mode = if certificate_mode {
            wechatpay::sandbox::SigningMode::Certificate
        } else {
            wechatpay::sandbox::SigningMode::PublicKey
        };
        let sandbox = Sandbox::builder()
            .listen(listen)
            .signing_mode(mode)
            .start()
            .await
            .map_err(|e| e.to_string())?;
        if let Some(dir) = keys_out {
            write_keys(&sandbox, &dir)?;
        }
        println!("listening on {}", sandbox.base_uri());
        tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
        drop(sandbox);
        Ok(())
    })
}

fn write_keys(sandbox: &Sandbox, dir: &std::path::Path) -> Result<(), String> {
    let k = sandbox.keys();
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
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
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
