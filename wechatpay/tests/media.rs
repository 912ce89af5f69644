//! Media upload: multipart on the wire, the signature over the meta JSON only.

use serde_json::json;
use wechatpay::{crypto::PrivateKey, formatter, util::media::MediaUtil};
use wechatpay_sandbox::{RecordedRequest, Sandbox, SandboxKeys, Stub};

/// A sandbox that answers uploads to `path` with a media ID, as WeChat Pay does.
fn sandbox_for(path: &str) -> Sandbox {
    let sandbox = Sandbox::start_blocking().unwrap();
    sandbox.stub(
        Stub::new("POST", path).json(
            json!({"media_id": "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKhTG7FUmg9sxNTbRN54dFiUHnhg"}),
        ),
    );
    sandbox
}

/// Whether `seen`'s `Authorization` signs exactly `text` as its body,
/// checked here with the merchant's public key, apart from the sandbox.
fn signed_over(keys: &SandboxKeys, seen: &RecordedRequest, text: &str) -> bool {
    let auth = seen.header("Authorization").expect("an Authorization");
    let params = auth
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .expect("the WeChat Pay scheme");
    let get = |k: &str| {
        params
            .split(',')
            .find_map(|p| p.strip_prefix(k)?.strip_prefix("=\"")?.strip_suffix('"'))
            .unwrap_or_else(|| panic!("no {k} in {auth}"))
    };
    let message = formatter::request(
        &seen.method,
        &seen.target,
        get("timestamp"),
        get("nonce_str"),
        text,
    );
    let merchant = PrivateKey::from_pem(&keys.merchant_private_key_pem)
        .unwrap()
        .public_key()
        .unwrap();
    merchant.verify(message, get("signature"))
}

#[test]
fn upload_is_signed_over_meta_and_carries_the_file() {
    let sandbox = sandbox_for("/v3/merchant/media/upload");
    let client = sandbox.client().unwrap();
    let png = b"\x89PNG\r\n\x1a\n not really an image".to_vec();
    let media = MediaUtil::new("logo.png", png.clone()).unwrap();
    client
        .chain("v3/merchant/media/upload")
        .post(media.options())
        .unwrap();
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 1);
    let seen = &seen[0];
    assert_eq!(
        seen.signature,
        Ok(()),
        "signed over the meta JSON, as WeChat Pay checks it"
    );
    assert!(signed_over(sandbox.keys(), seen, media.meta()));
    assert!(
        !signed_over(sandbox.keys(), seen, &String::from_utf8_lossy(&seen.body)),
        "not over the whole multipart body"
    );
    assert_eq!(seen.header("Content-Type"), Some(media.content_type()));
    assert!(
        seen.body.windows(png.len()).any(|w| w == png.as_slice()),
        "file bytes on the wire"
    );
    let meta: serde_json::Value = serde_json::from_str(media.meta()).unwrap();
    assert_eq!(meta["filename"], "logo.png");
    assert_eq!(meta["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn upload_from_a_file_path() {
    let sandbox = sandbox_for("/v3/marketing/favor/media/image-upload");
    let path = std::env::temp_dir().join(format!(
        "wechatpay-media-{}.jpg",
        wechatpay::formatter::nonce(6)
    ));
    std::fs::write(&path, [0xFF, 0xD8, 0xFF, 0xE0]).unwrap();
    let media = MediaUtil::from_path(&format!("file://{}", path.display())).unwrap();
    std::fs::remove_file(&path).unwrap();
    sandbox
        .client()
        .unwrap()
        .chain("v3/marketing/favor/media/image-upload")
        .post(media.options())
        .unwrap();
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].signature, Ok(()));
    assert!(String::from_utf8_lossy(&seen[0].body).contains("Content-Type: image/jpeg"));
}

#[test]
fn an_upload_with_another_body_is_refused_before_sending() {
    let sandbox = sandbox_for("/v3/merchant/media/upload");
    let client = sandbox.client().unwrap();
    let media = MediaUtil::new("a.png", vec![1]).unwrap();
    let mut both = media.options();
    both.as_map_mut()
        .insert("json".into(), serde_json::json!({}));
    let e = client
        .chain("v3/merchant/media/upload")
        .post(both)
        .unwrap_err();
    assert!(e.is_options() && e.is_before_send(), "{e:?}");
    let e = client.chain("v2/x").post(media.options()).unwrap_err();
    assert!(
        (e.is_options() || e.is_config()) && e.is_before_send(),
        "{e:?}"
    );
    assert!(sandbox.requests().is_empty());
}
