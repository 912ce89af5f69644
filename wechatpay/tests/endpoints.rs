//! Every documented endpoint (`tests/data/endpoints.tsv`, from the PHP
//! SDK's documentation), APIv3 and APIv2, is reachable in all three styles:
//! the request lands on the documented path with the method the page gives,
//! signed so that WeChat Pay (here the sandbox, answering every request
//! with a stub) accepts it.

mod support;

use serde_json::{Map, Value, json};
use support::v2_fields;
use wechatpay::{Chain, Client, Error, Response, normalize};
use wechatpay_sandbox::{Protocol, RecordedRequest, Sandbox, Stub};

/// One row of an endpoints table.
struct Endpoint {
    method: http::Method,
    template: &'static str,
    /// The last column: the page's title, or the base URI its examples show.
    last: &'static str,
}

impl Endpoint {
    fn is_v2(&self) -> bool {
        self.template
            .get(..3)
            .is_some_and(|p| p.eq_ignore_ascii_case("v2/"))
    }
}

/// Every row after the header, each parsed or the test fails: a row that
/// cannot be read must fail here, not drop out of the counts.
fn table(text: &'static str, header: &str) -> Vec<Endpoint> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header), "the table's header");
    lines
        .enumerate()
        .map(|(i, line)| {
            let row = i + 2;
            let cols: Vec<&'static str> = line.split('\t').collect();
            let [method, template, doc, last] = cols[..] else {
                panic!("row {row}: four columns expected, got {line:?}");
            };
            assert!(
                matches!(method, "GET" | "POST" | "PUT" | "PATCH" | "DELETE"),
                "row {row}: method {method:?}"
            );
            assert!(
                !template.is_empty()
                    && !template.starts_with('/')
                    && !template.contains(char::is_whitespace),
                "row {row}: template {template:?}"
            );
            assert!(
                doc.starts_with("openapi/") && doc.ends_with(".md"),
                "row {row}: page {doc:?}"
            );
            assert!(!last.is_empty(), "row {row}: last column empty");
            Endpoint {
                method: method.parse().unwrap(),
                template,
                last,
            }
        })
        .collect()
}

fn endpoints() -> Vec<Endpoint> {
    table(
        include_str!("data/endpoints.tsv"),
        "method\turi_template\tdoc_page_path\ttitle",
    )
}

/// The PHP property name a segment is written as (`merchant-service` →
/// `merchantService`, `{out_order_no}` → `_out_order_no_`), the inverse of
/// `normalize`; `None` when PHP would need `->{'…'}` (a string literal in `chain!`).
fn php_identifier(segment: &str) -> Option<String> {
    if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        return Some(format!("_{name}_"));
    }
    let mut out = String::new();
    let mut upper = false;
    for c in segment.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            if !c.is_ascii_lowercase() {
                return None;
            }
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    (!upper).then_some(out)
}

/// The pure-chain style: what `chain!(client.a.b._c_)` expands to.
fn pure_chain(client: &Client, template: &str) -> Chain {
    let mut segments = template.split('/').map(|s| match php_identifier(s) {
        Some(ident) => {
            assert_eq!(normalize(&ident), s, "normalize must invert the PHP name");
            normalize(&ident)
        }
        None => s.to_string(),
    });
    let mut chain = client.chain(&segments.next().unwrap());
    for s in segments {
        chain = chain.chain(&s);
    }
    chain
}

/// The three styles: `chain()`, index, pure chain.
fn styles(client: &Client, template: &'static str) -> [Chain; 3] {
    [
        client.chain(template),
        client[template].clone(),
        pure_chain(client, template),
    ]
}

/// A value for each template variable, and the path they expand to.
fn variables(template: &str) -> (Map<String, Value>, String) {
    let mut vars = Map::new();
    let mut expected = String::from("/");
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').unwrap() + open;
        let name = &rest[open + 1..close];
        let value = format!("V-{name}.1");
        expected.push_str(&rest[..open]);
        expected.push_str(&value);
        vars.insert(name.to_string(), Value::String(value));
        rest = &rest[close + 1..];
    }
    expected.push_str(rest);
    (vars, expected)
}

/// Blocking or async, so both paths see every shape.
fn call(
    chain: &Chain,
    method: &http::Method,
    options: Map<String, Value>,
    blocking: bool,
    rt: &tokio::runtime::Runtime,
) -> Result<Response, Error> {
    if blocking {
        chain.request(method.clone(), options)
    } else {
        rt.block_on(chain.request_async(method.clone(), options))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The one request the sandbox got since the last look.
fn only_request(sandbox: &Sandbox, what: &str) -> RecordedRequest {
    let mut seen = sandbox.take_requests();
    assert_eq!(seen.len(), 1, "{what}: one request on the wire");
    seen.pop().unwrap()
}

/// An APIv2 request arrived as WeChat Pay takes one: its `sign` verifies,
/// no APIv3 `Authorization`, and the payload given.
fn assert_v2_request(seen: &RecordedRequest, payload: &Map<String, Value>, what: &str) {
    assert_eq!(seen.protocol, Protocol::V2, "{what}");
    assert_eq!(seen.signature, Ok(()), "{what}: the sign must verify");
    assert!(seen.header("Authorization").is_none(), "{what}");
    if seen.method == "GET" {
        assert!(seen.body.is_empty(), "{what}: a GET signs its query");
    }
    let fields = v2_fields(seen);
    for (k, v) in payload {
        assert_eq!(fields.get(k), Some(v), "{what}: field {k}");
    }
    assert!(fields.contains_key("sign"), "{what}");
}

#[test]
fn the_table_is_read_whole() {
    let rows = endpoints();
    let lines = include_str!("data/endpoints.tsv").lines().count();
    assert_eq!(
        rows.len(),
        lines - 1,
        "every line after the header is a row"
    );
    let v2 = rows.iter().filter(|e| e.is_v2()).count();
    assert_eq!((rows.len() - v2, v2), (1017, 126), "APIv3 and APIv2 rows");
    assert!(
        rows.iter()
            .all(|e| e.is_v2() || e.template.starts_with("v3/")),
        "every other row is APIv3"
    );
}

#[test]
fn every_documented_v3_endpoint_is_reachable_in_all_three_styles() {
    let sandbox = Sandbox::start_blocking().unwrap();
    sandbox.stub(Stub::any().json(json!({"code": "SUCCESS"})));
    let client = sandbox.client().unwrap();
    let rt = runtime();
    let (mut rows, mut calls) = (0, 0);
    for (i, e) in endpoints().iter().filter(|e| !e.is_v2()).enumerate() {
        let (vars, expected) = variables(e.template);
        for (style, chain) in styles(&client, e.template).iter().enumerate() {
            let what = format!("{} {} (style {style})", e.method, e.template);
            assert_eq!(chain.template(), e.template, "{what}");
            let mut options = vars.clone();
            if e.method != http::Method::GET && e.method != http::Method::DELETE {
                options.insert("json".into(), json!({"i": i}));
            }
            call(chain, &e.method, options, (i + style) % 2 == 0, &rt)
                .unwrap_or_else(|err| panic!("{what}: {err}"));
            let seen = only_request(&sandbox, &what);
            assert_eq!(seen.method, e.method.as_str(), "{what}");
            assert_eq!(seen.target, expected, "{what}");
            assert_eq!(seen.protocol, Protocol::V3, "{what}");
            assert_eq!(
                seen.signature,
                Ok(()),
                "{what}: the Authorization must verify"
            );
            calls += 1;
        }
        rows += 1;
    }
    assert_eq!((rows, calls), (1017, 1017 * 3));
}

#[test]
fn every_documented_v2_endpoint_is_reachable_in_all_three_styles() {
    let sandbox = Sandbox::start_blocking().unwrap();
    sandbox.stub(Stub::any().xml(&[("return_code", "SUCCESS"), ("result_code", "SUCCESS")]));
    let client = sandbox.client().unwrap();
    let mchid = sandbox.keys().mchid.clone();
    let rt = runtime();
    let (mut rows, mut calls, mut with_variables) = (0, 0, 0);
    for (i, e) in endpoints().iter().filter(|e| e.is_v2()).enumerate() {
        // On the wire the `v2/` prefix is gone: `v2/pay/micropay` is `/pay/micropay`.
        let (vars, expected) = variables(&e.template[3..]);
        with_variables += usize::from(!vars.is_empty());
        let payload = json!({"mch_id": mchid, "out_trade_no": format!("E{i}")});
        let payload = payload.as_object().unwrap();
        for (style, chain) in styles(&client, e.template).iter().enumerate() {
            let what = format!("{} {} (style {style})", e.method, e.template);
            assert_eq!(chain.template(), e.template, "{what}");
            let mut options = vars.clone();
            options.insert("xml".into(), Value::Object(payload.clone()));
            call(chain, &e.method, options, (i + style) % 2 == 0, &rt)
                .unwrap_or_else(|err| panic!("{what}: {err}"));
            let seen = only_request(&sandbox, &what);
            assert_eq!(seen.method, e.method.as_str(), "{what}");
            let path = seen.target.split('?').next().unwrap();
            assert_eq!(path, expected, "{what}");
            assert_v2_request(&seen, payload, &what);
            calls += 1;
        }
        rows += 1;
    }
    assert_eq!((rows, calls), (126, 126 * 3));
    assert_eq!(
        with_variables, 3,
        "the rows with a path variable were filled"
    );
}

#[test]
fn other_hosts_are_reached_with_the_base_uri_option() {
    let main = Sandbox::start_blocking().unwrap();
    let other = Sandbox::start_blocking().unwrap();
    let rows = table(
        include_str!("data/endpoints_base_uri.tsv"),
        "method\turi_template\tdoc_page_path\tbase_uri(s) shown in page examples",
    );
    // The documented host's path prefix (`/hk/`, `/global/`) is kept on the
    // sandbox standing in for it; each such base must be allowed.
    let base_of = |e: &Endpoint| {
        let documented = e.last.strip_prefix("https://").unwrap();
        let (host, prefix) = documented.split_once('/').unwrap();
        assert!(host.ends_with(".weixin.qq.com"), "{}: {host}", e.template);
        (format!("{}{prefix}", other.base_uri()), prefix)
    };
    let client = rows
        .iter()
        .fold(main.client_builder().unwrap(), |b, e| {
            b.allow_base_uri(base_of(e).0)
        })
        .build()
        .unwrap();
    let mchid = main.keys().mchid.clone();
    let (mut v3, mut v2) = (0, 0);
    for e in &rows {
        let (base, prefix) = base_of(e);
        let what = format!("{} {} on {base}", e.method, e.template);
        let (mut options, expected) = if e.is_v2() {
            variables(&e.template[3..])
        } else {
            variables(e.template)
        };
        options.insert("base_uri".into(), Value::String(base));
        let payload = json!({"mch_id": mchid});
        if e.is_v2() {
            other.stub(Stub::any().xml(&[("return_code", "SUCCESS"), ("result_code", "SUCCESS")]));
            options.insert("xml".into(), payload.clone());
        } else {
            other.stub(Stub::any().json(json!({"code": "SUCCESS"})));
        }
        client
            .chain(e.template)
            .request(e.method.clone(), options)
            .unwrap_or_else(|err| panic!("{what}: {err}"));
        other.clear_stubs();
        let seen = only_request(&other, &what);
        assert_eq!(seen.method, e.method.as_str(), "{what}");
        assert_eq!(
            seen.target.split('?').next().unwrap(),
            format!("/{prefix}{}", &expected[1..]),
            "{what}"
        );
        if e.is_v2() {
            assert_v2_request(&seen, payload.as_object().unwrap(), &what);
            v2 += 1;
        } else {
            assert_eq!(seen.signature, Ok(()), "{what}");
            v3 += 1;
        }
    }
    assert!(
        main.requests().is_empty(),
        "nothing went to the client's own base"
    );
    assert_eq!((v3, v2), (101, 4));
}
