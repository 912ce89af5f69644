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
//! ## Three styles, each blocking or async
//! PHP's `$instance->v3->payscore->serviceorder->get(…)`,
//! `$instance->chain('v3/payscore/serviceorder')->get(…)` and
//! `$instance['v3/payscore/serviceorder']->get(…)`, and their `getAsync`
//! twins, here against the sandbox (the `wechatpay-sandbox` crate):
//!
//! ```
//! use serde_json::json;
//! use wechatpay::{ResponseExt, chain};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = wechatpay_sandbox::Sandbox::start().await?;
//! let client = sandbox.client()?; // what your Builder makes
//! let query = json!({"query": {
//!     "out_order_no": "1234323JKHDFE1243252",
//!     "service_id": "2002000000000558128851361561536",
//!     "appid": "wxd678efh567hg6787",
//! }});
//!
//! // pure chain: `_out_order_no_` would become `{out_order_no}`, `merchantService` `merchant-service`
//! let e = chain!(client.v3.payscore.serviceorder).get(query.clone()).unwrap_err();
//! assert_eq!(e.api_error().unwrap().code(), Some("ORDER_NOT_EXIST"));
//! // declarative: the template verbatim
//! let e = client.chain("v3/payscore/serviceorder").get(query.clone()).unwrap_err();
//! // index: the same node for the same literal
//! let e = client["v3/payscore/serviceorder"].get(query.clone()).unwrap_err();
//!
//! // async, on your runtime; dropping the future cancels the call
//! let e = chain!(client.v3.payscore.serviceorder).get_async(query.clone()).await.unwrap_err();
//! let e = client.chain("v3/payscore/serviceorder").get_async(query.clone()).await.unwrap_err();
//! let r = client["v3/certificates"].get_async(()).await?;
//! assert!(r.json::<serde_json::Value>()?["data"].is_array());
//! # Ok(()) }
//! ```
//!
//! Porting PHP code name by name (promises, PSR-7 and Guzzle names,
//! options, errors, APIv2, uploads) is the subject of
//! `docs/porting-from-php.md`; `examples/` has a program for each
//! Pay-Score endpoint, callbacks, uploads, sensitive fields, certificates
//! and APIv2, each run against the sandbox with `cargo run --example NAME`.
//!
//! ## How a call flows
//! options → [template](Chain::template) → request → the [middleware]
//! stack (verifiers, then signers) → transport → answer. Nothing flows back.
//! An async verb does all of this in the awaiting task, on the caller's
//! runtime; a blocking verb works on any thread (see [`Chain::request`]).
//!
//! ## Errors
//! One opaque [`Error`] with `is_*` questions. The one a payment service
//! asks first is [`Error::is_before_send`]: `true` exactly when nothing
//! could have reached WeChat Pay, so sending again cannot pay twice.
//!
//! ## Where things are
//! | module | what | PHP |
//! |---|---|---|
//! | [`Builder`] | configuration → [`Client`] | `Builder` |
//! | [`Chain`], [`chain!`] | path segments, verbs | `BuilderChainable` |
//! | [`Options`] | the per-call options map | the `$options` array |
//! | [`middleware`] | the handler stack, named layers, custom signers | `ClientDecorator`, `ClientJsonTrait` |
//! | [`crypto`] | keys and ciphers | `Crypto\*` |
//! | [`formatter`] | signed-message shapes | `Formatter` |
//! | [`certificates`] | trusted WeChat Pay keys, download, refresh | the `certs` array, `CertificateDownloader` |
//! | [`notify`] | callbacks: verify, decrypt | the notification docs |
//! | [`models`] | typed bodies: payments, refunds, bills, Pay-Score | the API pages |
//! | [`paysign`] | the front end's JSAPI `paySign` and APP `sign` | `Rsa::sign` over the documented lines |
//! | [`bills`] | bill download, streamed, gunzipped, digest checked | `billdownload` with `sink` |
//! | [`v2`] | APIv2 (XML): `v2/…` calls, signs, refund `req_info` | `ClientXmlTrait` |
//! | [`Error`] | every failure, typed | exceptions |
//!
//! The local WeChat Pay for tests and examples is the `wechatpay-sandbox`
//! crate; the `wechatpay` command line is `wechatpay-cli`.
//!
//! ## Cargo features
//! | feature | default | what |
//! |---|---|---|
//! | `rustcrypto` | no | RSA on the pure-Rust `rsa` crate instead of aws-lc-rs |
//! | `tracing` | no | a span a call (`wechatpay.request`) and events for retries, failovers and certificate refreshes |
#![deny(missing_docs)]

pub mod bills;
mod builder;
pub mod certificates;
mod chain;
mod client;
pub mod crypto;
mod encoding;
mod error;
pub mod formatter;
pub mod middleware;
pub mod models;
pub mod notify;
pub mod options;
pub mod paysign;
mod pipeline;
mod request;
mod response;
mod runtime;
mod sensitive;
mod signature;
mod template;
mod trace;
pub mod transformer;
mod transport;
pub mod util;
pub mod v2;

pub use builder::{Builder, DEFAULT_BASE_URI};
pub use certificates::CertStore;
pub use chain::{Chain, normalize};
pub use client::Client;
pub use error::{ApiError, Error, ErrorDetail, VerificationFailure};
pub use options::Options;
pub use response::ResponseExt;
pub use runtime::Pending;
pub use sensitive::Encryptor;

/// A response as received: status, headers and the whole body.
///
/// ```
/// let r: wechatpay::Response = http::Response::new(bytes::Bytes::from_static(b"{}"));
/// assert_eq!(r.status(), 200);
/// ```
pub type Response = http::Response<bytes::Bytes>;

/// What users rely on across threads, checked by the compiler.
const _: () = {
    const fn is<T: Send + Sync + 'static>() {}
    const fn is_send<T: Send + 'static>() {}
    is::<Client>();
    is::<Chain>();
    is::<Error>();
    is::<CertStore>();
    is_send::<Builder>();
    is_send::<Pending>();
};

/// The README's examples, compiled as doctests so they cannot rot;
/// it exists only under `cfg(doctest)`.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The porting guide's examples, run against the sandbox as doctests so
/// that what it tells a porting team stays true; only under `cfg(doctest)`.
#[doc = include_str!("../../docs/porting-from-php.md")]
#[cfg(doctest)]
pub struct PortingGuideDoctests;
