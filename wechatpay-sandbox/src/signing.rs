//! How the sandbox signs what it sends and checks what it gets, as WeChat
//! Pay does: APIv3 answers signed with the platform key (errors included),
//! APIv2 fields signed with the APIv2 secret.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde_json::{Map, Value};
use wechatpay::{
    crypto::{
        PrivateKey,
        hash::{self, SignType},
    },
    formatter::{self, ksort, query_string_like},
};

use crate::Fault;

/// Who signs APIv3 answers, and as which serial.
pub(crate) struct AnswerSigner {
    pub(crate) key: PrivateKey,
    /// The serial named by default: the public-key ID or the certificate's.
    pub(crate) serial: String,
    /// The platform certificate's serial, for the `certificate_serial` fault.
    pub(crate) cert_serial: String,
}

impl AnswerSigner {
    /// Signs an answer with the mode's key, then applies `fault`.
    pub(crate) fn sign(
        &self,
        status: u16,
        content_type: Option<&str>,
        body: Bytes,
        extra: &[(String, String)],
        fault: Option<Fault>,
    ) -> Response<Full<Bytes>> {
        self.sign_as(&self.serial, status, content_type, body, extra, fault)
    }

    /// Signs as the platform certificate whatever the mode: WeChat Pay signs
    /// the certificate listing so, which lets a downloader verify it with
    /// what it downloads.
    pub(crate) fn sign_as_certificate(
        &self,
        status: u16,
        content_type: Option<&str>,
        body: Bytes,
        fault: Option<Fault>,
    ) -> Response<Full<Bytes>> {
        self.sign_as(&self.cert_serial, status, content_type, body, &[], fault)
    }

    fn sign_as(
        &self,
        serial: &str,
        status: u16,
        content_type: Option<&str>,
        body: Bytes,
        extra: &[(String, String)],
        fault: Option<Fault>,
    ) -> Response<Full<Bytes>> {
        let mut timestamp = formatter::timestamp();
        if fault == Some(Fault::StaleTimestamp) {
            timestamp -= 600;
        }
        let nonce = formatter::nonce(32);
        let ts = timestamp.to_string();
        let message = if fault == Some(Fault::BadSignature) {
            formatter::joined_bytes(&[ts.as_bytes(), nonce.as_bytes(), b"tampered"])
        } else {
            formatter::joined_bytes(&[ts.as_bytes(), nonce.as_bytes(), &body])
        };
        let mut signature = self.key.sign(message).unwrap_or_default();
        let mut serial = serial.to_string();
        match fault {
            Some(Fault::GarbageSignature) => signature = "not*base64*at*all".into(),
            Some(Fault::SignTest) => signature = format!("WECHATPAY/SIGNTEST/{signature}"),
            Some(Fault::UnknownSerial) => serial = "PUB_KEY_ID_UNKNOWN_0000000000000000".into(),
            Some(Fault::CertificateSerial) => serial = self.cert_serial.clone(),
            _ => {}
        }
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = Response::new(Full::new(body.clone()));
        *response.status_mut() = status;
        let h = response.headers_mut();
        let mut put = |name: &str, value: &str| {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                h.append(n, v);
            }
        };
        put("Request-ID", &format!("sandbox-{nonce}"));
        if let Some(ct) = content_type {
            put("Content-Type", ct);
        }
        if fault != Some(Fault::MissingHeaders) {
            put("Wechatpay-Timestamp", &ts);
            put("Wechatpay-Nonce", &nonce);
            put("Wechatpay-Serial", &serial);
            put("Wechatpay-Signature", &signature);
            put("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048");
        }
        for (k, v) in extra {
            put(k, v);
        }
        response
    }
}

/// The algorithm `sign_type` names (absent: MD5).
fn sign_type(map: &Map<String, Value>) -> Option<SignType> {
    match map.get("sign_type").and_then(Value::as_str) {
        None | Some("MD5") => Some(SignType::Md5),
        Some("HMAC-SHA256") => Some(SignType::HmacSha256),
        Some(_) => None,
    }
}

/// Whether APIv2 `fields` carry a `sign` WeChat Pay would accept.
pub(crate) fn check_v2(fields: &Map<String, Value>, secret: &str) -> Result<(), String> {
    let Some(kind) = sign_type(fields) else {
        return Err("sign_type is neither MD5 nor HMAC-SHA256".into());
    };
    let Some(given) = fields.get("sign").and_then(Value::as_str) else {
        return Err("there is no sign".into());
    };
    let expected = hash::sign(kind, &query_string_like(&ksort(fields)), secret);
    if hash::equals(given, &expected) {
        Ok(())
    } else {
        Err(format!("sign does not verify ({})", kind.as_str()))
    }
}

/// Adds `nonce_str` and `sign` to APIv2 answer fields.
pub(crate) fn sign_v2(fields: &mut Map<String, Value>, secret: &str, kind: SignType) {
    fields.insert("nonce_str".into(), formatter::nonce(16).into());
    let sign = hash::sign(kind, &query_string_like(&ksort(fields)), secret);
    fields.insert("sign".into(), sign.into());
}
