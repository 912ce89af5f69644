//! The pure-Rust backend (feature `rustcrypto`): the `rsa` crate 0.10, for
//! targets without a C toolchain. 0.10 and not 0.9, whose unblinded private
//! operations carry the Marvin timing advisory RUSTSEC-2023-0071.

use rsa::{
    pkcs1::DecodeRsaPrivateKey,
    pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey},
    sha2::Sha256,
    traits::PublicKeyParts,
};
use sha1::Sha1;

use super::{
    OAEP, PKCS1_PRIVATE_KEY, PKCS8_PRIVATE_KEY, PUBLIC_KEY, SigningKey, VerifyingKey,
    check_modulus_len, rejected_as,
};
use crate::crypto::CryptoError;

pub(super) const NAME: &str = "rsa";

pub(super) struct Private {
    key: rsa::PrivateKey,
}

impl Private {
    pub(super) fn from_pkcs8(der: &[u8]) -> Result<Self, CryptoError> {
        let key = rsa::PrivateKey::from_pkcs8_der(der).map_err(rejected_as(PKCS8_PRIVATE_KEY))?;
        Self::new(key)
    }

    pub(super) fn from_pkcs1(der: &[u8]) -> Result<Self, CryptoError> {
        let key = rsa::PrivateKey::from_pkcs1_der(der).map_err(rejected_as(PKCS1_PRIVATE_KEY))?;
        Self::new(key)
    }

    fn new(key: rsa::PrivateKey) -> Result<Self, CryptoError> {
        check_modulus_len(key.size())?;
        Ok(Self { key })
    }
}

const SIGNING: CryptoError = CryptoError::Backend {
    operation: "RSA signing",
};

impl SigningKey for Private {
    fn modulus_len(&self) -> usize {
        self.key.size()
    }

    fn sign_sha256(&self, message: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
        // Blinded with the OS RNG (the crate's `getrandom` feature); the
        // signature itself stays deterministic, as PKCS#1 v1.5 requires.
        let signature = self
            .key
            .pkcs1v15_sign::<Sha256>(message)
            .map_err(|_| SIGNING)?;
        // Signatures come padded to the modulus length; left-padding anyway
        // keeps a shorter one correct rather than trusting that forever.
        let pad = out.len().checked_sub(signature.len()).ok_or(SIGNING)?;
        out[..pad].fill(0);
        out[pad..].copy_from_slice(&signature);
        Ok(())
    }

    fn decrypt_oaep_sha1(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // The crate's error is dropped on purpose: which check failed inside
        // OAEP is exactly what a padding oracle would want to learn.
        self.key
            .oaep_decrypt::<Sha1>(ciphertext)
            .map_err(|_| CryptoError::DecryptionFailed { algorithm: OAEP })
    }

    fn public_spki_der(&self) -> Result<Vec<u8>, CryptoError> {
        self.key
            .as_public_key()
            .to_public_key_der()
            .map(|d| d.into_vec())
            .map_err(|_| CryptoError::Backend {
                operation: "public key encoding",
            })
    }
}

pub(super) struct Public {
    key: rsa::PublicKey,
}

impl Public {
    pub(super) fn from_spki(spki: &[u8]) -> Result<Self, CryptoError> {
        let key = rsa::PublicKey::from_public_key_der(spki).map_err(rejected_as(PUBLIC_KEY))?;
        check_modulus_len(key.size())?;
        Ok(Self { key })
    }
}

impl VerifyingKey for Public {
    fn modulus_len(&self) -> usize {
        self.key.size()
    }

    fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key
            .pkcs1v15_verify::<Sha256>(message, signature)
            .is_ok()
    }

    fn encrypt_oaep_sha1(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.key
            .oaep_encrypt::<Sha1>(plaintext)
            .map_err(|_| CryptoError::Backend {
                operation: "RSA-OAEP encryption",
            })
    }
}
