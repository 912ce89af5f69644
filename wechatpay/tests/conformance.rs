//! Replays the behaviour recorded from the PHP SDK against the sandbox,
//! configured with the identity PHP was recorded with: the same call in the
//! same style must send the same method, target and body, sign it so that
//! WeChat Pay accepts it, and end in the same outcome when the answer is the
//! recorded one, spoiled as the recording's `mode` says.

mod support;

use serde_json::Value;
use support::{conformance_sandbox, merchant_key, php_instance_cert, php_v3};
use wechatpay::{Client, Error, Options, Response, VerificationFailure, normalize};
use wechatpay_sandbox::{Fault, RecordedRequest, Stub};

fn cases(file: &str) -> Vec<Value> {
    let path = format!(
        "{}/tests/conformance/{file}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// How the PHP call addressed the endpoint.
enum Style {
    Pure(Vec<String>),
    ChainFn(String),
    Array(String),
}

struct Call {
    cert_mode: bool,
    style: Style,
    verb: String,
    is_async: bool,
}

fn parse_call(call: &str) -> Call {
    let cert_mode = call.starts_with("$instanceCert");
    let rest = call
        .trim_start_matches("$instanceCert")
        .trim_start_matches("$instance");
    let (style, tail) = if let Some(r) = rest.strip_prefix("->chain('") {
        let (tpl, tail) = r.split_once("')").unwrap();
        (Style::ChainFn(tpl.to_string()), tail.to_string())
    } else if let Some(r) = rest.strip_prefix("['") {
        let (tpl, tail) = r.split_once("']").unwrap();
        (Style::Array(tpl.to_string()), tail.to_string())
    } else {
        let mut segments = Vec::new();
        let mut tail = String::new();
        for (i, tok) in rest.trim_start_matches("->").split("->").enumerate() {
            if tok.contains('(') {
                tail = format!(
                    "->{}",
                    rest.trim_start_matches("->")
                        .split("->")
                        .skip(i)
                        .collect::<Vec<_>>()
                        .join("->")
                );
                break;
            }
            segments.push(tok.to_string());
        }
        (Style::Pure(segments), tail)
    };
    let verb_tok = tail.trim_start_matches("->");
    let verb = verb_tok.split('(').next().unwrap().to_string();
    let is_async = verb.ends_with("Async");
    Call {
        cert_mode,
        style,
        verb: verb.trim_end_matches("Async").to_string(),
        is_async,
    }
}

fn run(
    client: &Client,
    call: &Call,
    options: Options,
    rt: &tokio::runtime::Runtime,
) -> Result<Response, Error> {
    let method: http::Method = call.verb.to_uppercase().parse().unwrap();
    let chain = match &call.style {
        // Exactly what `chain!` expands to, driven by the recorded segments.
        Style::Pure(segs) => {
            let mut c = client.chain(&normalize(&segs[0]));
            for s in &segs[1..] {
                c = c.chain(&normalize(s));
            }
            c
        }
        Style::ChainFn(t) => client.chain(t),
        // Index takes literals; a recorded template lives for the test run.
        Style::Array(t) => client[&*Box::leak(t.clone().into_boxed_str())].clone(),
    };
    if call.is_async {
        rt.block_on(chain.request_async(method, options))
    } else {
        chain.request(method, options)
    }
}

/// JSON values equal, with 1 and 1.0 the same number (PHP writes `1.0` as `1`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && json_eq(va, vb))
        }
        _ => a == b,
    }
}

/// The target we send where we deliberately differ from PHP.
fn expected_target(case: &str, php_target: &str) -> String {
    match case {
        // PHP folds `ABC` to `-a-b-c` inside a chain() string; we keep it.
        "query_in_template" => "/v3/payscore/serviceorder?out_order_no=ABC&foo=a%20b".into(),
        // Guzzle replaces the template's query with the option's; we keep both.
        "query_in_template_plus_option" => {
            "/v3/payscore/serviceorder?out_order_no=ABC&service_id=2002".into()
        }
        _ => php_target.into(),
    }
}

/// The recorded answer as a stub, spoiled as the case's `mode` says.
fn stub_for(mode: &str, recorded: &Value) -> Stub {
    let reply = &recorded["server_response"];
    let body = reply["body"].as_str().unwrap();
    let content_type = reply["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("Content-Type"))
        .map(|h| h[1].as_str().unwrap().to_string());
    let stub = Stub::new(
        recorded["method"].as_str().unwrap(),
        recorded["path"].as_str().unwrap(),
    )
    .status(reply["status"].as_u64().unwrap() as u16)
    .times(1);
    let stub = match content_type {
        Some(ct) => stub.raw(&ct, body.to_string()),
        None if body.is_empty() => stub.empty(),
        None => stub.json_text(body),
    };
    match mode {
        // The recorded answer, signed by the sandbox.
        "ok" | "http_400" | "http_500" | "ok_200_empty" => stub,
        "badsig" => stub.fault(Fault::BadSignature),
        "badsig_garbage" => stub.fault(Fault::GarbageSignature),
        "missing_headers" => stub.fault(Fault::MissingHeaders),
        "unknown_serial" => stub.fault(Fault::UnknownSerial),
        "stale_timestamp" => stub.fault(Fault::StaleTimestamp),
        "ok_cert_serial" => stub.fault(Fault::CertificateSerial),
        other => panic!("unknown mode {other}"),
    }
}

/// The `Authorization` parameters in the order sent.
fn authorization_params(seen: &RecordedRequest) -> Vec<(String, String)> {
    let value = seen
        .header("Authorization")
        .expect("an Authorization header");
    let params = value
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .unwrap_or_else(|| panic!("scheme of {value}"));
    params
        .split(',')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
            (
                k.to_string(),
                v.unwrap_or_else(|| panic!("{p}")).to_string(),
            )
        })
        .collect()
}

fn check_outcome(case: &Value, result: &Result<Response, Error>) {
    let name = case["case"].as_str().unwrap();
    let outcome = &case["outcome"];
    if outcome["ok"].as_bool().unwrap() {
        let r = result
            .as_ref()
            .unwrap_or_else(|e| panic!("{name}: expected success, got {e}"));
        assert_eq!(
            r.status().as_u16() as u64,
            outcome["response"]["status"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            r.body().as_ref(),
            outcome["response"]["body"].as_str().unwrap().as_bytes(),
            "{name}: the body as answered"
        );
        return;
    }
    let ex = if outcome["exception"].is_object() {
        &outcome["exception"]
    } else {
        &outcome["rejection"]
    };
    let class = ex["class"].as_str().unwrap();
    let message = ex["message"].as_str().unwrap_or("");
    let err = result
        .as_ref()
        .err()
        .unwrap_or_else(|| panic!("{name}: expected {class}, got success"));
    assert!(err.response().is_some(), "{name}: an answer came: {err:?}");
    assert!(!err.is_before_send() && !err.is_outcome_unknown(), "{name}");
    match class {
        "GuzzleHttp\\Exception\\ClientException" | "GuzzleHttp\\Exception\\ServerException" => {
            let api = err
                .api_error()
                .unwrap_or_else(|| panic!("{name}: expected an API error, got {err:?}"));
            assert!(err.is_api(), "{name}");
            let want = if class.ends_with("ClientException") {
                400
            } else {
                500
            };
            assert_eq!(api.status().as_u16(), want, "{name}");
            assert_eq!(err.status().map(|s| s.as_u16()), Some(want), "{name}");
            let body: Value = serde_json::from_str(
                case["requests"][0]["server_response"]["body"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(api.code(), body["code"].as_str(), "{name}: code parsed");
            assert_eq!(api.message(), body["message"].as_str(), "{name}");
            assert!(api.is_verified(), "{name}: the sandbox signs its errors");
            assert!(api.request_id().is_some(), "{name}");
        }
        "GuzzleHttp\\Exception\\RequestException" => {
            let reason = err
                .verification_failure()
                .unwrap_or_else(|| panic!("{name}: expected Verification, got {err:?}"));
            assert!(err.is_verification(), "{name}");
            let fits = if message.starts_with("Verify the response's data") {
                if message.contains("not*base64") {
                    matches!(reason, VerificationFailure::MalformedSignature)
                } else {
                    matches!(reason, VerificationFailure::BadSignature { .. })
                }
            } else if message.contains("Headers incomplete") {
                matches!(reason, VerificationFailure::MissingHeader(_))
            } else if message.contains("Cannot found the serial") {
                matches!(reason, VerificationFailure::UnknownSerial { .. })
            } else if message.contains("time offset") {
                matches!(reason, VerificationFailure::StaleTimestamp { .. })
            } else {
                false
            };
            assert!(fits, "{name}: PHP said `{message}`, we said {reason:?}");
        }
        other => panic!("{name}: unmapped PHP exception {other}"),
    }
}

fn replay(file: &str) -> usize {
    let sandbox = conformance_sandbox();
    let client = php_v3(&sandbox.base_uri()).build().unwrap();
    let cert_client = php_instance_cert(&sandbox.base_uri()).build().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut n = 0;
    for case in cases(file) {
        let name = case["case"].as_str().unwrap().to_string();
        let call = parse_call(case["call"].as_str().unwrap());
        let options: Options = match &case["vars"]["options"] {
            Value::Null => Options::default(),
            v => v.clone().into(),
        };
        let recorded = &case["requests"][0];
        sandbox.clear_stubs();
        sandbox.stub(stub_for(case["mode"].as_str().unwrap(), recorded));

        let c = if call.cert_mode {
            &cert_client
        } else {
            &client
        };
        let result = run(c, &call, options, &rt);
        let seen = sandbox.take_requests();
        assert_eq!(seen.len(), 1, "{name}: one request on the wire");
        let ours = &seen[0];

        // The same request…
        assert_eq!(ours.method, recorded["method"].as_str().unwrap(), "{name}");
        assert_eq!(
            ours.target,
            expected_target(&name, recorded["target"].as_str().unwrap()),
            "{name}"
        );
        let php_body = recorded["body"].as_str().unwrap();
        let our_body = std::str::from_utf8(&ours.body).unwrap();
        match (
            serde_json::from_str::<Value>(php_body),
            serde_json::from_str::<Value>(our_body),
        ) {
            (Ok(a), Ok(b)) => assert!(json_eq(&a, &b), "{name}: body {our_body} vs {php_body}"),
            _ => assert_eq!(our_body, php_body, "{name}"),
        }
        for h in ["Accept", "Content-Type", "Wechatpay-Serial"] {
            let php = recorded["selected_headers"][h].as_str();
            assert_eq!(ours.header(h), php, "{name}: header {h}");
        }
        let ua = ours.header("User-Agent").unwrap();
        assert!(
            ua.starts_with("wechatpay-rust/") && ua.contains("Rust/"),
            "{name}: {ua}"
        );
        // …signed so that WeChat Pay accepts it, in PHP's parameter order…
        assert_eq!(
            ours.signature,
            Ok(()),
            "{name}: our Authorization must verify"
        );
        let params = authorization_params(ours);
        let keys: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["mchid", "serial_no", "timestamp", "nonce_str", "signature"],
            "{name}"
        );
        let nonce = &params[3].1;
        assert_eq!(nonce.len(), 32, "{name}: nonce {nonce}");
        assert!(nonce.bytes().all(|b| b.is_ascii_alphanumeric()), "{name}");
        // …and the same outcome.
        check_outcome(&case, &result);

        // PKCS#1 v1.5 is deterministic: the recorded signature is reproducible.
        let auth = &recorded["authorization"];
        assert_eq!(
            merchant_key()
                .sign(auth["signed_message"].as_str().unwrap())
                .unwrap(),
            auth["params"]["signature"].as_str().unwrap(),
            "{name}: recorded signature"
        );
        n += 1;
    }
    n
}

#[test]
fn seed_calls_in_all_six_styles() {
    assert_eq!(replay("seed"), 24);
}

#[test]
fn query_encoding() {
    assert_eq!(replay("query"), 7);
}

#[test]
fn headers_and_bodies() {
    assert_eq!(replay("headers"), 8);
}

#[test]
fn response_verification() {
    assert_eq!(replay("response"), 25);
}

#[test]
fn builder_refuses_what_php_refuses() {
    use support::*;
    use wechatpay::{Builder, crypto::PublicKey};
    let public =
        || PublicKey::from_pem(&format!("file://{}", key_path("platform_public_key.pem"))).unwrap();
    let full = || {
        Builder::new()
            .mchid(MCHID)
            .serial(SERIAL)
            .private_key(merchant_key())
            .base_uri("http://127.0.0.1:9/")
    };
    let (mut ran, mut skipped) = (0, 0);
    for case in cases("init") {
        let name = case["case"].as_str().unwrap();
        ran += 1;
        let built = match name {
            "missing_mchid" => Builder::new()
                .serial(SERIAL)
                .private_key(merchant_key())
                .cert(PUB_KEY_ID, public())
                .build(),
            "missing_serial" => Builder::new()
                .mchid(MCHID)
                .private_key(merchant_key())
                .cert(PUB_KEY_ID, public())
                .build(),
            "missing_privateKey" => Builder::new()
                .mchid(MCHID)
                .serial(SERIAL)
                .cert(PUB_KEY_ID, public())
                .build(),
            "missing_certs" | "empty_certs" => full().build(),
            "certs_has_mch_serial" => full()
                .cert(SERIAL, public())
                .cert(PUB_KEY_ID, public())
                .build(),
            // `mchid` is a string in Rust's types; an integer cannot be given.
            "int_mchid" => {
                skipped += 1;
                continue;
            }
            other => panic!("unmapped init case {other}"),
        };
        let err = built.expect_err(name);
        let want = match name {
            "missing_mchid" => "mchid",
            "missing_serial" => "serial",
            "missing_privateKey" => "private_key",
            "certs_has_mch_serial" => SERIAL,
            _ => "cert",
        };
        assert!(err.is_config(), "{name}: {err:?}");
        assert!(err.is_before_send(), "{name}");
        assert!(err.to_string().contains(want), "{name}: {err}");
    }
    assert_eq!(
        (ran, skipped),
        (7, 1),
        "every init case, one not expressible"
    );
}
