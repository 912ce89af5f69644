//! Signs each APIv3 request (PHP's `ClientJsonTrait::signer`).

use http::{HeaderValue, header::AUTHORIZATION};

use super::{ApiVersion, BoxFuture, Middleware, Next, Request, api_of};
use crate::{Error, Response, crypto::PrivateKey, formatter};

/// Adds `Authorization: WECHATPAY2-SHA256-RSA2048 …` over the exact method,
/// target and body that go on the wire.
pub(crate) struct Signer {
    pub(crate) credentials: Option<Credentials>,
}

pub(crate) struct Credentials {
    pub(crate) mchid: String,
    pub(crate) serial: String,
    pub(crate) key: PrivateKey,
}

impl Signer {
    pub(crate) fn sign(&self, request: &mut Request) -> Result<(), Error> {
        let Some(c) = &self.credentials else {
            return Err(Error::Config(
                "this client has no APIv3 credentials (mchid, serial, private key, certs)".into(),
            ));
        };
        let target = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let signed_body = request
            .extensions()
            .get::<super::CallContext>()
            .and_then(|c| c.signed_body.as_deref());
        let body = match signed_body {
            Some(meta) => meta,
            None => std::str::from_utf8(request.body())
                .map_err(|_| Error::Options("an APIv3 body must be UTF-8 text".into()))?,
        };
        let timestamp = formatter::timestamp().to_string();
        let nonce = formatter::nonce(32);
        let message =
            formatter::request(request.method().as_str(), target, &timestamp, &nonce, body);
        let signature = c.key.sign(message)?;
        let value = formatter::authorization(&c.mchid, &nonce, &signature, &timestamp, &c.serial);
        let value = HeaderValue::from_str(&value)
            .map_err(|_| Error::Config("mchid or serial is not valid header text".into()))?;
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }
}

impl Middleware for Signer {
    fn handle<'a>(
        &'a self,
        mut request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            if api_of(&request) == ApiVersion::V3 {
                self.sign(&mut request)?;
            }
            next.run(request).await
        })
    }
}
