//! The `debug` option: the signed request and its answer, to stderr, as
//! Guzzle's `debug` prints them, with the signature (APIv3's in the
//! `Authorization`, APIv2's `sign` in the XML) and the bodies' bulk left
//! out of what could end up in a shared log.

use crate::{Response, request::Request};

/// The most of a body shown.
const SHOWN: usize = 4096;

fn body(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(SHOWN)]);
    let text = crate::error::escaped(&without_sign(&text));
    if bytes.len() > SHOWN {
        format!("{text}… ({} bytes)", bytes.len())
    } else {
        text
    }
}

/// An APIv2 body with each `<sign>` emptied: a request's `sign` is good for
/// as long as the secret is (APIv2 has no timestamp), so a logged one could
/// be replayed, and an answer's is made with the same secret. A `<sign>`
/// cut off by [`SHOWN`] is emptied to the end.
fn without_sign(text: &str) -> std::borrow::Cow<'_, str> {
    const OPEN: &str = "<sign>";
    const CLOSE: &str = "</sign>";
    if !text.contains(OPEN) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at + OPEN.len()]);
        out.push_str("<redacted>");
        rest = &rest[at + OPEN.len()..];
        match rest.find(CLOSE) {
            Some(end) => rest = &rest[end..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out.into()
}

/// The `Authorization` with its signature replaced: it proves nothing to a
/// reader, and a log is no place for it.
fn redacted(name: &http::HeaderName, value: &http::HeaderValue) -> String {
    let text = String::from_utf8_lossy(value.as_bytes());
    if name == http::header::AUTHORIZATION {
        match text.find("signature=\"") {
            Some(at) => {
                let end = text[at + 11..]
                    .find('"')
                    .map_or(text.len(), |e| at + 11 + e);
                format!(
                    "{}signature=\"<redacted>\"{}",
                    &text[..at],
                    &text[end + 1..]
                )
            }
            None => "<redacted>".into(),
        }
    } else {
        crate::error::escaped(&text)
    }
}

pub(crate) fn request(r: &Request) {
    let mut out = format!("> {} {}\n", r.method(), r.uri());
    for (n, v) in r.headers() {
        out.push_str(&format!("> {n}: {}\n", redacted(n, v)));
    }
    out.push_str(&format!(">\n> {}\n", body(r.body())));
    eprint!("{out}");
}

pub(crate) fn answer(r: &Response) {
    let mut out = format!("< {:?} {}\n", r.version(), r.status());
    for (n, v) in r.headers() {
        out.push_str(&format!("< {n}: {}\n", redacted(n, v)));
    }
    out.push_str(&format!("<\n< {}\n", body(r.body())));
    eprint!("{out}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_redacted_and_the_rest_kept() {
        let v = http::HeaderValue::from_static(
            r#"WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="c2VjcmV0",timestamp="1",serial_no="S""#,
        );
        let shown = redacted(&http::header::AUTHORIZATION, &v);
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(
            shown.contains(r#"signature="<redacted>",timestamp="1",serial_no="S""#),
            "{shown}"
        );
        assert_eq!(
            body(&vec![b'a'; 5000]).len(),
            SHOWN + "… (5000 bytes)".len()
        );
    }

    #[test]
    fn the_apiv2_sign_is_redacted_wherever_it_stands() {
        let xml = b"<xml><sign>9A0A8659F005D6984697E2CA0A9CF3B7</sign><a>1</a><sign><![CDATA[C0FFEE]]></sign></xml>";
        assert_eq!(
            body(xml),
            "<xml><sign><redacted></sign><a>1</a><sign><redacted></sign></xml>"
        );
        // Cut off inside the sign by the display cap: nothing of it shows.
        let mut long = vec![b'a'; SHOWN - 10];
        long.extend_from_slice(b"<sign>9A0A8659F005D6984697E2CA0A9CF3B7</sign>");
        let shown = body(&long);
        assert!(!shown.contains("9A0A"), "{shown}");
        assert!(
            shown.ends_with(&format!("<sign><redacted>… ({} bytes)", long.len())),
            "{shown}"
        );
        assert_eq!(
            body(b"<xml><sign_type>MD5</sign_type></xml>"),
            "<xml><sign_type>MD5</sign_type></xml>"
        );
    }
}
