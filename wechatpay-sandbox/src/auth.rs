//! Checks a request's `Authorization` the way WeChat Pay does.

use wechatpay::{crypto::PublicKey, formatter};

/// The one merchant the sandbox knows.
pub(crate) struct Merchant<'a> {
    pub(crate) mchid: &'a str,
    pub(crate) serial: &'a str,
    pub(crate) key: &'a PublicKey,
}

/// Why a request's signature was refused, for the 401 SIGN_ERROR message.
pub(crate) fn check(
    merchant: &Merchant<'_>,
    method: &str,
    target: &str,
    authorization: Option<&str>,
    headers: &http::HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), String> {
    let value = authorization.ok_or("the Authorization header is missing")?;
    let params = value
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .ok_or("the Authorization scheme must be WECHATPAY2-SHA256-RSA2048")?;
    let mut fields: Vec<(&str, &str)> = Vec::new();
    for part in params.split(',') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("malformed Authorization parameter `{part}`"))?;
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| format!("Authorization parameter `{k}` must be quoted"))?;
        fields.push((k.trim(), v));
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("the Authorization lacks `{k}`"))
    };
    let (m, s, ts, nonce, sig) = (
        get("mchid")?,
        get("serial_no")?,
        get("timestamp")?,
        get("nonce_str")?,
        get("signature")?,
    );
    let Merchant {
        mchid,
        serial,
        key: merchant_public,
    } = merchant;
    if m != *mchid {
        return Err(format!("mchid `{m}` is not known to the sandbox"));
    }
    if s != *serial {
        return Err(format!(
            "serial_no `{s}` is not a certificate of merchant {m}"
        ));
    }
    let t: i64 = ts
        .parse()
        .map_err(|_| format!("timestamp `{ts}` is not unix seconds"))?;
    if now.abs_diff(t) > 300 {
        return Err(format!(
            "timestamp {t} is more than 5 minutes from the server's {now}"
        ));
    }
    if nonce.is_empty() || nonce.len() > 32 {
        return Err("nonce_str must be 1 to 32 characters".into());
    }
    let signed = signed_text(headers, body)?;
    let message = formatter::request(method, target, ts, nonce, &signed);
    if merchant_public.verify(message, sig) {
        Ok(())
    } else {
        Err(
            "the signature does not verify over the method, target, timestamp, nonce and body"
                .into(),
        )
    }
}

/// What WeChat Pay checks the signature against: the body, or for a media
/// upload (multipart, whose file part is binary) the `meta` part's JSON.
fn signed_text(headers: &http::HeaderMap, body: &[u8]) -> Result<String, String> {
    let multipart = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        return std::str::from_utf8(body)
            .map(str::to_string)
            .map_err(|_| "the body is not UTF-8".to_string());
    }
    let text = String::from_utf8_lossy(body);
    let Some(at) = text.find("name=\"meta\"") else {
        return Err("the multipart body has no `meta` part".into());
    };
    let rest = &text[at..];
    let start = rest.find("\r\n\r\n").map_or(0, |i| i + 4);
    let end = rest[start..].find("\r\n--").map_or(start, |i| start + i);
    Ok(rest[start..end].to_string())
}
