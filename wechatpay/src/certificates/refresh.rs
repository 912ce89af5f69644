//! Keeping a client's certificate store fresh in the background.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use super::{CertStore, PlatformCertificate, download};
use crate::{Client, runtime};

/// How a background refresh is doing.
///
/// ```
/// let s = wechatpay::certificates::RefreshStatus::default();
/// assert_eq!(s.successes, 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct RefreshStatus {
    /// Refreshes that updated the store.
    pub successes: u64,
    /// Refreshes that failed; the store kept its certificates.
    pub failures: u64,
    /// The most recent failure, if the last attempt failed.
    pub last_error: Option<String>,
}

/// A running background refresh; dropping it stops the refresh.
///
/// ```no_run
/// # fn f(client: &wechatpay::Client) {
/// let refresh = wechatpay::certificates::refresh_every(client, "0123456789abcdef0123456789abcdef", std::time::Duration::from_secs(12 * 3600));
/// println!("{:?}", refresh.status());
/// # }
/// ```
pub struct Refresh {
    status: Arc<Mutex<RefreshStatus>>,
    task: Option<tokio::task::AbortHandle>,
}

impl std::fmt::Debug for Refresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresh")
            .field("status", &self.status())
            .finish()
    }
}

impl Refresh {
    /// The refresh's counters and last error.
    ///
    /// ```no_run
    /// # fn f(r: &wechatpay::certificates::Refresh) {
    /// if let Some(e) = r.status().last_error { eprintln!("certificate refresh failing: {e}"); }
    /// # }
    /// ```
    pub fn status(&self) -> RefreshStatus {
        match self.status.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

impl Drop for Refresh {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Downloads platform certificates now and then every `every`, merging them
/// into `client.certs()` in one atomic swap, so verification never sees the
/// store empty or half-filled. Public keys and certificates configured by
/// hand stay; certificates this refresh added and WeChat Pay no longer lists
/// are dropped. A failed refresh keeps the old certificates and is reported
/// in [`Refresh::status`].
///
/// ```no_run
/// # fn f(client: &wechatpay::Client) {
/// let _refresh = wechatpay::certificates::refresh_every(client, "0123456789abcdef0123456789abcdef", std::time::Duration::from_secs(3600));
/// # }
/// ```
pub fn refresh_every(client: &Client, apiv3_key: &str, every: Duration) -> Refresh {
    let status = Arc::new(Mutex::new(RefreshStatus::default()));
    let (client, key, st) = (client.clone(), apiv3_key.to_string(), status.clone());
    let every = every.max(Duration::from_secs(1));
    let task = runtime::spawn_background(async move {
        let mut added: HashSet<String> = HashSet::new();
        loop {
            let outcome = download(&client, &key).await;
            {
                let mut s = match st.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                match outcome {
                    Ok(certs) => {
                        added = merge(client.certs(), &added, &certs);
                        s.successes += 1;
                        s.last_error = None;
                    }
                    Err(e) => {
                        s.failures += 1;
                        s.last_error = Some(e.to_string());
                    }
                }
            }
            tokio::time::sleep(every).await;
        }
    });
    let task = match task {
        Ok(t) => Some(t),
        Err(e) => {
            if let Ok(mut s) = status.lock() {
                s.failures += 1;
                s.last_error = Some(e.to_string());
            }
            None
        }
    };
    Refresh { status, task }
}

/// One swap: the store minus what we added before, plus what was downloaded.
fn merge(
    store: &CertStore,
    previously_added: &HashSet<String>,
    certs: &[PlatformCertificate],
) -> HashSet<String> {
    let fresh: HashSet<String> = certs.iter().map(|c| c.serial_no.clone()).collect();
    store.swap(|old| {
        let mut next: std::collections::HashMap<_, _> = old
            .iter()
            .filter(|(s, _)| !previously_added.contains(*s))
            .map(|(s, k)| (s.clone(), k.clone()))
            .collect();
        for c in certs {
            next.insert(c.serial_no.clone(), c.certificate.public_key().clone());
        }
        next
    });
    fresh
}
