//! The APIv2 XML reader on any input, and the writer on whatever it reads:
//! never a panic, and what is read writes back and reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wechatpay::transformer::{to_map, to_xml};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        let _ = wechatpay::v2::parse(data);
        return;
    };
    if let Ok(map) = to_map(text) {
        let written = to_xml(&map).expect("what was read writes back");
        assert_eq!(to_map(&written).expect("and reads back"), map);
    }
});
