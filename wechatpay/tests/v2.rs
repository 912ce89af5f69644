//! APIv2 (XML): the PHP recordings in `tests/conformance/v2.jsonl` replayed
//! call for call, then what they do not cover: round trips, unsigned
//! endpoints, hostile replies, mTLS over loopback, the v2-only build, the
//! sandbox, and refund notifications.

#[path = "support/v2.rs"]
mod support;

use serde_json::{Map, Value, json};
use support::{MCHID, SECRET, Seen, V2Server, signed_xml, tls_path};
use wechatpay::{
    Builder, Client, Error, Options, Response, VerificationFailure, chain, crypto::aes_ecb,
    normalize, transformer::to_map, v2,
};

fn cases() -> Vec<Value> {
    let path = format!("{}/tests/conformance/v2.jsonl", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `$instance->v2->pay->micropay->postAsync(…)`, `$instance->chain('…')->get(…)`,
/// `$instance['…']->post(…)`: the chain it addresses, the verb, async or not.
fn parse_call(client: &Client, call: &str) -> (wechatpay::Chain, http::Method, bool) {
    let rest = call.strip_prefix("$instance").unwrap();
    let (chain, tail) = if let Some(r) = rest.strip_prefix("->chain('") {
        let (t, tail) = r.split_once("')").unwrap();
        (client.chain(t), tail)
    } else if let Some(r) = rest.strip_prefix("['") {
        let (t, tail) = r.split_once("']").unwrap();
        (client[t].clone(), tail)
    } else {
        let verb_at = rest.find('(').unwrap();
        let cut = rest[..verb_at].rfind("->").unwrap();
        let mut segments = rest[2..cut].split("->");
        let mut c = client.chain(&normalize(segments.next().unwrap()));
        for s in segments {
            c = c.chain(&normalize(s));
        }
        (c, &rest[cut..])
    };
    let verb = tail.trim_start_matches("->").split('(').next().unwrap();
    let is_async = verb.ends_with("Async");
    let method = verb
        .trim_end_matches("Async")
        .to_uppercase()
        .parse()
        .unwrap();
    (chain, method, is_async)
}

fn run(
    chain: &wechatpay::Chain,
    method: http::Method,
    is_async: bool,
    options: Options,
    rt: &tokio::runtime::Runtime,
) -> Result<Response, Error> {
    if is_async {
        rt.block_on(chain.request_async(method, options))
    } else {
        chain.request(method, options)
    }
}

/// A value as the XML (and the sign) carries it.
fn as_text(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    }
}

/// The `<sign>` PHP sent, read without an XML parser (PHP's XML can be broken).
fn php_sign(body: &str) -> Option<&str> {
    let start = body.find("<sign>")? + "<sign>".len();
    let end = body[start..].find("</sign>")? + start;
    Some(&body[start..end])
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn replays_every_recorded_php_case() {
    let server = V2Server::start();
    let client = server.client();
    let rt = rt();
    let mut n = 0;
    for case in cases() {
        let name = case["case"].as_str().unwrap();
        let mode = case["mode"].as_str().unwrap();
        let opts = &case["vars"]["options"];
        let (chain, method, is_async) = parse_call(&client, case["call"].as_str().unwrap());
        if let Some(reply) = case["requests"][0]["server_response"].as_object() {
            server.set_reply(
                reply["status"].as_u64().unwrap() as u16,
                "text/xml; charset=utf-8",
                reply["body"].as_str().unwrap().to_string(),
            );
        }
        let result = run(&chain, method, is_async, opts.clone().into(), &rt);
        let seen = server.take_seen();
        assert_eq!(
            seen.len() as u64,
            case["request_count"].as_u64().unwrap(),
            "{name}: requests on the wire"
        );

        if let Some(recorded) = case["requests"][0].as_object() {
            let ours = &seen[0];
            assert_eq!(ours.method, recorded["method"].as_str().unwrap(), "{name}");
            // Same signed fields, in PHP's order: the payload, nonce_str, sign.
            let fields = ours.fields.as_ref().expect("our body parses");
            assert!(ours.sign_ok, "{name}: WeChat Pay must accept our sign");
            let given = opts["xml"]
                .as_object()
                .or(opts["query"].as_object())
                .unwrap();
            let fixed_nonce = given.contains_key("nonce_str") || opts["nonceless"] == true;
            let mut expected: Map<String, Value> =
                given.iter().map(|(k, v)| (k.clone(), as_text(v))).collect();
            if opts["nonceless"] != true && !given.contains_key("nonce_str") {
                let nonce = fields["nonce_str"].as_str().unwrap();
                assert_eq!(nonce.len(), 32, "{name}");
                assert!(nonce.bytes().all(|b| b.is_ascii_alphanumeric()), "{name}");
                expected.insert("nonce_str".into(), nonce.into());
            }
            let php_body = recorded["body"].as_str().unwrap();
            let php_target = recorded["target"].as_str().unwrap();
            let recorded_sign = php_sign(php_body)
                .map(str::to_string)
                .or_else(|| php_target.split("sign=").nth(1).map(str::to_string))
                .unwrap();
            let sign = if fixed_nonce {
                // Deterministic: PHP's own sign, byte for byte.
                recorded_sign
            } else {
                fields["sign"].as_str().unwrap().to_string()
            };
            expected.insert("sign".into(), sign.into());
            assert_eq!(
                Value::Object(fields.clone()),
                Value::Object(expected.clone()),
                "{name}: signed fields"
            );
            assert_eq!(
                fields.keys().collect::<Vec<_>>(),
                expected.keys().collect::<Vec<_>>(),
                "{name}: field order"
            );
            // PHP writes `]]>` inside CDATA as broken XML; elsewhere its body
            // reads back to what we sent.
            if fixed_nonce && ours.method == "POST" && name != "nested_and_special_xml" {
                assert_eq!(to_map(php_body).ok(), ours.fields.clone(), "{name}");
            }
            if name == "nested_and_special_xml" {
                assert_eq!(fields["attach"], "]]>tricky");
                assert_eq!(fields["detail"], r#"{"goods":[{"id":"1 & 2 <x>"}]}"#);
            }
            if method_is_get(ours) {
                assert_eq!(ours.target, php_target, "{name}: the exact signed query");
                assert!(ours.body.is_empty());
            } else {
                assert_eq!(ours.target, php_target, "{name}");
            }
            for h in ["Accept", "Content-Type"] {
                assert_eq!(
                    ours.headers.get(h).map(|v| v.to_str().unwrap()),
                    recorded["selected_headers"][h].as_str(),
                    "{name}: {h}"
                );
            }
            assert!(ours.headers.get("Authorization").is_none(), "{name}");
            assert!(ours.headers.get("Wechatpay-Serial").is_none(), "{name}");
        }

        // The same outcome.
        let outcome = &case["outcome"];
        if outcome["ok"] == true {
            let r = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                r.status().as_u16() as u64,
                outcome["response"]["status"].as_u64().unwrap()
            );
            assert_eq!(
                r.body().as_ref(),
                outcome["response"]["body"].as_str().unwrap().as_bytes()
            );
        } else {
            let err = result.expect_err(name);
            let thrown = if outcome["exception"].is_object() {
                &outcome["exception"]
            } else {
                &outcome["rejection"]
            };
            match (thrown["class"].as_str(), mode) {
                (Some("WeChatPay\\Exception\\InvalidArgumentException"), _) => {
                    assert!(matches!(err, Error::Options(_)), "{name}: {err:?}");
                    let text = err.to_string();
                    assert!(
                        text.contains("1900000002") && text.contains(MCHID),
                        "{name}: {text}"
                    );
                    assert!(err.is_before_send());
                }
                (_, "badsig") => assert!(
                    matches!(
                        err,
                        Error::Verification {
                            reason: VerificationFailure::BadXmlSign(_),
                            ..
                        }
                    ),
                    "{name}: {err:?}"
                ),
                (_, "fail_return") => assert!(
                    matches!(&err, Error::Api { status, code: Some(c), message: Some(m), .. }
                        if status.as_u16() == 200 && c == "FAIL" && m == "oracle: simulated FAIL"),
                    "{name}: {err:?}"
                ),
                other => panic!("{name}: unmapped outcome {other:?}"),
            }
        }
        n += 1;
    }
    assert_eq!(n, 15);
}

fn method_is_get(seen: &Seen) -> bool {
    seen.method == "GET"
}

fn micropay_xml() -> Value {
    json!({
        "appid": "wx8888888888888888", "mch_id": MCHID, "body": "image形象店-深圳腾大- QQ公仔",
        "out_trade_no": "1217752501201407033233368018", "total_fee": 888,
        "spbill_create_ip": "8.8.8.8", "auth_code": "120061098828009406",
    })
}

fn ok_reply(server: &V2Server) {
    server.set_signed_reply(
        &[("return_code", "SUCCESS"), ("result_code", "SUCCESS")],
        false,
    );
}

#[test]
fn chain_macro_and_v2_prefix_in_any_case() {
    let server = V2Server::start();
    let client = server.client();
    ok_reply(&server);
    chain!(client.v2.pay.micropay)
        .post(json!({"xml": micropay_xml()}))
        .unwrap();
    chain!(client.V2.pay.micropay)
        .post(json!({"xml": micropay_xml()}))
        .unwrap();
    client
        .chain("V2/pay/micropay")
        .post(json!({"xml": micropay_xml()}))
        .unwrap();
    let seen = server.take_seen();
    assert!(
        seen.iter()
            .all(|s| s.target == "/pay/micropay" && s.sign_ok)
    );
}

#[test]
fn round_trips_any_string_and_structure() {
    let server = V2Server::start();
    let client = server.client();
    ok_reply(&server);
    let mut xml = micropay_xml();
    xml["attach"] = json!("a]]>b\r\nc & <d> \"e\" '中文' \u{1F600}");
    xml["sign_type"] = json!("HMAC-SHA256");
    xml["total_fee"] = json!(888.0);
    client["v2/pay/micropay"].post(json!({"xml": xml})).unwrap();
    // Nested maps and lists are written as elements (their sign covers
    // their JSON text, which WeChat Pay never asks for: `detail` is a string).
    let mut nested = micropay_xml();
    nested["scene_info"] = json!({"store_info": {"id": "SZTX001", "name": "腾讯大厦"}});
    nested["coupon"] = json!(["c1", "c2"]);
    client["v2/pay/micropay"]
        .post(json!({"xml": nested}))
        .unwrap();
    let seen = server.take_seen();
    let fields = seen[0].fields.as_ref().unwrap();
    assert!(seen[0].sign_ok);
    assert_eq!(fields["attach"], xml["attach"]);
    assert_eq!(
        fields["total_fee"], "888",
        "sent and signed as PHP prints it"
    );
    assert_eq!(fields["sign"].as_str().unwrap().len(), 64);
    let fields = seen[1].fields.as_ref().unwrap();
    assert_eq!(fields["scene_info"], nested["scene_info"]);
    assert_eq!(fields["coupon"], json!(["c1", "c2"]));
    // And a reply with the same shapes verifies and parses back.
    let mut reply = Map::new();
    for (k, v) in [
        ("return_code", "SUCCESS"),
        ("result_code", "SUCCESS"),
        ("attach", "a]]>b & <c>"),
    ] {
        reply.insert(k.into(), v.into());
    }
    let sign = v2::sign(&reply, SECRET).unwrap();
    reply.insert("sign".into(), sign.into());
    server.set_reply(
        200,
        "text/xml",
        wechatpay::transformer::to_xml(&reply).unwrap(),
    );
    let r = client["v2/pay/orderquery"]
        .post(json!({"xml": {"mch_id": MCHID, "out_trade_no": "A"}}))
        .unwrap();
    assert_eq!(v2::parse(r.body()).unwrap(), reply);
}

#[test]
fn refuses_before_sending() {
    let server = V2Server::start();
    let client = server.client();
    let post = |o: Value| client["v2/pay/micropay"].post(o);
    let mut no_mchid = micropay_xml();
    no_mchid.as_object_mut().unwrap().remove("mch_id");
    let mut other_key = micropay_xml();
    other_key.as_object_mut().unwrap().remove("mch_id");
    other_key["combine_mch_id"] = json!("1900000009");
    for (what, options) in [
        ("absent mch_id, as PHP", json!({"xml": no_mchid})),
        ("combine_mch_id", json!({"xml": other_key})),
        ("mchid", json!({"xml": {"mchid": "1900000009"}})),
        (
            "sign_type",
            json!({"xml": {"mch_id": MCHID, "sign_type": "SHA1"}}),
        ),
        ("json", json!({"json": {}, "xml": micropay_xml()})),
        ("body", json!({"body": "x", "xml": micropay_xml()})),
        ("xml not a map", json!({"xml": "<xml/>"})),
        (
            "security not a bool",
            json!({"security": "yes", "xml": micropay_xml()}),
        ),
        (
            "nonceless not a bool",
            json!({"nonceless": 1, "xml": micropay_xml()}),
        ),
        (
            "unwritable key",
            json!({"xml": {"mch_id": MCHID, "a b": "1"}}),
        ),
    ] {
        let e = post(options).expect_err(what);
        assert!(e.is_before_send(), "{what}: {e:?}");
    }
    // `mchid` (transfers) and a number that prints as the mchid are fine.
    ok_reply(&server);
    post(json!({"xml": {"mchid": MCHID}})).unwrap();
    post(json!({"xml": {"mch_id": 1900000001_u64}})).unwrap();
    assert_eq!(server.take_seen().len(), 2);
    // No client certificate configured: `security: true` is a configuration error.
    let e = post(json!({"security": true, "xml": micropay_xml()})).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(server.take_seen().is_empty());
}

#[test]
fn secrets_and_credentials_are_configuration() {
    let server = V2Server::start();
    ok_reply(&server);
    // v2-only: mchid + secret.
    let v2_only = server.v2_only_builder().build().unwrap();
    v2_only["v2/pay/micropay"]
        .post(json!({"xml": micropay_xml()}))
        .unwrap();
    let e = v2_only["v3/payscore/serviceorder"]
        .get(json!({"query": {"a": "1"}}))
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert_eq!(server.take_seen().len(), 1, "the v3 call never left");
    // APIv3 without a secret: a v2 call is a configuration error.
    let no_secret = Builder::new()
        .mchid(MCHID)
        .serial(support::SERIAL)
        .private_key(
            wechatpay::crypto::PrivateKey::from_pem(&format!(
                "file://{}",
                support::key_path("merchant_private_key.pem")
            ))
            .unwrap(),
        )
        .cert(
            support::PUB_KEY_ID,
            wechatpay::crypto::PublicKey::from_pem(&format!(
                "file://{}",
                support::key_path("platform_public_key.pem")
            ))
            .unwrap(),
        )
        .base_uri(server.base_uri())
        .build()
        .unwrap();
    let e = no_secret["v2/pay/micropay"]
        .post(json!({"xml": micropay_xml()}))
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(m) if m.contains("secret")),
        "{e:?}"
    );
    // A half-given APIv3 configuration is still refused.
    let e = server
        .v2_only_builder()
        .serial(support::SERIAL)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("private_key"), "{e}");
    // Nothing prints the secret.
    let b = server.v2_only_builder();
    assert!(!format!("{b:?} {v2_only:?} {e:?} {e}").contains(SECRET));
}

#[test]
fn get_signs_its_query_and_headers_merge() {
    let server = V2Server::start();
    let client = server.client();
    ok_reply(&server);
    client["v2/tools/authcodetoopenid"]
        .get(
            json!({"xml": {"appid": "wx1", "mch_id": MCHID, "auth_code": "a b"}, "nonceless": true,
            "headers": {"X-Trace": "1"}}),
        )
        .unwrap();
    client["v2/tools/authcodetoopenid?appid=wx1&mch_id=1900000001"]
        .get(json!({"query": {"auth_code": "120061098828009406"}, "nonceless": true}))
        .unwrap();
    let seen = server.take_seen();
    assert!(seen.iter().all(|s| s.sign_ok && s.body.is_empty()));
    assert!(
        seen[0].target.starts_with(
            "/tools/authcodetoopenid?appid=wx1&mch_id=1900000001&auth_code=a%20b&sign="
        )
    );
    assert_eq!(seen[0].headers["X-Trace"], "1");
    assert!(seen[1].target.starts_with(
        "/tools/authcodetoopenid?appid=wx1&mch_id=1900000001&auth_code=120061098828009406&sign="
    ));
}

#[test]
fn replies_are_checked_for_codes_and_sign() {
    let server = V2Server::start();
    let client = server.client();
    let post = || client["v2/pay/micropay"].post(json!({"xml": micropay_xml()}));
    // HMAC-SHA256 replies (64 hex) verify too.
    server.set_signed_reply(
        &[("return_code", "SUCCESS"), ("result_code", "SUCCESS")],
        true,
    );
    post().unwrap();
    // A business failure, signed: its err_code.
    server.set_signed_reply(
        &[
            ("return_code", "SUCCESS"),
            ("result_code", "FAIL"),
            ("err_code", "USERPAYING"),
            ("err_code_des", "需要用户输入支付密码"),
        ],
        false,
    );
    let e = post().unwrap_err();
    assert!(
        matches!(&e, Error::Api { status, code: Some(c), message: Some(m), .. }
        if status.as_u16() == 200 && c == "USERPAYING" && m == "需要用户输入支付密码"),
        "{e:?}"
    );
    assert!(e.response().is_some());
    // SUCCESS without a sign, or signed with another secret: not trusted.
    for body in [
        "<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code></xml>"
            .to_string(),
        signed_xml(&[("return_code", "SUCCESS")], false).replace(
            "SUCCESS]]></return_code>",
            "SUCCESS]]></return_code><x>1</x>",
        ),
    ] {
        server.set_reply(200, "text/xml", body);
        let e = post().unwrap_err();
        assert!(
            matches!(
                e,
                Error::Verification {
                    reason: VerificationFailure::BadXmlSign(_),
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(!e.to_string().contains(SECRET));
    }
    // A forged business failure is a verification error, not a trusted code.
    server.set_reply(200, "text/xml", "<xml><return_code>SUCCESS</return_code><result_code>FAIL</result_code><err_code>NOTENOUGH</err_code></xml>");
    assert!(matches!(post().unwrap_err(), Error::Verification { .. }));
    // HTTP errors keep their status.
    server.set_reply(
        503,
        "text/xml",
        "<xml><return_code>FAIL</return_code><return_msg>busy</return_msg></xml>",
    );
    let e = post().unwrap_err();
    assert!(
        matches!(&e, Error::Api { status, code: Some(c), .. } if status.as_u16() == 503 && c == "FAIL"),
        "{e:?}"
    );
}

#[test]
fn unsigned_endpoints_pass_through() {
    let server = V2Server::start();
    let client = server.client();
    let bill = json!({"xml": {"appid": "wx8888888888888888", "mch_id": MCHID, "bill_date": "20140603", "bill_type": "ALL"}});
    // CSV on success, as received.
    let csv = "交易时间,公众账号ID,商户号\n`2014-06-03 10:00:00,`wx8888888888888888,`1900000001\n总交易单数\n`1\n";
    server.set_reply(200, "text/plain;charset=utf-8", csv);
    let r = client["v2/pay/downloadbill"].post(bill.clone()).unwrap();
    assert_eq!(r.body().as_ref(), csv.as_bytes());
    // gzip on success, untouched.
    let gz: &[u8] = &[0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff];
    server.set_reply(200, "application/x-gzip", gz.to_vec());
    let r = client["v2/pay/downloadfundflow"]
        .post(json!({"security": false, "xml": {"mch_id": MCHID}}))
        .unwrap();
    assert_eq!(r.body().as_ref(), gz);
    // XML on failure: an error with WeChat Pay's code.
    server.set_reply(200, "text/xml", "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[No Bill Exist]]></return_msg><error_code><![CDATA[20002]]></error_code></xml>");
    let e = client["v2/pay/downloadbill"].post(bill).unwrap_err();
    assert!(
        matches!(&e, Error::Api { code: Some(c), message: Some(m), .. } if c == "20002" && m == "No Bill Exist"),
        "{e:?}"
    );
    // Unsigned XML (a transfer) is fine when it succeeds, an error when it fails.
    server.set_reply(200, "text/xml", "<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code><payment_no>1</payment_no></xml>");
    client["v2/mmpaymkttransfers/promotion/transfers"]
        .post(json!({"xml": {"mchid": MCHID}}))
        .unwrap();
    server.set_reply(200, "text/xml", "<xml><return_code>SUCCESS</return_code><result_code>FAIL</result_code><err_code>NOTENOUGH</err_code></xml>");
    let e = client["v2/mmpaymkttransfers/promotion/transfers"]
        .post(json!({"xml": {"mchid": MCHID}}))
        .unwrap_err();
    assert!(
        matches!(&e, Error::Api { code: Some(c), .. } if c == "NOTENOUGH"),
        "{e:?}"
    );
    // The RSA public key, unsigned.
    server.set_reply(200, "text/xml", "<xml><return_code>SUCCESS</return_code><mch_id>1900000001</mch_id><pub_key><![CDATA[-----BEGIN RSA PUBLIC KEY-----\nAA==\n-----END RSA PUBLIC KEY-----]]></pub_key></xml>");
    client["v2/risk/getpublickey"]
        .post(json!({"xml": {"mch_id": MCHID}}))
        .unwrap();
}

#[test]
fn hostile_replies_are_rejected_as_xml_errors() {
    let server = V2Server::start();
    let client = server.client();
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><return_code>&lol3;</return_code></xml>"#;
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><return_code>&xxe;</return_code></xml>"#;
    let undeclared = "<xml><return_code>&xxe;</return_code></xml>";
    let deep = format!(
        "<xml>{}SUCCESS{}</xml>",
        "<a>".repeat(5000),
        "</a>".repeat(5000)
    );
    let huge = format!(
        "<xml><return_code>SUCCESS</return_code><x>{}</x></xml>",
        "A".repeat(5 << 20)
    );
    let many = format!("<xml>{}</xml>", "<a/>".repeat(20_000));
    let bytes: Vec<Vec<u8>> = vec![
        laughs.into(),
        xxe.into(),
        undeclared.into(),
        deep.into(),
        huge.into(),
        many.into(),
        b"\xff\xfe<xml/>".to_vec(),
        b"".to_vec(),
        b"<xml><return_code>SUCCESS</return_code>".to_vec(),
    ];
    for body in bytes {
        let len = body.len();
        server.set_reply(200, "text/xml", body);
        let e = client["v2/pay/micropay"]
            .post(json!({"xml": micropay_xml()}))
            .unwrap_err();
        assert!(matches!(e, Error::Xml(_)), "{len} bytes: {e:?}");
    }
}

#[test]
fn mutual_tls_accepts_the_client_certificate_and_refuses_without() {
    let server = V2Server::start_tls();
    server.set_signed_reply(
        &[("return_code", "SUCCESS"), ("result_code", "SUCCESS")],
        false,
    );
    let ca = std::fs::read_to_string(tls_path("ca.pem")).unwrap();
    let refund = json!({"security": true, "xml": {"appid": "wx8888888888888888", "mch_id": MCHID,
        "out_trade_no": "1217752501201407033233368018", "out_refund_no": "R1", "total_fee": 888, "refund_fee": 888}});
    let with = |b: Builder| b.root_certificate(ca.clone()).build().unwrap();
    let pem = with(server.v2_only_builder().client_cert(
        format!("file://{}", tls_path("client.pem")),
        std::fs::read_to_string(tls_path("client.key")).unwrap(),
    ));
    let p12 = with(
        server
            .v2_only_builder()
            .client_cert_p12(std::fs::read(tls_path("client.p12")).unwrap()),
    );
    let legacy = with(
        server
            .v2_only_builder()
            .client_cert_p12(std::fs::read(tls_path("client.legacy.p12")).unwrap()),
    );
    let rt = rt();
    for client in [&pem, &p12, &legacy] {
        client["v2/secapi/pay/refund"].post(refund.clone()).unwrap();
        rt.block_on(client["v2/secapi/pay/refund"].post_async(refund.clone()))
            .unwrap();
    }
    assert_eq!(server.take_seen().len(), 6);
    assert_eq!(
        server.handshakes.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "one pooled connection per client"
    );
    assert_eq!(server.refused.load(std::sync::atomic::Ordering::SeqCst), 0);

    // The same client without `security`: no certificate, no handshake.
    let mut plain = refund.clone();
    plain["security"] = json!(false);
    let e = pem["v2/secapi/pay/refund"].post(plain).unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert!(server.take_seen().is_empty());
    // The server counts the refused handshake on its own task, which may
    // finish after the client has already seen the failure.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while server.refused.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never saw the refused handshake"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }

    // A wrong password (mchid) or a broken certificate is caught by build().
    let e = server
        .v2_only_builder()
        .mchid("1900000002")
        .client_cert_p12(std::fs::read(tls_path("client.p12")).unwrap())
        .build()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(m) if m.contains("password")),
        "{e:?}"
    );
    let e = server
        .v2_only_builder()
        .client_cert(
            std::fs::read_to_string(tls_path("client.key")).unwrap(),
            std::fs::read_to_string(tls_path("client.key")).unwrap(),
        )
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(!format!("{e}").contains("PRIVATE KEY-----\nMII"));
}

#[test]
fn refund_req_info_decrypts_to_a_map() {
    // PHP's fixture (tests/fixtures/refund.notification.req_info.sample.xml), encrypted as WeChat Pay does.
    let plain = "<root>\n<out_refund_no><![CDATA[131811191610442717309]]></out_refund_no>\n<refund_fee><![CDATA[3960]]></refund_fee>\n<refund_recv_accout><![CDATA[支付用户零钱]]></refund_recv_accout>\n<refund_status><![CDATA[SUCCESS]]></refund_status>\n<success_time><![CDATA[2018-11-19 16:24:13]]></success_time>\n</root>\n";
    let req_info =
        aes_ecb::encrypt(aes_ecb::derive_key(SECRET).as_bytes(), plain.as_bytes()).unwrap();
    let notification = format!(
        "<xml><return_code>SUCCESS</return_code><appid><![CDATA[wx8888888888888888]]></appid><mch_id><![CDATA[1900000001]]></mch_id><nonce_str><![CDATA[TeqClE3i0mvn3DrK]]></nonce_str><req_info><![CDATA[{req_info}]]></req_info></xml>"
    );
    let outer = v2::parse(notification.as_bytes()).unwrap();
    let info = v2::decrypt_refund_req_info(outer["req_info"].as_str().unwrap(), SECRET).unwrap();
    assert_eq!(info["refund_status"], "SUCCESS");
    assert_eq!(info["refund_recv_accout"], "支付用户零钱");
    assert_eq!(info["success_time"], "2018-11-19 16:24:13");
    let e = v2::decrypt_refund_req_info(&req_info, "not the secret").unwrap_err();
    assert!(matches!(e, Error::Crypto(_)), "{e:?}");
}

mod sandbox {
    use super::*;
    use wechatpay_sandbox::Sandbox;

    fn pay(
        client: &Client,
        out_trade_no: &str,
        auth_code: &str,
    ) -> Result<Map<String, Value>, Error> {
        let r = client["v2/pay/micropay"].post(json!({"xml": {
            "appid": "wx8888888888888888", "mch_id": "1900000001", "body": "image形象店-深圳腾大- QQ公仔",
            "out_trade_no": out_trade_no, "total_fee": 888, "spbill_create_ip": "8.8.8.8", "auth_code": auth_code,
        }}))?;
        v2::parse(r.body())
    }

    fn code(e: Error) -> String {
        match e {
            Error::Api { code: Some(c), .. } => c,
            other => panic!("expected an API error, got {other:?}"),
        }
    }

    #[test]
    fn micropay_then_orderquery_like_wechat_pay() {
        let sandbox = Sandbox::start_blocking().unwrap();
        let client = sandbox.client().unwrap();
        let paid = pay(&client, "SANDBOXV2A1", "134567890123456789").unwrap();
        assert_eq!(paid["result_code"], "SUCCESS");
        assert_eq!(paid["trade_type"], "MICROPAY");
        assert_eq!(paid["total_fee"], "888");
        assert_eq!(paid["transaction_id"].as_str().unwrap().len(), 28);
        assert!(v2::verify(&paid, &sandbox.keys().apiv2_secret).is_ok());

        let q = client["v2/pay/orderquery"]
            .post(json!({"xml": {"appid": "wx8888888888888888", "mch_id": "1900000001", "out_trade_no": "SANDBOXV2A1", "sign_type": "HMAC-SHA256"}}))
            .unwrap();
        let q = v2::parse(q.body()).unwrap();
        assert_eq!(q["trade_state"], "SUCCESS");
        assert_eq!(q["transaction_id"], paid["transaction_id"]);
        assert_eq!(
            q["sign"].as_str().unwrap().len(),
            64,
            "signed in the request's sign_type"
        );
        let by_id = client["v2/pay/orderquery"]
            .post(json!({"xml": {"appid": "wx8888888888888888", "mch_id": "1900000001", "transaction_id": paid["transaction_id"]}}))
            .unwrap();
        assert_eq!(
            v2::parse(by_id.body()).unwrap()["out_trade_no"],
            "SANDBOXV2A1"
        );

        assert_eq!(
            code(pay(&client, "SANDBOXV2A1", "134567890123456780").unwrap_err()),
            "ORDERPAID"
        );
        assert_eq!(
            code(pay(&client, "SANDBOXV2A2", "134567890123456789").unwrap_err()),
            "AUTHCODEEXPIRE"
        );
        assert_eq!(
            code(pay(&client, "SANDBOXV2A3", "990000000000000000").unwrap_err()),
            "AUTH_CODE_INVALID"
        );
        let e = client["v2/pay/micropay"]
            .post(json!({"xml": {"appid": "wx8888888888888888", "mch_id": "1900000001", "body": "x"}}))
            .unwrap_err();
        assert_eq!(code(e), "PARAM_ERROR");
        let e = client["v2/pay/orderquery"]
            .post(json!({"xml": {"appid": "wx8888888888888888", "mch_id": "1900000001", "out_trade_no": "NOPE"}}))
            .unwrap_err();
        assert_eq!(code(e), "ORDERNOTEXIST");
    }

    #[test]
    fn a_wrong_secret_is_a_sign_error_and_async_works() {
        let sandbox = Sandbox::start_blocking().unwrap();
        let wrong = sandbox
            .client_builder()
            .unwrap()
            .secret("another-secret")
            .build()
            .unwrap();
        let e = pay(&wrong, "SANDBOXV2B1", "120061098828009406").unwrap_err();
        assert!(
            matches!(&e, Error::Api { code: Some(c), message: Some(m), .. } if c == "FAIL" && m == "签名错误"),
            "{e:?}"
        );

        let client = Builder::new()
            .mchid(sandbox.keys().mchid.clone())
            .secret(sandbox.keys().apiv2_secret.clone())
            .base_uri(sandbox.base_uri())
            .build()
            .unwrap();
        let r = rt()
            .block_on(client["v2/pay/micropay"].post_async(json!({"xml": {
                "appid": "wx8888888888888888", "mch_id": "1900000001", "body": "x",
                "out_trade_no": "SANDBOXV2B2", "total_fee": 1, "spbill_create_ip": "8.8.8.8", "auth_code": "120061098828009407",
            }})))
            .unwrap();
        assert_eq!(v2::parse(r.body()).unwrap()["out_trade_no"], "SANDBOXV2B2");
    }
}
