//! `Chain`: a path built segment by segment, with the HTTP verbs
//! (PHP's `BuilderChainable`), and the `chain!` macro for PHP's
//! `$instance->v3->payscore->…` style.

use std::{
    collections::HashMap,
    future::Future,
    ops::Index,
    pin::Pin,
    sync::{Arc, Mutex, OnceLock},
    task::{Context, Poll},
};

use http::Method;

use crate::{Error, Options, Response, client::Core, template::Template};

/// One node of the URI tree: its template, parsed once, and its children.
pub(crate) struct Node {
    template: String,
    parsed: OnceLock<Result<Template, Error>>,
    /// Children, boxed so their addresses stay put while the map grows;
    /// entries are never removed, which is what lets `Index` hand out `&Chain`.
    children: Mutex<HashMap<String, Box<Chain>>>,
}

impl Node {
    fn new(template: String) -> Self {
        Self {
            template,
            parsed: OnceLock::new(),
            children: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn parsed(&self) -> Result<&Template, Error> {
        match self.parsed.get_or_init(|| Template::parse(&self.template)) {
            Ok(t) => Ok(t),
            Err(e) => Err(Error::Uri(e.to_string())),
        }
    }
}

/// A URI template bound to a client, such as
/// `v3/payscore/serviceorder/{out_order_no}/sync`, with the verbs that call it.
///
/// Cheap to clone, `Send + Sync + 'static`. Chains are cached per client as
/// PHP caches its nodes: asking for the same path again gives the same node.
///
/// ```no_run
/// use serde_json::json;
/// # fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
/// let order = client.chain("v3/payscore/serviceorder");
/// let r = order.get(json!({"query": {"out_order_no": "A1", "service_id": "2002", "appid": "wx1"}}))?;
/// println!("{}", r.status());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Chain {
    pub(crate) core: Arc<Core>,
    node: Arc<Node>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Chain").field(&self.node.template).finish()
    }
}

impl Chain {
    pub(crate) fn root(core: Arc<Core>) -> Self {
        Self {
            core,
            node: Arc::new(Node::new(String::new())),
        }
    }

    /// The cached child for `segment`, created on first use.
    fn child(&self, segment: &str) -> &Chain {
        let mut children = match self.node.children.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let boxed = children.entry(segment.to_string()).or_insert_with(|| {
            let template = if self.node.template.is_empty() {
                segment.to_string()
            } else {
                format!("{}/{}", self.node.template, segment)
            };
            Box::new(Chain {
                core: self.core.clone(),
                node: Arc::new(Node::new(template)),
            })
        });
        let ptr: *const Chain = &**boxed;
        drop(children);
        // SAFETY: the box is owned by `self.node.children`, which `self`
        // keeps alive through its `Arc<Node>`; entries are never removed or
        // replaced, and a box's contents do not move when the map rehashes.
        // So the pointee lives, unmoved, at least as long as `&self`.
        unsafe { &*ptr }
    }

    /// Appends `segment` (verbatim, joined with `/`) and returns the new chain.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) {
    /// let c = client.chain("v3").chain("payscore").chain("serviceorder");
    /// assert_eq!(c.template(), "v3/payscore/serviceorder");
    /// # }
    /// ```
    pub fn chain(&self, segment: &str) -> Chain {
        self.child(segment).clone()
    }

    /// The joined template, e.g. `v3/payscore/partner/serviceorder/{out_order_no}/sync`.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) {
    /// assert_eq!(client.chain("v3/certificates").template(), "v3/certificates");
    /// # }
    /// ```
    pub fn template(&self) -> &str {
        &self.node.template
    }

    /// Whether two chains are the same cached node.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) {
    /// assert!(client["v3/certificates"].same_node(&client["v3/certificates"]));
    /// # }
    /// ```
    pub fn same_node(&self, other: &Chain) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }

    /// Sends the request with `method`, blocking this thread until the
    /// verified response arrives. Works inside a tokio runtime too; only on
    /// a client's own I/O thread (inside a middleware) is it refused with
    /// `Error::Config`, since it could wait for itself there.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// let r = client.chain("v3/certificates").request(http::Method::GET, ())?;
    /// # Ok(()) }
    /// ```
    pub fn request(&self, method: Method, options: impl Into<Options>) -> Result<Response, Error> {
        let request = self.core.prepare(method, &self.node, options.into())?;
        self.core
            .engine()
            .block_on(self.core.clone().dispatch(request))
    }

    /// Sends a request whose reply the caller verifies itself: only for
    /// bootstrapping certificates, which verify with what they download.
    pub(crate) async fn request_unverified(
        &self,
        method: Method,
        options: Options,
    ) -> Result<Response, Error> {
        let mut request = self.core.prepare(method, &self.node, options)?;
        if let Some(ctx) = request
            .extensions_mut()
            .get_mut::<crate::middleware::CallContext>()
        {
            ctx.verify_response = false;
        }
        let task = self.core.clone().dispatch(request);
        self.core.engine().spawn(task).await
    }

    /// Sends the request with `method`; the future is `Send` and may be
    /// awaited on any executor.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// let r = client.chain("v3/certificates").request_async(http::Method::GET, ()).await?;
    /// # Ok(()) }
    /// ```
    pub fn request_async(&self, method: Method, options: impl Into<Options>) -> Pending {
        let prepared = self.core.prepare(method, &self.node, options.into());
        let core = self.core.clone();
        Pending {
            inner: Box::pin(async move {
                let request = prepared?;
                let task = core.clone().dispatch(request);
                core.engine().spawn(task).await
            }),
        }
    }
}

macro_rules! verbs {
    ($($(#[$doc:meta])* $sync:ident, $async:ident => $method:ident;)*) => {
        impl Chain {
            $(
                $(#[$doc])*
                ///
                /// Blocking; see [`Chain::request`].
                pub fn $sync(&self, options: impl Into<Options>) -> Result<Response, Error> {
                    self.request(Method::$method, options)
                }

                $(#[$doc])*
                ///
                /// Async; see [`Chain::request_async`].
                pub fn $async(&self, options: impl Into<Options>) -> Pending {
                    self.request_async(Method::$method, options)
                }
            )*
        }
    };
}

verbs! {
    /// `GET` this chain's URI.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// client.chain("v3/certificates").get(())?;
    /// client.chain("v3/certificates").get_async(()).await?;
    /// # Ok(()) }
    /// ```
    get, get_async => GET;
    /// `POST` to this chain's URI.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// let o = serde_json::json!({"json": {"appid": "wx1"}});
    /// client.chain("v3/payscore/serviceorder").post(o.clone())?;
    /// client.chain("v3/payscore/serviceorder").post_async(o).await?;
    /// # Ok(()) }
    /// ```
    post, post_async => POST;
    /// `PUT` to this chain's URI.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// client.chain("v3/x").put(serde_json::json!({"json": {}}))?;
    /// client.chain("v3/x").put_async(serde_json::json!({"json": {}})).await?;
    /// # Ok(()) }
    /// ```
    put, put_async => PUT;
    /// `PATCH` this chain's URI.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// client.chain("v3/x").patch(serde_json::json!({"json": {}}))?;
    /// client.chain("v3/x").patch_async(serde_json::json!({"json": {}})).await?;
    /// # Ok(()) }
    /// ```
    patch, patch_async => PATCH;
    /// `DELETE` this chain's URI.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// client.chain("v3/x").delete(wechatpay::Options::default())?;
    /// client.chain("v3/x").delete_async(()).await?;
    /// # Ok(()) }
    /// ```
    delete, delete_async => DELETE;
}

/// The future of an async verb: `Send + 'static`, owning everything it
/// needs, so it can be spawned, stored, or awaited on any executor.
///
/// ```no_run
/// # async fn f(client: &wechatpay::Client) {
/// let pending: wechatpay::Pending = client.chain("v3/certificates").get_async(());
/// let handle = tokio::spawn(pending);
/// # }
/// ```
#[must_use = "a Pending call does nothing unless awaited"]
pub struct Pending {
    inner: Pin<Box<dyn Future<Output = Result<Response, Error>> + Send + 'static>>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

impl Future for Pending {
    type Output = Result<Response, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl Index<&str> for Chain {
    type Output = Chain;

    /// `chain["segment"]`: the cached child chain, the same node every time.
    fn index(&self, segment: &str) -> &Chain {
        self.child(segment)
    }
}

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
/// `chain!(client.v3.payscore.serviceorder)` gives a [`Chain`].
///
/// Identifiers are [`normalize`]d as PHP does (`_out_order_no_` → `{out_order_no}`,
/// `merchantService` → `merchant-service`); a string literal is kept verbatim.
/// Put a client that is not a plain name in parentheses: `chain!((self.client).v3)`.
///
/// ```no_run
/// use serde_json::json;
/// use wechatpay::chain;
/// # fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
/// let r = chain!(client.v3.payscore.partner.serviceorder._out_order_no_.sync)
///     .post(json!({"out_order_no": "A1", "json": {"type": "Order_Paid"}}))?;
/// let c = chain!(client.v3."merchant-service".complaintsV2);
/// assert_eq!(c.template(), "v3/merchant-service/complaints-v2");
/// # Ok(()) }
/// ```
#[macro_export]
macro_rules! chain {
    (($client:expr) . $first:tt $(. $segment:tt)*) => {
        $client.chain(&$crate::__chain_segment!($first))$(.chain(&$crate::__chain_segment!($segment)))*
    };
    ($client:ident . $first:tt $(. $segment:tt)*) => {
        $client.chain(&$crate::__chain_segment!($first))$(.chain(&$crate::__chain_segment!($segment)))*
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
