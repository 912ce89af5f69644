//! Signs each APIv2 request (PHP's `transform_request`): adds `nonce_str`
//! (unless `nonceless`) and `sign` to the XML body, or to the query of a
//! GET, so that whatever a layer outside changed is what gets signed.

use bytes::Bytes;
use serde_json::{Map, Value};

use super::{BoxFuture, Middleware, Next};
use crate::{
    Error, Response,
    crypto::hash,
    formatter::{self, ksort, query_string_like},
    options::build_query,
    request::{ApiVersion, Request, api_of, context_of},
    v2::{self, Secret},
};

pub(crate) struct SignerV2 {
    pub(crate) secret: Option<Secret>,
}

impl SignerV2 {
    fn sign(&self, request: &mut Request) -> Result<(), Error> {
        let Some(secret) = &self.secret else {
            return Err(Error::config(
                "this client has no APIv2 secret to sign with (Builder::secret)",
            ));
        };
        let nonceless = context_of(request).is_some_and(|c| c.nonceless);
        let is_get = request.method() == http::Method::GET;
        let mut data = if is_get {
            v2::parse_query(request.uri().query().unwrap_or(""))
        } else {
            v2::parse(request.body())
                .map_err(|e| Error::options(format!("the APIv2 body to sign is not XML: {e}")))?
        };
        sign_map(&mut data, secret, nonceless)?;
        if is_get {
            let query = build_query(&Value::Object(data))?;
            let path = request.uri().path();
            let uri = match request.uri().authority() {
                Some(authority) => format!(
                    "{}://{authority}{path}?{query}",
                    request.uri().scheme_str().unwrap_or("https")
                ),
                None => format!("{path}?{query}"),
            };
            *request.uri_mut() = uri
                .parse()
                .map_err(|_| Error::options("the signed APIv2 query is not a URI"))?;
        } else {
            let xml = crate::transformer::to_xml(&data)
                .map_err(|e| Error::options(format!("the signed APIv2 payload: {e}")))?;
            *request.body_mut() = Bytes::from(xml);
        }
        Ok(())
    }
}

/// Adds `nonce_str` when absent (unless `nonceless`) and `sign` last,
/// MD5 or HMAC-SHA256 as the map's `sign_type` says.
fn sign_map(data: &mut Map<String, Value>, secret: &Secret, nonceless: bool) -> Result<(), Error> {
    let kind = v2::sign_type_of(data)?;
    data.shift_remove("sign");
    if !nonceless && data.get("nonce_str").is_none_or(Value::is_null) {
        data.insert("nonce_str".into(), Value::String(formatter::nonce(32)));
    }
    let sign = hash::sign(kind, &query_string_like(&ksort(data)), secret.expose());
    data.insert("sign".into(), Value::String(sign));
    Ok(())
}

impl Middleware for SignerV2 {
    fn handle<'a>(
        &'a self,
        mut request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            if api_of(&request) == ApiVersion::V2 {
                self.sign(&mut request)?;
            }
            next.run(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_adds_nonce_then_sign_and_verifies() {
        let secret = Secret::new("k".into());
        let mut data = Map::new();
        data.insert("mch_id".into(), "1".into());
        data.insert("sign".into(), "stale".into());
        sign_map(&mut data, &secret, false).unwrap();
        let keys: Vec<&str> = data.keys().map(String::as_str).collect();
        assert_eq!(keys, ["mch_id", "nonce_str", "sign"]);
        assert!(v2::verify(&data, "k").is_ok());

        let mut bare = Map::new();
        bare.insert("mch_id".into(), "1".into());
        sign_map(&mut bare, &secret, true).unwrap();
        assert!(!bare.contains_key("nonce_str"));
        assert!(v2::verify(&bare, "k").is_ok());
    }
}
