//! The bottom of the stack: one reqwest client (and a second one carrying
//! the merchant client certificate, for APIv2's `security: true`), bounded
//! bodies, no redirects.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::{
    Error, Response,
    middleware::{CallContext, Request},
};

pub(crate) struct Transport {
    client: reqwest::Client,
    /// Presents the merchant client certificate (mTLS), when one is configured.
    secure: Option<reqwest::Client>,
    max_body: usize,
}

impl Transport {
    pub(crate) fn new(
        timeout: Duration,
        connect_timeout: Duration,
        max_body: usize,
        user_agent: &str,
        identity: Option<reqwest::Identity>,
        roots: &[reqwest::Certificate],
    ) -> Result<Self, Error> {
        let builder = || {
            reqwest::Client::builder()
                // A redirect would carry our Authorization to another host.
                .redirect(reqwest::redirect::Policy::none())
                .timeout(timeout)
                .connect_timeout(connect_timeout)
                .user_agent(user_agent)
                .tls_certs_merge(roots.iter().cloned())
        };
        let client = builder()
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        let secure = match identity {
            None => None,
            Some(id) => Some(builder().identity(id).build().map_err(|e| {
                Error::Config(format!(
                    "could not build the HTTP client with the client certificate: {e}"
                ))
            })?),
        };
        Ok(Self {
            client,
            secure,
            max_body,
        })
    }

    /// Whether a merchant client certificate is configured.
    pub(crate) fn has_identity(&self) -> bool {
        self.secure.is_some()
    }

    pub(crate) async fn send(&self, request: Request) -> Result<Response, Error> {
        let ctx = request.extensions().get::<CallContext>();
        let timeout = ctx.and_then(|c| c.timeout);
        let client = match (ctx.is_some_and(|c| c.security), &self.secure) {
            (false, _) => &self.client,
            (true, Some(secure)) => secure,
            (true, None) => {
                return Err(Error::Config(
                    "`security: true` needs the merchant client certificate, and none is configured"
                        .into(),
                ));
            }
        };
        let (parts, body) = request.into_parts();
        let url = reqwest::Url::parse(&parts.uri.to_string())
            .map_err(|e| Error::Uri(format!("`{}`: {e}", parts.uri)))?;
        let mut builder = client
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body);
        if let Some(t) = timeout {
            builder = builder.timeout(t);
        }
        let mut response = builder.send().await.map_err(Error::transport)?;
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(Error::BodyTooLarge {
                limit: self.max_body,
            });
        }
        let mut buf = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(Error::transport)? {
            if buf.len() + chunk.len() > self.max_body {
                return Err(Error::BodyTooLarge {
                    limit: self.max_body,
                });
            }
            buf.extend_from_slice(&chunk);
        }
        let mut out = http::Response::new(Bytes::from(buf));
        *out.status_mut() = response.status();
        *out.version_mut() = response.version();
        *out.headers_mut() = std::mem::take(response.headers_mut());
        Ok(out)
    }
}
