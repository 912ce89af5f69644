//! The handler stack every call runs through, as Guzzle's in PHP.
//!
//! A call becomes an `http::Request<Bytes>` and passes through the layers
//! outermost first: the ones you add with [`Builder::middleware`](crate::Builder::middleware),
//! then the verifier (APIv3), the XML layer (APIv2 replies), then the signer,
//! then the transport. A layer sees
//! whole messages (bodies are `Bytes`), so signing and verifying need no
//! streaming tricks, and a retry layer that calls `next` again has every
//! attempt signed afresh, because the signer sits inside it.
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

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use bytes::Bytes;

use crate::{Error, Response, transport::Transport};

mod signer;
mod verifier;
pub(crate) mod xml;

pub(crate) use signer::{Credentials, Signer};
pub(crate) use verifier::{Verifier, verified, verify as verify_signed};
pub(crate) use xml::XmlLayer;

/// A request as the stack sees it: the full URI, headers and the whole body.
///
/// ```
/// let r: wechatpay::middleware::Request = http::Request::new(bytes::Bytes::new());
/// assert!(r.body().is_empty());
/// ```
pub type Request = http::Request<Bytes>;

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
    layers: &'a [Arc<dyn Middleware>],
    transport: &'a Transport,
}

impl<'a> Next<'a> {
    pub(crate) fn new(layers: &'a [Arc<dyn Middleware>], transport: &'a Transport) -> Self {
        Self { layers, transport }
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
            Some((layer, rest)) => layer.handle(
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

/// Facts about a call that travel with its request, in its extensions.
///
/// ```
/// # fn f(r: &wechatpay::middleware::Request) {
/// if let Some(ctx) = r.extensions().get::<wechatpay::middleware::CallContext>() {
///     println!("template {}", ctx.template);
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CallContext {
    /// Which API the call goes to.
    pub api: ApiVersion,
    /// The chain's template, before expansion.
    pub template: String,
    /// A per-call timeout from the `timeout` option.
    pub timeout: Option<Duration>,
    /// Only the certificate downloader turns this off: it must read the
    /// reply before it has the key that verifies it, and verifies it itself.
    pub(crate) verify_response: bool,
    /// What the signature covers when it is not the body: the meta JSON
    /// of a media upload.
    pub(crate) signed_body: Option<String>,
    /// APIv2's `security: true`: this call presents the merchant client certificate.
    pub(crate) security: bool,
}

/// APIv3 (JSON, RSA) or APIv2 (XML, MD5/HMAC).
///
/// ```
/// assert_ne!(wechatpay::middleware::ApiVersion::V3, wechatpay::middleware::ApiVersion::V2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// APIv3: JSON bodies, RSA-signed both ways.
    V3,
    /// APIv2: XML bodies, MD5 or HMAC-SHA256 `sign`.
    V2,
}

pub(crate) fn api_of(request: &Request) -> ApiVersion {
    request
        .extensions()
        .get::<CallContext>()
        .map(|c| c.api)
        .unwrap_or(ApiVersion::V3)
}
