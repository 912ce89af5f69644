//! The merchant's `apiclient_cert.p12`: the API private key and its
//! certificate, password-protected with the merchant ID.
//!
//! WeChat Pay's certificate tool writes these with the legacy PKCS#12
//! ciphers (PBE-SHA1-3DES for the key, PBE-SHA1-RC2-40 for the certificate,
//! an HMAC-SHA1 MAC), which many modern stacks no longer open by default;
//! files re-exported with current tools use PBES2 (AES-256-CBC, PBKDF2).
//! Both load. Parsing is done by `p12-keystore`, which handles both.

use std::fmt;

use p12_keystore::Pkcs12Archive;
use x509_cert::{der::Decode, spki::SubjectPublicKeyInfoRef};

use super::{CryptoError, PrivateKey, rsa::certificate_spki};
use crate::util::pem::Certificate;

/// The contents of a merchant `apiclient_cert.p12`: the private key, the
/// certificate that goes with it, and that certificate's serial number (the
/// `serial_no` of the `Authorization` header).
///
/// ```
/// use wechatpay::crypto::Pkcs12;
/// # let der = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/apiclient_cert.legacy.p12")).unwrap();
/// let p12 = Pkcs12::parse(&der, "1900000001")?; // the password is the mchid
/// assert_eq!(p12.serial, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1");
/// assert!(p12.certificate_pem.starts_with("-----BEGIN CERTIFICATE-----"));
/// let signature = p12.key.sign("message")?;
/// # Ok::<(), wechatpay::crypto::CryptoError>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Pkcs12 {
    /// The merchant's API private key.
    pub key: PrivateKey,
    /// The merchant's API certificate (`apiclient_cert.pem`), as PEM.
    pub certificate_pem: String,
    /// The certificate's serial number in uppercase hex, as WeChat Pay names it.
    pub serial: String,
}

impl fmt::Debug for Pkcs12 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs12")
            .field("key", &self.key)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl Pkcs12 {
    /// Opens a PKCS#12 (`.p12`, `.pfx`) file's bytes with `password` (for
    /// WeChat Pay's `apiclient_cert.p12`, the merchant ID).
    ///
    /// Takes the file's first private key and the certificate whose public
    /// key matches it, whatever order or bag attributes the tool wrote.
    /// A wrong password or a file that is not PKCS#12 gives
    /// [`CryptoError::Pkcs12Rejected`] (p12-keystore's error as its source),
    /// one without a key [`CryptoError::Pkcs12NoPrivateKey`], one without
    /// the key's certificate [`CryptoError::Pkcs12NoMatchingCertificate`].
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, Pkcs12};
    /// # let der = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/apiclient_cert.modern.p12")).unwrap();
    /// let p12 = Pkcs12::parse(&der, "1900000001")?;
    /// let err = Pkcs12::parse(&der, "wrong").unwrap_err();
    /// assert!(matches!(err, CryptoError::Pkcs12Rejected { .. }));
    /// assert!(err.to_string().contains("password"));
    /// assert!(Pkcs12::parse(b"junk", "1900000001").is_err());
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn parse(der: &[u8], password: &str) -> Result<Self, CryptoError> {
        let archive = Pkcs12Archive::from_pkcs12(der, password)
            .map_err(|source| CryptoError::Pkcs12Rejected { source })?;
        let bag = archive
            .keys
            .first()
            .ok_or(CryptoError::Pkcs12NoPrivateKey)?;
        let key = PrivateKey::from_der(bag.key.as_der(), true)?;
        let key_bits = rsa_key_bits(key.public_key()?.spki_der());
        let certificate = archive
            .certs
            .iter()
            .map(|bag| bag.cert.as_der())
            .find(|der| certificate_spki(der).is_ok_and(|spki| rsa_key_bits(&spki) == key_bits))
            .ok_or(CryptoError::Pkcs12NoMatchingCertificate {
                certificates: archive.certs.len(),
            })?;
        let certificate = Certificate::from_der(certificate)?;
        Ok(Self {
            key,
            certificate_pem: certificate.to_pem(),
            serial: certificate.serial_number().to_string(),
        })
    }
}

/// The public key proper (the SPKI's BIT STRING), so that certificates match
/// keys however their encoders wrote the algorithm parameters.
fn rsa_key_bits(spki: &[u8]) -> Option<Vec<u8>> {
    SubjectPublicKeyInfoRef::from_der(spki)
        .ok()
        .map(|s| s.subject_public_key.raw_bytes().to_vec())
}
