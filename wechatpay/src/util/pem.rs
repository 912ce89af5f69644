//! X.509 certificates (PHP's `Util\PemUtil`): load one, read its serial
//! number and validity, take its public key.

use std::{fmt, path::Path};

use crate::crypto::{
    CryptoError, PublicKey,
    source::{decode_pem, read_file, read_source, unexpected_label},
};

const EXPECTED: &str = "an X.509 `CERTIFICATE`";

/// A parsed X.509 certificate, such as a WeChat Pay platform certificate
/// or the merchant's `apiclient_cert.pem`.
///
/// ```
/// use wechatpay::util::pem::Certificate;
/// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem")).unwrap();
/// let cert = Certificate::from_pem(&pem)?;
/// assert_eq!(cert.serial_number(), "7132D72A03E93CDDF8C03BBD1F37EEDF843BB0CE");
/// assert!(cert.not_before() < cert.not_after());
/// # Ok::<(), wechatpay::crypto::CryptoError>(())
/// ```
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    serial: String,
    not_before: i64,
    not_after: i64,
    public_key: PublicKey,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("serial", &self.serial)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish()
    }
}

impl Certificate {
    /// Reads a PEM `CERTIFICATE`, or a `file://` or bare path to one (as
    /// [`PrivateKey::from_pem`](crate::crypto::PrivateKey::from_pem) takes
    /// them).
    ///
    /// ```
    /// use wechatpay::{crypto::CryptoError, util::pem::Certificate};
    /// let err = Certificate::from_pem("-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----").unwrap_err();
    /// assert!(matches!(err, CryptoError::UnexpectedPemLabel { .. }));
    /// assert!(err.to_string().contains("CERTIFICATE"));
    /// let bare_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem");
    /// assert_eq!(Certificate::from_pem(bare_path)?.serial_number(), "7132D72A03E93CDDF8C03BBD1F37EEDF843BB0CE");
    /// # Ok::<(), CryptoError>(())
    /// ```
    pub fn from_pem(source: &str) -> Result<Self, CryptoError> {
        Self::parse(&read_source(source)?)
    }

    /// Reads a PEM `CERTIFICATE` file; the path is never taken for PEM.
    ///
    /// ```
    /// use wechatpay::util::pem::Certificate;
    /// let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys/merchant_cert.pem");
    /// assert_eq!(Certificate::from_pem_file(path)?.serial_number(), "5157F09EFDC096DE15EBE81A47057A7232F1B8E1");
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, CryptoError> {
        Self::parse(&read_file(path.as_ref())?)
    }

    fn parse(text: &str) -> Result<Self, CryptoError> {
        let (label, der) = decode_pem(text, EXPECTED)?;
        if label != "CERTIFICATE" {
            return Err(unexpected_label(EXPECTED, &label));
        }
        Self::from_der(&der)
    }

    /// Reads DER.
    ///
    /// ```
    /// assert!(wechatpay::util::pem::Certificate::from_der(b"junk").is_err());
    /// ```
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        use x509_cert::der::{Decode, Encode};
        let invalid = |source| CryptoError::InvalidCertificate { source };
        let cert = x509_cert::Certificate::from_der(der).map_err(invalid)?;
        let tbs = &cert.tbs_certificate;
        let spki = tbs.subject_public_key_info.to_der().map_err(invalid)?;
        let validity = &tbs.validity;
        Ok(Self {
            der: der.to_vec(),
            serial: serial_hex(tbs.serial_number.as_bytes()),
            not_before: validity.not_before.to_unix_duration().as_secs() as i64,
            not_after: validity.not_after.to_unix_duration().as_secs() as i64,
            public_key: PublicKey::from_der(&spki)?,
        })
    }

    /// The serial number in uppercase hex, as WeChat Pay names certificates.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_cert.pem")).unwrap();
    /// let c = wechatpay::util::pem::Certificate::from_pem(&pem)?;
    /// assert_eq!(c.serial_number(), "5157F09EFDC096DE15EBE81A47057A7232F1B8E1");
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn serial_number(&self) -> &str {
        &self.serial
    }

    /// Start of validity, unix seconds.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem")).unwrap();
    /// assert!(wechatpay::util::pem::Certificate::from_pem(&pem)?.not_before() > 0);
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// End of validity, unix seconds.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem")).unwrap();
    /// let c = wechatpay::util::pem::Certificate::from_pem(&pem)?;
    /// assert!(c.not_after() > c.not_before());
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// Whether `now` (unix seconds) is within the validity period.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem")).unwrap();
    /// let c = wechatpay::util::pem::Certificate::from_pem(&pem)?;
    /// assert!(!c.is_valid_at(0));
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn is_valid_at(&self, now: i64) -> bool {
        self.not_before <= now && now <= self.not_after
    }

    /// The certificate's public key.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem")).unwrap();
    /// let key = wechatpay::util::pem::Certificate::from_pem(&pem)?.public_key().clone();
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The certificate as PEM.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem")).unwrap();
    /// let c = wechatpay::util::pem::Certificate::from_pem(&pem)?;
    /// assert!(c.to_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn to_pem(&self) -> String {
        pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, &self.der)
            .unwrap_or_default()
    }

    /// The certificate as DER.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem")).unwrap();
    /// assert_eq!(wechatpay::util::pem::Certificate::from_pem(&pem)?.der()[0], 0x30);
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

/// The serial number of a PEM certificate in uppercase hex
/// (PHP's `PemUtil::parseCertificateSerialNo`).
///
/// ```
/// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem")).unwrap();
/// assert_eq!(wechatpay::util::pem::serial_number(&pem)?, "7132D72A03E93CDDF8C03BBD1F37EEDF843BB0CE");
/// # Ok::<(), wechatpay::crypto::CryptoError>(())
/// ```
pub fn serial_number(pem: &str) -> Result<String, CryptoError> {
    Ok(Certificate::from_pem(pem)?.serial)
}

/// DER INTEGER bytes → uppercase hex without the sign-padding zero bytes.
fn serial_hex(bytes: &[u8]) -> String {
    let trimmed = match bytes.iter().position(|&b| b != 0) {
        Some(i) => &bytes[i..],
        None => &bytes[bytes.len().saturating_sub(1)..],
    };
    trimmed.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::serial_hex;

    #[test]
    fn serial_drops_sign_padding() {
        assert_eq!(serial_hex(&[0x00, 0x8A, 0x01]), "8A01");
        assert_eq!(serial_hex(&[0x00]), "00");
        assert_eq!(serial_hex(&[0x7F]), "7F");
    }
}
