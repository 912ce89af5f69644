//! RSA keys and crypto, run against whichever backend is compiled in: CI runs
//! this file twice, with the default aws-lc-rs and with `--features rustcrypto`.
//! Fixtures in tests/keys/ were made with the `openssl` CLI; the ones that
//! exist to be refused:
//! - `rsa1024_{private,public}_key.pem`, `rsa1024_cert.pem`: `openssl genpkey
//!   -algorithm RSA -pkeyopt rsa_keygen_bits:1024`, then `openssl pkey
//!   -pubout` and `openssl req -x509 -days 36500`;
//! - `apiclient_cert.nokey.p12`: `openssl pkcs12 -export -nokeys -in
//!   merchant_cert.pem -passout pass:1900000001`;
//! - `apiclient_cert.nocert.p12`: `openssl pkcs12 -export -nocerts -inkey
//!   merchant_private_key.pem -passout pass:1900000001`.
//!
//! Every error a test provokes goes through [`failure`], which also checks
//! that neither its `Display` nor its `Debug` (nor its sources') shows a
//! fixture's key text, a passphrase or a plaintext.

use std::{panic::AssertUnwindSafe, path::PathBuf};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use wechatpay::{
    crypto::{self, CryptoError, Pkcs12, PrivateKey, PublicKey, pkcs1_to_spki},
    util::pem::Certificate,
};

const P12_PASSWORD: &str = "1900000001";
const PASSPHRASE: &str = "test-passphrase";
const WRONG_PASSPHRASE: &str = "hunter2-secret";
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

/// Texts no error may show: every PEM fixture's base64 lines (which also
/// covers the single-line `private.pkcs8://` forms), the passphrases and
/// the OAEP plaintext.
fn secrets() -> Vec<String> {
    let mut secrets: Vec<String> = [
        PASSPHRASE,
        WRONG_PASSPHRASE,
        P12_PASSWORD,
        "110101199003074477",
    ]
    .map(String::from)
    .into();
    let mut fixtures = 0;
    for entry in std::fs::read_dir(path("")).unwrap() {
        let file = entry.unwrap().path();
        if file.extension().is_some_and(|e| e == "pem") {
            fixtures += 1;
            let pem = std::fs::read_to_string(&file).unwrap();
            secrets.extend(
                pem.lines()
                    .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                    .map(String::from),
            );
        }
    }
    assert!(fixtures >= 12, "found only {fixtures} PEM fixtures");
    secrets
}

/// The error of `result`, failing the test on success or when the error, or
/// any of its sources, shows a secret in `Display` or `Debug`.
fn failure<T>(result: Result<T, CryptoError>) -> CryptoError {
    let Err(err) = result else {
        panic!("expected an error")
    };
    let mut shown = vec![err.to_string(), format!("{err:?}"), format!("{err:#?}")];
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        shown.extend([s.to_string(), format!("{s:?}")]);
        source = s.source();
    }
    for secret in secrets() {
        for text in &shown {
            assert!(!text.contains(&secret), "{text} shows {secret:.20}…");
        }
    }
    err
}

/// The error's source, as the type it must be.
fn source_of<S: std::error::Error + 'static>(err: &CryptoError) -> &S {
    std::error::Error::source(err)
        .and_then(|s| s.downcast_ref::<S>())
        .unwrap_or_else(|| panic!("{err:?} has no {} source", std::any::type_name::<S>()))
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
    let err = failure(public.encrypt([0u8; 215]));
    assert!(
        matches!(
            err,
            CryptoError::PlaintextTooLong {
                algorithm: "RSA-OAEP",
                maximum: 214,
                actual: 215,
                key_bits: 2048,
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("214") && message.contains("215"),
        "{message}"
    );
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

    let err = failure(key.decrypt("not base64!"));
    assert!(
        matches!(
            err,
            CryptoError::InvalidBase64 {
                algorithm: "RSA-OAEP",
                ..
            }
        ),
        "{err:?}"
    );
    for (ciphertext, length) in [(STANDARD.encode(&good[..255]), 255), (String::new(), 0)] {
        let err = failure(key.decrypt(&ciphertext));
        assert!(
            matches!(err, CryptoError::CiphertextLengthMismatch { expected: 256, actual, .. } if actual == length),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("256 bytes for a 2048-bit key"),
            "{err}"
        );
    }
    let undecryptable = [
        STANDARD.encode(&tampered),
        for_platform,
        STANDARD.encode([0u8; 256]),
        STANDARD.encode([0xFFu8; 256]),
    ];
    let mut ran = 0;
    for ciphertext in &undecryptable {
        let err = failure(key.decrypt(ciphertext));
        assert!(
            matches!(
                err,
                CryptoError::DecryptionFailed {
                    algorithm: "RSA-OAEP"
                }
            ),
            "{err:?}"
        );
        // No padding oracle: no cause says which check failed.
        assert!(std::error::Error::source(&err).is_none(), "{err:?}");
        ran += 1;
    }
    assert_eq!(ran, 4);
}

#[test]
fn pkcs1_v15_ciphertext_is_refused() {
    // There is no PKCS#1 v1.5 encryption API, and a v1.5 ciphertext (made by
    // `openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:pkcs1`) does not
    // decrypt through OAEP either: no padding oracle, no silent garbage.
    let err = failure(merchant_key().decrypt(&text("merchant_pkcs1v15.b64")));
    assert!(
        matches!(err, CryptoError::DecryptionFailed { .. }),
        "{err:?}"
    );
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
    let err = failure(PrivateKey::from_pem(&text(
        "merchant_private_key.encrypted.pem",
    )));
    assert!(matches!(err, CryptoError::PassphraseRequired), "{err:?}");
    assert!(
        err.to_string().contains("from_pem_with_passphrase"),
        "{err}"
    );
}

#[test]
fn wrong_passphrase_is_named_and_not_echoed() {
    let mut ran = 0;
    for name in [
        "merchant_private_key.encrypted.pem",
        "merchant_private_key.encrypted-des3.pem",
    ] {
        let err = failure(PrivateKey::from_pem_with_passphrase(
            &text(name),
            WRONG_PASSPHRASE,
        ));
        assert!(
            matches!(err, CryptoError::KeyDecryptionFailed { .. }),
            "{name}: {err:?}"
        );
        source_of::<pkcs8::Error>(&err);
        assert!(err.to_string().contains("passphrase"), "{err}");
        ran += 1;
    }
    assert_eq!(ran, 2);
}

#[test]
fn legacy_openssl_encrypted_pkcs1_is_named() {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
               DEK-Info: AES-256-CBC,0123456789ABCDEF0123456789ABCDEF\n\nAAAA\n\
               -----END RSA PRIVATE KEY-----\n";
    let err = failure(PrivateKey::from_pem(pem));
    assert!(matches!(err, CryptoError::LegacyEncryptedPem), "{err:?}");
    assert!(err.to_string().contains("openssl pkcs8 -topk8"), "{err}");
}

#[test]
fn a_missing_key_file_names_the_path_and_keeps_the_io_error() {
    let missing = "/nonexistent/apiclient_key.pem";
    let cases = [
        PrivateKey::from_pem(&format!("file://{missing}")).map(drop),
        PrivateKey::from_pem_with_passphrase(&format!("file://{missing}"), PASSPHRASE).map(drop),
        PublicKey::from_pem(&format!("file://{missing}")).map(drop),
        Certificate::from_pem(&format!("file://{missing}")).map(drop),
        PrivateKey::from_pem_file(missing).map(drop),
        PublicKey::from_pem_file(missing).map(drop),
        Certificate::from_pem_file(missing).map(drop),
    ];
    let mut ran = 0;
    for result in cases {
        let err = failure(result);
        assert!(
            matches!(&err, CryptoError::FileUnreadable { path, .. } if path.to_str() == Some(missing)),
            "{err:?}"
        );
        assert_eq!(
            source_of::<std::io::Error>(&err).kind(),
            std::io::ErrorKind::NotFound
        );
        assert!(err.to_string().contains(missing), "{err}");
        ran += 1;
    }
    assert_eq!(ran, 7);
}

#[test]
fn a_bare_path_to_a_file_loads_as_php_takes_it() {
    let absolute = path("merchant_private_key.pem").display().to_string();
    // Integration tests run from the package root.
    let relative = "tests/keys/merchant_private_key.pem";
    let mut ran = 0;
    for source in [
        absolute.clone(),
        relative.to_string(),
        format!("./{relative}"),
        format!("{absolute}\n"),
    ] {
        let key = PrivateKey::from_pem(&source).unwrap_or_else(|e| panic!("{source:?}: {e}"));
        assert_same_key(&key, &source);
        ran += 1;
    }
    assert_eq!(ran, 4);
    let encrypted = path("merchant_private_key.encrypted.pem");
    let key = PrivateKey::from_pem_with_passphrase(&encrypted.display().to_string(), PASSPHRASE);
    assert_same_key(&key.unwrap(), "encrypted, bare path");
    let public = PublicKey::from_pem(&path("merchant_public_key.pem").display().to_string());
    assert_eq!(
        public.unwrap().spki_der(),
        pem_der("merchant_public_key.pem")
    );
    let certificate = Certificate::from_pem("tests/keys/merchant_cert.pem").unwrap();
    assert_eq!(certificate.serial_number(), MERCHANT_SERIAL);
}

#[test]
fn from_pem_file_reads_the_file_and_nothing_else() {
    assert_same_key(
        &PrivateKey::from_pem_file(path("merchant_private_key.pkcs1.pem")).unwrap(),
        "from_pem_file",
    );
    let public = PublicKey::from_pem_file(path("merchant_cert.pem")).unwrap();
    assert_eq!(public.spki_der(), pem_der("merchant_public_key.pem"));
    // Key text is not a path, and the error does not quote it.
    let pkcs8 = STANDARD.encode(pem_der("merchant_private_key.pem"));
    let mut ran = 0;
    for key_text in [
        text("merchant_private_key.pem"),
        format!("private.pkcs8://{pkcs8}"),
        pkcs8.clone(),
        format!("file://{}", text("merchant_private_key.pem")),
    ] {
        let err = failure(PrivateKey::from_pem_file(&key_text));
        assert!(matches!(err, CryptoError::KeyTextAsPath), "{err:?}");
        ran += 1;
    }
    assert_eq!(ran, 4);
    let err = failure(PublicKey::from_pem(&format!(
        "file://{}",
        text("merchant_public_key.pem")
    )));
    assert!(matches!(err, CryptoError::KeyTextAsPath), "{err:?}");
    let err = failure(PrivateKey::from_pem_file(path("apiclient_cert.legacy.p12")));
    assert!(
        matches!(&err, CryptoError::FileNotText { path: p, .. } if p.ends_with("apiclient_cert.legacy.p12")),
        "{err:?}"
    );
    source_of::<std::str::Utf8Error>(&err);
    let err = failure(PrivateKey::from_pem_file(path(
        "merchant_private_key.encrypted.pem",
    )));
    assert!(matches!(err, CryptoError::PassphraseRequired), "{err:?}");
}

#[test]
fn a_bare_path_to_nothing_gets_the_hint() {
    let keys_dir = path("").display().to_string();
    let looks_like_paths = [
        "/nonexistent/apiclient_key.pem",
        "./apiclient_key.pem",
        "../certs/apiclient_key",
        "~/certs/apiclient_key.pem",
        "apiclient_key.key",
        "apiclient_cert.crt",
        "wechatpay.cer",
        keys_dir.as_str(), // a directory, not a file
    ];
    let mut ran = 0;
    for source in looks_like_paths {
        let results = [
            PrivateKey::from_pem(source).map(drop),
            PrivateKey::from_pem_with_passphrase(source, PASSPHRASE).map(drop),
            PublicKey::from_pem(source).map(drop),
            Certificate::from_pem(source).map(drop),
        ];
        for result in results {
            let err = failure(result);
            assert!(
                matches!(&err, CryptoError::NoFileAtPath { path } if path.to_str() == Some(source)),
                "{source}: {err:?}"
            );
            let message = err.to_string();
            for hint in [
                "looks like a path",
                "no file there",
                "`file://`",
                "`from_pem_file`",
            ] {
                assert!(message.contains(hint), "{source}: {message}");
            }
            assert_eq!(
                message.contains("`~` is not expanded"),
                source.starts_with('~'),
                "{message}"
            );
            ran += 1;
        }
    }
    assert_eq!(ran, 8 * 4);
    // Text that is neither PEM nor path-like still gets the PEM parser's reason.
    let mut ran = 0;
    for source in [
        "not a key",
        "apiclient_key",
        "",
        "-----BEGIN PRIVATE KEY-----",
    ] {
        let err = failure(PrivateKey::from_pem(source));
        assert!(
            matches!(err, CryptoError::InvalidPem { .. }),
            "{source:?}: {err:?}"
        );
        ran += 1;
    }
    assert_eq!(ran, 4);
}

/// A check on an error, with what it looks for.
type Expect = (&'static str, fn(&CryptoError) -> bool);

const INVALID_PEM: Expect = ("InvalidPem", |e| {
    matches!(e, CryptoError::InvalidPem { .. })
});
const INVALID_CERTIFICATE: Expect = ("InvalidCertificate", |e| {
    matches!(e, CryptoError::InvalidCertificate { .. })
});
const TOO_SMALL: Expect = ("UnsupportedKeySize", |e| {
    matches!(e, CryptoError::UnsupportedKeySize { bits: 1024 })
});

fn label(err: &CryptoError, expected: &str) -> bool {
    matches!(err, CryptoError::UnexpectedPemLabel { found, .. } if found == expected)
}

fn rejected(err: &CryptoError, encoding: &str) -> bool {
    matches!(err, CryptoError::KeyRejected { expected, .. } if expected.contains(encoding))
}

/// Runs `cases`, checking each error and that `Display` names what was
/// expected; returns how many ran.
fn check_cases<T>(cases: Vec<(&str, Result<T, CryptoError>, Expect, &str)>) -> usize {
    let mut ran = 0;
    for (what, result, (variant, check), says) in cases {
        let err = failure(result);
        assert!(check(&err), "{what}: expected {variant}, got {err:?}");
        assert!(err.to_string().contains(says), "{what}: {err}");
        ran += 1;
    }
    ran
}

#[test]
fn private_key_bad_inputs_are_typed_errors() {
    let cases: Vec<(&str, Result<PrivateKey, CryptoError>, Expect, &str)> = vec![
        (
            "garbage",
            PrivateKey::from_pem("not a key"),
            INVALID_PEM,
            "PRIVATE KEY",
        ),
        (
            "empty",
            PrivateKey::from_pem(""),
            INVALID_PEM,
            "PRIVATE KEY",
        ),
        (
            "public key",
            PrivateKey::from_pem(&text("merchant_public_key.pem")),
            ("UnexpectedPemLabel", |e| label(e, "PUBLIC KEY")),
            "got `PUBLIC KEY`",
        ),
        (
            "certificate",
            PrivateKey::from_pem(&text("merchant_cert.pem")),
            ("UnexpectedPemLabel", |e| label(e, "CERTIFICATE")),
            "got `CERTIFICATE`",
        ),
        (
            "p12 via file://",
            PrivateKey::from_pem(&format!(
                "file://{}",
                path("apiclient_cert.legacy.p12").display()
            )),
            ("FileNotText", |e| {
                matches!(e, CryptoError::FileNotText { .. })
            }),
            "from_pkcs12",
        ),
        (
            "bare not base64",
            PrivateKey::from_pem("private.pkcs8://%%%"),
            ("InvalidBareKey", |e| {
                matches!(
                    e,
                    CryptoError::InvalidBareKey {
                        scheme: "private.pkcs8"
                    }
                )
            }),
            "not base64",
        ),
        (
            "bare junk",
            PrivateKey::from_pem("private.pkcs8://AAAA"),
            ("KeyRejected", |e| rejected(e, "PKCS#8")),
            "PKCS#8",
        ),
        (
            "PKCS#1 as PKCS#8",
            PrivateKey::from_der(&pem_der("merchant_private_key.pkcs1.pem"), true),
            ("KeyRejected", |e| rejected(e, "PKCS#8")),
            "PKCS#8",
        ),
        (
            "PKCS#8 as PKCS#1",
            PrivateKey::from_der(&pem_der("merchant_private_key.pem"), false),
            ("KeyRejected", |e| rejected(e, "PKCS#1")),
            "PKCS#1",
        ),
        (
            "SPKI as PKCS#8",
            PrivateKey::from_der(&pem_der("merchant_public_key.pem"), true),
            ("KeyRejected", |e| rejected(e, "PKCS#8")),
            "PKCS#8",
        ),
        (
            "encrypted, not PKCS#8 inside",
            PrivateKey::from_pem_with_passphrase(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----",
                "x",
            ),
            ("InvalidEncryptedKey", |e| {
                matches!(e, CryptoError::InvalidEncryptedKey { .. })
            }),
            "ENCRYPTED PRIVATE KEY",
        ),
        (
            "1024-bit key",
            PrivateKey::from_pem(&text("rsa1024_private_key.pem")),
            TOO_SMALL,
            "2048 to 8192 bits",
        ),
    ];
    assert_eq!(check_cases(cases), 12);
}

#[test]
fn public_key_bad_inputs_are_typed_errors() {
    // An Ed25519 SPKI (RFC 8410's example key).
    let ed25519 = STANDARD
        .decode("MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=")
        .unwrap();
    let cases: Vec<(&str, Result<PublicKey, CryptoError>, Expect, &str)> = vec![
        (
            "garbage",
            PublicKey::from_pem("junk"),
            INVALID_PEM,
            "PUBLIC KEY",
        ),
        (
            "private key",
            PublicKey::from_pem(&text("merchant_private_key.pem")),
            ("UnexpectedPemLabel", |e| label(e, "PRIVATE KEY")),
            "got `PRIVATE KEY`",
        ),
        (
            "junk DER",
            PublicKey::from_der(b"junk"),
            ("KeyRejected", |e| rejected(e, "SPKI")),
            "SPKI",
        ),
        (
            "empty DER",
            PublicKey::from_der(b""),
            ("KeyRejected", |e| rejected(e, "SPKI")),
            "SPKI",
        ),
        (
            "bare junk",
            PublicKey::from_pem("public.spki://AAAA"),
            ("KeyRejected", |e| rejected(e, "SPKI")),
            "SPKI",
        ),
        (
            "bare not base64",
            PublicKey::from_pem("public.pkcs1://%%%"),
            ("InvalidBareKey", |e| {
                matches!(
                    e,
                    CryptoError::InvalidBareKey {
                        scheme: "public.pkcs1"
                    }
                )
            }),
            "public.pkcs1://",
        ),
        (
            "broken certificate",
            PublicKey::from_pem("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----"),
            INVALID_CERTIFICATE,
            "X.509",
        ),
        (
            "1024-bit key",
            PublicKey::from_pem(&text("rsa1024_public_key.pem")),
            TOO_SMALL,
            "got 1024 bits",
        ),
        (
            "Ed25519",
            PublicKey::from_der(&ed25519),
            (
                "UnsupportedKeyAlgorithm",
                |e| matches!(e, CryptoError::UnsupportedKeyAlgorithm { algorithm } if algorithm.to_string() == "1.3.101.112"),
            ),
            "1.3.101.112",
        ),
    ];
    assert_eq!(check_cases(cases), 9);
}

#[test]
fn certificate_bad_inputs_are_typed_errors() {
    let cases: Vec<(&str, Result<Certificate, CryptoError>, Expect, &str)> = vec![
        (
            "garbage",
            Certificate::from_pem("junk"),
            INVALID_PEM,
            "X.509 `CERTIFICATE`",
        ),
        (
            "public key",
            Certificate::from_pem(&text("merchant_public_key.pem")),
            ("UnexpectedPemLabel", |e| label(e, "PUBLIC KEY")),
            "expected an X.509 `CERTIFICATE` PEM, got `PUBLIC KEY`",
        ),
        (
            "junk DER",
            Certificate::from_der(b"junk"),
            INVALID_CERTIFICATE,
            "not an X.509 certificate",
        ),
        (
            "SPKI DER",
            Certificate::from_der(&pem_der("merchant_public_key.pem")),
            INVALID_CERTIFICATE,
            "X.509",
        ),
        (
            "a 1024-bit key inside",
            Certificate::from_pem(&text("rsa1024_cert.pem")),
            TOO_SMALL,
            "got 1024 bits",
        ),
    ];
    assert_eq!(check_cases(cases), 5);
}

#[test]
fn truncated_der_is_refused_with_the_parsers_reason() {
    use x509_cert::der::ErrorKind;
    let certificate = pem_der("merchant_cert.pem");
    let key = pem_der("merchant_private_key.pem");
    let encrypted = pem_der("merchant_private_key.encrypted.pem");
    let mut ran = 0;
    for cut in [1, 4, certificate.len() / 2, certificate.len() - 1] {
        let err = failure(Certificate::from_der(&certificate[..cut]));
        assert!(
            matches!(err, CryptoError::InvalidCertificate { .. }),
            "{cut}: {err:?}"
        );
        let source = source_of::<x509_cert::der::Error>(&err);
        assert!(
            matches!(source.kind(), ErrorKind::Incomplete { .. }),
            "{cut}: {source:?}"
        );
        ran += 1;
    }
    for cut in [1, 4, key.len() / 2, key.len() - 1] {
        let err = failure(PrivateKey::from_der(&key[..cut], true));
        assert!(rejected(&err, "PKCS#8"), "{cut}: {err:?}");
        ran += 1;
    }
    for cut in [1, 4, encrypted.len() / 2, encrypted.len() - 1] {
        let pem = pem_rfc7468::encode_string(
            "ENCRYPTED PRIVATE KEY",
            pem_rfc7468::LineEnding::LF,
            &encrypted[..cut],
        )
        .unwrap();
        let err = failure(PrivateKey::from_pem_with_passphrase(&pem, PASSPHRASE));
        assert!(
            matches!(err, CryptoError::InvalidEncryptedKey { .. }),
            "{cut}: {err:?}"
        );
        source_of::<pkcs8::Error>(&err);
        ran += 1;
    }
    assert_eq!(ran, 12);
}

#[test]
fn pkcs12_bad_inputs_are_typed_errors() {
    use p12_keystore::error::Error as P12Error;
    let legacy = bytes("apiclient_cert.legacy.p12");
    let mut ran = 0;
    for name in ["apiclient_cert.legacy.p12", "apiclient_cert.modern.p12"] {
        let err = failure(Pkcs12::parse(&bytes(name), "not-the-mchid"));
        assert!(
            matches!(err, CryptoError::Pkcs12Rejected { .. }),
            "{name}: {err:?}"
        );
        assert!(
            matches!(source_of::<P12Error>(&err), P12Error::MacError(_)),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains("wrong password"), "{name}: {err}");
        assert!(!err.to_string().contains("not-the-mchid"), "{err}");
        ran += 1;
    }
    assert_eq!(ran, 2);
    for input in [&b""[..], &pem_der("merchant_cert.pem")] {
        let err = failure(Pkcs12::parse(input, P12_PASSWORD));
        assert!(matches!(err, CryptoError::Pkcs12Rejected { .. }), "{err:?}");
        assert!(err.to_string().contains("PKCS#12"), "{err}");
    }
    let err = failure(PrivateKey::from_pkcs12(
        &legacy[..legacy.len() / 2],
        P12_PASSWORD,
    ));
    assert!(matches!(err, CryptoError::Pkcs12Rejected { .. }), "{err:?}");
    let err = failure(Pkcs12::parse(
        &bytes("apiclient_cert.nokey.p12"),
        P12_PASSWORD,
    ));
    assert!(matches!(err, CryptoError::Pkcs12NoPrivateKey), "{err:?}");
    let err = failure(Pkcs12::parse(
        &bytes("apiclient_cert.nocert.p12"),
        P12_PASSWORD,
    ));
    assert!(
        matches!(
            err,
            CryptoError::Pkcs12NoMatchingCertificate { certificates: 0 }
        ),
        "{err:?}"
    );
}

#[test]
fn the_leak_check_catches_a_leak() {
    // `failure` must be able to fail: an error that quotes a key line trips it.
    let key_line = text("merchant_private_key.pem")
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let leaky = CryptoError::UnexpectedPemLabel {
        expected: "anything",
        found: key_line,
    };
    let caught = std::panic::catch_unwind(AssertUnwindSafe(|| failure::<()>(Err(leaky))));
    assert!(caught.is_err(), "the leak check let a key line through");
    failure::<()>(Err(CryptoError::PassphraseRequired));
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
