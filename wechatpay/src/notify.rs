//! Callbacks (notifications) from WeChat Pay: verify the signature, then
//! decrypt the `resource` with the APIv3 key. Framework-neutral: give it the
//! raw body bytes and the `http::HeaderMap`.
//!
//! Anyone can POST to a notify URL, so the checks cost nothing before the
//! key is needed: the body's size ([`DEFAULT_MAX_BODY`]), the headers, the
//! timestamp (±300 s), then the signature; and a signed callback seen before
//! is refused as a replay ([`REPLAY_WINDOW`]). Process each notification
//! once by its `id` as well: WeChat Pay delivers again until acknowledged.

use std::{
    collections::{HashSet, VecDeque},
    fmt,
    sync::Mutex,
    time::Duration,
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

/// The largest callback body accepted by default: WeChat Pay's are a few
/// kilobytes.
///
/// ```
/// assert_eq!(wechatpay::notify::DEFAULT_MAX_BODY, 64 * 1024);
/// ```
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

/// How long a callback's nonce is remembered: twice the ±300 s the
/// timestamp check allows, so a replay either finds its nonce here or
/// fails the timestamp check.
///
/// ```
/// assert_eq!(wechatpay::notify::REPLAY_WINDOW.as_secs(), 600);
/// ```
pub const REPLAY_WINDOW: Duration = Duration::from_secs(600);

/// Nonces remembered by default at most, which bounds the memory (about
/// 100 bytes each); past it the oldest are forgotten first.
///
/// ```
/// assert_eq!(wechatpay::notify::DEFAULT_REPLAY_CAPACITY, 100_000);
/// ```
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

/// Verifies and decrypts callbacks. Replay protection is on from
/// [`new`](Self::new).
///
/// ```
/// use wechatpay::{CertStore, notify::NotifyVerifier};
/// let verifier = NotifyVerifier::new(CertStore::default(), "0123456789abcdef0123456789abcdef")?;
/// let headers = http::HeaderMap::new();
/// assert!(verifier.handle(&headers, b"{}").is_err()); // unsigned: refused
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub struct NotifyVerifier {
    certs: CertStore,
    apiv3_key: zeroize::Zeroizing<[u8; aes_gcm::KEY_LEN]>,
    seen: Option<Mutex<SeenNonces>>,
    max_body: usize,
}

impl fmt::Debug for NotifyVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyVerifier")
            .field("certs", &self.certs)
            .field("apiv3_key", &"<redacted>")
            .field("replay_protection", &self.seen.is_some())
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl NotifyVerifier {
    /// A verifier trusting `certs` (share the client's: `client.certs().clone()`)
    /// and decrypting with the 32-byte APIv3 key, with replay protection
    /// ([`DEFAULT_REPLAY_CAPACITY`] nonces for [`REPLAY_WINDOW`]) and a body
    /// cap of [`DEFAULT_MAX_BODY`].
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
            apiv3_key: zeroize::Zeroizing::new(apiv3_key),
            seen: Some(Mutex::new(SeenNonces::new(DEFAULT_REPLAY_CAPACITY))),
            max_body: DEFAULT_MAX_BODY,
        })
    }

    /// Remembers at most `capacity` nonces (still for [`REPLAY_WINDOW`]).
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

    /// Turns replay protection off: a callback captured on the way can be
    /// sent again, and passes, for five minutes. For a service that checks
    /// replays itself (across instances, say, in a shared store).
    ///
    /// ```
    /// let v = wechatpay::notify::NotifyVerifier::new(Default::default(), "0123456789abcdef0123456789abcdef")?
    ///     .without_replay_protection();
    /// assert!(format!("{v:?}").contains("replay_protection: false"));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn without_replay_protection(mut self) -> Self {
        self.seen = None;
        self
    }

    /// The largest body accepted, in bytes; default [`DEFAULT_MAX_BODY`].
    ///
    /// ```
    /// let v = wechatpay::notify::NotifyVerifier::new(Default::default(), "0123456789abcdef0123456789abcdef")?
    ///     .with_max_body_bytes(16 * 1024);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body = limit;
        self
    }

    /// The largest body accepted; give it to your framework's body limit
    /// too, so a larger one is never read into memory.
    ///
    /// ```
    /// let v = wechatpay::notify::NotifyVerifier::new(Default::default(), "0123456789abcdef0123456789abcdef")?;
    /// assert_eq!(v.max_body_bytes(), wechatpay::notify::DEFAULT_MAX_BODY);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.max_body
    }

    /// The checks of an answer, on a callback: the body within the cap,
    /// headers present and unambiguous, timestamp within ±300 s, serial
    /// known, signature valid (the SIGNTEST probe refused); then the replay
    /// check.
    ///
    /// ```
    /// # let v = wechatpay::notify::NotifyVerifier::new(Default::default(), "0123456789abcdef0123456789abcdef")?;
    /// let err = v.verify(&http::HeaderMap::new(), b"{}").unwrap_err();
    /// assert!(matches!(err.verification_failure(), Some(wechatpay::VerificationFailure::MissingHeader(_))));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), Error> {
        if body.len() > self.max_body {
            return Err(Error::callback(VerificationFailure::TooLarge {
                limit: self.max_body,
            }));
        }
        let now = formatter::timestamp();
        signature::verify(&self.certs, headers, body, now).map_err(Error::callback)?;
        if let Some(seen) = &self.seen {
            let nonce = headers
                .get("Wechatpay-Nonce")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let mut seen = match seen.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            if !seen.insert(nonce, now) {
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
            &*self.apiv3_key,
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
/// Nonces seen within the replay window, oldest first, bounded.
struct SeenNonces {
    order: VecDeque<(String, i64)>,
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

    /// False if seen within the window; `now` in unix seconds.
    fn insert(&mut self, nonce: &str, now: i64) -> bool {
        let horizon = now.saturating_sub(REPLAY_WINDOW.as_secs() as i64);
        while self.order.front().is_some_and(|(_, at)| *at < horizon) {
            self.forget_oldest();
        }
        if self.set.contains(nonce) {
            return false;
        }
        while self.order.len() >= self.capacity {
            self.forget_oldest();
        }
        self.order.push_back((nonce.to_string(), now));
        self.set.insert(nonce.to_string());
        true
    }

    fn forget_oldest(&mut self) {
        if let Some((old, _)) = self.order.pop_front() {
            self.set.remove(&old);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_nonces_are_bounded_and_evict_oldest() {
        let mut s = SeenNonces::new(2);
        assert!(s.insert("a", 0));
        assert!(!s.insert("a", 0));
        assert!(s.insert("b", 0));
        assert!(s.insert("c", 0)); // evicts a
        assert!(s.insert("a", 0));
        assert!(!s.insert("c", 0));
        assert_eq!(s.order.len(), 2);
    }

    #[test]
    fn a_body_over_the_cap_is_refused_before_any_check() {
        let v = NotifyVerifier::new(CertStore::default(), "0123456789abcdef0123456789abcdef")
            .unwrap()
            .with_max_body_bytes(16);
        // No headers at all: the size is checked first, so no key is needed.
        let e = v.verify(&http::HeaderMap::new(), &[b'x'; 17]).unwrap_err();
        assert_eq!(
            e.verification_failure(),
            Some(&VerificationFailure::TooLarge { limit: 16 })
        );
        let e = v.verify(&http::HeaderMap::new(), &[b'x'; 16]).unwrap_err();
        assert!(matches!(
            e.verification_failure(),
            Some(VerificationFailure::MissingHeader(_))
        ));
    }

    #[test]
    fn nonces_are_forgotten_after_the_window() {
        let mut s = SeenNonces::new(100);
        assert!(s.insert("a", 1_000));
        assert!(!s.insert("a", 1_000 + 599));
        assert!(s.insert("b", 1_000 + 601));
        assert!(
            s.insert("a", 1_000 + 601),
            "expired, and the timestamp check guards it now"
        );
        assert_eq!(s.order.len(), 2);
        // Extreme clocks do not overflow.
        assert!(s.insert("z", i64::MIN));
        assert!(s.insert("y", i64::MAX));
    }
}
