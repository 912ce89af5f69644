//! Callbacks (notifications) from WeChat Pay: verify the signature, then
//! decrypt the `resource` with the APIv3 key. Framework-neutral: give it the
//! raw body bytes and the `http::HeaderMap`.

use std::{
    collections::{HashSet, VecDeque},
    fmt,
    sync::Mutex,
};

use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;

use crate::{CertStore, Error, VerificationFailure, crypto::aes_gcm, formatter, signature};

/// A decrypted notification: the envelope's fields and the plaintext resource.
///
/// ```
/// let n: wechatpay::notify::Notification = wechatpay::notify::Notification {
///     id: "EV-1".into(), create_time: "2026-11-24T16:00:00+08:00".into(),
///     event_type: "PAYSCORE.USER_PAID".into(), resource_type: "encrypt-resource".into(),
///     summary: "ok".into(), resource: serde_json::json!({"state": "DONE"}),
/// };
/// assert_eq!(n.resource["state"], "DONE");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Notification<T = Value> {
    /// The notification ID, e.g. `EV-2018022511223320873`.
    pub id: String,
    /// When it was created, RFC 3339.
    pub create_time: String,
    /// E.g. `TRANSACTION.SUCCESS`, `PAYSCORE.USER_PAID`.
    pub event_type: String,
    /// `encrypt-resource`.
    pub resource_type: String,
    /// WeChat Pay's summary text.
    pub summary: String,
    /// The decrypted resource.
    pub resource: T,
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(default)]
    create_time: String,
    event_type: String,
    #[serde(default)]
    resource_type: String,
    #[serde(default)]
    summary: String,
    resource: EncryptedResource,
}

#[derive(Deserialize)]
struct EncryptedResource {
    algorithm: String,
    ciphertext: String,
    #[serde(default)]
    associated_data: String,
    nonce: String,
}

/// Verifies and decrypts callbacks.
///
/// ```
/// use wechatpay::{CertStore, notify::NotifyVerifier};
/// let verifier = NotifyVerifier::new(CertStore::default(), "0123456789abcdef0123456789abcdef")?
///     .with_replay_protection(10_000);
/// let headers = http::HeaderMap::new();
/// assert!(verifier.handle(&headers, b"{}").is_err()); // unsigned: refused
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub struct NotifyVerifier {
    certs: CertStore,
    apiv3_key: [u8; aes_gcm::KEY_LEN],
    seen: Option<Mutex<SeenNonces>>,
}

impl fmt::Debug for NotifyVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyVerifier")
            .field("certs", &self.certs)
            .field("apiv3_key", &"<redacted>")
            .field("replay_protection", &self.seen.is_some())
            .finish()
    }
}

impl NotifyVerifier {
    /// A verifier trusting `certs` (share the client's: `client.certs().clone()`)
    /// and decrypting with the 32-byte APIv3 key.
    ///
    /// ```
    /// let err = wechatpay::notify::NotifyVerifier::new(Default::default(), "short").unwrap_err();
    /// assert!(err.to_string().contains("32"));
    /// ```
    pub fn new(certs: CertStore, apiv3_key: &str) -> Result<Self, Error> {
        let apiv3_key: [u8; aes_gcm::KEY_LEN] = apiv3_key.as_bytes().try_into().map_err(|_| {
            Error::config(format!(
                "the APIv3 key must be 32 bytes, got {}",
                apiv3_key.len()
            ))
        })?;
        Ok(Self {
            certs,
            apiv3_key,
            seen: None,
        })
    }

    /// Refuses a callback whose `Wechatpay-Nonce` was seen among the last
    /// `capacity` ones (a replay within the ±300 s window).
    ///
    /// ```
    /// let v = wechatpay::notify::NotifyVerifier::new(Default::default(), "0123456789abcdef0123456789abcdef")?
    ///     .with_replay_protection(1000);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn with_replay_protection(mut self, capacity: usize) -> Self {
        self.seen = Some(Mutex::new(SeenNonces::new(capacity.max(1))));
        self
    }

    /// The four checks of a response, on a callback: headers present,
    /// timestamp within ±300 s, serial known, signature valid (the SIGNTEST
    /// probe refused); then the replay check when enabled.
    ///
    /// ```
    /// # let v = wechatpay::notify::NotifyVerifier::new(Default::default(), "0123456789abcdef0123456789abcdef")?;
    /// let err = v.verify(&http::HeaderMap::new(), b"{}").unwrap_err();
    /// assert!(matches!(err.verification_failure(), Some(wechatpay::VerificationFailure::MissingHeader(_))));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), Error> {
        signature::verify(&self.certs, headers, body, formatter::timestamp())
            .map_err(Error::callback)?;
        if let Some(seen) = &self.seen {
            let nonce = headers
                .get("Wechatpay-Nonce")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let mut seen = match seen.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            if !seen.insert(nonce) {
                return Err(Error::callback(VerificationFailure::Replayed(
                    nonce.to_string(),
                )));
            }
        }
        Ok(())
    }

    /// Decrypts the body's `resource` (AEAD_AES_256_GCM with the APIv3 key).
    /// Call only after [`verify`](Self::verify); [`handle`](Self::handle) does both.
    ///
    /// ```
    /// # let v = wechatpay::notify::NotifyVerifier::new(Default::default(), "0123456789abcdef0123456789abcdef")?;
    /// assert!(v.decrypt(b"not json").is_err());
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn decrypt(&self, body: &[u8]) -> Result<Notification<Value>, Error> {
        let envelope: Envelope = serde_json::from_slice(body)
            .map_err(|e| Error::decode("a WeChat Pay notification", e))?;
        let r = &envelope.resource;
        if r.algorithm != "AEAD_AES_256_GCM" {
            return Err(Error::decode(
                "a WeChat Pay notification",
                format!(
                    "the resource uses `{}`, expected AEAD_AES_256_GCM",
                    r.algorithm
                ),
            ));
        }
        let plaintext = aes_gcm::decrypt(
            &self.apiv3_key,
            r.nonce.as_bytes(),
            r.associated_data.as_bytes(),
            &r.ciphertext,
        )?;
        let resource = serde_json::from_slice(&plaintext)
            .map_err(|e| Error::decode("the notification resource", e))?;
        Ok(Notification {
            id: envelope.id,
            create_time: envelope.create_time,
            event_type: envelope.event_type,
            resource_type: envelope.resource_type,
            summary: envelope.summary,
            resource,
        })
    }

    /// Verifies, then decrypts.
    ///
    /// ```no_run
    /// # fn f(v: &wechatpay::notify::NotifyVerifier, headers: &http::HeaderMap, body: &[u8]) -> Result<(), wechatpay::Error> {
    /// let n = v.handle(headers, body)?;
    /// println!("{} {}", n.event_type, n.resource);
    /// # Ok(()) }
    /// ```
    pub fn handle(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Notification<Value>, Error> {
        self.verify(headers, body)?;
        self.decrypt(body)
    }

    /// Verifies, decrypts, and reads the resource as `T` (e.g. a model).
    ///
    /// ```no_run
    /// # fn f(v: &wechatpay::notify::NotifyVerifier, headers: &http::HeaderMap, body: &[u8]) -> Result<(), wechatpay::Error> {
    /// use wechatpay::models::payscore::ServiceOrderNotification;
    /// let n = v.handle_as::<ServiceOrderNotification>(headers, body)?;
    /// # Ok(()) }
    /// ```
    pub fn handle_as<T: DeserializeOwned>(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Notification<T>, Error> {
        let n = self.handle(headers, body)?;
        let resource = serde_json::from_value(n.resource)
            .map_err(|e| Error::decode(std::any::type_name::<T>(), e))?;
        Ok(Notification {
            id: n.id,
            create_time: n.create_time,
            event_type: n.event_type,
            resource_type: n.resource_type,
            summary: n.summary,
            resource,
        })
    }
}

/// The last `capacity` nonces, oldest evicted first.
struct SeenNonces {
    order: VecDeque<String>,
    set: HashSet<String>,
    capacity: usize,
}

impl SeenNonces {
    fn new(capacity: usize) -> Self {
        Self {
            order: VecDeque::with_capacity(capacity.min(4096)),
            set: HashSet::new(),
            capacity,
        }
    }

    /// False if already present.
    fn insert(&mut self, nonce: &str) -> bool {
        if self.set.contains(nonce) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.order.push_back(nonce.to_string());
        self.set.insert(nonce.to_string());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_nonces_are_bounded_and_evict_oldest() {
        let mut s = SeenNonces::new(2);
        assert!(s.insert("a"));
        assert!(!s.insert("a"));
        assert!(s.insert("b"));
        assert!(s.insert("c")); // evicts a
        assert!(s.insert("a"));
        assert!(!s.insert("c"));
        assert_eq!(s.order.len(), 2);
    }
}
