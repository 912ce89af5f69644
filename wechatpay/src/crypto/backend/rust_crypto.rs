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

use super::{SigningKey, VerifyingKey, check_modulus_len};

pub(super) const NAME: &str = "rsa";

pub(super) struct Private {
    key: rsa::PrivateKey,
}

impl Private {
    pub(super) fn from_pkcs8(der: &[u8]) -> Result<Self, String> {
        Self::new(
            rsa::PrivateKey::from_pkcs8_der(der)
                .map_err(|e| format!("not a usable RSA private key: {e}")),
        )
    }

    pub(super) fn from_pkcs1(der: &[u8]) -> Result<Self, String> {
        Self::new(
            rsa::PrivateKey::from_pkcs1_der(der)
                .map_err(|e| format!("not a usable RSA private key: {e}")),
        )
    }

    fn new(key: Result<rsa::PrivateKey, String>) -> Result<Self, String> {
        let key = key?;
        check_modulus_len(key.size())?;
        Ok(Self { key })
    }
}

impl SigningKey for Private {
    fn modulus_len(&self) -> usize {
        self.key.size()
    }

    fn sign_sha256(&self, message: &[u8], out: &mut [u8]) -> Result<(), String> {
        // Blinded with the OS RNG (the crate's `getrandom` feature); the
        // signature itself stays deterministic, as PKCS#1 v1.5 requires.
        let signature = self
            .key
            .pkcs1v15_sign::<Sha256>(message)
            .map_err(|_| "RSA signing failed".to_string())?;
        // Signatures come padded to the modulus length; left-padding anyway
        // keeps a shorter one correct rather than trusting that forever.
        let pad = out
            .len()
            .checked_sub(signature.len())
            .ok_or("RSA signing produced an over-long signature")?;
        out[..pad].fill(0);
        out[pad..].copy_from_slice(&signature);
        Ok(())
    }

    fn decrypt_oaep_sha1(&self, ciphertext: &[u8]) -> Result<Vec<u8>, String> {
        self.key
            .oaep_decrypt::<Sha1>(ciphertext)
            .map_err(|_| "OAEP decryption failed: wrong private key or corrupted ciphertext".into())
    }

    fn public_spki_der(&self) -> Result<Vec<u8>, String> {
        self.key
            .as_public_key()
            .to_public_key_der()
            .map(|d| d.into_vec())
            .map_err(|_| "could not encode the public key".to_string())
    }
}

pub(super) struct Public {
    key: rsa::PublicKey,
}

impl Public {
    pub(super) fn from_spki(spki: &[u8]) -> Result<Self, String> {
        let key = rsa::PublicKey::from_public_key_der(spki)
            .map_err(|e| format!("not a usable RSA public key: {e}"))?;
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

    fn encrypt_oaep_sha1(&self, plaintext: &[u8]) -> Result<Vec<u8>, String> {
        self.key
            .oaep_encrypt::<Sha1>(plaintext)
            .map_err(|e| format!("OAEP encryption failed: {e}"))
    }
}
