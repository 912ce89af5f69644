//! `wechatpay notify decrypt`: verify and decrypt a callback body from stdin.

use std::io::Read;

use clap::Args;
use wechatpay::{CertStore, notify::NotifyVerifier};

use crate::{config::parse_certs, error::CliError};

#[derive(Args, Debug)]
pub struct NotifyArgs {
    /// The Wechatpay-Timestamp header.
    #[arg(long)]
    pub timestamp: String,
    /// The Wechatpay-Nonce header.
    #[arg(long)]
    pub nonce: String,
    /// The Wechatpay-Serial header.
    #[arg(long)]
    pub serial: String,
    /// The Wechatpay-Signature header.
    #[arg(long)]
    pub signature: String,
    /// WeChat Pay public keys or platform certificates: ID=path,ID=path.
    #[arg(long, env = "WECHATPAY_CERTS")]
    pub certs: String,
    /// The APIv3 key.
    #[arg(
        long = "apiv3-key",
        env = "WECHATPAY_APIV3_KEY",
        hide_env_values = true
    )]
    pub apiv3_key: String,
}

pub fn run(args: &NotifyArgs) -> Result<serde_json::Value, CliError> {
    let mut body = Vec::new();
    std::io::stdin()
        .read_to_end(&mut body)
        .map_err(|e| CliError::io("cannot read the body from stdin", e))?;
    let store = CertStore::default();
    for (id, key) in parse_certs(&args.certs)? {
        store.insert(id, key);
    }
    let mut headers = http::HeaderMap::new();
    for (name, value) in [
        ("Wechatpay-Timestamp", &args.timestamp),
        ("Wechatpay-Nonce", &args.nonce),
        ("Wechatpay-Serial", &args.serial),
        ("Wechatpay-Signature", &args.signature),
    ] {
        let value = http::HeaderValue::from_str(value)
            .map_err(|_| CliError::Usage(format!("`{name}` is not valid header text")))?;
        headers.insert(name, value);
    }
    let n = NotifyVerifier::new(store, &args.apiv3_key)?.handle(&headers, &body)?;
    Ok(serde_json::json!({
        "id": n.id,
        "create_time": n.create_time,
        "event_type": n.event_type,
        "summary": n.summary,
        "resource": n.resource,
    }))
}
