//! The HTTP side: authenticate, route, sign the answer, misbehave on request.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, sync::oneshot};

use super::{
    Fault, SigningMode, auth,
    faults::FAULT_HEADER,
    payscore::Reply,
    state::{Control, Shared, reply_body},
    v2::V2,
};
use wechatpay::formatter;

/// Requests larger than this are refused, as a real gateway would.
const MAX_REQUEST_BODY: usize = 1 << 20;

pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let v2 = Arc::new(V2::new(&shared.keys.mchid, &shared.keys.apiv2_secret));
    // Open connections live here, so that stopping the sandbox also closes
    // the keep-alive connections clients hold: dropping the set aborts them.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                let v2 = v2.clone();
                connections.spawn(async move {
                    let svc = service_fn(move |req| handle(req, shared.clone(), v2.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
    }
}

/// The error that makes hyper drop the connection (the `drop` fault).
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on request")
    }
}

impl std::error::Error for DropConnection {}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    v2: Arc<V2>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let fault = req
        .headers()
        .get(FAULT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(Fault::parse);
    let authorization = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match Limited::new(req.into_body(), MAX_REQUEST_BODY)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let reply = Reply::error(
                413,
                "INVALID_REQUEST",
                "the request body is larger than 1 MiB",
            );
            return Ok(sign(&shared, reply, None));
        }
    };

    if fault == Some(Fault::Drop) {
        return Err(DropConnection);
    }
    if fault == Some(Fault::Slow) {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    // APIv2: no Authorization, XML signed with the APIv2 secret.
    if V2::serves(&path) {
        return Ok(v2.handle(&method, &path, &body));
    }

    let reply = if let Some(rest) = path.strip_prefix("/sandbox/payscore/") {
        control(&shared, &method, rest)
    } else if let Err(why) = auth::check(
        &auth::Merchant {
            mchid: &shared.keys.mchid,
            serial: &shared.keys.serial,
            key: &shared.merchant_public,
        },
        &method,
        &target,
        authorization.as_deref(),
        &body,
        formatter::timestamp(),
    ) {
        Reply::error(401, "SIGN_ERROR", why)
    } else if fault == Some(Fault::ServerError) {
        Reply::system_error()
    } else if path == "/v3/certificates" {
        if method == "GET" {
            shared.certificates()
        } else {
            Reply::error(405, "METHOD_NOT_ALLOWED", "v3/certificates takes GET")
        }
    } else if path.starts_with("/v3/payscore/") {
        shared.payscore(&method, &path, &query, &body)
    } else {
        Reply::error(
            404,
            "NOT_FOUND",
            format!("the sandbox does not serve {path}"),
        )
    };
    Ok(sign(&shared, reply, fault))
}

/// `POST /sandbox/payscore/{out_order_no}/{confirm|pay|expire|paying}`.
fn control(shared: &Shared, method: &str, rest: &str) -> Reply {
    if method != "POST" {
        return Reply::error(405, "METHOD_NOT_ALLOWED", "control calls take POST");
    }
    let Some((order, action)) = rest.rsplit_once('/') else {
        return Reply::error(
            404,
            "NOT_FOUND",
            "use /sandbox/payscore/{out_order_no}/{confirm|pay|expire|paying}",
        );
    };
    let control = match action {
        "confirm" => Control::Confirm,
        "pay" => Control::Pay,
        "expire" => Control::Expire,
        "paying" => Control::PayingAtCashier,
        _ => return Reply::error(404, "NOT_FOUND", format!("unknown control `{action}`")),
    };
    let order = percent_encoding::percent_decode_str(order).decode_utf8_lossy();
    match shared.control_reply(&order, control) {
        Ok(()) => Reply::no_content(),
        Err(reply) => reply,
    }
}

/// Signs every answer, errors included, as WeChat Pay does, then applies the fault.
fn sign(shared: &Shared, reply: Reply, fault: Option<Fault>) -> Response<Full<Bytes>> {
    let body = reply_body(&reply);
    let mut timestamp = formatter::timestamp();
    if fault == Some(Fault::StaleTimestamp) {
        timestamp -= 600;
    }
    let nonce = formatter::nonce(32);
    let ts = timestamp.to_string();
    // Bodies the sandbox writes are JSON, so always UTF-8.
    let text = std::str::from_utf8(&body).unwrap_or_default();
    let signed_body = if fault == Some(Fault::BadSignature) {
        "tampered"
    } else {
        text
    };
    let message = formatter::response(&ts, &nonce, signed_body);
    let mut signature = shared.platform.sign(message).unwrap_or_default();
    let mut serial = match shared.signing_mode {
        SigningMode::PublicKey => shared.keys.public_key_id.clone(),
        SigningMode::Certificate => shared.keys.platform_cert_serial.clone(),
    };
    match fault {
        Some(Fault::GarbageSignature) => signature = "not*base64*at*all".into(),
        Some(Fault::SignTest) => signature = format!("WECHATPAY/SIGNTEST/{signature}"),
        Some(Fault::UnknownSerial) => serial = "PUB_KEY_ID_UNKNOWN_0000000000000000".into(),
        Some(Fault::CertificateSerial) => serial = shared.keys.platform_cert_serial.clone(),
        _ => {}
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Full::new(body.clone()));
    *response.status_mut() = status;
    let h = response.headers_mut();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    put("Request-ID", format!("sandbox-{nonce}"));
    if !body.is_empty() {
        put("Content-Type", "application/json; charset=utf-8".into());
    }
    if fault != Some(Fault::MissingHeaders) {
        put("Wechatpay-Timestamp", ts);
        put("Wechatpay-Nonce", nonce);
        put("Wechatpay-Serial", serial);
        put("Wechatpay-Signature", signature);
        put(
            "Wechatpay-Signature-Type",
            "WECHATPAY2-SHA256-RSA2048".into(),
        );
    }
    if fault == Some(Fault::Truncate) && !body.is_empty() {
        // Promise more than is sent; the connection closes short.
        put("Content-Length", (body.len() + 64).to_string());
    }
    response
}
