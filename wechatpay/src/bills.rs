//! Downloading a bill: the `download_url` that `GET v3/bill/tradebill` or
//! `GET v3/bill/fundflowbill` answered ([`BillDownload`]), fetched, gunzipped
//! when it was asked as `GZIP`, written to a sink, and checked against the
//! answer's SHA-1 `hash_value`, all as it streams.
//!
//! Why a function of its own rather than a plain `GET`: a bill can be far
//! larger than the answer-size cap, and the digest check is easy to get
//! wrong. WeChat Pay's `hash_value` is the SHA-1 of the bill *as CSV*, before
//! compression; here it is computed over exactly the bytes written to the
//! sink. (wechatpay-java's own check, `DigestBillEntity::verifyHash`, is
//! reported to fail on good GZIP bills: wechatpay-java#384.)
//!
//! - The URL must be on the client's own host, under its base URI, and name
//!   `v3/billdownload/file`: the request is signed like any APIv3 `GET`, and
//!   its `Authorization` must not go anywhere else. Its answer is unsigned,
//!   as WeChat Pay serves it.
//! - The compressed body is never held whole: each chunk is decompressed,
//!   hashed and written before the next is read. The call's timeout bounds
//!   the wait for each chunk, not the whole download.
//! - Bytes reach the sink before the digest can be known. On any error,
//!   discard what was written: a [`is_verification`](Error::is_verification)
//!   error ([`VerificationFailure::BillDigest`]) means the bill is not the one
//!   WeChat Pay described.
//!
//! ```no_run
//! use wechatpay::{Options, ResponseExt, models::bills::{BillDownload, TradeBillQuery}};
//! # async fn f(client: &wechatpay::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let query = TradeBillQuery { bill_date: "2026-11-24".into(), tar_type: Some("GZIP".into()), ..Default::default() };
//! let answer: BillDownload = client.chain("v3/bill/tradebill").get_async(Options::new().query(&query)).await?.json()?;
//! let mut csv = Vec::new();
//! let done = wechatpay::bills::download(client, &answer, &mut csv).await?;
//! assert!(done.gzip && String::from_utf8(csv)?.starts_with("交易时间,"));
//! # Ok(()) }
//! ```
//!
//! `docs/payments.md` and `examples/payments.rs` run the whole of it against the sandbox.

use std::io::Write as _;

use bytes::Bytes;
use flate2::write::GzDecoder;
use http::Method;
use sha1::{Digest, Sha1};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::{
    Client, Error, Options, Response, VerificationFailure, models::bills::BillDownload,
    pipeline::BodyStreamOr, runtime,
};

/// The one path bills are downloaded from.
const DOWNLOAD_PATH: &str = "v3/billdownload/file";

/// What a download did.
///
/// ```
/// let d = wechatpay::bills::Downloaded { gzip: false, received: 3, written: 3, sha1: "a9993e364706816aba3e25717850c26c9cd0d89d".into() };
/// assert_eq!(d.written, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Whether the bill came gzipped (its URL said `tartype=GZIP`) and was gunzipped.
    pub gzip: bool,
    /// Bytes received from WeChat Pay.
    pub received: u64,
    /// Bytes written to the sink: the bill as CSV.
    pub written: u64,
    /// The SHA-1 of what was written, lowercase hex; it matched `hash_value`.
    pub sha1: String,
}

/// Downloads `bill` into `sink` (a file, a `Vec<u8>`), checking its digest;
/// see the [module docs](self). The sink is flushed, not shut down.
///
/// ```no_run
/// # async fn f(client: &wechatpay::Client, answer: &wechatpay::models::bills::BillDownload) -> Result<(), Box<dyn std::error::Error>> {
/// let mut file = tokio::fs::File::create("tradebill.csv").await?;
/// match wechatpay::bills::download(client, answer, &mut file).await {
///     Ok(done) => println!("{} bytes, sha1 {}", done.written, done.sha1),
///     Err(e) => { drop(file); tokio::fs::remove_file("tradebill.csv").await?; return Err(e.into()) }
/// }
/// # Ok(()) }
/// ```
pub async fn download<W>(
    client: &Client,
    bill: &BillDownload,
    sink: &mut W,
) -> Result<Downloaded, Error>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut reader = BillReader::open(client, bill).await?;
    while let Some(chunk) = reader.chunk().await? {
        sink.write_all(&chunk)
            .await
            .map_err(|e| reader.sink_failed(e))?;
    }
    sink.flush().await.map_err(|e| reader.sink_failed(e))?;
    Ok(reader.done())
}

/// [`download`] for code without a runtime, into a `std::io::Write`. The
/// network side runs on a thread of its own while this one writes, so a
/// slow sink slows the download rather than filling memory.
///
/// ```no_run
/// # fn f(client: &wechatpay::Client, answer: &wechatpay::models::bills::BillDownload) -> Result<(), Box<dyn std::error::Error>> {
/// let mut file = std::io::BufWriter::new(std::fs::File::create("tradebill.csv")?);
/// let done = wechatpay::bills::download_blocking(client, answer, &mut file)?;
/// # Ok(()) }
/// ```
pub fn download_blocking<W>(
    client: &Client,
    bill: &BillDownload,
    sink: &mut W,
) -> Result<Downloaded, Error>
where
    W: std::io::Write + ?Sized,
{
    // A few chunks in flight: enough to overlap network and disk.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Bytes>(4);
    let (client, bill) = (client.clone(), bill.clone());
    std::thread::scope(|scope| {
        let fetch = scope.spawn(move || {
            runtime::block_on(async move {
                let mut reader = BillReader::open(&client, &bill).await?;
                while let Some(chunk) = reader.chunk().await? {
                    if tx.send(chunk).is_err() {
                        // The writer stopped; its error is the one reported.
                        return Ok(None);
                    }
                }
                Ok(Some((reader.done(), reader.head)))
            })
        });
        let mut failed = None;
        for chunk in rx.iter() {
            if let Err(e) = sink.write_all(&chunk) {
                failed = Some(e);
                break;
            }
        }
        drop(rx);
        let fetched = match fetch.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        match (fetched, failed) {
            (Err(e), _) => Err(e),
            (Ok(_), Some(e)) => Err(Error::sink(e, None)),
            (Ok(None), None) => Err(Error::sink(
                std::io::Error::other("the writer stopped"),
                None,
            )),
            (Ok(Some((done, head))), None) => {
                sink.flush().map_err(|e| Error::sink(e, Some(head)))?;
                Ok(done)
            }
        }
    })
}

/// The bill, chunk by chunk: decompressed when gzipped, hashed, and checked
/// at the end.
struct BillReader {
    head: Response,
    body: BodyStreamOr,
    gunzip: Option<GzDecoder<Vec<u8>>>,
    digest: Sha1,
    expected: String,
    received: u64,
    written: u64,
    finished: bool,
}

impl BillReader {
    async fn open(client: &Client, bill: &BillDownload) -> Result<Self, Error> {
        if !bill.hash_type.eq_ignore_ascii_case("SHA1") {
            return Err(Error::decode(
                "a bill download answer",
                format!("hash_type `{}` is not SHA1", bill.hash_type),
            ));
        }
        let query = query_under_base(client.base_uri(), &bill.download_url)?;
        let gzip = query.split('&').any(|pair| {
            pair.split_once('=').is_some_and(|(k, v)| {
                k.eq_ignore_ascii_case("tartype") && v.eq_ignore_ascii_case("gzip")
            })
        });
        let pipeline = client.root.pipeline().clone();
        let template = pipeline.template(DOWNLOAD_PATH)?;
        let options = Options::new().set("query", query);
        let request = pipeline.prepare(Method::GET, &template, options)?;
        let (head, body) = pipeline.dispatch_streaming(request).await?;
        Ok(Self {
            head,
            body,
            gunzip: gzip.then(|| GzDecoder::new(Vec::new())),
            digest: Sha1::new(),
            expected: bill.hash_value.to_ascii_lowercase(),
            received: 0,
            written: 0,
            finished: false,
        })
    }

    /// The next decompressed chunk; `None` once the whole bill is read and
    /// its digest matched.
    async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        while !self.finished {
            let out = match self
                .body
                .chunk()
                .await
                .map_err(|e| e.answered(self.head.clone()))?
            {
                Some(raw) => {
                    self.received += raw.len() as u64;
                    self.decode(&raw)?
                }
                None => {
                    self.finished = true;
                    self.finish_gzip()?
                }
            };
            if !out.is_empty() {
                self.digest.update(&out);
                self.written += out.len() as u64;
                return Ok(Some(out));
            }
        }
        let actual = self.sha1();
        if actual != self.expected {
            return Err(Error::verification(
                VerificationFailure::BillDigest {
                    expected: self.expected.clone(),
                    actual,
                },
                self.head.clone(),
            ));
        }
        Ok(None)
    }

    fn decode(&mut self, raw: &Bytes) -> Result<Bytes, Error> {
        let Some(gunzip) = &mut self.gunzip else {
            return Ok(raw.clone());
        };
        gunzip.write_all(raw).map_err(|e| self.not_gzip(e))?;
        let gunzip = self.gunzip.as_mut().expect("checked above");
        Ok(Bytes::from(std::mem::take(gunzip.get_mut())))
    }

    fn finish_gzip(&mut self) -> Result<Bytes, Error> {
        let Some(gunzip) = &mut self.gunzip else {
            return Ok(Bytes::new());
        };
        gunzip.try_finish().map_err(|e| self.not_gzip(e))?;
        let gunzip = self.gunzip.as_mut().expect("checked above");
        Ok(Bytes::from(std::mem::take(gunzip.get_mut())))
    }

    fn not_gzip(&self, e: std::io::Error) -> Error {
        Error::decode("a gzipped bill", e).answered(self.head.clone())
    }

    fn sha1(&self) -> String {
        self.digest
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn sink_failed(&self, e: std::io::Error) -> Error {
        Error::sink(e, Some(self.head.clone()))
    }

    fn done(&self) -> Downloaded {
        Downloaded {
            gzip: self.gunzip.is_some(),
            received: self.received,
            written: self.written,
            sha1: self.sha1(),
        }
    }
}

/// The query of `url` when it is `v3/billdownload/file` under `base`, else
/// why not: the signed request must not leave WeChat Pay's host.
fn query_under_base(base: &str, url: &str) -> Result<String, Error> {
    let refuse = |why: &str| {
        Error::options(format!(
            "the bill's download_url `{url}` {why}; it is not sent, so that the request's \
             Authorization never goes anywhere but the client's base URI `{base}`"
        ))
    };
    let wanted = url::Url::parse(url).map_err(|_| refuse("is not a URL"))?;
    let base_url = url::Url::parse(base).map_err(|_| refuse("cannot be checked"))?;
    if wanted.origin() != base_url.origin()
        || !wanted.username().is_empty()
        || wanted.password().is_some()
        || wanted.fragment().is_some()
    {
        return Err(refuse("is not on the client's host"));
    }
    let path = wanted
        .path()
        .strip_prefix(base_url.path())
        .ok_or_else(|| refuse("is not under the client's base URI"))?;
    if path != DOWNLOAD_PATH {
        return Err(refuse("is not a bill download (`v3/billdownload/file`)"));
    }
    Ok(wanted.query().unwrap_or_default().to_string())
}

#[cfg(test)]
mod tests {
    use super::query_under_base;

    #[test]
    fn only_bill_downloads_under_the_base_are_fetched() {
        let base = "https://api.mch.weixin.qq.com/";
        let ok = [
            (
                "https://api.mch.weixin.qq.com/v3/billdownload/file?token=abc",
                "token=abc",
            ),
            (
                "https://API.mch.weixin.qq.com:443/v3/billdownload/file?token=a&tartype=GZIP",
                "token=a&tartype=GZIP",
            ),
        ];
        for (url, query) in ok {
            assert_eq!(query_under_base(base, url).unwrap(), query, "{url}");
        }
        let refused = [
            "https://evil.example/v3/billdownload/file?token=abc",
            "http://api.mch.weixin.qq.com/v3/billdownload/file?token=abc",
            "https://api.mch.weixin.qq.com.evil.example/v3/billdownload/file",
            "https://user@api.mch.weixin.qq.com/v3/billdownload/file",
            "https://api.mch.weixin.qq.com:8443/v3/billdownload/file",
            "https://api.mch.weixin.qq.com/v3/certificates",
            "https://api.mch.weixin.qq.com/v3/billdownload/file/../../v3/x",
            "not a url",
        ];
        for url in refused {
            assert!(
                query_under_base(base, url).unwrap_err().is_options(),
                "{url}"
            );
        }
        assert_eq!(ok.len() + refused.len(), 10);
        let prefixed = "http://127.0.0.1:9/prefix/";
        assert!(
            query_under_base(
                prefixed,
                "http://127.0.0.1:9/prefix/v3/billdownload/file?token=x"
            )
            .is_ok()
        );
        assert!(
            query_under_base(prefixed, "http://127.0.0.1:9/v3/billdownload/file?token=x").is_err()
        );
    }
}
