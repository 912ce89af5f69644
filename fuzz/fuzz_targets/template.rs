//! Any template with any options: never a panic, and whatever is sent
//! stays under the base URI (a value can change neither host nor path
//! prefix).
#![no_main]

mod common;

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;

fn client() -> &'static wechatpay::Client {
    static CLIENT: OnceLock<wechatpay::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        common::client(
            common::Answer(Arc::new(|r| {
                let uri = r.uri().to_string();
                assert!(uri.starts_with(common::BASE), "left the base: {uri}");
                http::Response::new(bytes::Bytes::new())
            })),
            true,
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let (template, options) = common::split(data);
    let template = String::from_utf8_lossy(template);
    let options: serde_json::Value = serde_json::from_slice(options).unwrap_or_else(|_| {
        serde_json::json!({"x": String::from_utf8_lossy(options), "id": "A1"})
    });
    let _ = client().chain(&template).request(http::Method::POST, options);
});
