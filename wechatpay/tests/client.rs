//! The client over real loopback HTTP against the sandbox: the three
//! styles, where calls run, cancellation, panics, what every failure says
//! about whether WeChat Pay could have the request, and the stack.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::json;
use wechatpay::{
    Builder, Error, Response, VerificationFailure, chain,
    crypto::PrivateKey,
    middleware::{BoxFuture, MessageSigner, Middleware, Next, Request, clone_request},
};
use wechatpay_sandbox::{Fault, Sandbox, Stub};

fn sandbox() -> Sandbox {
    Sandbox::start_blocking().expect("sandbox")
}

/// A stub that answers every request 200 `{}`.
fn ok_everywhere(s: &Sandbox) {
    s.stub(Stub::any().json(json!({})));
}

/// Waits up to `within` for `f` to hold; for facts another thread settles.
fn eventually(within: Duration, mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    f()
}

// ---- styles and templates ----

#[test]
fn chain_macro_normalizes_like_php() {
    let s = sandbox();
    let client = s.client().unwrap();
    assert_eq!(
        chain!(client.v3.payscore.partner.serviceorder._out_order_no_.sync).template(),
        "v3/payscore/partner/serviceorder/{out_order_no}/sync"
    );
    assert_eq!(
        chain!(client.v3.merchantService.complaintsV2).template(),
        "v3/merchant-service/complaints-v2"
    );
    assert_eq!(
        chain!(client.V3.x._outOrderNo_).template(),
        "v3/x/{out-order-no}"
    );
    assert_eq!(
        chain!(client.v3."merchant-service".complaints).template(),
        "v3/merchant-service/complaints"
    );
    let holder = (client.clone(),);
    assert_eq!(
        chain!((holder.0).v3.certificates).template(),
        "v3/certificates"
    );
    // keywords are segments too
    assert_eq!(chain!(client.v3.type.move).template(), "v3/type/move");
    assert_eq!(chain!(client.v3.r#type).template(), "v3/type");

    // PHP service classes hold the client in a field: `$this->instance->v3->…`.
    struct Orders {
        client: wechatpay::Client,
    }
    impl Orders {
        fn sync(&self) -> wechatpay::Chain {
            chain!(self.client.v3.payscore.serviceorder._out_order_no_.sync)
        }
    }
    let orders = Orders { client };
    assert_eq!(
        orders.sync().template(),
        "v3/payscore/serviceorder/{out_order_no}/sync"
    );
}

#[test]
fn hyphenated_placeholder_takes_the_hyphenated_key() {
    let s = sandbox();
    ok_everywhere(&s);
    let client = s.client().unwrap();
    chain!(client.v3.payscore.serviceorder._outOrderNo_.sync)
        .post(json!({"out-order-no": "A1", "json": {}}))
        .unwrap();
    assert_eq!(
        s.take_requests()[0].target,
        "/v3/payscore/serviceorder/A1/sync"
    );
}

#[test]
fn strings_are_taken_verbatim_in_every_style() {
    let s = sandbox();
    ok_everywhere(&s);
    let client = s.client().unwrap();
    client
        .chain("v3/payscore/serviceorder/ABC_Def")
        .get(())
        .unwrap();
    client["v3/payscore/serviceorder/XyZ"].get(()).unwrap();
    client["v3"]["payscore"].get(()).unwrap();
    let targets: Vec<String> = s.take_requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/v3/payscore/serviceorder/ABC_Def",
            "/v3/payscore/serviceorder/XyZ",
            "/v3/payscore"
        ]
    );
}

#[test]
fn index_hands_out_one_node_per_literal_and_chain_a_new_one() {
    let s = sandbox();
    let client = s.client().unwrap();
    let a: *const _ = &client["v3/payscore/serviceorder"];
    let b: *const _ = &client["v3/payscore/serviceorder"];
    assert_eq!(a, b);
    let nested: *const _ = &client["v3"]["payscore"];
    let again: *const _ = &client["v3"]["payscore"];
    assert_eq!(nested, again);
    assert_eq!(client["v3"]["payscore"].template(), "v3/payscore");
    // clones share the nodes
    let clone = client.clone();
    assert!(clone["v3/payscore/serviceorder"].same_node(&client["v3/payscore/serviceorder"]));
    // `chain()` is for strings built at run time: nothing is kept per string.
    assert!(!client.chain("v3").same_node(&client.chain("v3")));
    assert_eq!(
        client.chain("v3").chain("payscore").template(),
        "v3/payscore"
    );
}

#[test]
fn path_variables_cannot_change_the_path_or_the_host() {
    let s = sandbox();
    ok_everywhere(&s);
    let client = s.client().unwrap();
    let c = client.chain("v3/payscore/serviceorder/{out_order_no}/sync");
    for (value, encoded) in [
        ("a/b", "a%2Fb"),
        ("100%", "100%25"),
        ("a%2F", "a%252F"),
        ("x?y#z", "x%3Fy%23z"),
        ("中", "%E4%B8%AD"),
    ] {
        c.post(json!({"out_order_no": value, "json": {}})).unwrap();
        assert_eq!(
            s.take_requests()[0].target,
            format!("/v3/payscore/serviceorder/{encoded}/sync")
        );
    }
    for bad in ["..", "."] {
        let err = c.post(json!({"out_order_no": bad})).unwrap_err();
        assert!(err.is_template() && err.is_before_send(), "{err:?}");
    }
    // `{+x}` keeps reserved characters, so a value could name a host: refused.
    let raw = client.chain("{+x}v3/certificates");
    for escape in [
        "//evil.example/",
        "http://evil.example/",
        "https://evil.example/",
    ] {
        let err = raw.get(json!({"x": escape})).unwrap_err();
        assert!(err.is_template() && err.is_before_send(), "{escape}: {err}");
    }
    assert!(s.take_requests().is_empty(), "nothing was sent");
}

#[test]
fn missing_variables_send_nothing() {
    let s = sandbox();
    let client = s.client().unwrap();
    let mut refused = 0;
    for opts in [
        json!({}),
        json!({"out_order_no": ""}),
        json!({"out_order_no": null}),
        json!({"out_order_no": []}),
    ] {
        let err = chain!(client.v3.payscore.serviceorder._out_order_no_.sync)
            .post(opts)
            .unwrap_err();
        assert_eq!(err.missing_variable(), Some("out_order_no"));
        assert!(err.is_template() && err.is_before_send());
        assert!(
            err.to_string()
                .contains("v3/payscore/serviceorder/{out_order_no}/sync")
        );
        refused += 1;
    }
    assert_eq!(refused, 4);
    assert!(s.take_requests().is_empty());
}

#[test]
fn bad_options_are_typed_errors_and_send_nothing() {
    let s = sandbox();
    let client = s.client().unwrap();
    let c = client.chain("v3/x");
    let cases = [
        json!([1, 2]),
        json!({"json": {}, "body": "{}"}),
        json!({"body": 5}),
        json!({"headers": "x"}),
        json!({"headers": {"bad header": "v"}}),
        json!({"headers": {"X": "line\nbreak"}}),
        json!({"query": 5}),
        json!({"timeout": -1}),
        json!({"timeout": "5"}),
        json!({"base_uri": "::not a url"}),
        json!({"base_uri": "https://evil.example/"}),
        json!({"base_uri": "http://api.mch.weixin.qq.com/"}),
    ];
    for bad in &cases {
        let err = c.post(bad.clone()).unwrap_err();
        assert!(err.is_options() && err.is_before_send(), "{bad}: {err:?}");
    }
    assert_eq!(cases.len(), 12);
    let err = client.chain("v3/{unclosed").get(()).unwrap_err();
    assert!(err.is_template() && err.is_before_send());
    assert!(s.take_requests().is_empty());
}

#[test]
fn base_uri_option_goes_to_an_allowed_host_for_one_call() {
    let main = sandbox();
    let hk = sandbox();
    ok_everywhere(&hk);
    let client = main
        .client_builder()
        .unwrap()
        .allow_base_uri(hk.base_uri())
        .build()
        .unwrap();
    client
        .chain("v3/payscore/oversea/partner/serviceorder/{out_order_no}/sync")
        .post(json!({"out_order_no": "A1", "base_uri": hk.base_uri(), "json": {}}))
        .unwrap();
    assert!(main.requests().is_empty());
    assert_eq!(
        hk.take_requests()[0].target,
        "/v3/payscore/oversea/partner/serviceorder/A1/sync"
    );
    // Without being allowed, the same call is refused before sending.
    let err = main
        .client()
        .unwrap()
        .chain("v3/x")
        .get(json!({"base_uri": hk.base_uri()}))
        .unwrap_err();
    assert!(err.is_options() && err.is_before_send(), "{err}");
    assert!(hk.requests().is_empty());
}

#[test]
fn base_uri_path_prefix_is_kept() {
    let s = sandbox();
    ok_everywhere(&s);
    let client = s
        .client_builder()
        .unwrap()
        .base_uri(format!("{}prefix", s.base_uri()))
        .build()
        .unwrap();
    client.chain("v3/x").get(()).unwrap();
    assert_eq!(s.take_requests()[0].target, "/prefix/v3/x");
}

// ---- where calls run ----

/// Records the thread each request passes the stack on.
struct ThreadSpy(Arc<Mutex<Vec<std::thread::ThreadId>>>);

impl Middleware for ThreadSpy {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        self.0.lock().unwrap().push(std::thread::current().id());
        next.run(request)
    }
}

#[test]
fn async_verbs_run_in_the_awaiting_task_with_no_hop() {
    let s = sandbox();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client = s
        .client_builder()
        .unwrap()
        .middleware(ThreadSpy(seen.clone()))
        .build()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let here = std::thread::current().id();
    for _ in 0..3 {
        rt.block_on(client.chain("v3/certificates").get_async(()))
            .unwrap();
    }
    // a blocking verb on a plain thread runs on that thread too
    client.chain("v3/certificates").get(()).unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![here; 4]);
    // and the connection was reused, not reopened per call (same runtime)
    assert_eq!(s.connections().opened, 2, "one per runtime");
}

#[test]
fn blocking_verbs_work_on_every_kind_of_thread() {
    let s = sandbox();
    let client = s.client().unwrap();
    // no runtime
    assert_eq!(
        client.chain("v3/certificates").get(()).unwrap().status(),
        200
    );
    // inside a multi-thread runtime, on a worker
    let mt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let c = client.clone();
    let (sync, asynchronous) = mt.block_on(async move {
        tokio::spawn(async move {
            let sync = c.chain("v3/certificates").get(()).unwrap().status();
            let asynchronous = c
                .chain("v3/certificates")
                .get_async(())
                .await
                .unwrap()
                .status();
            (sync, asynchronous)
        })
        .await
        .unwrap()
    });
    assert_eq!((sync.as_u16(), asynchronous.as_u16()), (200, 200));
    // inside a current-thread runtime (a #[tokio::main(flavor = "current_thread")] handler)
    let ct = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = ct.block_on(async { client.chain("v3/certificates").get(()).unwrap().status() });
    assert_eq!(status, 200);
    // in spawn_blocking
    let c = client.clone();
    let status = mt.block_on(async move {
        tokio::task::spawn_blocking(move || c.chain("v3/certificates").get(()).unwrap().status())
            .await
            .unwrap()
    });
    assert_eq!(status, 200);
    // the last clone dropped inside async code must not panic
    ct.block_on(async move { drop(client) });
}

#[tokio::test]
async fn a_blocking_verb_on_a_current_thread_runtime_hosting_a_server_does_not_hang() {
    // The server runs on the test's own runtime: a blocking call that
    // parked this thread while the call waited on it would never finish.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        // Accept and hold connections without answering.
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let s = sandbox();
    let client = s.client().unwrap();
    let started = Instant::now();
    assert_eq!(
        client.chain("v3/certificates").get(()).unwrap().status(),
        200
    );
    // …and a call to the server on this runtime times out as configured,
    // it does not wait for the 30 s default.
    let local = s
        .client_builder()
        .unwrap()
        .base_uri(format!("http://{addr}/"))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = local.chain("v3/x").get(()).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn one_client_serves_many_runtimes_even_after_one_is_gone() {
    let s = sandbox();
    let client = s.client().unwrap();
    {
        let first = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for _ in 0..3 {
            first
                .block_on(client.chain("v3/certificates").get_async(()))
                .unwrap();
        }
        // `first` is dropped here, with its connection idle in the pool.
    }
    let second = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let c = client.clone();
    second.block_on(async move {
        let calls: Vec<_> = (0..16)
            .map(|_| c.chain("v3/certificates").get_async(()))
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().status(), 200);
        }
    });
    // and again from a thread of its own
    let c = client.clone();
    std::thread::spawn(move || c.chain("v3/certificates").get(()).unwrap())
        .join()
        .unwrap();
    assert_eq!(s.take_requests().len(), 20);
}

#[test]
fn futures_are_send_static_and_run_outside_tokio() {
    fn is_send_static<T: Send + 'static>(_: &T) {}
    let s = sandbox();
    let client = s.client().unwrap();
    let f = client.chain("v3/certificates").get_async(());
    is_send_static(&f);
    // Awaited on an executor that is not tokio, the call runs on the helper.
    let r = park_on(f).unwrap();
    assert_eq!(r.status(), 200);
}

/// A minimal executor with no tokio in it.
fn park_on<F: std::future::Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

// ---- cancellation and panics ----

#[test]
fn dropping_the_future_closes_the_connection_at_once() {
    let s = sandbox();
    let client = s.client().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let call = client
        .chain("v3/certificates")
        .get_async(Fault::Hang.options());
    let gave_up =
        rt.block_on(async { tokio::time::timeout(Duration::from_millis(300), call).await });
    assert!(gave_up.is_err(), "the call hangs by design");
    assert_eq!(s.connections().opened, 1);
    // The server sees the close right away, not when some timeout fires.
    assert!(
        eventually(Duration::from_millis(1000), || s.connections().closed == 1),
        "{:?}",
        s.connections()
    );
}

/// Panics inside the stack.
struct Panics;

impl Middleware for Panics {
    fn handle<'a>(&'a self, _: Request, _: Next<'a>) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async { panic!("a layer panicked") })
    }
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn a_panic_in_a_layer_reaches_every_caller_as_a_panic() {
    let s = sandbox();
    let client = s
        .client_builder()
        .unwrap()
        .middleware(Panics)
        .build()
        .unwrap();
    type Call = Box<dyn Fn(&wechatpay::Client)>;
    let calls: [(&str, Call); 4] = [
        (
            "blocking",
            Box::new(|c| drop(c.chain("v3/certificates").get(()))),
        ),
        (
            "async",
            Box::new(|c| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                drop(rt.block_on(c.chain("v3/certificates").get_async(())));
            }),
        ),
        (
            "blocking in a current-thread runtime",
            Box::new(|c| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async { drop(c.chain("v3/certificates").get(())) });
            }),
        ),
        (
            "async outside tokio",
            Box::new(|c| drop(park_on(c.chain("v3/certificates").get_async(())))),
        ),
    ];
    let mut checked = 0;
    for (how, call) in &calls {
        let c = client.clone();
        let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call(&c))).expect_err(how);
        assert_eq!(panic_text(p), "a layer panicked", "{how}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}

// ---- every stage a call can fail at ----

/// Fails its signer.
struct BrokenSigner;

impl MessageSigner for BrokenSigner {
    fn sign<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async { Err(Error::custom("the HSM is unreachable")) })
    }
}

#[test]
fn errors_before_sending_say_nothing_was_sent() {
    let s = sandbox();
    let client = s.client().unwrap();
    let v2_only = Builder::new()
        .mchid("1900000001")
        .secret("x".repeat(32))
        .base_uri(s.base_uri())
        .build()
        .unwrap();
    let no_secret = s.client_builder().unwrap().secret("").build().unwrap();
    let signer_down = s
        .client_builder()
        .unwrap()
        .signer(BrokenSigner)
        .build()
        .unwrap();
    type Case = (&'static str, Error, fn(&Error) -> bool);
    let cases: Vec<Case> = vec![
        (
            "options",
            client.chain("v3/x").post(json!({"body": 1})).unwrap_err(),
            Error::is_options,
        ),
        (
            "variable",
            client.chain("v3/x/{id}").get(()).unwrap_err(),
            Error::is_template,
        ),
        (
            "template",
            client.chain("v3/x/{").get(()).unwrap_err(),
            Error::is_template,
        ),
        (
            "APIv3 on an APIv2-only client",
            v2_only.chain("v3/x").get(()).unwrap_err(),
            Error::is_config,
        ),
        (
            "APIv2 without a secret",
            no_secret
                .chain("v2/pay/micropay")
                .post(json!({"xml": {"mch_id": "1900000001"}}))
                .unwrap_err(),
            Error::is_config,
        ),
        (
            "signer",
            signer_down.chain("v3/certificates").get(()).unwrap_err(),
            Error::is_custom,
        ),
    ];
    for (stage, err, kind) in &cases {
        assert!(kind(err), "{stage}: {err:?}");
        assert!(
            err.is_before_send() && !err.is_outcome_unknown(),
            "{stage}: {err:?}"
        );
        assert!(err.response().is_none(), "{stage}");
    }
    assert_eq!(cases.len(), 6);
    assert!(s.take_requests().is_empty(), "none of them was sent");
}

#[test]
fn a_connection_never_made_is_before_send() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let s = sandbox();
    let client = s
        .client_builder()
        .unwrap()
        .base_uri(format!("http://{addr}/"))
        .build()
        .unwrap();
    let err = client
        .chain("v3/pay/transactions/jsapi")
        .post(json!({"json": {}}))
        .unwrap_err();
    assert!(err.is_connect() && err.is_before_send(), "{err:?}");
    // TLS to a server that does not speak it: the handshake fails, nothing sent.
    let tls = s
        .client_builder()
        .unwrap()
        .base_uri(format!("https://localhost:{}/", s.addr().port()))
        .build()
        .unwrap();
    let err = tls
        .chain("v3/pay/transactions/jsapi")
        .post(json!({"json": {}}))
        .unwrap_err();
    assert!(err.is_connect() && err.is_before_send(), "{err:?}");
}

#[test]
fn errors_after_sending_never_claim_nothing_was_sent() {
    let s = sandbox();
    let client = s
        .client_builder()
        .unwrap()
        .max_response_bytes(1 << 16)
        .build()
        .unwrap();
    let post = |fault: Option<Fault>, opts: serde_json::Value| {
        let mut o: wechatpay::Options = opts.into();
        if let Some(f) = fault {
            o = o.header(wechatpay_sandbox::FAULT_HEADER, f.name());
        }
        client.chain("v3/certificates").get(o).unwrap_err()
    };

    // The connection dropped after the request went out: outcome unknown.
    let e = post(Some(Fault::Drop), json!({}));
    assert!(
        !e.is_before_send() && e.is_outcome_unknown() && !e.is_timeout(),
        "{e:?}"
    );
    assert!(e.to_string().contains("query before trying again"), "{e}");
    // No answer in time: a timeout, outcome unknown.
    let e = post(Some(Fault::Hang), json!({"timeout": 0.3}));
    assert!(
        e.is_timeout() && !e.is_connect() && e.is_outcome_unknown(),
        "{e:?}"
    );
    // The answer cut off: WeChat Pay had it.
    let e = post(Some(Fault::Truncate), json!({}));
    assert!(
        e.is_body() && !e.is_before_send() && !e.is_outcome_unknown(),
        "{e:?}"
    );
    // An answer larger than the cap.
    s.stub(Stub::path("/v3/big").raw("application/json", vec![b' '; 1 << 17]));
    let e = client.chain("v3/big").get(()).unwrap_err();
    assert!(e.is_body() && !e.is_before_send(), "{e:?}");
    // A forged 2xx: verification, the answer kept for logging.
    let e = post(Some(Fault::BadSignature), json!({}));
    assert!(e.is_verification() && !e.is_before_send(), "{e:?}");
    assert!(matches!(
        e.verification_failure(),
        Some(VerificationFailure::BadSignature { .. })
    ));
    assert!(e.response().unwrap().headers().contains_key("Request-ID"));
    // WeChat Pay's own error, signed.
    s.stub(Stub::path("/v3/param").status(400).json(json!({
        "code": "PARAM_ERROR", "message": "appid is missing",
        "detail": {"field": "appid", "location": "body", "issue": "missing"}
    })));
    let e = client.chain("v3/param").get(()).unwrap_err();
    let api = e.api_error().unwrap();
    assert!(e.is_api() && api.is_verified() && !e.is_before_send());
    assert_eq!(
        (api.status().as_u16(), api.code(), api.message()),
        (400, Some("PARAM_ERROR"), Some("appid is missing"))
    );
    assert_eq!(api.detail().unwrap().field(), Some("appid"));
    assert_eq!(api.detail().unwrap().issue(), Some("missing"));
    assert!(api.request_id().unwrap().starts_with("sandbox-"));
    assert!(
        e.to_string()
            .starts_with("WeChat Pay answered 400 PARAM_ERROR"),
        "{e}"
    );
    // The same error unsigned: still an error, but never shown as WeChat Pay's.
    s.stub(
        Stub::path("/v3/forged")
            .status(401)
            .json(json!({"code": "SIGN_ERROR", "message": "x"}))
            .fault(Fault::MissingHeaders),
    );
    let e = client.chain("v3/forged").get(()).unwrap_err();
    assert!(e.is_api() && !e.api_error().unwrap().is_verified());
    assert!(
        e.to_string()
            .starts_with("an unverified answer with status 401"),
        "{e}"
    );
    // An APIv2 answer that is not XML is a failed verification of an answer.
    s.stub(Stub::new("POST", "/pay/micropay").raw("text/plain", "not xml"));
    let e = client
        .chain("v2/pay/micropay")
        .post(json!({"xml": {"mch_id": s.keys().mchid}}))
        .unwrap_err();
    assert!(e.is_verification() && !e.is_before_send(), "{e:?}");
}

/// Turns every answer into an error of its own, after the transport ran.
struct FailsAfter;

impl Middleware for FailsAfter {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            let _ = next.run(request).await;
            Err(Error::custom("the audit log is full"))
        })
    }
}

#[test]
fn an_error_a_layer_makes_after_the_answer_says_the_request_went_out() {
    let s = sandbox();
    let client = s
        .client_builder()
        .unwrap()
        .middleware(FailsAfter)
        .build()
        .unwrap();
    let e = client.chain("v3/certificates").get(()).unwrap_err();
    assert!(e.is_custom() && !e.is_before_send(), "{e:?}");
    assert_eq!(s.take_requests().len(), 1);
}

#[test]
fn a_certificate_listing_that_does_not_decrypt_was_still_answered() {
    let s = sandbox();
    let client = s.client().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let e = rt
        .block_on(wechatpay::certificates::download(&client, &"k".repeat(32)))
        .unwrap_err();
    assert!(e.is_crypto() && !e.is_before_send(), "{e:?}");
    assert!(e.response().is_some());
}

// ---- the stack ----

/// Retries once on 5xx, outside the signers.
struct RetryOnce(Arc<AtomicUsize>);

impl Middleware for RetryOnce {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            let copy = clone_request(&request);
            match next.run(request).await {
                Err(e) if e.status().is_some_and(|s| s.is_server_error()) => {
                    self.0.fetch_add(1, Ordering::SeqCst);
                    next.run(copy).await
                }
                other => other,
            }
        })
    }
}

#[test]
fn a_retry_layer_has_each_attempt_of_both_apis_signed_afresh() {
    let s = sandbox();
    let retries = Arc::new(AtomicUsize::new(0));
    let client = s
        .client_builder()
        .unwrap()
        .middleware(RetryOnce(retries.clone()))
        .build()
        .unwrap();
    s.stub(
        Stub::any()
            .status(500)
            .xml(&[("return_code", "FAIL"), ("return_msg", "busy")]),
    );
    let _ = client
        .chain("v2/pay/refundquery")
        .post(json!({"xml": {"mch_id": s.keys().mchid, "out_trade_no": "T1"}}));
    s.clear_stubs();
    s.set_fault(Some(Fault::ServerError));
    let e = client.chain("v3/certificates").get(()).unwrap_err();
    assert_eq!(e.api_error().unwrap().code(), Some("SYSTEM_ERROR"));
    let seen = s.take_requests();
    assert_eq!(seen.len(), 4, "two attempts of each");
    assert!(seen.iter().all(|r| r.signature.is_ok()), "{seen:?}");
    assert_ne!(
        seen[0].body, seen[1].body,
        "a fresh nonce_str and sign per APIv2 attempt"
    );
    assert_ne!(
        seen[2].header("Authorization"),
        seen[3].header("Authorization"),
        "a fresh nonce and signature per APIv3 attempt"
    );
    assert_eq!(retries.load(Ordering::SeqCst), 2);
}

/// Signs with a key held "elsewhere".
struct Remote(PrivateKey, Arc<AtomicUsize>);

impl MessageSigner for Remote {
    fn sign<'a>(&'a self, message: &'a str) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            self.1.fetch_add(1, Ordering::SeqCst);
            Ok(self.0.sign(message)?)
        })
    }
}

fn keyless(s: &Sandbox) -> Builder {
    let k = s.keys();
    Builder::new()
        .mchid(&k.mchid)
        .serial(&k.serial)
        .cert(
            &k.public_key_id,
            wechatpay::crypto::PublicKey::from_pem(&k.platform_public_key_pem).unwrap(),
        )
        .base_uri(s.base_uri())
}

#[test]
fn a_client_without_a_key_builds_only_with_a_replacement_signer() {
    let s = sandbox();
    // Signed with the public key, the only key these clients may trust.
    s.stub(Stub::path("/v3/ping").json(json!({})));
    let err = keyless(&s).build().unwrap_err();
    assert!(
        err.is_config() && err.to_string().contains("private_key"),
        "{err}"
    );

    let used = Arc::new(AtomicUsize::new(0));
    let key = PrivateKey::from_pem(&s.keys().merchant_private_key_pem).unwrap();
    let client = keyless(&s)
        .signer(Remote(key.clone(), used.clone()))
        .build()
        .unwrap();
    client.chain("v3/ping").get(()).unwrap();
    assert_eq!(used.load(Ordering::SeqCst), 1);
    assert!(s.take_requests()[0].signature.is_ok());

    // PHP's `$stack->remove('signer')` then a signer of one's own: here, a
    // layer put in the signer's place.
    struct OwnSigner(wechatpay::Client);
    impl Middleware for OwnSigner {
        fn handle<'a>(
            &'a self,
            r: Request,
            next: Next<'a>,
        ) -> BoxFuture<'a, Result<Response, Error>> {
            let _ = &self.0;
            Box::pin(async move {
                let mut r = r;
                r.headers_mut().insert(
                    "Authorization",
                    http::HeaderValue::from_static("WECHATPAY2-SHA256-RSA2048 mchid=\"x\""),
                );
                next.run(r).await
            })
        }
    }
    let replaced = keyless(&s)
        .stack(move |stack| {
            stack.replace("signer", OwnSigner(client));
        })
        .build()
        .unwrap();
    let e = replaced.chain("v3/ping").get(()).unwrap_err();
    assert_eq!(
        e.api_error().unwrap().code(),
        Some("SIGN_ERROR"),
        "the sandbox saw our own header"
    );
    assert!(s.take_requests()[0].signature.is_err());
}

#[test]
fn verification_is_only_turned_off_by_its_dangerous_name() {
    let s = sandbox();
    let err = s
        .client_builder()
        .unwrap()
        .stack(|stack| {
            stack.remove("verifier");
        })
        .build()
        .unwrap_err();
    assert!(
        err.is_config()
            && err
                .to_string()
                .contains("danger_accept_unverified_responses"),
        "{err}"
    );
    let unverified = s
        .client_builder()
        .unwrap()
        .danger_accept_unverified_responses()
        .build()
        .unwrap();
    s.set_fault(Some(Fault::BadSignature));
    assert!(unverified.chain("v3/certificates").get(()).is_ok());
    assert!(
        s.client()
            .unwrap()
            .chain("v3/certificates")
            .get(())
            .unwrap_err()
            .is_verification()
    );
}

#[test]
fn the_stack_names_its_layers_and_places_new_ones() {
    let s = sandbox();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let names = Arc::new(Mutex::new(Vec::new()));
    let (n, spy) = (names.clone(), ThreadSpy(seen.clone()));
    let client = s
        .client_builder()
        .unwrap()
        .middleware(RetryOnce(Arc::default()))
        .stack(move |stack| {
            stack.after("signer_v2", "wire", spy);
            *n.lock().unwrap() = stack.names().iter().map(|s| s.to_string()).collect();
        })
        .build()
        .unwrap();
    assert_eq!(
        *names.lock().unwrap(),
        [
            "middleware_0",
            "verifier",
            "verifier_v2",
            "signer",
            "signer_v2",
            "wire"
        ]
    );
    client.chain("v3/certificates").get(()).unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(format!("{client:?}").contains("wire"));
}

// ---- odds and ends ----

#[test]
fn redirects_are_not_followed() {
    let s = sandbox();
    let client = s.client().unwrap();
    s.stub(
        Stub::path("/v3/moved")
            .status(302)
            .header("Location", "/v3/certificates"),
    );
    let r = client.chain("v3/moved").get(()).unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(
        s.take_requests().len(),
        1,
        "the Authorization never went to the Location"
    );
}

#[test]
fn certs_can_change_while_serving() {
    let s = sandbox();
    // Signed with the public key, the only key these clients may trust.
    s.stub(Stub::path("/v3/ping").json(json!({})));
    let client = s.client().unwrap();
    let id = s.keys().public_key_id.clone();
    assert!(client.chain("v3/ping").get(()).is_ok());
    let key = client.certs().get(&id).unwrap();
    client
        .certs()
        .replace_all(vec![("OTHER".to_string(), key.clone())]);
    let e = client.chain("v3/ping").get(()).unwrap_err();
    assert!(matches!(
        e.verification_failure(),
        Some(VerificationFailure::UnknownSerial { .. })
    ));
    client.certs().insert(id, key);
    assert!(client.chain("v3/ping").get(()).is_ok());
}

#[test]
fn apiv2_paths_are_recognised_in_any_case() {
    let s = sandbox();
    let client = s.client().unwrap();
    let mut n = 0;
    for t in ["v2/pay/micropay", "V2/pay/micropay"] {
        // `mch_id` missing: refused before sending, by the APIv2 rules.
        let err = client.chain(t).post(json!({"xml": {}})).unwrap_err();
        assert!(err.is_options() && err.is_before_send(), "{err:?}");
        n += 1;
    }
    assert_eq!(n, 2);
    assert!(s.take_requests().is_empty());
}

#[test]
fn secrets_never_show_in_debug() {
    let s = sandbox();
    let client = s.client().unwrap();
    let builder = s.client_builder().unwrap();
    let pem = &s.keys().merchant_private_key_pem;
    let body = pem.lines().nth(1).unwrap();
    let secret = &s.keys().apiv2_secret;
    for text in [format!("{client:?}"), format!("{builder:?}")] {
        assert!(!text.contains(body), "{text}");
        assert!(!text.contains(secret.as_str()), "{text}");
        assert!(!text.contains("MII"), "{text}");
    }
}

#[test]
fn a_blocking_call_inside_a_layer_works_or_is_refused_never_deadlocks() {
    /// Calls a blocking verb of `0` from inside the stack.
    struct BlockingInside(Arc<std::sync::OnceLock<wechatpay::Client>>);
    impl Middleware for BlockingInside {
        fn handle<'a>(
            &'a self,
            request: Request,
            next: Next<'a>,
        ) -> BoxFuture<'a, Result<Response, Error>> {
            Box::pin(async move {
                if request.uri().path() == "/v3/outer" {
                    return self.0.get().unwrap().chain("v3/certificates").get(());
                }
                next.run(request).await
            })
        }
    }
    let s = sandbox();
    let me = Arc::new(std::sync::OnceLock::new());
    let client = s
        .client_builder()
        .unwrap()
        .middleware(BlockingInside(me.clone()))
        .build()
        .unwrap();
    let _ = me.set(client.clone());
    // From a plain thread the inner call runs beside the outer one: it works.
    assert_eq!(client.chain("v3/outer").get(()).unwrap().status(), 200);
    // From a current-thread runtime the outer call runs on the helper
    // thread, where waiting for the helper would wait forever: refused.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = rt
        .block_on(async { client.chain("v3/outer").get(()) })
        .unwrap_err();
    assert!(
        err.is_config() && err.to_string().contains("helper thread"),
        "{err:?}"
    );
}

#[test]
fn options_that_would_be_ignored_are_refused_by_name() {
    let s = sandbox();
    let client = s.client().unwrap();
    let c = client.chain("v3/payscore/serviceorder/{out_order_no}");
    // A typo of a variable, and a key no template has.
    let e = c.get(json!({"out_order_id": "A1"})).unwrap_err();
    assert!(
        e.is_options() && e.to_string().contains("`out_order_id`"),
        "{e}"
    );
    let mut n = 0;
    for (key, hint) in [
        ("verify", "root_certificate"),
        ("proxy", "Builder::proxy"),
        ("allow_redirects", "never followed"),
        ("http_errors", "Error::response"),
        ("decode_content", "as sent"),
        ("cert", "client_cert"),
    ] {
        let e = c
            .get(json!({"out_order_no": "A1", key: false}))
            .unwrap_err();
        assert!(e.is_options() && e.is_before_send(), "{key}: {e}");
        assert!(e.to_string().contains(hint), "{key}: {e}");
        n += 1;
    }
    assert_eq!(n, 6);
    // PHP's media upload, ported as a body and a multipart Content-Type.
    let e = client
        .chain("v3/merchant/media/upload")
        .post(json!({
            "body": "--boundary\r\n…",
            "headers": {"Content-Type": "multipart/form-data; boundary=boundary"}
        }))
        .unwrap_err();
    assert!(e.is_options() && e.to_string().contains("MediaUtil"), "{e}");
    assert!(s.take_requests().is_empty(), "none was sent");
    // What Guzzle options make sense are taken: `connect_timeout`, `debug`.
    s.stub(Stub::any().json(json!({})));
    c.get(json!({"out_order_no": "A1", "connect_timeout": 2, "debug": true}))
        .unwrap();
    let e = c
        .get(json!({"out_order_no": "A1", "connect_timeout": "soon"}))
        .unwrap_err();
    assert!(e.is_options(), "{e}");
}
