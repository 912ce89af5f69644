//! Typed request and response models, beside the raw verbs (as octocrab
//! offers typed models beside `_get`/`_post`).
//!
//! Pass a model as the `json` option with [`Options::json`](crate::Options::json)
//! (or `json!({"json": model})`), a query model with
//! [`Options::query`](crate::Options::query), and read a response with
//! [`ResponseExt::json`](crate::ResponseExt::json).
//!
//! | module | what |
//! |---|---|
//! | [`transactions`] | ordering (JSAPI, APP, H5, Native), query, close, `TRANSACTION.SUCCESS` |
//! | [`refunds`] | refunds and `REFUND.SUCCESS` |
//! | [`bills`] | the trade and fund-flow bills |
//! | [`payscore`] | Pay-Score service orders |

pub mod bills;
pub mod payscore;
pub mod refunds;
pub mod transactions;
