//! The handler stack every call runs through, as Guzzle's in PHP.
//!
//! A call becomes an `http::Request<Bytes>` and passes through the layers
//! of its [`Stack`], outermost first, then the transport. The default stack,
//! outermost first:
//!
//! | name | what | PHP |
//! |---|---|---|
//! | (yours) | [`Builder::middleware`](crate::Builder::middleware) layers, in the order added | `$stack->push(…)` |
//! | `retry` | with [`Builder::retries`](crate::Builder::retries) or a [backup host](crate::Builder::backup_base_uri): safe retries and failover ([`retry`]) | |
//! | `verifier` | checks each APIv3 answer's signature, failing closed | `verifier` |
//! | `verifier_v2` | checks each APIv2 answer's codes and `sign` | `transform_response` |
//! | `signer` | signs each APIv3 request (`Authorization`) | `signer` |
//! | `signer_v2` | adds `nonce_str` and `sign` to each APIv2 request | `transform_request` |
//!
//! A layer sees whole messages (bodies are `Bytes`), so signing and
//! verifying need no streaming tricks, and a retry layer outside the
//! signers has every attempt of both APIs signed afresh.
//!
//! ```
//! use wechatpay::middleware::{BoxFuture, Middleware, Next, Request};
//! use wechatpay::{Error, Response};
//!
//! /// Logs the method, path and status of each call.
//! struct Log;
//!
//! impl Middleware for Log {
//!     fn handle<'a>(&'a self, request: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response, Error>> {
//!         Box::pin(async move {
//!             let line = format!("{} {}", request.method(), request.uri().path());
//!             let result = next.run(request).await;
//!             eprintln!("{line} -> {:?}", result.as_ref().map(|r| r.status()));
//!             result
//!         })
//!     }
//! }
//! ```

use std::{future::Future, pin::Pin};

use crate::{Error, Response, transport::Transport};

pub mod retry;
mod signer_v2;
mod signer_v3;
mod stack;
mod verifier_v2;
mod verifier_v3;

pub use crate::request::{ApiVersion, CallContext, Request};
pub use retry::AnsweredBy;
pub(crate) use retry::Retry;
pub(crate) use signer_v2::SignerV2;
pub use signer_v3::MessageSigner;
pub(crate) use signer_v3::{Credentials, SignerV3};
pub use stack::Stack;
pub(crate) use stack::{Layer, RETRY, SIGNER, SIGNER_V2, VERIFIER, VERIFIER_V2};
pub(crate) use verifier_v2::VerifierV2;
pub(crate) use verifier_v3::{Verified, VerifierV3, verified};

/// A boxed, `Send` future, the return type of [`Middleware::handle`].
///
/// ```
/// let f: wechatpay::middleware::BoxFuture<'static, u8> = Box::pin(async { 1 });
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One layer of the stack.
///
/// ```
/// use wechatpay::middleware::{BoxFuture, Middleware, Next, Request};
///
/// /// Adds a header to every request.
/// struct Tag;
///
/// impl Middleware for Tag {
///     fn handle<'a>(&'a self, mut request: Request, next: Next<'a>) -> BoxFuture<'a, Result<wechatpay::Response, wechatpay::Error>> {
///         request.headers_mut().insert("X-Tag", http::HeaderValue::from_static("1"));
///         next.run(request)
///     }
/// }
/// let builder = wechatpay::Builder::new().middleware(Tag);
/// ```
pub trait Middleware: Send + Sync + 'static {
    /// Handles `request`, usually by calling `next.run(request)` once or more.
    /// A layer may also answer by itself, without sending:
    ///
    /// ```
    /// use wechatpay::middleware::{BoxFuture, Middleware, Next, Request};
    /// use wechatpay::{Error, Response};
    ///
    /// /// Refuses every call in a maintenance window, before anything is sent.
    /// struct Maintenance;
    ///
    /// impl Middleware for Maintenance {
    ///     fn handle<'a>(&'a self, _: Request, _: Next<'a>) -> BoxFuture<'a, Result<Response, Error>> {
    ///         Box::pin(async { Err(Error::custom("payments are paused for maintenance")) })
    ///     }
    /// }
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    /// let client = sandbox.client_builder()?.middleware(Maintenance).build()?;
    /// let e = client.chain("v3/certificates").get(()).unwrap_err();
    /// assert!(e.is_custom() && e.is_before_send());
    /// assert!(sandbox.requests().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>>;
}

/// The rest of the stack below a layer. Cheap to copy, so a retry layer
/// can run it again.
///
/// ```
/// # use wechatpay::middleware::{Next, Request};
/// async fn twice(next: Next<'_>, request: Request) {
///     let copy = wechatpay::middleware::clone_request(&request);
///     let _ = next.run(request).await;
///     let _ = next.run(copy).await;
/// }
/// ```
#[derive(Clone, Copy)]
pub struct Next<'a> {
    layers: &'a [Layer],
    transport: &'a Transport,
}

impl<'a> Next<'a> {
    pub(crate) fn new(layers: &'a [Layer], transport: &'a Transport) -> Self {
        Self { layers, transport }
    }

    /// The transport under the stack, for a crate layer that sends by itself.
    pub(crate) fn transport(&self) -> &'a Transport {
        self.transport
    }

    /// Passes `request` to the next layer, or to the network after the last.
    ///
    /// ```
    /// # use wechatpay::middleware::{Next, Request};
    /// async fn pass(next: Next<'_>, request: Request) -> Result<wechatpay::Response, wechatpay::Error> {
    ///     next.run(request).await
    /// }
    /// ```
    pub fn run(self, request: Request) -> BoxFuture<'a, Result<Response, Error>> {
        match self.layers.split_first() {
            Some((layer, rest)) => layer.handler().handle(
                request,
                Next {
                    layers: rest,
                    transport: self.transport,
                },
            ),
            None => Box::pin(self.transport.send(request)),
        }
    }
}

/// Copies a request (method, URI, version, headers, body and the call's
/// [`CallContext`]), e.g. to send it again.
///
/// ```
/// let r: wechatpay::middleware::Request = http::Request::new(bytes::Bytes::from_static(b"{}"));
/// let c = wechatpay::middleware::clone_request(&r);
/// assert_eq!(c.body(), r.body());
/// ```
pub fn clone_request(request: &Request) -> Request {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    if let Some(ctx) = request.extensions().get::<CallContext>() {
        copy.extensions_mut().insert(ctx.clone());
    }
    copy
}
