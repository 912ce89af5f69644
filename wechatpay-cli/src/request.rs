//! `wechatpay request METHOD TEMPLATE [OPTIONS_JSON]`.

use wechatpay::{Options, Response};

use crate::{config::Credentials, error::CliError};

pub fn run(
    creds: &Credentials,
    method: &str,
    template: &str,
    options: Option<&str>,
) -> Result<Response, CliError> {
    let method: http::Method = method
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| CliError::Usage(format!("`{method}` is not an HTTP method")))?;
    let options: Options = match options {
        Some(text) => serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| CliError::Usage(format!("OPTIONS_JSON is not JSON: {e}")))?
            .into(),
        None => Options::default(),
    };
    let client = creds.client()?;
    Ok(client.chain(template).request(method, options)?)
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
