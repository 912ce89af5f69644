//! Platform certificates (平台证书), PHP's `CertificateDownloader.php`:
//! download, verify and use them, keep them fresh; and what a merchant in
//! public-key mode does instead. Against the sandbox:
//!
//! ```text
//! cargo run --example certificates
//! ```
//!
//! The first download has nothing to verify the listing with yet: it
//! decrypts each certificate with the APIv3 key, then verifies the listing
//! with the certificates it holds (`certificates::download_with`, which
//! `wechatpay certificates download` runs). A merchant whose WeChat Pay
//! key is the public key (`PUB_KEY_ID_…`, from 账户中心 → API安全) has no
//! platform certificates: WeChat Pay answers 404 or 403, and the public
//! key is configured as it is, with no download.

use std::time::Duration;

use serde_json::json;
use wechatpay::{
    Builder,
    certificates::{self, PlatformCertificate},
    crypto::{PrivateKey, PublicKey},
};
use wechatpay_sandbox::{Sandbox, SandboxKeys, SigningMode, Stub};

/// What the merchant platform gives every merchant: the ID, the API
/// certificate's serial and its private key.
fn merchant(keys: &SandboxKeys, base_uri: &str) -> Result<Builder, wechatpay::Error> {
    Ok(Builder::new()
        .mchid(&keys.mchid)
        .serial(&keys.serial)
        .private_key(PrivateKey::from_pem(&keys.merchant_private_key_pem)?)
        .base_uri(base_uri))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A merchant in platform-certificate mode: answers are signed with the
    // platform certificate.
    let sandbox = Sandbox::builder()
        .signing_mode(SigningMode::Certificate)
        .start()
        .await?;
    let keys = sandbox.keys().clone();
    println!(
        "sandbox at {} (platform-certificate mode)",
        sandbox.base_uri()
    );

    let downloaded: Vec<PlatformCertificate> =
        certificates::download_with(merchant(&keys, &sandbox.base_uri())?, &keys.apiv3_key).await?;
    for (i, c) in downloaded.iter().enumerate() {
        println!(
            "Certificate #{i}: serial {} valid {} to {}",
            c.serial_no, c.effective_time, c.expire_time
        );
        // What the CLI saves as wechatpay_<SERIAL>.pem.
        let pem = c.certificate.to_pem();
        println!("  {} bytes of PEM, starting {:?}", pem.len(), &pem[..27]);
    }

    // Configure every certificate listed (old and new during a rotation).
    let mut builder = merchant(&keys, &sandbox.base_uri())?;
    for c in &downloaded {
        builder = builder.cert(c.serial_no.clone(), c.certificate.public_key().clone());
    }
    let client = builder.build()?;
    let r = client["v3/payscore/serviceorder"]
        .get_async(json!({"query": {
            "out_order_no": "1234323JKHDFE1243252",
            "service_id": "2002000000000558128851361561536",
            "appid": "wxd678efh567hg6787",
        }}))
        .await;
    let e = r.expect_err("no such order yet");
    println!(
        "a call verified with it: {} (verified: {})",
        e.api_error().map_or(0, |a| a.status().as_u16()),
        e.api_error().is_some_and(|a| a.is_verified())
    );

    // Kept fresh in the background: certificates rotate.
    let refresh =
        certificates::refresh_every(&client, &keys.apiv3_key, Duration::from_secs(12 * 3600));
    refresh.ready().await;
    let status = refresh.status();
    println!(
        "refresh: {} success, {} failure, store holds {:?}",
        status.successes,
        status.failures,
        client.certs().serials()
    );
    drop(refresh);

    // A merchant in public-key mode: WeChat Pay has no certificates for it.
    let sandbox = Sandbox::start().await?;
    sandbox.stub(
        Stub::path("/v3/certificates")
            .status(404)
            .json(json!({"code": "NOT_FOUND", "message": "无可用的平台证书"})),
    );
    println!("sandbox at {} (public-key mode)", sandbox.base_uri());
    let e = certificates::download_with(merchant(&keys, &sandbox.base_uri())?, &keys.apiv3_key)
        .await
        .expect_err("nothing to download");
    println!("download: {e}");
    let no_certificates = e
        .api_error()
        .is_some_and(|a| [403, 404].contains(&a.status().as_u16()));
    if no_certificates {
        println!("  nothing to download: configure the public key and its ID instead");
    }
    let client = merchant(&keys, &sandbox.base_uri())?
        .cert(
            &keys.public_key_id,
            PublicKey::from_pem(&keys.platform_public_key_pem)?,
        )
        .build()?;
    let e = client["v3/payscore/serviceorder"]
        .get_async(json!({"query": {
            "out_order_no": "1234323JKHDFE1243252",
            "service_id": "2002000000000558128851361561536",
            "appid": "wxd678efh567hg6787",
        }}))
        .await
        .expect_err("no such order yet");
    println!(
        "a call verified with {}: {} (verified: {})",
        keys.public_key_id,
        e.api_error().map_or(0, |a| a.status().as_u16()),
        e.api_error().is_some_and(|a| a.is_verified())
    );
    Ok(())
}
