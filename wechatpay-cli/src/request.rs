//! `wechatpay request METHOD TEMPLATE [OPTIONS_JSON]`.

use wechatpay::{Error, Options, Response};

use crate::config::Credentials;

pub fn run(
    creds: &Credentials,
    method: &str,
    template: &str,
    options: Option<&str>,
) -> Result<Response, Error> {
    let method: http::Method = method
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| Error::Options(format!("`{method}` is not an HTTP method")))?;
    let options: Options = match options {
        Some(text) => serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| Error::Options(format!("OPTIONS_JSON is not JSON: {e}")))?
            .into(),
        None => Options::default(),
    };
    let client = creds.client()?;
    client.chain(template).request(method, options)
}

/// Status line, headers, blank line, body: what a reader expects of curl -i.
pub fn print(response: &Response) {
    println!("{:?} {}", response.version(), response.status());
    for (name, value) in response.headers() {
        println!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
    println!();
    println!("{}", String::from_utf8_lossy(response.body()));
}
