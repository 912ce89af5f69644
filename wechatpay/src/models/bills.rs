//! Typed bodies of the **bills** (账单): asking for the trade bill or the
//! fund-flow bill of a day, whose answer names where to download it and its
//! digest. [`crate::bills::download`] fetches it and checks the digest.
//!
//! | call | query | answer |
//! |---|---|---|
//! | `GET v3/bill/tradebill` | [`TradeBillQuery`] | [`BillDownload`] |
//! | `GET v3/bill/fundflowbill` | [`FundFlowBillQuery`] | [`BillDownload`] |
//! | `GET v3/billdownload/file?token=…` | (from `download_url`) | the file, unsigned |
//!
//! A bill is CSV: a header line, one line per record whose fields each start
//! with a backtick (`` ` ``, so spreadsheets keep long numbers as text), then a
//! summary header and its line. Amounts in bills are yuan with two decimals.
//!
//! ```
//! use wechatpay::models::bills::TradeBillQuery;
//! let q = TradeBillQuery { bill_date: "2019-06-11".into(), tar_type: Some("GZIP".into()), ..Default::default() };
//! assert_eq!(serde_json::to_string(&q).unwrap(), r#"{"bill_date":"2019-06-11","tar_type":"GZIP"}"#);
//! ```

use serde::{Deserialize, Serialize};

/// The query of *apply for the trade bill* (申请交易账单).
///
/// ```
/// let q = wechatpay::models::bills::TradeBillQuery { bill_date: "2019-06-11".into(), bill_type: Some("SUCCESS".into()), ..Default::default() };
/// assert_eq!(serde_json::to_value(&q).unwrap()["bill_type"], "SUCCESS");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeBillQuery {
    /// The day, `YYYY-MM-DD` (账单日期), within the last three months.
    pub bill_date: String,
    /// One sub-merchant's bill (子商户号), service providers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// `ALL` (the default: payments and refunds), `SUCCESS` or `REFUND` (账单类型).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_type: Option<String>,
    /// `GZIP` to have it compressed (压缩类型); plain CSV when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tar_type: Option<String>,
}

/// The query of *apply for the fund-flow bill* (申请资金账单).
///
/// ```
/// let q = wechatpay::models::bills::FundFlowBillQuery { bill_date: "2019-06-11".into(), account_type: Some("BASIC".into()), tar_type: None };
/// assert_eq!(serde_json::to_string(&q).unwrap(), r#"{"bill_date":"2019-06-11","account_type":"BASIC"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundFlowBillQuery {
    /// The day, `YYYY-MM-DD` (账单日期).
    pub bill_date: String,
    /// `BASIC` (the default), `OPERATION` or `FEES` (资金账户类型).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// `GZIP` to have it compressed (压缩类型).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tar_type: Option<String>,
}

/// Where a bill is and what it hashes to: the answer of both bill calls.
/// The URL holds a token valid for five minutes.
///
/// ```
/// let b: wechatpay::models::bills::BillDownload = serde_json::from_str(r#"{"hash_type": "SHA1",
///     "hash_value": "79bb0f45fc4c42234a918000b2668d689e2bde04",
///     "download_url": "https://api.mch.weixin.qq.com/v3/billdownload/file?token=xxx"}"#).unwrap();
/// assert_eq!(b.hash_type, "SHA1");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillDownload {
    /// `SHA1` (哈希类型).
    pub hash_type: String,
    /// The hex digest of the bill as CSV, before any compression (哈希值).
    pub hash_value: String,
    /// Where to `GET` it, signed like any APIv3 call (账单下载地址).
    pub download_url: String,
}
