//! A loopback APIv2 server: it checks each request's `sign` as WeChat Pay
//! does (MD5 or HMAC-SHA256 per the request's `sign_type`, with the APIv2
//! secret the PHP SDK was recorded with), records what arrived, and answers
//! with whatever the test set, verbatim. Over TLS it can require a client
//! certificate issued by `tests/keys/tls/ca.pem`, for the mTLS tests.
#![allow(dead_code)]

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        RootCertStore, ServerConfig,
        crypto::aws_lc_rs,
        pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
        server::WebPkiClientVerifier,
    },
};
use wechatpay::{
    Builder, Client,
    crypto::{
        PrivateKey, PublicKey,
        hash::{self, SignType},
    },
    formatter::{ksort, query_string_like},
    transformer::to_map,
};

pub const MCHID: &str = "1900000001";
pub const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0119000000012025010100000000000001";
/// The APIv2 secret `tests/conformance/v2.jsonl` was recorded with.
pub const SECRET: &str = "oracle-test-apiv2-secret-32bytes!";

pub fn key_path(name: &str) -> String {
    format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn tls_path(name: &str) -> String {
    key_path(&format!("tls/{name}"))
}

/// What reached the server.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
    /// The signed fields (the XML body, or the query of a GET).
    pub fields: Option<Map<String, Value>>,
    /// The `sign` verifies with [`SECRET`] under the request's `sign_type`.
    pub sign_ok: bool,
}

struct State {
    reply: (u16, String, Bytes),
    seen: Vec<Seen>,
}

#[derive(Clone)]
pub struct V2Server {
    pub addr: SocketAddr,
    tls: bool,
    state: Arc<Mutex<State>>,
    /// TLS handshakes completed / refused (TLS servers only).
    pub handshakes: Arc<AtomicUsize>,
    pub refused: Arc<AtomicUsize>,
}

/// A TLS acceptor for `localhost`/`127.0.0.1` that requires a client
/// certificate issued by the test CA.
fn acceptor() -> TlsAcceptor {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(tls_path("ca.pem")).unwrap() {
        roots.add(ca.unwrap()).unwrap();
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let certs: Vec<_> = CertificateDer::pem_file_iter(tls_path("server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(tls_path("server.key")).unwrap();
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

impl V2Server {
    /// Plain HTTP on a free loopback port.
    pub fn start() -> V2Server {
        Self::spawn(false)
    }

    /// HTTPS that refuses any client without a certificate from the test CA.
    pub fn start_tls() -> V2Server {
        Self::spawn(true)
    }

    fn spawn(tls: bool) -> V2Server {
        let (tx, rx) = std::sync::mpsc::channel();
        let state = Arc::new(Mutex::new(State {
            reply: (200, "text/xml; charset=utf-8".into(), Bytes::new()),
            seen: Vec::new(),
        }));
        let handshakes = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let (st, ok, bad) = (state.clone(), handshakes.clone(), refused.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let acceptor = tls.then(acceptor);
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let (st, ok, bad, acceptor) =
                        (st.clone(), ok.clone(), bad.clone(), acceptor.clone());
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| handle(req, st.clone()));
                        let http = hyper::server::conn::http1::Builder::new();
                        match acceptor {
                            None => {
                                let _ = http.serve_connection(TokioIo::new(stream), svc).await;
                            }
                            Some(acceptor) => match acceptor.accept(stream).await {
                                Ok(tls) => {
                                    ok.fetch_add(1, Ordering::SeqCst);
                                    let _ = http.serve_connection(TokioIo::new(tls), svc).await;
                                }
                                Err(_) => {
                                    bad.fetch_add(1, Ordering::SeqCst);
                                }
                            },
                        }
                    });
                }
            });
        });
        V2Server {
            addr: rx.recv().unwrap(),
            tls,
            state,
            handshakes,
            refused,
        }
    }

    pub fn base_uri(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        let host = if self.tls {
            "localhost".to_string()
        } else {
            self.addr.ip().to_string()
        };
        format!("{scheme}://{host}:{}/", self.addr.port())
    }

    /// The next answers: status, `Content-Type` and body, sent verbatim.
    pub fn set_reply(&self, status: u16, content_type: &str, body: impl Into<Bytes>) {
        self.state.lock().unwrap().reply = (status, content_type.into(), body.into());
    }

    /// Answers a signed XML document with these fields (MD5, or HMAC-SHA256
    /// when `hmac`), as WeChat Pay would.
    pub fn set_signed_reply(&self, fields: &[(&str, &str)], hmac: bool) {
        self.set_reply(200, "text/xml; charset=utf-8", signed_xml(fields, hmac));
    }

    pub fn take_seen(&self) -> Vec<Seen> {
        std::mem::take(&mut self.state.lock().unwrap().seen)
    }

    /// A client as PHP's `$instance` was configured: APIv3 credentials and the secret.
    pub fn client(&self) -> Client {
        self.builder().build().unwrap()
    }

    pub fn builder(&self) -> Builder {
        Builder::new()
            .mchid(MCHID)
            .serial(SERIAL)
            .private_key(
                PrivateKey::from_pem(&format!("file://{}", key_path("merchant_private_key.pem")))
                    .unwrap(),
            )
            .cert(
                PUB_KEY_ID,
                PublicKey::from_pem(&format!("file://{}", key_path("platform_public_key.pem")))
                    .unwrap(),
            )
            .secret(SECRET)
            .base_uri(self.base_uri())
    }

    /// A client for an APIv2-only merchant: mchid and secret alone.
    pub fn v2_only_builder(&self) -> Builder {
        Builder::new()
            .mchid(MCHID)
            .secret(SECRET)
            .base_uri(self.base_uri())
    }
}

/// Signs `fields` with [`SECRET`] and writes them as XML, every value in CDATA.
pub fn signed_xml(fields: &[(&str, &str)], hmac: bool) -> String {
    let mut map = Map::new();
    for (k, v) in fields {
        map.insert((*k).to_string(), Value::String((*v).to_string()));
    }
    let kind = if hmac {
        SignType::HmacSha256
    } else {
        SignType::Md5
    };
    let sign = hash::sign(kind, &query_string_like(&ksort(&map)), SECRET);
    let mut xml = String::from("<xml>");
    for (k, v) in fields.iter().chain([&("sign", sign.as_str())]) {
        xml.push_str(&format!("<{k}><![CDATA[{v}]]></{k}>"));
    }
    xml.push_str("</xml>");
    xml
}

/// WeChat Pay's check: the declared `sign_type` (default MD5) over the fields.
pub fn sign_ok(fields: &Map<String, Value>) -> bool {
    let kind = match fields.get("sign_type").and_then(Value::as_str) {
        None => SignType::Md5,
        Some("MD5") => SignType::Md5,
        Some("HMAC-SHA256") => SignType::HmacSha256,
        Some(_) => return false,
    };
    let Some(sign) = fields.get("sign").and_then(Value::as_str) else {
        return false;
    };
    hash::sign(kind, &query_string_like(&ksort(fields)), SECRET) == sign
}

fn query_fields(query: &str) -> Map<String, Value> {
    let mut map = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let dec = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        map.insert(dec(k), Value::String(dec(v)));
    }
    map
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<Mutex<State>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let query = req.uri().query().unwrap_or("").to_string();
    let headers = req.headers().clone();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let fields = if method == "GET" {
        Some(query_fields(&query))
    } else {
        std::str::from_utf8(&body).ok().and_then(|t| to_map(t).ok())
    };
    let ok = fields.as_ref().is_some_and(sign_ok);
    let reply = {
        let mut st = state.lock().unwrap();
        st.seen.push(Seen {
            method,
            target,
            headers,
            body,
            fields,
            sign_ok: ok,
        });
        st.reply.clone()
    };
    let mut resp = Response::builder().status(reply.0);
    if !reply.1.is_empty() {
        resp = resp.header("Content-Type", reply.1);
    }
    Ok(resp.body(Full::new(reply.2)).unwrap())
}
