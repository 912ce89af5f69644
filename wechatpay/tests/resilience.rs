//! Retries that cannot pay twice, failover to the backup host, and the
//! `Wechatpay-Serial` the public-key switch needs: against sandboxes that
//! misbehave on purpose.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use serde_json::json;
use wechatpay::{
    Error, Response,
    middleware::{AnsweredBy, BoxFuture, Middleware, Next, Request},
};
use wechatpay_sandbox::{FAULT_HEADER, Fault, Sandbox, Stub};

fn sandbox() -> Sandbox {
    Sandbox::start_blocking().expect("sandbox")
}

fn system_error() -> Stub {
    Stub::any()
        .status(500)
        .json(json!({"code": "SYSTEM_ERROR", "message": "call again later"}))
}

/// Counts the attempts that pass it (placed inside `retry`).
struct Attempts(Arc<AtomicUsize>);

impl Middleware for Attempts {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        next.run(request)
    }
}

#[test]
fn retries_are_off_by_default() {
    let s = sandbox();
    s.stub(system_error());
    let e = s.client().unwrap().chain("v3/x").get(()).unwrap_err();
    assert_eq!(e.api_error().unwrap().code(), Some("SYSTEM_ERROR"));
    assert_eq!(s.take_requests().len(), 1);
}

#[test]
fn what_is_sent_again_follows_what_the_attempt_proved() {
    let s = sandbox();
    let client = s.client_builder().unwrap().retries(2).build().unwrap();
    // (what, method, stub or fault, requests the sandbox must see)
    let cases: Vec<(&str, &str, Stub, usize)> = vec![
        (
            "GET 502",
            "GET",
            Stub::any().status(502).json(json!({"code": "BAD_GATEWAY"})),
            3,
        ),
        (
            "POST 502",
            "POST",
            Stub::any().status(502).json(json!({"code": "BAD_GATEWAY"})),
            1,
        ),
        ("POST SYSTEM_ERROR", "POST", system_error(), 3),
        (
            "POST 429",
            "POST",
            Stub::any()
                .status(429)
                .json(json!({"code": "FREQUENCY_LIMITED", "message": "slow down"})),
            3,
        ),
        (
            "POST RATELIMIT_EXCEED",
            "POST",
            Stub::any()
                .status(403)
                .json(json!({"code": "RATELIMIT_EXCEED"})),
            3,
        ),
        (
            "POST 400",
            "POST",
            Stub::any().status(400).json(json!({"code": "PARAM_ERROR"})),
            1,
        ),
        (
            "GET forged 200",
            "GET",
            Stub::any().json(json!({})).fault(Fault::BadSignature),
            1,
        ),
    ];
    let n = cases.len();
    for (what, method, stub, expected) in cases {
        s.clear_stubs();
        s.stub(stub);
        let method: http::Method = method.parse().unwrap();
        let err = client
            .chain("v3/x")
            .request(method, json!({"json": {}}))
            .unwrap_err();
        let seen = s.take_requests();
        assert_eq!(seen.len(), expected, "{what}: {err}");
        assert!(seen.iter().all(|r| r.signature.is_ok()), "{what}");
        let auths: std::collections::HashSet<_> = seen
            .iter()
            .map(|r| r.header("Authorization").unwrap().to_string())
            .collect();
        assert_eq!(auths.len(), expected, "{what}: each attempt signed afresh");
    }
    assert_eq!(n, 7);
}

#[test]
fn a_write_that_may_have_been_sent_is_never_sent_again() {
    let s = sandbox();
    let client = s.client_builder().unwrap().retries(3).build().unwrap();
    for (method, expected) in [("POST", 1), ("GET", 4)] {
        let opts = wechatpay::Options::from(json!({"timeout": 0.2})).header(FAULT_HEADER, "hang");
        let err = client
            .chain("v3/pay/transactions/jsapi")
            .request(method.parse().unwrap(), opts)
            .unwrap_err();
        assert!(
            err.is_timeout() && err.is_outcome_unknown(),
            "{method}: {err}"
        );
        assert!(err.to_string().contains("query before trying again"));
        assert_eq!(s.take_requests().len(), expected, "{method}");
    }
    // A connection dropped after the request went out: the same rule.
    let opts = wechatpay::Options::new().header(FAULT_HEADER, "drop");
    let err = client
        .chain("v3/refund/domestic/refunds")
        .post(opts)
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert_eq!(s.take_requests().len(), 1);
}

#[test]
fn a_call_that_sent_nothing_is_retried_and_then_reported_unsent() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let s = sandbox();
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = Attempts(attempts.clone());
    let client = s
        .client_builder()
        .unwrap()
        .base_uri(format!("http://127.0.0.1:{port}/"))
        .retries(2)
        .stack(move |st| {
            st.after("retry", "attempts", counter);
        })
        .build()
        .unwrap();
    let err = client
        .chain("v3/pay/transactions/jsapi")
        .post(json!({"json": {}}))
        .unwrap_err();
    assert!(err.is_connect() && err.is_before_send(), "{err}");
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}

#[test]
fn pauses_stay_within_a_few_seconds_whatever_the_retry_count() {
    let s = sandbox();
    s.stub(system_error());
    let client = s.client_builder().unwrap().retries(1000).build().unwrap();
    let started = std::time::Instant::now();
    client.chain("v3/x").get(()).unwrap_err();
    let attempts = s.take_requests().len();
    assert!((4..1000).contains(&attempts), "{attempts}");
    // The pauses are capped at 5 s in all; the calls themselves are quick.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_primary_that_cannot_be_reached_fails_over_to_the_backup() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let backup = sandbox();
    let client = backup
        .client_builder()
        .unwrap()
        .base_uri(format!("http://127.0.0.1:{port}/"))
        .backup_base_uri(backup.base_uri())
        .build()
        .unwrap();
    // Without any retry configured, a write that sent nothing fails over too.
    let r = client.chain("v3/certificates").get(()).unwrap();
    let by = r.extensions().get::<AnsweredBy>().unwrap();
    assert!(by.is_backup());
    assert_eq!(by.base_uri(), backup.base_uri());
    let e = client
        .chain("v3/pay/transactions/jsapi")
        .post(json!({"json": {}}))
        .unwrap_err();
    assert!(e.is_api(), "the backup answered: {e}");
    assert_eq!(backup.take_requests().len(), 2);
}

#[test]
fn a_read_fails_over_on_a_5xx_a_write_does_not() {
    let primary = sandbox();
    let backup = sandbox();
    primary.stub(
        Stub::any()
            .status(503)
            .json(json!({"code": "SERVICE_UNAVAILABLE"})),
    );
    let client = primary
        .client_builder()
        .unwrap()
        .backup_base_uri(backup.base_uri())
        .build()
        .unwrap();
    let r = client.chain("v3/certificates").get(()).unwrap();
    assert!(r.extensions().get::<AnsweredBy>().unwrap().is_backup());
    let e = client
        .chain("v3/pay/transactions/jsapi")
        .post(json!({"json": {}}))
        .unwrap_err();
    assert_eq!(
        e.status().unwrap(),
        503,
        "the primary's answer, not the backup's"
    );
    assert_eq!(primary.take_requests().len(), 2);
    assert_eq!(backup.take_requests().len(), 1);
}

#[test]
fn a_failing_primary_is_left_alone_for_a_while() {
    let primary = sandbox();
    let backup = sandbox();
    primary.stub(Stub::any().status(503).json(json!({})));
    let client = primary
        .client_builder()
        .unwrap()
        .backup_base_uri(backup.base_uri())
        .build()
        .unwrap();
    for _ in 0..10 {
        client.chain("v3/certificates").get(()).unwrap();
    }
    // Three failures open the breaker; the next seven go to the backup first.
    assert_eq!(primary.take_requests().len(), 3);
    assert_eq!(backup.take_requests().len(), 10);
}

#[test]
fn the_wechatpay_serial_goes_with_every_apiv3_request_unless_a_call_says_otherwise() {
    let s = sandbox();
    s.stub(Stub::any().json(json!({})));
    let id = s.keys().public_key_id.clone();
    let client = s
        .client_builder()
        .unwrap()
        .wechatpay_serial(&id)
        .build()
        .unwrap();
    client.chain("v3/x").get(()).unwrap();
    client
        .chain("v3/x")
        .get(wechatpay::Options::new().header("Wechatpay-Serial", "OTHER"))
        .unwrap();
    let seen = s.take_requests();
    assert_eq!(seen[0].header("Wechatpay-Serial"), Some(id.as_str()));
    assert_eq!(seen[1].header("Wechatpay-Serial"), Some("OTHER"));
    assert_eq!(seen.len(), 2);
}
