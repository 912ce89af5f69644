//! What one sandbox holds: its keys, its orders, and what it signs with.

use std::sync::{Arc, Mutex, MutexGuard, atomic::AtomicUsize};

use bytes::Bytes;
use serde_json::json;

use crate::{
    SandboxKeys, SigningMode,
    callbacks::{Notifier, SentCallback},
    payscore::{PayScore, Reply},
    record::Log,
    signing::AnswerSigner,
    stubs::Stubs,
    transactions::Transactions,
};
use wechatpay::{
    Error,
    crypto::{PrivateKey, PublicKey, aes_gcm},
    formatter,
};

/// The platform certificate's validity, as `GET v3/certificates` reports it.
const CERT_EFFECTIVE: &str = "2026-11-24T16:12:07+08:00";
const CERT_EXPIRE: &str = "2036-11-21T16:12:07+08:00";

pub(crate) enum Control {
    Confirm,
    Pay,
    Expire,
    PayingAtCashier,
}

/// What the user does at WeChat's cashier with an order of basic payments.
pub(crate) enum Cashier {
    Pay,
    Fail,
}

pub(crate) struct Shared {
    pub(crate) keys: SandboxKeys,
    pub(crate) merchant_public: PublicKey,
    pub(crate) signer: Arc<AnswerSigner>,
    pub(crate) notifier: Notifier,
    pub(crate) stubs: Stubs,
    pub(crate) log: Log,
    pub(crate) connections: ConnectionCounts,
    /// A fault applied to every answer, as if each request asked for it.
    pub(crate) fault: Mutex<Option<crate::Fault>>,
    payscore: Mutex<PayScore>,
    payments: Mutex<Transactions>,
}

/// Connections the server saw, for tests of keep-alive and cancellation.
#[derive(Default)]
pub(crate) struct ConnectionCounts {
    pub(crate) opened: AtomicUsize,
    pub(crate) closed: AtomicUsize,
    pub(crate) tls_handshakes: AtomicUsize,
    pub(crate) tls_refused: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(
        keys: SandboxKeys,
        signing_mode: SigningMode,
        runtime: tokio::runtime::Handle,
        base_uri: &str,
    ) -> Result<Self, Error> {
        let platform = PrivateKey::from_pem(&keys.platform_private_key_pem)?;
        let signer = Arc::new(AnswerSigner {
            key: platform,
            serial: match signing_mode {
                SigningMode::PublicKey => keys.public_key_id.clone(),
                SigningMode::Certificate => keys.platform_cert_serial.clone(),
            },
            cert_serial: keys.platform_cert_serial.clone(),
        });
        Ok(Self {
            merchant_public: PrivateKey::from_pem(&keys.merchant_private_key_pem)?.public_key()?,
            notifier: Notifier {
                apiv3_key: keys.apiv3_key.clone(),
                signer: signer.clone(),
                delivered: Arc::new(AtomicUsize::new(0)),
                sent: Arc::default(),
                runtime,
            },
            signer,
            keys,
            stubs: Stubs::default(),
            log: Log::default(),
            connections: ConnectionCounts::default(),
            fault: Mutex::new(None),
            payscore: Mutex::new(PayScore::new()),
            payments: Mutex::new(Transactions::with_base(base_uri)),
        })
    }

    pub(crate) fn sticky_fault(&self) -> Option<crate::Fault> {
        match self.fault.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }

    fn orders(&self) -> MutexGuard<'_, PayScore> {
        lock(&self.payscore)
    }

    fn payments_store(&self) -> MutexGuard<'_, Transactions> {
        lock(&self.payments)
    }

    /// One authenticated call of basic payments, refunds or bills.
    pub(crate) fn payments(&self, method: &str, path: &str, query: &str, body: &[u8]) -> Reply {
        let (reply, events) = self.payments_store().handle(
            &self.keys.mchid,
            method,
            path,
            query,
            body,
            formatter::timestamp(),
        );
        self.notifier.deliver(events);
        reply
    }

    /// The bill a download link names.
    pub(crate) fn bill_file(&self, query: &str) -> Result<Vec<u8>, Reply> {
        self.payments_store()
            .bill_file(query, formatter::timestamp())
    }

    pub(crate) fn cashier(&self, out_trade_no: &str, step: Cashier) -> Result<(), Reply> {
        let mut store = self.payments_store();
        let events = match step {
            Cashier::Pay => {
                store.user_pay(&self.keys.mchid, out_trade_no, formatter::timestamp())?
            }
            Cashier::Fail => store
                .user_fail(&self.keys.mchid, out_trade_no)
                .map(|()| Vec::new())?,
        };
        drop(store);
        self.notifier.deliver(events);
        Ok(())
    }

    pub(crate) fn transaction(&self, out_trade_no: &str) -> Option<serde_json::Value> {
        self.payments_store().order(&self.keys.mchid, out_trade_no)
    }

    pub(crate) fn callbacks(&self) -> Vec<SentCallback> {
        self.notifier.sent()
    }

    /// One authenticated Pay-Score call.
    pub(crate) fn payscore(&self, method: &str, path: &str, query: &str, body: &[u8]) -> Reply {
        let (reply, events) = self.orders().handle(
            &self.keys.mchid,
            method,
            path,
            query,
            body,
            formatter::timestamp(),
        );
        self.notifier.deliver(events);
        reply
    }

    pub(crate) fn control(
        &self,
        out_order_no: &str,
        control: Control,
    ) -> Result<(), crate::SandboxError> {
        self.control_reply(out_order_no, control).map_err(refused)
    }

    pub(crate) fn control_reply(&self, out_order_no: &str, control: Control) -> Result<(), Reply> {
        let now = formatter::timestamp();
        let mchid = &self.keys.mchid;
        let mut orders = self.orders();
        let events = match control {
            Control::Confirm => orders.user_confirm(mchid, out_order_no, now)?,
            Control::Pay => orders.user_pay(mchid, out_order_no, now)?,
            Control::Expire => orders.expire(mchid, out_order_no).map(|_| Vec::new())?,
            Control::PayingAtCashier => orders
                .user_paying_at_cashier(mchid, out_order_no, now)
                .map(|_| Vec::new())?,
        };
        drop(orders);
        self.notifier.deliver(events);
        Ok(())
    }

    pub(crate) fn order(&self, out_order_no: &str) -> Option<serde_json::Value> {
        self.orders().order(&self.keys.mchid, out_order_no)
    }

    pub(crate) fn query_id(&self, out_order_no: &str) -> Option<String> {
        self.orders().query_id(&self.keys.mchid, out_order_no)
    }

    pub(crate) fn callbacks_delivered(&self) -> usize {
        self.notifier.delivered()
    }

    /// `GET v3/certificates`: the platform certificate, encrypted with the APIv3 key.
    pub(crate) fn certificates(&self) -> Reply {
        let nonce = formatter::nonce(12);
        let ciphertext = match aes_gcm::encrypt(
            self.keys.apiv3_key.as_bytes(),
            nonce.as_bytes(),
            b"certificate",
            self.keys.platform_cert_pem.as_bytes(),
        ) {
            Ok(c) => c,
            Err(_) => return Reply::system_error(),
        };
        Reply::ok(json!({"data": [{
            "serial_no": self.keys.platform_cert_serial,
            "effective_time": CERT_EFFECTIVE,
            "expire_time": CERT_EXPIRE,
            "encrypt_certificate": {
                "algorithm": "AEAD_AES_256_GCM",
                "nonce": nonce,
                "associated_data": "certificate",
                "ciphertext": ciphertext,
            }
        }]}))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// A refusal of a control call, as the handle reports it.
pub(crate) fn refused(reply: Reply) -> crate::SandboxError {
    let field = |k: &str| {
        reply
            .body
            .as_ref()
            .and_then(|b| b.get(k))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    crate::SandboxError::Refused {
        status: reply.status,
        code: field("code"),
        message: field("message"),
    }
}

pub(crate) fn reply_body(reply: &Reply) -> Bytes {
    match &reply.body {
        Some(v) => Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
        None => Bytes::new(),
    }
}
