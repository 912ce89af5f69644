//! Media upload: multipart on the wire, the signature over the meta JSON only.

mod support;

use support::TestServer;
use wechatpay::{Error, util::media::MediaUtil};

#[test]
fn upload_is_signed_over_meta_and_carries_the_file() {
    let server = TestServer::start();
    let client = server.client();
    let png = b"\x89PNG\r\n\x1a\n not really an image".to_vec();
    let media = MediaUtil::new("logo.png", png.clone()).unwrap();
    client
        .chain("v3/merchant/media/upload")
        .post(media.options())
        .unwrap();
    let seen = &server.seen()[0];
    assert!(
        seen.signature_ok,
        "signed over the meta JSON, as WeChat Pay checks it"
    );
    assert!(
        seen.signed_message
            .ends_with(&format!("{}\n", media.meta()))
    );
    let ct = seen.headers["content-type"].to_str().unwrap();
    assert_eq!(ct, media.content_type());
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
    let server = TestServer::start();
    let path = std::env::temp_dir().join(format!(
        "wechatpay-media-{}.jpg",
        wechatpay::formatter::nonce(6)
    ));
    std::fs::write(&path, [0xFF, 0xD8, 0xFF, 0xE0]).unwrap();
    let media = MediaUtil::from_path(&format!("file://{}", path.display())).unwrap();
    std::fs::remove_file(&path).unwrap();
    server
        .client()
        .chain("v3/marketing/favor/media/image-upload")
        .post(media.options())
        .unwrap();
    let seen = &server.seen()[0];
    assert!(seen.signature_ok);
    assert!(String::from_utf8_lossy(&seen.body).contains("Content-Type: image/jpeg"));
}

#[test]
fn an_upload_with_another_body_is_refused_before_sending() {
    let server = TestServer::start();
    let client = server.client();
    let media = MediaUtil::new("a.png", vec![1]).unwrap();
    let mut both = media.options();
    both.as_map_mut()
        .insert("json".into(), serde_json::json!({}));
    assert!(matches!(
        client.chain("v3/merchant/media/upload").post(both),
        Err(Error::Options(_))
    ));
    assert!(matches!(
        client.chain("v2/x").post(media.options()),
        Err(Error::Options(_) | Error::Config(_))
    ));
    assert!(server.seen().is_empty());
}
