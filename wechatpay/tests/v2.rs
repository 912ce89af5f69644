//! APIv2 (XML): the PHP recordings in `tests/conformance/v2.jsonl` replayed
//! call for call, then what they do not cover: round trips, unsigned
//! endpoints, hostile replies, mTLS over loopback, the v2-only build, a
//! layer that edits the payload, the sandbox's own APIv2 routes, and refund
//! notifications. Every call goes to the sandbox, which checks each `sign`
//! as WeChat Pay does (`RecordedRequest::signature`) and answers with stubs.

mod support;

use bytes::Bytes;
use serde_json::{Map, Value, json};
use support::{
    MCHID, SECRET, conformance_sandbox, conformance_sandbox_builder, key_path, key_text,
    php_instance, php_v3, v2_fields, v2_only,
};
use wechatpay::{
    Builder, Client, Error, Options, Response, VerificationFailure, chain,
    crypto::aes_ecb,
    middleware::{BoxFuture, Middleware, Next, Request},
    normalize,
    transformer::{to_map, to_xml},
    v2,
};
use wechatpay_sandbox::{Protocol, Sandbox, SandboxTls, Stub};

fn tls_path(name: &str) -> String {
    key_path(&format!("tls/{name}"))
}

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
        // Index takes literals; a recorded template lives for the test run.
        (
            client[&*Box::leak(t.to_string().into_boxed_str())].clone(),
            tail,
        )
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

/// Answers every request with these bytes as given, in place of earlier answers.
fn reply(sandbox: &Sandbox, status: u16, content_type: &str, body: impl Into<Bytes>) {
    sandbox.clear_stubs();
    sandbox.stub(Stub::any().status(status).raw(content_type, body));
}

/// Answers every request with these fields, signed by the sandbox with the
/// APIv2 secret (MD5, or HMAC-SHA256 when `hmac`), as WeChat Pay answers.
fn signed_reply(sandbox: &Sandbox, fields: &[(&str, &str)], hmac: bool) {
    sandbox.clear_stubs();
    let stub = Stub::any().xml(fields);
    sandbox.stub(if hmac { stub.hmac() } else { stub });
}

/// `fields` signed (MD5) with [`SECRET`] and written as XML, to tamper with.
fn signed_xml(fields: &[(&str, &str)]) -> String {
    let mut map: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::from(*v)))
        .collect();
    let sign = v2::sign(&map, SECRET).unwrap();
    map.insert("sign".into(), sign.into());
    to_xml(&map).unwrap()
}

/// The requests since the last look: `n`, each on `target` and signed so
/// that WeChat Pay accepts it.
fn assert_signed_requests(sandbox: &Sandbox, n: usize, target: &str) {
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), n, "{target}");
    for s in &seen {
        assert_eq!((s.target.as_str(), &s.signature), (target, &Ok(())));
    }
}

/// An API error's status, code and message.
fn api_of(e: &Error) -> (u16, Option<&str>, Option<&str>) {
    let api = e
        .api_error()
        .unwrap_or_else(|| panic!("expected an API error, got {e:?}"));
    (api.status().as_u16(), api.code(), api.message())
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn replays_every_recorded_php_case() {
    let sandbox = conformance_sandbox();
    let client = php_instance(&sandbox.base_uri()).build().unwrap();
    let rt = rt();
    let mut n = 0;
    for case in cases() {
        let name = case["case"].as_str().unwrap();
        let mode = case["mode"].as_str().unwrap();
        let opts = &case["vars"]["options"];
        let (chain, method, is_async) = parse_call(&client, case["call"].as_str().unwrap());
        sandbox.clear_stubs();
        if let Some(recorded) = case["requests"][0].as_object() {
            // The recorded answer, byte for byte (its sign is PHP's server's).
            let reply = &recorded["server_response"];
            sandbox.stub(
                Stub::new(
                    recorded["method"].as_str().unwrap(),
                    recorded["path"].as_str().unwrap(),
                )
                .status(reply["status"].as_u64().unwrap() as u16)
                .raw(
                    "text/xml; charset=utf-8",
                    reply["body"].as_str().unwrap().to_string(),
                )
                .times(1),
            );
        }
        let result = run(&chain, method, is_async, opts.clone().into(), &rt);
        let seen = sandbox.take_requests();
        assert_eq!(
            seen.len() as u64,
            case["request_count"].as_u64().unwrap(),
            "{name}: requests on the wire"
        );

        if let Some(recorded) = case["requests"][0].as_object() {
            let ours = &seen[0];
            assert_eq!(ours.method, recorded["method"].as_str().unwrap(), "{name}");
            // Same signed fields, in PHP's order: the payload, nonce_str, sign.
            assert_eq!(ours.protocol, Protocol::V2, "{name}");
            assert_eq!(
                ours.signature,
                Ok(()),
                "{name}: WeChat Pay must accept our sign"
            );
            let fields = &v2_fields(ours);
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
                assert_eq!(to_map(php_body).ok().as_ref(), Some(fields), "{name}");
            }
            if name == "nested_and_special_xml" {
                assert_eq!(fields["attach"], "]]>tricky");
                assert_eq!(fields["detail"], r#"{"goods":[{"id":"1 & 2 <x>"}]}"#);
            }
            if ours.method == "GET" {
                assert_eq!(ours.target, php_target, "{name}: the exact signed query");
                assert!(ours.body.is_empty());
            } else {
                assert_eq!(ours.target, php_target, "{name}");
            }
            for h in ["Accept", "Content-Type"] {
                assert_eq!(
                    ours.header(h),
                    recorded["selected_headers"][h].as_str(),
                    "{name}: {h}"
                );
            }
            assert!(ours.header("Authorization").is_none(), "{name}");
            assert!(ours.header("Wechatpay-Serial").is_none(), "{name}");
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
                    assert!(err.is_options(), "{name}: {err:?}");
                    let text = err.to_string();
                    assert!(
                        text.contains("1900000002") && text.contains(MCHID),
                        "{name}: {text}"
                    );
                    assert!(err.is_before_send());
                }
                (_, "badsig") => assert!(
                    matches!(
                        err.verification_failure(),
                        Some(VerificationFailure::BadXmlSign(_))
                    ),
                    "{name}: {err:?}"
                ),
                (_, "fail_return") => assert_eq!(
                    api_of(&err),
                    (200, Some("FAIL"), Some("oracle: simulated FAIL")),
                    "{name}"
                ),
                other => panic!("{name}: unmapped outcome {other:?}"),
            }
        }
        n += 1;
    }
    assert_eq!(n, 15);
}

fn micropay_xml() -> Value {
    json!({
        "appid": "wx8888888888888888", "mch_id": MCHID, "body": "image形象店-深圳腾大- QQ公仔",
        "out_trade_no": "1217752501201407033233368018", "total_fee": 888,
        "spbill_create_ip": "8.8.8.8", "auth_code": "120061098828009406",
    })
}

fn ok_reply(sandbox: &Sandbox) {
    signed_reply(
        sandbox,
        &[("return_code", "SUCCESS"), ("result_code", "SUCCESS")],
        false,
    );
}

/// A sandbox with the conformance identity, answering SUCCESS, and a client
/// configured as PHP's `$instance`.
fn ok_sandbox() -> (Sandbox, Client) {
    let sandbox = conformance_sandbox();
    ok_reply(&sandbox);
    let client = php_instance(&sandbox.base_uri()).build().unwrap();
    (sandbox, client)
}

#[test]
fn chain_macro_and_v2_prefix_in_any_case() {
    let (sandbox, client) = ok_sandbox();
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
    assert_signed_requests(&sandbox, 3, "/pay/micropay");
}

#[test]
fn round_trips_any_string_and_structure() {
    let (sandbox, client) = ok_sandbox();
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
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 2);
    let fields = &v2_fields(&seen[0]);
    assert_eq!(seen[0].signature, Ok(()));
    assert_eq!(fields["attach"], xml["attach"]);
    assert_eq!(
        fields["total_fee"], "888",
        "sent and signed as PHP prints it"
    );
    assert_eq!(fields["sign"].as_str().unwrap().len(), 64);
    let fields = &v2_fields(&seen[1]);
    assert_eq!(seen[1].signature, Ok(()));
    assert_eq!(fields["scene_info"], nested["scene_info"]);
    assert_eq!(fields["coupon"], json!(["c1", "c2"]));
    // And a reply with the same shapes verifies and parses back.
    let body = signed_xml(&[
        ("return_code", "SUCCESS"),
        ("result_code", "SUCCESS"),
        ("attach", "a]]>b & <c>"),
    ]);
    reply(&sandbox, 200, "text/xml", body.clone());
    let r = client["v2/pay/orderquery"]
        .post(json!({"xml": {"mch_id": MCHID, "out_trade_no": "A"}}))
        .unwrap();
    let parsed = v2::parse(r.body()).unwrap();
    assert_eq!(parsed, v2::parse(body.as_bytes()).unwrap());
    assert_eq!(parsed["attach"], "a]]>b & <c>");
}

#[test]
fn refuses_before_sending() {
    let (sandbox, client) = ok_sandbox();
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
        assert!(e.is_options(), "{what}: {e:?}");
    }
    assert!(sandbox.take_requests().is_empty(), "none of them was sent");
    // `mchid` (transfers) and a number that prints as the mchid are fine.
    post(json!({"xml": {"mchid": MCHID}})).unwrap();
    post(json!({"xml": {"mch_id": 1900000001_u64}})).unwrap();
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.signature.is_ok()));
    // No client certificate configured: `security: true` is a configuration error.
    let e = post(json!({"security": true, "xml": micropay_xml()})).unwrap_err();
    assert!(e.is_config() && e.is_before_send(), "{e:?}");
    assert!(sandbox.take_requests().is_empty());
}

#[test]
fn secrets_and_credentials_are_configuration() {
    let (sandbox, _) = ok_sandbox();
    let base = sandbox.base_uri();
    // v2-only: mchid + secret.
    let v2_only_client = v2_only(&base).build().unwrap();
    v2_only_client["v2/pay/micropay"]
        .post(json!({"xml": micropay_xml()}))
        .unwrap();
    let e = v2_only_client["v3/payscore/serviceorder"]
        .get(json!({"query": {"a": "1"}}))
        .unwrap_err();
    assert!(e.is_config() && e.is_before_send(), "{e:?}");
    assert_eq!(sandbox.take_requests().len(), 1, "the v3 call never left");
    // APIv3 without a secret: a v2 call is a configuration error.
    let no_secret = php_v3(&base).build().unwrap();
    let e = no_secret["v2/pay/micropay"]
        .post(json!({"xml": micropay_xml()}))
        .unwrap_err();
    assert!(e.is_config() && e.to_string().contains("secret"), "{e:?}");
    assert!(sandbox.take_requests().is_empty());
    // A half-given APIv3 configuration is still refused, naming what is
    // missing: first a WeChat Pay key, then the merchant's private key.
    let e = v2_only(&base).serial(support::SERIAL).build().unwrap_err();
    assert!(e.is_config(), "{e:?}");
    assert!(e.to_string().contains("`cert`"), "{e}");
    let platform = wechatpay::crypto::PublicKey::from_pem(&key_text("platform_public_key.pem"));
    let e = v2_only(&base)
        .serial(support::SERIAL)
        .cert(support::PUB_KEY_ID, platform.unwrap())
        .build()
        .unwrap_err();
    assert!(e.is_config(), "{e:?}");
    assert!(e.to_string().contains("private_key"), "{e}");
    // Nothing prints the secret.
    let b = v2_only(&base);
    assert!(!format!("{b:?} {v2_only_client:?} {e:?} {e}").contains(SECRET));
}

#[test]
fn get_signs_its_query_and_headers_merge() {
    let (sandbox, client) = ok_sandbox();
    client["v2/tools/authcodetoopenid"]
        .get(
            json!({"xml": {"appid": "wx1", "mch_id": MCHID, "auth_code": "a b"}, "nonceless": true,
            "headers": {"X-Trace": "1"}}),
        )
        .unwrap();
    client["v2/tools/authcodetoopenid?appid=wx1&mch_id=1900000001"]
        .get(json!({"query": {"auth_code": "120061098828009406"}, "nonceless": true}))
        .unwrap();
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter()
            .all(|s| s.method == "GET" && s.signature.is_ok() && s.body.is_empty())
    );
    assert!(
        seen[0].target.starts_with(
            "/tools/authcodetoopenid?appid=wx1&mch_id=1900000001&auth_code=a%20b&sign="
        )
    );
    assert_eq!(seen[0].header("X-Trace"), Some("1"));
    assert!(seen[1].target.starts_with(
        "/tools/authcodetoopenid?appid=wx1&mch_id=1900000001&auth_code=120061098828009406&sign="
    ));
}

/// Sets `attach` in an APIv2 XML body on its way out, as a user's layer might.
struct EditAttach;

impl Middleware for EditAttach {
    fn handle<'a>(
        &'a self,
        mut request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        let mut fields = v2::parse(request.body()).expect("the unsigned payload is XML");
        fields.insert("attach".into(), "set by a layer".into());
        *request.body_mut() = Bytes::from(to_xml(&fields).unwrap());
        next.run(request)
    }
}

#[test]
fn a_layer_that_edits_the_payload_before_the_signer_still_sends_a_valid_sign() {
    let (sandbox, _) = ok_sandbox();
    let base = sandbox.base_uri();
    // Builder::middleware layers run outside the signers: what they change is signed.
    let client = php_instance(&base).middleware(EditAttach).build().unwrap();
    client["v2/pay/micropay"]
        .post(json!({"xml": micropay_xml()}))
        .unwrap();
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].signature, Ok(()), "the edited payload is signed");
    let fields = v2_fields(&seen[0]);
    assert_eq!(fields["attach"], "set by a layer");
    assert_eq!(fields["out_trade_no"], micropay_xml()["out_trade_no"]);

    // The control: the same edit after the signer breaks the sign, and
    // WeChat Pay (the sandbox) refuses it.
    let late = php_instance(&base)
        .stack(|s| {
            s.after("signer_v2", "late_edit", EditAttach);
        })
        .build()
        .unwrap();
    let e = late["v2/pay/micropay"]
        .post(json!({"xml": micropay_xml()}))
        .unwrap_err();
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].signature.is_err(), "{:?}", seen[0].signature);
    assert_eq!(v2_fields(&seen[0])["attach"], "set by a layer");
    assert_eq!(api_of(&e), (200, Some("FAIL"), Some("签名错误")));
}

#[test]
fn replies_are_checked_for_codes_and_sign() {
    let (sandbox, client) = ok_sandbox();
    let post = || client["v2/pay/micropay"].post(json!({"xml": micropay_xml()}));
    // HMAC-SHA256 replies (64 hex) verify too.
    signed_reply(
        &sandbox,
        &[("return_code", "SUCCESS"), ("result_code", "SUCCESS")],
        true,
    );
    let r = post().unwrap();
    assert_eq!(
        v2::parse(r.body()).unwrap()["sign"].as_str().unwrap().len(),
        64
    );
    // A business failure, signed: its err_code.
    signed_reply(
        &sandbox,
        &[
            ("return_code", "SUCCESS"),
            ("result_code", "FAIL"),
            ("err_code", "USERPAYING"),
            ("err_code_des", "需要用户输入支付密码"),
        ],
        false,
    );
    let e = post().unwrap_err();
    assert_eq!(
        api_of(&e),
        (200, Some("USERPAYING"), Some("需要用户输入支付密码"))
    );
    assert!(e.api_error().unwrap().is_verified());
    assert!(e.response().is_some());
    // SUCCESS without a sign, or with a field the sign does not cover: not trusted.
    for body in [
        "<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code></xml>"
            .to_string(),
        signed_xml(&[("return_code", "SUCCESS")]).replace("</xml>", "<x>1</x></xml>"),
    ] {
        reply(&sandbox, 200, "text/xml", body);
        let e = post().unwrap_err();
        assert!(
            matches!(
                e.verification_failure(),
                Some(VerificationFailure::BadXmlSign(_))
            ),
            "{e:?}"
        );
        assert!(!e.to_string().contains(SECRET));
    }
    // A forged business failure is a verification error, not a trusted code.
    reply(
        &sandbox,
        200,
        "text/xml",
        "<xml><return_code>SUCCESS</return_code><result_code>FAIL</result_code><err_code>NOTENOUGH</err_code></xml>",
    );
    let e = post().unwrap_err();
    assert!(e.is_verification() && e.api_error().is_none(), "{e:?}");
    // HTTP errors keep their status.
    reply(
        &sandbox,
        503,
        "text/xml",
        "<xml><return_code>FAIL</return_code><return_msg>busy</return_msg></xml>",
    );
    let e = post().unwrap_err();
    assert_eq!(api_of(&e), (503, Some("FAIL"), Some("busy")));
    assert!(!e.api_error().unwrap().is_verified());
}

#[test]
fn unsigned_endpoints_pass_through() {
    let (sandbox, client) = ok_sandbox();
    let bill = json!({"xml": {"appid": "wx8888888888888888", "mch_id": MCHID, "bill_date": "20140603", "bill_type": "ALL"}});
    // CSV on success, as received.
    let csv = "交易时间,公众账号ID,商户号\n`2014-06-03 10:00:00,`wx8888888888888888,`1900000001\n总交易单数\n`1\n";
    reply(&sandbox, 200, "text/plain;charset=utf-8", csv);
    let r = client["v2/pay/downloadbill"].post(bill.clone()).unwrap();
    assert_eq!(r.body().as_ref(), csv.as_bytes());
    // gzip on success, untouched.
    let gz: &[u8] = &[0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff];
    reply(&sandbox, 200, "application/x-gzip", gz.to_vec());
    let r = client["v2/pay/downloadfundflow"]
        .post(json!({"security": false, "xml": {"mch_id": MCHID}}))
        .unwrap();
    assert_eq!(r.body().as_ref(), gz);
    // XML on failure: an error with WeChat Pay's code.
    reply(
        &sandbox,
        200,
        "text/xml",
        "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[No Bill Exist]]></return_msg><error_code><![CDATA[20002]]></error_code></xml>",
    );
    let e = client["v2/pay/downloadbill"].post(bill).unwrap_err();
    assert_eq!(api_of(&e), (200, Some("20002"), Some("No Bill Exist")));
    // Unsigned XML (a transfer) is fine when it succeeds, an error when it fails.
    reply(
        &sandbox,
        200,
        "text/xml",
        "<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code><payment_no>1</payment_no></xml>",
    );
    client["v2/mmpaymkttransfers/promotion/transfers"]
        .post(json!({"xml": {"mchid": MCHID}}))
        .unwrap();
    reply(
        &sandbox,
        200,
        "text/xml",
        "<xml><return_code>SUCCESS</return_code><result_code>FAIL</result_code><err_code>NOTENOUGH</err_code></xml>",
    );
    let e = client["v2/mmpaymkttransfers/promotion/transfers"]
        .post(json!({"xml": {"mchid": MCHID}}))
        .unwrap_err();
    assert_eq!(api_of(&e).1, Some("NOTENOUGH"));
    assert!(!e.api_error().unwrap().is_verified());
    // The RSA public key, unsigned.
    reply(
        &sandbox,
        200,
        "text/xml",
        "<xml><return_code>SUCCESS</return_code><mch_id>1900000001</mch_id><pub_key><![CDATA[-----BEGIN RSA PUBLIC KEY-----\nAA==\n-----END RSA PUBLIC KEY-----]]></pub_key></xml>",
    );
    client["v2/risk/getpublickey"]
        .post(json!({"xml": {"mch_id": MCHID}}))
        .unwrap();
    // Unsigned answers, but every request signed.
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 6);
    assert!(seen.iter().all(|s| s.signature.is_ok()), "{seen:?}");
}

#[test]
fn hostile_replies_are_rejected_as_xml_errors() {
    let (sandbox, _) = ok_sandbox();
    // A cap above the XML reader's own, so the reader is what refuses.
    let client = php_instance(&sandbox.base_uri())
        .max_response_bytes(8 << 20)
        .build()
        .unwrap();
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
    let n = bytes.len();
    for body in bytes {
        let len = body.len();
        reply(&sandbox, 200, "text/xml", body);
        let e = client["v2/pay/micropay"]
            .post(json!({"xml": micropay_xml()}))
            .unwrap_err();
        assert!(
            matches!(
                e.verification_failure(),
                Some(VerificationFailure::MalformedXml(_))
            ),
            "{len} bytes: {e:?}"
        );
        assert!(e.response().is_some(), "{len} bytes");
    }
    assert_eq!(sandbox.take_requests().len(), n);
}

#[test]
fn mutual_tls_accepts_the_client_certificate_and_refuses_without() {
    let tls = |name: &str| key_text(&format!("tls/{name}"));
    let sandbox = conformance_sandbox_builder()
        .tls(SandboxTls {
            cert_pem: tls("server.pem"),
            key_pem: tls("server.key"),
            client_ca_pem: Some(tls("ca.pem")),
        })
        .start_blocking()
        .unwrap();
    ok_reply(&sandbox);
    let base = sandbox.base_uri();
    assert!(base.starts_with("https://localhost:"), "{base}");
    let ca = tls("ca.pem");
    let refund = json!({"security": true, "xml": {"appid": "wx8888888888888888", "mch_id": MCHID,
        "out_trade_no": "1217752501201407033233368018", "out_refund_no": "R1", "total_fee": 888, "refund_fee": 888}});
    let with = |b: Builder| b.root_certificate(ca.clone()).build().unwrap();
    let pem = with(v2_only(&base).client_cert(
        format!("file://{}", tls_path("client.pem")),
        tls("client.key"),
    ));
    let p12 = with(v2_only(&base).client_cert_p12(std::fs::read(tls_path("client.p12")).unwrap()));
    let legacy =
        with(v2_only(&base).client_cert_p12(std::fs::read(tls_path("client.legacy.p12")).unwrap()));
    let rt = rt();
    for client in [&pem, &p12, &legacy] {
        for _ in 0..2 {
            client["v2/secapi/pay/refund"].post(refund.clone()).unwrap();
            rt.block_on(client["v2/secapi/pay/refund"].post_async(refund.clone()))
                .unwrap();
        }
    }
    assert_signed_requests(&sandbox, 12, "/secapi/pay/refund");
    let c = sandbox.connections();
    // Connections are pooled per runtime (a socket belongs to the reactor
    // that opened it): the blocking calls' and `rt`'s, for each client.
    assert_eq!(
        c.tls_handshakes, 6,
        "one pooled connection per client and runtime"
    );
    assert_eq!(c.tls_refused, 0);

    // The same client without `security`: no certificate, no handshake.
    let mut plain = refund.clone();
    plain["security"] = json!(false);
    let e = pem["v2/secapi/pay/refund"].post(plain).unwrap_err();
    assert!(e.is_connect() && e.is_before_send(), "{e:?}");
    assert!(e.response().is_none(), "{e:?}");
    assert!(sandbox.take_requests().is_empty());
    // The sandbox counts the refused handshake on its own task, which may
    // finish after the client has already seen the failure.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while sandbox.connections().tls_refused == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sandbox never saw the refused handshake"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(sandbox.connections().tls_refused, 1);
    assert_eq!(sandbox.connections().tls_handshakes, 6);

    // A wrong password (mchid) or a broken certificate is caught by build().
    let e = v2_only(&base)
        .mchid("1900000002")
        .client_cert_p12(std::fs::read(tls_path("client.p12")).unwrap())
        .build()
        .unwrap_err();
    assert!(e.is_config() && e.to_string().contains("password"), "{e:?}");
    let e = v2_only(&base)
        .client_cert(tls("client.key"), tls("client.key"))
        .build()
        .unwrap_err();
    assert!(e.is_config(), "{e:?}");
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
    assert!(e.is_crypto(), "{e:?}");
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
        api_of(&e).1.expect("a code").to_string()
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
        assert_eq!(api_of(&e), (200, Some("FAIL"), Some("签名错误")));

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
