//! End-to-end tests of the embedded sandbox: real loopback HTTP, through the
//! public client API (`sandbox.client()`), the way a merchant's code sees it.
//!
//! Each test starts its own sandbox, so tests share no orders and run in parallel.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use wechatpay::{
    Builder, CertStore, Client, Error, Options, Response, ResponseExt, VerificationFailure,
    crypto::{PrivateKey, PublicKey, aes_gcm},
    formatter,
    models::payscore::{
        CancelServiceOrder, CancelServiceOrderResponse, CompleteServiceOrder, CreateServiceOrder,
        Location, ModifyServiceOrder, PostDiscount, PostPayment, QueryServiceOrder, RiskFund,
        ServiceOrder, ServiceOrderNotification, SyncDetail, SyncServiceOrder, TimeRange,
    },
    notify::{Notification, NotifyVerifier},
};
use wechatpay_sandbox::{Fault, Protocol, Sandbox, SandboxError, SandboxKeys, SigningMode, Stub};

mod support;
use support::receiver::{Answer, next, receiver};

const APPID: &str = "wxd678efh567hg6787";
const SERVICE_ID: &str = "2002000000000558128851361561536";
const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
const SUB_MCHID: &str = "1900000109";
const SUB_APPID: &str = "wxd678efh567hg6999";
const SUB_OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6s";
const NOWHERE: &str = "https://api.test.com/notify?a=1&b=2";

const DIRECT: &str = "v3/payscore/serviceorder";
const PARTNER: &str = "v3/payscore/partner/serviceorder";
const OVERSEA: &str = "v3/payscore/oversea/partner/serviceorder";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn start() -> (Sandbox, Client) {
    let sandbox = Sandbox::start_blocking().expect("the sandbox starts");
    let client = sandbox.client().expect("a client for the sandbox");
    (sandbox, client)
}

async fn start_async() -> (Sandbox, Client) {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let client = sandbox.client().expect("a client for the sandbox");
    (sandbox, client)
}

/// `{base}/{action}` with the `{out_order_no}` variable, e.g. `…/serviceorder/{out_order_no}/complete`.
fn action(base: &str, action: &str) -> String {
    format!("{base}/{{out_order_no}}/{action}")
}

/// The body of an error response, for panic messages.
fn describe(e: &Error) -> String {
    match e.response() {
        Some(r) => format!("{e} (body: {})", r.text()),
        None => format!("{e} ({e:?})"),
    }
}

/// A refusal in WeChat Pay's words: the status, `code` and `message` of a
/// signed error answer to a client call, or of a control call the sandbox
/// refused (the user's step in WeChat, which the real service would refuse
/// with the same status and code).
struct Refusal {
    status: u16,
    code: String,
    message: String,
}

impl Refusal {
    /// WeChat Pay's error answer to a client call, and the answer itself.
    /// Every sandbox answer is signed, so an unverified one is a failure too.
    fn of_call(r: Result<Response, Error>) -> Result<(Refusal, Response), String> {
        let e = match r {
            Ok(r) => return Err(format!("succeeded: {} {}", r.status(), r.text())),
            Err(e) => e,
        };
        let refusal = match e.api_error() {
            Some(api) if api.is_verified() => Refusal {
                status: api.status().as_u16(),
                code: api.code().unwrap_or_default().to_string(),
                message: api.message().unwrap_or_default().to_string(),
            },
            Some(_) => return Err(format!("an unverified error answer: {}", describe(&e))),
            None => return Err(format!("not an error answer: {}", describe(&e))),
        };
        let response = e
            .into_response()
            .ok_or("an error answer without its answer")?;
        Ok((refusal, response))
    }

    /// The sandbox's refusal of a control call.
    fn of_control(r: Result<(), SandboxError>) -> Result<Refusal, String> {
        match r {
            Ok(()) => Err("the control call succeeded".into()),
            Err(SandboxError::Refused {
                status,
                code,
                message,
            }) => Ok(Refusal {
                status,
                code,
                message,
            }),
            Err(other) => Err(format!("not a refusal: {other}")),
        }
    }

    /// `None` when this is `status` and `code` with a message mentioning `mentions`.
    fn mismatch(&self, status: u16, code: &str, mentions: &str) -> Option<String> {
        let Refusal {
            status: s,
            code: c,
            message: m,
        } = self;
        (*s != status || c != code || !m.contains(mentions))
            .then(|| format!("got {s} {c} `{m}`, expected {status} {code} mentioning `{mentions}`"))
    }
}

#[track_caller]
fn ok(r: Result<Response, Error>) -> Response {
    match r {
        Ok(r) => r,
        Err(e) => panic!("expected success, got {}", describe(&e)),
    }
}

/// WeChat Pay's signed error answer and the answer; panics on anything else.
#[track_caller]
fn api_error(r: Result<Response, Error>) -> (Refusal, Response) {
    Refusal::of_call(r).unwrap_or_else(|why| panic!("expected an error answer, {why}"))
}

/// Asserts a signed error answer with this status and code whose message
/// mentions `mentions`, and returns the answer.
#[track_caller]
fn expect_api(r: Result<Response, Error>, status: u16, code: &str, mentions: &str) -> Response {
    let (refusal, response) = api_error(r);
    if let Some(why) = refusal.mismatch(status, code, mentions) {
        panic!("{why}");
    }
    response
}

/// Asserts the sandbox refused a control call with this status and code,
/// with a message mentioning `mentions`.
#[track_caller]
fn expect_refused(r: Result<(), SandboxError>, status: u16, code: &str, mentions: &str) {
    let refusal = Refusal::of_control(r).unwrap_or_else(|why| panic!("expected a refusal, {why}"));
    if let Some(why) = refusal.mismatch(status, code, mentions) {
        panic!("{why}");
    }
}

/// The same as [`expect_api`], as a table row's verdict: `None` when it matches.
fn api_mismatch(
    r: Result<Response, Error>,
    status: u16,
    code: &str,
    mentions: &str,
) -> Option<String> {
    match Refusal::of_call(r) {
        Ok((refusal, _)) => refusal.mismatch(status, code, mentions),
        Err(why) => Some(why),
    }
}

/// The check a 2xx answer failed, and the unverified answer.
#[track_caller]
fn verification(r: Result<Response, Error>) -> (VerificationFailure, Response) {
    match r {
        Err(e) if e.is_verification() => {
            assert!(!e.is_api(), "{e:?}");
            let reason = e.verification_failure().cloned().expect("the failed check");
            (reason, e.into_response().expect("the unverified answer"))
        }
        Err(e) => panic!("expected a verification failure, got {}", describe(&e)),
        Ok(r) => panic!("expected a verification failure, got {}", r.status()),
    }
}

/// The check a callback failed; no call and so no answer is involved.
#[track_caller]
fn callback_failure(r: Result<Notification, Error>) -> VerificationFailure {
    match r {
        Err(e) if e.is_verification() => {
            assert!(e.response().is_none(), "a callback has no answer: {e:?}");
            e.verification_failure().cloned().expect("the failed check")
        }
        Err(e) => panic!("expected a callback verification failure, got {e:?}"),
        Ok(n) => panic!("expected a callback verification failure, got {n:?}"),
    }
}

fn header<'h>(headers: &'h http::HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("header {name} is missing: {headers:?}"))
}

/// Checks, independently of the client, that a response is signed by the
/// platform key over exactly this body, under `serial`, with a fresh timestamp.
#[track_caller]
fn assert_signed(keys: &SandboxKeys, headers: &http::HeaderMap, body: &[u8], serial: &str) {
    assert_eq!(header(headers, "Wechatpay-Serial"), serial);
    assert_eq!(
        header(headers, "Wechatpay-Signature-Type"),
        "WECHATPAY2-SHA256-RSA2048"
    );
    let ts = header(headers, "Wechatpay-Timestamp");
    let nonce = header(headers, "Wechatpay-Nonce");
    let signature = header(headers, "Wechatpay-Signature");
    let t: i64 = ts.parse().expect("unix seconds");
    assert!((formatter::timestamp() - t).abs() <= 300, "stale {t}");
    let body = std::str::from_utf8(body).expect("UTF-8 body");
    let key = PublicKey::from_pem(&keys.platform_public_key_pem).unwrap();
    assert!(
        key.verify(formatter::response(ts, nonce, body), signature),
        "the signature does not verify over the body `{body}`"
    );
    assert!(
        !key.verify(
            formatter::response(ts, nonce, &format!("{body} ")),
            signature
        ),
        "the signature must cover the body"
    );
}

fn payments(amount: i64) -> Vec<PostPayment> {
    vec![PostPayment {
        name: "就餐费用".into(),
        amount: Some(amount),
        description: Some("就餐人均100元".into()),
        count: Some(4),
    }]
}

fn discounts() -> Vec<PostDiscount> {
    vec![PostDiscount {
        name: "满20减1元".into(),
        description: Some("不与其他优惠叠加".into()),
        amount: Some(100),
        count: Some(1),
    }]
}

/// A direct create body, typed.
fn create_model(
    out_order_no: &str,
    need_user_confirm: bool,
    notify_url: &str,
) -> CreateServiceOrder {
    CreateServiceOrder {
        out_order_no: out_order_no.into(),
        appid: APPID.into(),
        service_id: SERVICE_ID.into(),
        service_introduction: "某某酒店".into(),
        post_payments: Some(payments(40000)),
        post_discounts: Some(discounts()),
        time_range: TimeRange {
            start_time: Some("OnAccept".into()),
            start_time_remark: Some("备注1".into()),
            ..Default::default()
        },
        location: Some(Location {
            start_location: Some("嗨客时尚主题展餐厅".into()),
            end_location: None,
        }),
        risk_fund: RiskFund {
            name: "ESTIMATE_ORDER_COST".into(),
            amount: 10000,
            description: Some("就餐的预估费用".into()),
        },
        attach: Some("Easdfowealsdkjfnlaksjdlfkwqoi&wl3l2sald".into()),
        notify_url: notify_url.into(),
        openid: Some(OPENID.into()),
        need_user_confirm: Some(need_user_confirm),
        ..Default::default()
    }
}

fn partner_model(out_order_no: &str) -> CreateServiceOrder {
    CreateServiceOrder {
        sub_mchid: Some(SUB_MCHID.into()),
        sub_appid: Some(SUB_APPID.into()),
        sub_openid: Some(SUB_OPENID.into()),
        openid: None,
        ..create_model(out_order_no, true, NOWHERE)
    }
}

fn complete_model(total: i64) -> CompleteServiceOrder {
    CompleteServiceOrder {
        appid: Some(APPID.into()),
        service_id: SERVICE_ID.into(),
        post_payments: payments(total + 100),
        post_discounts: Some(discounts()),
        total_amount: total,
        location: Some(Location {
            start_location: None,
            end_location: Some("嗨客时尚主题展餐厅".into()),
        }),
        ..Default::default()
    }
}

fn create(client: &Client, base: &str, model: &CreateServiceOrder) -> ServiceOrder {
    let r = ok(client.chain(base).post(Options::new().json(model)));
    assert_eq!(r.status(), 200);
    r.json::<ServiceOrder>().expect("a ServiceOrder")
}

fn query_direct(client: &Client, out_order_no: &str) -> ServiceOrder {
    let q = QueryServiceOrder {
        out_order_no: Some(out_order_no.into()),
        service_id: SERVICE_ID.into(),
        appid: Some(APPID.into()),
        ..Default::default()
    };
    let r = ok(client[DIRECT].get(Options::new().query(&q)));
    r.json::<ServiceOrder>().expect("a ServiceOrder")
}

fn query_partner(client: &Client, base: &str, out_order_no: &str) -> ServiceOrder {
    let q = QueryServiceOrder {
        out_order_no: Some(out_order_no.into()),
        service_id: SERVICE_ID.into(),
        sub_mchid: Some(SUB_MCHID.into()),
        ..Default::default()
    };
    ok(client.chain(base).get(Options::new().query(&q)))
        .json::<ServiceOrder>()
        .expect("a ServiceOrder")
}

fn post(
    client: &Client,
    template: &str,
    out_order_no: &str,
    body: &impl serde::Serialize,
) -> Result<Response, Error> {
    client
        .chain(template)
        .post(Options::new().var("out_order_no", out_order_no).json(body))
}

/// The JSON create body of a direct order, for the validation tables.
fn create_json(out_order_no: &str) -> Value {
    json!({
        "out_order_no": out_order_no, "appid": APPID, "service_id": SERVICE_ID,
        "service_introduction": "某某酒店",
        "post_payments": [{"name": "就餐费用", "amount": 40000, "description": "就餐人均100元", "count": 4}],
        "post_discounts": [{"name": "满20减1元", "description": "不与其他优惠叠加", "amount": 100, "count": 1}],
        "time_range": {"start_time": "20091225091010", "start_time_remark": "备注1",
                       "end_time": "20091225121010", "end_time_remark": "备注2"},
        "location": {"start_location": "嗨客时尚主题展餐厅", "end_location": "嗨客时尚主题展餐厅"},
        "risk_fund": {"name": "ESTIMATE_ORDER_COST", "amount": 10000, "description": "就餐的预估费用"},
        "attach": "Easdfowealsdkjfnlaksjdlfkwqoi&wl3l2sald",
        "notify_url": NOWHERE,
        "openid": OPENID,
        "need_user_confirm": true,
        "device": {"start_device_id": "HG123456", "end_device_id": "HG123456", "materiel_no": "example_materiel_no"},
    })
}

type Edit = (&'static str, Option<Value>);

fn set(path: &'static str, v: impl Into<Value>) -> Edit {
    (path, Some(v.into()))
}

fn del(path: &'static str) -> Edit {
    (path, None)
}

/// `v` with each dotted path (`time_range.start_time`, `post_payments.0.amount`)
/// set or removed.
fn edited(mut v: Value, edits: &[Edit]) -> Value {
    for (path, new) in edits {
        let (parent, last) = match path.rsplit_once('.') {
            Some((p, l)) => (
                v.pointer_mut(&format!("/{}", p.replace('.', "/")))
                    .unwrap_or_else(|| panic!("no {p} in the body")),
                l,
            ),
            None => (&mut v, *path),
        };
        match (parent, new) {
            (Value::Object(m), Some(n)) => {
                m.insert(last.to_string(), n.clone());
            }
            (Value::Object(m), None) => {
                m.remove(last);
            }
            (Value::Array(a), Some(n)) => a[last.parse::<usize>().unwrap()] = n.clone(),
            _ => panic!("cannot edit {path}"),
        }
    }
    v
}

fn long(n: usize) -> String {
    "x".repeat(n)
}

fn many(n: usize, item: Value) -> Value {
    Value::Array(vec![item; n])
}

// ---------------------------------------------------------------------------
// 1. Lifecycles
// ---------------------------------------------------------------------------

#[test]
fn lifecycle_create_confirm_complete_modify_pay_with_typed_models() {
    let (sandbox, client) = start();
    let no = "LIFE00000000001";

    let created = create(&client, DIRECT, &create_model(no, true, NOWHERE));
    assert_eq!(created.out_order_no, no);
    assert_eq!(created.appid, APPID);
    assert_eq!(created.mchid, sandbox.keys().mchid);
    assert_eq!(created.service_id, SERVICE_ID);
    assert_eq!(created.state, "CREATED");
    assert_eq!(created.state_description, None);
    assert!(created.package.as_deref().is_some_and(|p| !p.is_empty()));
    let order_id = created.order_id.clone().expect("an order_id");
    assert!(!order_id.is_empty());
    assert_eq!(created.total_amount, None);
    assert_eq!(created.collection, None);
    assert_eq!(created.post_payments, Some(payments(40000)));
    assert_eq!(created.notify_url.as_deref(), Some(NOWHERE));

    // Query by out_order_no and by query_id: the same order.
    let by_no = query_direct(&client, no);
    assert_eq!(by_no.state, "CREATED");
    assert_eq!(by_no.order_id.as_deref(), Some(order_id.as_str()));
    assert_eq!(by_no.package, None, "package is a create-only field");
    assert_eq!(
        by_no.time_range.as_ref().unwrap().start_time.as_deref(),
        Some("OnAccept")
    );
    let query_id = sandbox.query_id(no).expect("a query_id");
    let q = QueryServiceOrder {
        query_id: Some(query_id),
        service_id: SERVICE_ID.into(),
        appid: Some(APPID.into()),
        ..Default::default()
    };
    let by_qid = ok(client[DIRECT].get(Options::new().query(&q)))
        .json::<ServiceOrder>()
        .unwrap();
    assert_eq!(by_qid, by_no);

    // The user confirms in WeChat.
    sandbox.user_confirm(no).unwrap();
    let confirmed = query_direct(&client, no);
    assert_eq!(confirmed.state, "DOING");
    assert_eq!(confirmed.state_description.as_deref(), Some("USER_CONFIRM"));
    assert_eq!(confirmed.openid.as_deref(), Some(OPENID));
    let start_time = confirmed.time_range.unwrap().start_time.unwrap();
    assert!(
        start_time.len() == 14 && start_time.bytes().all(|b| b.is_ascii_digit()),
        "OnAccept became the confirmation time, got {start_time}"
    );

    // Complete: 40000 - 100.
    let r = ok(post(
        &client,
        &action(DIRECT, "complete"),
        no,
        &complete_model(39900),
    ));
    let completed = r.json::<ServiceOrder>().unwrap();
    assert_eq!(completed.state, "DONE");
    assert_eq!(completed.state_description.as_deref(), Some("MCH_COMPLETE"));
    assert_eq!(completed.total_amount, Some(39900));
    assert_eq!(completed.need_collection, Some(true));
    assert_eq!(completed.post_payments, Some(payments(40000)));
    assert_eq!(completed.order_id.as_deref(), Some(order_id.as_str()));
    let done = query_direct(&client, no);
    let c = done.collection.expect("a collection once completed");
    assert_eq!(c.state, "USER_PAYING");
    assert_eq!(
        (c.total_amount, c.paying_amount, c.paid_amount),
        (Some(39900), Some(39900), Some(0))
    );
    let tr = done.time_range.unwrap();
    assert!(tr.end_time.is_some(), "complete fills in end_time");
    assert_eq!(
        done.location.unwrap().end_location.as_deref(),
        Some("嗨客时尚主题展餐厅")
    );

    // Modify lowers the amount.
    let modify = ModifyServiceOrder {
        appid: Some(APPID.into()),
        service_id: Some(SERVICE_ID.into()),
        post_payments: payments(30000),
        post_discounts: Some(discounts()),
        total_amount: 29900,
        reason: "用户投诉".into(),
        ..Default::default()
    };
    let modified = ok(post(&client, &action(DIRECT, "modify"), no, &modify))
        .json::<ServiceOrder>()
        .unwrap();
    assert_eq!(modified.total_amount, Some(29900));
    let c = modified.collection.unwrap();
    assert_eq!(
        (c.state.as_str(), c.paying_amount),
        ("USER_PAYING", Some(29900))
    );

    // The user pays in WeChat.
    sandbox.user_pay(no).unwrap();
    let paid = query_direct(&client, no);
    assert_eq!(paid.state, "DONE");
    let c = paid.collection.clone().unwrap();
    assert_eq!(c.state, "USER_PAID");
    assert_eq!((c.paid_amount, c.paying_amount), (Some(29900), Some(0)));
    let details = c.details.unwrap();
    assert_eq!(details.len(), 1);
    assert_eq!(details[0].seq, Some(1));
    assert_eq!(details[0].amount, Some(29900));
    assert_eq!(details[0].paid_type.as_deref(), Some("NEWTON"));
    assert!(
        details[0]
            .transaction_id
            .as_deref()
            .is_some_and(|t| !t.is_empty())
    );

    // The handle's view is the query's view.
    let raw = ok(client[DIRECT]
        .get(json!({"query": {"out_order_no": no, "service_id": SERVICE_ID, "appid": APPID}})));
    assert_eq!(sandbox.order(no), Some(raw.json::<Value>().unwrap()));

    // Nothing is left to modify or pay.
    expect_api(
        post(&client, &action(DIRECT, "modify"), no, &modify),
        400,
        "INVALID_REQUEST",
        "USER_PAID",
    );
    expect_refused(sandbox.user_pay(no), 400, "INVALID_REQUEST", "USER_PAID");
}

#[test]
fn lifecycle_without_confirmation_complete_then_sync_order_paid() {
    let (sandbox, client) = start();
    let no = "NOCONF00000001";

    let created = create(&client, DIRECT, &create_model(no, false, NOWHERE));
    assert_eq!(created.state, "DOING", "no confirmation: accepted at once");
    assert_eq!(created.package, None, "nothing for the user to confirm");
    let start_time = created.time_range.unwrap().start_time.unwrap();
    assert_ne!(start_time, "OnAccept");
    assert_eq!(start_time.len(), 14);
    expect_refused(sandbox.user_confirm(no), 400, "INVALID_REQUEST", "CREATED");

    ok(post(
        &client,
        &action(DIRECT, "complete"),
        no,
        &complete_model(39900),
    ));
    let sync = SyncServiceOrder {
        appid: Some(APPID.into()),
        service_id: SERVICE_ID.into(),
        sync_type: "Order_Paid".into(),
        detail: Some(SyncDetail {
            seq: Some(1),
            paid_time: "20091225091210".into(),
            paid_amount: Some(39900),
        }),
        ..Default::default()
    };
    let synced = ok(post(&client, &action(DIRECT, "sync"), no, &sync))
        .json::<ServiceOrder>()
        .unwrap();
    let c = synced.collection.unwrap();
    assert_eq!(c.state, "USER_PAID");
    let d = &c.details.as_ref().unwrap()[0];
    assert_eq!(d.paid_type.as_deref(), Some("MCH"));
    assert_eq!(d.paid_time.as_deref(), Some("2009-12-25T09:12:10+08:00"));
    assert_eq!((d.seq, d.amount), (Some(1), Some(39900)));
    assert_eq!(d.transaction_id, None);

    let queried = query_direct(&client, no);
    let c = queried.collection.unwrap();
    assert_eq!(c.state, "USER_PAID");
    assert_eq!((c.paid_amount, c.paying_amount), (Some(39900), Some(0)));

    // Paid: neither a second sync nor the user can pay again.
    expect_api(
        post(&client, &action(DIRECT, "sync"), no, &sync),
        400,
        "INVALID_REQUEST",
        "USER_PAID",
    );
    expect_refused(sandbox.user_pay(no), 400, "INVALID_REQUEST", "USER_PAID");

    // A completion at 0 needs no collection at all.
    let free = "NOCONF00000002";
    create(&client, DIRECT, &create_model(free, false, NOWHERE));
    let done = ok(post(
        &client,
        &action(DIRECT, "complete"),
        free,
        &complete_model(0),
    ))
    .json::<ServiceOrder>()
    .unwrap();
    assert_eq!(done.need_collection, Some(false));
    assert_eq!(
        query_direct(&client, free).collection.unwrap().state,
        "USER_PAID"
    );
}

#[test]
fn cancel_created_and_doing_orders() {
    let (sandbox, client) = start();
    let cancel = CancelServiceOrder {
        appid: Some(APPID.into()),
        service_id: SERVICE_ID.into(),
        reason: "用户投诉".into(),
        ..Default::default()
    };

    let created = create(
        &client,
        DIRECT,
        &create_model("CANCEL0000001", true, NOWHERE),
    );
    let r = ok(post(
        &client,
        &action(DIRECT, "cancel"),
        "CANCEL0000001",
        &cancel,
    ));
    let answer = r.json::<CancelServiceOrderResponse>().unwrap();
    assert_eq!(
        answer,
        CancelServiceOrderResponse {
            appid: APPID.into(),
            mchid: sandbox.keys().mchid.clone(),
            out_order_no: "CANCEL0000001".into(),
            service_id: SERVICE_ID.into(),
            order_id: created.order_id.unwrap(),
        }
    );
    assert_eq!(query_direct(&client, "CANCEL0000001").state, "REVOKED");

    create(
        &client,
        DIRECT,
        &create_model("CANCEL0000002", true, NOWHERE),
    );
    sandbox.user_confirm("CANCEL0000002").unwrap();
    ok(post(
        &client,
        &action(DIRECT, "cancel"),
        "CANCEL0000002",
        &cancel,
    ));
    assert_eq!(query_direct(&client, "CANCEL0000002").state, "REVOKED");

    // Once revoked: no second cancel, no confirmation, no completion.
    expect_api(
        post(&client, &action(DIRECT, "cancel"), "CANCEL0000001", &cancel),
        400,
        "INVALID_REQUEST",
        "REVOKED",
    );
    expect_refused(
        sandbox.user_confirm("CANCEL0000001"),
        400,
        "INVALID_REQUEST",
        "REVOKED",
    );
    expect_api(
        post(
            &client,
            &action(DIRECT, "complete"),
            "CANCEL0000002",
            &complete_model(39900),
        ),
        400,
        "INVALID_REQUEST",
        "REVOKED",
    );
}

#[test]
fn expire_turns_a_created_order_into_expired() {
    let (sandbox, client) = start();
    create(
        &client,
        DIRECT,
        &create_model("EXPIRE000001", true, NOWHERE),
    );
    sandbox.expire("EXPIRE000001").unwrap();
    let expired = query_direct(&client, "EXPIRE000001");
    assert_eq!(expired.state, "EXPIRED");
    assert_eq!(sandbox.order("EXPIRE000001").unwrap()["state"], "EXPIRED");

    expect_refused(
        sandbox.expire("EXPIRE000001"),
        400,
        "INVALID_REQUEST",
        "EXPIRED",
    );
    expect_refused(
        sandbox.user_confirm("EXPIRE000001"),
        400,
        "INVALID_REQUEST",
        "EXPIRED",
    );
    let cancel = json!({"appid": APPID, "service_id": SERVICE_ID, "reason": "超时"});
    expect_api(
        post(&client, &action(DIRECT, "cancel"), "EXPIRE000001", &cancel),
        400,
        "INVALID_REQUEST",
        "EXPIRED",
    );

    // Only a CREATED order expires.
    create(
        &client,
        DIRECT,
        &create_model("EXPIRE000002", false, NOWHERE),
    );
    expect_refused(
        sandbox.expire("EXPIRE000002"),
        400,
        "INVALID_REQUEST",
        "DOING",
    );
    assert_eq!(query_direct(&client, "EXPIRE000002").state, "DOING");
    expect_refused(sandbox.expire("NOSUCHORDER1"), 404, "ORDER_NOT_EXIST", "");
}

#[test]
fn create_is_idempotent_for_the_same_body_and_refuses_other_parameters() {
    let (_sandbox, client) = start();
    let model = create_model("IDEMP0000001", true, NOWHERE);

    // The answer is lost on the wire (the order is created all the same)...
    let lost = client[DIRECT].post(Fault::Drop.options().json(&model));
    assert!(
        lost.as_ref().is_err_and(Error::is_outcome_unknown),
        "the request went out, so the outcome is unknown: {lost:?}"
    );
    // ...so the merchant retries with the same body and gets the same order.
    let first = create(&client, DIRECT, &model);
    let again = create(&client, DIRECT, &model);
    assert_eq!(first, again);
    assert!(first.order_id.is_some());

    let other = CreateServiceOrder {
        service_introduction: "另一家酒店".into(),
        ..model
    };
    expect_api(
        client[DIRECT].post(Options::new().json(&other)),
        400,
        "INVALID_REQUEST",
        "already exists with different parameters",
    );
    assert_eq!(
        query_direct(&client, "IDEMP0000001")
            .service_introduction
            .as_deref(),
        Some("某某酒店")
    );
}

#[test]
fn partner_lifecycle_with_sub_mchid() {
    let (sandbox, client) = start();
    let no = "PARTNER000001";

    let created = create(&client, PARTNER, &partner_model(no));
    assert_eq!(created.state, "CREATED");
    assert_eq!(created.sub_mchid.as_deref(), Some(SUB_MCHID));
    assert_eq!(created.sub_appid.as_deref(), Some(SUB_APPID));
    assert!(created.package.is_some());
    assert_eq!(query_partner(&client, PARTNER, no).state, "CREATED");

    // The partner's order is not the direct merchant's.
    let direct = client[DIRECT]
        .get(json!({"query": {"out_order_no": no, "service_id": SERVICE_ID, "appid": APPID}}));
    expect_api(direct, 404, "ORDER_NOT_EXIST", "");
    // Nor another sub-merchant's.
    let other_sub = client[PARTNER].get(
        json!({"query": {"out_order_no": no, "service_id": SERVICE_ID, "sub_mchid": "1900000999"}}),
    );
    expect_api(other_sub, 404, "ORDER_NOT_EXIST", "");
    // By query_id.
    let qid = sandbox.query_id(no).unwrap();
    let by_qid = ok(client[PARTNER].get(
        json!({"query": {"query_id": qid, "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID}}),
    ));
    assert_eq!(by_qid.json::<ServiceOrder>().unwrap().out_order_no, no);

    sandbox.user_confirm(no).unwrap();
    let confirmed = query_partner(&client, PARTNER, no);
    assert_eq!(confirmed.state, "DOING");
    assert_eq!(confirmed.sub_openid.as_deref(), Some(SUB_OPENID));

    let complete = CompleteServiceOrder {
        appid: None,
        sub_mchid: Some(SUB_MCHID.into()),
        complete_time: Some("2019-11-11T16:24:05+08:00".into()),
        ..complete_model(39900)
    };
    let r = ok(post(&client, &action(PARTNER, "complete"), no, &complete));
    assert_eq!(r.status(), 204);
    assert!(r.body().is_empty());

    // The partner modify leaves service_id optional.
    let modify = ModifyServiceOrder {
        sub_mchid: Some(SUB_MCHID.into()),
        post_payments: payments(30000),
        post_discounts: Some(discounts()),
        total_amount: 29900,
        reason: "用户投诉".into(),
        ..Default::default()
    };
    assert_eq!(
        ok(post(&client, &action(PARTNER, "modify"), no, &modify)).status(),
        204
    );
    let done = query_partner(&client, PARTNER, no);
    assert_eq!(
        (done.state.as_str(), done.total_amount),
        ("DONE", Some(29900))
    );
    assert_eq!(done.collection.unwrap().state, "USER_PAYING");

    let sync = SyncServiceOrder {
        service_id: SERVICE_ID.into(),
        sub_mchid: Some(SUB_MCHID.into()),
        sync_type: "Order_Paid".into(),
        detail: Some(SyncDetail {
            seq: Some(1),
            paid_time: "2019-12-25T01:12:10Z".into(),
            paid_amount: Some(29900),
        }),
        ..Default::default()
    };
    assert_eq!(
        ok(post(&client, &action(PARTNER, "sync"), no, &sync)).status(),
        204
    );
    let paid = query_partner(&client, PARTNER, no).collection.unwrap();
    assert_eq!(paid.state, "USER_PAID");
    let d = &paid.details.unwrap()[0];
    assert_eq!(d.paid_time.as_deref(), Some("2019-12-25T09:12:10+08:00"));
    assert_eq!(d.paid_type.as_deref(), Some("MCH"));

    // Cancel answers 204 too.
    create(&client, PARTNER, &partner_model("PARTNER000002"));
    let cancel = CancelServiceOrder {
        service_id: SERVICE_ID.into(),
        sub_mchid: Some(SUB_MCHID.into()),
        reason: "用户投诉".into(),
        ..Default::default()
    };
    let r = ok(post(
        &client,
        &action(PARTNER, "cancel"),
        "PARTNER000002",
        &cancel,
    ));
    assert_eq!(r.status(), 204);
    assert_eq!(
        query_partner(&client, PARTNER, "PARTNER000002").state,
        "REVOKED"
    );

    // The same number under a second sub-merchant makes a user-side call ambiguous.
    create(&client, PARTNER, &partner_model("PARTNER000003"));
    let second = CreateServiceOrder {
        sub_mchid: Some("1900000110".into()),
        ..partner_model("PARTNER000003")
    };
    create(&client, PARTNER, &second);
    expect_refused(
        sandbox.user_confirm("PARTNER000003"),
        400,
        "INVALID_REQUEST",
        "several sub_mchid",
    );
}

#[test]
fn oversea_partner_lifecycle_with_currency_and_rfc3339_sync() {
    let (sandbox, client) = start();
    let no = "OVERSEA000001";
    let model = CreateServiceOrder {
        currency: Some("HKD".into()),
        ..partner_model(no)
    };
    let created = create(&client, OVERSEA, &model);
    assert_eq!(created.currency.as_deref(), Some("HKD"));
    assert_eq!(created.state, "CREATED");
    assert_eq!(
        query_partner(&client, OVERSEA, no).currency.as_deref(),
        Some("HKD")
    );

    sandbox.user_confirm(no).unwrap();
    let complete = CompleteServiceOrder {
        appid: None,
        sub_mchid: Some(SUB_MCHID.into()),
        currency: Some("HKD".into()),
        ..complete_model(39900)
    };
    assert_eq!(
        ok(post(&client, &action(OVERSEA, "complete"), no, &complete)).status(),
        204
    );

    // There is no overseas modify.
    let modify = json!({"service_id": SERVICE_ID, "sub_mchid": SUB_MCHID, "post_payments": [{"name": "x", "amount": 1}], "total_amount": 1, "reason": "r"});
    expect_api(
        post(&client, &action(OVERSEA, "modify"), no, &modify),
        404,
        "NOT_FOUND",
        "modify",
    );

    let sync = SyncServiceOrder {
        service_id: SERVICE_ID.into(),
        sub_mchid: Some(SUB_MCHID.into()),
        sync_type: "Order_Paid".into(),
        detail: Some(SyncDetail {
            seq: None,
            paid_time: "2019-12-25T09:12:10+08:00".into(),
            paid_amount: None,
        }),
        ..Default::default()
    };
    assert_eq!(
        ok(post(&client, &action(OVERSEA, "sync"), no, &sync)).status(),
        204
    );
    let c = query_partner(&client, OVERSEA, no).collection.unwrap();
    assert_eq!(c.state, "USER_PAID");
    assert_eq!(
        c.paid_amount,
        Some(39900),
        "paid_amount defaults to what was owed"
    );
    let d = &c.details.unwrap()[0];
    assert_eq!(d.paid_time.as_deref(), Some("2019-12-25T09:12:10+08:00"));
    assert_eq!(d.seq, Some(1));

    create(
        &client,
        OVERSEA,
        &CreateServiceOrder {
            currency: Some("HKD".into()),
            ..partner_model("OVERSEA000002")
        },
    );
    let cancel = json!({"service_id": SERVICE_ID, "sub_mchid": SUB_MCHID, "reason": "用户投诉"});
    assert_eq!(
        ok(post(
            &client,
            &action(OVERSEA, "cancel"),
            "OVERSEA000002",
            &cancel
        ))
        .status(),
        204
    );
    assert_eq!(
        query_partner(&client, OVERSEA, "OVERSEA000002").state,
        "REVOKED"
    );
}

#[test]
fn a_user_at_the_cashier_blocks_sync_until_paid() {
    let (sandbox, client) = start();
    let no = "CASHIER00001";
    create(&client, DIRECT, &create_model(no, false, NOWHERE));
    // Not payable yet.
    expect_refused(
        sandbox.user_paying_at_cashier(no),
        400,
        "INVALID_REQUEST",
        "DOING",
    );
    ok(post(
        &client,
        &action(DIRECT, "complete"),
        no,
        &complete_model(39900),
    ));
    sandbox.user_paying_at_cashier(no).unwrap();
    let sync = json!({"appid": APPID, "service_id": SERVICE_ID, "type": "Order_Paid", "detail": {"paid_time": "20091225091210"}});
    expect_api(
        post(&client, &action(DIRECT, "sync"), no, &sync),
        400,
        "INVALID_REQUEST",
        "cashier",
    );
    assert_eq!(
        query_direct(&client, no).collection.unwrap().state,
        "USER_PAYING"
    );
    sandbox.user_pay(no).unwrap();
    assert_eq!(
        query_direct(&client, no).collection.unwrap().state,
        "USER_PAID"
    );
}

// ---------------------------------------------------------------------------
// 2. Validation rules and error codes
// ---------------------------------------------------------------------------

#[test]
fn create_validation_rules() {
    let (sandbox, client) = start();
    let no = "VALID0000001";
    let payment = json!({"name": "就餐费用", "amount": 1});
    let discount = json!({"name": "满20减1元", "description": "d", "amount": 1});
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<Edit>, &str)> = vec![
        (DIRECT, vec![del("out_order_no")], "out_order_no is required"),
        (DIRECT, vec![set("out_order_no", Value::Null)], "out_order_no is required"),
        (DIRECT, vec![set("out_order_no", "")], "out_order_no must be 1 to 32 characters long, got 0"),
        (DIRECT, vec![set("out_order_no", "ABC12")], "out_order_no must be 6 to 32 characters of"),
        (DIRECT, vec![set("out_order_no", "ABC 123456")], "out_order_no must be 6 to 32 characters of"),
        (DIRECT, vec![set("out_order_no", "订单号码订单号码")], "out_order_no must be 6 to 32 characters of"),
        (DIRECT, vec![set("out_order_no", long(33))], "out_order_no must be 1 to 32 characters long, got 33"),
        (DIRECT, vec![set("out_order_no", 12345678)], "out_order_no must be a string"),
        (DIRECT, vec![del("appid")], "appid is required"),
        (DIRECT, vec![set("appid", Value::Null)], "appid is required"),
        (DIRECT, vec![set("appid", long(33))], "appid must be 1 to 32 characters long, got 33"),
        (DIRECT, vec![del("service_id")], "service_id is required"),
        (DIRECT, vec![set("service_id", long(33))], "service_id must be 1 to 32"),
        (DIRECT, vec![del("service_introduction")], "service_introduction is required"),
        (DIRECT, vec![set("service_introduction", "某".repeat(21))], "service_introduction must be 1 to 20 characters long, got 21"),
        (DIRECT, vec![set("post_payments", json!({}))], "post_payments must be an array"),
        (DIRECT, vec![set("post_payments", json!([1]))], "post_payments[0] must be an object"),
        (DIRECT, vec![del("post_payments.0.name")], "post_payments[0].name is required"),
        (DIRECT, vec![set("post_payments.0.name", long(21))], "post_payments[0].name must be 1 to 20"),
        (DIRECT, vec![set("post_payments.0.amount", 0)], "post_payments[0].amount must be a positive integer"),
        (DIRECT, vec![set("post_payments.0.amount", "100")], "post_payments[0].amount must be an integer"),
        (DIRECT, vec![set("post_payments.0.amount", 1.5)], "post_payments[0].amount must be an integer"),
        (DIRECT, vec![set("post_payments.0.description", long(31))], "post_payments[0].description must be 1 to 30"),
        (DIRECT, vec![set("post_payments.0.count", 0)], "post_payments[0].count must be a positive integer"),
        (DIRECT, vec![set("post_payments.0.count", 5_000_000_000_i64)], "post_payments[0].count is too large"),
        (DIRECT, vec![set("post_payments", many(101, payment.clone()))], "post_payments holds at most 100 items"),
        (DIRECT, vec![del("post_discounts.0.description")], "post_discounts[0].description is required"),
        (DIRECT, vec![del("post_discounts.0.name")], "post_discounts[0].name is required"),
        (DIRECT, vec![set("post_discounts.0.amount", -1)], "post_discounts[0].amount must be a positive integer"),
        (DIRECT, vec![set("post_discounts", many(31, discount.clone()))], "post_discounts holds at most 30 items"),
        (DIRECT, vec![del("time_range")], "time_range is required"),
        (DIRECT, vec![set("time_range", "OnAccept")], "time_range must be an object"),
        (DIRECT, vec![del("time_range.start_time")], "time_range.start_time is required"),
        (DIRECT, vec![set("time_range.start_time", "2009122509101")], "time_range.start_time must be yyyyMMddHHmmss or OnAccept"),
        (DIRECT, vec![set("time_range.start_time", "20091325091010")], "time_range.start_time must be yyyyMMddHHmmss or OnAccept"),
        (DIRECT, vec![set("time_range.start_time", "20090230091010")], "time_range.start_time must be yyyyMMddHHmmss or OnAccept"),
        (DIRECT, vec![set("time_range.start_time", "2009-12-25 09:10")], "time_range.start_time must be 1 to 14 characters long"),
        (DIRECT, vec![set("time_range.end_time", "OnAccept")], "time_range.end_time must be yyyyMMddHHmmss"),
        (DIRECT, vec![set("time_range.end_time", "20091225081010")], "time_range.end_time must not be before time_range.start_time"),
        (DIRECT, vec![set("time_range.start_time_remark", long(21))], "time_range.start_time_remark must be 0 to 20"),
        (DIRECT, vec![set("time_range.end_time_remark", long(21))], "time_range.end_time_remark must be 0 to 20"),
        (DIRECT, vec![set("location", "嗨客")], "location must be an object"),
        (DIRECT, vec![del("location.start_location")], "location.start_location is required when location.end_location is given"),
        (DIRECT, vec![set("location.start_location", long(51))], "location.start_location must be 1 to 50"),
        (DIRECT, vec![set("location.end_location", long(51))], "location.end_location must be 1 to 50"),
        (DIRECT, vec![del("risk_fund")], "risk_fund is required"),
        (DIRECT, vec![del("risk_fund.name")], "risk_fund.name is required"),
        (DIRECT, vec![set("risk_fund.name", "LOAN")], "risk_fund.name must be one of DEPOSIT, ADVANCE, CASH_DEPOSIT, ESTIMATE_ORDER_COST, got LOAN"),
        (DIRECT, vec![del("risk_fund.amount")], "risk_fund.amount is required"),
        (DIRECT, vec![set("risk_fund.amount", 0)], "risk_fund.amount must be a positive integer"),
        (DIRECT, vec![set("risk_fund.description", long(31))], "risk_fund.description must be 1 to 30"),
        (DIRECT, vec![set("attach", long(257))], "attach must be 1 to 256"),
        (DIRECT, vec![del("notify_url")], "notify_url is required"),
        (DIRECT, vec![set("notify_url", "ftp://api.test.com/notify")], "notify_url must be an http(s) URL"),
        (DIRECT, vec![set("notify_url", format!("https://{}", long(250)))], "notify_url must be 1 to 255"),
        (DIRECT, vec![set("openid", long(129))], "openid must be 1 to 128"),
        (DIRECT, vec![set("need_user_confirm", "false")], "need_user_confirm must be a boolean"),
        (DIRECT, vec![set("need_user_confirm", false), del("openid")], "openid is required when need_user_confirm is false"),
        (DIRECT, vec![set("device", "HG123456")], "device must be an object"),
        (DIRECT, vec![set("device.start_device_id", long(33))], "device.start_device_id must be 1 to 32"),
        (DIRECT, vec![set("device.end_device_id", long(33))], "device.end_device_id must be 1 to 32"),
        (DIRECT, vec![set("device.materiel_no", long(257))], "device.materiel_no must be 1 to 256"),
        (PARTNER, vec![], "sub_mchid is required"),
        (PARTNER, vec![set("sub_mchid", long(33))], "sub_mchid must be 1 to 32"),
        (PARTNER, vec![set("sub_mchid", SUB_MCHID), set("sub_appid", long(33))], "sub_appid must be 1 to 32"),
        (PARTNER, vec![set("sub_mchid", SUB_MCHID), set("sub_openid", SUB_OPENID)], "sub_appid is required when sub_openid is given"),
        (PARTNER, vec![set("sub_mchid", SUB_MCHID), set("sub_appid", SUB_APPID), set("sub_openid", long(129))], "sub_openid must be 1 to 128"),
        (OVERSEA, vec![set("sub_mchid", SUB_MCHID)], "currency is required"),
        (OVERSEA, vec![set("sub_mchid", SUB_MCHID), set("currency", long(17))], "currency must be 1 to 16"),
    ];
    let mut failures = Vec::new();
    let mut ran = 0;
    for (route, edits, mentions) in &cases {
        ran += 1;
        let body = edited(create_json(no), edits);
        let r = client.chain(route).post(Options::new().json(&body));
        if let Some(why) = api_mismatch(r, 400, "PARAM_ERROR", mentions) {
            failures.push(format!("{route} {edits:?}: {why}"));
        }
    }
    assert_eq!(ran, 69, "every case ran");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(
        sandbox.order(no).is_none(),
        "no refused create may leave an order"
    );

    // The unedited bodies are valid, so each refusal above came from its edit.
    ok(client[DIRECT].post(Options::new().json(&create_json(no))));
    let partner = edited(create_json("VALID0000002"), &[set("sub_mchid", SUB_MCHID)]);
    ok(client[PARTNER].post(Options::new().json(&partner)));
    let oversea = edited(
        create_json("VALID0000003"),
        &[set("sub_mchid", SUB_MCHID), set("currency", "CNY")],
    );
    ok(client[OVERSEA].post(Options::new().json(&oversea)));
    // An OnAccept start time and a zero-length remark are valid.
    let on_accept = edited(
        create_json("VALID0000004"),
        &[set(
            "time_range",
            json!({"start_time": "OnAccept", "start_time_remark": ""}),
        )],
    );
    ok(client[DIRECT].post(Options::new().json(&on_accept)));
}

#[test]
fn query_validation_rules() {
    let (sandbox, client) = start();
    create(
        &client,
        DIRECT,
        &create_model("QUERY0000001", true, NOWHERE),
    );
    create(&client, PARTNER, &partner_model("QUERY0000002"));
    let qid = sandbox.query_id("QUERY0000001").unwrap();

    #[rustfmt::skip]
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        (DIRECT, json!({"out_order_no": "QUERY0000001", "appid": APPID}), 400, "PARAM_ERROR", "service_id is required"),
        (DIRECT, json!({"out_order_no": "QUERY0000001", "service_id": "", "appid": APPID}), 400, "PARAM_ERROR", "service_id is required"),
        (DIRECT, json!({"out_order_no": "QUERY0000001", "service_id": long(33), "appid": APPID}), 400, "PARAM_ERROR", "service_id must be 1 to 32"),
        (DIRECT, json!({"out_order_no": "QUERY0000001", "service_id": SERVICE_ID}), 400, "PARAM_ERROR", "appid is required"),
        (DIRECT, json!({"out_order_no": "QUERY0000001", "service_id": SERVICE_ID, "appid": long(33)}), 400, "PARAM_ERROR", "appid must be 1 to 32"),
        (DIRECT, json!({"service_id": SERVICE_ID, "appid": APPID}), 400, "PARAM_ERROR", "exactly one of out_order_no and query_id"),
        (DIRECT, json!({"out_order_no": "QUERY0000001", "query_id": qid, "service_id": SERVICE_ID, "appid": APPID}), 400, "PARAM_ERROR", "exactly one of out_order_no and query_id"),
        (DIRECT, json!({"out_order_no": "Q 1", "service_id": SERVICE_ID, "appid": APPID}), 400, "PARAM_ERROR", "out_order_no must be 6 to 32"),
        (DIRECT, json!({"out_order_no": "NOSUCHORDER1", "service_id": SERVICE_ID, "appid": APPID}), 404, "ORDER_NOT_EXIST", ""),
        (DIRECT, json!({"query_id": "no_such_query_id", "service_id": SERVICE_ID, "appid": APPID}), 404, "ORDER_NOT_EXIST", ""),
        (DIRECT, json!({"out_order_no": "QUERY0000001", "service_id": "2002000000000000000000000000001", "appid": APPID}), 400, "INVALID_REQUEST", "service_id does not match"),
        (DIRECT, json!({"out_order_no": "QUERY0000001", "service_id": SERVICE_ID, "appid": "wx0000000000000000"}), 400, "INVALID_REQUEST", "appid does not match"),
        (DIRECT, json!({"out_order_no": "QUERY0000002", "service_id": SERVICE_ID, "appid": APPID}), 404, "ORDER_NOT_EXIST", ""),
        (PARTNER, json!({"out_order_no": "QUERY0000002", "service_id": SERVICE_ID}), 400, "PARAM_ERROR", "sub_mchid is required"),
        (PARTNER, json!({"out_order_no": "QUERY0000002", "service_id": SERVICE_ID, "sub_mchid": long(33)}), 400, "PARAM_ERROR", "sub_mchid must be 1 to 32"),
        (PARTNER, json!({"out_order_no": "QUERY0000002", "service_id": SERVICE_ID, "sub_mchid": "1900000999"}), 404, "ORDER_NOT_EXIST", ""),
        (PARTNER, json!({"out_order_no": "QUERY0000001", "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID}), 404, "ORDER_NOT_EXIST", ""),
    ];
    let mut failures = Vec::new();
    let mut ran = 0;
    for (route, query, status, code, mentions) in &cases {
        ran += 1;
        let r = client.chain(route).get(Options::new().query(query));
        if let Some(why) = api_mismatch(r, *status, code, mentions) {
            failures.push(format!("{route} {query}: {why}"));
        }
    }
    assert_eq!(ran, 17, "every case ran");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    // An empty query_id counts as absent (as the PHP seed sends it).
    let r = ok(client[DIRECT].get(json!({"query": {"out_order_no": "QUERY0000001", "query_id": "", "service_id": SERVICE_ID, "appid": APPID}})));
    assert_eq!(
        r.json::<ServiceOrder>().unwrap().out_order_no,
        "QUERY0000001"
    );
    let r = ok(client[DIRECT]
        .get(json!({"query": {"query_id": qid, "service_id": SERVICE_ID, "appid": APPID}})));
    assert_eq!(
        r.json::<ServiceOrder>().unwrap().out_order_no,
        "QUERY0000001"
    );
}

#[test]
fn complete_modify_cancel_sync_validation_rules() {
    let (sandbox, client) = start();
    // A completed order still USER_PAYING: every action parses its body first.
    let no = "ACTION000001";
    create(&client, DIRECT, &create_model(no, false, NOWHERE));
    ok(post(
        &client,
        &action(DIRECT, "complete"),
        no,
        &complete_model(39900),
    ));
    create(
        &client,
        PARTNER,
        &CreateServiceOrder {
            need_user_confirm: Some(false),
            openid: Some(OPENID.into()),
            ..partner_model(no)
        },
    );

    let complete = json!({"appid": APPID, "service_id": SERVICE_ID,
        "post_payments": [{"name": "就餐费用", "amount": 40000}],
        "post_discounts": [{"name": "满20减1元", "amount": 100}], "total_amount": 39900});
    let partner_complete = json!({"service_id": SERVICE_ID, "sub_mchid": SUB_MCHID,
        "post_payments": [{"name": "就餐费用", "amount": 40000}],
        "post_discounts": [{"name": "满20减1元", "description": "d", "amount": 100}], "total_amount": 39900});
    let modify = json!({"appid": APPID, "service_id": SERVICE_ID,
        "post_payments": [{"name": "就餐费用", "amount": 30000}],
        "post_discounts": [{"name": "满20减1元", "amount": 100}], "total_amount": 29900, "reason": "用户投诉"});
    let cancel = json!({"appid": APPID, "service_id": SERVICE_ID, "reason": "用户投诉"});
    let sync = json!({"appid": APPID, "service_id": SERVICE_ID, "type": "Order_Paid",
        "detail": {"seq": 1, "paid_time": "20091225091210", "paid_amount": 29900}});

    let c: &str = &action(DIRECT, "complete");
    let pc: &str = &action(PARTNER, "complete");
    let m: &str = &action(DIRECT, "modify");
    let x: &str = &action(DIRECT, "cancel");
    let s: &str = &action(DIRECT, "sync");
    #[rustfmt::skip]
    let cases: Vec<(&str, &Value, Vec<Edit>, &str)> = vec![
        (c, &complete, vec![del("appid")], "appid is required"),
        (c, &complete, vec![del("service_id")], "service_id is required"),
        (c, &complete, vec![del("post_payments")], "post_payments is required"),
        (c, &complete, vec![set("post_payments", json!([]))], "post_payments must hold at least one item"),
        (c, &complete, vec![del("post_payments.0.name")], "post_payments[0].name is required"),
        (c, &complete, vec![del("post_discounts.0.amount")], "post_discounts[0].amount is required"),
        (c, &complete, vec![del("total_amount")], "total_amount is required"),
        (c, &complete, vec![set("total_amount", -1)], "total_amount must be a non-negative integer"),
        (c, &complete, vec![set("total_amount", 40000)], "total_amount 40000 must equal the post_payments amounts (40000) less the post_discounts amounts (100)"),
        (c, &complete, vec![set("time_range", json!({"start_time": "OnAccept"}))], "time_range.start_time must be yyyyMMddHHmmss"),
        (c, &complete, vec![set("time_range", json!({"end_time": "2009-12-25"}))], "time_range.end_time must be yyyyMMddHHmmss"),
        (c, &complete, vec![set("location", json!({"end_location": long(51)}))], "location.end_location must be 1 to 50"),
        (c, &complete, vec![set("profit_sharing", "yes")], "profit_sharing must be a boolean"),
        (c, &complete, vec![set("goods_tag", long(33))], "goods_tag must be 1 to 32"),
        (c, &complete, vec![set("device", json!({"materiel_no": long(257)}))], "device.materiel_no must be 1 to 256"),
        (pc, &partner_complete, vec![del("sub_mchid")], "sub_mchid is required"),
        (pc, &partner_complete, vec![del("post_discounts.0.description")], "post_discounts[0].description is required"),
        (pc, &partner_complete, vec![set("complete_time", "2019-11-11 16:24:05")], "complete_time must be RFC 3339"),
        (m, &modify, vec![del("appid")], "appid is required"),
        (m, &modify, vec![del("service_id")], "service_id is required"),
        (m, &modify, vec![del("reason")], "reason is required"),
        (m, &modify, vec![set("reason", long(51))], "reason must be 1 to 50"),
        (m, &modify, vec![del("post_payments")], "post_payments is required"),
        (m, &modify, vec![set("total_amount", 30000)], "total_amount 30000 must equal"),
        (m, &modify, vec![set("post_payments.0.amount", 40100), set("total_amount", 40000)], "total_amount 40000 exceeds the total at completion 39900"),
        (x, &cancel, vec![del("reason")], "reason is required"),
        (x, &cancel, vec![set("reason", long(51))], "reason must be 1 to 50"),
        (x, &cancel, vec![del("appid")], "appid is required"),
        (s, &sync, vec![del("type")], "type is required"),
        (s, &sync, vec![set("type", "Order_Refunded")], "type must be Order_Paid, got Order_Refunded"),
        (s, &sync, vec![del("detail")], "detail is required"),
        (s, &sync, vec![del("detail.paid_time")], "detail.paid_time is required"),
        (s, &sync, vec![set("detail.paid_time", "2009/12/25 09:12:10")], "detail.paid_time must be yyyyMMddHHmmss (20091225091210) or RFC 3339"),
        (s, &sync, vec![set("detail.paid_time", "2019-12-25T09:12:10+25:00")], "detail.paid_time must be yyyyMMddHHmmss"),
        (s, &sync, vec![set("detail.paid_time", "20091225246010")], "detail.paid_time must be yyyyMMddHHmmss"),
        (s, &sync, vec![set("detail.paid_amount", 0)], "detail.paid_amount must be a positive integer"),
        (s, &sync, vec![set("detail.seq", 0)], "detail.seq must be a positive integer"),
        (s, &sync, vec![set("detail.paid_amount", 50000)], "detail.paid_amount 50000 exceeds the amount still to pay 39900"),
    ];
    let mut failures = Vec::new();
    let mut ran = 0;
    for (template, base, edits, mentions) in &cases {
        ran += 1;
        let r = post(&client, template, no, &edited((*base).clone(), edits));
        if let Some(why) = api_mismatch(r, 400, "PARAM_ERROR", mentions) {
            failures.push(format!("{template} {edits:?}: {why}"));
        }
    }
    // The out_order_no in the path is checked too.
    for bad in ["ABC12", &long(33), "A B C D E F"] {
        ran += 1;
        if let Some(why) = api_mismatch(
            post(&client, c, bad, &complete),
            400,
            "PARAM_ERROR",
            "out_order_no must be 6 to 32",
        ) {
            failures.push(format!("path out_order_no `{bad}`: {why}"));
        }
    }
    assert_eq!(ran, 38 + 3, "every case ran");
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let order = sandbox.order(no).unwrap();
    assert_eq!(order["state"], "DONE", "refused calls change nothing");
    assert_eq!(order["total_amount"], 39900);
    assert_eq!(order["collection"]["state"], "USER_PAYING");

    // The unedited bodies are valid.
    ok(post(&client, m, no, &modify));
    ok(post(
        &client,
        s,
        no,
        &edited(sync.clone(), &[set("detail.paid_amount", 29900)]),
    ));
    assert_eq!(
        query_direct(&client, no).collection.unwrap().state,
        "USER_PAID"
    );
    ok(post(&client, pc, no, &partner_complete));
    create(
        &client,
        DIRECT,
        &create_model("ACTION000002", true, NOWHERE),
    );
    ok(post(&client, x, "ACTION000002", &cancel));

    // Amount and time checks against the order itself.
    let deposit = CreateServiceOrder {
        risk_fund: RiskFund {
            name: "DEPOSIT".into(),
            amount: 10000,
            description: None,
        },
        ..create_model("ACTION000003", false, NOWHERE)
    };
    create(&client, DIRECT, &deposit);
    expect_api(
        post(&client, c, "ACTION000003", &complete),
        400,
        "PARAM_ERROR",
        "total_amount 39900 exceeds risk_fund.amount 10000 (DEPOSIT)",
    );
    let early = edited(
        complete.clone(),
        &[set(
            "time_range",
            json!({"start_time": "20091225091010", "end_time": "20091225081010"}),
        )],
    );
    expect_api(
        post(&client, c, "ACTION000003", &early),
        400,
        "PARAM_ERROR",
        "time_range.end_time must not be before",
    );
    assert_eq!(query_direct(&client, "ACTION000003").state, "DOING");
}

#[test]
fn state_conflicts_answer_invalid_request() {
    let (sandbox, client) = start();
    // One order in each state.
    create(
        &client,
        DIRECT,
        &create_model("STATECREATED", true, NOWHERE),
    );
    create(
        &client,
        DIRECT,
        &create_model("STATEDOING01", false, NOWHERE),
    );
    create(
        &client,
        DIRECT,
        &create_model("STATEPAYING1", false, NOWHERE),
    );
    ok(post(
        &client,
        &action(DIRECT, "complete"),
        "STATEPAYING1",
        &complete_model(39900),
    ));
    create(
        &client,
        DIRECT,
        &create_model("STATEPAID001", false, NOWHERE),
    );
    ok(post(
        &client,
        &action(DIRECT, "complete"),
        "STATEPAID001",
        &complete_model(39900),
    ));
    sandbox.user_pay("STATEPAID001").unwrap();
    create(
        &client,
        DIRECT,
        &create_model("STATEREVOKED", true, NOWHERE),
    );
    ok(post(
        &client,
        &action(DIRECT, "cancel"),
        "STATEREVOKED",
        &json!({"appid": APPID, "service_id": SERVICE_ID, "reason": "r"}),
    ));
    create(
        &client,
        DIRECT,
        &create_model("STATEEXPIRED", true, NOWHERE),
    );
    sandbox.expire("STATEEXPIRED").unwrap();

    let complete = serde_json::to_value(complete_model(39900)).unwrap();
    let modify = json!({"appid": APPID, "service_id": SERVICE_ID, "post_payments": [{"name": "n", "amount": 100}], "total_amount": 100, "reason": "r"});
    let cancel = json!({"appid": APPID, "service_id": SERVICE_ID, "reason": "r"});
    let sync = json!({"appid": APPID, "service_id": SERVICE_ID, "type": "Order_Paid", "detail": {"paid_time": "20091225091210"}});
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, &Value, &str)> = vec![
        ("complete", "STATECREATED", &complete, "the user has not confirmed the order yet"),
        ("complete", "STATEPAYING1", &complete, "order is DONE, collection USER_PAYING"),
        ("complete", "STATEPAID001", &complete, "order is DONE, collection USER_PAID"),
        ("complete", "STATEREVOKED", &complete, "order is REVOKED"),
        ("complete", "STATEEXPIRED", &complete, "order is EXPIRED"),
        ("modify", "STATECREATED", &modify, "order is CREATED"),
        ("modify", "STATEDOING01", &modify, "order is DOING"),
        ("modify", "STATEPAID001", &modify, "collection USER_PAID"),
        ("modify", "STATEREVOKED", &modify, "order is REVOKED"),
        ("cancel", "STATEPAYING1", &cancel, "cancel needs a CREATED or DOING order"),
        ("cancel", "STATEPAID001", &cancel, "cancel needs a CREATED or DOING order"),
        ("cancel", "STATEREVOKED", &cancel, "cancel needs a CREATED or DOING order"),
        ("cancel", "STATEEXPIRED", &cancel, "cancel needs a CREATED or DOING order"),
        ("sync", "STATECREATED", &sync, "order is CREATED"),
        ("sync", "STATEDOING01", &sync, "order is DOING"),
        ("sync", "STATEPAID001", &sync, "collection USER_PAID"),
        ("sync", "STATEEXPIRED", &sync, "order is EXPIRED"),
    ];
    let before: Vec<Value> = cases
        .iter()
        .map(|(_, no, _, _)| sandbox.order(no).unwrap())
        .collect();
    let mut failures = Vec::new();
    let mut ran = 0;
    for (verb, no, body, mentions) in &cases {
        ran += 1;
        let r = post(&client, &action(DIRECT, verb), no, body);
        if let Some(why) = api_mismatch(r, 400, "INVALID_REQUEST", mentions) {
            failures.push(format!("{verb} {no}: {why}"));
        }
    }
    assert_eq!(ran, 17, "every case ran");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let after: Vec<Value> = cases
        .iter()
        .map(|(_, no, _, _)| sandbox.order(no).unwrap())
        .collect();
    assert_eq!(before, after, "a refused call changes nothing");

    // The order must be called with the appid and service_id it was created with.
    let wrong_service = edited(
        cancel.clone(),
        &[set("service_id", "2002000000000000000000000000001")],
    );
    expect_api(
        post(
            &client,
            &action(DIRECT, "cancel"),
            "STATEDOING01",
            &wrong_service,
        ),
        400,
        "INVALID_REQUEST",
        "service_id does not match",
    );
    let wrong_appid = edited(cancel.clone(), &[set("appid", "wx0000000000000000")]);
    expect_api(
        post(
            &client,
            &action(DIRECT, "cancel"),
            "STATEDOING01",
            &wrong_appid,
        ),
        400,
        "INVALID_REQUEST",
        "appid does not match",
    );
    assert_eq!(sandbox.order("STATEDOING01").unwrap()["state"], "DOING");

    // And the user-side calls.
    expect_refused(
        sandbox.user_confirm("STATEDOING01"),
        400,
        "INVALID_REQUEST",
        "user_confirm needs a CREATED order",
    );
    expect_refused(
        sandbox.user_pay("STATEDOING01"),
        400,
        "INVALID_REQUEST",
        "user_pay needs a DONE order",
    );
    expect_refused(sandbox.user_pay("NOSUCHORDER1"), 404, "ORDER_NOT_EXIST", "");
}

#[test]
fn unknown_orders_routes_and_methods() {
    let (_sandbox, client) = start();
    let cancel = json!({"appid": APPID, "service_id": SERVICE_ID, "reason": "r"});
    let mut ran = 0;
    for verb in ["complete", "modify", "cancel", "sync"] {
        ran += 1;
        let body = match verb {
            "complete" => serde_json::to_value(complete_model(39900)).unwrap(),
            "modify" => {
                json!({"appid": APPID, "service_id": SERVICE_ID, "post_payments": [{"name": "n", "amount": 1}], "total_amount": 1, "reason": "r"})
            }
            "cancel" => cancel.clone(),
            _ => {
                json!({"appid": APPID, "service_id": SERVICE_ID, "type": "Order_Paid", "detail": {"paid_time": "20091225091210"}})
            }
        };
        expect_api(
            post(&client, &action(DIRECT, verb), "NOSUCHORDER1", &body),
            404,
            "ORDER_NOT_EXIST",
            "",
        );
    }
    assert_eq!(ran, 4, "every action ran");

    let r = client["v3/payscore/serviceorders"].get(());
    expect_api(r, 404, "NOT_FOUND", "/v3/payscore/serviceorders");
    let r = post(&client, &action(DIRECT, "refund"), "ABCDEF123456", &cancel);
    expect_api(r, 404, "NOT_FOUND", "refund");
    let r = client["v3/payscore/serviceorder/ABCDEF123456/cancel/again"]
        .post(Options::new().json(&cancel));
    expect_api(r, 404, "NOT_FOUND", "");
    let r = client["v3/marketing/favor/stocks"].post(Options::new().json(&cancel));
    expect_api(r, 404, "NOT_FOUND", "/v3/marketing/favor/stocks");

    let r = client[DIRECT].put(Options::new().json(&cancel));
    expect_api(r, 405, "METHOD_NOT_ALLOWED", "GET, POST");
    let r = client[DIRECT].delete(());
    expect_api(r, 405, "METHOD_NOT_ALLOWED", "GET, POST");
    let r = client
        .chain(&action(DIRECT, "complete"))
        .get(Options::new().var("out_order_no", "ABCDEF123456"));
    expect_api(r, 405, "METHOD_NOT_ALLOWED", "POST");
    let r = client["v3/certificates"].post(Options::new().json(&json!({})));
    expect_api(r, 405, "METHOD_NOT_ALLOWED", "GET");
}

#[test]
fn malformed_bodies_are_param_errors() {
    let (_sandbox, client) = start();
    create(
        &client,
        DIRECT,
        &create_model("MALFORMED001", false, NOWHERE),
    );
    #[rustfmt::skip]
    let cases = [
        ("{\"out_order_no\": ", "the request body is not valid JSON"),
        ("{not json}", "the request body is not valid JSON"),
        ("[1, 2]", "the request body must be a JSON object"),
        ("\"a string\"", "the request body must be a JSON object"),
        ("", "the request body is empty"),
        (" \n\t", "the request body is empty"),
    ];
    let mut ran = 0;
    for (body, mentions) in cases {
        ran += 1;
        let r = client[DIRECT]
            .post(json!({"body": body, "headers": {"Content-Type": "application/json"}}));
        expect_api(r, 400, "PARAM_ERROR", mentions);
        let r = client
            .chain(&action(DIRECT, "complete"))
            .post(json!({"out_order_no": "MALFORMED001", "body": body}));
        expect_api(r, 400, "PARAM_ERROR", mentions);
    }
    assert_eq!(ran, 6, "every case ran");
    // A body past 1 MiB is refused before it is parsed.
    let huge = format!("{{\"attach\": \"{}\"}}", long(1 << 20));
    let r = client[DIRECT].post(json!({"body": huge}));
    expect_api(r, 413, "INVALID_REQUEST", "1 MiB");
}

#[test]
fn server_error_fault_is_a_signed_500_system_error() {
    let (sandbox, client) = start();
    let response = expect_api(
        client["v3/certificates"].get(Fault::ServerError.options()),
        500,
        "SYSTEM_ERROR",
        "系统异常",
    );
    assert_signed(
        sandbox.keys(),
        response.headers(),
        response.body(),
        &sandbox.keys().public_key_id,
    );
    // On a write, nothing happens behind the 500.
    let r = client[DIRECT].post(Fault::ServerError.options().json(&create_model(
        "SYSERR000001",
        true,
        NOWHERE,
    )));
    expect_api(r, 500, "SYSTEM_ERROR", "");
    assert!(sandbox.order("SYSERR000001").is_none());
}

// ---------------------------------------------------------------------------
// 3. Request signatures
// ---------------------------------------------------------------------------

#[test]
fn requests_the_sandbox_cannot_authenticate_get_a_signed_401() {
    let (sandbox, _client) = start();
    let keys = sandbox.keys();
    let stranger = PrivateKey::from_pem(&format!(
        "file://{}/tests/keys/merchant_private_key.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert_ne!(
        stranger.public_key().unwrap().spki_der(),
        PrivateKey::from_pem(&keys.merchant_private_key_pem)
            .unwrap()
            .public_key()
            .unwrap()
            .spki_der(),
        "the conformance key must not be the sandbox's"
    );
    #[rustfmt::skip]
    let clients: Vec<(&str, Builder, &str)> = vec![
        ("another private key", sandbox.client_builder().unwrap().private_key(stranger), "the signature does not verify"),
        ("another mchid", sandbox.client_builder().unwrap().mchid("1900000002"), "mchid `1900000002` is not known"),
        ("another serial", sandbox.client_builder().unwrap().serial("3775B6A45ACD588826D15E583A95F5DD00000002"), "serial_no `3775B6A45ACD588826D15E583A95F5DD00000002`"),
    ];
    let mut ran = 0;
    for (what, builder, mentions) in clients {
        let client = builder.build().unwrap();
        for (i, r) in [
            client["v3/certificates"].get(()),
            client[DIRECT].post(Options::new().json(&create_model("REFUSED00001", true, NOWHERE))),
        ]
        .into_iter()
        .enumerate()
        {
            let (refusal, response) = api_error(r);
            if let Some(why) = refusal.mismatch(401, "SIGN_ERROR", mentions) {
                panic!("{what} #{i}: {why}");
            }
            // Even the refusal is signed by WeChat Pay's key.
            assert_signed(
                keys,
                response.headers(),
                response.body(),
                &keys.public_key_id,
            );
            let body: Value = response.json().unwrap();
            assert_eq!(body["code"], "SIGN_ERROR");
            ran += 1;
        }
    }
    assert_eq!(ran, 3 * 2, "two calls by each of three clients");
    assert!(
        sandbox.order("REFUSED00001").is_none(),
        "a refused create creates nothing"
    );
}

/// One raw request, outside the client.
async fn raw(
    base: &str,
    method: &str,
    target: &str,
    body: &str,
    authorization: Option<String>,
) -> (u16, http::HeaderMap, Bytes) {
    let mut request = http::Request::builder()
        .method(method)
        .uri(target)
        .header("Accept", "application/json");
    if !body.is_empty() {
        request = request.header("Content-Type", "application/json");
    }
    if let Some(a) = authorization {
        request = request.header("Authorization", a);
    }
    send_raw(base, request, body).await
}

/// Sends `request` over a fresh HTTP/1.1 connection to the sandbox at `base`.
async fn send_raw(
    base: &str,
    request: http::request::Builder,
    body: &str,
) -> (u16, http::HeaderMap, Bytes) {
    let base: http::Uri = base.parse().unwrap();
    let authority = base.authority().expect("host:port").as_str().to_string();
    let stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = request
        .header("Host", authority)
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = sender
        .send_request(request)
        .await
        .expect("the sandbox answers");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (parts.status.as_u16(), parts.headers, body)
}

/// An `Authorization` for the sandbox's merchant, signed over `signed`.
fn authorization(
    keys: &SandboxKeys,
    signed: (&str, &str, &str),
    timestamp: i64,
    nonce: &str,
) -> String {
    let (method, target, body) = signed;
    let ts = timestamp.to_string();
    let key = PrivateKey::from_pem(&keys.merchant_private_key_pem).unwrap();
    let signature = key
        .sign(formatter::request(method, target, &ts, nonce, body))
        .unwrap();
    formatter::authorization(&keys.mchid, nonce, &signature, &ts, &keys.serial)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_requests_unsigned_or_badly_signed_get_a_signed_401() {
    let (sandbox, _client) = start_async().await;
    // An answer signed in the sandbox's mode (the certificate listing is
    // always signed with the platform certificate, as WeChat Pay signs it).
    sandbox.stub(Stub::path("/v3/ping").json(json!({"pong": true})));
    let keys = sandbox.keys().clone();
    let base = sandbox.base_uri();
    let now = formatter::timestamp();
    let target = "/v3/ping";

    // Unsigned.
    let (status, headers, body) = raw(&base, "GET", target, "", None).await;
    assert_eq!(status, 401);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["code"], "SIGN_ERROR");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("Authorization header is missing"),
        "{v}"
    );
    assert_signed(&keys, &headers, &body, &keys.public_key_id);

    // The positive control: signed by hand correctly, it is served.
    let good = authorization(&keys, ("GET", target, ""), now, "n0nce");
    let (status, headers, body) = raw(&base, "GET", target, "", Some(good.clone())).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_signed(&keys, &headers, &body, &keys.public_key_id);

    let create = serde_json::to_string(&create_model("RAWSIGNED001", true, NOWHERE)).unwrap();
    let path = "/v3/payscore/serviceorder";
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, &str, String, &str)> = vec![
        ("wrong scheme", "GET", "", good.replace("WECHATPAY2-SHA256-RSA2048", "Bearer"), "scheme"),
        ("unquoted", "GET", "", good.replace('"', ""), "must be quoted"),
        ("no signature", "GET", "", good.split(",signature=").next().unwrap().to_string(), "lacks `signature`"),
        ("garbled", "GET", "", "WECHATPAY2-SHA256-RSA2048 garbage".into(), "malformed Authorization parameter"),
        ("stale", "GET", "", authorization(&keys, ("GET", target, ""), now - 400, "n0nce"), "more than 5 minutes"),
        ("future", "GET", "", authorization(&keys, ("GET", target, ""), now + 400, "n0nce"), "more than 5 minutes"),
        ("long nonce", "GET", "", authorization(&keys, ("GET", target, ""), now, &long(33)), "nonce_str"),
        ("another target", "GET", "", authorization(&keys, ("GET", "/v3/certificates?x=1", ""), now, "n0nce"), "does not verify"),
        ("another method", "GET", "", authorization(&keys, ("POST", target, ""), now, "n0nce"), "does not verify"),
        ("another body", "POST", &create, authorization(&keys, ("POST", path, "{}"), now, "n0nce"), "does not verify"),
    ];
    let mut ran = 0;
    for (what, method, body, auth, mentions) in cases {
        ran += 1;
        let t = if method == "POST" { path } else { target };
        let (status, headers, answer) = raw(&base, method, t, body, Some(auth)).await;
        let v: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(
            (status, v["code"].as_str()),
            (401, Some("SIGN_ERROR")),
            "{what}: {v}"
        );
        assert!(
            v["message"].as_str().unwrap().contains(mentions),
            "{what}: {v} should mention {mentions}"
        );
        assert_signed(&keys, &headers, &answer, &keys.public_key_id);
    }
    assert_eq!(ran, 10, "every case ran");
    assert!(sandbox.order("RAWSIGNED001").is_none());

    // A fault header does not get past authentication.
    let (status, _, _) = raw_with_fault(&base, "server_error").await;
    assert_eq!(status, 401);
}

async fn raw_with_fault(base: &str, fault: &str) -> (u16, http::HeaderMap, Bytes) {
    let request =
        http::Request::get("/v3/certificates").header(wechatpay_sandbox::FAULT_HEADER, fault);
    send_raw(base, request, "").await
}

// ---------------------------------------------------------------------------
// 4. Faults
// ---------------------------------------------------------------------------

#[test]
fn each_fault_surfaces_as_the_right_error() {
    let (sandbox, client) = start();
    // An answer signed in the sandbox's mode (the certificate listing is
    // always signed with the platform certificate, as WeChat Pay signs it).
    sandbox.stub(Stub::path("/v3/ping").json(json!({"pong": true})));
    let keys = sandbox.keys();

    let mut ran = 0;
    for fault in [
        Fault::BadSignature,
        Fault::GarbageSignature,
        Fault::StaleTimestamp,
        Fault::UnknownSerial,
        Fault::MissingHeaders,
        Fault::SignTest,
    ] {
        let (reason, response) = verification(client["v3/ping"].get(fault.options()));
        assert_eq!(response.status(), 200, "{fault:?}");
        // The body itself is the real answer; only its signature is broken.
        let body: Value = response.json().unwrap();
        assert_eq!(body["pong"], true, "{fault:?}");
        match (fault, &reason) {
            (Fault::BadSignature, VerificationFailure::BadSignature { serial, nonce, .. }) => {
                assert_eq!(serial, &keys.public_key_id);
                assert_eq!(nonce, header(response.headers(), "Wechatpay-Nonce"));
            }
            (Fault::GarbageSignature, VerificationFailure::MalformedSignature) => {}
            (
                Fault::StaleTimestamp,
                VerificationFailure::StaleTimestamp {
                    response,
                    local,
                    allowed,
                },
            ) => {
                assert_eq!(*allowed, 300);
                assert!(
                    (600..700).contains(&(local - response)),
                    "ten minutes old: {response} vs {local}"
                );
            }
            (Fault::UnknownSerial, VerificationFailure::UnknownSerial { serial, known }) => {
                assert_eq!(serial, "PUB_KEY_ID_UNKNOWN_0000000000000000");
                assert!(
                    known.contains(&keys.public_key_id)
                        && known.contains(&keys.platform_cert_serial),
                    "{known:?}"
                );
            }
            (Fault::MissingHeaders, VerificationFailure::MissingHeader(name)) => {
                assert_eq!(*name, "Wechatpay-Timestamp");
                assert!(
                    response
                        .headers()
                        .keys()
                        .all(|k| !k.as_str().starts_with("wechatpay-"))
                );
            }
            (Fault::SignTest, VerificationFailure::SignatureProbe) => {
                assert!(
                    header(response.headers(), "Wechatpay-Signature")
                        .starts_with("WECHATPAY/SIGNTEST/")
                );
            }
            _ => panic!("{fault:?} gave {reason:?}"),
        }
        ran += 1;
    }
    assert_eq!(ran, 6, "every signature fault ran");

    expect_api(
        client["v3/ping"].get(Fault::ServerError.options()),
        500,
        "SYSTEM_ERROR",
        "",
    );

    // The connection closes after the request: it may have been carried out.
    let r = client["v3/ping"].get(Fault::Drop.options());
    assert!(r.as_ref().is_err_and(Error::is_outcome_unknown), "{r:?}");
    // The answer stops short of its Content-Length: an answer, cut off.
    let r = client["v3/ping"].get(Fault::Truncate.options());
    assert!(
        r.as_ref()
            .is_err_and(|e| e.is_body() && !e.is_before_send()),
        "{r:?}"
    );

    // Signed in certificate mode: this client trusts the certificate too.
    let r = ok(client["v3/ping"].get(Fault::CertificateSerial.options()));
    assert_eq!(
        header(r.headers(), "Wechatpay-Serial"),
        keys.platform_cert_serial
    );

    // An unknown fault name is ignored, and after all that the client still works.
    let r = ok(client["v3/ping"].get(Options::new().header("Wechatpay-Sandbox-Fault", "nonsense")));
    assert_eq!(header(r.headers(), "Wechatpay-Serial"), keys.public_key_id);
    assert_eq!(Fault::parse(Fault::Truncate.name()), Some(Fault::Truncate));
}

#[test]
fn certificate_serial_fault_fails_a_client_that_trusts_only_the_public_key_id() {
    let (sandbox, _client) = start();
    // An answer signed in the sandbox's mode (the certificate listing is
    // always signed with the platform certificate, as WeChat Pay signs it).
    sandbox.stub(Stub::path("/v3/ping").json(json!({"pong": true})));
    let keys = sandbox.keys();
    let client = Builder::new()
        .mchid(keys.mchid.clone())
        .serial(keys.serial.clone())
        .private_key(PrivateKey::from_pem(&keys.merchant_private_key_pem).unwrap())
        .cert(
            keys.public_key_id.clone(),
            PublicKey::from_pem(&keys.platform_public_key_pem).unwrap(),
        )
        .base_uri(sandbox.base_uri())
        .build()
        .unwrap();
    ok(client["v3/ping"].get(()));
    let (reason, _) = verification(client["v3/ping"].get(Fault::CertificateSerial.options()));
    assert_eq!(
        reason,
        VerificationFailure::UnknownSerial {
            serial: keys.platform_cert_serial.clone(),
            known: vec![keys.public_key_id.clone()],
        }
    );
}

#[test]
fn slow_fault_trips_the_timeout_option_and_otherwise_arrives_late() {
    let (sandbox, client) = start();
    // An answer signed in the sandbox's mode (the certificate listing is
    // always signed with the platform certificate, as WeChat Pay signs it).
    sandbox.stub(Stub::path("/v3/ping").json(json!({"pong": true})));
    let started = Instant::now();
    let r = client["v3/ping"].get(Fault::Slow.options().set("timeout", 0.5));
    assert!(
        r.as_ref()
            .is_err_and(|e| e.is_timeout() && e.is_outcome_unknown()),
        "sent, never answered in time: {r:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "timed out after {:?}",
        started.elapsed()
    );

    // Without the short timeout the slow answer arrives, valid.
    let r = ok(client["v3/ping"].get(Fault::Slow.options()));
    assert_signed(
        sandbox.keys(),
        r.headers(),
        r.body(),
        &sandbox.keys().public_key_id,
    );
}

// ---------------------------------------------------------------------------
// 5. Certificates
// ---------------------------------------------------------------------------

fn decrypt_certificate(keys: &SandboxKeys, answer: &Value) -> String {
    let e = &answer["data"][0]["encrypt_certificate"];
    assert_eq!(e["algorithm"], "AEAD_AES_256_GCM");
    assert_eq!(e["associated_data"], "certificate");
    let plaintext = aes_gcm::decrypt(
        keys.apiv3_key.as_bytes(),
        e["nonce"].as_str().unwrap().as_bytes(),
        e["associated_data"].as_str().unwrap().as_bytes(),
        e["ciphertext"].as_str().unwrap(),
    )
    .expect("decrypts with the APIv3 key");
    String::from_utf8(plaintext).unwrap()
}

#[test]
fn certificates_decrypt_to_the_platform_certificate_that_verifies_certificate_mode() {
    let (sandbox, client) = start();
    let keys = sandbox.keys();
    let first: Value = ok(client["v3/certificates"].get(())).json().unwrap();
    let second: Value = ok(client["v3/certificates"].get(())).json().unwrap();
    let data = first["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["serial_no"], keys.platform_cert_serial.as_str());
    assert!(data[0]["effective_time"].as_str().unwrap() < data[0]["expire_time"].as_str().unwrap());
    assert_ne!(
        first["data"][0]["encrypt_certificate"]["nonce"],
        second["data"][0]["encrypt_certificate"]["nonce"],
        "a fresh nonce per answer"
    );

    let pem = decrypt_certificate(keys, &first);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(pem, keys.platform_cert_pem);
    assert_eq!(decrypt_certificate(keys, &second), pem);
    let e = &first["data"][0]["encrypt_certificate"];
    assert!(
        aes_gcm::decrypt(
            b"0123456789abcdef0123456789abcdef",
            e["nonce"].as_str().unwrap().as_bytes(),
            b"certificate",
            e["ciphertext"].as_str().unwrap()
        )
        .is_err(),
        "another key does not decrypt it"
    );

    // A sandbox signing in certificate mode, and a client that knows only the downloaded certificate.
    let cert_sandbox = Sandbox::builder()
        .signing_mode(SigningMode::Certificate)
        .start_blocking()
        .unwrap();
    let serial = data[0]["serial_no"].as_str().unwrap().to_string();
    let certificate = PublicKey::from_pem(&pem).unwrap();
    let cert_client = Builder::new()
        .mchid(keys.mchid.clone())
        .serial(keys.serial.clone())
        .private_key(PrivateKey::from_pem(&keys.merchant_private_key_pem).unwrap())
        .cert(serial.clone(), certificate.clone())
        .base_uri(cert_sandbox.base_uri())
        .build()
        .unwrap();
    let r = ok(cert_client["v3/certificates"].get(()));
    let h = r.headers();
    assert_eq!(header(h, "Wechatpay-Serial"), serial);
    let message = formatter::response(
        header(h, "Wechatpay-Timestamp"),
        header(h, "Wechatpay-Nonce"),
        &r.text(),
    );
    assert!(certificate.verify(&message, header(h, "Wechatpay-Signature")));
    assert!(!certificate.verify(format!("{message}x"), header(h, "Wechatpay-Signature")));
    // Errors are signed in certificate mode too.
    let (_, response) = api_error(cert_client["v3/nowhere"].get(()));
    assert_eq!(header(response.headers(), "Wechatpay-Serial"), serial);

    // The same client does not know the default sandbox's public-key ID.
    let elsewhere = Builder::new()
        .mchid(keys.mchid.clone())
        .serial(keys.serial.clone())
        .private_key(PrivateKey::from_pem(&keys.merchant_private_key_pem).unwrap())
        .cert(serial.clone(), certificate)
        .base_uri(sandbox.base_uri())
        .build()
        .unwrap();
    sandbox.stub(Stub::path("/v3/ping").json(json!({"pong": true})));
    let (reason, _) = verification(elsewhere["v3/ping"].get(()));
    assert!(
        matches!(&reason, VerificationFailure::UnknownSerial { serial: s, .. } if *s == keys.public_key_id),
        "{reason:?}"
    );
}

// ---------------------------------------------------------------------------
// 6. Callbacks
// ---------------------------------------------------------------------------

async fn delivered(sandbox: &Sandbox, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while sandbox.callbacks_delivered() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sandbox.callbacks_delivered(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_are_signed_encrypted_and_verifiable() {
    let (sandbox, client) = start_async().await;
    let keys = sandbox.keys().clone();
    let (addr, mut rx) = receiver(Answer::FailFirst(0)).await;
    let no = "CALLBACK00001";
    let notify_url = format!("http://127.0.0.1:{}/notify?from=sandbox", addr.port());
    let r = client[DIRECT]
        .post_async(Options::new().json(&create_model(no, true, &notify_url)))
        .await;
    ok(r);
    assert_eq!(
        sandbox.callbacks_delivered(),
        0,
        "creating notifies nothing"
    );

    sandbox.user_confirm(no).unwrap();
    let confirmed = next(&mut rx).await;
    let complete = complete_model(39900);
    let r = client
        .chain(&action(DIRECT, "complete"))
        .post_async(Options::new().var("out_order_no", no).json(&complete))
        .await;
    ok(r);
    sandbox.user_pay(no).unwrap();
    let paid = next(&mut rx).await;
    delivered(&sandbox, 2).await;

    for c in [&confirmed, &paid] {
        assert_eq!(c.target, "POST /notify?from=sandbox");
        assert!(header(&c.headers, "Content-Type").starts_with("application/json"));
        assert_signed(&keys, &c.headers, &c.body, &keys.public_key_id);
        let envelope: Value = serde_json::from_slice(&c.body).unwrap();
        assert_eq!(envelope["resource_type"], "encrypt-resource");
        assert_eq!(envelope["resource"]["algorithm"], "AEAD_AES_256_GCM");
        assert_eq!(envelope["resource"]["associated_data"], "payscore");
        assert_eq!(envelope["resource"]["original_type"], "payscore");
        assert!(
            !String::from_utf8_lossy(&c.body).contains(no),
            "the resource is encrypted"
        );
    }

    let verifier = NotifyVerifier::new(client.certs().clone(), &keys.apiv3_key)
        .unwrap()
        .with_replay_protection(100);
    let n = verifier
        .handle_as::<ServiceOrderNotification>(&confirmed.headers, &confirmed.body)
        .expect("the confirmation verifies and decrypts");
    assert_eq!(n.event_type, "PAYSCORE.USER_CONFIRM");
    assert_eq!(n.summary, "微信支付分服务订单用户已确认");
    assert!(n.id.starts_with("EV-"));
    assert_eq!(n.resource.out_order_no, no);
    assert_eq!(n.resource.mchid, keys.mchid);
    assert_eq!(n.resource.service_id, SERVICE_ID);
    assert_eq!(n.resource.openid, OPENID);
    assert_eq!(n.resource.state, "DOING");
    assert_eq!(
        n.resource.state_description.as_deref(),
        Some("USER_CONFIRM")
    );
    assert_eq!(n.resource.collection, None);

    let p = verifier
        .handle_as::<ServiceOrderNotification>(&paid.headers, &paid.body)
        .expect("the payment verifies and decrypts");
    assert_eq!(p.event_type, "PAYSCORE.USER_PAID");
    assert_eq!(p.summary, "微信支付分服务订单支付成功");
    assert_ne!(p.id, n.id);
    assert_eq!(p.resource.out_order_no, no);
    assert_eq!(p.resource.state, "DONE");
    assert_eq!(p.resource.total_amount, Some(39900));
    assert_eq!(p.resource.need_collection, Some(true));
    assert!(p.resource.out_trade_no.is_some());
    let c = p.resource.collection.expect("the collection, paid");
    assert_eq!(
        (c.state.as_str(), c.paid_amount),
        ("USER_PAID", Some(39900))
    );
    assert_eq!(c.details.unwrap()[0].paid_type.as_deref(), Some("NEWTON"));

    // Replays are refused.
    let again = verifier.handle(&confirmed.headers, &confirmed.body);
    let nonce = header(&confirmed.headers, "Wechatpay-Nonce").to_string();
    assert_eq!(
        callback_failure(again),
        VerificationFailure::Replayed(nonce)
    );

    // A tampered body fails verification.
    let fresh = NotifyVerifier::new(client.certs().clone(), &keys.apiv3_key).unwrap();
    let tampered = String::from_utf8(paid.body.to_vec())
        .unwrap()
        .replace("USER_PAID", "USER_PAIX");
    let r = fresh.handle(&paid.headers, tampered.as_bytes());
    let reason = callback_failure(r);
    assert!(
        matches!(reason, VerificationFailure::BadSignature { .. }),
        "{reason:?}"
    );
    // So does a callback whose signer nobody trusts.
    let untrusting = NotifyVerifier::new(CertStore::default(), &keys.apiv3_key).unwrap();
    let r = untrusting.handle(&paid.headers, &paid.body);
    let reason = callback_failure(r);
    assert!(
        matches!(reason, VerificationFailure::UnknownSerial { .. }),
        "{reason:?}"
    );
    // And another APIv3 key cannot read it.
    let wrong_key =
        NotifyVerifier::new(client.certs().clone(), "0123456789abcdef0123456789abcdef").unwrap();
    let r = wrong_key.handle(&paid.headers, &paid.body);
    assert!(r.as_ref().is_err_and(Error::is_crypto), "{r:?}");

    assert!(rx.try_recv().is_err(), "exactly two callbacks");
    assert_eq!(sandbox.callbacks_delivered(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_are_retried_until_answered_2xx() {
    let (sandbox, client) = start_async().await;
    // Fails once, then accepts.
    let (flaky, mut flaky_rx) = receiver(Answer::FailFirst(1)).await;
    // Always fails.
    let (broken, mut broken_rx) = receiver(Answer::FailFirst(usize::MAX)).await;
    for (no, addr) in [("RETRY0000001", flaky), ("RETRY0000002", broken)] {
        let url = format!("http://127.0.0.1:{}/notify", addr.port());
        ok(client[DIRECT]
            .post_async(Options::new().json(&create_model(no, true, &url)))
            .await);
        sandbox.user_confirm(no).unwrap();
    }
    let first = next(&mut flaky_rx).await;
    let retry = next(&mut flaky_rx).await;
    assert_eq!(first.body, retry.body, "the same notification again");
    let verifier = NotifyVerifier::new(client.certs().clone(), &sandbox.keys().apiv3_key).unwrap();
    assert_eq!(
        verifier
            .handle(&retry.headers, &retry.body)
            .unwrap()
            .resource["out_order_no"],
        "RETRY0000001"
    );

    // Three attempts in all, then it gives up.
    for _ in 0..3 {
        next(&mut broken_rx).await;
    }
    delivered(&sandbox, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        flaky_rx.try_recv().is_err() && broken_rx.try_recv().is_err(),
        "no fourth attempt"
    );
    assert_eq!(sandbox.callbacks_delivered(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_never_go_to_non_loopback_urls() {
    let (sandbox, client) = start_async().await;
    let (addr, mut rx) = receiver(Answer::FailFirst(0)).await;
    let port = addr.port();
    let elsewhere = [
        NOWHERE.to_string(),
        "https://api.test.com/notify".to_string(),
        format!("http://127.0.0.1.api.test.com:{port}/notify"),
        format!("http://127.0.0.1@api.test.com:{port}/notify"),
        format!("http://10.0.0.1:{port}/notify"),
    ];
    for (i, url) in elsewhere.iter().enumerate() {
        let no = format!("FARAWAY00000{i}");
        ok(client[DIRECT]
            .post_async(Options::new().json(&create_model(&no, true, url)))
            .await);
        sandbox.user_confirm(&no).unwrap();
        let r = client
            .chain(&action(DIRECT, "complete"))
            .post_async(
                Options::new()
                    .var("out_order_no", no.as_str())
                    .json(&complete_model(39900)),
            )
            .await;
        ok(r);
        sandbox.user_pay(&no).unwrap();
    }
    let paid = (0..elsewhere.len())
        .filter(|i| {
            sandbox.order(&format!("FARAWAY00000{i}")).unwrap()["collection"]["state"]
                == "USER_PAID"
        })
        .count();
    assert_eq!(paid, 5, "every far-away order went all the way to paid");
    // A loopback order after them is delivered, and is the only one.
    let url = format!("http://127.0.0.1:{port}/notify");
    ok(client[DIRECT]
        .post_async(Options::new().json(&create_model("LOOPBACK0001", true, &url)))
        .await);
    sandbox.user_confirm("LOOPBACK0001").unwrap();
    let only = next(&mut rx).await;
    let verifier = NotifyVerifier::new(client.certs().clone(), &sandbox.keys().apiv3_key).unwrap();
    assert_eq!(
        verifier.handle(&only.headers, &only.body).unwrap().resource["out_order_no"],
        "LOOPBACK0001"
    );
    delivered(&sandbox, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rx.try_recv().is_err());
    assert_eq!(sandbox.callbacks_delivered(), 1);
}

#[test]
fn without_loopback_notify_url_nothing_is_delivered() {
    let (sandbox, client) = start();
    create(
        &client,
        DIRECT,
        &create_model("NONOTIFY0001", true, NOWHERE),
    );
    sandbox.user_confirm("NONOTIFY0001").unwrap();
    ok(post(
        &client,
        &action(DIRECT, "complete"),
        "NONOTIFY0001",
        &complete_model(39900),
    ));
    sandbox.user_pay("NONOTIFY0001").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sandbox.callbacks_delivered(), 0);
    assert_eq!(
        query_direct(&client, "NONOTIFY0001")
            .collection
            .unwrap()
            .state,
        "USER_PAID"
    );
}

// ---------------------------------------------------------------------------
// 7. Control calls over HTTP
// ---------------------------------------------------------------------------

async fn control(base: &str, method: &str, path: &str) -> (u16, http::HeaderMap, Bytes) {
    raw(base, method, path, "", None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_calls_over_unsigned_http() {
    let (sandbox, client) = start_async().await;
    let keys = sandbox.keys().clone();
    let base = sandbox.base_uri();
    let no = "CONTROL|0001*";
    ok(client[DIRECT]
        .post_async(Options::new().json(&create_model(no, true, NOWHERE)))
        .await);
    let path = |verb: &str| {
        format!(
            "/sandbox/payscore/{}/{verb}",
            no.replace('|', "%7C").replace('*', "%2A")
        )
    };

    let (status, headers, body) = control(&base, "POST", &path("confirm")).await;
    assert_eq!(status, 204, "{}", String::from_utf8_lossy(&body));
    assert!(body.is_empty());
    assert_signed(&keys, &headers, &body, &keys.public_key_id);
    assert_eq!(sandbox.order(no).unwrap()["state"], "DOING");

    // Confirming twice is a state conflict.
    let (status, _, body) = control(&base, "POST", &path("confirm")).await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, v["code"].as_str()),
        (400, Some("INVALID_REQUEST")),
        "{v}"
    );

    // Paying at the cashier, then paying.
    let (status, _, _) = control(&base, "POST", &path("pay")).await;
    assert_eq!(status, 400, "nothing to pay before completion");
    let r = client
        .chain(&action(DIRECT, "complete"))
        .post_async(
            Options::new()
                .var("out_order_no", no)
                .json(&complete_model(39900)),
        )
        .await;
    ok(r);
    assert_eq!(control(&base, "POST", &path("paying")).await.0, 204);
    let sync = json!({"appid": APPID, "service_id": SERVICE_ID, "type": "Order_Paid", "detail": {"paid_time": "20091225091210"}});
    let r = client
        .chain(&action(DIRECT, "sync"))
        .post_async(Options::new().var("out_order_no", no).json(&sync))
        .await;
    expect_api(r, 400, "INVALID_REQUEST", "cashier");
    assert_eq!(control(&base, "POST", &path("pay")).await.0, 204);
    assert_eq!(
        sandbox.order(no).unwrap()["collection"]["state"],
        "USER_PAID"
    );

    // Expire.
    ok(client[DIRECT]
        .post_async(Options::new().json(&create_model("CONTROL00002", true, NOWHERE)))
        .await);
    assert_eq!(
        control(&base, "POST", "/sandbox/payscore/CONTROL00002/expire")
            .await
            .0,
        204
    );
    assert_eq!(sandbox.order("CONTROL00002").unwrap()["state"], "EXPIRED");

    // Errors.
    #[rustfmt::skip]
    let cases = [
        ("POST", "/sandbox/payscore/NOSUCHORDER1/confirm", 404, "ORDER_NOT_EXIST"),
        ("GET", "/sandbox/payscore/CONTROL00002/confirm", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/sandbox/payscore/CONTROL00002/refund", 404, "NOT_FOUND"),
        ("POST", "/sandbox/payscore/CONTROL00002", 404, "NOT_FOUND"),
        ("POST", "/sandbox/payscore/CONTROL00002/confirm", 400, "INVALID_REQUEST"),
    ];
    let mut ran = 0;
    for (method, path, status, code) in cases {
        ran += 1;
        let (s, headers, body) = control(&base, method, path).await;
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (s, v["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {v}"
        );
        assert_signed(&keys, &headers, &body, &keys.public_key_id);
    }
    assert_eq!(ran, 5, "every case ran");
    assert_eq!(sandbox.order("CONTROL00002").unwrap()["state"], "EXPIRED");
}

#[tokio::test]
async fn dropping_the_handle_closes_kept_alive_connections_too() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    assert!(client.chain("v3/certificates").get_async(()).await.is_ok());
    drop(sandbox);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(client.chain("v3/certificates").get_async(()).await.is_err());
}

// ---------------------------------------------------------------------------
// 8. The sandbox as a test double: any runtime, the request log, stubs, faults
// ---------------------------------------------------------------------------

/// A blocking verb inside a current-thread runtime (the one `#[tokio::test]`
/// gives) must neither deadlock on the runtime it blocks nor starve the
/// sandbox, which runs on a thread of its own. A hang would take the
/// client's whole timeout; nothing here waits that long for it.
#[tokio::test]
async fn a_blocking_call_from_a_current_thread_runtime_does_not_hang() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let client = sandbox.client().unwrap();
    let started = Instant::now();
    let r = client.chain("v3/certificates").get(());
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "a blocking call on a current-thread runtime took {took:?}: {r:?}"
    );
    assert_eq!(ok(r).status(), 200);
    // The runtime it blocked is still usable, and so is the async twin.
    let r = ok(client.chain("v3/certificates").get_async(()).await);
    assert_eq!(r.status(), 200);
    assert_eq!(sandbox.take_requests().len(), 2);
}

#[test]
fn the_request_log_sees_each_call_once_with_its_signature_checked() {
    let (sandbox, client) = start();
    let model = create_model("REQLOG000001", true, NOWHERE);
    ok(client["v3/certificates"].get(()));
    create(&client, DIRECT, &model);
    query_direct(&client, "REQLOG000001");
    let micropay = json!({"xml": {
        "appid": APPID, "mch_id": sandbox.keys().mchid, "body": "商品", "out_trade_no": "REQLOG000002",
        "total_fee": 1, "spbill_create_ip": "127.0.0.1", "auth_code": "134567890123456789",
    }});
    ok(client["v2/pay/micropay"].post(micropay));

    assert_eq!(sandbox.requests().len(), 4, "requests() only looks");
    let seen = sandbox.take_requests();
    let calls: Vec<(&str, &str)> = seen
        .iter()
        .map(|r| (r.method.as_str(), r.target.split('?').next().unwrap()))
        .collect();
    assert_eq!(
        calls,
        [
            ("GET", "/v3/certificates"),
            ("POST", "/v3/payscore/serviceorder"),
            ("GET", "/v3/payscore/serviceorder"),
            ("POST", "/pay/micropay"),
        ]
    );
    for r in &seen {
        assert_eq!(r.signature, Ok(()), "{} {}", r.method, r.target);
    }
    let protocols: Vec<Protocol> = seen.iter().map(|r| r.protocol).collect();
    assert_eq!(
        protocols,
        [Protocol::V3, Protocol::V3, Protocol::V3, Protocol::V2]
    );
    assert_eq!(seen[1].json(), Some(serde_json::to_value(&model).unwrap()));
    assert!(seen[2].target.contains("out_order_no=REQLOG000001"));
    assert!(
        seen[0]
            .header("Authorization")
            .is_some_and(|a| a.starts_with("WECHATPAY2-SHA256-RSA2048 ")),
        "{:?}",
        seen[0].headers
    );
    assert!(seen[3].body.starts_with(b"<xml>"));
    assert!(sandbox.take_requests().is_empty(), "taking empties the log");

    // A request the sandbox refuses is logged too, with why.
    let stranger = sandbox
        .client_builder()
        .unwrap()
        .mchid("1900000002")
        .build()
        .unwrap();
    expect_api(
        stranger["v3/certificates"].get(()),
        401,
        "SIGN_ERROR",
        "1900000002",
    );
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 1);
    let why = seen[0].signature.as_ref().unwrap_err();
    assert!(why.contains("mchid `1900000002`"), "{why}");
}

#[test]
fn stubs_and_sticky_faults_as_a_client_sees_them() {
    let (sandbox, client) = start();

    // A signed 500 SYSTEM_ERROR, once: WeChat Pay's own words.
    sandbox.stub(
        Stub::new("GET", "/v3/certificates")
            .status(500)
            .json(json!({"code": "SYSTEM_ERROR", "message": "系统繁忙"}))
            .times(1),
    );
    let e = client["v3/certificates"].get(()).unwrap_err();
    assert!(e.is_api() && !e.is_before_send(), "{e:?}");
    let api = e.api_error().unwrap();
    assert_eq!(api.status(), 500);
    assert_eq!(api.code(), Some("SYSTEM_ERROR"));
    assert_eq!(api.message(), Some("系统繁忙"));
    assert!(api.is_verified(), "the stub's answer is signed");
    assert!(
        api.request_id()
            .is_some_and(|id| id.starts_with("sandbox-"))
    );
    assert!(e.to_string().starts_with("WeChat Pay answered 500"), "{e}");
    // Used up: the route answers again.
    ok(client["v3/certificates"].get(()));

    // A 2xx whose signature is broken is not trusted, whatever it says.
    let path = "/v3/marketing/busifavor/stocks/S1";
    sandbox.stub(
        Stub::new("GET", path)
            .json(json!({"trade_state": "SUCCESS"}))
            .fault(Fault::BadSignature),
    );
    let (reason, response) = verification(client["v3/marketing/busifavor/stocks/S1"].get(()));
    assert!(
        matches!(reason, VerificationFailure::BadSignature { .. }),
        "{reason:?}"
    );
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().as_ref(), br#"{"trade_state":"SUCCESS"}"#);
    sandbox.clear_stubs();
    expect_api(
        client["v3/marketing/busifavor/stocks/S1"].get(()),
        404,
        "NOT_FOUND",
        path,
    );

    // An unsigned error answer is an error answer, but never WeChat Pay's word.
    sandbox.stub(
        Stub::any()
            .status(401)
            .json(json!({"code": "SIGN_ERROR", "message": "forged"}))
            .fault(Fault::MissingHeaders),
    );
    let e = client["v3/certificates"].get(()).unwrap_err();
    assert!(e.is_api() && !e.is_verification(), "{e:?}");
    let api = e.api_error().unwrap();
    assert_eq!(
        (api.status().as_u16(), api.code()),
        (401, Some("SIGN_ERROR"))
    );
    assert!(!api.is_verified());
    let text = e.to_string();
    assert!(!text.starts_with("WeChat Pay answered"), "{text}");
    assert!(
        text.contains("401") && text.contains("SIGN_ERROR"),
        "{text}"
    );
    assert!(
        api_mismatch(client["v3/certificates"].get(()), 401, "SIGN_ERROR", "")
            .is_some_and(|why| why.contains("unverified")),
        "the helpers refuse an unverified error answer too"
    );
    sandbox.clear_stubs();

    // A sticky fault spoils every answer, routes' and errors' alike, until lifted.
    sandbox.set_fault(Some(Fault::StaleTimestamp));
    for _ in 0..2 {
        let (reason, _) = verification(client["v3/certificates"].get(()));
        assert!(
            matches!(reason, VerificationFailure::StaleTimestamp { .. }),
            "{reason:?}"
        );
    }
    let e = client[DIRECT]
        .get(json!({"query": {"out_order_no": "NOSUCHORDER1", "service_id": SERVICE_ID, "appid": APPID}}))
        .unwrap_err();
    let api = e.api_error().expect("still an error answer");
    assert_eq!(
        (api.status().as_u16(), api.code(), api.is_verified()),
        (404, Some("ORDER_NOT_EXIST"), false)
    );
    sandbox.set_fault(None);
    ok(client["v3/certificates"].get(()));

    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 10, "each call reached the sandbox once");
    assert!(seen.iter().all(|r| r.signature.is_ok()));
}
