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
    if (now - t).abs() > 300 {
        return Err(format!(
            "timestamp {t} is more than 5 minutes from the server's {now}"
        ));
    }
    if nonce.is_empty() || nonce.len() > 32 {
        return Err("nonce_str must be 1 to 32 characters".into());
    }
    let body = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    let message = formatter::request(method, target, ts, nonce, body);
    if merchant_public.verify(message, sig) {
        Ok(())
    } else {
        Err(
            "the signature does not verify over the method, target, timestamp, nonce and body"
                .into(),
        )
    }
}
