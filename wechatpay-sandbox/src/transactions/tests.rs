use serde_json::{Value, json};

use super::*;

const MCH: &str = "1900000001";
const SUB: &str = "1900000109";
/// 2025-01-01T00:00:00+08:00
const NOW: i64 = 1_735_660_800;

fn call(t: &mut Transactions, method: &str, path: &str, query: &str, body: Value) -> Reply {
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(&body).unwrap()
    };
    t.handle(MCH, method, path, query, &bytes, NOW).0
}

fn order(no: &str, total: i64) -> Value {
    json!({"appid": "wxd678efh567hg6787", "mchid": MCH, "description": "QQ公仔",
        "out_trade_no": no, "notify_url": "https://example.com/notify",
        "amount": {"total": total, "currency": "CNY"}, "payer": {"openid": "oUser"}})
}

fn partner_order(no: &str) -> Value {
    json!({"sp_appid": "wx8888888888888888", "sp_mchid": MCH, "sub_mchid": SUB,
        "description": "QQ公仔", "out_trade_no": no, "notify_url": "https://example.com/notify",
        "amount": {"total": 300}, "payer": {"sp_openid": "oSp"}})
}

fn refund(no: &str, out_refund_no: &str, amount: i64, total: i64) -> Value {
    json!({"out_trade_no": no, "out_refund_no": out_refund_no,
        "notify_url": "https://example.com/refund",
        "amount": {"refund": amount, "total": total, "currency": "CNY"}})
}

fn assert_err(r: &Reply, status: u16, code: &str, mentions: &str) {
    assert_eq!((r.status, r.code()), (status, Some(code)), "{r:?}");
    assert!(
        r.message().unwrap().contains(mentions),
        "{r:?} should mention {mentions}"
    );
}

fn query(t: &mut Transactions, no: &str) -> Value {
    let path = format!("/v3/pay/transactions/out-trade-no/{no}");
    let r = call(t, "GET", &path, &format!("mchid={MCH}"), Value::Null);
    assert_eq!(r.status, 200, "{r:?}");
    r.body.unwrap()
}

#[test]
fn an_order_is_paid_queried_refunded_in_parts_and_billed() {
    let mut t = Transactions::new();
    let r = call(
        &mut t,
        "POST",
        "/v3/pay/transactions/jsapi",
        "",
        order("T0000001", 100),
    );
    let prepay = r.body.unwrap()["prepay_id"].as_str().unwrap().to_string();
    assert!(prepay.starts_with("wx"));
    let q = query(&mut t, "T0000001");
    assert_eq!(q["trade_state"], "NOTPAY");
    assert!(q.get("transaction_id").is_none() && q.get("payer").is_none());

    let events = t.user_pay(MCH, "T0000001", NOW).unwrap();
    let [
        Event::Paid {
            resource,
            notify_url,
            ..
        },
    ] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(notify_url, "https://example.com/notify");
    assert_eq!(resource["trade_state"], "SUCCESS");
    assert_eq!(resource["payer"]["openid"], "oUser");
    assert_eq!(resource["amount"]["payer_total"], 100);
    let id = resource["transaction_id"].as_str().unwrap().to_string();
    let by_id = call(
        &mut t,
        "GET",
        &format!("/v3/pay/transactions/id/{id}"),
        &format!("mchid={MCH}"),
        Value::Null,
    );
    assert_eq!(by_id.body.unwrap(), *resource);

    // Two partial refunds use the paid amount up; a third is refused.
    let (r, ev) = t.handle(
        MCH,
        "POST",
        "/v3/refund/domestic/refunds",
        "",
        refund("T0000001", "R0000001", 30, 100)
            .to_string()
            .as_bytes(),
        NOW,
    );
    assert_eq!(r.body.as_ref().unwrap()["status"], "PROCESSING");
    let [Event::Refunded { resource, .. }] = ev.as_slice() else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (
            resource["refund_status"].as_str(),
            resource["amount"]["refund"].as_i64()
        ),
        (Some("SUCCESS"), Some(30))
    );
    let again = call(
        &mut t,
        "GET",
        "/v3/refund/domestic/refunds/R0000001",
        "",
        Value::Null,
    );
    assert_eq!(
        again.body.unwrap()["status"],
        "SUCCESS",
        "processed at once after answering"
    );
    assert_eq!(query(&mut t, "T0000001")["trade_state"], "REFUND");
    let too_much = call(
        &mut t,
        "POST",
        "/v3/refund/domestic/refunds",
        "",
        refund("T0000001", "R0000002", 71, 100),
    );
    assert_err(&too_much, 400, "INVALID_REQUEST", "70 left");
    let rest = call(
        &mut t,
        "POST",
        "/v3/refund/domestic/refunds",
        "",
        refund("T0000001", "R0000002", 70, 100),
    );
    assert_eq!(rest.status, 200, "{rest:?}");
    let more = call(
        &mut t,
        "POST",
        "/v3/refund/domestic/refunds",
        "",
        refund("T0000001", "R0000003", 1, 100),
    );
    assert_err(&more, 400, "INVALID_REQUEST", "0 left");

    // The day's bill: one payment and two refunds, then the summary.
    let csv = t.trade_bill_csv(MCH, None, "2025-01-01", "ALL").unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines[0].starts_with("交易时间,公众账号ID,商户号"));
    assert!(
        lines[1].starts_with("`2025-01-01 00:00:00,`wxd678efh567hg6787,`1900000001,`0,"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains(&format!(
        "`{id},`T0000001,`oUser,`JSAPI,`SUCCESS,`OTHERS,`CNY,`1.00,"
    )));
    assert!(
        lines[2].contains("`REFUND,") && lines[2].contains("`R0000001,`0.30,"),
        "{}",
        lines[2]
    );
    assert_eq!(
        lines[4],
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
    );
    assert_eq!(lines[5], "`3,`1.00,`1.00,`0.00,`0.01000,`1.00,`1.00");
    assert_eq!(
        t.trade_bill_csv(MCH, None, "2025-01-01", "SUCCESS")
            .unwrap()
            .lines()
            .count(),
        4
    );
    assert!(t.trade_bill_csv(MCH, None, "2024-12-31", "ALL").is_none());
    let flow = t.fund_flow_csv(MCH, "2025-01-01").unwrap();
    let flow_lines: Vec<&str> = flow.lines().collect();
    assert_eq!(flow_lines.len(), 7, "payment, fee, two refunds: {flow}");
    assert!(
        flow_lines[1].contains("`交易,`交易,`收入,`1.00,`1.00,"),
        "{}",
        flow_lines[1]
    );
    assert_eq!(flow_lines[6], "`4,`1,`1.00,`3,`1.01");
}

#[test]
fn states_allow_only_their_steps() {
    let mut t = Transactions::new();
    for no in ["S0000001", "S0000002", "S0000003"] {
        call(
            &mut t,
            "POST",
            "/v3/pay/transactions/jsapi",
            "",
            order(no, 10),
        );
    }
    // Fail, then pay after all: PAYERROR lets the user try again.
    t.user_fail(MCH, "S0000001").unwrap();
    assert_eq!(query(&mut t, "S0000001")["trade_state"], "PAYERROR");
    t.user_pay(MCH, "S0000001", NOW).unwrap();
    assert_err(
        &t.user_pay(MCH, "S0000001", NOW).unwrap_err(),
        400,
        "INVALID_REQUEST",
        "already paid",
    );
    let close = |t: &mut Transactions, no: &str| {
        call(
            t,
            "POST",
            &format!("/v3/pay/transactions/out-trade-no/{no}/close"),
            "",
            json!({"mchid": MCH}),
        )
    };
    assert_err(&close(&mut t, "S0000001"), 400, "INVALID_REQUEST", "paid");
    assert_eq!(close(&mut t, "S0000002").status, 204);
    assert_eq!(
        close(&mut t, "S0000002").status,
        204,
        "closing twice is fine"
    );
    assert_eq!(query(&mut t, "S0000002")["trade_state"], "CLOSED");
    assert_err(
        &t.user_pay(MCH, "S0000002", NOW).unwrap_err(),
        400,
        "ORDER_CLOSED",
        "关闭",
    );
    assert_err(&close(&mut t, "S0000009"), 404, "ORDER_NOT_EXIST", "不存在");
    let unpaid = call(
        &mut t,
        "POST",
        "/v3/refund/domestic/refunds",
        "",
        refund("S0000003", "R0000009", 1, 10),
    );
    assert_err(&unpaid, 400, "INVALID_REQUEST", "NOTPAY");
    let unknown = call(
        &mut t,
        "POST",
        "/v3/refund/domestic/refunds",
        "",
        refund("S0000009", "R0000009", 1, 10),
    );
    assert_err(&unknown, 404, "RESOURCE_NOT_EXISTS", "订单");
    let no_refund = call(
        &mut t,
        "GET",
        "/v3/refund/domestic/refunds/R0000009",
        "",
        Value::Null,
    );
    assert_err(&no_refund, 404, "RESOURCE_NOT_EXISTS", "退款单");
    let not_yet_paid = call(
        &mut t,
        "GET",
        "/v3/pay/transactions/id/4200000000",
        &format!("mchid={MCH}"),
        Value::Null,
    );
    assert_err(&not_yet_paid, 404, "ORDER_NOT_EXIST", "不存在");
}

#[test]
fn the_same_number_is_answered_again_or_refused() {
    let mut t = Transactions::new();
    let first = call(
        &mut t,
        "POST",
        "/v3/pay/transactions/jsapi",
        "",
        order("D0000001", 100),
    );
    let again = call(
        &mut t,
        "POST",
        "/v3/pay/transactions/jsapi",
        "",
        order("D0000001", 100),
    );
    assert_eq!(first, again, "the same body: the same prepay_id");
    let other = call(
        &mut t,
        "POST",
        "/v3/pay/transactions/jsapi",
        "",
        order("D0000001", 101),
    );
    assert_err(&other, 403, "OUT_TRADE_NO_USED", "other parameters");
    let mut native = order("D0000001", 100);
    native.as_object_mut().unwrap().remove("payer");
    let other_kind = call(&mut t, "POST", "/v3/pay/transactions/native", "", native);
    assert_err(&other_kind, 403, "OUT_TRADE_NO_USED", "other parameters");
    t.user_pay(MCH, "D0000001", NOW).unwrap();
    let paid = call(
        &mut t,
        "POST",
        "/v3/pay/transactions/jsapi",
        "",
        order("D0000001", 100),
    );
    assert_err(&paid, 403, "OUT_TRADE_NO_USED", "已支付");
    call(
        &mut t,
        "POST",
        "/v3/pay/transactions/jsapi",
        "",
        order("D0000002", 100),
    );
    call(
        &mut t,
        "POST",
        "/v3/pay/transactions/out-trade-no/D0000002/close",
        "",
        json!({"mchid": MCH}),
    );
    let closed = call(
        &mut t,
        "POST",
        "/v3/pay/transactions/jsapi",
        "",
        order("D0000002", 100),
    );
    assert_err(&closed, 400, "ORDER_CLOSED", "关闭");
    // A refund asked again is the same refund; with other amounts, refused.
    let r1 = call(
        &mut t,
        "POST",
        "/v3/refund/domestic/refunds",
        "",
        refund("D0000001", "RD000001", 10, 100),
    );
    let r2 = call(
        &mut t,
        "POST",
        "/v3/refund/domestic/refunds",
        "",
        refund("D0000001", "RD000001", 10, 100),
    );
    assert_eq!(
        r2.body.as_ref().unwrap()["refund_id"],
        r1.body.as_ref().unwrap()["refund_id"]
    );
    assert_eq!(r2.body.unwrap()["status"], "SUCCESS");
    let r3 = call(
        &mut t,
        "POST",
        "/v3/refund/domestic/refunds",
        "",
        refund("D0000001", "RD000001", 11, 100),
    );
    assert_err(&r3, 400, "INVALID_REQUEST", "不一致");
}

#[test]
fn bodies_are_validated_field_by_field() {
    type Edit = fn(&mut Value);
    let cases: &[(&str, Edit, &str, &str)] = &[
        (
            "jsapi",
            |b| {
                b.as_object_mut().unwrap().remove("appid");
            },
            "PARAM_ERROR",
            "appid is required",
        ),
        (
            "jsapi",
            |b| b["mchid"] = json!("1230000109"),
            "PARAM_ERROR",
            "not the merchant",
        ),
        (
            "jsapi",
            |b| {
                b.as_object_mut().unwrap().remove("description");
            },
            "PARAM_ERROR",
            "description",
        ),
        (
            "jsapi",
            |b| b["out_trade_no"] = json!("short"),
            "PARAM_ERROR",
            "out_trade_no",
        ),
        (
            "jsapi",
            |b| b["out_trade_no"] = json!("T000 0001"),
            "PARAM_ERROR",
            "out_trade_no",
        ),
        (
            "jsapi",
            |b| b["amount"]["total"] = json!(0),
            "PARAM_ERROR",
            "amount.total",
        ),
        (
            "jsapi",
            |b| b["amount"]["total"] = json!("1"),
            "PARAM_ERROR",
            "amount.total",
        ),
        (
            "jsapi",
            |b| b["amount"]["currency"] = json!("USD"),
            "PARAM_ERROR",
            "CNY",
        ),
        (
            "jsapi",
            |b| {
                b.as_object_mut().unwrap().remove("amount");
            },
            "PARAM_ERROR",
            "amount is required",
        ),
        (
            "jsapi",
            |b| {
                b.as_object_mut().unwrap().remove("payer");
            },
            "PARAM_ERROR",
            "payer is required",
        ),
        (
            "jsapi",
            |b| b["payer"] = json!({}),
            "PARAM_ERROR",
            "payer.openid",
        ),
        (
            "jsapi",
            |b| b["notify_url"] = json!("ftp://example.com/n"),
            "PARAM_ERROR",
            "notify_url",
        ),
        (
            "jsapi",
            |b| b["notify_url"] = json!("https://example.com/n?a=1"),
            "PARAM_ERROR",
            "query",
        ),
        (
            "jsapi",
            |b| b["time_expire"] = json!("tomorrow"),
            "PARAM_ERROR",
            "time_expire",
        ),
        (
            "jsapi",
            |b| b["attach"] = json!("a".repeat(129)),
            "PARAM_ERROR",
            "attach",
        ),
        (
            "jsapi",
            |b| b["scene_info"] = json!({}),
            "PARAM_ERROR",
            "scene_info.payer_client_ip",
        ),
        (
            "h5",
            |b| {
                b.as_object_mut().unwrap().remove("payer");
            },
            "PARAM_ERROR",
            "scene_info is required",
        ),
        (
            "h5",
            |b| b["scene_info"] = json!({"payer_client_ip": "1.2.3.4"}),
            "PARAM_ERROR",
            "h5_info",
        ),
        (
            "h5",
            |b| b["scene_info"] = json!({"payer_client_ip": "1.2.3.4", "h5_info": {"type": "PC"}}),
            "PARAM_ERROR",
            "iOS, Android or Wap",
        ),
    ];
    let mut ran = 0;
    for (kind, edit, code, mentions) in cases {
        let mut t = Transactions::new();
        let mut body = order("V0000001", 100);
        edit(&mut body);
        let r = call(
            &mut t,
            "POST",
            &format!("/v3/pay/transactions/{kind}"),
            "",
            body,
        );
        assert_err(&r, 400, code, mentions);
        ran += 1;
    }
    assert_eq!(ran, 19);
    let mut t = Transactions::new();
    let h5 = json!({"appid": "wx1", "mchid": MCH, "description": "d", "out_trade_no": "H5000001",
        "notify_url": "https://e.com/n", "amount": {"total": 1},
        "scene_info": {"payer_client_ip": "1.2.3.4", "h5_info": {"type": "Wap"}}});
    assert!(
        call(&mut t, "POST", "/v3/pay/transactions/h5", "", h5)
            .body
            .unwrap()["h5_url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let native = json!({"appid": "wx1", "mchid": MCH, "description": "d", "out_trade_no": "NA000001",
        "notify_url": "https://e.com/n", "amount": {"total": 1}});
    assert!(
        call(&mut t, "POST", "/v3/pay/transactions/native", "", native)
            .body
            .unwrap()["code_url"]
            .as_str()
            .unwrap()
            .starts_with("weixin://")
    );
    assert_err(
        &call(
            &mut t,
            "POST",
            "/v3/pay/transactions/jsapi",
            "",
            Value::Null,
        ),
        400,
        "PARAM_ERROR",
        "empty",
    );
    assert_err(
        &call(&mut t, "GET", "/v3/pay/transactions/jsapi", "", Value::Null),
        405,
        "METHOD_NOT_ALLOWED",
        "POST",
    );
    assert_err(
        &call(
            &mut t,
            "GET",
            "/v3/pay/transactions/out-trade-no/NA000001",
            "",
            Value::Null,
        ),
        400,
        "PARAM_ERROR",
        "mchid is required",
    );
    assert_err(
        &call(&mut t, "POST", "/v3/pay/transactions/scan", "", Value::Null),
        404,
        "NOT_FOUND",
        "scan",
    );
}

#[test]
fn partner_orders_live_under_their_sub_merchant() {
    let mut t = Transactions::new();
    let r = call(
        &mut t,
        "POST",
        "/v3/pay/partner/transactions/jsapi",
        "",
        partner_order("P0000001"),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let mut bad = partner_order("P0000002");
    bad["payer"] = json!({"sub_openid": "oSub"});
    assert_err(
        &call(
            &mut t,
            "POST",
            "/v3/pay/partner/transactions/jsapi",
            "",
            bad,
        ),
        400,
        "PARAM_ERROR",
        "sub_appid",
    );
    let q = |t: &mut Transactions, sub: &str| {
        call(
            t,
            "GET",
            "/v3/pay/partner/transactions/out-trade-no/P0000001",
            &format!("sp_mchid={MCH}&sub_mchid={sub}"),
            Value::Null,
        )
    };
    let found = q(&mut t, SUB).body.unwrap();
    assert_eq!(
        (found["sp_mchid"].as_str(), found["sub_mchid"].as_str()),
        (Some(MCH), Some(SUB))
    );
    assert!(found.get("mchid").is_none());
    assert_err(&q(&mut t, "1900000999"), 404, "ORDER_NOT_EXIST", "不存在");
    let events = t.user_pay(MCH, "P0000001", NOW).unwrap();
    let [Event::Paid { resource, .. }] = events.as_slice() else {
        panic!()
    };
    assert_eq!(resource["payer"]["sp_openid"], "oSp");
    let mut r = refund("P0000001", "RP000001", 300, 300);
    r["sub_mchid"] = json!(SUB);
    assert_eq!(
        call(&mut t, "POST", "/v3/refund/domestic/refunds", "", r).status,
        200
    );
    let refund_query = call(
        &mut t,
        "GET",
        "/v3/refund/domestic/refunds/RP000001",
        &format!("sub_mchid={SUB}"),
        Value::Null,
    );
    assert_eq!(refund_query.body.unwrap()["status"], "SUCCESS");
    assert!(
        t.trade_bill_csv(MCH, Some(SUB), "2025-01-01", "ALL")
            .unwrap()
            .contains(&format!("`{SUB},"))
    );
    assert!(
        t.trade_bill_csv(MCH, Some("1900000999"), "2025-01-01", "ALL")
            .is_none()
    );
}

#[test]
fn bill_links_carry_the_digest_of_the_csv_and_expire() {
    let mut t = Transactions::with_base("http://127.0.0.1:9/");
    call(
        &mut t,
        "POST",
        "/v3/pay/transactions/jsapi",
        "",
        order("B0000001", 100),
    );
    t.user_pay(MCH, "B0000001", NOW).unwrap();
    let answer = call(
        &mut t,
        "GET",
        "/v3/bill/tradebill",
        "bill_date=2025-01-01&tar_type=GZIP",
        Value::Null,
    )
    .body
    .unwrap();
    let url = answer["download_url"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:9/v3/billdownload/file?token=")
            && url.ends_with("&tartype=GZIP"),
        "{url}"
    );
    let query = url.split_once('?').unwrap().1;
    let gz = t.bill_file(query, NOW).unwrap();
    let mut csv = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut csv).unwrap();
    let digest: String = sha1::Sha1::digest(csv.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(answer["hash_value"], digest.as_str());
    assert_eq!(answer["hash_type"], "SHA1");
    assert_err(
        &t.bill_file(query, NOW + 301).unwrap_err(),
        400,
        "PARAM_ERROR",
        "expired",
    );
    let cases = [
        ("bill_date=2025-1-1", 400, "PARAM_ERROR"),
        ("", 400, "PARAM_ERROR"),
        ("bill_date=2025-01-02", 400, "PARAM_ERROR"),
        ("bill_date=2024-12-31", 400, "NO_STATEMENT_EXIST"),
        ("bill_date=2025-01-01&bill_type=ODD", 400, "PARAM_ERROR"),
        ("bill_date=2025-01-01&tar_type=ZIP", 400, "PARAM_ERROR"),
    ];
    for (q, status, code) in cases {
        let r = call(&mut t, "GET", "/v3/bill/tradebill", q, Value::Null);
        assert_eq!((r.status, r.code()), (status, Some(code)), "{q}: {r:?}");
    }
    assert_eq!(cases.len(), 6);
    let flow = call(
        &mut t,
        "GET",
        "/v3/bill/fundflowbill",
        "bill_date=2025-01-01",
        Value::Null,
    );
    assert_eq!(flow.status, 200);
    let fees = call(
        &mut t,
        "GET",
        "/v3/bill/fundflowbill",
        "bill_date=2025-01-01&account_type=FEES",
        Value::Null,
    );
    assert_eq!(fees.code(), Some("NO_STATEMENT_EXIST"));
}

use sha1::Digest as _;
