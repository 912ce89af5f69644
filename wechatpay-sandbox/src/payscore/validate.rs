//! Pay-Score's own field rule (the `out_order_no` charset); the generic reader is
//! [`crate::validate`].

use super::Reply;
pub(super) use crate::validate::{Obj, check_len, missing, param_error, parse_body};

pub(super) fn check_out_order_no(s: &str) -> Result<(), Reply> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '|' | '*');
    if (6..=32).contains(&s.len()) && s.chars().all(ok_char) {
        Ok(())
    } else {
        Err(param_error(
            "out_order_no must be 6 to 32 characters of 0-9, A-Z, a-z, _, -, |, *",
        ))
    }
}
