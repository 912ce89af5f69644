//! APIv2 in the sandbox: `POST /pay/micropay` and `POST /pay/orderquery`,
//! answered as WeChat Pay does: XML, `return_code` FAIL (unsigned) when the
//! request itself is unusable, else signed with the APIv2 secret in the
//! request's `sign_type`, with `result_code` and WeChat Pay's `err_code`s.
//!
//! Trades live in memory. A micropay succeeds for a valid-looking
//! `auth_code` (`1[0-5]` and 16 more digits), once per `auth_code`
//! (`AUTHCODEEXPIRE` after) and once per `out_trade_no` (`ORDERPAID` after).

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use bytes::Bytes;
use http::{HeaderValue, Response, header};
use http_body_util::Full;
use serde_json::{Map, Value};

use wechatpay::{
    crypto::hash::{self, SignType},
    formatter::{self, ksort, query_string_like},
    transformer::to_xml,
};

/// One paid trade.
#[derive(Clone)]
struct Trade {
    fields: Map<String, Value>,
}

#[derive(Default)]
struct Book {
    trades: HashMap<String, Trade>,
    auth_codes: HashSet<String>,
}

pub(crate) struct V2 {
    mchid: String,
    secret: String,
    book: Mutex<Book>,
    counter: AtomicU64,
}

/// A `return_code` FAIL: the request was not understood, nothing is signed.
fn fail(message: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("return_code".into(), "FAIL".into());
    m.insert("return_msg".into(), message.into());
    m
}

fn text<'m>(m: &'m Map<String, Value>, k: &str) -> Option<&'m str> {
    m.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// `1[0-5]` then 16 digits: what a WeChat payment code looks like.
fn valid_auth_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 18
        && b[0] == b'1'
        && (b'0'..=b'5').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

impl V2 {
    pub(crate) fn new(mchid: &str, secret: &str) -> Self {
        Self {
            mchid: mchid.into(),
            secret: secret.into(),
            book: Mutex::new(Book::default()),
            counter: AtomicU64::new(1),
        }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        match self.book.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Whether the sandbox answers `path` as APIv2.
    pub(crate) fn serves(path: &str) -> bool {
        matches!(path, "/pay/micropay" | "/pay/orderquery")
    }

    pub(crate) fn handle(&self, method: &str, path: &str, body: &[u8]) -> Response<Full<Bytes>> {
        let (map, sign_type) = self.answer(method, path, body);
        let mut map = map;
        if let Some(kind) = sign_type {
            map.insert("nonce_str".into(), formatter::nonce(16).into());
            let sign = hash::sign(kind, &query_string_like(&ksort(&map)), &self.secret);
            map.insert("sign".into(), sign.into());
        }
        let xml =
            to_xml(&map).unwrap_or_else(|_| "<xml><return_code>FAIL</return_code></xml>".into());
        let mut response = Response::new(Full::new(Bytes::from(xml)));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        );
        response
    }

    /// The reply's fields, and how to sign them (`None`: a FAIL, unsigned).
    fn answer(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> (Map<String, Value>, Option<SignType>) {
        if method != "POST" {
            return (fail("请使用post方法"), None);
        }
        let Ok(req) = wechatpay::v2::parse(body) else {
            return (fail("XML格式错误"), None);
        };
        for k in ["appid", "mch_id", "nonce_str", "sign"] {
            if text(&req, k).is_none() {
                return (fail(&format!("缺少参数{k}")), None);
            }
        }
        if text(&req, "mch_id") != Some(self.mchid.as_str()) {
            return (fail("mch_id参数错误"), None);
        }
        let Ok(kind) = wechatpay::v2::sign_type_of(&req) else {
            return (fail("sign_type参数错误"), None);
        };
        let expected = hash::sign(kind, &query_string_like(&ksort(&req)), &self.secret);
        if !text(&req, "sign").is_some_and(|s| hash::equals(&expected, s)) {
            return (fail("签名错误"), None);
        }

        let mut out = Map::new();
        out.insert("return_code".into(), "SUCCESS".into());
        out.insert("return_msg".into(), "OK".into());
        for k in ["appid", "mch_id", "device_info"] {
            if let Some(v) = text(&req, k) {
                out.insert(k.into(), v.into());
            }
        }
        let result = match path {
            "/pay/micropay" => self.micropay(&req),
            _ => self.orderquery(&req),
        };
        match result {
            Ok(fields) => {
                out.insert("result_code".into(), "SUCCESS".into());
                out.extend(fields);
            }
            Err((code, description)) => {
                out.insert("result_code".into(), "FAIL".into());
                out.insert("err_code".into(), code.into());
                out.insert("err_code_des".into(), description.into());
            }
        }
        (out, Some(kind))
    }

    fn micropay(
        &self,
        req: &Map<String, Value>,
    ) -> Result<Map<String, Value>, (&'static str, String)> {
        for k in [
            "body",
            "out_trade_no",
            "total_fee",
            "spbill_create_ip",
            "auth_code",
        ] {
            if text(req, k).is_none() {
                return Err(("PARAM_ERROR", format!("缺少参数{k}")));
            }
        }
        let out_trade_no = text(req, "out_trade_no").unwrap_or_default();
        if out_trade_no.len() > 32 {
            return Err(("PARAM_ERROR", "out_trade_no长度超过32".into()));
        }
        let total_fee = text(req, "total_fee").unwrap_or_default();
        if total_fee
            .parse::<u64>()
            .map_or(true, |n| n == 0 || n > 10_000_000_000)
        {
            return Err(("PARAM_ERROR", "total_fee参数错误".into()));
        }
        let auth_code = text(req, "auth_code").unwrap_or_default();
        if !valid_auth_code(auth_code) {
            return Err(("AUTH_CODE_INVALID", "付款码无效，请重新扫码".into()));
        }
        let mut book = self.book();
        if book.trades.contains_key(out_trade_no) {
            return Err(("ORDERPAID", "该订单已支付".into()));
        }
        if !book.auth_codes.insert(auth_code.to_string()) {
            return Err((
                "AUTHCODEEXPIRE",
                "每个二维码仅限使用一次，请刷新再试".into(),
            ));
        }
        let now = formatter::timestamp();
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let time_end: String = crate::time::fmt_rfc3339(now)
            .chars()
            .take(19)
            .filter(char::is_ascii_digit)
            .collect();
        let mut fields = Map::new();
        fields.insert("openid".into(), "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into());
        fields.insert("is_subscribe".into(), "N".into());
        fields.insert("trade_type".into(), "MICROPAY".into());
        fields.insert("bank_type".into(), "OTHERS".into());
        fields.insert(
            "fee_type".into(),
            text(req, "fee_type").unwrap_or("CNY").into(),
        );
        fields.insert("total_fee".into(), total_fee.into());
        fields.insert("cash_fee".into(), total_fee.into());
        fields.insert(
            "transaction_id".into(),
            format!(
                "4200{:014}{:010}",
                now.rem_euclid(100_000_000_000_000),
                n % 10_000_000_000
            )
            .into(),
        );
        fields.insert("out_trade_no".into(), out_trade_no.into());
        if let Some(attach) = text(req, "attach") {
            fields.insert("attach".into(), attach.into());
        }
        fields.insert("time_end".into(), time_end.into());
        book.trades.insert(
            out_trade_no.to_string(),
            Trade {
                fields: fields.clone(),
            },
        );
        Ok(fields)
    }

    fn orderquery(
        &self,
        req: &Map<String, Value>,
    ) -> Result<Map<String, Value>, (&'static str, String)> {
        let by_no = text(req, "out_trade_no");
        let by_id = text(req, "transaction_id");
        if by_no.is_none() && by_id.is_none() {
            return Err((
                "PARAM_ERROR",
                "transaction_id和out_trade_no必须要有一个".into(),
            ));
        }
        let book = self.book();
        let found = match (by_id, by_no) {
            (Some(id), _) => book
                .trades
                .values()
                .find(|t| t.fields.get("transaction_id").and_then(Value::as_str) == Some(id)),
            (None, Some(no)) => book.trades.get(no),
            (None, None) => None,
        };
        let Some(trade) = found else {
            return Err(("ORDERNOTEXIST", "此交易订单号不存在".into()));
        };
        let mut fields = trade.fields.clone();
        fields.insert("trade_state".into(), "SUCCESS".into());
        fields.insert("trade_state_desc".into(), "支付成功".into());
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_codes_look_like_wechat_payment_codes() {
        assert!(valid_auth_code("120061098828009406"));
        assert!(valid_auth_code("150000000000000000"));
        assert!(!valid_auth_code("160000000000000000"));
        assert!(!valid_auth_code("12006109882800940"));
        assert!(!valid_auth_code("12006109882800940x"));
        assert!(!valid_auth_code("中文中文中文"));
    }

    #[test]
    fn unusable_requests_fail_unsigned() {
        let v2 = V2::new("1900000001", "k");
        for (method, body) in [
            ("GET", ""),
            ("POST", "<xml"),
            ("POST", "<xml><appid>a</appid></xml>"),
        ] {
            let (m, kind) = v2.answer(method, "/pay/micropay", body.as_bytes());
            assert_eq!(m["return_code"], "FAIL");
            assert!(kind.is_none());
        }
    }
}
