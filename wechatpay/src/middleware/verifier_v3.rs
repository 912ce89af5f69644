//! Verifies each APIv3 answer before anyone reads it (PHP's
//! `ClientJsonTrait::verifier`), failing closed.

use super::{BoxFuture, Middleware, Next};
use crate::{
    ApiError, CertStore, Error, Response, formatter,
    request::{ApiVersion, Request, api_of, context_of},
    signature,
};

/// Marks an answer whose signature verified, so an error answer can say
/// whether its code and message are WeChat Pay's own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verified;

pub(crate) struct VerifierV3 {
    pub(crate) certs: CertStore,
}

impl Middleware for VerifierV3 {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            let wanted = context_of(&request).is_none_or(|c| c.verify_response);
            let v3 = api_of(&request) == ApiVersion::V3;
            let unsigned = context_of(&request).is_some_and(|c| c.unsigned_answer);
            let response = next.run(request).await?;
            if !(wanted && v3) {
                return Ok(response);
            }
            let success = response.status().is_success() || response.status().is_redirection();
            if success && unsigned {
                return Ok(response);
            }
            // A serial the store lacks: certificates may have rotated. When a
            // refresher watches the store, wait for its (shared, rate-limited)
            // download, then verify against what it found.
            let serial = response
                .headers()
                .get("Wechatpay-Serial")
                .and_then(|v| v.to_str().ok());
            if serial.is_some_and(|s| self.certs.get(s.trim()).is_none()) {
                if let Some(refetched) = self.certs.refetch() {
                    refetched.await;
                }
            }
            let response = verified(&self.certs, response, success)?;
            if success {
                return Ok(response);
            }
            // An error answer is an error inside the stack too, so a retry
            // layer reads its code; whether it verified travels with it.
            let is_verified = response.extensions().get::<Verified>().is_some();
            let api = ApiError::from_json(&response, is_verified);
            Err(Error::api(api, response))
        })
    }
}

/// `response`, marked [`Verified`] when its signature checks out. A failed
/// check of a 2xx/3xx answer is an error holding the answer; an error
/// answer that fails it stays an error answer, unmarked.
pub(crate) fn verified(
    certs: &CertStore,
    mut response: Response,
    success: bool,
) -> Result<Response, Error> {
    match signature::verify(
        certs,
        response.headers(),
        response.body(),
        formatter::timestamp(),
    ) {
        Ok(()) => {
            response.extensions_mut().insert(Verified);
            Ok(response)
        }
        Err(reason) if success => Err(Error::verification(reason, response)),
        Err(_) => Ok(response),
    }
}
