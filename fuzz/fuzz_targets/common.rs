#![allow(dead_code)] // each target uses part of it
//! What the targets share: a client whose stack ends in a layer of the
//! target's own (no network), and the test keys.

use std::sync::Arc;

use wechatpay::{
    Builder, Client, Error, Response,
    crypto::{PrivateKey, PublicKey},
    middleware::{BoxFuture, Middleware, Next, Request},
};

pub const BASE: &str = "https://api.mch.weixin.qq.com/";
pub const MERCHANT_KEY: &str = include_str!("../../wechatpay/tests/keys/merchant_private_key.pem");
pub const PLATFORM_PUBLIC: &str = include_str!("../../wechatpay/tests/keys/platform_public_key.pem");
pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0119000000012025010100000000000001";

/// Answers every request by calling `answer` with it: the transport's place.
pub struct Answer(pub Arc<dyn Fn(&Request) -> Response + Send + Sync>);

impl Middleware for Answer {
    fn handle<'a>(&'a self, request: Request, _: Next<'a>) -> BoxFuture<'a, Result<Response, Error>> {
        let r = (self.0)(&request);
        Box::pin(async move { Ok(r) })
    }
}

/// A client whose innermost layer is `answer`; `outermost` puts it outside
/// the verifiers and signers instead (no RSA: fast).
pub fn client(answer: Answer, outermost: bool) -> Client {
    let b = Builder::new()
        .mchid("1900000001")
        .serial("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
        .private_key(PrivateKey::from_pem(MERCHANT_KEY).unwrap())
        .cert(PUB_KEY_ID, PublicKey::from_pem(PLATFORM_PUBLIC).unwrap())
        .secret("oracle-test-apiv2-secret-32bytes!")
        .base_uri(BASE);
    if outermost {
        b.middleware(answer).build().unwrap()
    } else {
        b.stack(move |s| {
            s.after("signer_v2", "answer", answer);
        })
        .build()
        .unwrap()
    }
}

/// Splits fuzz input at the first `0xff` byte.
pub fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}
