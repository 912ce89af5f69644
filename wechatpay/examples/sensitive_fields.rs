//! Sensitive fields (敏感信息加解密): names, ID and phone numbers encrypted
//! with WeChat Pay's public key on the way out, with the `Wechatpay-Serial`
//! of that key; and a field WeChat Pay encrypted for the merchant decrypted
//! with the merchant key on the way back. Against the sandbox:
//!
//! ```text
//! cargo run --example sensitive_fields
//! ```
//!
//! PHP encrypts with `Rsa::encrypt($text, $platformPublicKeyInstance)` and
//! leaves the header to the caller, who can send one key's ciphertext with
//! another key's serial. `client.encryptor()` pairs the two: it picks one of
//! the client's WeChat Pay keys (the public key when there is one) and
//! `encrypt_options` encrypts the fields it is pointed at and sets the
//! header. The sandbox does not model merchant onboarding, so a `Stub`
//! answers `v3/applyment4sub/applyment/`.

use serde_json::{Value, json};
use wechatpay::{
    ResponseExt,
    crypto::{PrivateKey, PublicKey},
};
use wechatpay_sandbox::{Sandbox, Stub};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start_blocking()?;
    let client = sandbox.client()?;
    let keys = sandbox.keys();
    println!("sandbox at {} (a local WeChat Pay)", sandbox.base_uri());
    sandbox.stub(
        Stub::new("POST", "/v3/applyment4sub/applyment/")
            .json(json!({"applyment_id": 2000002124775691_u64})),
    );

    let encryptor = client.encryptor()?;
    println!("encrypting for:  {}", encryptor.serial());
    let options = encryptor.encrypt_options(
        json!({"json": {
            "business_code": "1900013511_10000",
            "contact_info": {
                "contact_type": "LEGAL",
                "contact_name": "张三",
                "mobile_phone": "13900000000",
                "contact_email": "admin@example.com",
            },
        }}),
        &[
            "/json/contact_info/contact_name",
            "/json/contact_info/mobile_phone",
            "/json/contact_info/contact_email",
        ],
    )?;
    let r = client["v3/applyment4sub/applyment/"].post(options)?;
    let answer: Value = r.json()?;
    println!(
        "applyment:       {} applyment_id={}",
        r.status().as_u16(),
        answer["applyment_id"]
    );

    // What went over the wire: ciphertext, and the serial of the key used.
    let seen = sandbox.take_requests();
    let sent = seen.last().ok_or("the sandbox saw nothing")?;
    let body = sent.json().ok_or("the body is not JSON")?;
    let name = body["contact_info"]["contact_name"]
        .as_str()
        .ok_or("no contact_name was sent")?;
    println!("Wechatpay-Serial: {:?}", sent.headers["wechatpay-serial"]);
    println!(
        "contact_name:    {}… ({} characters of base64)",
        &name[..24],
        name.len()
    );
    // Only WeChat Pay's private key opens it (the sandbox holds it).
    let platform = PrivateKey::from_pem(&keys.platform_private_key_pem)?;
    println!(
        "WeChat Pay reads: {}",
        String::from_utf8(platform.decrypt(name)?)?
    );

    // A pointer to nothing is an error: a field must never go out in clear text.
    let e = encryptor
        .encrypt_options(
            json!({"json": {"contact_info": {}}}),
            &["/json/contact_info/contact_name"],
        )
        .expect_err("a missing field is refused");
    println!("missing field:   {e}");

    // The other way: WeChat Pay encrypts sensitive answer fields with the
    // merchant's certificate; the merchant's private key decrypts them.
    let merchant_cert = PublicKey::from_pem(&keys.merchant_cert_pem)?;
    sandbox.stub(
        Stub::new(
            "GET",
            "/v3/applyment4sub/applyment/applyment_id/2000002124775691",
        )
        .json(json!({
            "applyment_state": "APPLYMENT_STATE_FINISHED",
            "account_validation": {"account_name": merchant_cert.encrypt("张三")?},
        })),
    );
    let state: Value = client["v3/applyment4sub/applyment/applyment_id/2000002124775691"]
        .get(())?
        .json()?;
    let cipher = state["account_validation"]["account_name"]
        .as_str()
        .ok_or("no account_name")?;
    let merchant_key = PrivateKey::from_pem(&keys.merchant_private_key_pem)?;
    println!(
        "answer field:    {} → {}",
        state["applyment_state"],
        String::from_utf8(merchant_key.decrypt(cipher)?)?
    );
    Ok(())
}
