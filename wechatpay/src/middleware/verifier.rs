//! Verifies each APIv3 response before anyone reads it (PHP's
//! `ClientJsonTrait::verifier`), failing closed.

use base64::{Engine as _, engine::general_purpose::STANDARD};

use super::{ApiVersion, BoxFuture, Middleware, Next, Request, api_of};
use crate::{Error, Response, VerificationFailure, certs::CertStore, formatter};

/// WeChat Pay's allowed clock offset, both ways.
pub(crate) const MAX_OFFSET_SECONDS: i64 = 300;

/// Paths WeChat Pay answers unsigned (binary downloads); PHP and the Node
/// SDK pass them through, and so do we.
fn is_unsigned(path: &str) -> bool {
    path == "/v3/billdownload/file"
        || path.starts_with("/v3/transferdownload/")
        || (path.starts_with("/v3/merchant-service/images/") && !path.ends_with("/upload"))
}

pub(crate) struct Verifier {
    pub(crate) certs: CertStore,
}

impl Middleware for Verifier {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            let wanted = request
                .extensions()
                .get::<super::CallContext>()
                .is_none_or(|c| c.verify_response);
            let check =
                wanted && api_of(&request) == ApiVersion::V3 && !is_unsigned(request.uri().path());
            let response = next.run(request).await?;
            let status = response.status();
            if check && (status.is_success() || status.is_redirection()) {
                return verified(&self.certs, response);
            }
            Ok(response)
        })
    }
}

/// `response` back if it verifies against `certs`, else the error holding it.
pub(crate) fn verified(certs: &CertStore, response: Response) -> Result<Response, Error> {
    match verify(
        certs,
        response.headers(),
        response.body(),
        formatter::timestamp(),
    ) {
        Ok(()) => Ok(response),
        Err(reason) => Err(Error::Verification {
            reason,
            response: Box::new(response),
        }),
    }
}

fn header<'h>(
    headers: &'h http::HeaderMap,
    name: &'static str,
) -> Result<&'h str, VerificationFailure> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(VerificationFailure::MissingHeader(name))
}

/// The four checks on a signed message from WeChat Pay, for responses and
/// callbacks alike: headers present, timestamp fresh, serial known,
/// signature valid over `timestamp\nnonce\nbody\n`.
pub(crate) fn verify(
    certs: &CertStore,
    headers: &http::HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), VerificationFailure> {
    let timestamp = header(headers, "Wechatpay-Timestamp")?;
    let nonce = header(headers, "Wechatpay-Nonce")?;
    let serial = header(headers, "Wechatpay-Serial")?;
    let signature = header(headers, "Wechatpay-Signature")?;
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| VerificationFailure::InvalidTimestamp(timestamp.to_string()))?;
    if (now - ts).abs() > MAX_OFFSET_SECONDS {
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

    #[test]
    fn unsigned_paths_match_php() {
        assert!(is_unsigned("/v3/billdownload/file"));
        assert!(is_unsigned("/v3/transferdownload/signature"));
        assert!(is_unsigned("/v3/merchant-service/images/abc"));
        assert!(!is_unsigned("/v3/merchant-service/images/upload"));
        assert!(!is_unsigned("/v3/payscore/serviceorder"));
    }

    #[test]
    fn missing_headers_are_named_in_order() {
        let certs = CertStore::default();
        let mut h = http::HeaderMap::new();
        assert_eq!(
            verify(&certs, &h, b"", 0),
            Err(VerificationFailure::MissingHeader("Wechatpay-Timestamp"))
        );
        h.insert("Wechatpay-Timestamp", "0".parse().unwrap());
        h.insert("Wechatpay-Nonce", "n".parse().unwrap());
        h.insert("Wechatpay-Serial", "S".parse().unwrap());
        h.insert(
            "Wechatpay-Signature",
            "WECHATPAY/SIGNTEST/abc".parse().unwrap(),
        );
        assert_eq!(
            verify(&certs, &h, b"", 0),
            Err(VerificationFailure::SignatureProbe)
        );
        assert!(matches!(
            verify(&certs, &h, b"", 301),
            Err(VerificationFailure::StaleTimestamp {
                response: 0,
                local: 301,
                ..
            })
        ));
        h.insert("Wechatpay-Signature", "AAAA".parse().unwrap());
        assert!(matches!(
            verify(&certs, &h, b"", 0),
            Err(VerificationFailure::UnknownSerial { .. })
        ));
    }
}
