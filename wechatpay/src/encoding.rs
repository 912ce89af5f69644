//! How values become URI text, shared by the template and the query
//! option: PHP's number printing and its `rawurlencode`, and the
//! normalisation Guzzle applies to literal path and query text.

use serde_json::Number;

/// A number as PHP prints it: integral floats lose their `.0`.
pub(crate) fn number_to_string(n: &Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => n.to_string(),
    }
}

/// PHP's `rawurlencode`: everything but `A-Za-z0-9-._~` is percent-encoded.
pub(crate) fn rawurlencode(s: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(s, SET).to_string()
}

/// Percent-encodes literal text the way Guzzle normalises a path and query:
/// characters legal there stay, as do existing `%XX` triplets; the rest is
/// UTF-8 percent-encoded. Literals are the caller's own text, so `/`, `?`
/// and `&` keep their meaning.
pub(crate) fn encode_literal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, &b) in bytes.iter().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || b"-._~!$&'()*+,;=:@/?".contains(&b)
            || (b == b'%'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit));
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_php() {
        assert_eq!(number_to_string(&Number::from_f64(1.0).unwrap()), "1");
        assert_eq!(number_to_string(&Number::from_f64(0.1).unwrap()), "0.1");
        assert_eq!(number_to_string(&Number::from(-3)), "-3");
    }

    #[test]
    fn rawurlencode_keeps_only_unreserved() {
        assert_eq!(rawurlencode("a b~!*'()"), "a%20b~%21%2A%27%28%29");
        assert_eq!(rawurlencode("中"), "%E4%B8%AD");
    }

    #[test]
    fn literals_keep_their_delimiters_and_triplets() {
        assert_eq!(
            encode_literal("a b/c?d=%41&e=100%"),
            "a%20b/c?d=%41&e=100%25"
        );
    }
}
