//! Media upload (`v3/merchant/media/upload`, 图片上传) with `MediaUtil`,
//! PHP's `Util\MediaUtil`, against the sandbox:
//!
//! ```text
//! cargo run --example media_upload
//! ```
//!
//! The body is multipart (a `meta` part `{"filename":…,"sha256":…}` and the
//! file), and WeChat Pay's signature covers the meta JSON, not the file:
//! `MediaUtil::options()` sends exactly that. The sandbox does not keep
//! media, so a `Stub` answers with a `media_id`; the sandbox still checks
//! the signature as WeChat Pay does. PHP's own shape (`'body' =>
//! $media->getStream()` with a multipart `Content-Type`) is refused with a
//! pointer here, since it would sign the whole body.

use serde_json::{Value, json};
use wechatpay::{ResponseExt, chain, util::media::MediaUtil};
use wechatpay_sandbox::{Sandbox, Stub};

/// A 1×1 PNG, so that the example needs no file of its own.
const PIXEL: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start_blocking()?;
    let client = sandbox.client()?;
    println!("sandbox at {} (a local WeChat Pay)", sandbox.base_uri());
    sandbox.stub(
        Stub::new("POST", "/v3/merchant/media/upload").json(json!({
            "media_id": "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKhaYZhgGDOECl6QQ8MWgLalpnIxTfS2G1dQ09GvGIMsu5p2Ifg-tA"
        })),
    );

    // $media = new MediaUtil('file:///path/to/logo.png');
    let path = std::env::temp_dir().join(format!("wechatpay-logo-{}.png", std::process::id()));
    std::fs::write(&path, PIXEL)?;
    let media = MediaUtil::from_path(&format!("file://{}", path.display()));
    std::fs::remove_file(&path)?;
    let media = media?;
    println!("meta (what is signed): {}", media.meta());
    println!("content type:          {}", media.content_type());

    // $instance->v3->merchant->media->upload->post(['body' => …, 'headers' => …]) becomes:
    let r = chain!(client.v3.merchant.media.upload).post(media.options())?;
    let answer: Value = r.json()?;
    println!(
        "upload:                {} media_id={}",
        r.status().as_u16(),
        answer["media_id"]
    );

    let seen = sandbox.take_requests();
    let upload = seen.last().ok_or("the sandbox saw nothing")?;
    println!(
        "the sandbox got {} bytes of multipart; signature over the meta: {}",
        upload.body.len(),
        if upload.signature.is_ok() {
            "valid"
        } else {
            "INVALID"
        }
    );

    // From bytes in memory (a generated image, say): MediaUtil::new.
    let in_memory = MediaUtil::new("qrcode.png", PIXEL.to_vec())?;
    let r = client["v3/merchant/media/upload"].post(in_memory.options())?;
    println!("upload from memory:    {}", r.status().as_u16());

    // PHP's shape: the file as `body`, a multipart Content-Type. Refused
    // before sending, saying what to write instead.
    let e = client["v3/merchant/media/upload"]
        .post(json!({
            "body": String::from_utf8_lossy(media.body()),
            "headers": {"Content-Type": media.content_type()},
        }))
        .expect_err("PHP's upload shape is refused");
    println!(
        "PHP's shape:           refused ({}): {e}",
        e.is_before_send()
    );
    Ok(())
}
