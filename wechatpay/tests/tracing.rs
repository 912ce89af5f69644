//! The `tracing` feature: one `wechatpay.request` span a call with what
//! happened, events for retries and failovers, and no secret or body in
//! any field. (The crate's dev-dependency on itself turns the feature on.)

use std::sync::{Arc, Mutex};

use serde_json::json;
use tracing::{
    Subscriber,
    field::{Field, Visit},
    span,
};
use tracing_subscriber::{Layer, layer::Context, prelude::*, registry::LookupSpan};
use wechatpay_sandbox::{Sandbox, Stub};

/// A span's name, or an event's message, with its fields.
type Record = (String, Vec<(String, String)>);

/// Every span and event seen.
#[derive(Default, Clone)]
struct Captured(Arc<Mutex<Vec<Record>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((
            field.name().to_string(),
            format!("{value:?}").trim_matches('"').to_string(),
        ));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Captured {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, _: Context<'_, S>) {
        let mut fields = vec![("span.id".to_string(), format!("{id:?}"))];
        attrs.record(&mut Fields(&mut fields));
        self.0
            .lock()
            .unwrap()
            .push((attrs.metadata().name().to_string(), fields));
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, _: Context<'_, S>) {
        let mut all = self.0.lock().unwrap();
        let key = format!("{id:?}");
        if let Some((_, fields)) = all
            .iter_mut()
            .rev()
            .find(|(_, f)| f.iter().any(|(k, v)| k == "span.id" && *v == key))
        {
            values.record(&mut Fields(fields));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        let message = fields
            .iter()
            .find(|(k, _)| k == "message")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        self.0.lock().unwrap().push((message, fields));
    }
}

impl Captured {
    fn named(&self, name: &str) -> Vec<Vec<(String, String)>> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
            .collect()
    }

    fn all_text(&self) -> String {
        format!("{:?}", self.0.lock().unwrap())
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn one_span_a_call_with_what_happened_and_nothing_secret() {
    let s = Sandbox::start_blocking().unwrap();
    s.stub(Stub::path("/v3/flaky").json(json!({"ok": true})));
    s.stub(
        Stub::path("/v3/flaky")
            .status(500)
            .json(json!({"code": "SYSTEM_ERROR", "message": "again"}))
            .times(2),
    );
    let client = s.client_builder().unwrap().retries(3).build().unwrap();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    tracing::subscriber::with_default(subscriber, || {
        client.chain("v3/certificates").get(()).unwrap();
        client
            .chain("v3/flaky")
            .post(json!({"json": {"marker": "BODY-MARKER-1234"}}))
            .unwrap();
    });

    let spans = captured.named("wechatpay.request");
    assert_eq!(spans.len(), 2, "{}", captured.all_text());
    let first = &spans[0];
    assert_eq!(field(first, "method"), Some("GET"));
    assert_eq!(field(first, "template"), Some("v3/certificates"));
    assert_eq!(field(first, "host"), Some("127.0.0.1"));
    assert_eq!(field(first, "status"), Some("200"));
    assert_eq!(field(first, "attempts"), Some("1"));
    assert!(field(first, "request_id").unwrap().starts_with("sandbox-"));
    assert!(field(first, "elapsed_ms").is_some());

    let second = &spans[1];
    assert_eq!(field(second, "method"), Some("POST"));
    assert_eq!(field(second, "status"), Some("200"));
    assert_eq!(field(second, "attempts"), Some("3"), "{second:?}");
    let retries = captured.named("wechatpay.retry");
    assert_eq!(retries.len(), 2, "{}", captured.all_text());
    assert_eq!(field(&retries[0], "code"), Some("SYSTEM_ERROR"));

    // Nothing a log must not hold.
    let text = captured.all_text();
    let keys = s.keys();
    for secret in [
        keys.merchant_private_key_pem.lines().nth(1).unwrap(),
        keys.apiv2_secret.as_str(),
        keys.apiv3_key.as_str(),
        "BODY-MARKER-1234",
        "WECHATPAY2-SHA256-RSA2048",
        "signature=",
    ] {
        assert!(!text.contains(secret), "`{secret}` in {text}");
    }
}

#[test]
fn a_failover_is_an_event() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let backup = Sandbox::start_blocking().unwrap();
    let client = backup
        .client_builder()
        .unwrap()
        .base_uri(format!("http://127.0.0.1:{port}/"))
        .backup_base_uri(backup.base_uri())
        .build()
        .unwrap();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    tracing::subscriber::with_default(subscriber, || {
        client.chain("v3/certificates").get(()).unwrap();
    });
    let failovers = captured.named("wechatpay.failover");
    assert_eq!(failovers.len(), 1, "{}", captured.all_text());
    assert_eq!(field(&failovers[0], "to"), Some(backup.base_uri().as_str()));
    let spans = captured.named("wechatpay.request");
    assert_eq!(field(&spans[0], "attempts"), Some("2"));
}
