//! WeChat Pay platform certificates: download them (PHP's
//! `CertificateDownloader`) and keep a client's store fresh in the background.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use http::Method;
use serde::Deserialize;

use crate::{
    CertStore, Client, Error, Options, crypto::aes_gcm, middleware::verified,
    util::pem::Certificate,
};

/// One downloaded, decrypted platform certificate.
///
/// ```no_run
/// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
/// for c in wechatpay::certificates::download(client, "APIv3 key, 32 bytes long........").await? {
///     println!("{} valid {} to {}", c.serial_no, c.effective_time, c.expire_time);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PlatformCertificate {
    /// The serial WeChat Pay names it by (`Wechatpay-Serial`).
    pub serial_no: String,
    /// Start of validity as WeChat Pay reports it (RFC 3339).
    pub effective_time: String,
    /// End of validity as WeChat Pay reports it (RFC 3339).
    pub expire_time: String,
    /// The parsed certificate.
    pub certificate: Certificate,
}

#[derive(Deserialize)]
struct Listing {
    data: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    serial_no: String,
    #[serde(default)]
    effective_time: String,
    #[serde(default)]
    expire_time: String,
    encrypt_certificate: Encrypted,
}

#[derive(Deserialize)]
struct Encrypted {
    algorithm: String,
    nonce: String,
    #[serde(default)]
    associated_data: String,
    ciphertext: String,
}

/// `GET v3/certificates`, each `encrypt_certificate` decrypted with the
/// APIv3 key, and the response verified with the downloaded certificates
/// themselves (a reply signed by none of them is refused).
///
/// ```no_run
/// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
/// let certs = wechatpay::certificates::download(client, "0123456789abcdef0123456789abcdef").await?;
/// # Ok(()) }
/// ```
pub async fn download(client: &Client, apiv3_key: &str) -> Result<Vec<PlatformCertificate>, Error> {
    if apiv3_key.len() != aes_gcm::KEY_LEN {
        return Err(Error::Config(format!(
            "the APIv3 key must be 32 bytes, got {}",
            apiv3_key.len()
        )));
    }
    let response = client
        .chain("v3/certificates")
        .request_unverified(Method::GET, Options::default())
        .await?;
    let listing: Listing =
        serde_json::from_slice(response.body()).map_err(|source| Error::Decode {
            target: "the v3/certificates listing",
            source,
        })?;
    let mut out = Vec::with_capacity(listing.data.len());
    for entry in listing.data {
        let e = &entry.encrypt_certificate;
        if e.algorithm != "AEAD_AES_256_GCM" {
            return Err(Error::Crypto(format!(
                "certificate {} uses `{}`, expected AEAD_AES_256_GCM",
                entry.serial_no, e.algorithm
            )));
        }
        let pem = aes_gcm::decrypt_to_string(
            apiv3_key.as_bytes(),
            e.nonce.as_bytes(),
            e.associated_data.as_bytes(),
            &e.ciphertext,
        )?;
        let certificate = Certificate::from_pem(&pem)?;
        if certificate.serial_number() != entry.serial_no {
            return Err(Error::Crypto(format!(
                "the listing names serial {} but the certificate's is {}",
                entry.serial_no,
                certificate.serial_number()
            )));
        }
        out.push(PlatformCertificate {
            serial_no: entry.serial_no,
            effective_time: entry.effective_time,
            expire_time: entry.expire_time,
            certificate,
        });
    }
    let own = CertStore::default();
    for c in &out {
        own.insert(c.serial_no.clone(), c.certificate.public_key().clone());
    }
    verified(&own, response)?;
    Ok(out)
}

/// Downloads with a client that has no WeChat Pay key yet, the first step
/// of a platform-certificate setup (PHP's `CertificateDownloader.php`): the
/// builder needs `mchid`, `serial` and `private_key`; `cert`s are optional.
///
/// ```no_run
/// # async fn f() -> Result<(), wechatpay::Error> {
/// use wechatpay::{Builder, crypto::PrivateKey};
/// let builder = Builder::new()
///     .mchid("1900000001")
///     .serial("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
///     .private_key(PrivateKey::from_pem("file:///path/to/apiclient_key.pem")?);
/// let certs = wechatpay::certificates::download_with(builder, "0123456789abcdef0123456789abcdef").await?;
/// # Ok(()) }
/// ```
pub async fn download_with(
    builder: crate::Builder,
    apiv3_key: &str,
) -> Result<Vec<PlatformCertificate>, Error> {
    let client = builder.bootstrapping().build()?;
    download(&client, apiv3_key).await
}

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
    task: tokio::task::AbortHandle,
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
        self.task.abort();
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
    let spawner = client.clone();
    let (client, key, st) = (client.clone(), apiv3_key.to_string(), status.clone());
    let every = every.max(Duration::from_secs(1));
    let task = spawner.spawn_background(async move {
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
