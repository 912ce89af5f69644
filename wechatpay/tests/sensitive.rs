//! Sensitive fields: encrypted for the key whose serial goes on the wire.

use serde_json::json;
use wechatpay::crypto::PrivateKey;
use wechatpay_sandbox::{Sandbox, SandboxKeys, Stub};

/// WeChat Pay's private key, which only WeChat Pay (here, the sandbox) holds.
fn platform_private(keys: &SandboxKeys) -> PrivateKey {
    PrivateKey::from_pem(&keys.platform_private_key_pem).unwrap()
}

#[test]
fn fields_are_encrypted_and_the_serial_travels_with_them() {
    let sandbox = Sandbox::start_blocking().unwrap();
    sandbox.stub(
        Stub::new("POST", "/v3/applyment4sub/applyment/")
            .json(json!({"applyment_id": 2000002124775691_u64})),
    );
    let keys = sandbox.keys();
    let client = sandbox.client().unwrap();
    let enc = client.encryptor().unwrap();
    assert_eq!(
        enc.serial(),
        keys.public_key_id,
        "the public-key ID is preferred over the certificate"
    );
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
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 1);
    let seen = &seen[0];
    assert_eq!(seen.signature, Ok(()));
    assert_eq!(
        seen.header("Wechatpay-Serial"),
        Some(keys.public_key_id.as_str())
    );
    let body = seen.json().expect("a JSON body");
    let name = body["contact_info"]["contact_name"].as_str().unwrap();
    assert_eq!(
        platform_private(keys).decrypt(name).unwrap(),
        "张三".as_bytes()
    );
    assert_eq!(
        platform_private(keys)
            .decrypt(body["contact_info"]["id_number"].as_str().unwrap())
            .unwrap(),
        b"110101199003077777"
    );
    assert_eq!(body["plain"], "x");
}

#[test]
fn mistakes_are_errors_never_clear_text() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let public_key_id = sandbox.keys().public_key_id.as_str();
    let enc = sandbox.client().unwrap().encryptor().unwrap();
    let mut ran = 0;
    for (opts, pointer) in [
        (json!({"json": {}}), "/json/name"),
        (json!({"json": {"name": 5}}), "/json/name"),
        (json!({"json": {"name": {"x": "y"}}}), "/json/name"),
    ] {
        let e = enc.encrypt_options(opts, &[pointer]).unwrap_err();
        assert!(e.is_options() && e.is_before_send(), "{e:?}");
        ran += 1;
    }
    assert_eq!(ran, 3);
    let conflicting = json!({"json": {"name": "a"}, "headers": {"wechatpay-serial": "OTHER"}});
    let e = enc
        .encrypt_options(conflicting, &["/json/name"])
        .unwrap_err();
    assert!(e.is_options(), "{e:?}");
    let same = json!({"json": {"name": "a"}, "headers": {"Wechatpay-Serial": public_key_id}});
    assert!(enc.encrypt_options(same, &["/json/name"]).is_ok());
}

#[test]
fn certificate_mode_encrypts_for_the_certificate() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let keys = sandbox.keys();
    let client = sandbox.client().unwrap();
    // A merchant that trusts only the platform certificate.
    assert!(client.certs().remove(&keys.public_key_id));
    assert_eq!(
        client.certs().serials(),
        [keys.platform_cert_serial.as_str()]
    );
    let enc = client.encryptor().unwrap();
    assert_eq!(enc.serial(), keys.platform_cert_serial);
    let c = enc.encrypt("secret").unwrap();
    assert_eq!(platform_private(keys).decrypt(&c).unwrap(), b"secret");
}
