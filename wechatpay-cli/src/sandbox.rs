//! `wechatpay sandbox`: serve the embedded sandbox until interrupted.

use std::{io::Write, net::SocketAddr, path::PathBuf};

use clap::Args;
use wechatpay_sandbox::{Sandbox, SigningMode};

use crate::error::CliError;

#[derive(Args, Debug)]
pub struct SandboxArgs {
    /// Loopback address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Write sandbox.json, the PEM keys a client needs and env.sh (the
    /// WECHATPAY_* settings for this command) into this folder.
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
        // Absolute, so that env.sh works from any folder.
        let keys_out = args.keys_out.map(|d| std::path::absolute(&d).unwrap_or(d));
        if let Some(dir) = &keys_out {
            write_keys(&sandbox, dir)?;
        }
        let mut announce = format!("listening on {}\n", sandbox.base_uri());
        if let Some(dir) = &keys_out {
            announce.push_str(&format!(
                "for the wechatpay command: . {}\n",
                dir.join("env.sh").display()
            ));
        }
        // One write, and a reader that has gone (a script that read the
        // first line and closed the pipe) does not stop the sandbox.
        let mut out = std::io::stdout().lock();
        let _ = out
            .write_all(announce.as_bytes())
            .and_then(|()| out.flush());
        drop(out);
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
        "apiv2_secret": k.apiv2_secret,
        "base_uri": sandbox.base_uri(),
    });
    let path_of = |name: &str| dir.join(name).display().to_string();
    // What the `request` and `certificates download` commands read: the
    // sandbox's test keys, published and useless anywhere else.
    let env = [
        ("WECHATPAY_BASE_URI", sandbox.base_uri()),
        ("WECHATPAY_MCHID", k.mchid.clone()),
        ("WECHATPAY_SERIAL", k.serial.clone()),
        ("WECHATPAY_PRIVATE_KEY", path_of("merchant_private_key.pem")),
        (
            "WECHATPAY_CERTS",
            format!(
                "{}={},{}={}",
                k.public_key_id,
                path_of("platform_public_key.pem"),
                k.platform_cert_serial,
                path_of("platform_cert.pem")
            ),
        ),
        ("WECHATPAY_SECRET", k.apiv2_secret.clone()),
        ("WECHATPAY_APIV3_KEY", k.apiv3_key.clone()),
    ]
    .iter()
    .map(|(name, value)| format!("export {name}={}\n", shell_quoted(value)))
    .collect::<String>();
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
        ("env.sh", env),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    }
    Ok(())
}

/// `value` in single quotes, as a POSIX shell reads it back unchanged.
fn shell_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}
