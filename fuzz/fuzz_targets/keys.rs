//! Key and certificate loading from any bytes, as PEM text, DER and
//! PKCS#12: never a panic. (PEM text that looks like a path is not fed:
//! a path is read from disk, which is not what is fuzzed here.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use wechatpay::{
    crypto::{Pkcs12, PrivateKey, PublicKey},
    util::pem::Certificate,
};

fuzz_target!(|data: &[u8]| {
    let _ = PrivateKey::from_der(data, true);
    let _ = PrivateKey::from_der(data, false);
    let _ = PublicKey::from_der(data);
    let _ = Certificate::from_der(data);
    let _ = Pkcs12::parse(data, "1900000001");
    let text = format!("-----BEGIN PRIVATE KEY-----\n{}", String::from_utf8_lossy(data));
    let _ = PrivateKey::from_pem(&text);
    let _ = PrivateKey::from_pem_with_passphrase(&text, "pw");
    let text = format!("-----BEGIN {}", String::from_utf8_lossy(data));
    let _ = PublicKey::from_pem(&text);
    let _ = Certificate::from_pem(&text);
});
