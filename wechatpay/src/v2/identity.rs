//! The merchant client certificate APIv2 asks for on some calls (refunds,
//! red packets, transfers): PEM certificate + key, or `apiclient_cert.p12`.

use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, pem::PemObject};

use crate::{Error, transport::tls::TlsIdentity};

/// Where the client certificate comes from; turned into a TLS identity when
/// the client is built (the `.p12` password is the mchid, known only then).
#[derive(Clone)]
pub(crate) enum ClientCert {
    /// PEM texts (or `file://` paths): the certificate (chain) and its key.
    Pem { cert: String, key: String },
    /// The DER bytes of `apiclient_cert.p12`.
    P12(Vec<u8>),
}

impl std::fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientCert::Pem { .. } => f.write_str("ClientCert::Pem(<redacted>)"),
            ClientCert::P12(_) => f.write_str("ClientCert::P12(<redacted>)"),
        }
    }
}

fn read(source: &str, what: &str) -> Result<String, Error> {
    match source.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            Error::config_caused(format!("cannot read the client {what} `{path}`"), e)
        }),
        None => Ok(source.to_string()),
    }
}

/// PEM blocks of `text` with their labels, or why not (never echoing the text).
fn labels(text: &str, what: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("-----BEGIN ") {
        let block = &rest[at..];
        let Some(end_label) = block["-----BEGIN ".len()..].find("-----") else {
            break;
        };
        let label = &block["-----BEGIN ".len().."-----BEGIN ".len() + end_label];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = block.find(&end_marker) else {
            return Err(Error::config(format!(
                "the client {what} has an unterminated PEM `{label}` block"
            )));
        };
        let pem = &block[..end + end_marker.len()];
        pem_rfc7468::decode_vec(pem.as_bytes()).map_err(|e| {
            Error::config(format!(
                "the client {what} has a broken PEM `{label}` block: {e}"
            ))
        })?;
        out.push(label.to_string());
        rest = &block[end + end_marker.len()..];
    }
    Ok(out)
}

impl ClientCert {
    /// The TLS identity, checked enough that a mistake shows at build time.
    pub(crate) fn identity(&self, mchid: &str) -> Result<TlsIdentity, Error> {
        match self {
            ClientCert::Pem { cert, key } => {
                let cert = read(cert, "certificate")?;
                let key = read(key, "private key")?;
                let cert_labels = labels(&cert, "certificate")?;
                if cert_labels.is_empty() || cert_labels.iter().any(|l| l != "CERTIFICATE") {
                    return Err(Error::config(
                        "the client certificate must be PEM `CERTIFICATE` blocks (apiclient_cert.pem)",
                    ));
                }
                let key_labels = labels(&key, "private key")?;
                if !matches!(
                    key_labels.as_slice(),
                    [l] if l == "PRIVATE KEY" || l == "RSA PRIVATE KEY" || l == "EC PRIVATE KEY"
                ) {
                    return Err(Error::config(
                        "the client private key must be one unencrypted PEM private key (apiclient_key.pem)",
                    ));
                }
                let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| Error::config_caused("the client certificate is not PEM", e))?;
                let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
                    .map_err(|e| Error::config_caused("the client private key is not PEM", e))?;
                Ok(TlsIdentity { chain, key })
            }
            ClientCert::P12(der) => p12_identity(der, mchid),
        }
    }
}

/// `apiclient_cert.p12` (password = mchid): its key and certificate chain.
fn p12_identity(der: &[u8], mchid: &str) -> Result<TlsIdentity, Error> {
    let store = KeyStore::from_pkcs12(der, mchid, Pkcs12ImportPolicy::Relaxed).map_err(|e| {
        Error::config_caused(
            "apiclient_cert.p12 does not open with the merchant ID as its password",
            e,
        )
    })?;
    let Some((_, chain)) = store.private_key_chain() else {
        return Err(Error::config("apiclient_cert.p12 holds no private key"));
    };
    if chain.certs().is_empty() {
        return Err(Error::config(
            "apiclient_cert.p12 holds no certificate for its private key",
        ));
    }
    Ok(TlsIdentity {
        chain: chain
            .certs()
            .iter()
            .map(|c| CertificateDer::from(c.as_der().to_vec()))
            .collect(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(chain.key().as_der().to_vec())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_config_error_without_echo() {
        let bad = ClientCert::Pem {
            cert: "SECRET-LOOKING TEXT".into(),
            key: "-----BEGIN PRIVATE KEY-----\nAAAA".into(),
        };
        let e = bad.identity("1900000001").unwrap_err();
        assert!(e.is_config());
        assert!(!e.to_string().contains("SECRET-LOOKING"));
        let e = ClientCert::P12(b"junk".to_vec())
            .identity("1900000001")
            .unwrap_err();
        assert!(e.is_config(), "{e}");
        assert!(!format!("{:?}", ClientCert::P12(vec![7, 7])).contains('7'));
    }

    #[test]
    fn labels_are_read_in_order() {
        let pem =
            pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, b"x").unwrap();
        let two = format!("{pem}{pem}");
        assert_eq!(labels(&two, "c").unwrap(), ["CERTIFICATE", "CERTIFICATE"]);
        assert!(labels("-----BEGIN X-----\nAA==\n", "c").is_err());
    }
}
