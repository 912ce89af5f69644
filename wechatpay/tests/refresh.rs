//! The key store that heals itself: the first download at once, a shared
//! and rate-limited refetch when an answer names an unknown serial, one
//! refresher for many merchants, a clear status for public-key-only ones.

use std::time::Duration;

use serde_json::json;
use wechatpay::{
    Client, VerificationFailure,
    certificates::{Refresher, refresh_every},
    crypto::PublicKey,
};
use wechatpay_sandbox::{Sandbox, SigningMode, Stub};

const HOUR: Duration = Duration::from_secs(3600);

/// A client that trusts only the sandbox's public key, as a merchant in
/// public-key mode starts.
fn public_key_only(s: &Sandbox) -> Client {
    let k = s.keys();
    wechatpay::Builder::new()
        .mchid(&k.mchid)
        .serial(&k.serial)
        .private_key(wechatpay::crypto::PrivateKey::from_pem(&k.merchant_private_key_pem).unwrap())
        .cert(
            &k.public_key_id,
            PublicKey::from_pem(&k.platform_public_key_pem).unwrap(),
        )
        .secret(&k.apiv2_secret)
        .base_uri(s.base_uri())
        .build()
        .unwrap()
}

fn listing_downloads(s: &Sandbox) -> usize {
    s.take_requests()
        .iter()
        .filter(|r| r.target == "/v3/certificates")
        .count()
}

#[tokio::test]
async fn the_first_download_happens_at_once() {
    let s = Sandbox::start().await.unwrap();
    let client = public_key_only(&s);
    let refresh = refresh_every(&client, &s.keys().apiv3_key, HOUR);
    tokio::time::timeout(Duration::from_secs(10), refresh.ready())
        .await
        .expect("the first download did not wait for the interval");
    assert_eq!(refresh.status().successes, 1, "{:?}", refresh.status());
    assert!(client.certs().get(&s.keys().platform_cert_serial).is_some());
    assert!(
        client.certs().get(&s.keys().public_key_id).is_some(),
        "keys given by hand stay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_serial_refetches_once_for_everyone_then_waits() {
    let s = Sandbox::builder()
        .signing_mode(SigningMode::Certificate)
        .start()
        .await
        .unwrap();
    let client = public_key_only(&s);
    let refresh = refresh_every(&client, &s.keys().apiv3_key, HOUR);
    refresh.ready().await;
    let cert = s.keys().platform_cert_serial.clone();
    assert!(client.certs().remove(&cert), "the refresh had added it");
    s.take_requests();

    // Eight calls at once meet the unknown serial: one download serves them.
    let calls: Vec<_> = (0..8)
        .map(|_| client.chain("v3/certificates").get_async(()))
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().status(), 200);
    }
    assert_eq!(listing_downloads(&s), 8 + 1, "eight calls and one refetch");
    assert_eq!(refresh.status().refetches, 1);

    // Right after, an unknown serial is not fetched again: it fails closed.
    client.certs().remove(&cert);
    let e = client
        .chain("v3/certificates")
        .get_async(())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.verification_failure(),
            Some(VerificationFailure::UnknownSerial { .. })
        ),
        "{e}"
    );
    assert_eq!(
        listing_downloads(&s),
        1,
        "the call only: no second refetch within a minute"
    );
    assert_eq!(refresh.status().refetches, 1);
}

#[tokio::test]
async fn one_refresher_serves_many_merchants() {
    let sandboxes: Vec<Sandbox> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(Sandbox::start().await.unwrap());
        }
        v
    };
    let refresher = Refresher::every(HOUR);
    let clients: Vec<Client> = sandboxes.iter().map(public_key_only).collect();
    let handles: Vec<_> = clients
        .iter()
        .zip(&sandboxes)
        .map(|(c, s)| refresher.watch(c, &s.keys().apiv3_key))
        .collect();
    for h in &handles {
        tokio::time::timeout(Duration::from_secs(10), h.ready())
            .await
            .unwrap();
        assert_eq!(h.status().successes, 1);
    }
    for (c, s) in clients.iter().zip(&sandboxes) {
        assert!(c.certs().get(&s.keys().platform_cert_serial).is_some());
    }
    assert!(format!("{refresher:?}").contains("watched: 3"));
    drop(handles);
    assert!(format!("{refresher:?}").contains("watched: 0"));
}

#[tokio::test]
async fn a_merchant_without_platform_certificates_gets_a_clear_status() {
    let s = Sandbox::start().await.unwrap();
    let mut n = 0;
    for status in [404, 403] {
        s.clear_stubs();
        s.stub(Stub::path("/v3/certificates").status(status).json(json!({
            "code": "NOT_FOUND", "message": "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥"
        })));
        let client = public_key_only(&s);
        let refresh = refresh_every(&client, &s.keys().apiv3_key, Duration::from_secs(1));
        refresh.ready().await;
        let st = refresh.status();
        assert!(st.no_platform_certificates, "{status}: {st:?}");
        assert!(
            st.last_error.as_deref().unwrap().contains("public key"),
            "{st:?}"
        );
        // No endless loop: with a one-second interval, still one download.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(refresh.status().failures, 1, "{status}");
        n += 1;
    }
    assert_eq!(n, 2);
}
