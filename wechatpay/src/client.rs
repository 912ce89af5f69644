//! The pipeline of a call (PHP's `ClientDecorator`): options → template →
//! request → the middleware stack (verifier, signer) → transport → response.

use std::{ops::Index, sync::Arc, time::Duration};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use serde_json::Value;

use crate::{
    CertStore, Chain, Error, Options, Response,
    blocking::Engine,
    chain::Node,
    middleware::{ApiVersion, CallContext, Middleware, Next, Request},
    options::build_query,
    transport::Transport,
};

/// PHP's default `Accept`, kept so servers see what they expect.
pub(crate) const ACCEPT: &str =
    "application/json, text/plain, application/x-gzip, application/pdf, image/png, image/*;q=0.5";

/// What every chain of one client shares.
pub(crate) struct Core {
    pub(crate) base_uri: reqwest::Url,
    pub(crate) user_agent: HeaderValue,
    pub(crate) certs: CertStore,
    pub(crate) layers: Vec<Arc<dyn Middleware>>,
    pub(crate) transport: Transport,
    pub(crate) engine: Engine,
    pub(crate) mchid: String,
    /// The APIv2 secret (API key), for `v2/` calls.
    pub(crate) secret: Option<crate::v2::Secret>,
}

/// A WeChat Pay client: cheap to clone, `Send + Sync + 'static`.
///
/// Build one with [`Builder`](crate::Builder); call an API in any of three
/// styles, each blocking or async:
///
/// ```no_run
/// use serde_json::json;
/// use wechatpay::{chain, Client};
///
/// # fn demo(client: &Client) -> Result<(), wechatpay::Error> {
/// // declarative
/// client.chain("v3/payscore/serviceorder/{out_order_no}/sync")
///     .post(json!({"out_order_no": "A1", "json": {"type": "Order_Paid"}}))?;
/// // index
/// client["v3/payscore/serviceorder"].get(json!({"query": {"out_order_no": "A1"}}))?;
/// // pure chain
/// chain!(client.v3.payscore.serviceorder._out_order_no_.sync)
///     .post(json!({"out_order_no": "A1", "json": {"type": "Order_Paid"}}))?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    root: Chain,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("mchid", &self.root.core.mchid)
            .field("base_uri", &self.root.core.base_uri.as_str())
            .field("certs", &self.root.core.certs)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn from_core(core: Core) -> Self {
        Self {
            root: Chain::root(Arc::new(core)),
        }
    }

    /// The chain for `segment`, taken verbatim (no case folding), e.g.
    /// `"v3/payscore/serviceorder/{out_order_no}/sync"`.
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
        &self.root.core.certs
    }

    /// The base URI calls resolve against.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) {
    /// assert!(client.base_uri().ends_with('/'));
    /// # }
    /// ```
    pub fn base_uri(&self) -> &str {
        self.root.core.base_uri.as_str()
    }

    pub(crate) fn spawn_background<F>(&self, task: F) -> tokio::task::AbortHandle
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.root.core.engine.spawn_background(task)
    }
}

impl Index<&str> for Client {
    type Output = Chain;

    /// `client["v3/payscore/serviceorder"]`: the cached chain for that path.
    fn index(&self, segment: &str) -> &Chain {
        &self.root[segment]
    }
}

impl Core {
    /// Turns a node and options into a complete request, or refuses before
    /// anything is sent.
    pub(crate) fn prepare(
        &self,
        method: Method,
        node: &Node,
        options: Options,
    ) -> Result<Request, Error> {
        options.check()?;
        let template = node.parsed()?;
        let mut target = template.expand(options.as_map())?;
        let api = if target
            .get(..3)
            .is_some_and(|p| p.eq_ignore_ascii_case("v2/"))
        {
            ApiVersion::V2
        } else {
            ApiVersion::V3
        };
        if api == ApiVersion::V2 {
            if options.upload_part().is_some() {
                return Err(Error::Options(
                    "APIv2 calls take `xml`, not an upload".into(),
                ));
            }
            return crate::middleware::xml::prepare(
                self,
                method,
                template.source(),
                &target,
                &options,
            );
        }
        if let Some(q) = options.get("query") {
            let q = build_query(q)?;
            if !q.is_empty() {
                // A query written in the template is kept, not replaced as
                // Guzzle does: nothing the caller gave is dropped.
                target.push(if target.contains('?') { '&' } else { '?' });
                target.push_str(&q);
            }
        }
        let uri = self.resolve(&options, &target)?;

        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
        headers.insert(header::USER_AGENT, self.user_agent.clone());
        let body = match (options.get("json"), options.get("body")) {
            _ if options.upload_part().is_some() => {
                if options.get("json").is_some() || options.get("body").is_some() {
                    return Err(Error::Options(
                        "an upload carries its own body; give no `json` or `body`".into(),
                    ));
                }
                let upload = options
                    .upload_part()
                    .map(|u| (u.body.clone(), u.content_type.clone()));
                let (bytes, content_type) = upload.unwrap_or_default();
                let value = HeaderValue::from_str(&content_type).map_err(|_| {
                    Error::Options("the upload's Content-Type cannot be sent".into())
                })?;
                headers.insert(header::CONTENT_TYPE, value);
                bytes
            }
            (Some(_), Some(_)) => {
                return Err(Error::Options("give `json` or `body`, not both".into()));
            }
            (Some(json), None) => {
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                Bytes::from(
                    serde_json::to_vec(json).map_err(|e| Error::Options(format!("`json`: {e}")))?,
                )
            }
            (None, Some(Value::String(s))) => {
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
                Bytes::from(s.clone())
            }
            (None, Some(_)) => return Err(Error::Options("`body` must be a string".into())),
            (None, None) => {
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
                Bytes::new()
            }
        };
        if let Some(extra) = options.get("headers") {
            merge_headers(&mut headers, extra)?;
        }
        let timeout = timeout_of(&options)?;

        let mut request = http::Request::new(body);
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        request.extensions_mut().insert(CallContext {
            api,
            template: template.source().to_string(),
            timeout,
            verify_response: true,
            security: false,
            signed_body: options.upload_part().map(|u| u.signed.clone()),
        });
        Ok(request)
    }

    /// `target` against the base URI (or the `base_uri` option).
    pub(crate) fn resolve(&self, options: &Options, target: &str) -> Result<http::Uri, Error> {
        let base = match options.get("base_uri") {
            Some(Value::String(s)) => reqwest::Url::parse(s)
                .map_err(|e| Error::Options(format!("`base_uri` `{s}` is not a URL: {e}")))?,
            Some(_) => return Err(Error::Options("`base_uri` must be a string".into())),
            None => self.base_uri.clone(),
        };
        let url = base
            .join(target)
            .map_err(|e| Error::Uri(format!("`{target}` against `{base}`: {e}")))?;
        url.as_str()
            .parse()
            .map_err(|e| Error::Uri(format!("`{url}`: {e}")))
    }

    /// Runs a prepared request through the stack; non-2xx/3xx becomes `Error::Api`.
    pub(crate) async fn dispatch(self: Arc<Self>, request: Request) -> Result<Response, Error> {
        let response = Next::new(&self.layers, &self.transport)
            .run(request)
            .await?;
        let status = response.status();
        if status.is_success() || status.is_redirection() {
            Ok(response)
        } else {
            Err(Error::api(response))
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// The `timeout` option: 0 < seconds < 86400.
pub(crate) fn timeout_of(options: &Options) -> Result<Option<Duration>, Error> {
    match options.get("timeout") {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(s) if s > 0.0 && s.is_finite() && s < 86_400.0 => {
                Ok(Some(Duration::from_secs_f64(s)))
            }
            _ => Err(Error::Options(format!(
                "`timeout` must be 0 < seconds < 86400, got {n}"
            ))),
        },
        Some(_) => Err(Error::Options(
            "`timeout` must be a number of seconds".into(),
        )),
    }
}

pub(crate) fn merge_headers(headers: &mut HeaderMap, extra: &Value) -> Result<(), Error> {
    let Value::Object(map) = extra else {
        return Err(Error::Options(
            "`headers` must be a map of names to values".into(),
        ));
    };
    for (name, value) in map {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::Options(format!("`{name}` is not a valid header name")))?;
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Null => {
                headers.remove(&name);
                continue;
            }
            _ => return Err(Error::Options(format!("header `{name}` must be a string"))),
        };
        let value = HeaderValue::from_str(&text).map_err(|_| {
            Error::Options(format!("header `{name}` has a value that cannot be sent"))
        })?;
        headers.insert(name, value);
    }
    Ok(())
}
