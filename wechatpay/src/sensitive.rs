//! Sensitive fields (names, ID numbers, phone numbers…): encrypted with
//! WeChat Pay's public key, and the request names that key in
//! `Wechatpay-Serial`. The official SDKs pair the two; PHP leaves it to the
//! caller, who often sends one key's ciphertext with another key's serial.

use serde_json::Value;

use crate::{Client, Error, Options, crypto::PublicKey};

/// Encrypts with one WeChat Pay key and stamps its serial on the request.
///
/// ```
/// use serde_json::json;
/// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
/// let enc = wechatpay::Encryptor::new("PUB_KEY_ID_0119000000012025010100000000000001", wechatpay::crypto::PublicKey::from_pem(&pem)?);
/// let opts = enc.encrypt_options(
///     json!({"json": {"contact_info": {"contact_name": "张三", "mobile_phone": "13800000000"}}}),
///     &["/json/contact_info/contact_name", "/json/contact_info/mobile_phone"],
/// )?;
/// assert_eq!(opts.as_map()["headers"]["Wechatpay-Serial"], "PUB_KEY_ID_0119000000012025010100000000000001");
/// assert_ne!(opts.as_map()["json"]["contact_info"]["contact_name"], "张三");
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Encryptor {
    serial: String,
    key: PublicKey,
}

impl Encryptor {
    /// Encrypts with `key`, named `serial` (a `PUB_KEY_ID_…` or a platform certificate serial).
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
    /// let enc = wechatpay::Encryptor::new("PUB_KEY_ID_01", wechatpay::crypto::PublicKey::from_pem(&pem)?);
    /// assert_eq!(enc.serial(), "PUB_KEY_ID_01");
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn new(serial: impl Into<String>, key: PublicKey) -> Self {
        Self {
            serial: serial.into(),
            key,
        }
    }

    /// The serial the ciphertext belongs to.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
    /// # let enc = wechatpay::Encryptor::new("S", wechatpay::crypto::PublicKey::from_pem(&pem)?);
    /// assert_eq!(enc.serial(), "S");
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// RSA-OAEP (SHA-1) of one value, base64.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
    /// # let enc = wechatpay::Encryptor::new("S", wechatpay::crypto::PublicKey::from_pem(&pem)?);
    /// assert_eq!(enc.encrypt("张三")?.len(), 344);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn encrypt(&self, plaintext: &str) -> Result<String, Error> {
        self.key.encrypt(plaintext).map_err(Error::from)
    }

    /// Encrypts the string fields at `pointers` (JSON pointers into the
    /// options, e.g. `/json/contact_info/contact_name`) and sets
    /// `Wechatpay-Serial`. A pointer that names nothing, or names a
    /// non-string, is an error: a field left in clear text must never slip
    /// through unnoticed. A different `Wechatpay-Serial` already set is an
    /// error too.
    ///
    /// ```
    /// # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/platform_public_key.pem")).unwrap();
    /// # let enc = wechatpay::Encryptor::new("S", wechatpay::crypto::PublicKey::from_pem(&pem)?);
    /// let err = enc.encrypt_options(serde_json::json!({"json": {}}), &["/json/name"]).unwrap_err();
    /// assert!(err.to_string().contains("/json/name"));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn encrypt_options(
        &self,
        options: impl Into<Options>,
        pointers: &[&str],
    ) -> Result<Options, Error> {
        let mut options = options.into();
        options.check()?;
        let map = options.as_map_mut();
        for pointer in pointers {
            let mut root = Value::Object(std::mem::take(map));
            let outcome = match root.pointer_mut(pointer) {
                Some(Value::String(s)) => self.encrypt(s).map(|c| *s = c),
                Some(_) => Err(Error::options(format!(
                    "`{pointer}` is not a string; only strings are encrypted"
                ))),
                None => Err(Error::options(format!(
                    "`{pointer}` names no field of the options"
                ))),
            };
            if let Value::Object(m) = root {
                *map = m;
            }
            outcome?;
        }
        let headers = map
            .entry("headers")
            .or_insert_with(|| Value::Object(Default::default()));
        let Value::Object(headers) = headers else {
            return Err(Error::options("`headers` must be a map"));
        };
        let existing = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Wechatpay-Serial"))
            .map(|(k, v)| (k.clone(), v.clone()));
        match existing {
            Some((_, Value::String(s))) if s == self.serial => {}
            Some((_, v)) => {
                return Err(Error::options(format!(
                    "Wechatpay-Serial is already {v}, but the fields were encrypted for {}",
                    self.serial
                )));
            }
            None => {
                headers.insert(
                    "Wechatpay-Serial".into(),
                    Value::String(self.serial.clone()),
                );
            }
        }
        Ok(options)
    }
}

impl Client {
    /// An [`Encryptor`] for one of this client's WeChat Pay keys: a public
    /// key (`PUB_KEY_ID_…`) when one is configured, as WeChat Pay now asks,
    /// else a platform certificate.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// let enc = client.encryptor()?;
    /// let opts = enc.encrypt_options(serde_json::json!({"json": {"name": "张三"}}), &["/json/name"])?;
    /// client.chain("v3/applyment4sub/applyment/").post(opts)?;
    /// # Ok(()) }
    /// ```
    pub fn encryptor(&self) -> Result<Encryptor, Error> {
        let serials = self.certs().serials();
        // Sorted ascending; the last public-key ID, else the last serial,
        // so the choice is stable from call to call.
        let chosen = serials
            .iter()
            .rev()
            .find(|s| s.starts_with("PUB_KEY_ID_"))
            .or_else(|| serials.last())
            .ok_or_else(|| Error::config("no WeChat Pay key is configured to encrypt with"))?;
        let key = self
            .certs()
            .get(chosen)
            .ok_or_else(|| Error::config(format!("`{chosen}` was removed while choosing it")))?;
        Ok(Encryptor::new(chosen.clone(), key))
    }
}
