//! Basic payments end to end over loopback, against the sandbox: every
//! ordering route in both forms, query, close, refunds, notifications and
//! their re-delivery, bills and their download (digest, gzip, refusals),
//! and the front end's signatures checked independently.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use wechatpay::{
    Client, Error, Options, Response, ResponseExt, VerificationFailure,
    crypto::PrivateKey,
    models::{
        bills::{BillDownload, FundFlowBillQuery, TradeBillQuery},
        refunds::{CreateRefund, Refund, RefundNotification, RefundRequestAmount},
        transactions::{
            Amount, CreateTransaction, H5Info, H5Prepay, MerchantQuery, NativePrepay, Order,
            PartnerCreateTransaction, PartnerQuery, Payer, Prepay, SceneInfo, Transaction,
        },
    },
    notify::NotifyVerifier,
    paysign::{AppPayParams, JsapiPayParams},
};
use wechatpay_sandbox::{CALLBACK_ATTEMPTS, Sandbox, SentCallback, Stub};

mod support;
use support::receiver::{Answer, next, receiver};

const APPID: &str = "wxd678efh567hg6787";
const SUB: &str = "1900000109";

fn order(no: &str, total: i64, notify_url: &str, payer: Option<Payer>) -> Order {
    Order {
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: no.into(),
        notify_url: notify_url.into(),
        amount: Amount {
            total,
            currency: Some("CNY".into()),
        },
        payer,
        ..Default::default()
    }
}

fn direct(client: &Client, no: &str, total: i64, notify_url: &str) -> CreateTransaction {
    CreateTransaction {
        appid: APPID.into(),
        mchid: client.mchid().into(),
        order: order(no, total, notify_url, Some(Payer::openid("oUser"))),
    }
}

fn h5_scene() -> SceneInfo {
    SceneInfo {
        payer_client_ip: Some("14.23.150.211".into()),
        h5_info: Some(H5Info {
            kind: "Wap".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn api(r: Result<Response, Error>) -> (u16, String) {
    let e = r.expect_err("an API error");
    let api = e
        .api_error()
        .unwrap_or_else(|| panic!("not an API error: {e}"));
    assert!(api.is_verified(), "the sandbox signs its errors");
    (
        api.status().as_u16(),
        api.code().unwrap_or_default().to_string(),
    )
}

/// The sandbox's record of the notification for `event_type`, once finished.
async fn finished(sandbox: &Sandbox, event_type: &str) -> SentCallback {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let done = sandbox
            .callbacks()
            .into_iter()
            .find(|c| c.event_type == event_type && c.finished);
        if let Some(c) = done {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "{event_type} never finished: {:?}",
            sandbox.callbacks()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn pay_over_http(sandbox: &Sandbox, no: &str, step: &str) -> u16 {
    let stream = tokio::net::TcpStream::connect(sandbox.addr())
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = http::Request::post(format!("/sandbox/transactions/{no}/{step}"))
        .header("Host", sandbox.addr().to_string())
        .body(Full::new(Bytes::new()))
        .unwrap();
    sender
        .send_request(request)
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn today() -> String {
    Sandbox::bill_date(wechatpay::formatter::timestamp())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jsapi_order_is_paid_notified_queried_refunded_and_billed() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let verifier = NotifyVerifier::new(client.certs().clone(), &sandbox.keys().apiv3_key).unwrap();
    let (addr, mut rx) = receiver(Answer::FailFirst(0)).await;
    let url = format!("http://{addr}/notify");

    let body = direct(&client, "LIFE00000001", 100, &url);
    let prepay: Prepay = client["v3/pay/transactions/jsapi"]
        .post_async(json!({"json": body}))
        .await
        .unwrap()
        .json()
        .unwrap();
    let mchid = MerchantQuery {
        mchid: client.mchid().into(),
    };
    let by_no = client.chain("v3/pay/transactions/out-trade-no/{out_trade_no}");
    let query = || {
        by_no.get_async(
            Options::new()
                .var("out_trade_no", "LIFE00000001")
                .query(&mchid),
        )
    };
    let unpaid: Transaction = query().await.unwrap().json().unwrap();
    assert_eq!(
        (unpaid.trade_state.as_str(), unpaid.transaction_id),
        ("NOTPAY", None)
    );

    assert_eq!(pay_over_http(&sandbox, "LIFE00000001", "pay").await, 204);
    let paid = next(&mut rx).await;
    let n = verifier
        .handle_as::<Transaction>(&paid.headers, &paid.body)
        .unwrap();
    assert_eq!(
        (n.event_type.as_str(), n.resource_type.as_str()),
        ("TRANSACTION.SUCCESS", "encrypt-resource")
    );
    assert_eq!(n.resource.out_trade_no, "LIFE00000001");
    assert_eq!(n.resource.payer.unwrap().openid.as_deref(), Some("oUser"));
    assert!(prepay.prepay_id.starts_with("wx"));
    let id = n.resource.transaction_id.clone().unwrap();
    let queried: Transaction = query().await.unwrap().json().unwrap();
    assert_eq!(queried.trade_state, "SUCCESS");
    let by_id: Transaction = client
        .chain("v3/pay/transactions/id/{transaction_id}")
        .get_async(
            Options::new()
                .var("transaction_id", id.as_str())
                .query(&mchid),
        )
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(by_id, queried);
    assert_eq!(finished(&sandbox, "TRANSACTION.SUCCESS").await.attempts, 1);

    let refund = |no: &str, amount: i64| CreateRefund {
        out_trade_no: Some("LIFE00000001".into()),
        out_refund_no: no.into(),
        notify_url: Some(url.clone()),
        amount: RefundRequestAmount {
            refund: amount,
            total: 100,
            currency: "CNY".into(),
            from: None,
        },
        ..Default::default()
    };
    let asked: Refund = client["v3/refund/domestic/refunds"]
        .post_async(Options::new().json(&refund("LIFEREFUND01", 40)))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        (asked.status.as_str(), asked.amount.refund),
        ("PROCESSING", 40)
    );
    let refunded = next(&mut rx).await;
    let n = verifier
        .handle_as::<RefundNotification>(&refunded.headers, &refunded.body)
        .unwrap();
    assert_eq!(
        (n.event_type.as_str(), n.resource.refund_status.as_str()),
        ("REFUND.SUCCESS", "SUCCESS")
    );
    assert_eq!(
        (n.resource.transaction_id.as_str(), n.resource.amount.refund),
        (id.as_str(), 40)
    );
    let later: Refund = client
        .chain("v3/refund/domestic/refunds/{out_refund_no}")
        .get_async(json!({"out_refund_no": "LIFEREFUND01"}))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(later.status, "SUCCESS");
    let over = client["v3/refund/domestic/refunds"]
        .post_async(Options::new().json(&refund("LIFEREFUND02", 61)))
        .await;
    assert_eq!(api(over), (400, "INVALID_REQUEST".into()));
    let rest = client["v3/refund/domestic/refunds"]
        .post_async(Options::new().json(&refund("LIFEREFUND02", 60)))
        .await;
    assert_eq!(rest.unwrap().status(), 200);
    assert_eq!(
        query()
            .await
            .unwrap()
            .json::<Transaction>()
            .unwrap()
            .trade_state,
        "REFUND"
    );

    // The bill of the day holds the payment and both refunds, plain and gzipped.
    for tar_type in [None, Some("GZIP")] {
        let q = TradeBillQuery {
            bill_date: today(),
            tar_type: tar_type.map(str::to_string),
            ..Default::default()
        };
        let answer: BillDownload = client["v3/bill/tradebill"]
            .get_async(Options::new().query(&q))
            .await
            .unwrap()
            .json()
            .unwrap();
        let mut csv = Vec::new();
        let done = wechatpay::bills::download(&client, &answer, &mut csv)
            .await
            .unwrap();
        assert_eq!(done.gzip, tar_type.is_some());
        assert_eq!(
            (done.sha1.as_str(), done.written),
            (answer.hash_value.as_str(), csv.len() as u64)
        );
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(csv.lines().count(), 6, "{csv}");
        assert!(
            csv.contains("`LIFE00000001,`oUser,`JSAPI,`SUCCESS,")
                && csv.contains("`LIFEREFUND02,`0.60,"),
            "{csv}"
        );
    }
    let q = FundFlowBillQuery {
        bill_date: today(),
        ..Default::default()
    };
    let answer: BillDownload = client["v3/bill/fundflowbill"]
        .get_async(Options::new().query(&q))
        .await
        .unwrap()
        .json()
        .unwrap();
    let mut csv = Vec::new();
    wechatpay::bills::download(&client, &answer, &mut csv)
        .await
        .unwrap();
    assert!(
        String::from_utf8(csv)
            .unwrap()
            .starts_with("记账时间,微信支付业务单号")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_in_both_forms_and_their_errors() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let url = "https://merchant.example/notify";
    let mut kinds = 0;
    for kind in ["jsapi", "app", "h5", "native"] {
        let mut d = direct(&client, &format!("KIND_{kind}"), 1, url);
        let mut p = PartnerCreateTransaction {
            sp_appid: APPID.into(),
            sp_mchid: client.mchid().into(),
            sub_mchid: SUB.into(),
            sub_appid: Some("wx8888888888888888".into()),
            order: order(
                &format!("PART_{kind}"),
                2,
                url,
                Some(Payer {
                    sub_openid: Some("oSub".into()),
                    ..Default::default()
                }),
            ),
        };
        if kind == "h5" {
            d.order.scene_info = Some(h5_scene());
            p.order.scene_info = Some(h5_scene());
        }
        let direct_answer = client
            .chain(&format!("v3/pay/transactions/{kind}"))
            .post_async(Options::new().json(&d))
            .await
            .unwrap();
        let partner_answer = client
            .chain(&format!("v3/pay/partner/transactions/{kind}"))
            .post_async(Options::new().json(&p))
            .await
            .unwrap();
        for answer in [direct_answer, partner_answer] {
            match kind {
                "native" => assert!(
                    answer
                        .json::<NativePrepay>()
                        .unwrap()
                        .code_url
                        .starts_with("weixin://")
                ),
                "h5" => assert!(
                    answer
                        .json::<H5Prepay>()
                        .unwrap()
                        .h5_url
                        .starts_with("https://")
                ),
                _ => assert!(answer.json::<Prepay>().unwrap().prepay_id.starts_with("wx")),
            }
        }
        kinds += 1;
    }
    assert_eq!(kinds, 4);

    // Partner query and close, under the sub-merchant.
    let partner = PartnerQuery {
        sp_mchid: client.mchid().into(),
        sub_mchid: SUB.into(),
    };
    let no = "PART_jsapi";
    sandbox.user_pay_transaction("PART_app").unwrap();
    let t: Transaction = client
        .chain("v3/pay/partner/transactions/out-trade-no/{out_trade_no}")
        .get_async(
            Options::new()
                .var("out_trade_no", "PART_app")
                .query(&partner),
        )
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        (
            t.trade_state.as_str(),
            t.sub_mchid.as_deref(),
            t.trade_type.as_deref()
        ),
        ("SUCCESS", Some(SUB), Some("APP"))
    );
    let close = client
        .chain("v3/pay/partner/transactions/out-trade-no/{out_trade_no}/close")
        .post_async(Options::new().var("out_trade_no", no).json(&partner))
        .await
        .unwrap();
    assert_eq!(close.status(), 204);
    let closed: Transaction = client
        .chain("v3/pay/partner/transactions/out-trade-no/{out_trade_no}")
        .get_async(Options::new().var("out_trade_no", no).query(&partner))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(closed.trade_state, "CLOSED");
    let e = sandbox.user_pay_transaction(no).unwrap_err();
    assert!(e.to_string().contains("ORDER_CLOSED"), "{e}");
    sandbox.user_fail_transaction("KIND_jsapi").unwrap();
    assert_eq!(
        sandbox.transaction("KIND_jsapi").unwrap()["trade_state"],
        "PAYERROR"
    );
    assert_eq!(pay_over_http(&sandbox, "KIND_jsapi", "pay").await, 204);
    assert_eq!(pay_over_http(&sandbox, "NOPE00000001", "pay").await, 404);
    assert_eq!(pay_over_http(&sandbox, "KIND_app", "other").await, 404);

    // Errors, as the pages name them, each signed.
    let mchid = MerchantQuery {
        mchid: client.mchid().into(),
    };
    let mut changed = direct(&client, "KIND_app", 2, url);
    changed.order.payer = None;
    let cases: Vec<(&str, Result<Response, Error>, u16, &str)> = vec![
        (
            "reused number",
            client["v3/pay/transactions/app"]
                .post_async(Options::new().json(&changed))
                .await,
            403,
            "OUT_TRADE_NO_USED",
        ),
        (
            "closed number",
            client["v3/pay/partner/transactions/jsapi"]
                .post_async(Options::new().json(&PartnerCreateTransaction {
                    sp_appid: APPID.into(),
                    sp_mchid: client.mchid().into(),
                    sub_mchid: SUB.into(),
                    sub_appid: None,
                    order: order(
                        no,
                        2,
                        url,
                        Some(Payer {
                            sp_openid: Some("oSp".into()),
                            ..Default::default()
                        }),
                    ),
                }))
                .await,
            400,
            "ORDER_CLOSED",
        ),
        (
            "unknown order",
            client
                .chain("v3/pay/transactions/out-trade-no/NOPE00000001")
                .get_async(Options::new().query(&mchid))
                .await,
            404,
            "ORDER_NOT_EXIST",
        ),
        (
            "unknown id",
            client
                .chain("v3/pay/transactions/id/4200000000000000000000000000")
                .get_async(Options::new().query(&mchid))
                .await,
            404,
            "ORDER_NOT_EXIST",
        ),
        (
            "no mchid",
            client
                .chain("v3/pay/transactions/out-trade-no/KIND_app")
                .get_async(())
                .await,
            400,
            "PARAM_ERROR",
        ),
        (
            "missing field",
            client["v3/pay/transactions/native"]
                .post_async(json!({"json": {"appid": APPID}}))
                .await,
            400,
            "PARAM_ERROR",
        ),
        (
            "H5 without scene",
            client["v3/pay/transactions/h5"]
                .post_async(Options::new().json(&direct(&client, "H5NOSCENE001", 1, url)))
                .await,
            400,
            "PARAM_ERROR",
        ),
        (
            "close unknown",
            client
                .chain("v3/pay/transactions/out-trade-no/NOPE00000001/close")
                .post_async(Options::new().json(&mchid))
                .await,
            404,
            "ORDER_NOT_EXIST",
        ),
        (
            "refund unknown",
            client["v3/refund/domestic/refunds"]
                .post_async(
                    json!({"json": {"out_trade_no": "NOPE00000001", "out_refund_no": "R1",
            "amount": {"refund": 1, "total": 1, "currency": "CNY"}}}),
                )
                .await,
            404,
            "RESOURCE_NOT_EXISTS",
        ),
        (
            "refund unpaid",
            client["v3/refund/domestic/refunds"]
                .post_async(
                    json!({"json": {"out_trade_no": "KIND_h5", "out_refund_no": "R1",
            "amount": {"refund": 1, "total": 1, "currency": "CNY"}}}),
                )
                .await,
            400,
            "INVALID_REQUEST",
        ),
        (
            "refund query unknown",
            client
                .chain("v3/refund/domestic/refunds/NOPE")
                .get_async(())
                .await,
            404,
            "RESOURCE_NOT_EXISTS",
        ),
        (
            "bill of a quiet day",
            client["v3/bill/tradebill"]
                .get_async(json!({"query": {"bill_date": "2020-01-01"}}))
                .await,
            400,
            "NO_STATEMENT_EXIST",
        ),
        (
            "bill date malformed",
            client["v3/bill/tradebill"]
                .get_async(json!({"query": {"bill_date": "20200101"}}))
                .await,
            400,
            "PARAM_ERROR",
        ),
    ];
    let mut ran = 0;
    for (what, result, status, code) in cases {
        assert_eq!(api(result), (status, code.to_string()), "{what}");
        ran += 1;
    }
    assert_eq!(ran, 13);
    let all_signed = sandbox.requests().iter().all(|r| r.signature.is_ok());
    assert!(all_signed, "every call was signed as WeChat Pay checks it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_are_delivered_again_until_acknowledged() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let verifier = NotifyVerifier::new(client.certs().clone(), &sandbox.keys().apiv3_key).unwrap();
    let cases = [
        ("ONCEFAILS001", Answer::FailFirst(1), 2, true),
        (
            "ALWAYS500001",
            Answer::FailFirst(usize::MAX),
            CALLBACK_ATTEMPTS,
            false,
        ),
        ("SILENCE00001", Answer::Silence, CALLBACK_ATTEMPTS, false),
    ];
    let mut ran = 0;
    for (no, answer, attempts, acknowledged) in cases {
        let (addr, mut rx) = receiver(answer).await;
        let url = format!("http://{addr}/notify");
        client["v3/pay/transactions/jsapi"]
            .post_async(Options::new().json(&direct(&client, no, 1, &url)))
            .await
            .unwrap();
        sandbox.user_pay_transaction(no).unwrap();
        let mut bodies = Vec::new();
        for _ in 0..attempts {
            let got = next(&mut rx).await;
            // Each attempt is signed afresh, so replay protection lets it through.
            verifier.verify(&got.headers, &got.body).unwrap();
            bodies.push(got.body);
        }
        assert!(
            bodies.windows(2).all(|w| w[0] == w[1]),
            "the same notification each time"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let record = loop {
            let c = sandbox
                .callbacks()
                .into_iter()
                .find(|c| c.finished && c.notify_url == url);
            if let Some(c) = c {
                break c;
            }
            assert!(Instant::now() < deadline, "{no} never finished");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(
            (record.attempts, record.acknowledged),
            (attempts, acknowledged),
            "{no}"
        );
        assert!(rx.try_recv().is_err(), "{no}: no attempt beyond {attempts}");
        ran += 1;
    }
    assert_eq!(ran, 3);
    assert_eq!(sandbox.callbacks_delivered(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bill_downloads_refuse_other_hosts_and_wrong_digests() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    client["v3/pay/transactions/native"]
        .post_async(json!({"json": {"appid": APPID, "mchid": client.mchid(), "description": "d",
            "out_trade_no": "BILL00000001", "notify_url": "https://merchant.example/n", "amount": {"total": 100}}}))
        .await.unwrap();
    sandbox.user_pay_transaction("BILL00000001").unwrap();
    let ask = |tar: Option<&str>| {
        let q = TradeBillQuery {
            bill_date: today(),
            tar_type: tar.map(str::to_string),
            ..Default::default()
        };
        client["v3/bill/tradebill"].get_async(Options::new().query(&q))
    };
    let plain: BillDownload = ask(None).await.unwrap().json().unwrap();
    let gz: BillDownload = ask(Some("GZIP")).await.unwrap().json().unwrap();
    assert_eq!(
        plain.hash_value, gz.hash_value,
        "the digest is of the CSV, whatever the compression"
    );

    // The blocking twin, from a thread without a runtime.
    let (c, b) = (client.clone(), gz.clone());
    let (done, csv) = std::thread::spawn(move || {
        let mut csv = Vec::new();
        let done = wechatpay::bills::download_blocking(&c, &b, &mut csv).unwrap();
        (done, csv)
    })
    .join()
    .unwrap();
    assert!(done.gzip && done.received < done.written && done.written == csv.len() as u64);

    // Another host, path or scheme: refused before anything is sent.
    let before = sandbox.requests().len();
    let foreign = [
        "https://evil.example/v3/billdownload/file?token=x".to_string(),
        plain
            .download_url
            .replace("v3/billdownload/file", "v3/certificates"),
        plain
            .download_url
            .replace("http://127.0.0.1", "http://localhost"),
    ];
    for url in &foreign {
        let bill = BillDownload {
            download_url: url.clone(),
            ..plain.clone()
        };
        let e = wechatpay::bills::download(&client, &bill, &mut Vec::new())
            .await
            .unwrap_err();
        assert!(e.is_options() && e.is_before_send(), "{url}: {e}");
    }
    assert_eq!(foreign.len(), 3);
    assert_eq!(
        sandbox.requests().len(),
        before,
        "no request for a refused URL"
    );

    // A body that is not the bill: refused with a typed verification error.
    let mut ran = 0;
    for (bill, body) in [
        (&plain, Bytes::from_static(b"not the bill\n")),
        (&gz, gzip(b"not the bill either\n")),
    ] {
        sandbox.stub(
            Stub::new("GET", "/v3/billdownload/file")
                .raw("application/octet-stream", body)
                .times(1),
        );
        let mut sink = Vec::new();
        let e = wechatpay::bills::download(&client, bill, &mut sink)
            .await
            .unwrap_err();
        assert!(e.is_verification(), "{e}");
        let Some(VerificationFailure::BillDigest { expected, actual }) = e.verification_failure()
        else {
            panic!("{e:?}")
        };
        assert_eq!(expected, &bill.hash_value);
        assert_ne!(actual, expected);
        assert!(e.to_string().contains("discard"), "{e}");
        ran += 1;
    }
    assert_eq!(ran, 2);
    let mut bad_hash = plain.clone();
    bad_hash.hash_type = "MD5".into();
    assert!(
        wechatpay::bills::download(&client, &bad_hash, &mut Vec::new())
            .await
            .unwrap_err()
            .is_decode()
    );
    sandbox.stub(
        Stub::new("GET", "/v3/billdownload/file")
            .raw("application/octet-stream", "no gzip")
            .times(1),
    );
    assert!(
        wechatpay::bills::download(&client, &gz, &mut Vec::new())
            .await
            .unwrap_err()
            .is_decode()
    );
    let expired = BillDownload {
        download_url: plain.download_url.replace("token=", "token=X"),
        ..plain.clone()
    };
    let e = wechatpay::bills::download(&client, &expired, &mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(e.api_error().unwrap().code(), Some("PARAM_ERROR"));
}

fn gzip(bytes: &[u8]) -> Bytes {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    Bytes::from(gz.finish().unwrap())
}

/// Verifies with aws-lc-rs directly, over lines built here from the JSON
/// the front end receives: neither the library's message nor its verifier.
fn verify_independently(lines: [&str; 4], signature: &str) -> bool {
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
    use base64::Engine as _;
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/keys/merchant_public_key.pkcs1.pem"
    ))
    .unwrap();
    let (label, der) = pem_rfc7468::decode_vec(pem.as_bytes()).unwrap();
    assert_eq!(label, "RSA PUBLIC KEY");
    let message: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .unwrap();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der)
        .verify(message.as_bytes(), &raw)
        .is_ok()
}

#[test]
fn the_front_end_signatures_verify_with_the_merchant_public_key() {
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/keys/merchant_private_key.pem"
    ))
    .unwrap();
    let key = PrivateKey::from_pem(&pem).unwrap();
    let jsapi = serde_json::to_value(
        JsapiPayParams::new(APPID, "wx201410272009395522657a690389285100", &key).unwrap(),
    )
    .unwrap();
    let f = |v: &Value, k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k} in {v}"))
            .to_string()
    };
    assert_eq!(
        f(&jsapi, "package"),
        "prepay_id=wx201410272009395522657a690389285100"
    );
    assert_eq!(f(&jsapi, "signType"), "RSA");
    let lines = [
        f(&jsapi, "appId"),
        f(&jsapi, "timeStamp"),
        f(&jsapi, "nonceStr"),
        f(&jsapi, "package"),
    ];
    assert!(verify_independently(
        lines.each_ref().map(String::as_str),
        &f(&jsapi, "paySign")
    ));
    let tampered = [
        lines[0].as_str(),
        lines[1].as_str(),
        lines[2].as_str(),
        "prepay_id=wx0",
    ];
    assert!(
        !verify_independently(tampered, &f(&jsapi, "paySign")),
        "the check can fail"
    );

    let app = serde_json::to_value(AppPayParams::new(APPID, "1900000001", "wx2014", &key).unwrap())
        .unwrap();
    assert_eq!(
        (
            f(&app, "package").as_str(),
            f(&app, "partnerid").as_str(),
            f(&app, "prepayid").as_str()
        ),
        ("Sign=WXPay", "1900000001", "wx2014")
    );
    let lines = [
        f(&app, "appid"),
        f(&app, "timestamp"),
        f(&app, "noncestr"),
        f(&app, "prepayid"),
    ];
    assert!(verify_independently(
        lines.each_ref().map(String::as_str),
        &f(&app, "sign")
    ));
    assert_eq!(
        app.as_object().unwrap().len(),
        7,
        "exactly the fields PayReq takes"
    );
}
