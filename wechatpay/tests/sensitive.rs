//! Sensitive fields: encrypted for the key whose serial goes on the wire.

mod support;

use serde_json::json;
use support::{PUB_KEY_ID, TestServer};
use wechatpay::{Error, crypto::PrivateKey};

fn platform_private() -> PrivateKey {
    support::platform_key()
}

#[test]
fn fields_are_encrypted_and_the_serial_travels_with_them() {
    let server = TestServer::start();
    let client = server.client();
    let enc = client.encryptor().unwrap();
    assert_eq!(enc.serial(), PUB_KEY_ID);
    let opts = enc
        .encrypt_options(
            json!({"json": {"contact_info": {"contact_name": "张三", "id_number": "110101199003077777"}, "plain": "x"}}),
            &["/json/contact_info/contact_name", "/json/contact_info/id_number"],
        )
        .unwrap();
    client
        .chain("v3/applyment4sub/applyment/")
        .post(opts)
        .unwrap();
    let seen = &server.seen()[0];
    assert_eq!(seen.headers["Wechatpay-Serial"], PUB_KEY_ID);
    let body: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    let name = body["contact_info"]["contact_name"].as_str().unwrap();
    assert_eq!(platform_private().decrypt(name).unwrap(), "张三".as_bytes());
    assert_eq!(
        platform_private()
            .decrypt(body["contact_info"]["id_number"].as_str().unwrap())
            .unwrap(),
        b"110101199003077777"
    );
    assert_eq!(body["plain"], "x");
}

#[test]
fn mistakes_are_errors_never_clear_text() {
    let server = TestServer::start();
    let enc = server.client().encryptor().unwrap();
    for (opts, pointer) in [
        (json!({"json": {}}), "/json/name"),
        (json!({"json": {"name": 5}}), "/json/name"),
        (json!({"json": {"name": {"x": "y"}}}), "/json/name"),
    ] {
        assert!(matches!(
            enc.encrypt_options(opts, &[pointer]),
            Err(Error::Options(_))
        ));
    }
    let conflicting = json!({"json": {"name": "a"}, "headers": {"wechatpay-serial": "OTHER"}});
    assert!(matches!(
        enc.encrypt_options(conflicting, &["/json/name"]),
        Err(Error::Options(_))
    ));
    let same = json!({"json": {"name": "a"}, "headers": {"Wechatpay-Serial": PUB_KEY_ID}});
    assert!(enc.encrypt_options(same, &["/json/name"]).is_ok());
}

#[test]
fn certificate_mode_encrypts_for_the_certificate() {
    let server = TestServer::start();
    let enc = server.cert_client().encryptor().unwrap();
    assert_eq!(enc.serial(), support::CERT_SERIAL);
    let c = enc.encrypt("secret").unwrap();
    assert_eq!(platform_private().decrypt(&c).unwrap(), b"secret");
}
