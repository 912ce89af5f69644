//! Bills of a day, in WeChat Pay's CSV: `GET v3/bill/tradebill` and
//! `GET v3/bill/fundflowbill` answer where to download one and its SHA-1;
//! `GET v3/billdownload/file?token=…` serves it, unsigned, gzipped when it
//! was asked with `tar_type=GZIP`.
//!
//! The CSV is what WeChat Pay writes: a header line, one line per record
//! with every field prefixed by a backtick, a summary header and its line.
//! Amounts are yuan with two decimals; the sandbox's fee is 0.60%, rounded
//! to the fen. The digest is over the CSV before compression, as the bill
//! pages say. A download link holds for five minutes, as WeChat Pay's.

use std::io::Write as _;

use serde_json::json;
use sha1::{Digest, Sha1};

use crate::{
    query::parse_query,
    reply::Reply,
    time::{fmt_rfc3339, parse_rfc3339},
    transactions::{BillFile, Ctx, Order, Transactions},
    validate::{missing, param_error},
};

/// How long a download link lasts.
const LINK_SECS: i64 = 300;
/// The fee rate, in parts per ten thousand.
const FEE_BP: i64 = 60;

const TRADE_HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const TRADE_SUMMARY: &str =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
const FLOW_HEADER: &str = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号";
const FLOW_SUMMARY: &str = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额";

/// `fen` as yuan: `123` → `1.23`, `-5` → `-0.05`.
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.unsigned_abs();
    format!("{sign}{}.{:02}", f / 100, f % 100)
}

/// The fee of an amount, in fen, rounded half up.
fn fee(fen: i64) -> i64 {
    (fen * FEE_BP + 5_000) / 10_000
}

/// `2026-11-24 16:00:00`, Beijing time.
fn bill_time(unix: i64) -> String {
    fmt_rfc3339(unix)[..19].replacen('T', " ", 1)
}

fn day(unix: i64) -> String {
    crate::Sandbox::bill_date(unix)
}

/// A CSV line of backtick-prefixed fields.
fn line(fields: &[String]) -> String {
    let mut out = fields
        .iter()
        .map(|f| format!("`{f}"))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    out
}

/// One record of a trade bill, and its time.
struct TradeRow {
    at: i64,
    fields: Vec<String>,
    settled: i64,
    refunded: i64,
    fee: i64,
}

fn trade_row(order: &Order, at: i64, refund: Option<(&str, &str, i64)>) -> TradeRow {
    let s = |v: &str| v.to_string();
    let (settled, refunded) = match refund {
        None => (order.total, 0),
        Some((_, _, r)) => (0, r),
    };
    let fee = if refund.is_some() {
        -fee(refunded)
    } else {
        fee(settled)
    };
    let (refund_id, out_refund_no) = refund.map_or(("0", "0"), |(id, no, _)| (id, no));
    let fields = vec![
        bill_time(at),
        s(&order.appid),
        s(&order.mchid),
        order.sub_mchid.clone().unwrap_or_else(|| "0".into()),
        order.device_id.clone().unwrap_or_default(),
        order.transaction_id.clone().unwrap_or_default(),
        s(&order.out_trade_no),
        s(order.payer_openid()),
        s(order.kind.trade_type()),
        s(if refund.is_some() {
            "REFUND"
        } else {
            "SUCCESS"
        }),
        s("OTHERS"),
        s("CNY"),
        yuan(settled),
        yuan(0),
        s(refund_id),
        s(out_refund_no),
        yuan(refunded),
        yuan(0),
        s(if refund.is_some() { "ORIGINAL" } else { "" }),
        s(if refund.is_some() { "SUCCESS" } else { "" }),
        s(&order.description),
        order.attach.clone().unwrap_or_default(),
        format!("{}000", yuan(fee)),
        s("0.60%"),
        yuan(settled),
        yuan(refunded),
        s(""),
    ];
    TradeRow {
        at,
        fields,
        settled,
        refunded,
        fee,
    }
}

impl Transactions {
    /// The trade bill of `date` for `mchid` (and a sub-merchant), or `None`
    /// when nothing happened that day.
    pub(crate) fn trade_bill_csv(
        &self,
        mchid: &str,
        sub: Option<&str>,
        date: &str,
        bill_type: &str,
    ) -> Option<String> {
        let mine =
            |o: &Order| o.mchid == mchid && sub.is_none_or(|s| o.sub_mchid.as_deref() == Some(s));
        let mut rows = Vec::new();
        if bill_type != "REFUND" {
            for o in self.orders.values().filter(|o| mine(o)) {
                if let Some(at) = o.success_time.filter(|t| day(*t) == date) {
                    rows.push(trade_row(o, at, None));
                }
            }
        }
        if bill_type != "SUCCESS" {
            for r in self.refunds.values() {
                let o = &self.orders[&r.order];
                if let Some(at) = r.success_time.filter(|t| mine(o) && day(*t) == date) {
                    rows.push(trade_row(
                        o,
                        at,
                        Some((&r.refund_id, &r.out_refund_no, r.refund)),
                    ));
                }
            }
        }
        if rows.is_empty() {
            return None;
        }
        rows.sort_by_key(|r| r.at);
        let mut csv = format!("{TRADE_HEADER}\n");
        for r in &rows {
            csv.push_str(&line(&r.fields));
        }
        let sum = |f: fn(&TradeRow) -> i64| rows.iter().map(f).sum::<i64>();
        csv.push_str(TRADE_SUMMARY);
        csv.push('\n');
        csv.push_str(&line(&[
            rows.len().to_string(),
            yuan(sum(|r| r.settled)),
            yuan(sum(|r| r.refunded)),
            yuan(0),
            format!("{}000", yuan(sum(|r| r.fee))),
            yuan(sum(|r| r.settled)),
            yuan(sum(|r| r.refunded)),
        ]));
        Some(csv)
    }

    /// The fund-flow bill of the basic account on `date`: payments in, fees
    /// and refunds out, with the running balance.
    pub(crate) fn fund_flow_csv(&self, mchid: &str, date: &str) -> Option<String> {
        // (time, business number, name, income?, fen, voucher)
        let mut flows: Vec<(i64, String, &str, bool, i64, String)> = Vec::new();
        for o in self
            .orders
            .values()
            .filter(|o| o.mchid == mchid && !o.is_partner())
        {
            if let (Some(at), Some(id)) = (o.success_time, &o.transaction_id) {
                flows.push((
                    at,
                    id.clone(),
                    "交易",
                    true,
                    o.total,
                    o.out_trade_no.clone(),
                ));
                flows.push((
                    at,
                    id.clone(),
                    "扣除交易手续费",
                    false,
                    fee(o.total),
                    o.out_trade_no.clone(),
                ));
            }
        }
        for r in self.refunds.values() {
            let o = &self.orders[&r.order];
            if let (Some(at), true) = (r.success_time, o.mchid == mchid && !o.is_partner()) {
                flows.push((
                    at,
                    r.refund_id.clone(),
                    "退款",
                    false,
                    r.refund,
                    r.out_refund_no.clone(),
                ));
            }
        }
        flows.sort_by_key(|f| f.0);
        let mut balance = 0;
        let mut csv = format!("{FLOW_HEADER}\n");
        let (mut count, mut ins, mut outs, mut in_sum, mut out_sum) = (0, 0, 0, 0, 0);
        for (i, (at, id, name, income, fen, voucher)) in flows.iter().enumerate() {
            balance += if *income { *fen } else { -fen };
            if day(*at) != date {
                continue;
            }
            count += 1;
            if *income {
                ins += 1;
                in_sum += fen;
            } else {
                outs += 1;
                out_sum += fen;
            }
            csv.push_str(&line(&[
                bill_time(*at),
                id.clone(),
                format!("{:030}", i + 1),
                name.to_string(),
                name.to_string(),
                (if *income { "收入" } else { "支出" }).to_string(),
                yuan(*fen),
                yuan(balance),
                "system".into(),
                String::new(),
                voucher.clone(),
            ]));
        }
        if count == 0 {
            return None;
        }
        csv.push_str(FLOW_SUMMARY);
        csv.push('\n');
        csv.push_str(&line(&[
            count.to_string(),
            ins.to_string(),
            yuan(in_sum),
            outs.to_string(),
            yuan(out_sum),
        ]));
        Some(csv)
    }

    /// `GET v3/bill/tradebill`.
    pub(crate) fn trade_bill(&mut self, ctx: &Ctx) -> Reply {
        let bill_type = ctx.get("bill_type").unwrap_or("ALL").to_string();
        if !matches!(bill_type.as_str(), "ALL" | "SUCCESS" | "REFUND") {
            return param_error(format!(
                "bill_type must be ALL, SUCCESS or REFUND, got {bill_type}"
            ));
        }
        let csv = match bill_date(ctx) {
            Ok(date) => self.trade_bill_csv(ctx.mchid, ctx.get("sub_mchid"), &date, &bill_type),
            Err(r) => return r,
        };
        self.hand_out(ctx, csv)
    }

    /// `GET v3/bill/fundflowbill`.
    pub(crate) fn fund_flow_bill(&mut self, ctx: &Ctx) -> Reply {
        let account = ctx.get("account_type").unwrap_or("BASIC").to_string();
        if !matches!(account.as_str(), "BASIC" | "OPERATION" | "FEES") {
            return param_error(format!(
                "account_type must be BASIC, OPERATION or FEES, got {account}"
            ));
        }
        let csv = match bill_date(ctx) {
            // Only the basic account moves in the sandbox.
            Ok(date) => (account == "BASIC")
                .then(|| self.fund_flow_csv(ctx.mchid, &date))
                .flatten(),
            Err(r) => return r,
        };
        self.hand_out(ctx, csv)
    }

    /// Stores the bill under a fresh token and answers where it is.
    fn hand_out(&mut self, ctx: &Ctx, csv: Option<String>) -> Reply {
        let gzip = match ctx.get("tar_type") {
            None => false,
            Some("GZIP") => true,
            Some(other) => return param_error(format!("tar_type must be GZIP, got {other}")),
        };
        let Some(csv) = csv else {
            return Reply::error(
                400,
                "NO_STATEMENT_EXIST",
                "账单文件不存在：no record on that day",
            );
        };
        let hash: String = Sha1::digest(csv.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let body = if gzip {
            gzipped(csv.as_bytes())
        } else {
            csv.into_bytes()
        };
        let token = format!("SANDBOX{:012}{}", self.next_id(), &hash[..8]);
        self.bills.retain(|_, f| ctx.now - f.created <= LINK_SECS);
        self.bills.insert(
            token.clone(),
            BillFile {
                body,
                created: ctx.now,
            },
        );
        let tartype = if gzip { "&tartype=GZIP" } else { "" };
        Reply::ok(json!({
            "hash_type": "SHA1",
            "hash_value": hash,
            "download_url": format!("{}v3/billdownload/file?token={token}{tartype}", self.base),
        }))
    }

    /// The file a `download_url` names: `query` is its query string.
    ///
    /// # Errors
    /// 400 `PARAM_ERROR` for a missing, unknown or expired token.
    ///
    /// ```
    /// let t = wechatpay_sandbox::transactions::Transactions::new();
    /// assert_eq!(t.bill_file("token=nope", 0).unwrap_err().code(), Some("PARAM_ERROR"));
    /// ```
    pub fn bill_file(&self, query: &str, now_unix: i64) -> Result<Vec<u8>, Reply> {
        let query = parse_query(query);
        let token = query
            .iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| missing("token"))?;
        match self.bills.get(token) {
            Some(f) if now_unix - f.created <= LINK_SECS => Ok(f.body.clone()),
            _ => Err(param_error(
                "token is unknown or expired (a download link lasts 5 minutes)",
            )),
        }
    }
}

fn bill_date(ctx: &Ctx) -> Result<String, Reply> {
    let date = ctx.get("bill_date").ok_or_else(|| missing("bill_date"))?;
    let at = (date.len() == 10)
        .then(|| parse_rfc3339(&format!("{date}T00:00:00+08:00")))
        .flatten()
        .ok_or_else(|| param_error(format!("bill_date must be YYYY-MM-DD, got {date}")))?;
    if day(at) > day(ctx.now) {
        return Err(param_error(format!("bill_date {date} is after today")));
    }
    Ok(date.to_string())
}

fn gzipped(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(bytes);
    gz.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_fees_as_bills_write_them() {
        let cases = [
            (0, "0.00", 0),
            (1, "0.01", 0),
            (100, "1.00", 1),
            (12345, "123.45", 74),
            (-5, "-0.05", 0),
        ];
        for (fen, text, fee_fen) in cases {
            assert_eq!(yuan(fen), text);
            assert_eq!(fee(fen.max(0)), fee_fen, "{fen}");
        }
        assert_eq!(cases.len(), 5);
        assert_eq!(line(&["a".into(), String::new()]), "`a,`\n");
        assert_eq!(bill_time(1_735_660_800), "2025-01-01 00:00:00");
        assert_eq!(day(1_735_660_799), "2024-12-31");
    }
}
