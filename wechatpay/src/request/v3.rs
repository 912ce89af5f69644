//! An APIv3 request: JSON (or a raw `body`, or a media upload), the
//! `query` option appended to the expanded target.

use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::Value;

use super::{Defaults, Request, target};
use crate::{Error, Options, options::build_query};

/// PHP's default `Accept`, kept so servers see what they expect.
pub(crate) const ACCEPT: &str =
    "application/json, text/plain, application/x-gzip, application/pdf, image/png, image/*;q=0.5";

/// Endpoints WeChat Pay answers unsigned (binary downloads); PHP and the
/// Node SDK pass their answers through, and so do we. `path` is the
/// expanded template, relative to the base URI.
pub(crate) fn answers_unsigned(path: &str) -> bool {
    let path = path.trim_start_matches('/');
    path == "v3/billdownload/file"
        || path.starts_with("v3/transferdownload/")
        || (path.starts_with("v3/merchant-service/images/") && !path.ends_with("/upload"))
}

pub(super) fn prepare(
    defaults: &Defaults,
    method: Method,
    mut target: String,
    options: &Options,
) -> Result<Request, Error> {
    if let Some(q) = options.get("query") {
        let q = build_query(q)?;
        if !q.is_empty() {
            // A query written in the template is kept, not replaced as
            // Guzzle does: nothing the caller gave is dropped.
            target.push(if target.contains('?') { '&' } else { '?' });
            target.push_str(&q);
        }
    }
    let base = target::base_for(&defaults.base, &defaults.allowed, options)?;
    let uri = base.join(&target)?;
    let (content_type, body) = body(options)?;
    Ok(super::request(
        defaults,
        method,
        uri,
        ACCEPT,
        content_type,
        body,
    ))
}

/// The body and its `Content-Type`: `json`, a string `body`, or an upload.
fn body(options: &Options) -> Result<(HeaderValue, Bytes), Error> {
    if let Some(upload) = options.upload_part() {
        if options.get("json").is_some() || options.get("body").is_some() {
            return Err(Error::options(
                "an upload carries its own body; give no `json` or `body`",
            ));
        }
        let content_type = HeaderValue::from_str(&upload.content_type)
            .map_err(|_| Error::options("the upload's Content-Type cannot be sent"))?;
        return Ok((content_type, upload.body.clone()));
    }
    match (options.get("json"), options.get("body")) {
        (Some(_), Some(_)) => Err(Error::options("give `json` or `body`, not both")),
        (Some(json), None) => {
            let bytes = serde_json::to_vec(json)
                .map_err(|e| Error::options(format!("`json` does not serialize: {e}")))?;
            Ok((
                HeaderValue::from_static("application/json"),
                Bytes::from(bytes),
            ))
        }
        (None, Some(Value::String(s))) => Ok((
            HeaderValue::from_static("application/json; charset=utf-8"),
            Bytes::from(s.clone()),
        )),
        (None, Some(_)) => Err(Error::options("`body` must be a string")),
        (None, None) => Ok((
            HeaderValue::from_static("application/json; charset=utf-8"),
            Bytes::new(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::answers_unsigned;

    #[test]
    fn unsigned_paths_match_php() {
        assert!(answers_unsigned("v3/billdownload/file"));
        assert!(answers_unsigned("/v3/billdownload/file"));
        assert!(answers_unsigned("v3/transferdownload/signature"));
        assert!(answers_unsigned("v3/merchant-service/images/abc"));
        assert!(!answers_unsigned("v3/merchant-service/images/upload"));
        assert!(!answers_unsigned("v3/payscore/serviceorder"));
        assert!(!answers_unsigned("x/v3/billdownload/file"));
    }
}
