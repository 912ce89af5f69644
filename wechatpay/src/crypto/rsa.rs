//! RSA keys as WeChat Pay uses them: the merchant's private key signs
//! requests and decrypts sensitive fields addressed to the merchant; WeChat
//! Pay's public key (or platform certificate) verifies replies and encrypts
//! sensitive fields sent to WeChat Pay.
//!
//! Encryption is OAEP with SHA-1 and MGF1-SHA-1 only, the scheme WeChat Pay
//! uses. PKCS#1 v1.5 *encryption* is deliberately absent: its padding oracle
//! (Bleichenbacher, and the Marvin timing variant) makes it unsafe to offer,
//! and wechatpay-php refuses it since 1.4.10. PKCS#1 v1.5 *signatures* are
//! unaffected and are what the APIv3 `Authorization` header uses.

use std::{fmt, path::Path, sync::Arc};

use base64::{Engine as _, engine::general_purpose::STANDARD};

use super::{
    CryptoError,
    backend::{self, OAEP, SigningKey, VerifyingKey},
    source::{decode_bare, decode_pem, read_file, read_source, unexpected_label},
};

/// OAEP's fixed cost in a block: two SHA-1 digests and two marker bytes.
const OAEP_SHA1_OVERHEAD: usize = 2 * 20 + 2;

const EXPECTED_PRIVATE: &str = "a PKCS#8 `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY` or \
     passphrase-encrypted PKCS#8 `ENCRYPTED PRIVATE KEY`";

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
/// # Ok::<(), wechatpay::crypto::CryptoError>(())
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
    /// Reads a private key from PEM text, a `file://` path, a bare path, or
    /// PHP's `private.pkcs1://` / `private.pkcs8://` bare-base64 forms.
    ///
    /// PEM may be PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`). An
    /// `ENCRYPTED PRIVATE KEY` is refused with an error that points to
    /// [`from_pem_with_passphrase`](Self::from_pem_with_passphrase); a
    /// `.p12` file loads with [`from_pkcs12`](Self::from_pkcs12).
    ///
    /// As in PHP, a bare path works: text with no `-----BEGIN` and no
    /// newline that names an existing file is read as that file (relative
    /// paths from the current directory). Text that looks like a path (it
    /// starts with `/`, `./`, `../` or `~`, or ends in `.pem`, `.key`,
    /// `.crt` or `.cer`) but names no file is
    /// [`CryptoError::NoFileAtPath`], not a PEM error.
    /// [`from_pem_file`](Self::from_pem_file) takes a path and nothing else.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    /// let bare_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem");
    /// let key = PrivateKey::from_pem(bare_path)?;
    /// let err = PrivateKey::from_pem("not a key").unwrap_err();
    /// assert!(matches!(err, CryptoError::InvalidPem { .. }));
    /// assert!(err.to_string().contains("PRIVATE KEY"));
    /// # Ok::<(), CryptoError>(())
    /// ```
    pub fn from_pem(source: &str) -> Result<Self, CryptoError> {
        Self::load(source, None)
    }

    /// Like [`from_pem`](Self::from_pem), and also opens a
    /// passphrase-encrypted PKCS#8 `ENCRYPTED PRIVATE KEY` (PBES2: AES-CBC or
    /// DES-EDE3-CBC, keyed by PBKDF2 or scrypt, as `openssl pkcs8 -topk8`
    /// writes). Unencrypted keys load as well, the passphrase unused, so a
    /// configuration can always pass one.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.encrypted.pem")).unwrap();
    /// let key = PrivateKey::from_pem_with_passphrase(&pem, "test-passphrase")?;
    /// assert!(key.public_key()?.verify("m", &key.sign("m")?));
    /// assert!(PrivateKey::from_pem_with_passphrase(&pem, "wrong").is_err());
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn from_pem_with_passphrase(
        source: &str,
        passphrase: impl AsRef<[u8]>,
    ) -> Result<Self, CryptoError> {
        Self::load(source, Some(passphrase.as_ref()))
    }

    /// Reads a private key from a PEM file (what `file://` and bare paths
    /// do in [`from_pem`](Self::from_pem)); the path is never taken for PEM.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PrivateKey};
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys");
    /// let key = PrivateKey::from_pem_file(dir.join("merchant_private_key.pem"))?;
    /// let err = PrivateKey::from_pem_file(dir.join("missing.pem")).unwrap_err();
    /// assert!(matches!(err, CryptoError::FileUnreadable { .. }));
    /// # Ok::<(), CryptoError>(())
    /// ```
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, CryptoError> {
        Self::parse(&read_file(path.as_ref())?, None)
    }

    fn load(source: &str, passphrase: Option<&[u8]>) -> Result<Self, CryptoError> {
        Self::parse(&read_source(source)?, passphrase)
    }

    /// Key text proper: PEM or PHP's bare forms, no longer a path.
    fn parse(text: &str, passphrase: Option<&[u8]>) -> Result<Self, CryptoError> {
        for (scheme, pkcs8) in [("private.pkcs1", false), ("private.pkcs8", true)] {
            if let Some(b64) = text
                .strip_prefix(scheme)
                .and_then(|t| t.strip_prefix("://"))
            {
                return Self::from_der(&decode_bare(b64, scheme)?, pkcs8);
            }
        }
        // OpenSSL's pre-PKCS#8 encryption puts headers inside the PEM, which
        // RFC 7468 parsing would only call malformed; say what it really is.
        if text.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(CryptoError::LegacyEncryptedPem);
        }
        let (label, der) = decode_pem(text, EXPECTED_PRIVATE)?;
        match label.as_str() {
            "PRIVATE KEY" => Self::from_der(&der, true),
            "RSA PRIVATE KEY" => Self::from_der(&der, false),
            "ENCRYPTED PRIVATE KEY" => match passphrase {
                Some(passphrase) => Self::from_encrypted_pkcs8(&der, passphrase),
                None => Err(CryptoError::PassphraseRequired),
            },
            other => Err(unexpected_label(EXPECTED_PRIVATE, other)),
        }
    }

    fn from_encrypted_pkcs8(der: &[u8], passphrase: &[u8]) -> Result<Self, CryptoError> {
        use pkcs8::{Error as Pkcs8Error, pkcs5::Error as Pkcs5Error};
        let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der)
            .map_err(|source| CryptoError::InvalidEncryptedKey { source })?;
        let plain = info.decrypt(passphrase).map_err(|source| match source {
            // Schemes this build cannot run are named as such, not as a
            // wrong passphrase.
            Pkcs8Error::EncryptedPrivateKey(
                Pkcs5Error::UnsupportedAlgorithm { .. }
                | Pkcs5Error::AlgorithmParametersInvalid { .. }
                | Pkcs5Error::NoPbes1CryptSupport,
            ) => CryptoError::InvalidEncryptedKey { source },
            // Bad padding, or a plaintext that is not DER: a wrong
            // passphrase, or a corrupted key.
            _ => CryptoError::KeyDecryptionFailed { source },
        })?;
        // A wrong passphrase can, by chance, give valid padding; the
        // plaintext is then not PKCS#8, which means the same to the user.
        pkcs8::PrivateKeyInfoRef::try_from(plain.as_bytes())
            .map_err(|source| CryptoError::KeyDecryptionFailed { source })?;
        Self::from_der(plain.as_bytes(), true)
    }

    /// Reads PKCS#8 (`pkcs8 = true`) or PKCS#1 DER.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// assert!(PrivateKey::from_der(&[0x30, 0x00], true).is_err());
    /// ```
    pub fn from_der(der: &[u8], pkcs8: bool) -> Result<Self, CryptoError> {
        let inner = if pkcs8 {
            backend::private_from_pkcs8(der)
        } else {
            backend::private_from_pkcs1(der)
        }?;
        Ok(Self { inner })
    }

    /// Reads the private key out of the merchant's `apiclient_cert.p12`,
    /// whose password is the merchant ID (mchid). See
    /// [`Pkcs12`](crate::crypto::Pkcs12) for the certificate and its serial.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let p12 = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/apiclient_cert.legacy.p12")).unwrap();
    /// let key = PrivateKey::from_pkcs12(&p12, "1900000001")?;
    /// assert!(key.public_key()?.verify("m", &key.sign("m")?));
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, CryptoError> {
        super::Pkcs12::parse(der, password).map(|p12| p12.key)
    }

    /// Signs `message` with RSA PKCS#1 v1.5 over SHA-256 and returns base64,
    /// the form the `Authorization` header and JSAPI `paySign` take.
    ///
    /// ```
    /// # use wechatpay::crypto::PrivateKey;
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// let key = PrivateKey::from_pem(&pem)?;
    /// assert_eq!(key.sign("a")?, key.sign("a")?); // PKCS#1 v1.5 is deterministic
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn sign(&self, message: impl AsRef<[u8]>) -> Result<String, CryptoError> {
        // Every request signs: a stack buffer leaves the base64 string as
        // the only allocation.
        let mut buf = [0u8; backend::MAX_MODULUS_LEN];
        let raw = &mut buf[..self.inner.modulus_len()];
        self.inner.sign_sha256(message.as_ref(), raw)?;
        Ok(STANDARD.encode(raw))
    }

    /// Decrypts a base64 RSA-OAEP (SHA-1, MGF1-SHA-1) ciphertext, as WeChat
    /// Pay sends sensitive fields (names, ID and bank card numbers) to the
    /// merchant. There is no PKCS#1 v1.5 decryption; see the module notes.
    ///
    /// Errors say what was wrong with the input but never show the plaintext.
    ///
    /// ```
    /// # use wechatpay::crypto::{PrivateKey, PublicKey};
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// let key = PrivateKey::from_pem(&pem)?;
    /// let ciphertext = key.public_key()?.encrypt("张三")?;
    /// assert_eq!(key.decrypt(&ciphertext)?, "张三".as_bytes());
    /// assert!(key.decrypt("bm90IGEgY2lwaGVydGV4dA==").is_err());
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn decrypt(&self, ciphertext_b64: &str) -> Result<Vec<u8>, CryptoError> {
        let ciphertext = STANDARD
            .decode(ciphertext_b64.trim_ascii())
            .map_err(|source| CryptoError::InvalidBase64 {
                algorithm: OAEP,
                source,
            })?;
        let expected = self.inner.modulus_len();
        if ciphertext.len() != expected {
            return Err(CryptoError::CiphertextLengthMismatch {
                algorithm: OAEP,
                expected,
                actual: ciphertext.len(),
            });
        }
        self.inner.decrypt_oaep_sha1(&ciphertext)
    }

    /// The matching public key, e.g. for a test server that checks signatures.
    ///
    /// ```
    /// # use wechatpay::crypto::PrivateKey;
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_private_key.pem")).unwrap();
    /// let key = PrivateKey::from_pem(&pem)?;
    /// let public = key.public_key()?;
    /// assert!(public.verify("m", &key.sign("m")?));
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn public_key(&self) -> Result<PublicKey, CryptoError> {
        PublicKey::from_der(&self.inner.public_spki_der()?)
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
/// # Ok::<(), wechatpay::crypto::CryptoError>(())
/// ```
#[derive(Clone)]
pub struct PublicKey {
    inner: Arc<dyn VerifyingKey>,
    spki: Arc<[u8]>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &(self.inner.modulus_len() * 8))
            .field("spki_len", &self.spki.len())
            .finish()
    }
}

impl PublicKey {
    /// Reads a public key from PEM text, a `file://` path or a bare path
    /// (as [`PrivateKey::from_pem`] takes them): SPKI (`PUBLIC KEY`),
    /// PKCS#1 (`RSA PUBLIC KEY`), an X.509 `CERTIFICATE` (its key), or PHP's
    /// `public.pkcs1://` / `public.spki://` bare base64.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PublicKey};
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem")).unwrap();
    /// let from_certificate = PublicKey::from_pem(&pem)?;
    /// let err = PublicKey::from_pem("./wechatpay/pub_key.pem").unwrap_err();
    /// assert!(matches!(err, CryptoError::NoFileAtPath { .. }));
    /// # Ok::<(), CryptoError>(())
    /// ```
    pub fn from_pem(source: &str) -> Result<Self, CryptoError> {
        Self::parse(&read_source(source)?)
    }

    /// Reads a public key or certificate from a PEM file; the path is never
    /// taken for PEM.
    ///
    /// ```
    /// use wechatpay::crypto::{CryptoError, PublicKey};
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys");
    /// let key = PublicKey::from_pem_file(dir.join("platform_public_key.pem"))?;
    /// let from_certificate = PublicKey::from_pem_file(dir.join("platform_cert.pem"))?;
    /// assert_eq!(key.spki_der(), from_certificate.spki_der());
    /// # Ok::<(), CryptoError>(())
    /// ```
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, CryptoError> {
        Self::parse(&read_file(path.as_ref())?)
    }

    /// Key text proper: PEM or PHP's bare forms, no longer a path.
    fn parse(text: &str) -> Result<Self, CryptoError> {
        for scheme in ["public.pkcs1", "public.spki"] {
            if let Some(b64) = text
                .strip_prefix(scheme)
                .and_then(|t| t.strip_prefix("://"))
            {
                return Self::from_der(&decode_bare(b64, scheme)?);
            }
        }
        let expected = "an SPKI `PUBLIC KEY`, PKCS#1 `RSA PUBLIC KEY` or X.509 `CERTIFICATE`";
        let (label, der) = decode_pem(text, expected)?;
        match label.as_str() {
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Self::from_der(&der),
            "CERTIFICATE" => Self::from_der(&certificate_spki(&der)?),
            other => Err(unexpected_label(expected, other)),
        }
    }

    /// Reads SPKI or PKCS#1 `RSAPublicKey` DER.
    ///
    /// ```
    /// use wechatpay::crypto::PublicKey;
    /// assert!(PublicKey::from_der(b"junk").is_err());
    /// ```
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        let spki = to_spki(der)?;
        let inner = backend::public_from_spki(&spki)?;
        Ok(Self {
            inner,
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
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn verify(&self, message: impl AsRef<[u8]>, signature_b64: &str) -> bool {
        // Every response is verified: decode on the stack. The slack covers
        // base64's rounding up; anything longer cannot be a signature anyway.
        let mut buf = [0u8; backend::MAX_MODULUS_LEN + 3];
        match STANDARD.decode_slice(signature_b64, &mut buf) {
            Ok(len) => self.verify_raw(message.as_ref(), &buf[..len]),
            Err(_) => false,
        }
    }

    /// Checks a raw (already decoded) signature.
    pub(crate) fn verify_raw(&self, message: &[u8], signature: &[u8]) -> bool {
        self.inner.verify_sha256(message, signature)
    }

    /// Encrypts `plaintext` with RSA-OAEP (SHA-1, MGF1-SHA-1) and returns
    /// base64: how sensitive request fields (names, ID and bank card numbers)
    /// are sent to WeChat Pay. Send the key's serial or public-key ID as
    /// `Wechatpay-Serial` with the request.
    ///
    /// OAEP is randomised, so each call gives a different ciphertext. A
    /// 2048-bit key takes at most 214 bytes; longer plaintext is an error
    /// naming the limit. There is no PKCS#1 v1.5 encryption (see the module
    /// notes), as in wechatpay-php since 1.4.10.
    ///
    /// ```
    /// # use wechatpay::crypto::PublicKey;
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
    /// let key = PublicKey::from_pem(&pem)?;
    /// let ciphertext = key.encrypt("110101199003074477")?;
    /// assert_eq!(ciphertext.len(), 344);
    /// let too_long = key.encrypt([0u8; 215]).unwrap_err();
    /// assert!(matches!(too_long, wechatpay::crypto::CryptoError::PlaintextTooLong { maximum: 214, .. }));
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn encrypt(&self, plaintext: impl AsRef<[u8]>) -> Result<String, CryptoError> {
        let plaintext = plaintext.as_ref();
        let modulus = self.inner.modulus_len();
        let limit = modulus - OAEP_SHA1_OVERHEAD;
        if plaintext.len() > limit {
            return Err(CryptoError::PlaintextTooLong {
                algorithm: OAEP,
                maximum: limit,
                actual: plaintext.len(),
                key_bits: modulus * 8,
            });
        }
        let ciphertext = self.inner.encrypt_oaep_sha1(plaintext)?;
        Ok(STANDARD.encode(ciphertext))
    }

    /// The key as SPKI DER.
    ///
    /// ```
    /// # use wechatpay::crypto::PublicKey;
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
    /// let key = PublicKey::from_pem(&pem)?;
    /// assert_eq!(key.spki_der()[0], 0x30);
    /// # Ok::<(), wechatpay::crypto::CryptoError>(())
    /// ```
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }
}

/// Wraps a PKCS#1 `RSAPublicKey` in an SPKI `SubjectPublicKeyInfo` with the
/// `rsaEncryption` algorithm (PHP's `Rsa::pkcs1ToSpki`, on DER rather than
/// base64).
///
/// Like PHP's, this only adds the ASN.1 wrapping and does not check the key;
/// [`PublicKey::from_der`] does, and also takes PKCS#1 directly.
///
/// ```
/// use wechatpay::crypto::{PublicKey, pkcs1_to_spki};
/// # let pkcs1_pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_public_key.pkcs1.pem")).unwrap();
/// # let spki_pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/merchant_public_key.pem")).unwrap();
/// let (_, pkcs1) = pem_rfc7468::decode_vec(pkcs1_pem.trim().as_bytes()).unwrap();
/// let spki = pkcs1_to_spki(&pkcs1);
/// assert_eq!(spki, PublicKey::from_pem(&spki_pem)?.spki_der());
/// # Ok::<(), wechatpay::crypto::CryptoError>(())
/// ```
pub fn pkcs1_to_spki(der: &[u8]) -> Vec<u8> {
    // AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }.
    const RSA_ALGORITHM: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    // The BIT STRING's content: a zero "unused bits" byte, then the key.
    let bits_len = der.len() + 1;
    let body_len = RSA_ALGORITHM.len() + der_header_len(bits_len) + bits_len;
    let mut out = Vec::with_capacity(der_header_len(body_len) + body_len);
    push_der_header(&mut out, 0x30, body_len);
    out.extend_from_slice(&RSA_ALGORITHM);
    push_der_header(&mut out, 0x03, bits_len);
    out.push(0);
    out.extend_from_slice(der);
    out
}

/// Bytes a DER tag and definite length take.
fn der_header_len(len: usize) -> usize {
    if len < 0x80 {
        2
    } else {
        2 + (usize::BITS - len.leading_zeros()).div_ceil(8) as usize
    }
}

fn push_der_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = (len.leading_zeros() / 8) as usize;
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// SPKI DER as given, or PKCS#1 wrapped into SPKI, so that backends parse
/// one format; a non-RSA SPKI is named rather than failing obscurely later.
fn to_spki(der: &[u8]) -> Result<Vec<u8>, CryptoError> {
    use x509_cert::{
        der::{Decode, asn1::ObjectIdentifier},
        spki::SubjectPublicKeyInfoRef,
    };
    const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    match SubjectPublicKeyInfoRef::from_der(der) {
        Ok(spki) if spki.algorithm.oid == RSA_ENCRYPTION => Ok(der.to_vec()),
        Ok(spki) => Err(CryptoError::UnsupportedKeyAlgorithm {
            algorithm: spki.algorithm.oid,
        }),
        Err(_) => Ok(pkcs1_to_spki(der)),
    }
}

/// The SPKI DER inside an X.509 certificate.
pub(crate) fn certificate_spki(der: &[u8]) -> Result<Vec<u8>, CryptoError> {
    use x509_cert::der::{Decode, Encode};
    let invalid = |source| CryptoError::InvalidCertificate { source };
    let cert = x509_cert::Certificate::from_der(der).map_err(invalid)?;
    cert.tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_headers_use_the_shortest_length_form() {
        for len in [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000] {
            let mut out = Vec::new();
            push_der_header(&mut out, 0x30, len);
            assert_eq!(out.len(), der_header_len(len), "length {len}");
        }
        let mut out = Vec::new();
        push_der_header(&mut out, 0x03, 0x10f);
        assert_eq!(out, [0x03, 0x82, 0x01, 0x0f]);
    }

    #[test]
    fn pkcs1_wrapping_round_trips_through_the_backend() {
        let pem = include_str!("../../tests/keys/merchant_public_key.pem");
        let key = PublicKey::from_pem(pem).unwrap();
        use x509_cert::{der::Decode, spki::SubjectPublicKeyInfoRef};
        let spki = SubjectPublicKeyInfoRef::from_der(key.spki_der()).unwrap();
        let pkcs1 = spki.subject_public_key.raw_bytes();
        assert_eq!(pkcs1_to_spki(pkcs1), key.spki_der());
        assert_eq!(
            PublicKey::from_der(pkcs1).unwrap().spki_der(),
            key.spki_der()
        );
    }

    #[test]
    fn non_rsa_spki_is_named() {
        // An Ed25519 SPKI (RFC 8410's example key).
        let ed25519 = STANDARD
            .decode("MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=")
            .unwrap();
        let err = PublicKey::from_der(&ed25519).unwrap_err();
        assert!(
            matches!(&err, CryptoError::UnsupportedKeyAlgorithm { algorithm } if algorithm.to_string() == "1.3.101.112"),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("expected an RSA public key"),
            "{err}"
        );
    }

    #[test]
    fn backend_is_the_selected_one() {
        let expected = if cfg!(feature = "rustcrypto") {
            "rsa"
        } else {
            "aws-lc-rs"
        };
        assert_eq!(backend::NAME, expected);
    }
}
