//! The checks on a message WeChat Pay signed (an answer or a callback):
//! the four headers present and unambiguous, the scheme known, the
//! timestamp fresh, the serial known, the signature valid over
//! `timestamp\nnonce\nbody\n`.

use base64::{Engine as _, engine::general_purpose::STANDARD};

use crate::{CertStore, VerificationFailure, formatter};

/// WeChat Pay's allowed clock offset, both ways.
pub(crate) const MAX_OFFSET_SECONDS: i64 = 300;

/// The only signature scheme WeChat Pay's RSA answers use.
const SIGNATURE_TYPE: &str = "WECHATPAY2-SHA256-RSA2048";

/// The one value of header `name`: absent, empty, not text or repeated
/// is a failure, since a repeated header would let the first one be
/// checked and another one be believed.
fn single<'h>(
    headers: &'h http::HeaderMap,
    name: &'static str,
) -> Result<&'h str, VerificationFailure> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(VerificationFailure::DuplicateHeader(name));
    }
    first
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(VerificationFailure::MissingHeader(name))
}

/// Verifies a signed message against `certs` at local time `now`.
///
/// The order of the checks matters: everything that costs nothing and
/// needs no key comes first, and nothing here can overflow or panic,
/// whatever the headers hold.
pub(crate) fn verify(
    certs: &CertStore,
    headers: &http::HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), VerificationFailure> {
    let timestamp = single(headers, "Wechatpay-Timestamp")?;
    let nonce = single(headers, "Wechatpay-Nonce")?;
    let serial = single(headers, "Wechatpay-Serial")?;
    let signature = single(headers, "Wechatpay-Signature")?;
    let mut types = headers.get_all("Wechatpay-Signature-Type").iter();
    if let Some(t) = types.next() {
        if types.next().is_some() {
            return Err(VerificationFailure::DuplicateHeader(
                "Wechatpay-Signature-Type",
            ));
        }
        let t = String::from_utf8_lossy(t.as_bytes());
        if t.trim() != SIGNATURE_TYPE {
            return Err(VerificationFailure::UnsupportedSignatureType(
                t.into_owned(),
            ));
        }
    }
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| VerificationFailure::InvalidTimestamp(timestamp.to_string()))?;
    if now.abs_diff(ts) > MAX_OFFSET_SECONDS.unsigned_abs() {
        return Err(VerificationFailure::StaleTimestamp {
            response: ts,
            local: now,
            allowed: MAX_OFFSET_SECONDS,
        });
    }
    if signature.starts_with("WECHATPAY/SIGNTEST/") {
        return Err(VerificationFailure::SignatureProbe);
    }
    let Some(key) = certs.get(serial) else {
        return Err(VerificationFailure::UnknownSerial {
            serial: serial.to_string(),
            known: certs.serials(),
        });
    };
    let raw = STANDARD
        .decode(signature)
        .map_err(|_| VerificationFailure::MalformedSignature)?;
    let message = formatter::joined_bytes(&[timestamp.as_bytes(), nonce.as_bytes(), body]);
    if key.verify_raw(&message, &raw) {
        Ok(())
    } else {
        Err(VerificationFailure::BadSignature {
            serial: serial.to_string(),
            timestamp: timestamp.to_string(),
            nonce: nonce.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    const BASE: [(&str, &str); 4] = [
        ("Wechatpay-Timestamp", "0"),
        ("Wechatpay-Nonce", "n"),
        ("Wechatpay-Serial", "S"),
        ("Wechatpay-Signature", "AAAA"),
    ];

    #[test]
    fn missing_headers_are_named_in_order() {
        let certs = CertStore::default();
        assert_eq!(
            verify(&certs, &headers(&[]), b"", 0),
            Err(VerificationFailure::MissingHeader("Wechatpay-Timestamp"))
        );
        assert_eq!(
            verify(&certs, &headers(&BASE[..3]), b"", 0),
            Err(VerificationFailure::MissingHeader("Wechatpay-Signature"))
        );
        assert!(matches!(
            verify(&certs, &headers(&BASE), b"", 0),
            Err(VerificationFailure::UnknownSerial { .. })
        ));
    }

    #[test]
    fn repeated_headers_are_ambiguous() {
        let certs = CertStore::default();
        for (name, _) in BASE {
            let mut h = headers(&BASE);
            h.append(name, "other".parse().unwrap());
            assert_eq!(
                verify(&certs, &h, b"", 0),
                Err(VerificationFailure::DuplicateHeader(name))
            );
        }
        let mut h = headers(&BASE);
        h.append("Wechatpay-Signature-Type", SIGNATURE_TYPE.parse().unwrap());
        h.append("Wechatpay-Signature-Type", SIGNATURE_TYPE.parse().unwrap());
        assert!(matches!(
            verify(&certs, &h, b"", 0),
            Err(VerificationFailure::DuplicateHeader(_))
        ));
    }

    #[test]
    fn other_signature_schemes_are_refused() {
        let mut h = headers(&BASE);
        h.insert(
            "Wechatpay-Signature-Type",
            "WECHATPAY2-SM2-WITH-SM3".parse().unwrap(),
        );
        assert!(matches!(
            verify(&CertStore::default(), &h, b"", 0),
            Err(VerificationFailure::UnsupportedSignatureType(_))
        ));
    }

    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        for (ts, now) in [
            ("-9223372036854775808", i64::MAX),
            ("9223372036854775807", i64::MIN),
            ("-9223372036854775808", 0),
        ] {
            let mut h = headers(&BASE);
            h.insert("Wechatpay-Timestamp", ts.parse().unwrap());
            let e = verify(&CertStore::default(), &h, b"", now).unwrap_err();
            assert!(
                matches!(e, VerificationFailure::StaleTimestamp { .. }),
                "{ts}"
            );
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn the_probe_is_refused_before_the_key_is_looked_up() {
        let mut h = headers(&BASE);
        h.insert(
            "Wechatpay-Signature",
            "WECHATPAY/SIGNTEST/abc".parse().unwrap(),
        );
        assert_eq!(
            verify(&CertStore::default(), &h, b"", 0),
            Err(VerificationFailure::SignatureProbe)
        );
    }
}
