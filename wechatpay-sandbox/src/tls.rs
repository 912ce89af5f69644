//! HTTPS for the sandbox: a server certificate, and optionally a CA whose
//! client certificates it requires (APIv2's mTLS calls).

use std::sync::Arc;

use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        RootCertStore, ServerConfig,
        crypto::aws_lc_rs,
        pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
        server::WebPkiClientVerifier,
    },
};

use crate::SandboxError;

/// The sandbox's TLS identity.
///
/// ```
/// let tls = wechatpay_sandbox::SandboxTls {
///     cert_pem: String::new(),
///     key_pem: String::new(),
///     client_ca_pem: None,
/// };
/// ```
#[derive(Clone)]
pub struct SandboxTls {
    /// The server certificate chain, PEM; its name must be `localhost`,
    /// the host of the sandbox's base URI over TLS.
    pub cert_pem: String,
    /// The server's private key, PEM.
    pub key_pem: String,
    /// When set, a client must present a certificate this CA issued, as
    /// WeChat Pay requires `apiclient_cert` on APIv2's secured calls.
    pub client_ca_pem: Option<String>,
}

impl std::fmt::Debug for SandboxTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxTls")
            .field("requires_client_certificate", &self.client_ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

fn bad(what: &str, e: impl std::fmt::Display) -> SandboxError {
    SandboxError::Io(std::io::Error::other(format!("sandbox TLS {what}: {e}")))
}

pub(crate) fn acceptor(tls: &SandboxTls) -> Result<TlsAcceptor, SandboxError> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let certs = CertificateDer::pem_slice_iter(tls.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("certificate", e))?;
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes()).map_err(|e| bad("key", e))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("versions", e))?;
    let config = match &tls.client_ca_pem {
        None => builder.with_no_client_auth().with_single_cert(certs, key),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                roots
                    .add(c.map_err(|e| bad("client CA", e))?)
                    .map_err(|e| bad("client CA", e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| bad("client verifier", e))?;
            builder
                .with_client_cert_verifier(verifier)
                .with_single_cert(certs, key)
        }
    }
    .map_err(|e| bad("identity", e))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
