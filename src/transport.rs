//! The bottom of the stack: one reqwest client, bounded bodies, no redirects.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::{
    Error, Response,
    middleware::{CallContext, Request},
};

pub(crate) struct Transport {
    client: reqwest::Client,
    max_body: usize,
}

impl Transport {
    pub(crate) fn new(
        timeout: Duration,
        connect_timeout: Duration,
        max_body: usize,
        user_agent: &str,
    ) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            // A redirect would carry our Authorization to another host.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .user_agent(user_agent)
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(Self { client, max_body })
    }

    pub(crate) async fn send(&self, request: Request) -> Result<Response, Error> {
        let timeout = request
            .extensions()
            .get::<CallContext>()
            .and_then(|c| c.timeout);
        let (parts, body) = request.into_parts();
        let url = reqwest::Url::parse(&parts.uri.to_string())
            .map_err(|e| Error::Uri(format!("`{}`: {e}", parts.uri)))?;
        let mut builder = self
            .client
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
