//! Media upload (PHP's `Util\MediaUtil`): a multipart body with a `meta`
//! part (`{"filename":…,"sha256":…}`) and a `file` part. WeChat Pay's
//! signature covers the meta JSON only, not the file bytes.

use bytes::{BufMut, Bytes, BytesMut};
use sha2::{Digest, Sha256};

use crate::{Error, Options};

/// A file ready to upload to `v3/merchant/media/upload`, the video upload
/// or the marketing image upload.
///
/// ```no_run
/// use wechatpay::util::media::MediaUtil;
/// # fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
/// let media = MediaUtil::from_path("/path/to/logo.png")?;
/// let r = client.chain("v3/merchant/media/upload").post(media.options())?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MediaUtil {
    meta: String,
    body: Bytes,
    content_type: String,
}

impl MediaUtil {
    /// Wraps `data` named `filename`; the file part's type follows the name's extension.
    ///
    /// ```
    /// let m = wechatpay::util::media::MediaUtil::new("logo.png", b"\x89PNG".to_vec())?;
    /// assert!(m.meta().starts_with(r#"{"filename":"logo.png","sha256":""#));
    /// assert!(m.content_type().starts_with("multipart/form-data; boundary="));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn new(filename: &str, data: impl Into<Bytes>) -> Result<Self, Error> {
        if filename.is_empty() || filename.chars().any(|c| c == '"' || c.is_control()) {
            return Err(Error::options(format!(
                "the file name {filename:?} cannot go in a multipart header"
            )));
        }
        let data: Bytes = data.into();
        let digest = Sha256::digest(&data);
        let sha256: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let meta = serde_json::json!({"filename": filename, "sha256": sha256}).to_string();
        // The boundary never occurs in the file: it carries the file's own hash.
        let boundary = format!("wechatpay-{}", &sha256[..32]);
        let mut body = BytesMut::with_capacity(data.len() + meta.len() + 512);
        let mut put = |s: &str| body.put_slice(s.as_bytes());
        put(&format!("--{boundary}\r\n"));
        put("Content-Disposition: form-data; name=\"meta\"\r\n");
        put("Content-Type: application/json\r\n\r\n");
        put(&meta);
        put(&format!("\r\n--{boundary}\r\n"));
        put(&format!(
            "Content-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
        ));
        put(&format!("Content-Type: {}\r\n\r\n", mime_of(filename)));
        body.put_slice(&data);
        body.put_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        Ok(Self {
            meta,
            body: body.freeze(),
            content_type: format!("multipart/form-data; boundary={boundary}"),
        })
    }

    /// Reads the file at `path` (a `file://` prefix is accepted).
    ///
    /// ```
    /// assert!(wechatpay::util::media::MediaUtil::from_path("/no/such/file.png").is_err());
    /// ```
    pub fn from_path(path: &str) -> Result<Self, Error> {
        let path = path.strip_prefix("file://").unwrap_or(path);
        let data = std::fs::read(path)
            .map_err(|e| Error::options(format!("cannot read `{path}`: {e}")))?;
        let name = std::path::Path::new(path)
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::options(format!("`{path}` has no file name")))?;
        Self::new(name, data)
    }

    /// The meta JSON, which is what the request signature covers.
    ///
    /// ```
    /// let m = wechatpay::util::media::MediaUtil::new("a.jpg", vec![1, 2, 3])?;
    /// let meta: serde_json::Value = serde_json::from_str(m.meta())?;
    /// assert_eq!(meta["sha256"], "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn meta(&self) -> &str {
        &self.meta
    }

    /// `multipart/form-data; boundary=…`.
    ///
    /// ```
    /// let m = wechatpay::util::media::MediaUtil::new("a.mp4", vec![0])?;
    /// assert!(m.content_type().contains("boundary="));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The whole multipart body.
    ///
    /// ```
    /// let m = wechatpay::util::media::MediaUtil::new("a.bmp", vec![7])?;
    /// assert!(m.body().ends_with(b"--\r\n"));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Options that send this upload: the multipart body, its
    /// `Content-Type`, and the meta JSON as what is signed.
    ///
    /// ```
    /// let o = wechatpay::util::media::MediaUtil::new("a.png", vec![1])?.options();
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn options(&self) -> Options {
        Options::new().upload(self.body.clone(), &self.content_type, &self.meta)
    }
}

/// The file part's type, by extension, as PHP's MediaUtil picks it.
fn mime_of(filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "bmp" => "image/bmp",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        "avi" => "video/x-msvideo",
        "wmv" => "video/x-ms-wmv",
        "mpeg" => "video/mpeg",
        "mov" => "video/quicktime",
        "mkv" => "video/x-matroska",
        "flv" => "video/x-flv",
        "f4v" => "video/x-f4v",
        "m4v" => "video/x-m4v",
        "rmvb" => "application/vnd.rn-realmedia-vbr",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_extensions() {
        assert_eq!(mime_of("A.JPG"), "image/jpeg");
        assert_eq!(mime_of("v.mp4"), "video/mp4");
        assert_eq!(mime_of("noext"), "application/octet-stream");
    }

    #[test]
    fn names_that_would_break_the_header_are_refused() {
        for bad in ["", "a\"b.png", "a\r\nX: y.png"] {
            assert!(MediaUtil::new(bad, vec![1]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn body_has_both_parts_in_order() {
        let m = MediaUtil::new("x.png", b"PIXELS".to_vec()).unwrap();
        let text = String::from_utf8_lossy(m.body());
        let meta_at = text.find("name=\"meta\"").unwrap();
        let file_at = text.find("name=\"file\"; filename=\"x.png\"").unwrap();
        assert!(meta_at < file_at);
        assert!(text.contains("Content-Type: image/png\r\n\r\nPIXELS\r\n"));
    }
}
