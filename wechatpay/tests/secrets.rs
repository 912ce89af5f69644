//! Secrets never show: the merchant private key, the APIv3 key, the APIv2
//! secret and the client certificate's key appear in no `Debug`, `Display`
//! or error of any public type that holds them, nor of the errors their
//! misuse produces.

use serde_json::json;
use wechatpay::{
    Builder, CertStore, Options,
    certificates::{Refresher, refresh_every},
    crypto::{Pkcs12, PrivateKey, PublicKey},
    notify::NotifyVerifier,
};
use wechatpay_sandbox::Sandbox;

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{KEYS}/{name}")).unwrap()
}

/// The lines of PEM key material (not the BEGIN/END lines).
fn pem_body_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_string)
        .collect()
}

struct Secrets(Vec<String>);

impl Secrets {
    #[track_caller]
    fn never_in(&self, what: &str, text: &str) {
        for s in &self.0 {
            assert!(!text.contains(s.as_str()), "{what} shows a secret: {text}");
        }
    }

    /// `Debug`, pretty `Debug` and, if given, `Display` of `value`.
    #[track_caller]
    fn check<T: std::fmt::Debug>(&self, what: &str, value: &T) -> usize {
        self.never_in(what, &format!("{value:?}"));
        self.never_in(what, &format!("{value:#?}"));
        1
    }

    #[track_caller]
    fn check_error<E: std::fmt::Debug + std::fmt::Display + std::error::Error>(
        &self,
        what: &str,
        e: &E,
    ) -> usize {
        self.check(what, e);
        self.never_in(what, &e.to_string());
        let mut source = e.source();
        while let Some(s) = source {
            self.never_in(what, &s.to_string());
            source = s.source();
        }
        1
    }
}

#[test]
fn no_public_type_or_error_shows_a_secret() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let keys = sandbox.keys().clone();
    let merchant_pem = read("merchant_private_key.pem");
    let client_key_pem = read("tls/client.key");
    let apiv3_key = keys.apiv3_key.clone();
    let apiv2_secret = keys.apiv2_secret.clone();
    let mut secrets = vec![
        apiv3_key.clone(),
        apiv2_secret.clone(),
        "test-passphrase".into(),
    ];
    secrets.extend(pem_body_lines(&merchant_pem));
    secrets.extend(pem_body_lines(&keys.merchant_private_key_pem));
    secrets.extend(pem_body_lines(&keys.platform_private_key_pem));
    secrets.extend(pem_body_lines(&client_key_pem));
    let s = Secrets(secrets);
    let mut checked = 0;

    let key = PrivateKey::from_pem(&merchant_pem).unwrap();
    checked += s.check("PrivateKey", &key);
    let p12 = Pkcs12::parse(
        &std::fs::read(format!("{KEYS}/tls/client.p12")).unwrap(),
        "1900000001",
    )
    .unwrap();
    checked += s.check("Pkcs12", &p12);

    let builder = sandbox
        .client_builder()
        .unwrap()
        .client_cert(
            format!("file://{KEYS}/tls/client.pem"),
            client_key_pem.clone(),
        )
        .signer(Remote(key.clone()));
    checked += s.check("Builder", &builder);
    let client = builder.build().unwrap();
    checked += s.check("Client", &client);
    checked += s.check("CertStore", client.certs());
    checked += s.check("SandboxKeys", &keys);
    checked += s.check("Sandbox", &sandbox);

    let verifier = NotifyVerifier::new(CertStore::default(), &apiv3_key).unwrap();
    checked += s.check("NotifyVerifier", &verifier);
    let refresh = refresh_every(&client, &apiv3_key, std::time::Duration::from_secs(3600));
    checked += s.check("Refresh", &refresh);
    let refresher = Refresher::every(std::time::Duration::from_secs(3600));
    let watched = refresher.watch(&client, &apiv3_key);
    checked += s.check("Refresher", &refresher);
    checked += s.check("Refresh of a Refresher", &watched);

    // Options hold bodies and, before encryption, sensitive fields.
    let options: Options =
        json!({"json": {"name": apiv2_secret, "id_card": "110101199003077777"}}).into();
    checked += s.check("Options", &options);
    assert!(!format!("{options:?}").contains("110101199003077777"));

    // Errors of misuse: a wrong APIv3 key, a wrong passphrase, a short key.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let wrong = "W".repeat(32);
    let e = rt
        .block_on(wechatpay::certificates::download(&client, &wrong))
        .unwrap_err();
    s.check_error("download with a wrong APIv3 key", &e);
    assert!(!e.to_string().contains(&wrong));
    checked += 1;
    let e = NotifyVerifier::new(CertStore::default(), &apiv3_key[..31]).unwrap_err();
    checked += s.check_error("NotifyVerifier::new", &e);
    let e =
        PrivateKey::from_pem_with_passphrase(&read("merchant_private_key.encrypted.pem"), "wrong")
            .unwrap_err();
    checked += s.check_error("a wrong passphrase", &e);
    let e = PrivateKey::from_pem(&merchant_pem[..merchant_pem.len() / 2]).unwrap_err();
    checked += s.check_error("a truncated key", &e);
    let e = Builder::new()
        .mchid("1900000001")
        .secret(&apiv2_secret)
        .client_cert("-----BEGIN CERTIFICATE-----\nAAAA", client_key_pem)
        .build()
        .unwrap_err();
    checked += s.check_error("a broken client certificate", &e);
    let e = PublicKey::from_pem(&keys.platform_private_key_pem).unwrap_err();
    checked += s.check_error("a private key given as a public key", &e);
    // A failed call's error, with the answer in it.
    let e = client.chain("v3/nowhere").get(()).unwrap_err();
    checked += s.check_error("an API error", &e);

    assert_eq!(checked, 19, "every type and error above was formatted");
}

/// A signer kept in the builder: its type holds a key too.
struct Remote(PrivateKey);

impl wechatpay::middleware::MessageSigner for Remote {
    fn sign<'a>(
        &'a self,
        message: &'a str,
    ) -> wechatpay::middleware::BoxFuture<'a, Result<String, wechatpay::Error>> {
        Box::pin(async move { Ok(self.0.sign(message)?) })
    }
}
