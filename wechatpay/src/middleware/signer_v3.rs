//! Signs each APIv3 request (PHP's `ClientJsonTrait::signer`).

use std::sync::Arc;

use http::{HeaderValue, header::AUTHORIZATION};

use super::{BoxFuture, Middleware, Next};
use crate::{
    Error, Response,
    crypto::PrivateKey,
    formatter,
    request::{ApiVersion, Request, api_of, context_of},
};

/// What signs the `Authorization` message when the key is not in this
/// process: an HSM, a KMS, a signing service. Give one to
/// [`Builder::signer`](crate::Builder::signer) and no private key is needed.
///
/// The message is WeChat Pay's `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n`;
/// the answer is the base64 of its RSA PKCS#1 v1.5 SHA-256 signature
/// (`openssl dgst -sha256 -sign apiclient_key.pem | base64`).
///
/// ```
/// use wechatpay::middleware::{BoxFuture, MessageSigner};
///
/// /// Signs with a key held elsewhere (here, to keep the example short, in memory).
/// struct Remote(wechatpay::crypto::PrivateKey);
///
/// impl MessageSigner for Remote {
///     fn sign<'a>(&'a self, message: &'a str) -> BoxFuture<'a, Result<String, wechatpay::Error>> {
///         Box::pin(async move { Ok(self.0.sign(message)?) })
///     }
/// }
/// ```
pub trait MessageSigner: Send + Sync + 'static {
    /// The base64 RSA-SHA256 signature of `message`. An error fails the
    /// call before anything is sent.
    ///
    /// ```
    /// use wechatpay::middleware::{BoxFuture, MessageSigner};
    /// # let sandbox = wechatpay_sandbox::Sandbox::start_blocking()?;
    ///
    /// struct Remote(wechatpay::crypto::PrivateKey);
    ///
    /// impl MessageSigner for Remote {
    ///     fn sign<'a>(&'a self, message: &'a str) -> BoxFuture<'a, Result<String, wechatpay::Error>> {
    ///         // An HSM or a signing service would be asked here.
    ///         Box::pin(async move { Ok(self.0.sign(message)?) })
    ///     }
    /// }
    /// let key = wechatpay::crypto::PrivateKey::from_pem(&sandbox.keys().merchant_private_key_pem)?;
    /// let client = wechatpay::Builder::new()
    ///     .mchid(&sandbox.keys().mchid)
    ///     .serial(&sandbox.keys().serial)
    ///     .signer(Remote(key))
    ///     .cert(&sandbox.keys().public_key_id, wechatpay::crypto::PublicKey::from_pem(&sandbox.keys().platform_public_key_pem)?)
    ///     .cert(&sandbox.keys().platform_cert_serial, wechatpay::crypto::PublicKey::from_pem(&sandbox.keys().platform_cert_pem)?)
    ///     .base_uri(sandbox.base_uri())
    ///     .build()?;
    /// assert_eq!(client.chain("v3/certificates").get(())?.status(), 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn sign<'a>(&'a self, message: &'a str) -> BoxFuture<'a, Result<String, Error>>;
}

/// The key that signs: in memory (signed inline, no boxing), or elsewhere.
#[derive(Clone)]
pub(crate) enum SigningKey {
    Local(PrivateKey),
    Remote(Arc<dyn MessageSigner>),
}

/// Who signs: the merchant, its certificate serial, the key.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) mchid: String,
    pub(crate) serial: String,
    pub(crate) key: SigningKey,
}

impl Credentials {
    pub(crate) fn local(mchid: String, serial: String, key: PrivateKey) -> Self {
        Self {
            mchid,
            serial,
            key: SigningKey::Local(key),
        }
    }

    pub(crate) fn remote(mchid: String, serial: String, signer: Arc<dyn MessageSigner>) -> Self {
        Self {
            mchid,
            serial,
            key: SigningKey::Remote(signer),
        }
    }
}

/// Adds `Authorization: WECHATPAY2-SHA256-RSA2048 …` over the exact method,
/// target and body that go on the wire.
pub(crate) struct SignerV3 {
    pub(crate) credentials: Option<Credentials>,
}

impl SignerV3 {
    async fn sign(&self, request: &mut Request) -> Result<(), Error> {
        let Some(c) = &self.credentials else {
            return Err(Error::config(
                "this client has no APIv3 credentials (mchid, serial, private key, certs)",
            ));
        };
        let target = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let body = match context_of(request).and_then(|c| c.signed_body.as_deref()) {
            Some(meta) => meta,
            None => std::str::from_utf8(request.body())
                .map_err(|_| Error::options("an APIv3 body must be UTF-8 text"))?,
        };
        let timestamp = formatter::timestamp().to_string();
        let nonce = formatter::nonce(32);
        let message =
            formatter::request(request.method().as_str(), target, &timestamp, &nonce, body);
        let signature = match &c.key {
            SigningKey::Local(key) => key.sign(&message)?,
            SigningKey::Remote(signer) => signer.sign(&message).await?,
        };
        let value = formatter::authorization(&c.mchid, &nonce, &signature, &timestamp, &c.serial);
        let value = HeaderValue::from_str(&value).map_err(|_| {
            Error::config("the mchid, serial or signature is not valid header text")
        })?;
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }
}

impl Middleware for SignerV3 {
    fn handle<'a>(
        &'a self,
        mut request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            if api_of(&request) == ApiVersion::V3 {
                self.sign(&mut request).await?;
            }
            next.run(request).await
        })
    }
}
