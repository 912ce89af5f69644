//! A loopback server that checks each request's signature as WeChat Pay does
//! and answers signed with the platform key, in any of the failure modes the
//! PHP SDK was recorded against (`../shared/conformance/response.jsonl`).
#![allow(dead_code)]

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use wechatpay::{
    Builder, Client,
    crypto::{PrivateKey, PublicKey},
    formatter,
};

pub const MCHID: &str = "1900000001";
pub const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0119000000012025010100000000000001";
pub const CERT_SERIAL: &str = "7132D72A03E93CDDF8C03BBD1F37EEDF843BB0CE";

pub fn key_path(name: &str) -> String {
    format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn merchant_key() -> PrivateKey {
    PrivateKey::from_pem(&format!("file://{}", key_path("merchant_private_key.pem"))).unwrap()
}

pub fn platform_key() -> PrivateKey {
    PrivateKey::from_pem(&format!("file://{}", key_path("platform_private_key.pem"))).unwrap()
}

/// How the server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Ok,
    BadSig,
    BadSigGarbage,
    MissingHeaders,
    UnknownSerial,
    StaleTimestamp,
    Http400,
    Http500,
    Ok200Empty,
    OkCertSerial,
    SignTest,
    /// A 302 to another path of this server, signed.
    Redirect,
    /// Answers after two seconds.
    Slow,
    /// A 2 MiB body, signed.
    Huge,
}

impl Mode {
    pub fn parse(s: &str) -> Mode {
        match s {
            "ok" => Mode::Ok,
            "badsig" => Mode::BadSig,
            "badsig_garbage" => Mode::BadSigGarbage,
            "missing_headers" => Mode::MissingHeaders,
            "unknown_serial" => Mode::UnknownSerial,
            "stale_timestamp" => Mode::StaleTimestamp,
            "http_400" => Mode::Http400,
            "http_500" => Mode::Http500,
            "ok_200_empty" => Mode::Ok200Empty,
            "ok_cert_serial" => Mode::OkCertSerial,
            other => panic!("unknown mode {other}"),
        }
    }
}

/// What reached the server.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
    /// The Authorization signature verified with the merchant public key.
    pub signature_ok: bool,
    pub signed_message: String,
}

struct State {
    mode: Mode,
    /// Status and body to answer with in the success modes.
    reply: (u16, String),
    seen: Vec<Seen>,
}

#[derive(Clone)]
pub struct TestServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl TestServer {
    /// Starts on a free loopback port, on a runtime of its own so that
    /// blocking-style tests can use it too.
    pub fn start() -> TestServer {
        let (tx, rx) = std::sync::mpsc::channel();
        let state = Arc::new(Mutex::new(State {
            mode: Mode::Ok,
            reply: (200, r#"{"state":"CREATED"}"#.into()),
            seen: Vec::new(),
        }));
        let st = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let merchant_pub = merchant_key().public_key().unwrap();
                let platform = platform_key();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let st = st.clone();
                    let merchant_pub = merchant_pub.clone();
                    let platform = platform.clone();
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| {
                            handle(req, st.clone(), merchant_pub.clone(), platform.clone())
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            });
        });
        TestServer {
            addr: rx.recv().unwrap(),
            state,
        }
    }

    pub fn base_uri(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    pub fn set_reply(&self, status: u16, body: &str) {
        self.state.lock().unwrap().reply = (status, body.to_string());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn take_seen(&self) -> Vec<Seen> {
        std::mem::take(&mut self.state.lock().unwrap().seen)
    }

    /// A builder in public-key mode, as the PHP `$instance` was configured,
    /// for tests that add options of their own.
    pub fn builder(&self) -> Builder {
        Builder::new()
            .mchid(MCHID)
            .serial(SERIAL)
            .private_key(merchant_key())
            .cert(
                PUB_KEY_ID,
                PublicKey::from_pem(&format!("file://{}", key_path("platform_public_key.pem")))
                    .unwrap(),
            )
            .base_uri(self.base_uri())
    }

    /// A client in public-key mode, as the PHP `$instance` was configured.
    pub fn client(&self) -> Client {
        self.builder().build().unwrap()
    }

    /// A client in platform-certificate mode, as PHP's `$instanceCert`.
    pub fn cert_client(&self) -> Client {
        Builder::new()
            .mchid(MCHID)
            .serial(SERIAL)
            .private_key(merchant_key())
            .cert(
                CERT_SERIAL,
                PublicKey::from_pem(&format!("file://{}", key_path("platform_cert.pem"))).unwrap(),
            )
            .base_uri(self.base_uri())
            .build()
            .unwrap()
    }
}

fn parse_authorization(value: &str) -> Option<Vec<(String, String)>> {
    let rest = value.strip_prefix("WECHATPAY2-SHA256-RSA2048 ")?;
    let mut out = Vec::new();
    for part in rest.split(',') {
        let (k, v) = part.split_once('=')?;
        out.push((
            k.to_string(),
            v.strip_prefix('"')?.strip_suffix('"')?.to_string(),
        ));
    }
    Some(out)
}

/// What WeChat Pay checks the signature against: the body, or for a media
/// upload the `meta` part's JSON.
fn signed_text(headers: &http::HeaderMap, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body).into_owned();
    let multipart = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        return text;
    }
    let Some(at) = text.find("name=\"meta\"") else {
        return String::new();
    };
    let rest = &text[at..];
    let start = rest.find("\r\n\r\n").map(|i| i + 4).unwrap_or(0);
    let end = rest[start..]
        .find("\r\n--")
        .map(|i| start + i)
        .unwrap_or(start);
    rest[start..end].to_string()
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<Mutex<State>>,
    merchant_pub: PublicKey,
    platform: PrivateKey,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let headers = req.headers().clone();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();

    // Check the signature exactly as WeChat Pay does.
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_authorization);
    let (signature_ok, signed_message) = match &auth {
        Some(params) => {
            let get = |k: &str| {
                params
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("")
            };
            let order: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
            let message = formatter::request(
                &method,
                &target,
                get("timestamp"),
                get("nonce_str"),
                &signed_text(&headers, &body),
            );
            let ok = order == ["mchid", "serial_no", "timestamp", "nonce_str", "signature"]
                && get("mchid") == MCHID
                && get("serial_no") == SERIAL
                && get("nonce_str").len() == 32
                && (formatter::timestamp() - get("timestamp").parse::<i64>().unwrap_or(0)).abs()
                    <= 300
                && merchant_pub.verify(&message, get("signature"));
            (ok, message)
        }
        None => (false, String::new()),
    };
    let (mode, reply) = {
        let mut st = state.lock().unwrap();
        st.seen.push(Seen {
            method,
            target,
            headers,
            body,
            signature_ok,
            signed_message,
        });
        (st.mode, st.reply.clone())
    };

    let (status, body) = if !signature_ok {
        (
            401,
            r#"{"code":"SIGN_ERROR","message":"signature does not verify"}"#.to_string(),
        )
    } else {
        match mode {
            Mode::Http400 => (
                400,
                r#"{"code":"PARAM_ERROR","message":"simulated parameter error"}"#.into(),
            ),
            Mode::Http500 => (
                500,
                r#"{"code":"SYSTEM_ERROR","message":"simulated system error"}"#.into(),
            ),
            Mode::Ok200Empty => (200, String::new()),
            Mode::Redirect => (302, String::new()),
            Mode::Huge => (200, "x".repeat(2 << 20)),
            _ => reply,
        }
    };
    if mode == Mode::Slow {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    let mut ts = formatter::timestamp();
    if mode == Mode::StaleTimestamp {
        ts -= 600;
    }
    let nonce = formatter::nonce(32);
    let mut signature = platform
        .sign(formatter::response(&ts.to_string(), &nonce, &body))
        .unwrap();
    let mut serial = PUB_KEY_ID.to_string();
    match mode {
        Mode::BadSig => {
            // A valid signature over other bytes.
            signature = platform
                .sign(formatter::response(&ts.to_string(), &nonce, "tampered"))
                .unwrap();
        }
        Mode::BadSigGarbage => signature = "not*base64*at*all".into(),
        Mode::SignTest => signature = format!("WECHATPAY/SIGNTEST/{}", STANDARD.encode(b"probe")),
        Mode::UnknownSerial => serial = "PUB_KEY_ID_UNKNOWN_0000000000000000".into(),
        Mode::OkCertSerial => serial = CERT_SERIAL.into(),
        _ => {}
    }
    let mut resp = Response::builder()
        .status(status)
        .header("Request-ID", format!("test-{nonce}"));
    if !body.is_empty() {
        resp = resp.header("Content-Type", "application/json; charset=utf-8");
    }
    if mode == Mode::Redirect {
        resp = resp.header("Location", "/v3/redirected");
    }
    if mode != Mode::MissingHeaders {
        resp = resp
            .header("Wechatpay-Nonce", &nonce)
            .header("Wechatpay-Signature", signature)
            .header("Wechatpay-Timestamp", ts.to_string())
            .header("Wechatpay-Serial", serial)
            .header("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048");
    }
    Ok(resp.body(Full::new(Bytes::from(body))).unwrap())
}
