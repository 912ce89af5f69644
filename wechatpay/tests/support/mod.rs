//! The identity the PHP SDK was recorded with (`tests/keys/`), and the
//! sandbox configured with it. No server here: the sandbox is the one fake
//! WeChat Pay the tests talk to, so signing and checking live in one place.
#![allow(dead_code)]

pub mod receiver;

use serde_json::{Map, Value};
use wechatpay::{
    Builder,
    crypto::{PrivateKey, PublicKey},
};
use wechatpay_sandbox::{RecordedRequest, Sandbox, SandboxBuilder, SandboxKeys};

pub const MCHID: &str = "1900000001";
pub const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0119000000012025010100000000000001";
pub const CERT_SERIAL: &str = "7132D72A03E93CDDF8C03BBD1F37EEDF843BB0CE";
/// The APIv2 secret `tests/conformance/v2.jsonl` was recorded with.
pub const SECRET: &str = "oracle-test-apiv2-secret-32bytes!";
/// Any 32 bytes: no recording depends on the APIv3 key.
pub const APIV3_KEY: &str = "conformance-apiv3-key-32-bytes!!";

pub fn key_path(name: &str) -> String {
    format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A file of `tests/keys/` as text.
pub fn key_text(name: &str) -> String {
    std::fs::read_to_string(key_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn merchant_key() -> PrivateKey {
    PrivateKey::from_pem(&format!("file://{}", key_path("merchant_private_key.pem"))).unwrap()
}

pub fn platform_key() -> PrivateKey {
    PrivateKey::from_pem(&format!("file://{}", key_path("platform_private_key.pem"))).unwrap()
}

/// The conformance identity as the sandbox takes it.
pub fn conformance_keys() -> SandboxKeys {
    SandboxKeys {
        mchid: MCHID.into(),
        serial: SERIAL.into(),
        merchant_private_key_pem: key_text("merchant_private_key.pem"),
        merchant_cert_pem: key_text("merchant_cert.pem"),
        public_key_id: PUB_KEY_ID.into(),
        platform_public_key_pem: key_text("platform_public_key.pem"),
        platform_cert_pem: key_text("platform_cert.pem"),
        platform_cert_serial: CERT_SERIAL.into(),
        platform_private_key_pem: key_text("platform_private_key.pem"),
        apiv3_key: APIV3_KEY.into(),
        apiv2_secret: SECRET.into(),
    }
}

/// A sandbox builder with the conformance identity, for more options (TLS).
pub fn conformance_sandbox_builder() -> SandboxBuilder {
    Sandbox::builder().keys(conformance_keys())
}

/// A plain-HTTP sandbox with the conformance identity.
pub fn conformance_sandbox() -> Sandbox {
    conformance_sandbox_builder().start_blocking().unwrap()
}

/// A builder for APIv3 in public-key mode, as PHP's `$instance` was
/// configured for the APIv3 recordings.
pub fn php_v3(base_uri: &str) -> Builder {
    Builder::new()
        .mchid(MCHID)
        .serial(SERIAL)
        .private_key(merchant_key())
        .cert(
            PUB_KEY_ID,
            PublicKey::from_pem(&key_text("platform_public_key.pem")).unwrap(),
        )
        .base_uri(base_uri)
}

/// [`php_v3`] plus the APIv2 secret, as `$instance` was for the APIv2 recordings.
pub fn php_instance(base_uri: &str) -> Builder {
    php_v3(base_uri).secret(SECRET)
}

/// A builder configured as PHP's `$instanceCert`: APIv3 trusting the
/// platform certificate only.
pub fn php_instance_cert(base_uri: &str) -> Builder {
    Builder::new()
        .mchid(MCHID)
        .serial(SERIAL)
        .private_key(merchant_key())
        .cert(
            CERT_SERIAL,
            PublicKey::from_pem(&key_text("platform_cert.pem")).unwrap(),
        )
        .base_uri(base_uri)
}

/// A builder for a merchant on APIv2 alone: mchid and secret.
pub fn v2_only(base_uri: &str) -> Builder {
    Builder::new()
        .mchid(MCHID)
        .secret(SECRET)
        .base_uri(base_uri)
}

/// The APIv2 fields a request carried (the query of a GET, else the XML
/// body); the test fails when there are none.
pub fn v2_fields(seen: &RecordedRequest) -> Map<String, Value> {
    seen.v2_fields()
        .unwrap_or_else(|| panic!("{} {}: no APIv2 fields", seen.method, seen.target))
}
