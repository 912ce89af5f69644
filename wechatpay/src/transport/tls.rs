//! TLS for the transport: rustls with the platform's verifier (the system
//! roots, plus any [`Builder::root_certificate`](crate::Builder::root_certificate)),
//! and a second configuration presenting the merchant client certificate
//! for APIv2's `security: true` calls.

use std::sync::Arc;

use rustls::{
    ClientConfig,
    crypto::CryptoProvider,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
};

use super::key::PoolKey;
use crate::Error;

/// Whether `e` carries a TLS alert with which the server refused the
/// handshake: no client certificate, or one it does not accept. Under TLS
/// 1.3 such an alert arrives after the client has sent its request (the
/// client's handshake ends first), but the server never read it.
pub(crate) fn refused_handshake(e: &(dyn std::error::Error + 'static)) -> bool {
    use rustls::AlertDescription as A;
    let mut source = Some(e);
    while let Some(s) = source {
        // io::Error hides its payload from `source()`; look inside it.
        let tls = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        if let Some(rustls::Error::AlertReceived(alert)) = tls {
            return matches!(
                alert,
                A::CertificateRequired
                    | A::BadCertificate
                    | A::UnsupportedCertificate
                    | A::CertificateRevoked
                    | A::CertificateExpired
                    | A::CertificateUnknown
                    | A::UnknownCA
                    | A::AccessDenied
                    | A::HandshakeFailure
            );
        }
        source = s.source();
    }
    false
}

/// A merchant client certificate chain and its key, for mTLS.
pub(crate) struct TlsIdentity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("certificates", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// What the builder gave for TLS.
#[derive(Default)]
pub(crate) struct TlsSettings {
    /// Extra CAs, PEM text.
    pub(crate) roots: Vec<String>,
    pub(crate) identity: Option<TlsIdentity>,
}

pub(crate) struct TlsConfigs {
    plain: Arc<ClientConfig>,
    identity: Option<Arc<ClientConfig>>,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

impl TlsConfigs {
    pub(crate) fn new(settings: TlsSettings) -> Result<Self, Error> {
        let mut roots = Vec::new();
        for pem in &settings.roots {
            let certs: Vec<CertificateDer<'static>> =
                CertificateDer::pem_slice_iter(pem.as_bytes())
                    .collect::<Result<_, _>>()
                    .map_err(|e| Error::config_caused("a `root_certificate` is not PEM", e))?;
            if certs.is_empty() {
                return Err(Error::config(
                    "a `root_certificate` holds no PEM CERTIFICATE block",
                ));
            }
            roots.extend(certs);
        }
        let verifier = Arc::new(
            rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider())
                .map_err(|e| Error::config_caused("the TLS certificate verifier", e))?,
        );
        let builder = || {
            ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map(|b| {
                    b.dangerous()
                        .with_custom_certificate_verifier(verifier.clone())
                })
                .map_err(|e| Error::config_caused("the TLS configuration", e))
        };
        let finish = |mut c: ClientConfig| {
            c.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(c)
        };
        let plain = finish(builder()?.with_no_client_auth());
        let identity = match settings.identity {
            None => None,
            Some(id) => Some(finish(
                builder()?
                    .with_client_auth_cert(id.chain, id.key)
                    .map_err(|e| {
                        Error::config_caused(
                            "the merchant client certificate and key do not make a TLS identity",
                            e,
                        )
                    })?,
            )),
        };
        Ok(Self { plain, identity })
    }

    pub(crate) fn has_identity(&self) -> bool {
        self.identity.is_some()
    }

    /// The configuration without the merchant's certificate: for a TLS
    /// proxy, which must never be shown it.
    pub(crate) fn plain(&self) -> &Arc<ClientConfig> {
        &self.plain
    }

    pub(crate) fn for_key(&self, key: &PoolKey) -> Result<&Arc<ClientConfig>, Error> {
        match (key.identity, &self.identity) {
            (false, _) => Ok(&self.plain),
            (true, Some(c)) => Ok(c),
            (true, None) => Err(Error::config(
                "`security: true` needs the merchant client certificate, and none is configured",
            )),
        }
    }
}
