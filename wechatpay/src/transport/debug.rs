//! The `debug` option: the signed request and its answer, to stderr, as
//! Guzzle's `debug` prints them, with the signature and the bodies' bulk
//! left out of what could end up in a shared log.

use crate::{Response, request::Request};

/// The most of a body shown.
const SHOWN: usize = 4096;

fn body(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(SHOWN)]);
    let text = crate::error::escaped(&text);
    if bytes.len() > SHOWN {
        format!("{text}… ({} bytes)", bytes.len())
    } else {
        text
    }
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
}
