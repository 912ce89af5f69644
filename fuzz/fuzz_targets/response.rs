//! Any answer (status, WeChat Pay's headers, repeated or not, any body):
//! never a panic, and never accepted, since no valid signature can be
//! forged without the platform key.
#![no_main]

mod common;

use std::sync::{Arc, Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;

static ANSWER: Mutex<Option<wechatpay::Response>> = Mutex::new(None);

fn client() -> &'static wechatpay::Client {
    static CLIENT: OnceLock<wechatpay::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        common::client(
            common::Answer(Arc::new(|_| ANSWER.lock().unwrap().take().unwrap())),
            false,
        )
    })
}

const NAMES: [&str; 5] = [
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Serial",
    "Wechatpay-Signature",
    "Wechatpay-Signature-Type",
];

fuzz_target!(|data: &[u8]| {
    let (head, body) = common::split(data);
    let mut response = http::Response::new(bytes::Bytes::copy_from_slice(body));
    let status = head.first().map_or(200, |b| 200 + u16::from(*b % 4) * 100);
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
    // Header values: `;`-separated pieces of the head, assigned in turn.
    for (i, piece) in head.get(1..).unwrap_or_default().split(|&b| b == b';').enumerate() {
        let name = NAMES[i % NAMES.len()];
        if let Ok(v) = http::HeaderValue::from_bytes(piece) {
            response.headers_mut().append(name, v);
        }
    }
    *ANSWER.lock().unwrap() = Some(response);
    let result = client().chain("v3/pay/transactions/id/4200000001").get(());
    assert!(result.is_err(), "a forged answer was accepted");
});
