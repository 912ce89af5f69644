//! WeChat Pay platform certificates: the store a client verifies with
//! ([`CertStore`]), downloading them (PHP's `CertificateDownloader`), and
//! keeping the store fresh in the background ([`refresh_every`]).

use http::Method;
use serde::Deserialize;

use crate::{
    Client, Error, Options, crypto::aes_gcm, middleware::verified, util::pem::Certificate,
};

mod refresh;
mod store;

pub use refresh::{
    MIN_REFETCH_INTERVAL, NO_CERTIFICATES_RECHECK, Refresh, RefreshStatus, Refresher, refresh_every,
};
pub use store::CertStore;

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
/// A certificate outside its validity window (expired, or not valid yet)
/// is left out, and cannot verify the listing; when none is within its
/// window the download fails, naming each one and its window.
///
/// ```no_run
/// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
/// let certs = wechatpay::certificates::download(client, "0123456789abcdef0123456789abcdef").await?;
/// # Ok(()) }
/// ```
pub async fn download(client: &Client, apiv3_key: &str) -> Result<Vec<PlatformCertificate>, Error> {
    if apiv3_key.len() != aes_gcm::KEY_LEN {
        return Err(Error::config(format!(
            "the APIv3 key must be 32 bytes, got {}",
            apiv3_key.len()
        )));
    }
    let response = client
        .chain("v3/certificates")
        .request_unverified(Method::GET, Options::default())
        .await?;
    // Everything below happens after WeChat Pay answered: errors keep the
    // answer, and never claim the request was not sent.
    let answered = |e: Error| e.answered(response.clone());
    let listing: Listing = serde_json::from_slice(response.body())
        .map_err(|e| answered(Error::decode("the v3/certificates listing", e)))?;
    let mut out = Vec::with_capacity(listing.data.len());
    for entry in listing.data {
        let e = &entry.encrypt_certificate;
        if e.algorithm != "AEAD_AES_256_GCM" {
            return Err(answered(Error::decode(
                "the v3/certificates listing",
                format!(
                    "certificate {} uses `{}`, expected AEAD_AES_256_GCM",
                    entry.serial_no, e.algorithm
                ),
            )));
        }
        let pem = aes_gcm::decrypt_to_string(
            apiv3_key.as_bytes(),
            e.nonce.as_bytes(),
            e.associated_data.as_bytes(),
            &e.ciphertext,
        )
        .map_err(|e| answered(e.into()))?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| answered(e.into()))?;
        if certificate.serial_number() != entry.serial_no {
            return Err(answered(Error::decode(
                "the v3/certificates listing",
                format!(
                    "the listing names serial {} but the certificate's is {}",
                    entry.serial_no,
                    certificate.serial_number()
                ),
            )));
        }
        out.push(PlatformCertificate {
            serial_no: entry.serial_no,
            effective_time: entry.effective_time,
            expire_time: entry.expire_time,
            certificate,
        });
    }
    let now = crate::formatter::timestamp();
    let (valid, refused): (Vec<_>, Vec<_>) = out
        .into_iter()
        .partition(|c| c.certificate.is_valid_at(now));
    if valid.is_empty() {
        let why: Vec<String> = refused
            .iter()
            .map(|c| {
                format!(
                    "{} is valid only from {} to {} (unix seconds; now {now})",
                    c.serial_no,
                    c.certificate.not_before(),
                    c.certificate.not_after()
                )
            })
            .collect();
        let what = if why.is_empty() {
            "the listing holds no certificate".to_string()
        } else {
            format!(
                "no certificate is within its validity window: {}",
                why.join("; ")
            )
        };
        return Err(answered(Error::decode("the v3/certificates listing", what)));
    }
    let own = CertStore::default();
    for c in &valid {
        own.insert(c.serial_no.clone(), c.certificate.public_key().clone());
    }
    verified(&own, response, true)?;
    Ok(valid)
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
