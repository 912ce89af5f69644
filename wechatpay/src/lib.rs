//! # wechatpay
//!
//! A WeChat Pay client that calls every API the way the PHP SDK
//! `wechatpay-php` does: a chainable URI-template client, with requests
//! signed and responses verified by default.
//!
//! ```no_run
//! use serde_json::json;
//! use wechatpay::{chain, Builder, crypto::{PrivateKey, PublicKey}};
//!
//! # fn main() -> Result<(), wechatpay::Error> {
//! let client = Builder::new()
//!     .mchid("1900000001")
//!     .serial("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
//!     .private_key(PrivateKey::from_pem("file:///path/to/apiclient_key.pem")?)
//!     .cert("PUB_KEY_ID_0119000000012025010100000000000001", PublicKey::from_pem("file:///path/to/pub_key.pem")?)
//!     .build()?;
//!
//! // declarative, index, and pure-chain styles; each has an `_async` twin
//! let r = client.chain("v3/payscore/serviceorder").post(json!({"json": {"out_order_no": "A1"}}))?;
//! let r = client["v3/payscore/serviceorder"].get(json!({"query": {"out_order_no": "A1"}}))?;
//! let r = chain!(client.v3.payscore.serviceorder._out_order_no_.sync)
//!     .post(json!({"out_order_no": "A1", "json": {"type": "Order_Paid"}}))?;
//! println!("{} {}", r.status(), String::from_utf8_lossy(r.body()));
//! # Ok(()) }
//! ```
//!
//! ## How a call flows
//! options → [template](Chain::template) → request → [middleware]
//! (verifier, signer) → transport → response. Nothing flows back.
//!
//! ## Where things are
//! | module | what | PHP |
//! |---|---|---|
//! | [`Builder`] | configuration → [`Client`] | `Builder` |
//! | [`Chain`], [`chain!`] | path segments, verbs | `BuilderChainable` |
//! | [`Options`] | the per-call options map | the `$options` array |
//! | [`middleware`] | the handler stack | `ClientDecorator`, `ClientJsonTrait` |
//! | [`crypto`] | keys and ciphers | `Crypto\*` |
//! | [`formatter`] | signed-message shapes | `Formatter` |
//! | [`CertStore`] | trusted WeChat Pay keys | the `certs` array |
//! | [`v2`] | APIv2 (XML): `v2/…` calls, signs, refund `req_info` | `ClientXmlTrait` |
//! | [`Error`] | every failure, typed | exceptions |
//!
//! ## Cargo features
//! | feature | default | what |
//! |---|---|---|
//! | `rustcrypto` | no | RSA on the pure-Rust `rsa` crate instead of aws-lc-rs |
#![warn(missing_docs)]

mod blocking;
mod builder;
pub mod certificates;
mod certs;
mod chain;
mod client;
pub mod crypto;
mod error;
pub mod formatter;
pub mod middleware;
pub mod models;
pub mod notify;
pub mod options;
mod response;
mod sensitive;
mod template;
pub mod transformer;
mod transport;
pub mod util;
pub mod v2;

pub use builder::{Builder, DEFAULT_BASE_URI};
pub use certs::CertStore;
pub use chain::{Chain, Pending, normalize};
pub use client::Client;
pub use error::{Error, VerificationFailure};
pub use options::Options;
pub use response::ResponseExt;
pub use sensitive::Encryptor;

/// A response as received: status, headers and the whole body.
///
/// ```
/// let r: wechatpay::Response = http::Response::new(bytes::Bytes::from_static(b"{}"));
/// assert_eq!(r.status(), 200);
/// ```
pub type Response = http::Response<bytes::Bytes>;

#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync + 'static>() {}
    is::<Client>();
    is::<Chain>();
    is::<Error>();
    is::<CertStore>();
    fn is_send<T: Send + 'static>() {}
    is_send::<Pending>();
}

/// The README's examples, compiled as doctests so they cannot rot;
/// it exists only under `cfg(doctest)`.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
