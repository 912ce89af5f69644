//! The default backend: aws-lc-rs, which reqwest's rustls already builds.

use std::sync::OnceLock;

use aws_lc_rs::{
    encoding::AsDer,
    rand::SystemRandom,
    rsa::{
        self, OAEP_SHA1_MGF1SHA1, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
        PrivateDecryptingKey, PublicEncryptingKey,
    },
    signature::{self, KeyPair as _},
};

use super::{SigningKey, VerifyingKey, check_modulus_len};

pub(super) const NAME: &str = "aws-lc-rs";

pub(super) struct Private {
    pair: rsa::KeyPair,
    rng: SystemRandom,
    // aws-lc-rs keeps signing and decrypting keys apart; most merchants only
    // sign, so the decrypting key is derived on first use rather than at load.
    oaep: OnceLock<Result<OaepPrivateDecryptingKey, String>>,
}

impl Private {
    pub(super) fn from_pkcs8(der: &[u8]) -> Result<Self, String> {
        Self::new(rsa::KeyPair::from_pkcs8(der))
    }

    pub(super) fn from_pkcs1(der: &[u8]) -> Result<Self, String> {
        Self::new(rsa::KeyPair::from_der(der))
    }

    fn new(pair: Result<rsa::KeyPair, aws_lc_rs::error::KeyRejected>) -> Result<Self, String> {
        let pair = pair.map_err(|e| format!("not a usable RSA private key: {e}"))?;
        check_modulus_len(pair.public_modulus_len())?;
        Ok(Self {
            pair,
            rng: SystemRandom::new(),
            oaep: OnceLock::new(),
        })
    }

    fn oaep_key(&self) -> Result<&OaepPrivateDecryptingKey, String> {
        self.oaep
            .get_or_init(|| {
                let pkcs8 = self
                    .pair
                    .as_der()
                    .map_err(|_| "could not export the private key for OAEP".to_string())?;
                let key = PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref())
                    .map_err(|e| format!("the private key cannot decrypt OAEP: {e}"))?;
                OaepPrivateDecryptingKey::new(key)
                    .map_err(|_| "the private key cannot decrypt OAEP".to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl SigningKey for Private {
    fn modulus_len(&self) -> usize {
        self.pair.public_modulus_len()
    }

    fn sign_sha256(&self, message: &[u8], out: &mut [u8]) -> Result<(), String> {
        self.pair
            .sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, out)
            .map_err(|_| "RSA signing failed".to_string())
    }

    fn decrypt_oaep_sha1(&self, ciphertext: &[u8]) -> Result<Vec<u8>, String> {
        let key = self.oaep_key()?;
        let mut out = vec![0u8; key.min_output_size()];
        let len = key
            .decrypt(&OAEP_SHA1_MGF1SHA1, ciphertext, &mut out, None)
            .map_err(|_| "OAEP decryption failed: wrong private key or corrupted ciphertext")?
            .len();
        out.truncate(len);
        Ok(out)
    }

    fn public_spki_der(&self) -> Result<Vec<u8>, String> {
        self.pair
            .public_key()
            .as_der()
            .map(|d| d.as_ref().to_vec())
            .map_err(|_| "could not encode the public key".to_string())
    }
}

pub(super) struct Public {
    parsed: signature::ParsedPublicKey,
    oaep: OaepPublicEncryptingKey,
}

impl Public {
    pub(super) fn from_spki(spki: &[u8]) -> Result<Self, String> {
        let rejected =
            |e: aws_lc_rs::error::KeyRejected| format!("not a usable RSA public key: {e}");
        let encrypting = PublicEncryptingKey::from_der(spki).map_err(rejected)?;
        check_modulus_len(encrypting.key_size_bytes())?;
        let parsed = signature::ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, spki)
            .map_err(rejected)?;
        let oaep = OaepPublicEncryptingKey::new(encrypting)
            .map_err(|_| "the public key cannot encrypt OAEP".to_string())?;
        Ok(Self { parsed, oaep })
    }
}

impl VerifyingKey for Public {
    fn modulus_len(&self) -> usize {
        self.oaep.key_size_bytes()
    }

    fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed.verify_sig(message, signature).is_ok()
    }

    fn encrypt_oaep_sha1(&self, plaintext: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; self.oaep.ciphertext_size()];
        let len = self
            .oaep
            .encrypt(&OAEP_SHA1_MGF1SHA1, plaintext, &mut out, None)
            .map_err(|_| "OAEP encryption failed")?
            .len();
        out.truncate(len);
        Ok(out)
    }
}
