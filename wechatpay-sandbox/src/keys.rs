//! The sandbox's fixed identity: published test keys, useless anywhere else.

use wechatpay::Error;

/// The merchant credentials the sandbox accepts and the WeChat Pay keys it
/// signs with. All are test values shipped with the crate.
///
/// ```
/// let keys = wechatpay_sandbox::SandboxKeys::load()?;
/// assert!(keys.public_key_id.starts_with("PUB_KEY_ID_"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SandboxKeys {
    /// The merchant ID it accepts.
    pub mchid: String,
    /// The merchant API certificate serial it accepts.
    pub serial: String,
    /// The merchant private key (PKCS#8 PEM) whose signatures it accepts.
    pub merchant_private_key_pem: String,
    /// The merchant API certificate (PEM).
    pub merchant_cert_pem: String,
    /// WeChat Pay public-key ID of the platform public key.
    pub public_key_id: String,
    /// The platform public key (SPKI PEM).
    pub platform_public_key_pem: String,
    /// The platform certificate (PEM), for certificate mode.
    pub platform_cert_pem: String,
    /// Its serial number, uppercase hex.
    pub platform_cert_serial: String,
    /// The platform private key the sandbox signs with.
    pub platform_private_key_pem: String,
    /// The APIv3 key that encrypts certificates and callbacks.
    pub apiv3_key: String,
    /// The APIv2 secret (API key) that signs `v2/pay/micropay` and
    /// `v2/pay/orderquery` both ways.
    pub apiv2_secret: String,
}

impl std::fmt::Debug for SandboxKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxKeys")
            .field("mchid", &self.mchid)
            .field("serial", &self.serial)
            .field("public_key_id", &self.public_key_id)
            .field("platform_cert_serial", &self.platform_cert_serial)
            .finish_non_exhaustive()
    }
}

impl SandboxKeys {
    /// The sandbox's keys.
    ///
    /// ```
    /// assert_eq!(wechatpay_sandbox::SandboxKeys::load()?.mchid, "1900000001");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load() -> Result<Self, Error> {
        Ok(Self {
            mchid: "1900000001".into(),
            serial: "3775B6A45ACD588826D15E583A95F5DD00000001".into(),
            merchant_private_key_pem: include_str!("keys/merchant_private_key.pem").into(),
            merchant_cert_pem: include_str!("keys/merchant_cert.pem").into(),
            public_key_id: "PUB_KEY_ID_0119000000012026112400000000000001".into(),
            platform_public_key_pem: include_str!("keys/platform_public_key.pem").into(),
            platform_cert_pem: include_str!("keys/platform_cert.pem").into(),
            platform_cert_serial: "5AC0A1B2C3D4E5F60718293A4B5C6D7E8F901234".into(),
            platform_private_key_pem: include_str!("keys/platform_private_key.pem").into(),
            apiv3_key: "SandboxAPIv3Key0123456789abcdef".to_string() + "!",
            apiv2_secret: "SandboxAPIv2Secret0123456789abc".to_string() + "!",
        })
    }
}
