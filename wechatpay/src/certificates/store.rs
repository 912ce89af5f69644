//! The WeChat Pay public keys and platform certificates a client trusts,
//! keyed by public-key ID or certificate serial.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock, Weak},
};

use crate::{crypto::PublicKey, middleware::BoxFuture};

/// What fetches the certificates again when an answer names a serial the
/// store lacks: a [`Refresher`](super::Refresher) watching the store.
pub(crate) trait Refetch: Send + Sync {
    /// Completes once a refetch (this one, or one already running) is done;
    /// at once when one ran too recently.
    fn refetch(&self) -> BoxFuture<'static, ()>;
}

/// A shared, live-updatable map from serial (or `PUB_KEY_ID_…`) to key.
///
/// Readers take a snapshot; writers swap in a whole new map, so a verifier
/// never sees the store empty or half-filled while certificates rotate.
/// Cloning shares the store.
///
/// ```
/// use wechatpay::{CertStore, crypto::PublicKey};
/// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
/// let store = CertStore::default();
/// store.insert("PUB_KEY_ID_01", PublicKey::from_pem(&pem)?);
/// assert_eq!(store.serials(), vec!["PUB_KEY_ID_01".to_string()]);
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct CertStore {
    map: Arc<RwLock<Arc<HashMap<String, PublicKey>>>>,
    refetcher: Arc<RwLock<Option<Weak<dyn Refetch>>>>,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CertStore").field(&self.serials()).finish()
    }
}

impl CertStore {
    fn snapshot(&self) -> Arc<HashMap<String, PublicKey>> {
        // A poisoned lock only means a writer panicked between whole-map
        // swaps; the map inside is still a complete one.
        match self.map.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub(crate) fn swap(
        &self,
        f: impl FnOnce(&HashMap<String, PublicKey>) -> HashMap<String, PublicKey>,
    ) {
        let mut guard = match self.map.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let next = f(&guard);
        *guard = Arc::new(next);
    }

    /// Lets `refetcher` be asked for certificates when a serial is unknown.
    pub(crate) fn set_refetcher(&self, refetcher: Weak<dyn Refetch>) {
        match self.refetcher.write() {
            Ok(mut g) => *g = Some(refetcher),
            Err(p) => *p.into_inner() = Some(refetcher),
        }
    }

    /// A refetch to wait for, when a refresher watches this store.
    pub(crate) fn refetch(&self) -> Option<BoxFuture<'static, ()>> {
        let guard = match self.refetcher.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        guard.as_ref()?.upgrade().map(|r| r.refetch())
    }

    /// The key for `serial`, if configured.
    ///
    /// ```
    /// assert!(wechatpay::CertStore::default().get("X").is_none());
    /// ```
    pub fn get(&self, serial: &str) -> Option<PublicKey> {
        self.snapshot().get(serial).cloned()
    }

    /// Adds or replaces one key.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_cert.pem")).unwrap();
    /// let store = wechatpay::CertStore::default();
    /// store.insert("7132D72A03E93CDDF8C03BBD1F37EEDF843BB0CE", wechatpay::crypto::PublicKey::from_pem(&pem)?);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn insert(&self, serial: impl Into<String>, key: PublicKey) {
        let serial = serial.into();
        self.swap(|old| {
            let mut next = old.clone();
            next.insert(serial, key);
            next
        });
    }

    /// Replaces every key at once (a certificate refresh).
    ///
    /// ```
    /// let store = wechatpay::CertStore::default();
    /// store.replace_all(Vec::new());
    /// assert!(store.is_empty());
    /// ```
    pub fn replace_all(&self, keys: impl IntoIterator<Item = (String, PublicKey)>) {
        let next: HashMap<_, _> = keys.into_iter().collect();
        self.swap(|_| next);
    }

    /// Removes one key, returning whether it was there.
    ///
    /// ```
    /// assert!(!wechatpay::CertStore::default().remove("X"));
    /// ```
    pub fn remove(&self, serial: &str) -> bool {
        let mut found = false;
        self.swap(|old| {
            let mut next = old.clone();
            found = next.remove(serial).is_some();
            next
        });
        found
    }

    /// The configured serials and public-key IDs, sorted.
    ///
    /// ```
    /// assert!(wechatpay::CertStore::default().serials().is_empty());
    /// ```
    pub fn serials(&self) -> Vec<String> {
        let mut s: Vec<String> = self.snapshot().keys().cloned().collect();
        s.sort();
        s
    }

    /// Whether no key is configured.
    ///
    /// ```
    /// assert!(wechatpay::CertStore::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.snapshot().is_empty()
    }
}
