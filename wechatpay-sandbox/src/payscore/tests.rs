use super::time::{fmt_compact, parse_compact, parse_rfc3339};
use super::*;
use serde_json::json;

const MCH: &str = "1900000001";
const SUB: &str = "1900000109";
const APPID: &str = "wxd678efh567hg6787";
const SID: &str = "2002000000000558128851361561536";
/// 2025-01-01T00:00:00+08:00
const NOW: i64 = 1_735_660_800;

fn call(ps: &mut PayScore, method: &str, path: &str, query: &str, body: Value) -> Reply {
    let bytes = serde_json::to_vec(&body).unwrap();
    ps.handle(MCH, method, path, query, &bytes, NOW).0
}

fn post(ps: &mut PayScore, path: &str, body: Value) -> Reply {
    call(ps, "POST", path, "", body)
}

fn assert_err(r: &Reply, status: u16, code: &str, mentions: &str) {
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.code(), Some(code), "{r:?}");
    assert!(
        r.message().unwrap().contains(mentions),
        "{r:?} should mention {mentions}"
    );
}

/// The create body of the seed (conformance seed.jsonl, create cases).
fn seed_create() -> Value {
    json!({
        "out_order_no": "1234323JKHDFE1243252", "appid": "wxd678efh567hg6787",
        "service_id": "2002000000000558128851361561536", "service_introduction": "某某酒店",
        "post_payments": [{"name": "就餐费用", "amount": 40000, "description": "就餐人均100元", "count": 4}],
        "post_discounts": [{"name": "满20减1元", "description": "不与其他优惠叠加", "amount": 100, "count": 2}],
        "time_range": {"start_time": "20091225091010", "start_time_remark": "备注1",
                       "end_time": "20091225121010", "end_time_remark": "备注2"},
        "location": {"start_location": "嗨客时尚主题展餐厅", "end_location": "嗨客时尚主题展餐厅"},
        "risk_fund": {"name": "ESTIMATE_ORDER_COST", "amount": 10000, "description": "就餐的预估费用"},
        "attach": "Easdfowealsdkjfnlaksjdlfkwqoi&wl3l2sald",
        "notify_url": "https://api.test.com/notify?a=1&b=2",
        "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "need_user_confirm": true
    })
}

/// The partner modify body of the seed.
fn seed_modify() -> Value {
    json!({
        "service_id": "2002000000000558128851361561536", "sub_mchid": "1900000109",
        "post_payments": [{"name": "就餐费用", "amount": 40000, "description": "就餐人均100元", "count": 4}],
        "post_discounts": [{"name": "满20减1元", "description": "不与其他优惠叠加", "amount": 100, "count": 2}],
        "total_amount": 50000, "reason": "用户投诉"
    })
}

/// The partner sync body of the seed.
fn seed_sync() -> Value {
    json!({
        "service_id": "2002000000000558128851361561536", "sub_mchid": "1900000109",
        "type": "Order_Paid",
        "detail": {"seq": 1, "paid_time": "20091225091210", "paid_amount": 1}
    })
}

fn create_body(out: &str, confirm: bool) -> Value {
    json!({
        "out_order_no": out, "appid": APPID, "service_id": SID,
        "service_introduction": "充电宝租借",
        "post_payments": [{"name": "收费标准", "description": "3元/60分钟"}],
        "time_range": {"start_time": "OnAccept"},
        "risk_fund": {"name": "DEPOSIT", "amount": 9900},
        "notify_url": "https://merchant.example/notify",
        "openid": "oUser", "need_user_confirm": confirm
    })
}

fn partner_create_body(out: &str) -> Value {
    let mut b = create_body(out, true);
    b["sub_mchid"] = json!(SUB);
    b
}

fn complete_body(total: i64) -> Value {
    json!({
        "appid": APPID, "service_id": SID,
        "post_payments": [{"name": "租借费", "amount": total + 100, "count": 1}],
        "post_discounts": [{"name": "新人券", "amount": 100}],
        "total_amount": total,
        "time_range": {"end_time": "20250101120000"}
    })
}

fn query(ps: &mut PayScore, q: &str) -> Reply {
    ps.handle(MCH, "GET", "/v3/payscore/serviceorder", q, b"", NOW)
        .0
}

#[test]
fn whole_lifecycle_with_confirmation() {
    let mut ps = PayScore::new();
    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_0001", true),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let b = r.body.unwrap();
    assert_eq!(b["state"], "CREATED");
    assert_eq!(b["mchid"], MCH);
    assert!(
        b["package"]
            .as_str()
            .unwrap()
            .starts_with("sandbox_package_")
    );
    assert!(b.get("collection").is_none());
    let order_id = b["order_id"].as_str().unwrap().to_string();

    let events = ps.user_confirm(MCH, "ORDER_0001", NOW + 10).unwrap();
    let [
        Event::UserConfirmed {
            out_order_no,
            notify_url,
            resource,
        },
    ] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(out_order_no, "ORDER_0001");
    assert_eq!(notify_url, "https://merchant.example/notify");
    assert_eq!(resource["state"], "DOING");
    assert_eq!(resource["state_description"], "USER_CONFIRM");
    assert_eq!(resource["order_id"], order_id.as_str());
    // OnAccept is resolved to the confirmation time (Beijing time).
    assert_eq!(resource["time_range"]["start_time"], "20250101000010");
    assert_eq!(events[0].event_type(), "PAYSCORE.USER_CONFIRM");

    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0001/complete",
        complete_body(500),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let b = r.body.unwrap();
    assert_eq!(b["state"], "DONE");
    assert_eq!(b["state_description"], "MCH_COMPLETE");
    assert_eq!(b["total_amount"], 500);
    assert_eq!(b["need_collection"], true);

    let mut modify = complete_body(300);
    modify.as_object_mut().unwrap().remove("time_range");
    modify["reason"] = json!("用户投诉");
    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0001/modify",
        modify,
    );
    assert_eq!(r.status, 200, "{r:?}");
    let b = r.body.unwrap();
    assert_eq!(b["total_amount"], 300);
    assert_eq!(b["collection"]["state"], "USER_PAYING");
    assert_eq!(b["collection"]["paying_amount"], 300);

    let events = ps.user_pay(MCH, "ORDER_0001", NOW + 3600).unwrap();
    let [Event::UserPaid { resource, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(resource["collection"]["state"], "USER_PAID");
    assert_eq!(resource["collection"]["paid_amount"], 300);
    let detail = &resource["collection"]["details"][0];
    assert_eq!(detail["paid_type"], "NEWTON");
    assert_eq!(detail["paid_time"], "2025-01-01T01:00:00+08:00");
    assert_eq!(detail["seq"], 1);
    assert!(resource["out_trade_no"].is_string());
    assert_eq!(events[0].event_type(), "PAYSCORE.USER_PAID");

    let q = format!("out_order_no=ORDER_0001&service_id={SID}&appid={APPID}");
    let b = query(&mut ps, &q).body.unwrap();
    assert_eq!(b["state"], "DONE");
    assert_eq!(b["collection"]["state"], "USER_PAID");
    assert_eq!(b["collection"]["paying_amount"], 0);
    assert!(b.get("package").is_none());
    assert_eq!(ps.order(MCH, "ORDER_0001").unwrap(), b);

    // Paid: nothing left to modify, sync or pay.
    let r = ps.user_pay(MCH, "ORDER_0001", NOW).unwrap_err();
    assert_err(&r, 400, "INVALID_REQUEST", "USER_PAID");
}

#[test]
fn lifecycle_without_confirmation_then_sync() {
    let mut ps = PayScore::new();
    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_0002", false),
    );
    let b = r.body.unwrap();
    assert_eq!(b["state"], "DOING");
    assert_eq!(b["state_description"], "USER_CONFIRM");
    assert!(b.get("package").is_none());
    assert_eq!(b["time_range"]["start_time"], "20250101000000");
    // Already confirmed: the user cannot confirm again.
    assert_err(
        &ps.user_confirm(MCH, "ORDER_0002", NOW).unwrap_err(),
        400,
        "INVALID_REQUEST",
        "DOING",
    );

    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0002/complete",
        complete_body(800),
    );
    assert_eq!(r.status, 200);
    let sync = json!({"appid": APPID, "service_id": SID, "type": "Order_Paid",
                      "detail": {"paid_time": "20250101103000"}});
    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0002/sync",
        sync.clone(),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let q = format!("out_order_no=ORDER_0002&service_id={SID}&appid={APPID}");
    let b = query(&mut ps, &q).body.unwrap();
    assert_eq!(b["collection"]["state"], "USER_PAID");
    assert_eq!(b["collection"]["paid_amount"], 800);
    assert_eq!(b["collection"]["details"][0]["paid_type"], "MCH");
    assert_eq!(
        b["collection"]["details"][0]["paid_time"],
        "2025-01-01T10:30:00+08:00"
    );
    // A second sync finds nothing left to collect.
    let r = post(&mut ps, "/v3/payscore/serviceorder/ORDER_0002/sync", sync);
    assert_err(&r, 400, "INVALID_REQUEST", "USER_PAID");
}

#[test]
fn query_by_query_id_and_the_one_of_rule() {
    let mut ps = PayScore::new();
    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_0003", true),
    );
    let qid = ps.query_id(MCH, "ORDER_0003").unwrap();
    let r = query(
        &mut ps,
        &format!("query_id={qid}&service_id={SID}&appid={APPID}"),
    );
    assert_eq!(r.body.unwrap()["out_order_no"], "ORDER_0003");
    // An empty query_id= counts as absent (the seed sends it so).
    let r = query(
        &mut ps,
        &format!("out_order_no=ORDER_0003&query_id=&service_id={SID}&appid={APPID}"),
    );
    assert_eq!(r.status, 200);
    let both = format!("out_order_no=ORDER_0003&query_id={qid}&service_id={SID}&appid={APPID}");
    assert_err(&query(&mut ps, &both), 400, "PARAM_ERROR", "exactly one");
    let neither = format!("out_order_no=&service_id={SID}&appid={APPID}");
    assert_err(&query(&mut ps, &neither), 400, "PARAM_ERROR", "exactly one");
    assert_err(
        &query(&mut ps, "out_order_no=ORDER_0003&appid=x"),
        400,
        "PARAM_ERROR",
        "service_id",
    );
    assert_err(
        &query(
            &mut ps,
            &format!("out_order_no=ORDER_0003&service_id={SID}"),
        ),
        400,
        "PARAM_ERROR",
        "appid",
    );
    let other = format!("out_order_no=ORDER_9999&service_id={SID}&appid={APPID}");
    assert_err(&query(&mut ps, &other), 404, "ORDER_NOT_EXIST", "");
    let wrong_sid = format!("out_order_no=ORDER_0003&service_id=500001&appid={APPID}");
    assert_err(
        &query(&mut ps, &wrong_sid),
        400,
        "INVALID_REQUEST",
        "service_id",
    );
    // Percent-decoded, and '+' is not a space.
    let r = query(
        &mut ps,
        &format!("out_order_no=ORDER%5F0003&service_id={SID}&appid={APPID}"),
    );
    assert_eq!(r.status, 200);
    let r = query(
        &mut ps,
        &format!("out_order_no=ORDER+0003&service_id={SID}&appid={APPID}"),
    );
    assert_err(&r, 400, "PARAM_ERROR", "out_order_no");
}

#[test]
fn create_validation() {
    let mut ps = PayScore::new();
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "missing out_order_no",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("out_order_no");
            }),
            "out_order_no is required",
        ),
        (
            "short out_order_no",
            Box::new(|b| b["out_order_no"] = json!("A1234")),
            "out_order_no",
        ),
        (
            "long out_order_no",
            Box::new(|b| b["out_order_no"] = json!("A".repeat(33))),
            "out_order_no",
        ),
        (
            "bad charset",
            Box::new(|b| b["out_order_no"] = json!("ORDER#0001")),
            "out_order_no",
        ),
        (
            "missing appid",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("appid");
            }),
            "appid is required",
        ),
        (
            "long appid",
            Box::new(|b| b["appid"] = json!("w".repeat(33))),
            "appid must be 1 to 32",
        ),
        (
            "empty service_id",
            Box::new(|b| b["service_id"] = json!("")),
            "service_id must be 1 to 32",
        ),
        (
            "long introduction",
            Box::new(|b| b["service_introduction"] = json!("一".repeat(21))),
            "service_introduction",
        ),
        (
            "introduction type",
            Box::new(|b| b["service_introduction"] = json!(5)),
            "service_introduction must be a string",
        ),
        (
            "payment name missing",
            Box::new(|b| b["post_payments"] = json!([{"amount": 1}])),
            "post_payments[0].name is required",
        ),
        (
            "payment amount zero",
            Box::new(|b| b["post_payments"][0]["amount"] = json!(0)),
            "post_payments[0].amount must be a positive integer",
        ),
        (
            "payment amount float",
            Box::new(|b| b["post_payments"][0]["amount"] = json!(1.5)),
            "post_payments[0].amount must be an integer",
        ),
        (
            "payment count zero",
            Box::new(|b| b["post_payments"][0]["count"] = json!(0)),
            "post_payments[0].count",
        ),
        (
            "payments not array",
            Box::new(|b| b["post_payments"] = json!({})),
            "post_payments must be an array",
        ),
        (
            "too many payments",
            Box::new(|b| b["post_payments"] = json!(vec![json!({"name": "a"}); 101])),
            "at most 100",
        ),
        (
            "discount without description",
            Box::new(|b| b["post_discounts"] = json!([{"name": "券"}])),
            "post_discounts[0].description is required",
        ),
        (
            "missing time_range",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("time_range");
            }),
            "time_range is required",
        ),
        (
            "missing start_time",
            Box::new(|b| b["time_range"] = json!({})),
            "time_range.start_time is required",
        ),
        (
            "bad start_time",
            Box::new(|b| b["time_range"]["start_time"] = json!("2009-12-25")),
            "time_range.start_time must be yyyyMMddHHmmss or OnAccept",
        ),
        (
            "impossible date",
            Box::new(|b| b["time_range"]["start_time"] = json!("20090230091010")),
            "time_range.start_time",
        ),
        (
            "bad end_time",
            Box::new(|b| b["time_range"]["end_time"] = json!("OnAccept")),
            "time_range.end_time",
        ),
        (
            "end before start",
            Box::new(|b| {
                b["time_range"] =
                    json!({"start_time": "20091225121010", "end_time": "20091225091010"})
            }),
            "must not be before",
        ),
        (
            "long remark",
            Box::new(|b| b["time_range"]["start_time_remark"] = json!("备".repeat(21))),
            "time_range.start_time_remark",
        ),
        (
            "end_location alone",
            Box::new(|b| b["location"] = json!({"end_location": "x"})),
            "location.start_location is required",
        ),
        (
            "missing risk_fund",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("risk_fund");
            }),
            "risk_fund is required",
        ),
        (
            "bad risk name",
            Box::new(|b| b["risk_fund"]["name"] = json!("BAIL")),
            "risk_fund.name must be one of",
        ),
        (
            "risk amount zero",
            Box::new(|b| b["risk_fund"]["amount"] = json!(0)),
            "risk_fund.amount must be a positive integer",
        ),
        (
            "risk amount missing",
            Box::new(|b| b["risk_fund"] = json!({"name": "DEPOSIT"})),
            "risk_fund.amount is required",
        ),
        (
            "missing notify_url",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("notify_url");
            }),
            "notify_url is required",
        ),
        (
            "bad notify_url",
            Box::new(|b| b["notify_url"] = json!("ftp://x")),
            "notify_url",
        ),
        (
            "long attach",
            Box::new(|b| b["attach"] = json!("a".repeat(257))),
            "attach",
        ),
        (
            "confirm not bool",
            Box::new(|b| b["need_user_confirm"] = json!("false")),
            "need_user_confirm must be a boolean",
        ),
        (
            "no openid without confirm",
            Box::new(|b| {
                b["need_user_confirm"] = json!(false);
                b.as_object_mut().unwrap().remove("openid");
            }),
            "openid is required",
        ),
    ];
    for (name, edit, mention) in cases {
        let mut body = create_body("ORDER_VALID", true);
        edit(&mut body);
        let r = post(&mut ps, "/v3/payscore/serviceorder", body);
        assert_eq!(r.status, 400, "{name}: {r:?}");
        assert_eq!(r.code(), Some("PARAM_ERROR"), "{name}: {r:?}");
        assert!(r.message().unwrap().contains(mention), "{name}: {r:?}");
    }
    // None of them created anything.
    assert!(ps.order(MCH, "ORDER_VALID").is_none());
    // The boundaries themselves pass: 6 and 32 characters, all allowed symbols.
    for out in ["A_-|*1", &"Z".repeat(32)] {
        let r = post(&mut ps, "/v3/payscore/serviceorder", create_body(out, true));
        assert_eq!(r.status, 200, "{out}: {r:?}");
    }
}

#[test]
fn malformed_bodies_are_param_errors() {
    let mut ps = PayScore::new();
    for body in [
        &b""[..],
        b"   ",
        b"{",
        b"[1,2]",
        b"\"str\"",
        b"null",
        b"\xff\xfe",
        b"{\"a\":}",
    ] {
        let (r, events) = ps.handle(MCH, "POST", "/v3/payscore/serviceorder", "", body, NOW);
        assert_eq!(r.code(), Some("PARAM_ERROR"), "{body:?}: {r:?}");
        assert_eq!(r.status, 400);
        assert!(events.is_empty());
    }
}

#[test]
fn duplicate_create_is_idempotent_only_with_same_parameters() {
    let mut ps = PayScore::new();
    let first = post(&mut ps, "/v3/payscore/serviceorder", seed_create());
    let again = post(&mut ps, "/v3/payscore/serviceorder", seed_create());
    assert_eq!(first, again);
    let mut changed = seed_create();
    changed["attach"] = json!("other");
    let r = post(&mut ps, "/v3/payscore/serviceorder", changed);
    assert_err(&r, 400, "INVALID_REQUEST", "already exists");
}

#[test]
fn complete_rules() {
    let mut ps = PayScore::new();
    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_0004", true),
    );
    let path = "/v3/payscore/serviceorder/ORDER_0004/complete";
    // Not yet confirmed.
    assert_err(
        &post(&mut ps, path, complete_body(500)),
        400,
        "INVALID_REQUEST",
        "CREATED",
    );
    ps.user_confirm(MCH, "ORDER_0004", NOW).unwrap();

    let mut b = complete_body(500);
    b["total_amount"] = json!(499);
    assert_err(
        &post(&mut ps, path, b),
        400,
        "PARAM_ERROR",
        "total_amount 499 must equal",
    );
    let mut b = complete_body(500);
    b["post_discounts"][0]
        .as_object_mut()
        .unwrap()
        .remove("amount");
    assert_err(
        &post(&mut ps, path, b),
        400,
        "PARAM_ERROR",
        "post_discounts[0].amount is required",
    );
    let mut b = complete_body(500);
    b.as_object_mut().unwrap().remove("post_payments");
    assert_err(
        &post(&mut ps, path, b),
        400,
        "PARAM_ERROR",
        "post_payments is required",
    );
    let mut b = complete_body(500);
    b["post_payments"] = json!([]);
    assert_err(&post(&mut ps, path, b), 400, "PARAM_ERROR", "at least one");
    let mut b = complete_body(500);
    b.as_object_mut().unwrap().remove("total_amount");
    assert_err(
        &post(&mut ps, path, b),
        400,
        "PARAM_ERROR",
        "total_amount is required",
    );
    let mut b = complete_body(500);
    b["total_amount"] = json!(-1);
    assert_err(
        &post(&mut ps, path, b),
        400,
        "PARAM_ERROR",
        "total_amount must be a non-negative",
    );
    let mut b = complete_body(500);
    b["time_range"]["end_time"] = json!("20091225");
    assert_err(
        &post(&mut ps, path, b),
        400,
        "PARAM_ERROR",
        "time_range.end_time",
    );
    let mut b = complete_body(500);
    b.as_object_mut().unwrap().remove("appid");
    assert_err(
        &post(&mut ps, path, b),
        400,
        "PARAM_ERROR",
        "appid is required",
    );
    let mut b = complete_body(500);
    b["appid"] = json!("wxother");
    assert_err(
        &post(&mut ps, path, b),
        400,
        "INVALID_REQUEST",
        "appid does not match",
    );
    // DEPOSIT caps the total at the risk fund (9900).
    assert_err(
        &post(&mut ps, path, complete_body(9901)),
        400,
        "PARAM_ERROR",
        "risk_fund.amount",
    );
    assert_err(
        &post(
            &mut ps,
            "/v3/payscore/serviceorder/ORDER_9999/complete",
            complete_body(1),
        ),
        404,
        "ORDER_NOT_EXIST",
        "",
    );

    assert_eq!(post(&mut ps, path, complete_body(9900)).status, 200);
    assert_err(
        &post(&mut ps, path, complete_body(9900)),
        400,
        "INVALID_REQUEST",
        "DONE",
    );
}

#[test]
fn zero_total_needs_no_collection() {
    let mut ps = PayScore::new();
    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_0005", false),
    );
    let body = json!({"appid": APPID, "service_id": SID,
                      "post_payments": [{"name": "免费"}], "total_amount": 0});
    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0005/complete",
        body,
    );
    assert_eq!(r.body.unwrap()["need_collection"], false);
    assert_eq!(
        ps.order(MCH, "ORDER_0005").unwrap()["collection"]["state"],
        "USER_PAID"
    );
    assert!(ps.user_pay(MCH, "ORDER_0005", NOW).is_err());
}

#[test]
fn modify_rules() {
    let mut ps = PayScore::new();
    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_0006", true),
    );
    let path = "/v3/payscore/serviceorder/ORDER_0006/modify";
    let modify = |total: i64| {
        json!({"appid": APPID, "service_id": SID,
               "post_payments": [{"name": "租借费", "amount": total}],
               "total_amount": total, "reason": "用户投诉"})
    };
    // Before completion there is nothing to modify.
    assert_err(
        &post(&mut ps, path, modify(100)),
        400,
        "INVALID_REQUEST",
        "CREATED",
    );
    ps.user_confirm(MCH, "ORDER_0006", NOW).unwrap();
    assert_err(
        &post(&mut ps, path, modify(100)),
        400,
        "INVALID_REQUEST",
        "DOING",
    );
    post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0006/complete",
        complete_body(500),
    );

    let mut b = modify(100);
    b.as_object_mut().unwrap().remove("reason");
    assert_err(
        &post(&mut ps, path, b),
        400,
        "PARAM_ERROR",
        "reason is required",
    );
    let mut b = modify(100);
    b["reason"] = json!("因".repeat(51));
    assert_err(
        &post(&mut ps, path, b),
        400,
        "PARAM_ERROR",
        "reason must be 1 to 50",
    );
    let mut b = modify(100);
    b["total_amount"] = json!(90);
    assert_err(&post(&mut ps, path, b), 400, "PARAM_ERROR", "must equal");
    // Modify only lowers the total fixed at completion.
    assert_err(
        &post(&mut ps, path, modify(501)),
        400,
        "PARAM_ERROR",
        "exceeds the total at completion",
    );
    assert_eq!(post(&mut ps, path, modify(400)).status, 200);
    assert_eq!(post(&mut ps, path, modify(500)).status, 200);

    ps.user_pay(MCH, "ORDER_0006", NOW).unwrap();
    assert_err(
        &post(&mut ps, path, modify(100)),
        400,
        "INVALID_REQUEST",
        "USER_PAID",
    );
}

#[test]
fn cancel_rules() {
    let mut ps = PayScore::new();
    let cancel = json!({"appid": APPID, "service_id": SID, "reason": "用户投诉"});
    // CREATED and DOING can be cancelled.
    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_0007", true),
    );
    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0007/cancel",
        cancel.clone(),
    );
    assert_eq!(r.status, 200);
    let b = r.body.unwrap();
    assert_eq!(b["out_order_no"], "ORDER_0007");
    assert_eq!(b["mchid"], MCH);
    assert!(b["order_id"].is_string());
    assert_eq!(ps.order(MCH, "ORDER_0007").unwrap()["state"], "REVOKED");
    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0007/cancel",
        cancel.clone(),
    );
    assert_err(&r, 400, "INVALID_REQUEST", "REVOKED");
    assert_err(
        &ps.user_confirm(MCH, "ORDER_0007", NOW).unwrap_err(),
        400,
        "INVALID_REQUEST",
        "REVOKED",
    );

    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_0008", false),
    );
    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0008/cancel",
        cancel.clone(),
    );
    assert_eq!(r.status, 200);

    // DONE cannot.
    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_0009", false),
    );
    post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0009/complete",
        complete_body(1),
    );
    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0009/cancel",
        cancel.clone(),
    );
    assert_err(&r, 400, "INVALID_REQUEST", "DONE");

    let mut b = cancel.clone();
    b.as_object_mut().unwrap().remove("reason");
    let r = post(&mut ps, "/v3/payscore/serviceorder/ORDER_0009/cancel", b);
    assert_err(&r, 400, "PARAM_ERROR", "reason is required");
    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder/NOPE_0000/cancel",
        cancel,
    );
    assert_err(&r, 404, "ORDER_NOT_EXIST", "");
}

#[test]
fn expire_rules() {
    let mut ps = PayScore::new();
    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_0010", true),
    );
    ps.expire(MCH, "ORDER_0010").unwrap();
    assert_eq!(ps.order(MCH, "ORDER_0010").unwrap()["state"], "EXPIRED");
    assert_err(
        &ps.expire(MCH, "ORDER_0010").unwrap_err(),
        400,
        "INVALID_REQUEST",
        "EXPIRED",
    );
    assert_err(
        &ps.expire(MCH, "NOPE_0000").unwrap_err(),
        404,
        "ORDER_NOT_EXIST",
        "",
    );
    assert_err(
        &ps.user_pay(MCH, "NOPE_0000", NOW).unwrap_err(),
        404,
        "ORDER_NOT_EXIST",
        "",
    );
}

#[test]
fn sync_validation_and_cashier_conflict() {
    let mut ps = PayScore::new();
    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_0011", false),
    );
    let path = "/v3/payscore/serviceorder/ORDER_0011/sync";
    let sync = |detail: Value| json!({"appid": APPID, "service_id": SID, "type": "Order_Paid", "detail": detail});
    // Sync needs a completed order.
    let r = post(&mut ps, path, sync(json!({"paid_time": "20250101103000"})));
    assert_err(&r, 400, "INVALID_REQUEST", "DOING");
    post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_0011/complete",
        complete_body(600),
    );

    let mut b = sync(json!({"paid_time": "20250101103000"}));
    b["type"] = json!("Order_Refunded");
    assert_err(
        &post(&mut ps, path, b),
        400,
        "PARAM_ERROR",
        "type must be Order_Paid",
    );
    let mut b = sync(json!({}));
    b.as_object_mut().unwrap().remove("detail");
    assert_err(
        &post(&mut ps, path, b),
        400,
        "PARAM_ERROR",
        "detail is required",
    );
    assert_err(
        &post(&mut ps, path, sync(json!({}))),
        400,
        "PARAM_ERROR",
        "detail.paid_time is required",
    );
    for bad in [
        "2019-12-25 09:12:10",
        "20191325091210",
        "2019-12-25T09:12:10",
        "1577236330",
        "2019-12-25T25:12:10+08:00",
    ] {
        let r = post(&mut ps, path, sync(json!({"paid_time": bad})));
        assert_err(&r, 400, "PARAM_ERROR", "detail.paid_time must be");
    }
    let r = post(
        &mut ps,
        path,
        sync(json!({"paid_time": "20250101103000", "paid_amount": 0})),
    );
    assert_err(
        &r,
        400,
        "PARAM_ERROR",
        "detail.paid_amount must be a positive",
    );
    let r = post(
        &mut ps,
        path,
        sync(json!({"paid_time": "20250101103000", "paid_amount": 601})),
    );
    assert_err(&r, 400, "PARAM_ERROR", "exceeds");
    let r = post(
        &mut ps,
        path,
        sync(json!({"paid_time": "20250101103000", "seq": 0})),
    );
    assert_err(&r, 400, "PARAM_ERROR", "detail.seq");

    // While the user is at the cashier, sync is refused for 3 minutes.
    ps.user_paying_at_cashier(MCH, "ORDER_0011", NOW).unwrap();
    let body = serde_json::to_vec(&sync(json!({"paid_time": "20250101103000"}))).unwrap();
    let (r, _) = ps.handle(MCH, "POST", path, "", &body, NOW + 179);
    assert_err(&r, 400, "INVALID_REQUEST", "收银台");
    let (r, _) = ps.handle(MCH, "POST", path, "", &body, NOW + 180);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body.unwrap()["collection"]["state"], "USER_PAID");
    assert!(ps.user_paying_at_cashier(MCH, "ORDER_0011", NOW).is_err());
}

#[test]
fn partner_forms_need_and_use_sub_mchid() {
    let mut ps = PayScore::new();
    let mut b = partner_create_body("PORDER_001");
    b.as_object_mut().unwrap().remove("sub_mchid");
    let r = post(&mut ps, "/v3/payscore/partner/serviceorder", b);
    assert_err(&r, 400, "PARAM_ERROR", "sub_mchid is required");
    let mut b = partner_create_body("PORDER_001");
    b["sub_openid"] = json!("oSub");
    let r = post(&mut ps, "/v3/payscore/partner/serviceorder", b);
    assert_err(&r, 400, "PARAM_ERROR", "sub_appid is required");

    let r = post(
        &mut ps,
        "/v3/payscore/partner/serviceorder",
        partner_create_body("PORDER_001"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body.unwrap()["sub_mchid"], SUB);
    // The same number for a direct order is a different order.
    let r = post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("PORDER_001", true),
    );
    assert_eq!(r.status, 200);

    let q = format!("service_id={SID}&sub_mchid={SUB}&out_order_no=PORDER_001");
    let r = ps
        .handle(
            MCH,
            "GET",
            "/v3/payscore/partner/serviceorder",
            &q,
            b"",
            NOW,
        )
        .0;
    assert_eq!(r.body.unwrap()["sub_mchid"], SUB);
    let q = format!("service_id={SID}&out_order_no=PORDER_001");
    let r = ps
        .handle(
            MCH,
            "GET",
            "/v3/payscore/partner/serviceorder",
            &q,
            b"",
            NOW,
        )
        .0;
    assert_err(&r, 400, "PARAM_ERROR", "sub_mchid is required");
    let q = format!("service_id={SID}&sub_mchid=1900000999&out_order_no=PORDER_001");
    let r = ps
        .handle(
            MCH,
            "GET",
            "/v3/payscore/partner/serviceorder",
            &q,
            b"",
            NOW,
        )
        .0;
    assert_err(&r, 404, "ORDER_NOT_EXIST", "");

    // Control calls prefer the direct order when both exist.
    ps.user_confirm(MCH, "PORDER_001", NOW).unwrap();
    assert_eq!(ps.order(MCH, "PORDER_001").unwrap()["state"], "DOING");
    assert!(
        ps.order(MCH, "PORDER_001")
            .unwrap()
            .get("sub_mchid")
            .is_none()
    );

    // A partner-only order is found by the control calls.
    post(
        &mut ps,
        "/v3/payscore/partner/serviceorder",
        partner_create_body("PORDER_002"),
    );
    ps.user_confirm(MCH, "PORDER_002", NOW).unwrap();
    let complete = json!({"service_id": SID, "sub_mchid": SUB,
                          "post_payments": [{"name": "租借费", "amount": 300}],
                          "total_amount": 300, "complete_time": "2025-01-01T10:00:00+08:00"});
    let r = post(
        &mut ps,
        "/v3/payscore/partner/serviceorder/PORDER_002/complete",
        complete.clone(),
    );
    assert_eq!(r, Reply::no_content());
    let mut bad = complete.clone();
    bad["complete_time"] = json!("20250101100000");
    post(
        &mut ps,
        "/v3/payscore/partner/serviceorder",
        partner_create_body("PORDER_003"),
    );
    let r = post(
        &mut ps,
        "/v3/payscore/partner/serviceorder/PORDER_003/complete",
        bad,
    );
    assert_err(&r, 400, "PARAM_ERROR", "complete_time must be RFC 3339");

    // sub_mchid may come in the query instead of the body.
    let modify = json!({"post_payments": [{"name": "租借费", "amount": 200}],
                        "total_amount": 200, "reason": "协商"});
    let r = ps
        .handle(
            MCH,
            "POST",
            "/v3/payscore/partner/serviceorder/PORDER_002/modify",
            &format!("sub_mchid={SUB}"),
            &serde_json::to_vec(&modify).unwrap(),
            NOW,
        )
        .0;
    assert_eq!(r, Reply::no_content());
    let r = post(
        &mut ps,
        "/v3/payscore/partner/serviceorder/PORDER_002/modify",
        modify,
    );
    assert_err(&r, 400, "PARAM_ERROR", "sub_mchid is required");

    let events = ps.user_pay(MCH, "PORDER_002", NOW).unwrap();
    let Event::UserPaid { resource, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(resource["sub_mchid"], SUB);
    assert_eq!(resource["collection"]["paid_amount"], 200);

    let cancel = json!({"service_id": SID, "sub_mchid": SUB, "reason": "用户取消"});
    let r = post(
        &mut ps,
        "/v3/payscore/partner/serviceorder/PORDER_003/cancel",
        cancel,
    );
    assert_eq!(r, Reply::no_content());
}

#[test]
fn ambiguous_control_call_across_sub_merchants() {
    let mut ps = PayScore::new();
    post(
        &mut ps,
        "/v3/payscore/partner/serviceorder",
        partner_create_body("PORDER_010"),
    );
    let mut other = partner_create_body("PORDER_010");
    other["sub_mchid"] = json!("1900000999");
    post(&mut ps, "/v3/payscore/partner/serviceorder", other);
    let r = ps.user_confirm(MCH, "PORDER_010", NOW).unwrap_err();
    assert_err(&r, 400, "INVALID_REQUEST", "several sub_mchid");
}

fn oversea_order(ps: &mut PayScore, out: &str) {
    let mut b = partner_create_body(out);
    b["need_user_confirm"] = json!(false);
    let r = post(ps, "/v3/payscore/oversea/partner/serviceorder", b.clone());
    assert_err(&r, 400, "PARAM_ERROR", "currency is required");
    b["currency"] = json!("HKD");
    let r = post(ps, "/v3/payscore/oversea/partner/serviceorder", b);
    assert_eq!(r.body.unwrap()["currency"], "HKD");
    let complete = json!({"service_id": SID, "sub_mchid": SUB,
                          "post_payments": [{"name": "租借费", "amount": 1}], "total_amount": 1});
    let r = post(
        ps,
        &format!("/v3/payscore/oversea/partner/serviceorder/{out}/complete"),
        complete,
    );
    assert_eq!(r, Reply::no_content());
}

#[test]
fn oversea_sync_accepts_both_paid_time_forms() {
    let mut ps = PayScore::new();
    for (out, paid_time, shown) in [
        (
            "OVERSEA_01",
            "2019-12-25T09:12:10+08:00",
            "2019-12-25T09:12:10+08:00",
        ),
        ("OVERSEA_02", "20091225091210", "2009-12-25T09:12:10+08:00"),
        (
            "OVERSEA_03",
            "2019-12-25T01:12:10.5Z",
            "2019-12-25T09:12:10+08:00",
        ),
    ] {
        oversea_order(&mut ps, out);
        let body = json!({"service_id": SID, "sub_mchid": SUB, "type": "Order_Paid",
                          "detail": {"seq": 1, "paid_time": paid_time, "paid_amount": 1}});
        let r = post(
            &mut ps,
            &format!("/v3/payscore/oversea/partner/serviceorder/{out}/sync"),
            body,
        );
        assert_eq!(r, Reply::no_content(), "{paid_time}");
        let o = ps.order(MCH, out).unwrap();
        assert_eq!(o["collection"]["state"], "USER_PAID");
        assert_eq!(o["collection"]["details"][0]["paid_time"], shown);
    }
    oversea_order(&mut ps, "OVERSEA_04");
    let body = json!({"service_id": SID, "sub_mchid": SUB, "type": "Order_Paid",
                      "detail": {"paid_time": "2019/12/25 09:12:10"}});
    let r = post(
        &mut ps,
        "/v3/payscore/oversea/partner/serviceorder/OVERSEA_04/sync",
        body,
    );
    assert_err(&r, 400, "PARAM_ERROR", "detail.paid_time");
    // The overseas API has no modify.
    let r = post(
        &mut ps,
        "/v3/payscore/oversea/partner/serviceorder/OVERSEA_04/modify",
        seed_modify(),
    );
    assert_err(&r, 404, "NOT_FOUND", "");
}

#[test]
fn oversea_time_ranges_take_rfc3339_as_their_pages_write_them() {
    let mut ps = PayScore::new();
    let rfc =
        json!({"start_time": "2019-11-11T16:24:05+08:00", "end_time": "2019-11-11T18:24:05+08:00"});
    let mut b = partner_create_body("OVERSEA_RFC1");
    b["currency"] = json!("HKD");
    b["time_range"] = rfc.clone();
    let r = post(&mut ps, "/v3/payscore/oversea/partner/serviceorder", b);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body.unwrap()["time_range"]["start_time"],
        "2019-11-11T16:24:05+08:00"
    );
    ps.user_confirm(MCH, "OVERSEA_RFC1", NOW).unwrap();
    let complete = json!({"service_id": SID, "sub_mchid": SUB, "currency": "HKD",
        "post_payments": [{"name": "租借费", "amount": 1}], "total_amount": 1,
        "time_range": {"end_time": "2019-11-11T18:24:05+08:00"}});
    let r = post(
        &mut ps,
        "/v3/payscore/oversea/partner/serviceorder/OVERSEA_RFC1/complete",
        complete,
    );
    assert_eq!(r, Reply::no_content());
    // The direct and partner forms keep yyyyMMddHHmmss, as their pages say.
    for path in [
        "/v3/payscore/serviceorder",
        "/v3/payscore/partner/serviceorder",
    ] {
        let mut b = partner_create_body("DIRECT_RFC1");
        b["time_range"] = rfc.clone();
        let r = post(&mut ps, path, b);
        assert_err(&r, 400, "PARAM_ERROR", "time_range.start_time");
    }
    // Neither form: refused, naming both.
    let mut b = partner_create_body("OVERSEA_RFC2");
    b["currency"] = json!("HKD");
    b["time_range"] = json!({"start_time": "2019/11/11 16:24:05"});
    let r = post(&mut ps, "/v3/payscore/oversea/partner/serviceorder", b);
    assert_err(&r, 400, "PARAM_ERROR", "yyyyMMddHHmmss or RFC 3339");
}

#[test]
fn seed_request_bodies_are_accepted() {
    // create, then query as the seed does (query_id= empty).
    let mut ps = PayScore::new();
    let r = post(&mut ps, "/v3/payscore/serviceorder", seed_create());
    assert_eq!(r.status, 200, "{r:?}");
    let b = r.body.unwrap();
    assert_eq!(b["state"], "CREATED");
    assert_eq!(b["out_order_no"], "1234323JKHDFE1243252");
    let q = "out_order_no=1234323JKHDFE1243252&query_id=&service_id=2002000000000558128851361561536&appid=wxd678efh567hg6787";
    assert_eq!(query(&mut ps, q).status, 200);
    // The six call styles send the same create six times: each one succeeds.
    for _ in 0..5 {
        assert_eq!(
            post(&mut ps, "/v3/payscore/serviceorder", seed_create()).status,
            200
        );
    }

    // Partner modify: the seed's total (50000) is not 40000 − 100, so only the sandbox
    // with the sum check off accepts it; the strict one names the rule.
    for strict in [true, false] {
        let mut ps = PayScore::with_rules(Rules {
            check_total_amount: strict,
        });
        let mut create = seed_create();
        create["sub_mchid"] = json!(SUB);
        create["need_user_confirm"] = json!(false);
        create["risk_fund"]["amount"] = json!(60000);
        post(&mut ps, "/v3/payscore/partner/serviceorder", create);
        let complete = json!({"service_id": SID, "sub_mchid": SUB,
                              "post_payments": [{"name": "就餐费用", "amount": 60000}],
                              "total_amount": 60000});
        let r = post(
            &mut ps,
            "/v3/payscore/partner/serviceorder/1234323JKHDFE1243252/complete",
            complete,
        );
        assert_eq!(r, Reply::no_content());
        let r = post(
            &mut ps,
            "/v3/payscore/partner/serviceorder/1234323JKHDFE1243252/modify",
            seed_modify(),
        );
        if strict {
            assert_err(&r, 400, "PARAM_ERROR", "total_amount 50000 must equal");
        } else {
            assert_eq!(r, Reply::no_content());
            assert_eq!(
                ps.order(MCH, "1234323JKHDFE1243252").unwrap()["total_amount"],
                50000
            );
        }
    }

    // Partner sync with the seed's compact paid_time and paid_amount 1.
    let mut ps = PayScore::new();
    let mut create = seed_create();
    create["sub_mchid"] = json!(SUB);
    create["need_user_confirm"] = json!(false);
    post(&mut ps, "/v3/payscore/partner/serviceorder", create);
    let complete = json!({"service_id": SID, "sub_mchid": SUB,
                          "post_payments": [{"name": "就餐费用", "amount": 1}], "total_amount": 1});
    post(
        &mut ps,
        "/v3/payscore/partner/serviceorder/1234323JKHDFE1243252/complete",
        complete,
    );
    let r = post(
        &mut ps,
        "/v3/payscore/partner/serviceorder/1234323JKHDFE1243252/sync",
        seed_sync(),
    );
    assert_eq!(r, Reply::no_content());
    let o = ps.order(MCH, "1234323JKHDFE1243252").unwrap();
    assert_eq!(o["collection"]["state"], "USER_PAID");
    assert_eq!(o["collection"]["details"][0]["seq"], 1);
}

/// The same bodies read from the recorded conformance file shipped in `tests/`:
/// every case's body must pass validation, so no PARAM_ERROR may come back.
#[test]
fn seed_file_bodies_pass_validation() {
    let text = include_str!("../../../wechatpay/tests/conformance/seed.jsonl");
    let mut seen = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let Some(request) = case["requests"].get(0) else {
            continue;
        };
        let target = request["target"].as_str().unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let body = case["vars"]["options"]["json"].clone();
        let bytes = if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&body).unwrap()
        };
        let mut ps = PayScore::with_rules(Rules {
            check_total_amount: false,
        });
        let method = request["method"].as_str().unwrap();
        let (r, _) = ps.handle(MCH, method, path, query, &bytes, NOW);
        assert_ne!(r.code(), Some("PARAM_ERROR"), "{}: {r:?}", case["case"]);
        assert_ne!(r.code(), Some("NOT_FOUND"), "{}: {r:?}", case["case"]);
        if path == "/v3/payscore/serviceorder" && method == "POST" {
            assert_eq!(r.status, 200);
        }
        seen += 1;
    }
    assert_eq!(seen, 24);
}

#[test]
fn routing() {
    let mut ps = PayScore::new();
    for path in [
        "/v3/payscore/serviceorders",
        "/v3/payscore/serviceorder/ORDER_0001/refund",
        "/v3/payscore/serviceorder/ORDER_0001",
        "/v3/payscore/partner",
        "/v3/payscore/partner/permissions",
        "/v3/pay/transactions",
        "v3/payscore/serviceorder",
        "",
        "/",
    ] {
        let r = ps.handle(MCH, "POST", path, "", b"{}", NOW).0;
        assert_err(&r, 404, "NOT_FOUND", "");
    }
    let r = ps
        .handle(MCH, "DELETE", "/v3/payscore/serviceorder", "", b"", NOW)
        .0;
    assert_err(&r, 405, "METHOD_NOT_ALLOWED", "GET, POST");
    let r = ps
        .handle(
            MCH,
            "GET",
            "/v3/payscore/serviceorder/ORDER_0001/cancel",
            "",
            b"",
            NOW,
        )
        .0;
    assert_err(&r, 405, "METHOD_NOT_ALLOWED", "POST");
    // Methods are case-insensitive; the path's out_order_no is percent-decoded.
    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER|0001", true),
    );
    let cancel =
        serde_json::to_vec(&json!({"appid": APPID, "service_id": SID, "reason": "r"})).unwrap();
    let r = ps
        .handle(
            MCH,
            "post",
            "/v3/payscore/serviceorder/ORDER%7C0001/cancel",
            "",
            &cancel,
            NOW,
        )
        .0;
    assert_eq!(r.status, 200, "{r:?}");
    // A decoded slash or a bad escape is not a valid out_order_no.
    for id in ["ORDER%2F0001", "ORDER%zz01", "%FF%FE%FD%FC%FB%FA", ""] {
        let r = ps
            .handle(
                MCH,
                "POST",
                &format!("/v3/payscore/serviceorder/{id}/cancel"),
                "",
                &cancel,
                NOW,
            )
            .0;
        assert_err(&r, 400, "PARAM_ERROR", "out_order_no");
    }
}

#[test]
fn never_panics_on_garbage() {
    let mut ps = PayScore::new();
    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_G001", false),
    );
    let paths = [
        "/v3/payscore/serviceorder",
        "/v3/payscore/partner/serviceorder",
        "/v3/payscore/oversea/partner/serviceorder",
        "/v3/payscore/serviceorder/ORDER_G001/complete",
        "/v3/payscore/serviceorder/ORDER_G001/modify",
        "/v3/payscore/serviceorder/ORDER_G001/sync",
        "/v3/payscore/serviceorder/ORDER_G001/cancel",
        "/v3/payscore/partner/serviceorder/ORDER_G001/sync",
        "/v3/payscore/oversea/partner/serviceorder/ORDER_G001/sync",
        "/v3/payscore/serviceorder/%/sync",
        "/v3/payscore/serviceorder/%E4%B8%AD/sync",
        "/v3/payscore/serviceorder/中文订单号/sync",
        "/v3/payscore/serviceorder?x=1",
        "//v3//payscore//serviceorder",
        "/v3/payscore/serviceorder/a/b/c/d",
        "\u{0}\u{ffff}",
    ];
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\xff\xff\xff".to_vec(),
        b"{".to_vec(),
        b"[]".to_vec(),
        b"{\"detail\":[]}".to_vec(),
        b"{\"post_payments\":[1,2,3],\"total_amount\":1e400}".to_vec(),
        br#"{"appid":"wxd678efh567hg6787","service_id":"2002000000000558128851361561536","type":"Order_Paid","detail":{"paid_time":"9999-12-31T23:59:59-23:59","seq":4294967296,"paid_amount":9223372036854775807}}"#.to_vec(),
        br#"{"post_payments":[{"name":"a","amount":9223372036854775807},{"name":"b","amount":9223372036854775807}],"total_amount":1,"appid":"wxd678efh567hg6787","service_id":"2002000000000558128851361561536","reason":"r"}"#.to_vec(),
        br#"{"time_range":{"start_time":"99999999999999"},"risk_fund":{"name":"DEPOSIT","amount":-1}}"#.to_vec(),
        serde_json::to_vec(&create_body("ORDER_G002", true)).unwrap(),
        serde_json::to_vec(&json!({"a": "b".repeat(100_000)})).unwrap(),
        br#"{"sub_mchid":null,"service_id":null,"appid":{"x":1}}"#.to_vec(),
    ];
    let queries = [
        "",
        "&&&",
        "=",
        "out_order_no",
        "%",
        "%zz=%",
        "query_id=%FF&service_id=%00",
        "a=b=c",
    ];
    for method in ["GET", "POST", "PUT", "", "\u{1F600}"] {
        for path in paths {
            for body in &bodies {
                for query in queries {
                    for now in [i64::MIN, -1, 0, NOW, i64::MAX] {
                        let (r, _) = ps.handle(MCH, method, path, query, body, now);
                        assert!(matches!(r.status, 200 | 204 | 400 | 404 | 405), "{r:?}");
                        if r.status >= 400 {
                            assert!(r.code().is_some() && r.message().is_some());
                        }
                    }
                }
            }
        }
    }
    // Extreme clocks do not break the control calls either.
    post(
        &mut ps,
        "/v3/payscore/serviceorder",
        create_body("ORDER_G003", true),
    );
    ps.user_confirm(MCH, "ORDER_G003", i64::MIN).unwrap();
    post(
        &mut ps,
        "/v3/payscore/serviceorder/ORDER_G003/complete",
        complete_body(5),
    );
    ps.user_paying_at_cashier(MCH, "ORDER_G003", i64::MAX)
        .unwrap();
    ps.user_pay(MCH, "ORDER_G003", i64::MAX).unwrap();
}

#[test]
fn time_helpers() {
    assert_eq!(fmt_rfc3339(0), "1970-01-01T08:00:00+08:00");
    assert_eq!(fmt_compact(0), "19700101080000");
    assert_eq!(parse_compact("19700101080000"), Some(0));
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_rfc3339("1970-01-01T08:00:00+08:00"), Some(0));
    assert_eq!(parse_rfc3339("1969-12-31T19:00:00-05:00"), Some(0));
    let t = parse_compact("20240229235959").unwrap();
    assert_eq!(fmt_compact(t), "20240229235959");
    assert_eq!(fmt_rfc3339(t), "2024-02-29T23:59:59+08:00");
    assert_eq!(parse_rfc3339("2024-02-29T23:59:59+08:00"), Some(t));
    assert!(parse_compact("20230229000000").is_none());
    assert!(parse_compact("2024022923595x").is_none());
    assert!(parse_compact("２０２４０２２９２３５９").is_none());
    assert!(parse_rfc3339("2024-02-29T23:59:59+0800").is_none());
    assert!(parse_rfc3339("2024-02-29T23:59:59.+08:00").is_none());
    for unix in [-86_401, 951_782_400, 1_735_660_800, 4_102_444_800] {
        assert_eq!(parse_compact(&fmt_compact(unix)), Some(unix));
        assert_eq!(parse_rfc3339(&fmt_rfc3339(unix)), Some(unix));
    }
}
