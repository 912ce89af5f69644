//! Typed request and response models, beside the raw verbs (as octocrab
//! offers typed models beside `_get`/`_post`).
//!
//! Pass a model as the `json` option with [`Options::json`](crate::Options::json),
//! and read a response with [`ResponseExt::json`](crate::ResponseExt::json).

pub mod payscore;
