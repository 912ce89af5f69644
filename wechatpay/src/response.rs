//! Reading a [`Response`]: typed JSON and text, with typed errors.

use serde::de::DeserializeOwned;

use crate::{Error, Response};

/// Helpers on [`Response`] (an `http::Response<Bytes>`).
///
/// ```
/// use wechatpay::ResponseExt;
/// #[derive(serde::Deserialize)]
/// struct Order { state: String }
///
/// let r: wechatpay::Response = http::Response::new(bytes::Bytes::from_static(br#"{"state":"DOING"}"#));
/// let order: Order = r.json()?;
/// assert_eq!(order.state, "DOING");
/// assert!(r.json::<Vec<u8>>().is_err());
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub trait ResponseExt {
    /// The body as `T`, or a decode error ([`Error::is_decode`]) naming `T`
    /// and what did not fit.
    ///
    /// ```
    /// use wechatpay::ResponseExt;
    /// let r: wechatpay::Response = http::Response::new(bytes::Bytes::from_static(br#"{"state":"DOING"}"#));
    /// let any: serde_json::Value = r.json()?;
    /// assert_eq!(any["state"], "DOING");
    /// let e = r.json::<Vec<String>>().unwrap_err();
    /// assert!(e.is_decode() && e.to_string().contains("Vec"));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    fn json<T: DeserializeOwned>(&self) -> Result<T, Error>;

    /// The body as UTF-8 text (lossy), e.g. for logging.
    ///
    /// ```
    /// use wechatpay::ResponseExt;
    /// let r: wechatpay::Response = http::Response::new(bytes::Bytes::from_static(b"ok"));
    /// assert_eq!(r.text(), "ok");
    /// ```
    fn text(&self) -> std::borrow::Cow<'_, str>;
}

impl ResponseExt for Response {
    fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(self.body())
            .map_err(|e| Error::decode(std::any::type_name::<T>(), e))
    }

    fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.body())
    }
}
