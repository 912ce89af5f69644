//! RSA keys and crypto, run against whichever backend is compiled in: CI runs
//! this file twice, with the default aws-lc-rs and with `--features rustcrypto`.
//! Fixtures in tests/keys/ were made with the `openssl` CLI.

use std::path::PathBuf;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use wechatpay::{
    Error,
    crypto::{self, Pkcs12, PrivateKey, PublicKey, pkcs1_to_spki},
};

const P12_PASSWORD: &str = "1900000001";
const PASSPHRASE: &str = "test-passphrase";
const MERCHANT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
/// The plaintext of keys/merchant_oaep_sha1.b64, made with
/// `openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1`.
const OAEP_FIXTURE_PLAINTEXT: &str = r#"{"name":"张三","id_card":"110101199003074477"}"#;

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

fn text(name: &str) -> String {
    std::fs::read_to_string(path(name)).unwrap()
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap()
}

fn pem_der(name: &str) -> Vec<u8> {
    pem_rfc7468::decode_vec(text(name).trim().as_bytes())
        .unwrap()
        .1
}

fn merchant_key() -> PrivateKey {
    PrivateKey::from_pem(&text("merchant_private_key.pem")).unwrap()
}

fn merchant_public() -> PublicKey {
    PublicKey::from_pem(&text("merchant_public_key.pem")).unwrap()
}

/// The `Error::Crypto` message, failing the test on any other outcome.
fn crypto_error<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Crypto(message)) => message,
        other => panic!("expected Error::Crypto, got {other:?}"),
    }
}

#[test]
fn the_selected_backend_is_compiled_in() {
    let expected = if cfg!(feature = "rustcrypto") {
        "rsa"
    } else {
        "aws-lc-rs"
    };
    assert_eq!(crypto::BACKEND, expected);
}

// ---------------------------------------------------------------- signatures

#[test]
fn sign_verify_round_trip() {
    for (private, public) in [
        ("merchant_private_key.pem", "merchant_public_key.pem"),
        ("platform_private_key.pem", "platform_public_key.pem"),
    ] {
        let key = PrivateKey::from_pem(&text(private)).unwrap();
        let public = PublicKey::from_pem(&text(public)).unwrap();
        for message in ["", "a", "GET\n/v3/certificates\n1554208460\nnonce\n\n"] {
            let signature = key.sign(message).unwrap();
            assert_eq!(STANDARD.decode(&signature).unwrap().len(), 256);
            assert!(public.verify(message, &signature), "{private}: {message:?}");
            assert!(key.public_key().unwrap().verify(message, &signature));
            assert!(!public.verify(format!("{message}x"), &signature));
        }
    }
    // The other party's key does not verify.
    let signature = merchant_key().sign("m").unwrap();
    let platform = PublicKey::from_pem(&text("platform_public_key.pem")).unwrap();
    assert!(!platform.verify("m", &signature));
}

#[test]
fn signing_reproduces_the_php_sdk_conformance_vector() {
    let seed = text("../conformance/seed.jsonl");
    let case: serde_json::Value = serde_json::from_str(seed.lines().next().unwrap()).unwrap();
    let auth = &case["requests"][0]["authorization"];
    let message = auth["signed_message"].as_str().unwrap();
    let recorded = auth["params"]["signature"].as_str().unwrap();
    assert_eq!(merchant_key().sign(message).unwrap(), recorded);
    assert!(merchant_public().verify(message, recorded));
}

#[test]
fn verify_rejects_malformed_signatures_without_panicking() {
    let public = merchant_public();
    let good = merchant_key().sign("m").unwrap();
    let raw = STANDARD.decode(&good).unwrap();
    let mut flipped = raw.clone();
    flipped[100] ^= 1;
    let long = "A".repeat(4096);
    for signature in [
        String::new(),
        "%%%".into(),
        "AAAA".into(),
        STANDARD.encode(&raw[..255]),
        STANDARD.encode([raw.as_slice(), &[0]].concat()),
        STANDARD.encode(&flipped),
        STANDARD.encode([0u8; 1024]),
        long,
        good.trim_end_matches('=').to_string(),
    ] {
        assert!(!public.verify("m", &signature), "{signature:.20}");
    }
}

// ---------------------------------------------------------------------- OAEP

#[test]
fn oaep_round_trip() {
    let key = merchant_key();
    let public = merchant_public();
    for plaintext in [&b""[..], b"x", "张三".as_bytes(), &[0xA5; 214]] {
        let ciphertext = public.encrypt(plaintext).unwrap();
        assert_eq!(STANDARD.decode(&ciphertext).unwrap().len(), 256);
        assert_eq!(key.decrypt(&ciphertext).unwrap(), plaintext);
    }
    // Randomised: the same plaintext never encrypts the same way twice.
    assert_ne!(public.encrypt("a").unwrap(), public.encrypt("a").unwrap());
    // The public key derived from the private one encrypts as well.
    let derived = key.public_key().unwrap().encrypt("b").unwrap();
    assert_eq!(key.decrypt(&derived).unwrap(), b"b");
}

#[test]
fn oaep_decrypts_an_openssl_ciphertext() {
    let ciphertext = text("merchant_oaep_sha1.b64");
    let plaintext = merchant_key().decrypt(&ciphertext).unwrap();
    assert_eq!(
        String::from_utf8(plaintext).unwrap(),
        OAEP_FIXTURE_PLAINTEXT
    );
}

#[test]
fn oaep_plaintext_over_the_limit_is_a_clear_error() {
    let public = merchant_public();
    let message = crypto_error(public.encrypt([0u8; 215]));
    assert!(message.contains("214"), "{message}");
    assert!(message.contains("215"), "{message}");
    assert!(message.contains("OAEP"), "{message}");
    assert!(public.encrypt([0u8; 214]).is_ok());
}

#[test]
fn oaep_bad_ciphertexts_are_typed_errors() {
    let key = merchant_key();
    let good = STANDARD
        .decode(text("merchant_oaep_sha1.b64").trim())
        .unwrap();
    let mut tampered = good.clone();
    tampered[10] ^= 0x40;
    let for_platform = PublicKey::from_pem(&text("platform_public_key.pem"))
        .unwrap()
        .encrypt(OAEP_FIXTURE_PLAINTEXT)
        .unwrap();

    let message = crypto_error(key.decrypt("not base64!"));
    assert!(message.contains("base64"), "{message}");
    let message = crypto_error(key.decrypt(&STANDARD.encode(&good[..255])));
    assert!(message.contains("256 bytes"), "{message}");
    assert!(message.contains("255"), "{message}");
    crypto_error(key.decrypt(""));
    for ciphertext in [
        STANDARD.encode(&tampered),
        for_platform,
        STANDARD.encode([0u8; 256]),
        STANDARD.encode([0xFFu8; 256]),
    ] {
        let message = crypto_error(key.decrypt(&ciphertext));
        assert!(message.contains("OAEP"), "{message}");
        assert!(!message.contains("110101199003074477"), "{message}");
    }
}

#[test]
fn pkcs1_v15_ciphertext_is_refused() {
    // There is no PKCS#1 v1.5 encryption API, and a v1.5 ciphertext (made by
    // `openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:pkcs1`) does not
    // decrypt through OAEP either: no padding oracle, no silent garbage.
    let message = crypto_error(merchant_key().decrypt(&text("merchant_pkcs1v15.b64")));
    assert!(message.contains("OAEP decryption failed"), "{message}");
}

// --------------------------------------------------------------- key formats

/// Two private keys are the same key when they sign alike (PKCS#1 v1.5 is
/// deterministic).
fn assert_same_key(key: &PrivateKey, what: &str) {
    assert_eq!(
        key.sign("same key?").unwrap(),
        merchant_key().sign("same key?").unwrap(),
        "{what}"
    );
}

#[test]
fn private_key_formats() {
    let pkcs8 = pem_der("merchant_private_key.pem");
    let pkcs1 = pem_der("merchant_private_key.pkcs1.pem");
    let keys = [
        (
            "PKCS#1 PEM",
            PrivateKey::from_pem(&text("merchant_private_key.pkcs1.pem")),
        ),
        ("PKCS#8 DER", PrivateKey::from_der(&pkcs8, true)),
        ("PKCS#1 DER", PrivateKey::from_der(&pkcs1, false)),
        (
            "file://",
            PrivateKey::from_pem(&format!(
                "file://{}",
                path("merchant_private_key.pem").display()
            )),
        ),
        (
            "private.pkcs8://",
            PrivateKey::from_pem(&format!("private.pkcs8://{}", STANDARD.encode(&pkcs8))),
        ),
        (
            "private.pkcs1://",
            PrivateKey::from_pem(&format!("private.pkcs1://{}", STANDARD.encode(&pkcs1))),
        ),
        (
            "encrypted PKCS#8 (AES-256-CBC, PBKDF2-SHA256)",
            PrivateKey::from_pem_with_passphrase(
                &text("merchant_private_key.encrypted.pem"),
                PASSPHRASE,
            ),
        ),
        (
            "encrypted PKCS#8 (DES-EDE3-CBC, PBKDF2-SHA1)",
            PrivateKey::from_pem_with_passphrase(
                &text("merchant_private_key.encrypted-des3.pem"),
                PASSPHRASE,
            ),
        ),
        (
            "encrypted PKCS#8 via file://",
            PrivateKey::from_pem_with_passphrase(
                &format!(
                    "file://{}",
                    path("merchant_private_key.encrypted.pem").display()
                ),
                PASSPHRASE.as_bytes(),
            ),
        ),
        (
            "unencrypted with a passphrase",
            PrivateKey::from_pem_with_passphrase(&text("merchant_private_key.pem"), "unused"),
        ),
        (
            "PKCS#12 (legacy)",
            PrivateKey::from_pkcs12(&bytes("apiclient_cert.legacy.p12"), P12_PASSWORD),
        ),
        (
            "PKCS#12 (modern)",
            PrivateKey::from_pkcs12(&bytes("apiclient_cert.modern.p12"), P12_PASSWORD),
        ),
    ];
    for (what, key) in keys {
        assert_same_key(&key.unwrap_or_else(|e| panic!("{what}: {e}")), what);
    }
}

#[test]
fn public_key_formats() {
    let spki = pem_der("merchant_public_key.pem");
    let pkcs1 = pem_der("merchant_public_key.pkcs1.pem");
    let keys = [
        (
            "PKCS#1 PEM",
            PublicKey::from_pem(&text("merchant_public_key.pkcs1.pem")),
        ),
        (
            "CERTIFICATE",
            PublicKey::from_pem(&text("merchant_cert.pem")),
        ),
        ("SPKI DER", PublicKey::from_der(&spki)),
        ("PKCS#1 DER", PublicKey::from_der(&pkcs1)),
        (
            "file://",
            PublicKey::from_pem(&format!(
                "file://{}",
                path("merchant_public_key.pem").display()
            )),
        ),
        (
            "public.spki://",
            PublicKey::from_pem(&format!("public.spki://{}", STANDARD.encode(&spki))),
        ),
        (
            "public.pkcs1://",
            PublicKey::from_pem(&format!("public.pkcs1://{}", STANDARD.encode(&pkcs1))),
        ),
        ("derived", merchant_key().public_key()),
    ];
    let signature = merchant_key().sign("m").unwrap();
    for (what, key) in keys {
        let key = key.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(key.verify("m", &signature), "{what}");
        assert_eq!(key.spki_der(), spki, "{what}");
    }
}

#[test]
fn pkcs1_to_spki_matches_openssl() {
    let spki = pem_der("merchant_public_key.pem");
    let pkcs1 = pem_der("merchant_public_key.pkcs1.pem");
    assert_eq!(pkcs1_to_spki(&pkcs1), spki);
    // Pure wrapping, like PHP's, with no check of the key: the long length
    // form is covered above, the short one here.
    assert_eq!(
        pkcs1_to_spki(&[]),
        [
            0x30, 0x12, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
            0x01, 0x05, 0x00, 0x03, 0x01, 0x00
        ]
    );
}

#[test]
fn pkcs12_legacy_and_modern() {
    let certificate = text("merchant_cert.pem");
    for name in ["apiclient_cert.legacy.p12", "apiclient_cert.modern.p12"] {
        let p12 =
            Pkcs12::parse(&bytes(name), P12_PASSWORD).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p12.serial, MERCHANT_SERIAL, "{name}");
        assert_eq!(p12.certificate_pem.trim(), certificate.trim(), "{name}");
        assert_same_key(&p12.key, name);
        // The certificate is the key's.
        let from_cert = PublicKey::from_pem(&p12.certificate_pem).unwrap();
        assert!(from_cert.verify("m", &p12.key.sign("m").unwrap()), "{name}");
        // Debug shows the serial, never the key.
        let debug = format!("{p12:?}");
        assert!(
            debug.contains(MERCHANT_SERIAL) && debug.contains("redacted"),
            "{debug}"
        );
    }
}

// ---------------------------------------------------------------- bad inputs

#[test]
fn encrypted_key_without_passphrase_asks_for_one() {
    let message = crypto_error(PrivateKey::from_pem(&text(
        "merchant_private_key.encrypted.pem",
    )));
    assert!(message.contains("passphrase"), "{message}");
    assert!(message.contains("from_pem_with_passphrase"), "{message}");
}

#[test]
fn wrong_passphrase_is_named_and_not_echoed() {
    for name in [
        "merchant_private_key.encrypted.pem",
        "merchant_private_key.encrypted-des3.pem",
    ] {
        let message = crypto_error(PrivateKey::from_pem_with_passphrase(
            &text(name),
            "hunter2-secret",
        ));
        assert!(message.contains("passphrase"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}

#[test]
fn legacy_openssl_encrypted_pkcs1_is_named() {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
               DEK-Info: AES-256-CBC,0123456789ABCDEF0123456789ABCDEF\n\nAAAA\n\
               -----END RSA PRIVATE KEY-----\n";
    let message = crypto_error(PrivateKey::from_pem(pem));
    assert!(message.contains("Proc-Type"), "{message}");
    assert!(message.contains("openssl pkcs8 -topk8"), "{message}");
}

#[test]
fn private_key_bad_inputs_name_what_was_expected() {
    let cases: Vec<(&str, Result<PrivateKey, Error>, &str)> = vec![
        ("garbage", PrivateKey::from_pem("not a key"), "PRIVATE KEY"),
        ("empty", PrivateKey::from_pem(""), "PRIVATE KEY"),
        (
            "public key",
            PrivateKey::from_pem(&text("merchant_public_key.pem")),
            "got `PUBLIC KEY`",
        ),
        (
            "certificate",
            PrivateKey::from_pem(&text("merchant_cert.pem")),
            "got `CERTIFICATE`",
        ),
        (
            "missing file",
            PrivateKey::from_pem("file:///nonexistent/apiclient_key.pem"),
            "cannot read key file",
        ),
        (
            "p12 via file://",
            PrivateKey::from_pem(&format!(
                "file://{}",
                path("apiclient_cert.legacy.p12").display()
            )),
            "from_pkcs12",
        ),
        (
            "bare not base64",
            PrivateKey::from_pem("private.pkcs8://%%%"),
            "not base64",
        ),
        (
            "bare junk",
            PrivateKey::from_pem("private.pkcs8://AAAA"),
            "PKCS#8",
        ),
        (
            "PKCS#1 as PKCS#8",
            PrivateKey::from_der(&pem_der("merchant_private_key.pkcs1.pem"), true),
            "PKCS#8",
        ),
        (
            "PKCS#8 as PKCS#1",
            PrivateKey::from_der(&pem_der("merchant_private_key.pem"), false),
            "PKCS#1",
        ),
        (
            "SPKI as PKCS#8",
            PrivateKey::from_der(&pem_der("merchant_public_key.pem"), true),
            "PKCS#8",
        ),
        (
            "encrypted, not PKCS#8 inside",
            PrivateKey::from_pem_with_passphrase(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----",
                "x",
            ),
            "ENCRYPTED PRIVATE KEY",
        ),
    ];
    for (what, result, expected) in cases {
        let message = crypto_error(result);
        assert!(message.contains(expected), "{what}: {message}");
    }
}

#[test]
fn public_key_bad_inputs_name_what_was_expected() {
    let cases: Vec<(&str, Result<PublicKey, Error>, &str)> = vec![
        ("garbage", PublicKey::from_pem("junk"), "PUBLIC KEY"),
        (
            "private key",
            PublicKey::from_pem(&text("merchant_private_key.pem")),
            "got `PRIVATE KEY`",
        ),
        ("junk DER", PublicKey::from_der(b"junk"), "SPKI"),
        ("empty DER", PublicKey::from_der(b""), "SPKI"),
        (
            "bare junk",
            PublicKey::from_pem("public.spki://AAAA"),
            "SPKI",
        ),
        (
            "missing file",
            PublicKey::from_pem("file:///nonexistent/pub_key.pem"),
            "cannot read key file",
        ),
        (
            "broken certificate",
            PublicKey::from_pem("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----"),
            "X.509",
        ),
    ];
    for (what, result, expected) in cases {
        let message = crypto_error(result);
        assert!(message.contains(expected), "{what}: {message}");
    }
}

#[test]
fn pkcs12_bad_inputs_are_typed_errors() {
    let legacy = bytes("apiclient_cert.legacy.p12");
    for name in ["apiclient_cert.legacy.p12", "apiclient_cert.modern.p12"] {
        let message = crypto_error(Pkcs12::parse(&bytes(name), "not-the-mchid"));
        assert!(message.contains("wrong password"), "{name}: {message}");
        assert!(!message.contains("not-the-mchid"), "{message}");
    }
    let message = crypto_error(Pkcs12::parse(b"", P12_PASSWORD));
    assert!(message.contains("PKCS#12"), "{message}");
    let message = crypto_error(Pkcs12::parse(&pem_der("merchant_cert.pem"), P12_PASSWORD));
    assert!(message.contains("PKCS#12"), "{message}");
    crypto_error(PrivateKey::from_pkcs12(
        &legacy[..legacy.len() / 2],
        P12_PASSWORD,
    ));
}

#[test]
fn no_input_panics() {
    // Truncations and bit flips of every fixture, through every parser: each
    // either loads or returns an error, never panics.
    let fixtures = [
        pem_der("merchant_private_key.pem"),
        pem_der("merchant_private_key.pkcs1.pem"),
        pem_der("merchant_private_key.encrypted.pem"),
        pem_der("merchant_public_key.pem"),
        pem_der("merchant_public_key.pkcs1.pem"),
        pem_der("merchant_cert.pem"),
        bytes("apiclient_cert.legacy.p12"),
    ];
    let key = merchant_key();
    for der in &fixtures {
        let step = (der.len() / 40).max(1);
        let mut variants: Vec<Vec<u8>> = (0..der.len())
            .step_by(step)
            .map(|n| der[..n].to_vec())
            .collect();
        variants.extend((0..der.len()).step_by(step * 2).map(|i| {
            let mut flipped = der.clone();
            flipped[i] ^= 0x5A;
            flipped
        }));
        for input in &variants {
            let _ = PrivateKey::from_der(input, true);
            let _ = PrivateKey::from_der(input, false);
            let _ = PublicKey::from_der(input);
            let _ = Pkcs12::parse(input, P12_PASSWORD);
            let b64 = STANDARD.encode(input);
            let _ = PrivateKey::from_pem(&format!("private.pkcs8://{b64}"));
            let _ = PrivateKey::from_pem_with_passphrase(
                &pem_rfc7468::encode_string(
                    "ENCRYPTED PRIVATE KEY",
                    pem_rfc7468::LineEnding::LF,
                    input,
                )
                .unwrap(),
                PASSPHRASE,
            );
            let _ = key.decrypt(&b64);
            let _ = pkcs1_to_spki(input);
        }
    }
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let key = merchant_key();
    let debug = format!("{key:?}");
    assert_eq!(debug, "PrivateKey(<redacted>)");
    let public = format!("{:?}", merchant_public());
    assert!(public.contains("2048"), "{public}");
}
