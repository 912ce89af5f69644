//! `wechatpay request METHOD TEMPLATE [OPTIONS_JSON]`.

use serde_json::Value;
use wechatpay::{Options, Response};

use crate::{config::Credentials, error::CliError};

/// Sends one call; with `debug`, the library's `debug` option prints the
/// signed request and the answer to stderr as they cross the wire.
pub fn run(
    creds: &Credentials,
    method: &str,
    template: &str,
    options: Option<&str>,
    debug: bool,
) -> Result<Response, CliError> {
    let method: http::Method = method
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| CliError::Usage(format!("`{method}` is not an HTTP method")))?;
    let mut options: Value = match options {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| CliError::Usage(format!("OPTIONS_JSON is not JSON: {e}")))?,
        None => Value::Null,
    };
    if debug {
        match &mut options {
            Value::Object(map) => {
                map.insert("debug".into(), Value::Bool(true));
            }
            Value::Null => options = serde_json::json!({"debug": true}),
            // Not a map: the library refuses it, naming what it got.
            _ => {}
        }
    }
    // APIv2's `security: true` (the library reads it on `v2/…` templates only).
    let v2 = template
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("v2/"));
    let secured = v2 && options.get("security") == Some(&Value::Bool(true));
    if secured && !creds.has_client_certificate() {
        return Err(CliError::Usage(
            "`security: true` presents the merchant client certificate: give --p12 \
             (apiclient_cert.p12) or --client-cert with --client-key"
                .into(),
        ));
    }
    let client = creds.client()?;
    Ok(client
        .chain(template)
        .request(method, Options::from(options))?)
}

/// Status line, headers, blank line, body: what a reader expects of curl -i.
pub fn print(out: &mut dyn std::io::Write, response: &Response) {
    let _ = writeln!(out, "{:?} {}", response.version(), response.status());
    for (name, value) in response.headers() {
        let _ = writeln!(out, "{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", String::from_utf8_lossy(response.body()));
}
