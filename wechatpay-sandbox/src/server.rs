//! The HTTP side: accept (over TLS when configured), check the request's
//! signature, record it, answer from a stub or a route, sign the answer,
//! misbehave on request.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use std::future::Future as _;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio::{net::TcpListener, sync::oneshot};
use tokio_rustls::TlsAcceptor;
use wechatpay::{crypto::hash::SignType, formatter, transformer::to_xml};

use crate::{
    Fault, auth,
    faults::FAULT_HEADER,
    payscore::Reply,
    record::{Protocol, RecordedRequest},
    signing,
    state::{Cashier, Control, Shared, reply_body},
    stubs::{Stub, StubBody},
    v2::V2,
};

/// Requests larger than this are refused, as a real gateway would.
const MAX_REQUEST_BODY: usize = 1 << 20;

pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
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
                let _ = stream.set_nodelay(true);
                let (shared, v2, tls) = (shared.clone(), v2.clone(), tls.clone());
                connections.spawn(async move {
                    shared.connections.opened.fetch_add(1, Ordering::SeqCst);
                    let svc = {
                        let shared = shared.clone();
                        service_fn(move |req| handle(req, shared.clone(), v2.clone()))
                    };
                    let http = hyper::server::conn::http1::Builder::new();
                    match tls {
                        None => {
                            let _ = http.serve_connection(TokioIo::new(stream), svc).await;
                        }
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(tls) => {
                                shared.connections.tls_handshakes.fetch_add(1, Ordering::SeqCst);
                                let _ = http.serve_connection(TokioIo::new(tls), svc).await;
                            }
                            Err(_) => {
                                shared.connections.tls_refused.fetch_add(1, Ordering::SeqCst);
                            }
                        },
                    }
                    shared.connections.closed.fetch_add(1, Ordering::SeqCst);
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

/// A request, read whole.
struct Arrived {
    method: String,
    path: String,
    query: String,
    target: String,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Arrived {
    fn protocol(&self) -> Protocol {
        let v3 = self.headers.contains_key(header::AUTHORIZATION) || self.path.starts_with("/v3/");
        if v3 { Protocol::V3 } else { Protocol::V2 }
    }

    /// The APIv2 fields: the XML body, or the query of a GET.
    fn v2_fields(&self) -> Option<Map<String, Value>> {
        crate::record::v2_fields(&self.method, &self.query, &self.body)
    }
}

/// An answer body: whole, or spoiled on purpose (cut off, dripping).
type AnswerBody = http_body_util::Either<Full<Bytes>, Spoiled>;

/// A body a fault spoils.
enum Spoiled {
    Truncated(Truncated),
    Dripping(Dripping),
}

impl hyper::body::Body for Spoiled {
    type Data = Bytes;
    type Error = DropConnection;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, DropConnection>>> {
        match self.get_mut() {
            Spoiled::Truncated(t) => std::pin::Pin::new(t).poll_frame(cx),
            Spoiled::Dripping(d) => std::pin::Pin::new(d).poll_frame(cx),
        }
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            Spoiled::Truncated(t) => t.size_hint(),
            Spoiled::Dripping(d) => hyper::body::SizeHint::with_exact(d.promised),
        }
    }
}

/// A whole body sent one byte every [`DRIP_INTERVAL`] (the `drip` fault).
struct Dripping {
    rest: Bytes,
    promised: u64,
    pause: std::pin::Pin<Box<tokio::time::Sleep>>,
}

/// How slowly the `drip` fault sends.
const DRIP_INTERVAL: Duration = Duration::from_millis(100);

impl hyper::body::Body for Dripping {
    type Data = Bytes;
    type Error = DropConnection;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, DropConnection>>> {
        if self.rest.is_empty() {
            return std::task::Poll::Ready(None);
        }
        std::task::ready!(self.pause.as_mut().poll(cx));
        let next = tokio::time::Instant::now() + DRIP_INTERVAL;
        self.pause.as_mut().reset(next);
        let byte = self.rest.split_to(1);
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(byte))))
    }
}

/// A body that promises its whole length, sends half and fails, so the
/// connection closes short of its `Content-Length` (the `truncate` fault).
struct Truncated {
    data: Option<Bytes>,
    promised: u64,
    /// A pause before failing, so hyper flushes the half that was sent.
    pause: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl hyper::body::Body for Truncated {
    type Data = Bytes;
    type Error = DropConnection;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, DropConnection>>> {
        if let Some(half) = self.data.take() {
            return std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(half))));
        }
        std::task::ready!(self.pause.as_mut().poll(cx));
        std::task::Poll::Ready(Some(Err(DropConnection)))
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.promised)
    }
}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    v2: Arc<V2>,
) -> Result<Response<AnswerBody>, DropConnection> {
    let response = answer(req, shared, v2).await?;
    let Some(BodyFault(fault)) = response.extensions().get::<BodyFault>().copied() else {
        return Ok(response.map(http_body_util::Either::Left));
    };
    let (parts, body) = response.into_parts();
    let whole = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let promised = whole.len() as u64;
    let spoiled = if fault == Fault::Drip {
        Spoiled::Dripping(Dripping {
            rest: whole,
            promised,
            pause: Box::pin(tokio::time::sleep(DRIP_INTERVAL)),
        })
    } else {
        Spoiled::Truncated(Truncated {
            data: Some(whole.slice(..whole.len() / 2)),
            promised,
            pause: Box::pin(tokio::time::sleep(Duration::from_millis(50))),
        })
    };
    Ok(Response::from_parts(
        parts,
        http_body_util::Either::Right(spoiled),
    ))
}

async fn answer(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    v2: Arc<V2>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let (parts, body) = req.into_parts();
    let arrived = Arrived {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        target: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
        headers: parts.headers,
        body: match Limited::new(body, MAX_REQUEST_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                let reply = Reply::error(
                    413,
                    "INVALID_REQUEST",
                    "the request body is larger than 1 MiB",
                );
                return Ok(signed(&shared, &reply, None));
            }
        },
    };
    // What the user does in WeChat: unsigned, not recorded.
    if let Some(rest) = arrived.path.strip_prefix("/sandbox/payscore/") {
        let reply = control(&shared, &arrived.method, rest);
        return Ok(signed(&shared, &reply, None));
    }
    if let Some(rest) = arrived.path.strip_prefix("/sandbox/transactions/") {
        let reply = cashier(&shared, &arrived.method, rest);
        return Ok(signed(&shared, &reply, None));
    }

    let protocol = arrived.protocol();
    let signature = match protocol {
        Protocol::V3 => auth::check(
            &auth::Merchant {
                mchid: &shared.keys.mchid,
                serial: &shared.keys.serial,
                key: &shared.merchant_public,
            },
            &arrived.method,
            &arrived.target,
            arrived
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
            &arrived.headers,
            &arrived.body,
            formatter::timestamp(),
        ),
        Protocol::V2 => match arrived.v2_fields() {
            Some(fields) => signing::check_v2(&fields, &shared.keys.apiv2_secret),
            None => Err("the body is not XML".into()),
        },
    };
    shared.log.push(RecordedRequest {
        method: arrived.method.clone(),
        target: arrived.target.clone(),
        headers: arrived.headers.clone(),
        body: arrived.body.clone(),
        protocol,
        signature: signature.clone(),
    });

    let stub = shared.stubs.take(&arrived.method, &arrived.path);
    let fault = arrived
        .headers
        .get(FAULT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(Fault::parse)
        .or(stub.as_ref().and_then(|s| s.fault))
        .or_else(|| shared.sticky_fault());
    match fault {
        Some(Fault::Drop) => return Err(DropConnection),
        Some(Fault::Hang) => std::future::pending::<()>().await,
        Some(Fault::Slow) => tokio::time::sleep(Duration::from_secs(3)).await,
        _ => {}
    }

    let mut response = respond(&shared, &v2, &arrived, signature, stub, fault);
    if let Some(f @ (Fault::Truncate | Fault::Drip)) = fault {
        // Whichever asked for it (a stub's fault included), `handle` spoils
        // the body as it is sent.
        response.extensions_mut().insert(BodyFault(f));
    }
    Ok(response)
}

/// Marks an answer whose body a fault spoils on the way out.
#[derive(Debug, Clone, Copy)]
struct BodyFault(Fault);

/// The answer to an authenticated-or-not request, once `fault` is chosen.
fn respond(
    shared: &Shared,
    v2: &V2,
    arrived: &Arrived,
    signature: Result<(), String>,
    stub: Option<Stub>,
    fault: Option<Fault>,
) -> Response<Full<Bytes>> {
    if arrived.protocol() == Protocol::V2 {
        return answer_v2(shared, v2, arrived, signature, stub);
    }
    if let Err(why) = signature {
        return signed(shared, &Reply::error(401, "SIGN_ERROR", why), fault);
    }
    if fault == Some(Fault::ServerError) {
        return signed(shared, &Reply::system_error(), fault);
    }
    if let Some(stub) = stub {
        return from_stub(shared, &stub, fault);
    }
    if arrived.path == BILL_DOWNLOAD {
        return bill_download(shared, arrived, fault);
    }
    let reply = route_v3(shared, arrived);
    if arrived.path == "/v3/certificates" && reply.status == 200 {
        let body = reply_body(&reply);
        return shared.signer.sign_as_certificate(
            200,
            Some("application/json; charset=utf-8"),
            body,
            fault,
        );
    }
    signed(shared, &reply, fault)
}

/// Where bills are downloaded from: answered unsigned, as WeChat Pay does.
const BILL_DOWNLOAD: &str = "/v3/billdownload/file";

/// The bill file, unsigned; errors are signed like any other answer.
fn bill_download(shared: &Shared, a: &Arrived, fault: Option<Fault>) -> Response<Full<Bytes>> {
    if a.method != "GET" {
        let reply = Reply::error(405, "METHOD_NOT_ALLOWED", "allowed methods: GET");
        return signed(shared, &reply, fault);
    }
    match shared.bill_file(&a.query) {
        Ok(file) => plain(&Stub::any().raw("application/octet-stream", file)),
        Err(reply) => signed(shared, &reply, fault),
    }
}

fn route_v3(shared: &Shared, a: &Arrived) -> Reply {
    if a.path == "/v3/certificates" {
        if a.method == "GET" {
            shared.certificates()
        } else {
            Reply::error(405, "METHOD_NOT_ALLOWED", "v3/certificates takes GET")
        }
    } else if a.path.starts_with("/v3/payscore/") {
        shared.payscore(&a.method, &a.path, &a.query, &a.body)
    } else if ["/v3/pay/", "/v3/refund/domestic/", "/v3/bill/"]
        .iter()
        .any(|p| a.path.starts_with(p))
    {
        shared.payments(&a.method, &a.path, &a.query, &a.body)
    } else {
        Reply::error(
            404,
            "NOT_FOUND",
            format!("the sandbox does not serve {}", a.path),
        )
    }
}

/// APIv2: the request's `sign` checked as WeChat Pay checks it, then a stub
/// or the sandbox's own APIv2 routes.
fn answer_v2(
    shared: &Shared,
    v2: &V2,
    a: &Arrived,
    signature: Result<(), String>,
    stub: Option<Stub>,
) -> Response<Full<Bytes>> {
    if stub.is_none() && V2::serves(&a.path) {
        // The sandbox's own APIv2 routes check the sign themselves.
        return v2.handle(&a.method, &a.path, &a.body);
    }
    if signature.is_err() {
        let mut fail = Map::new();
        fail.insert("return_code".into(), "FAIL".into());
        fail.insert("return_msg".into(), "签名错误".into());
        return xml_response(200, &fail, &[]);
    }
    let Some(stub) = stub else {
        let mut fail = Map::new();
        fail.insert("return_code".into(), "FAIL".into());
        fail.insert(
            "return_msg".into(),
            format!("the sandbox does not serve {}", a.path).into(),
        );
        return xml_response(200, &fail, &[]);
    };
    match &stub.body {
        StubBody::SignedXml { fields, hmac } => {
            let mut fields = fields.clone();
            let kind = if *hmac {
                SignType::HmacSha256
            } else {
                SignType::Md5
            };
            signing::sign_v2(&mut fields, &shared.keys.apiv2_secret, kind);
            xml_response(stub.status, &fields, &stub.headers)
        }
        _ => plain(&stub),
    }
}

fn xml_response(
    status: u16,
    fields: &Map<String, Value>,
    extra: &[(String, String)],
) -> Response<Full<Bytes>> {
    let xml =
        to_xml(fields).unwrap_or_else(|_| "<xml><return_code>FAIL</return_code></xml>".into());
    let mut r = plain(
        &Stub::any()
            .status(status)
            .raw("text/xml; charset=utf-8", Bytes::from(xml)),
    );
    for (k, v) in extra {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            r.headers_mut().append(n, v);
        }
    }
    r
}

/// A stub's answer exactly as written, unsigned (APIv2 answers carry
/// their signature in the body).
fn plain(stub: &Stub) -> Response<Full<Bytes>> {
    let (content_type, body) = stub_body(stub);
    let mut r = Response::new(Full::new(body));
    *r.status_mut() =
        http::StatusCode::from_u16(stub.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    for (k, v) in &stub.headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            r.headers_mut().append(n, v);
        }
    }
    r
}

fn stub_body(stub: &Stub) -> (Option<String>, Bytes) {
    match &stub.body {
        StubBody::Empty => (None, Bytes::new()),
        StubBody::Json(v) => (
            Some("application/json; charset=utf-8".into()),
            Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
        ),
        StubBody::Raw { content_type, body } => (Some(content_type.clone()), body.clone()),
        StubBody::SignedXml { fields, .. } => (
            Some("text/xml; charset=utf-8".into()),
            Bytes::from(to_xml(fields).unwrap_or_default()),
        ),
    }
}

fn from_stub(shared: &Shared, stub: &Stub, fault: Option<Fault>) -> Response<Full<Bytes>> {
    let (content_type, body) = stub_body(stub);
    shared.signer.sign(
        stub.status,
        content_type.as_deref(),
        body,
        &stub.headers,
        fault,
    )
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

/// `POST /sandbox/transactions/{out_trade_no}/{pay|fail}`.
fn cashier(shared: &Shared, method: &str, rest: &str) -> Reply {
    if method != "POST" {
        return Reply::error(405, "METHOD_NOT_ALLOWED", "control calls take POST");
    }
    let step = match rest.rsplit_once('/') {
        Some((no, "pay")) => (no, Cashier::Pay),
        Some((no, "fail")) => (no, Cashier::Fail),
        _ => {
            return Reply::error(
                404,
                "NOT_FOUND",
                "use /sandbox/transactions/{out_trade_no}/{pay|fail}",
            );
        }
    };
    let no = percent_encoding::percent_decode_str(step.0).decode_utf8_lossy();
    match shared.cashier(&no, step.1) {
        Ok(()) => Reply::no_content(),
        Err(reply) => reply,
    }
}

/// Signs every answer, errors included, as WeChat Pay does, then applies the fault.
fn signed(shared: &Shared, reply: &Reply, fault: Option<Fault>) -> Response<Full<Bytes>> {
    let body = reply_body(reply);
    let content_type = (!body.is_empty()).then_some("application/json; charset=utf-8");
    shared
        .signer
        .sign(reply.status, content_type, body, &[], fault)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wechatpay::Options;

    use crate::{Fault, Sandbox, Stub};

    #[test]
    fn truncate_cuts_the_answer_whoever_asks_for_it() {
        let sandbox = Sandbox::start_blocking().unwrap();
        let client = sandbox.client().unwrap();
        let stub = || Stub::path("/v3/x").json(json!({"data": "0123456789abcdef"}));
        type Arrange = fn(&Sandbox, Stub);
        let cases: [(&str, Arrange, Options); 3] = [
            (
                "the header",
                |s, stub| s.stub(stub),
                Fault::Truncate.options(),
            ),
            (
                "a stub",
                |s, stub| s.stub(stub.fault(Fault::Truncate)),
                Options::new(),
            ),
            (
                "the sticky fault",
                |s, stub| {
                    s.stub(stub);
                    s.set_fault(Some(Fault::Truncate));
                },
                Options::new(),
            ),
        ];
        let mut ran = 0;
        for (asked_by, arrange, options) in cases {
            arrange(&sandbox, stub());
            let e = client.chain("v3/x").get(options).unwrap_err();
            assert!(e.is_body() && !e.is_before_send(), "{asked_by}: {e:?}");
            sandbox.clear_stubs();
            sandbox.set_fault(None);
            ran += 1;
        }
        assert_eq!(ran, 3);
        // The control: the same stub without the fault arrives whole.
        sandbox.stub(stub());
        assert!(client.chain("v3/x").get(()).is_ok());
    }
}
