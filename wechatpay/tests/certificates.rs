//! Platform certificates: download from the sandbox, self-verification,
//! background refresh without gaps, and failures that keep the old store.

use std::time::{Duration, Instant};

use wechatpay::{
    Error, VerificationFailure,
    certificates::{download, refresh_every},
};
use wechatpay_sandbox::{Fault, Sandbox, SigningMode};

/// The check an answer failed; panics unless it is a verification failure
/// that keeps the answer.
#[track_caller]
fn verification_failure(err: &Error) -> &VerificationFailure {
    assert!(err.is_verification(), "{err:?}");
    assert_eq!(
        err.status().map(|s| s.as_u16()),
        Some(200),
        "the answer is kept: {err:?}"
    );
    err.verification_failure().expect("the failed check")
}

#[tokio::test]
async fn download_decrypts_and_verifies_with_the_downloaded_certificate() {
    let sandbox = Sandbox::builder()
        .signing_mode(SigningMode::Certificate)
        .start()
        .await
        .unwrap();
    let client = sandbox.client().unwrap();
    let certs = download(&client, &sandbox.keys().apiv3_key).await.unwrap();
    assert_eq!(certs.len(), 1);
    let c = &certs[0];
    assert_eq!(c.serial_no, sandbox.keys().platform_cert_serial);
    assert_eq!(
        c.certificate.serial_number(),
        sandbox.keys().platform_cert_serial
    );
    assert!(c.certificate.is_valid_at(wechatpay::formatter::timestamp()));
    assert_eq!(
        c.certificate.to_pem().trim(),
        sandbox.keys().platform_cert_pem.trim()
    );
}

#[tokio::test]
async fn a_reply_not_signed_by_the_downloaded_certificate_is_refused() {
    let sandbox = Sandbox::builder()
        .signing_mode(SigningMode::Certificate)
        .start()
        .await
        .unwrap();
    let client = sandbox.client().unwrap();
    sandbox.set_fault(Some(Fault::BadSignature));
    let err = download(&client, &sandbox.keys().apiv3_key)
        .await
        .unwrap_err();
    assert!(
        matches!(
            verification_failure(&err),
            VerificationFailure::BadSignature { .. }
        ),
        "{err:?}"
    );
    // A listing signed under a serial none of its certificates has.
    sandbox.set_fault(Some(Fault::UnknownSerial));
    let err = download(&client, &sandbox.keys().apiv3_key)
        .await
        .unwrap_err();
    assert!(
        matches!(
            verification_failure(&err),
            VerificationFailure::UnknownSerial { serial, .. } if serial.starts_with("PUB_KEY_ID_UNKNOWN")
        ),
        "{err:?}"
    );
    // WeChat Pay signs the listing with a platform certificate in every
    // mode, and so does the sandbox: a public-key-mode sandbox's listing
    // verifies with what it lists.
    let sandbox = Sandbox::start().await.unwrap();
    let certs = download(&sandbox.client().unwrap(), &sandbox.keys().apiv3_key)
        .await
        .unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].serial_no, sandbox.keys().platform_cert_serial);
}

#[tokio::test]
async fn a_wrong_apiv3_key_is_a_crypto_error_and_a_short_one_a_config_error() {
    let sandbox = Sandbox::builder()
        .signing_mode(SigningMode::Certificate)
        .start()
        .await
        .unwrap();
    let client = sandbox.client().unwrap();
    let err = download(&client, "0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert!(err.is_crypto(), "{err:?}");
    assert!(!err.is_before_send(), "the listing was downloaded: {err:?}");
    assert!(
        !err.to_string().contains("0123456789abcdef"),
        "the key never shows"
    );
    let err = download(&client, "short").await.unwrap_err();
    assert!(err.is_config() && err.is_before_send(), "{err:?}");
}

#[test]
fn refresh_fills_the_store_and_calls_never_see_it_empty() {
    let sandbox = Sandbox::builder()
        .signing_mode(SigningMode::Certificate)
        .start_blocking()
        .unwrap();
    let keys = sandbox.keys().clone();
    // Trust only the public key at first: certificate-mode replies fail.
    let client = wechatpay::Builder::new()
        .mchid(&keys.mchid)
        .serial(&keys.serial)
        .private_key(
            wechatpay::crypto::PrivateKey::from_pem(&keys.merchant_private_key_pem).unwrap(),
        )
        .cert(
            &keys.public_key_id,
            wechatpay::crypto::PublicKey::from_pem(&keys.platform_public_key_pem).unwrap(),
        )
        .base_uri(sandbox.base_uri())
        .build()
        .unwrap();
    assert!(client.certs().get(&keys.platform_cert_serial).is_none());
    let refresh = refresh_every(&client, &keys.apiv3_key, Duration::from_secs(1));
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.certs().get(&keys.platform_cert_serial).is_none() {
        assert!(
            Instant::now() < deadline,
            "refresh did not land: {:?}",
            refresh.status()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        client.certs().get(&keys.public_key_id).is_some(),
        "hand-configured keys stay"
    );
    // Calls keep verifying through several swaps.
    let until = Instant::now() + Duration::from_millis(2500);
    let mut calls = 0;
    while Instant::now() < until {
        client
            .chain("v3/certificates")
            .get(())
            .expect("verified throughout refreshes");
        calls += 1;
    }
    assert!(calls > 0);
    assert!(refresh.status().successes >= 2, "{:?}", refresh.status());
}

#[test]
fn a_failing_refresh_keeps_the_old_certificates_and_reports() {
    let sandbox = Sandbox::builder()
        .signing_mode(SigningMode::Certificate)
        .start_blocking()
        .unwrap();
    let client = sandbox.client().unwrap();
    let before = client.certs().serials();
    let refresh = refresh_every(
        &client,
        "0123456789abcdef0123456789abcdef",
        Duration::from_secs(60),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while refresh.status().failures == 0 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = refresh.status();
    assert!(status.last_error.is_some());
    assert_eq!(status.successes, 0);
    assert_eq!(client.certs().serials(), before);
    assert!(client.chain("v3/certificates").get(()).is_ok());
}

/// A `v3/certificates` listing of `certs` (serial, PEM), encrypted as WeChat Pay does.
fn listing(apiv3_key: &str, certs: &[(&str, &str)]) -> serde_json::Value {
    let data: Vec<serde_json::Value> = certs
        .iter()
        .map(|(serial, pem)| {
            let nonce = "0123456789ab";
            let ciphertext = wechatpay::crypto::aes_gcm::encrypt(
                apiv3_key.as_bytes(),
                nonce.as_bytes(),
                b"certificate",
                pem.as_bytes(),
            )
            .unwrap();
            serde_json::json!({
                "serial_no": serial, "effective_time": "", "expire_time": "",
                "encrypt_certificate": {"algorithm": "AEAD_AES_256_GCM", "nonce": nonce,
                    "associated_data": "certificate", "ciphertext": ciphertext}
            })
        })
        .collect();
    serde_json::json!({ "data": data })
}

#[tokio::test]
async fn a_certificate_outside_its_validity_window_is_left_out() {
    let sandbox = Sandbox::builder()
        .signing_mode(SigningMode::Certificate)
        .start()
        .await
        .unwrap();
    let keys = sandbox.keys().clone();
    let client = sandbox.client().unwrap();
    // Valid 2020-01-01 to 2021-01-01, with the platform key (serial 1000).
    let expired = std::fs::read_to_string(format!(
        "{}/tests/keys/platform_cert_expired.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let both = listing(
        &keys.apiv3_key,
        &[
            (&keys.platform_cert_serial, &keys.platform_cert_pem),
            ("1000", &expired),
        ],
    );
    sandbox.stub(
        wechatpay_sandbox::Stub::path("/v3/certificates")
            .json(both)
            .times(1),
    );
    let certs = download(&client, &keys.apiv3_key).await.unwrap();
    let serials: Vec<&str> = certs.iter().map(|c| c.serial_no.as_str()).collect();
    assert_eq!(
        serials,
        [keys.platform_cert_serial.as_str()],
        "the expired one is left out"
    );

    let only_expired = listing(&keys.apiv3_key, &[("1000", &expired)]);
    sandbox.stub(
        wechatpay_sandbox::Stub::path("/v3/certificates")
            .json(only_expired)
            .times(1),
    );
    let e = download(&client, &keys.apiv3_key).await.unwrap_err();
    assert!(
        e.to_string().contains("validity window") && e.to_string().contains("1000"),
        "{e}"
    );
    assert!(!e.is_before_send(), "{e:?}");
}
