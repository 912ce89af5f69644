//! Path and method dispatch of the `/v3/payscore/…` routes.

use super::{
    PayScore, Reply,
    validate::{check_out_order_no, param_error},
};
use crate::query::{parse_query, percent_decode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavor {
    Direct,
    Partner,
    Oversea,
}

impl Flavor {
    pub(super) fn is_partner(self) -> bool {
        !matches!(self, Flavor::Direct)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Modify,
    Complete,
    Cancel,
    Sync,
}

/// What every call needs besides the body.
pub(super) struct Ctx<'a> {
    pub(super) mchid: &'a str,
    pub(super) flavor: Flavor,
    pub(super) query: Vec<(String, String)>,
    pub(super) now: i64,
}

impl PayScore {
    pub(super) fn dispatch(
        &mut self,
        mchid: &str,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        now: i64,
    ) -> Result<Reply, Reply> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segs: Vec<&str> = path.split('/').collect();
        let not_found = || {
            let shown: String = path.chars().take(200).collect();
            Reply::error(404, "NOT_FOUND", format!("no such API: {shown}"))
        };
        let Some(rest) = segs.strip_prefix(&["", "v3", "payscore"]) else {
            return Err(not_found());
        };
        let (flavor, rest) = match rest {
            ["partner", r @ ..] => (Flavor::Partner, r),
            ["oversea", "partner", r @ ..] => (Flavor::Oversea, r),
            r => (Flavor::Direct, r),
        };
        let is = |m: &str| method.eq_ignore_ascii_case(m);
        let ctx = Ctx {
            mchid,
            flavor,
            query: parse_query(query),
            now,
        };
        match rest {
            ["serviceorder"] if is("POST") => self.create(&ctx, body),
            ["serviceorder"] if is("GET") => self.query(&ctx),
            ["serviceorder"] => Err(method_not_allowed("GET, POST")),
            ["serviceorder", id, action] => {
                let action = match (*action, flavor) {
                    ("modify", Flavor::Oversea) => return Err(not_found()),
                    ("modify", _) => Action::Modify,
                    ("complete", _) => Action::Complete,
                    ("cancel", _) => Action::Cancel,
                    ("sync", _) => Action::Sync,
                    _ => return Err(not_found()),
                };
                if !is("POST") {
                    return Err(method_not_allowed("POST"));
                }
                let out_order_no = percent_decode(id)
                    .ok_or_else(|| param_error("out_order_no in the path is not valid UTF-8"))?;
                check_out_order_no(&out_order_no)?;
                self.act(&ctx, action, &out_order_no, body)
            }
            _ => Err(not_found()),
        }
    }
}

fn method_not_allowed(allowed: &str) -> Reply {
    Reply::error(
        405,
        "METHOD_NOT_ALLOWED",
        format!("allowed methods: {allowed}"),
    )
}
