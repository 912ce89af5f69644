//! `Chain`: a path built segment by segment, with the HTTP verbs (PHP's
//! `BuilderChainable`).

use std::{
    ops::Index,
    sync::{Arc, OnceLock},
};

use http::Method;

use crate::{
    Error, Options, Pending, Response,
    pipeline::Pipeline,
    request::{CallContext, Request},
    runtime,
    template::Template,
};

mod children;
mod normalize;

pub use normalize::normalize;

/// One node of the URI tree: its template, its parse once asked for, and
/// the children indexing has handed out.
struct Node {
    template: Arc<str>,
    parsed: OnceLock<Arc<Template>>,
    children: children::Children,
}

impl Node {
    fn new(template: Arc<str>) -> Self {
        Self {
            template,
            parsed: OnceLock::new(),
            children: children::Children::default(),
        }
    }
}

/// A URI template bound to a client, such as
/// `v3/payscore/serviceorder/{out_order_no}/sync`, with the verbs that call it.
///
/// Cheap to clone, `Send + Sync + 'static`. Indexing (`client["v3/…"]`,
/// `chain["segment"]`) hands out the same node for the same literal, as
/// PHP caches its nodes; [`chain`](Self::chain) makes a new one each time,
/// so strings built at run time (an order number in the path) are not kept.
/// Either way a template is parsed once, in a bounded cache.
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
    pipeline: Arc<Pipeline>,
    node: Arc<Node>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Chain").field(&&*self.node.template).finish()
    }
}

impl Chain {
    pub(crate) fn root(pipeline: Arc<Pipeline>) -> Self {
        Self {
            pipeline,
            node: Arc::new(Node::new(Arc::from(""))),
        }
    }

    pub(crate) fn pipeline(&self) -> &Arc<Pipeline> {
        &self.pipeline
    }

    fn joined(&self, segment: &str) -> Chain {
        let template: Arc<str> = if self.node.template.is_empty() {
            Arc::from(segment)
        } else {
            Arc::from(format!("{}/{}", self.node.template, segment))
        };
        Chain {
            pipeline: self.pipeline.clone(),
            node: Arc::new(Node::new(template)),
        }
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
        self.joined(segment)
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

    /// Whether two chains are the same node, as indexing the same literal
    /// twice gives.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) {
    /// assert!(client["v3/certificates"].same_node(&client["v3/certificates"]));
    /// # }
    /// ```
    pub fn same_node(&self, other: &Chain) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }

    fn parsed(&self) -> Result<Arc<Template>, Error> {
        if let Some(t) = self.node.parsed.get() {
            return Ok(t.clone());
        }
        let t = self.pipeline.template(&self.node.template)?;
        Ok(self.node.parsed.get_or_init(|| t).clone())
    }

    fn prepare(&self, method: Method, options: Options) -> Result<Request, Error> {
        let template = self.parsed()?;
        self.pipeline.prepare(method, &template, options)
    }

    /// Sends the request with `method`, blocking this thread until the
    /// verified answer arrives. Works on any thread: with no runtime, inside
    /// a multi-thread runtime, and inside a current-thread runtime (where
    /// the call runs on a helper thread, so that whatever else that runtime
    /// hosts, a sandbox say, keeps running).
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// let r = client.chain("v3/certificates").request(http::Method::GET, ())?;
    /// # Ok(()) }
    /// ```
    pub fn request(&self, method: Method, options: impl Into<Options>) -> Result<Response, Error> {
        let request = self.prepare(method, options.into())?;
        runtime::block_on(self.pipeline.clone().dispatch(request))
    }

    /// Sends the request with `method`. The future runs on the awaiting
    /// task's runtime; dropping it cancels the call and closes its
    /// connection.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// let r = client.chain("v3/certificates").request_async(http::Method::GET, ()).await?;
    /// # Ok(()) }
    /// ```
    pub fn request_async(&self, method: Method, options: impl Into<Options>) -> Pending {
        match self.prepare(method, options.into()) {
            Ok(request) => Pending::new(self.pipeline.clone().dispatch(request)),
            Err(e) => Pending::failed(e),
        }
    }

    /// Sends a request whose answer the caller verifies itself: only for
    /// bootstrapping certificates, which verify with what they download.
    pub(crate) fn request_unverified(&self, method: Method, options: Options) -> Pending {
        match self.prepare(method, options) {
            Ok(mut request) => {
                if let Some(ctx) = request.extensions_mut().get_mut::<CallContext>() {
                    ctx.verify_response = false;
                }
                Pending::new(self.pipeline.clone().dispatch(request))
            }
            Err(e) => Pending::failed(e),
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

impl Index<&'static str> for Chain {
    type Output = Chain;

    /// `chain["segment"]`: the child chain for a string literal, the same
    /// node every time. For a segment built at run time use
    /// [`chain`](Chain::chain).
    fn index(&self, segment: &'static str) -> &Chain {
        self.node
            .children
            .get_or_insert(segment, || self.joined(segment))
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        Builder,
        crypto::{PrivateKey, PublicKey},
        template::cache::CAPACITY,
    };

    fn client() -> crate::Client {
        let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys");
        Builder::new()
            .mchid("1900000001")
            .serial("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
            .private_key(
                PrivateKey::from_pem_file(format!("{keys}/merchant_private_key.pem")).unwrap(),
            )
            .cert(
                "PUB_KEY_ID_01",
                PublicKey::from_pem_file(format!("{keys}/platform_public_key.pem")).unwrap(),
            )
            .build()
            .unwrap()
    }

    #[test]
    fn a_million_run_time_strings_leave_memory_flat() {
        let client = client();
        for i in 0..1_000_000 {
            let chain = client.chain(&format!("v3/pay/transactions/out-trade-no/T{i}/{{x}}"));
            chain.parsed().unwrap();
        }
        let p = client.root.pipeline();
        assert!(p.templates.len() <= 2 * CAPACITY, "{}", p.templates.len());
        assert_eq!(
            client.root.node.children.len(),
            0,
            "chain() keeps nothing per string"
        );
        // Literals are kept, once each.
        for _ in 0..3 {
            let _ = &client["v3/certificates"];
            let _ = &client["v3/certificates"]["x"];
        }
        assert_eq!(client.root.node.children.len(), 1);
    }
}
