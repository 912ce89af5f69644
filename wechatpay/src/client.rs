//! `Client`: what the builder makes, the root of every chain.

use std::{ops::Index, sync::Arc};

use crate::{CertStore, Chain, pipeline::Pipeline};

/// A WeChat Pay client: cheap to clone, `Send + Sync + 'static`.
///
/// Build one with [`Builder`](crate::Builder); call an API in any of three
/// styles, each blocking or async:
///
/// ```no_run
/// use serde_json::json;
/// use wechatpay::{chain, Client};
///
/// # async fn demo(client: &Client) -> Result<(), wechatpay::Error> {
/// // declarative
/// client.chain("v3/payscore/serviceorder/{out_order_no}/sync")
///     .post(json!({"out_order_no": "A1", "json": {"type": "Order_Paid"}}))?;
/// // index
/// client["v3/payscore/serviceorder"].get_async(json!({"query": {"out_order_no": "A1"}})).await?;
/// // pure chain
/// chain!(client.v3.payscore.serviceorder._out_order_no_.sync)
///     .post(json!({"out_order_no": "A1", "json": {"type": "Order_Paid"}}))?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) root: Chain,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.pipeline();
        f.debug_struct("Client")
            .field("mchid", &p.defaults.mchid)
            .field("base_uri", &p.defaults.base.as_str())
            .field("certs", &p.certs)
            .field("proxy", p.transport.proxies())
            .field(
                "stack",
                &p.layers.iter().map(|l| l.name()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn new(pipeline: Pipeline) -> Self {
        Self {
            root: Chain::root(Arc::new(pipeline)),
        }
    }

    fn pipeline(&self) -> &Pipeline {
        self.root.pipeline()
    }

    /// The chain for `segment`, taken verbatim (no case folding), e.g.
    /// `"v3/payscore/serviceorder/{out_order_no}/sync"`. A new chain each
    /// time, so a string formatted at run time is not kept by the client.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) {
    /// let sync = client.chain("v3/payscore").chain("serviceorder/{out_order_no}/sync");
    /// assert_eq!(sync.template(), "v3/payscore/serviceorder/{out_order_no}/sync");
    /// # }
    /// ```
    pub fn chain(&self, segment: &str) -> Chain {
        self.root.chain(segment)
    }

    /// The certificates and public keys this client verifies with; update
    /// them while the client serves calls.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) {
    /// println!("{:?}", client.certs().serials());
    /// # }
    /// ```
    pub fn certs(&self) -> &CertStore {
        &self.pipeline().certs
    }

    /// The base URI calls resolve against.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) {
    /// assert!(client.base_uri().ends_with('/'));
    /// # }
    /// ```
    pub fn base_uri(&self) -> &str {
        self.pipeline().defaults.base.as_str()
    }

    /// The merchant ID this client signs as.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) {
    /// assert!(!client.mchid().is_empty());
    /// # }
    /// ```
    pub fn mchid(&self) -> &str {
        &self.pipeline().defaults.mchid
    }
}

impl Index<&'static str> for Client {
    type Output = Chain;

    /// `client["v3/payscore/serviceorder"]`: the chain for a string
    /// literal, the same node every time (PHP's `$instance['…']`). For a
    /// string built at run time use [`Client::chain`].
    fn index(&self, segment: &'static str) -> &Chain {
        &self.root[segment]
    }
}
