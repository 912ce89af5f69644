//! The client over real loopback HTTP: styles, caching, encoding, refusals,
//! hardening, middleware and the sync/async bridge.

mod support;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use serde_json::json;
use support::{Mode, TestServer};
use wechatpay::{
    Error, Options, VerificationFailure, chain,
    middleware::{BoxFuture, Middleware, Next, Request, clone_request},
};

#[test]
fn chain_macro_normalizes_like_php() {
    let server = TestServer::start();
    let client = server.client();
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
}

#[test]
fn hyphenated_placeholder_takes_the_hyphenated_key() {
    let server = TestServer::start();
    let client = server.client();
    chain!(client.v3.payscore.serviceorder._outOrderNo_.sync)
        .post(json!({"out-order-no": "A1", "json": {}}))
        .unwrap();
    assert_eq!(server.seen()[0].target, "/v3/payscore/serviceorder/A1/sync");
}

#[test]
fn strings_are_taken_verbatim() {
    let server = TestServer::start();
    let client = server.client();
    client
        .chain("v3/payscore/serviceorder/ABC_Def")
        .get(())
        .unwrap();
    client["v3/payscore/serviceorder/XyZ"].get(()).unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].target, "/v3/payscore/serviceorder/ABC_Def");
    assert_eq!(seen[1].target, "/v3/payscore/serviceorder/XyZ");
}

#[test]
fn index_returns_the_same_cached_node() {
    let server = TestServer::start();
    let client = server.client();
    let a: *const _ = &client["v3/payscore/serviceorder"];
    let b: *const _ = &client["v3/payscore/serviceorder"];
    assert_eq!(a, b);
    assert!(
        client
            .chain("v3")
            .chain("payscore")
            .same_node(&client.chain("v3").chain("payscore"))
    );
    let nested: *const _ = &client["v3"]["payscore"];
    let again: *const _ = &client["v3"]["payscore"];
    assert_eq!(nested, again);
    assert_eq!(client["v3"]["payscore"].template(), "v3/payscore");
    // clones share the cache
    let clone = client.clone();
    assert!(clone["v3/payscore/serviceorder"].same_node(&client["v3/payscore/serviceorder"]));
}

#[test]
fn path_variables_cannot_change_the_path() {
    let server = TestServer::start();
    let client = server.client();
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
            server.take_seen()[0].target,
            format!("/v3/payscore/serviceorder/{encoded}/sync")
        );
    }
    for bad in ["..", "."] {
        let err = c.post(json!({"out_order_no": bad})).unwrap_err();
        assert!(matches!(err, Error::Uri(_)), "{err:?}");
    }
    assert!(server.seen().is_empty(), "nothing sent for a dot segment");
}

#[test]
fn missing_variables_send_nothing() {
    let server = TestServer::start();
    let client = server.client();
    for opts in [
        json!({}),
        json!({"out_order_no": ""}),
        json!({"out_order_no": null}),
        json!({"out_order_no": []}),
    ] {
        let err = chain!(client.v3.payscore.serviceorder._out_order_no_.sync)
            .post(opts)
            .unwrap_err();
        match err {
            Error::MissingVariable { name, template } => {
                assert_eq!(name, "out_order_no");
                assert_eq!(template, "v3/payscore/serviceorder/{out_order_no}/sync");
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(server.seen().is_empty());
}

#[test]
fn bad_options_are_typed_errors_and_send_nothing() {
    let server = TestServer::start();
    let client = server.client();
    let c = client.chain("v3/x");
    for bad in [
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
    ] {
        let err = c.post(bad.clone()).unwrap_err();
        assert!(err.is_before_send(), "{bad}: {err:?}");
    }
    assert!(matches!(
        client.chain("v3/{unclosed").get(()),
        Err(Error::Uri(_))
    ));
    assert!(server.seen().is_empty());
}

#[test]
fn base_uri_option_overrides_for_one_call() {
    let main = TestServer::start();
    let hk = TestServer::start();
    let client = main.client();
    client
        .chain("v3/payscore/oversea/partner/serviceorder/{out_order_no}/sync")
        .post(json!({"out_order_no": "A1", "base_uri": hk.base_uri(), "json": {}}))
        .unwrap();
    assert!(main.seen().is_empty());
    assert_eq!(
        hk.seen()[0].target,
        "/v3/payscore/oversea/partner/serviceorder/A1/sync"
    );
}

#[test]
fn base_uri_path_prefix_is_kept() {
    let server = TestServer::start();
    let client = server
        .builder()
        .base_uri(format!("{}prefix/", server.base_uri()))
        .build()
        .unwrap();
    client.chain("v3/x").get(()).unwrap();
    assert_eq!(server.seen()[0].target, "/prefix/v3/x");
}

#[test]
fn probe_and_tampering_fail_closed() {
    let server = TestServer::start();
    let client = server.client();
    server.set_mode(Mode::SignTest);
    let err = client.chain("v3/x").get(()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Verification {
                reason: VerificationFailure::SignatureProbe,
                ..
            }
        ),
        "{err:?}"
    );
    server.set_mode(Mode::BadSig);
    let err = client.chain("v3/x").get(()).unwrap_err();
    let Error::Verification { reason, response } = err else {
        panic!()
    };
    assert!(matches!(reason, VerificationFailure::BadSignature { .. }));
    assert!(
        response.headers().contains_key("Request-ID"),
        "the response is kept for logging"
    );
}

#[test]
fn redirects_are_not_followed() {
    let server = TestServer::start();
    let client = server.client();
    server.set_mode(Mode::Redirect);
    let r = client.chain("v3/x").get(()).unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(
        server.seen().len(),
        1,
        "the Authorization never went to the Location"
    );
}

#[test]
fn response_size_is_capped() {
    let server = TestServer::start();
    let client = server
        .builder()
        .max_response_bytes(1 << 20)
        .build()
        .unwrap();
    server.set_mode(Mode::Huge);
    assert!(matches!(
        client.chain("v3/x").get(()),
        Err(Error::BodyTooLarge { limit: 1048576 })
    ));
}

#[test]
fn timeout_option_bounds_one_call() {
    let server = TestServer::start();
    let client = server.client();
    server.set_mode(Mode::Slow);
    let started = std::time::Instant::now();
    let err = client
        .chain("v3/x")
        .get(json!({"timeout": 0.3}))
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(started.elapsed() < std::time::Duration::from_millis(1900));
}

#[test]
fn connection_refused_is_a_transport_error() {
    let client = TestServer::start()
        .builder()
        .base_uri("http://127.0.0.1:1/")
        .build()
        .unwrap();
    assert!(matches!(
        client.chain("v3/x").get(()),
        Err(Error::Transport(_))
    ));
}

/// Retries once on 500, outside the signer.
struct RetryOnce(Arc<AtomicUsize>);

impl Middleware for RetryOnce {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<wechatpay::Response, Error>> {
        Box::pin(async move {
            let copy = clone_request(&request);
            let first = next.run(request).await?;
            self.0.fetch_add(1, Ordering::SeqCst);
            if first.status().is_server_error() {
                return next.run(copy).await;
            }
            Ok(first)
        })
    }
}

#[test]
fn a_retry_layer_has_each_attempt_signed_afresh() {
    let server = TestServer::start();
    let calls = Arc::new(AtomicUsize::new(0));
    let client = server
        .builder()
        .middleware(RetryOnce(calls.clone()))
        .build()
        .unwrap();
    server.set_mode(Mode::Http500);
    let err = client
        .chain("v3/x")
        .post(json!({"json": {"a": 1}}))
        .unwrap_err();
    assert!(matches!(err, Error::Api { ref code, .. } if code.as_deref() == Some("SYSTEM_ERROR")));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.signature_ok));
    let auth = |s: &support::Seen| s.headers["authorization"].to_str().unwrap().to_string();
    assert_ne!(
        auth(&seen[0]),
        auth(&seen[1]),
        "a fresh nonce and signature per attempt"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn blocking_verbs_work_inside_a_multi_thread_runtime() {
    let server = TestServer::start();
    let client = server.client();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let r = rt.block_on(async move {
        let sync = client.chain("v3/x").get(()).unwrap().status();
        let asynchronous = client.chain("v3/x").get_async(()).await.unwrap().status();
        (sync, asynchronous)
    });
    assert_eq!(r.0, 200);
    assert_eq!(r.1, 200);
}

#[test]
fn blocking_verbs_work_inside_a_current_thread_runtime() {
    let server = TestServer::start();
    let client = server.client();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        // a handler under #[tokio::main(flavor = "current_thread")]
        client
            .chain("v3/x")
            .post(json!({"json": {}}))
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    // the client, last clone dropped inside async code, must not panic
    rt.block_on(async move { drop(client) });
}

#[tokio::test]
async fn one_client_serves_many_runtimes_and_concurrent_calls() {
    let server = TestServer::start();
    let client = server.client();
    let futures: Vec<_> = (0..16)
        .map(|i| {
            client
                .chain("v3/payscore/serviceorder/{n}")
                .get_async(json!({"n": i.to_string()}))
        })
        .collect();
    for f in futures {
        assert_eq!(f.await.unwrap().status(), 200);
    }
    // and from a second runtime, with pooled connections of the first still open
    let c2 = client.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert_eq!(
            rt.block_on(c2.chain("v3/x").get_async(()))
                .unwrap()
                .status(),
            200
        );
    })
    .join()
    .unwrap();
    assert_eq!(server.seen().len(), 17);
}

#[test]
fn futures_are_send_and_static() {
    fn is_send_static<T: Send + 'static>(_: &T) {}
    let server = TestServer::start();
    let client = server.client();
    let f = client.chain("v3/x").get_async(Options::default());
    is_send_static(&f);
    drop(f);
    let f = chain!(client.v3.x).post_async(json!({}));
    is_send_static(&f);
}

#[test]
fn secrets_never_show_in_debug() {
    let server = TestServer::start();
    let client = server.client();
    let pem = std::fs::read_to_string(support::key_path("merchant_private_key.pem")).unwrap();
    let body: String = pem.lines().nth(1).unwrap().to_string();
    for text in [
        format!("{client:?}"),
        format!("{:?}", support::merchant_key()),
    ] {
        assert!(!text.contains(&body), "{text}");
        assert!(!text.contains("MII"), "{text}");
    }
}

#[test]
fn typed_api_errors_carry_code_and_message() {
    let server = TestServer::start();
    let client = server.client();
    server.set_mode(Mode::Http400);
    match client.chain("v3/x").get(()).unwrap_err() {
        Error::Api {
            status,
            code,
            message,
            response,
        } => {
            assert_eq!(status, 400);
            assert_eq!(code.as_deref(), Some("PARAM_ERROR"));
            assert_eq!(message.as_deref(), Some("simulated parameter error"));
            assert_eq!(response.status(), 400);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn certs_can_change_while_serving() {
    let server = TestServer::start();
    let client = server.client();
    assert!(client.chain("v3/x").get(()).is_ok());
    let key = client.certs().get(support::PUB_KEY_ID).unwrap();
    client
        .certs()
        .replace_all(vec![("OTHER".to_string(), key.clone())]);
    assert!(matches!(
        client.chain("v3/x").get(()),
        Err(Error::Verification {
            reason: VerificationFailure::UnknownSerial { .. },
            ..
        })
    ));
    client.certs().insert(support::PUB_KEY_ID, key);
    assert!(client.chain("v3/x").get(()).is_ok());
}

#[test]
fn apiv2_paths_are_recognised_in_any_case() {
    let server = TestServer::start();
    let client = server.client();
    for t in ["v2/pay/micropay", "V2/pay/micropay"] {
        let err = client.chain(t).post(json!({"xml": {}})).unwrap_err();
        assert!(err.is_before_send(), "{err:?}");
    }
    assert!(server.seen().is_empty());
}

/// Calls a blocking verb from inside the stack, i.e. on the client's own thread.
struct BlockingInside(wechatpay::Client);

impl Middleware for BlockingInside {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<wechatpay::Response, Error>> {
        Box::pin(async move {
            if request.uri().path() == "/v3/outer" {
                return self.0.chain("v3/inner").get(());
            }
            next.run(request).await
        })
    }
}

#[test]
fn a_blocking_call_on_the_clients_own_thread_is_an_error_not_a_deadlock() {
    let server = TestServer::start();
    let inner = server.client();
    let client = server
        .builder()
        .middleware(BlockingInside(inner))
        .build()
        .unwrap();
    // Blocking on a client's I/O thread is refused, whichever client is called…
    let err = client.chain("v3/outer").get(()).unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("own I/O thread")),
        "{err:?}"
    );
    // …and above all a client calling itself, which would wait for itself forever.
    let self_calling = std::sync::Arc::new(std::sync::OnceLock::<wechatpay::Client>::new());
    struct SelfCall(std::sync::Arc<std::sync::OnceLock<wechatpay::Client>>);
    impl Middleware for SelfCall {
        fn handle<'a>(
            &'a self,
            request: Request,
            next: Next<'a>,
        ) -> BoxFuture<'a, Result<wechatpay::Response, Error>> {
            Box::pin(async move {
                if request.uri().path() == "/v3/outer" {
                    return self.0.get().unwrap().chain("v3/inner").get(());
                }
                next.run(request).await
            })
        }
    }
    let c = server
        .builder()
        .middleware(SelfCall(self_calling.clone()))
        .build()
        .unwrap();
    let _ = self_calling.set(c.clone());
    let err = c.chain("v3/outer").get(()).unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("own I/O thread")),
        "{err:?}"
    );
}
