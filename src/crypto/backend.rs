//! The RSA operations the client needs, behind one small trait pair, so a
//! second backend (the pure-Rust `rsa` crate) can slot in without touching
//! callers.

use aws_lc_rs::{rand::SystemRandom, rsa, signature};

/// A private key able to make RSA PKCS#1 v1.5 SHA-256 signatures.
pub(crate) trait SigningKey: Send + Sync {
    fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, String>;
    fn public_spki_der(&self) -> Vec<u8>;
}

/// A public key able to check RSA PKCS#1 v1.5 SHA-256 signatures.
pub(crate) trait VerifyingKey: Send + Sync {
    fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool;
}

pub(crate) struct AwsLcPrivate {
    pair: rsa::KeyPair,
    rng: SystemRandom,
}

impl AwsLcPrivate {
    /// Parses PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) DER.
    pub(crate) fn from_der(der: &[u8], pkcs8: bool) -> Result<Self, String> {
        let pair = if pkcs8 {
            rsa::KeyPair::from_pkcs8(der)
        } else {
            rsa::KeyPair::from_der(der)
        }
        .map_err(|e| format!("not a usable RSA private key: {e}"))?;
        Ok(Self {
            pair,
            rng: SystemRandom::new(),
        })
    }
}

impl SigningKey for AwsLcPrivate {
    fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, &mut out)
            .map_err(|_| "RSA signing failed".to_string())?;
        Ok(out)
    }

    fn public_spki_der(&self) -> Vec<u8> {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::signature::KeyPair as _;
        self.pair
            .public_key()
            .as_der()
            .map(|d| d.as_ref().to_vec())
            .unwrap_or_default()
    }
}

pub(crate) struct AwsLcPublic {
    parsed: signature::ParsedPublicKey,
}

impl AwsLcPublic {
    /// Parses SPKI or PKCS#1 `RSAPublicKey` DER, once, so each verify skips parsing.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, String> {
        let parsed = signature::ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
            .map_err(|e| format!("not a usable RSA public key: {e}"))?;
        Ok(Self { parsed })
    }
}

impl VerifyingKey for AwsLcPublic {
    fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed.verify_sig(message, signature).is_ok()
    }
}

/// Normalises an SPKI or PKCS#1 public key to SPKI DER.
pub(crate) fn to_spki_der(der: &[u8]) -> Result<Vec<u8>, String> {
    use aws_lc_rs::encoding::AsDer;
    let key = rsa::PublicKey::from_der(der).map_err(|e| format!("not an RSA public key: {e}"))?;
    key.as_der()
        .map(|d| d.as_ref().to_vec())
        .map_err(|_| "could not encode the public key".to_string())
}
