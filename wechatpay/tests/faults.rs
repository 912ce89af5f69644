//! Servers that misbehave: each fault is a typed error within a bounded
//! time, never a hang or a panic, and never the Authorization sent where it
//! does not belong. (More are in `client.rs`: refused connections, drops,
//! hangs, truncation, oversized answers, forged and unsigned answers.)

use std::time::{Duration, Instant};

use serde_json::json;
use wechatpay::{ResponseExt, VerificationFailure};
use wechatpay_sandbox::{Fault, Sandbox, SandboxTls, Stub};

fn sandbox() -> Sandbox {
    Sandbox::start_blocking().unwrap()
}

fn tls_file(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/keys/tls/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn tls_sandbox() -> Sandbox {
    Sandbox::builder()
        .tls(SandboxTls {
            cert_pem: tls_file("server.pem"),
            key_pem: tls_file("server.key"),
            client_ca_pem: None,
        })
        .start_blocking()
        .unwrap()
}

#[test]
fn a_slow_drip_is_bounded_by_the_timeout() {
    let s = sandbox();
    let client = s.client().unwrap();
    let started = Instant::now();
    let e = client
        .chain("v3/certificates")
        .get(
            wechatpay::Options::from(json!({"timeout": 0.5}))
                .header(wechatpay_sandbox::FAULT_HEADER, Fault::Drip.name()),
        )
        .unwrap_err();
    assert!(e.is_timeout() && !e.is_before_send(), "{e:?}");
    assert!(
        !e.is_outcome_unknown(),
        "the head had arrived: WeChat Pay answered"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_answer_that_is_not_utf8_is_verified_as_bytes_and_decodes_as_an_error() {
    let s = sandbox();
    let client = s.client().unwrap();
    s.stub(Stub::path("/v3/binary").raw("application/octet-stream", vec![0xff, 0xfe, 0x00, 0x80]));
    // Signed over its bytes: it verifies, and reading it as JSON is a decode error.
    let r = client.chain("v3/binary").get(()).unwrap();
    assert_eq!(r.body().as_ref(), [0xff, 0xfe, 0x00, 0x80]);
    assert!(r.json::<serde_json::Value>().unwrap_err().is_decode());
    // An APIv2 answer that is not UTF-8 is not XML WeChat Pay would send.
    s.stub(Stub::new("POST", "/pay/micropay").raw("text/xml", vec![0xff, 0xfe, b'<']));
    let e = client
        .chain("v2/pay/micropay")
        .post(json!({"xml": {"mch_id": s.keys().mchid}}))
        .unwrap_err();
    assert!(
        matches!(
            e.verification_failure(),
            Some(VerificationFailure::MalformedXml(_))
        ),
        "{e:?}"
    );
}

#[test]
fn a_redirect_elsewhere_is_not_followed_and_never_carries_the_authorization() {
    let s = sandbox();
    let elsewhere = sandbox();
    elsewhere.stub(Stub::any().json(json!({})));
    let client = s.client().unwrap();
    let mut n = 0;
    for status in [301, 302, 303, 307, 308] {
        s.clear_stubs();
        s.stub(
            Stub::path("/v3/moved")
                .status(status)
                .header("Location", &format!("{}v3/stolen", elsewhere.base_uri())),
        );
        let r = client.chain("v3/moved").post(json!({"json": {}})).unwrap();
        assert_eq!(r.status(), status);
        n += 1;
    }
    assert_eq!(n, 5);
    assert!(
        elsewhere.take_requests().is_empty(),
        "nothing went to the Location"
    );
}

#[test]
fn tls_to_an_untrusted_certificate_is_refused_before_sending() {
    let s = tls_sandbox();
    // The system roots do not know the test CA.
    let client = s.client().unwrap();
    let e = client.chain("v3/certificates").get(()).unwrap_err();
    assert!(e.is_connect() && e.is_before_send(), "{e:?}");
    assert!(s.requests().is_empty());
    // Trusting the CA, the same call works.
    let trusting = s
        .client_builder()
        .unwrap()
        .root_certificate(tls_file("ca.pem"))
        .build()
        .unwrap();
    assert_eq!(
        trusting.chain("v3/certificates").get(()).unwrap().status(),
        200
    );
}

#[test]
fn tls_to_a_certificate_for_another_name_is_refused_before_sending() {
    // A certificate the same CA issued, but to a merchant, not to this host:
    // it names no `localhost` (and is no server certificate).
    let s = Sandbox::builder()
        .tls(SandboxTls {
            cert_pem: tls_file("client.pem"),
            key_pem: tls_file("client.key"),
            client_ca_pem: None,
        })
        .start_blocking()
        .unwrap();
    let client = s
        .client_builder()
        .unwrap()
        .root_certificate(tls_file("ca.pem"))
        .build()
        .unwrap();
    let e = client.chain("v3/certificates").get(()).unwrap_err();
    assert!(e.is_connect() && e.is_before_send(), "{e:?}");
    assert!(s.requests().is_empty());
}

#[test]
fn duplicated_signature_headers_are_refused() {
    let s = sandbox();
    let client = s.client().unwrap();
    let mut n = 0;
    for header in [
        "Wechatpay-Serial",
        "Wechatpay-Signature",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
    ] {
        s.clear_stubs();
        s.stub(
            Stub::path("/v3/twice")
                .json(json!({}))
                .header(header, "second"),
        );
        let e = client.chain("v3/twice").get(()).unwrap_err();
        assert!(
            matches!(e.verification_failure(), Some(VerificationFailure::DuplicateHeader(h)) if *h == header),
            "{header}: {e:?}"
        );
        n += 1;
    }
    assert_eq!(n, 4);
    s.clear_stubs();
    s.stub(
        Stub::path("/v3/sm2")
            .json(json!({}))
            .header("Wechatpay-Signature-Type", "WECHATPAY2-SM2-WITH-SM3"),
    );
    let e = client.chain("v3/sm2").get(()).unwrap_err();
    assert!(
        matches!(
            e.verification_failure(),
            Some(
                VerificationFailure::DuplicateHeader(_)
                    | VerificationFailure::UnsupportedSignatureType(_)
            )
        ),
        "{e:?}"
    );
}

#[test]
fn attacker_text_is_escaped_in_errors() {
    let s = sandbox();
    let client = s.client().unwrap();
    s.stub(
        Stub::path("/v3/evil")
            .status(400)
            .json(json!({"code": "PARAM_ERROR\n[INFO] payment succeeded", "message": "\u{1b}[2Jcleared"}))
            .fault(Fault::MissingHeaders),
    );
    let e = client.chain("v3/evil").get(()).unwrap_err();
    let text = e.to_string();
    assert!(!text.contains('\n') && !text.contains('\u{1b}'), "{text:?}");
    assert!(
        text.contains("\\n[INFO]"),
        "the text is kept, escaped: {text}"
    );
    assert!(text.starts_with("an unverified answer"), "{text}");
}
