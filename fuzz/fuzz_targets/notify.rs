//! Any callback: never a panic, never accepted unsigned, and decryption of
//! any body (checked separately) fails cleanly.
#![no_main]

mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wechatpay::{CertStore, crypto::PublicKey, notify::NotifyVerifier};

fn verifier() -> &'static NotifyVerifier {
    static V: OnceLock<NotifyVerifier> = OnceLock::new();
    V.get_or_init(|| {
        let store = CertStore::default();
        store.insert(common::PUB_KEY_ID, PublicKey::from_pem(common::PLATFORM_PUBLIC).unwrap());
        NotifyVerifier::new(store, "0123456789abcdef0123456789abcdef").unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let (head, body) = common::split(data);
    let mut headers = http::HeaderMap::new();
    let names = ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial", "Wechatpay-Signature"];
    for (i, piece) in head.split(|&b| b == b';').enumerate() {
        if let Ok(v) = http::HeaderValue::from_bytes(piece) {
            headers.append(names[i % names.len()], v);
        }
    }
    assert!(verifier().handle(&headers, body).is_err());
    let _ = verifier().decrypt(body);
});
