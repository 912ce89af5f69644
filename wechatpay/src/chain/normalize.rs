//! PHP's pure chain in Rust: [`normalize`] turns a property name into a
//! path segment as `BuilderChainable` does, and [`chain!`](crate::chain!)
//! writes `$instance->v3->payscore->…` as `chain!(client.v3.payscore…)`.

/// PHP's `BuilderChainable::normalize`: a leading capital is lowered, every
/// other capital becomes `-` and its lowercase, then a whole `_name_`
/// becomes `{name}`.
///
/// ```
/// use wechatpay::normalize;
/// assert_eq!(normalize("merchantService"), "merchant-service");
/// assert_eq!(normalize("complaintsV2"), "complaints-v2");
/// assert_eq!(normalize("_outOrderNo_"), "{out-order-no}");
/// assert_eq!(normalize("_out_order_no_"), "{out_order_no}");
/// assert_eq!(normalize("V3"), "v3");
/// ```
pub fn normalize(segment: &str) -> String {
    // `chain!(client.v3.r#type)` stringifies the raw identifier as `r#type`.
    let segment = segment.strip_prefix("r#").unwrap_or(segment);
    let mut out = String::with_capacity(segment.len() + 4);
    for (i, c) in segment.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    if out.len() >= 3 && out.starts_with('_') && out.ends_with('_') {
        format!("{{{}}}", &out[1..out.len() - 1])
    } else {
        out
    }
}

/// PHP's pure chain, `$instance->v3->payscore->serviceorder`, in Rust:
/// `chain!(client.v3.payscore.serviceorder)` gives a [`Chain`](crate::Chain).
///
/// Identifiers are [`normalize`]d as PHP does (`_out_order_no_` → `{out_order_no}`,
/// `merchantService` → `merchant-service`); a string literal is kept verbatim.
/// The client is a plain name (`client`), a field of `self` (`self.client`,
/// as PHP service classes write `$this->instance`), or any expression in
/// parentheses: `chain!((state.wechatpay).v3.pay)`.
///
/// ```no_run
/// use serde_json::json;
/// use wechatpay::chain;
/// # fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
/// let r = chain!(client.v3.payscore.partner.serviceorder._out_order_no_.sync)
///     .post(json!({"out_order_no": "A1", "json": {"type": "Order_Paid"}}))?;
/// let c = chain!(client.v3."merchant-service".complaintsV2);
/// assert_eq!(c.template(), "v3/merchant-service/complaints-v2");
///
/// struct Orders { client: wechatpay::Client }
/// impl Orders {
///     fn sync(&self) -> wechatpay::Chain {
///         chain!(self.client.v3.payscore.serviceorder._out_order_no_.sync)
///     }
/// }
/// # Ok(()) }
/// ```
#[macro_export]
macro_rules! chain {
    (($client:expr) . $first:tt $(. $segment:tt)*) => {
        $crate::__chain_join!(($client) $first $($segment)*)
    };
    ($head:ident . $($rest:tt)+) => {
        // The head twice: once to test whether it is `self`, once to use
        // it with the caller's hygiene (a `self` written here would not be).
        $crate::__chain_head!($head $head . $($rest)+)
    };
}

/// `self.field.…` takes `self.field` as the client; any other name is the client.
#[doc(hidden)]
#[macro_export]
macro_rules! __chain_head {
    (self $this:ident . $field:ident . $first:tt $(. $segment:tt)*) => {
        $crate::__chain_join!(($this.$field) $first $($segment)*)
    };
    ($_test:ident $client:ident . $first:tt $(. $segment:tt)*) => {
        $crate::__chain_join!(($client) $first $($segment)*)
    };
}

/// The segments joined once, so a pure chain costs one node, not one per segment.
#[doc(hidden)]
#[macro_export]
macro_rules! __chain_join {
    (($client:expr) $($segment:tt)+) => {
        $client.chain(&[$($crate::__chain_segment!($segment)),+].join("/"))
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __chain_segment {
    ($segment:literal) => {
        ::std::string::String::from($segment)
    };
    ($segment:tt) => {
        $crate::normalize(stringify!($segment))
    };
}
