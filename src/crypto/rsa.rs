//! RSA keys as WeChat Pay uses them: the merchant's private key signs
//! requests, WeChat Pay's public key (or platform certificate) verifies replies.

use std::{fmt, sync::Arc};

use base64::{Engine as _, engine::general_purpose::STANDARD};

use super::backend::{self, AwsLcPrivate, AwsLcPublic, SigningKey, VerifyingKey};
use crate::Error;

/// The merchant's API private key (`apiclient_key.pem`).
///
/// Parsed once; cloning shares it. Its `Debug` never shows key material.
///
/// ```
/// use wechatpay::crypto::PrivateKey;
/// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
/// let key = PrivateKey::from_pem(&pem)?;
/// let signature = key.sign("hello")?;
/// assert_eq!(signature.len(), 344); // base64 of 256 bytes
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Clone)]
pub struct PrivateKey {
    inner: Arc<dyn SigningKey>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

impl PrivateKey {
    /// Reads a private key from PEM text, a `file://` path, or PHP's
    /// `private.pkcs1://` / `private.pkcs8://` bare-base64 forms.
    ///
    /// PEM may be PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// let err = PrivateKey::from_pem("not a key").unwrap_err();
    /// assert!(err.to_string().contains("PRIVATE KEY"));
    /// ```
    pub fn from_pem(source: &str) -> Result<Self, Error> {
        let text = read_source(source)?;
        let text = text.as_ref();
        if let Some(b64) = text.strip_prefix("private.pkcs1://") {
            return Self::from_der(&decode_bare(b64)?, false);
        }
        if let Some(b64) = text.strip_prefix("private.pkcs8://") {
            return Self::from_der(&decode_bare(b64)?, true);
        }
        let (label, der) = decode_pem(text, "a PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`")?;
        match label.as_str() {
            "PRIVATE KEY" => Self::from_der(&der, true),
            "RSA PRIVATE KEY" => Self::from_der(&der, false),
            other => Err(Error::Crypto(format!(
                "expected a PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY` PEM, got `{other}`"
            ))),
        }
    }

    /// Reads PKCS#8 (`pkcs8 = true`) or PKCS#1 DER.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// assert!(PrivateKey::from_der(&[0x30, 0x00], true).is_err());
    /// ```
    pub fn from_der(der: &[u8], pkcs8: bool) -> Result<Self, Error> {
        let key = AwsLcPrivate::from_der(der, pkcs8).map_err(Error::Crypto)?;
        Ok(Self {
            inner: Arc::new(key),
        })
    }

    /// Signs `message` with RSA PKCS#1 v1.5 over SHA-256 and returns base64,
    /// the form the `Authorization` header and JSAPI `paySign` take.
    ///
    /// ```
    /// # use wechatpay::crypto::PrivateKey;
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// let key = PrivateKey::from_pem(&pem)?;
    /// assert_eq!(key.sign("a")?, key.sign("a")?); // PKCS#1 v1.5 is deterministic
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn sign(&self, message: impl AsRef<[u8]>) -> Result<String, Error> {
        let raw = self
            .inner
            .sign_sha256(message.as_ref())
            .map_err(Error::Crypto)?;
        Ok(STANDARD.encode(raw))
    }

    /// The matching public key, e.g. for a test server that checks signatures.
    ///
    /// ```
    /// # use wechatpay::crypto::PrivateKey;
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// let key = PrivateKey::from_pem(&pem)?;
    /// let public = key.public_key()?;
    /// assert!(public.verify("m", &key.sign("m")?));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn public_key(&self) -> Result<PublicKey, Error> {
        PublicKey::from_der(&self.inner.public_spki_der())
    }
}

/// A WeChat Pay public key, or the key of a platform certificate.
///
/// Parsed once; cloning shares it.
///
/// ```
/// use wechatpay::crypto::PublicKey;
/// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
/// let key = PublicKey::from_pem(&pem)?;
/// assert!(!key.verify("message", "bm90IGEgc2lnbmF0dXJl"));
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Clone)]
pub struct PublicKey {
    inner: Arc<dyn VerifyingKey>,
    spki: Arc<[u8]>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("spki_len", &self.spki.len())
            .finish()
    }
}

impl PublicKey {
    /// Reads a public key from PEM text or a `file://` path: SPKI
    /// (`PUBLIC KEY`), PKCS#1 (`RSA PUBLIC KEY`), an X.509 `CERTIFICATE`
    /// (its key), or PHP's `public.pkcs1://` / `public.spki://` bare base64.
    ///
    /// ```
    /// use wechatpay::crypto::PublicKey;
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem")).unwrap();
    /// let from_certificate = PublicKey::from_pem(&pem)?;
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_pem(source: &str) -> Result<Self, Error> {
        let text = read_source(source)?;
        let text = text.as_ref();
        if let Some(b64) = text
            .strip_prefix("public.pkcs1://")
            .or_else(|| text.strip_prefix("public.spki://"))
        {
            return Self::from_der(&decode_bare(b64)?);
        }
        let expected = "an SPKI `PUBLIC KEY`, PKCS#1 `RSA PUBLIC KEY` or X.509 `CERTIFICATE`";
        let (label, der) = decode_pem(text, expected)?;
        match label.as_str() {
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Self::from_der(&der),
            "CERTIFICATE" => Self::from_der(&certificate_spki(&der)?),
            other => Err(Error::Crypto(format!(
                "expected {expected} PEM, got `{other}`"
            ))),
        }
    }

    /// Reads SPKI or PKCS#1 `RSAPublicKey` DER.
    ///
    /// ```
    /// use wechatpay::crypto::PublicKey;
    /// assert!(PublicKey::from_der(b"junk").is_err());
    /// ```
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let spki = backend::to_spki_der(der).map_err(Error::Crypto)?;
        let inner = AwsLcPublic::from_der(&spki).map_err(Error::Crypto)?;
        Ok(Self {
            inner: Arc::new(inner),
            spki: spki.into(),
        })
    }

    /// Checks a base64 RSA PKCS#1 v1.5 SHA-256 signature over `message`.
    /// Malformed base64 is simply `false`.
    ///
    /// ```
    /// # use wechatpay::crypto::PublicKey;
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
    /// # let key = PublicKey::from_pem(&pem)?;
    /// assert!(!key.verify("m", "%%% not base64"));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn verify(&self, message: impl AsRef<[u8]>, signature_b64: &str) -> bool {
        match STANDARD.decode(signature_b64) {
            Ok(sig) => self.verify_raw(message.as_ref(), &sig),
            Err(_) => false,
        }
    }

    /// Checks a raw (already decoded) signature.
    pub(crate) fn verify_raw(&self, message: &[u8], signature: &[u8]) -> bool {
        self.inner.verify_sha256(message, signature)
    }

    /// The key as SPKI DER.
    ///
    /// ```
    /// # use wechatpay::crypto::PublicKey;
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
    /// let key = PublicKey::from_pem(&pem)?;
    /// assert_eq!(key.spki_der()[0], 0x30);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }
}

/// Reads a `file://` source, or passes text through untouched.
fn read_source(source: &str) -> Result<std::borrow::Cow<'_, str>, Error> {
    match source.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path)
            .map(std::borrow::Cow::Owned)
            .map_err(|e| Error::Crypto(format!("cannot read key file `{path}`: {e}"))),
        None => Ok(std::borrow::Cow::Borrowed(source)),
    }
}

fn decode_bare(b64: &str) -> Result<Vec<u8>, Error> {
    let compact: String = b64.split_whitespace().collect();
    STANDARD
        .decode(compact)
        .map_err(|_| Error::Crypto("the bare key after `://` is not base64".into()))
}

fn decode_pem(text: &str, expected: &str) -> Result<(String, Vec<u8>), Error> {
    let trimmed = text.trim();
    pem_rfc7468::decode_vec(trimmed.as_bytes())
        .map(|(label, der)| (label.to_string(), der))
        .map_err(|e| Error::Crypto(format!("expected {expected} PEM: {e}")))
}

/// The SPKI DER inside an X.509 certificate.
pub(crate) fn certificate_spki(der: &[u8]) -> Result<Vec<u8>, Error> {
    use x509_cert::der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| Error::Crypto(format!("not an X.509 certificate: {e}")))?;
    cert.tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| Error::Crypto(format!("certificate key: {e}")))
}
