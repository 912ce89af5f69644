//! The `query` option: any JSON value encodes without a panic, and the
//! result holds only what a URI query may.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(q) = wechatpay::options::build_query(&value) {
        assert!(
            q.bytes().all(|b| b.is_ascii_graphic() && b != b'#'),
            "{q:?}"
        );
    }
});
