//! Pay-Score's own field rule (the `out_order_no` charset); the generic reader is
//! [`crate::validate`].

use super::Reply;
pub(super) use crate::validate::{Obj, check_len, missing, param_error, parse_body};

pub(super) fn check_out_order_no(s: &str) -> Result<(), Reply> {
    crate::validate::check_order_no("out_order_no", s)
}
