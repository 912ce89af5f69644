//! Every documented APIv3 endpoint (`tests/data/endpoints.tsv`, from the PHP
//! SDK's documentation) is reachable in all three styles: the request lands
//! on the documented path, signed, with the method the page gives.

mod support;

use serde_json::{Map, Value};
use support::TestServer;
use wechatpay::{Chain, Client, normalize};

struct Endpoint {
    method: String,
    template: String,
}

fn endpoints() -> Vec<Endpoint> {
    let text = include_str!("data/endpoints.tsv");
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some(Endpoint {
                method: cols.next()?.to_string(),
                template: cols.next()?.to_string(),
            })
        })
        .collect()
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

#[test]
fn every_documented_v3_endpoint_is_reachable_in_all_three_styles() {
    let server = TestServer::start();
    let client = server.client();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut count = 0;
    for (i, e) in endpoints().iter().enumerate() {
        if e.template.to_ascii_lowercase().starts_with("v2/") {
            continue;
        }
        let (vars, expected) = variables(&e.template);
        let method: http::Method = e.method.parse().unwrap();
        let chains = [
            client.chain(&e.template),
            client[e.template.as_str()].clone(),
            pure_chain(&client, &e.template),
        ];
        for (style, chain) in chains.iter().enumerate() {
            assert_eq!(chain.template(), e.template);
            let mut options = vars.clone();
            if method != http::Method::GET && method != http::Method::DELETE {
                options.insert("json".into(), serde_json::json!({"i": i}));
            }
            // Alternate blocking and async so both paths see every shape.
            let result = if (i + style) % 2 == 0 {
                chain.request(method.clone(), options)
            } else {
                rt.block_on(chain.request_async(method.clone(), options))
            };
            result
                .unwrap_or_else(|err| panic!("{} {} (style {style}): {err}", e.method, e.template));
            let seen = server.take_seen();
            assert_eq!(seen.len(), 1);
            assert_eq!(seen[0].method, e.method, "{}", e.template);
            assert_eq!(seen[0].target, expected, "{}", e.template);
            assert!(seen[0].signature_ok, "{}", e.template);
            count += 1;
        }
    }
    // 1017 APIv3 rows in the table, three styles each.
    assert_eq!(count, 1017 * 3);
}

#[test]
fn other_hosts_are_reached_with_the_base_uri_option() {
    let main = TestServer::start();
    let other = TestServer::start();
    let client = main.client();
    let text = include_str!("data/endpoints_base_uri.tsv");
    let mut count = 0;
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (method, template) = (cols[0], cols[1]);
        if template.to_ascii_lowercase().starts_with("v2/") {
            continue;
        }
        let (mut vars, expected) = variables(template);
        vars.insert("base_uri".into(), Value::String(other.base_uri()));
        client
            .chain(template)
            .request(method.parse().unwrap(), vars)
            .unwrap();
        let seen = other.take_seen();
        assert_eq!(seen.len(), 1, "{template}");
        assert_eq!(seen[0].target, expected);
        count += 1;
    }
    assert!(main.seen().is_empty());
    assert!(count > 0);
}
