//! The default backend: aws-lc-rs, which reqwest's rustls already builds.

use std::sync::OnceLock;

use aws_lc_rs::{
    encoding::AsDer,
    error::KeyRejected,
    rand::SystemRandom,
    rsa::{
        self, OAEP_SHA1_MGF1SHA1, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
        PrivateDecryptingKey, PublicEncryptingKey,
    },
    signature::{self, KeyPair as _},
};

use super::{
    OAEP, PKCS1_PRIVATE_KEY, PKCS8_PRIVATE_KEY, PUBLIC_KEY, SigningKey, VerifyingKey,
    check_modulus_len, rejected_as,
};
use crate::crypto::CryptoError;

pub(super) const NAME: &str = "aws-lc-rs";

pub(super) struct Private {
    pair: rsa::KeyPair,
    rng: SystemRandom,
    // aws-lc-rs keeps signing and decrypting keys apart; most merchants only
    // sign, so the decrypting key is derived on first use rather than at load.
    // The failure is kept as the (copyable) rejection, if there was one.
    oaep: OnceLock<Result<OaepPrivateDecryptingKey, Option<KeyRejected>>>,
}

impl Private {
    pub(super) fn from_pkcs8(der: &[u8]) -> Result<Self, CryptoError> {
        let pair = rsa::KeyPair::from_pkcs8(der)
            .map_err(sized(PKCS8_PRIVATE_KEY, || pkcs8_modulus_len(der)))?;
        Self::new(pair)
    }

    pub(super) fn from_pkcs1(der: &[u8]) -> Result<Self, CryptoError> {
        let pair = rsa::KeyPair::from_der(der)
            .map_err(sized(PKCS1_PRIVATE_KEY, || modulus_len(der, 1)))?;
        Self::new(pair)
    }

    fn new(pair: rsa::KeyPair) -> Result<Self, CryptoError> {
        check_modulus_len(pair.public_modulus_len())?;
        Ok(Self {
            pair,
            rng: SystemRandom::new(),
            oaep: OnceLock::new(),
        })
    }

    fn oaep_key(&self) -> Result<&OaepPrivateDecryptingKey, CryptoError> {
        let derived = self.oaep.get_or_init(|| {
            let pkcs8 = self.pair.as_der().map_err(|_| None)?;
            let key = PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref()).map_err(Some)?;
            OaepPrivateDecryptingKey::new(key).map_err(|_| None)
        });
        derived.as_ref().map_err(|rejection| match *rejection {
            Some(rejection) => rejected_as(PKCS8_PRIVATE_KEY)(rejection),
            None => CryptoError::Backend {
                operation: "RSA-OAEP decryption key setup",
            },
        })
    }
}

impl SigningKey for Private {
    fn modulus_len(&self) -> usize {
        self.pair.public_modulus_len()
    }

    fn sign_sha256(&self, message: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
        self.pair
            .sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, out)
            .map_err(|_| CryptoError::Backend {
                operation: "RSA signing",
            })
    }

    fn decrypt_oaep_sha1(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key = self.oaep_key()?;
        let mut out = vec![0u8; key.min_output_size()];
        let len = key
            .decrypt(&OAEP_SHA1_MGF1SHA1, ciphertext, &mut out, None)
            .map_err(|_| CryptoError::DecryptionFailed { algorithm: OAEP })?
            .len();
        out.truncate(len);
        Ok(out)
    }

    fn public_spki_der(&self) -> Result<Vec<u8>, CryptoError> {
        self.pair
            .public_key()
            .as_der()
            .map(|d| d.as_ref().to_vec())
            .map_err(|_| CryptoError::Backend {
                operation: "public key encoding",
            })
    }
}

pub(super) struct Public {
    parsed: signature::ParsedPublicKey,
    oaep: OaepPublicEncryptingKey,
}

impl Public {
    pub(super) fn from_spki(spki: &[u8]) -> Result<Self, CryptoError> {
        let encrypting = PublicEncryptingKey::from_der(spki)
            .map_err(sized(PUBLIC_KEY, || spki_modulus_len(spki)))?;
        check_modulus_len(encrypting.key_size_bytes())?;
        let parsed = signature::ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, spki)
            .map_err(rejected_as(PUBLIC_KEY))?;
        let oaep = OaepPublicEncryptingKey::new(encrypting).map_err(|_| CryptoError::Backend {
            operation: "RSA-OAEP encryption key setup",
        })?;
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

    fn encrypt_oaep_sha1(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = vec![0u8; self.oaep.ciphertext_size()];
        let len = self
            .oaep
            .encrypt(&OAEP_SHA1_MGF1SHA1, plaintext, &mut out, None)
            .map_err(|_| CryptoError::Backend {
                operation: "RSA-OAEP encryption",
            })?
            .len();
        out.truncate(len);
        Ok(out)
    }
}

/// aws-lc-rs refuses keys outside 2048 to 8192 bits itself, saying only
/// `TooSmall` or `TooLarge`; reading the modulus length from the DER lets
/// both backends report [`CryptoError::UnsupportedKeySize`] with the size.
fn sized(
    expected: &'static str,
    modulus_len: impl FnOnce() -> Option<usize>,
) -> impl FnOnce(KeyRejected) -> CryptoError {
    move |rejection| {
        let size = matches!(rejection.description_(), "TooSmall" | "TooLarge")
            .then(modulus_len)
            .flatten()
            .and_then(|len| check_modulus_len(len).err());
        size.unwrap_or_else(|| rejected_as(expected)(rejection))
    }
}

/// The modulus length in bytes of a DER `RSAPublicKey` (`skip` 0) or
/// `RSAPrivateKey` (`skip` 1: its version comes first).
fn modulus_len(rsa_key: &[u8], skip: usize) -> Option<usize> {
    use x509_cert::der::{
        Decode, SliceReader,
        asn1::{AnyRef, UintRef},
    };
    let sequence = AnyRef::from_der(rsa_key).ok()?;
    let mut fields = SliceReader::new(sequence.value()).ok()?;
    for _ in 0..skip {
        UintRef::decode(&mut fields).ok()?;
    }
    Some(UintRef::decode(&mut fields).ok()?.as_bytes().len())
}

fn pkcs8_modulus_len(der: &[u8]) -> Option<usize> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(der).ok()?;
    modulus_len(info.private_key.as_bytes(), 1)
}

fn spki_modulus_len(spki: &[u8]) -> Option<usize> {
    use x509_cert::{der::Decode, spki::SubjectPublicKeyInfoRef};
    let info = SubjectPublicKeyInfoRef::from_der(spki).ok()?;
    modulus_len(info.subject_public_key.raw_bytes(), 0)
}
