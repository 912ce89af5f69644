//! The quickstart: the Pay-Score seed calls (create, query, modify, sync),
//! each in all six call styles, against the embedded sandbox.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With real credentials in `WECHATPAY_MCHID`, `WECHATPAY_SERIAL`,
//! `WECHATPAY_PRIVATE_KEY` (a path), `WECHATPAY_CERTS` (`ID=path,…`) and
//! `WECHATPAY_BASE_URI`, it calls that service instead (you will want your
//! own `WECHATPAY_APPID` and `WECHATPAY_SERVICE_ID` too; the user-side
//! steps the sandbox simulates then happen in WeChat).

use std::{process::ExitCode, time::Instant};

use serde_json::{Value, json};
use wechatpay::{
    Builder, Client, Error, Response, ResponseExt, chain,
    crypto::{PrivateKey, PublicKey},
};
use wechatpay_sandbox::Sandbox;

#[derive(Clone, Copy)]
enum Style {
    Declarative,
    Index,
    PureChain,
}

impl Style {
    fn name(self) -> &'static str {
        match self {
            Style::Declarative => "declarative",
            Style::Index => "index",
            Style::PureChain => "pure chain",
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Call {
    Create,
    Query,
    Complete,
    Modify,
    Sync,
}

impl Call {
    fn template(self) -> &'static str {
        match self {
            Call::Create | Call::Query => "v3/payscore/serviceorder",
            Call::Complete => "v3/payscore/serviceorder/{out_order_no}/complete",
            Call::Modify => "v3/payscore/serviceorder/{out_order_no}/modify",
            Call::Sync => "v3/payscore/serviceorder/{out_order_no}/sync",
        }
    }

    fn method(self) -> &'static str {
        if self == Call::Query { "GET" } else { "POST" }
    }
}

/// Makes one call in one style, blocking or async.
fn call(
    client: &Client,
    rt: &tokio::runtime::Runtime,
    style: Style,
    is_async: bool,
    c: Call,
    opts: Value,
) -> Result<Response, Error> {
    let chain = match style {
        Style::Declarative => client.chain(c.template()),
        Style::Index => client[c.template()].clone(),
        Style::PureChain => match c {
            Call::Create | Call::Query => chain!(client.v3.payscore.serviceorder),
            Call::Complete => chain!(client.v3.payscore.serviceorder._out_order_no_.complete),
            Call::Modify => chain!(client.v3.payscore.serviceorder._out_order_no_.modify),
            Call::Sync => chain!(client.v3.payscore.serviceorder._out_order_no_.sync),
        },
    };
    match (c == Call::Query, is_async) {
        (true, false) => chain.get(opts),
        (true, true) => rt.block_on(chain.get_async(opts)),
        (false, false) => chain.post(opts),
        (false, true) => rt.block_on(chain.post_async(opts)),
    }
}

fn summary(r: &Response) -> String {
    match r.json::<Value>() {
        Ok(v) => {
            let pick = |k: &str| v.get(k).and_then(Value::as_str).map(|s| format!("{k}={s}"));
            let collection = v
                .pointer("/collection/state")
                .and_then(Value::as_str)
                .map(|s| format!("collection={s}"));
            let total = v.get("total_amount").map(|t| format!("total_amount={t}"));
            [pick("state"), collection, total, pick("order_id")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        }
        Err(_) if r.body().is_empty() => "(no body)".into(),
        Err(_) => r.text().chars().take(60).collect(),
    }
}

struct Env {
    client: Client,
    sandbox: Option<Sandbox>,
    appid: String,
    service_id: String,
}

fn environment() -> Result<Env, Box<dyn std::error::Error>> {
    let appid = std::env::var("WECHATPAY_APPID").unwrap_or_else(|_| "wxd678efh567hg6787".into());
    let service_id = std::env::var("WECHATPAY_SERVICE_ID")
        .unwrap_or_else(|_| "2002000000000558128851361561536".into());
    let vars = [
        "WECHATPAY_MCHID",
        "WECHATPAY_SERIAL",
        "WECHATPAY_PRIVATE_KEY",
        "WECHATPAY_CERTS",
        "WECHATPAY_BASE_URI",
    ];
    let real: Vec<String> = vars.iter().filter_map(|v| std::env::var(v).ok()).collect();
    if real.len() == vars.len() {
        let mut b = Builder::new()
            .mchid(&real[0])
            .serial(&real[1])
            .private_key(PrivateKey::from_pem(&format!("file://{}", real[2]))?)
            .base_uri(&real[4]);
        for pair in real[3].split(',') {
            let (id, path) = pair
                .split_once('=')
                .ok_or_else(|| format!("WECHATPAY_CERTS wants ID=path, got `{pair}`"))?;
            b = b.cert(id, PublicKey::from_pem(&format!("file://{path}"))?);
        }
        println!("Calling {} as merchant {}", real[4], real[0]);
        return Ok(Env {
            client: b.build()?,
            sandbox: None,
            appid,
            service_id,
        });
    }
    let sandbox = Sandbox::start_blocking()?;
    println!(
        "Started the embedded sandbox at {} (no merchant account needed)",
        sandbox.base_uri()
    );
    Ok(Env {
        client: sandbox.client()?,
        sandbox: Some(sandbox),
        appid,
        service_id,
    })
}

fn main() -> ExitCode {
    let env = match environment() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("setup failed: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let started = Instant::now();
    let (mut ok, mut failed) = (0, 0);
    let run_id = wechatpay::formatter::nonce(6);

    for (i, (style, is_async)) in [Style::Declarative, Style::Index, Style::PureChain]
        .into_iter()
        .flat_map(|s| [(s, false), (s, true)])
        .enumerate()
    {
        let label = format!("{}{}", style.name(), if is_async { " async" } else { "" });
        let order = format!("QS{run_id}{i}");
        let (appid, service_id) = (&env.appid, &env.service_id);
        let payments = json!([{"name": "就餐费用", "amount": 40000, "description": "就餐人均100元", "count": 4}]);
        let discounts = json!([{"name": "满20减1元", "description": "不与其他优惠叠加", "amount": 100, "count": 2}]);
        let steps: Vec<(Call, Value)> = vec![
            (
                Call::Create,
                json!({"json": {
                "out_order_no": order, "appid": appid, "service_id": service_id,
                "service_introduction": "某某酒店", "post_payments": payments, "post_discounts": discounts,
                "time_range": {"start_time": "20091225091010", "start_time_remark": "备注1", "end_time": "20091225121010", "end_time_remark": "备注2"},
                "location": {"start_location": "嗨客时尚主题展餐厅", "end_location": "嗨客时尚主题展餐厅"},
                "risk_fund": {"name": "ESTIMATE_ORDER_COST", "amount": 10000, "description": "就餐的预估费用"},
                "attach": "Easdfowealsdkjfnlaksjdlfkwqoi&wl3l2sald", "notify_url": "https://api.test.com/notify?a=1&b=2",
                "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "need_user_confirm": true}}),
            ),
            (
                Call::Query,
                json!({"query": {"out_order_no": order, "query_id": "", "service_id": service_id, "appid": appid}}),
            ),
            (
                Call::Complete,
                json!({"out_order_no": order, "json": {
                "appid": appid, "service_id": service_id, "post_payments": payments, "post_discounts": discounts,
                "total_amount": 39900, "time_range": {"end_time": "20091225121010"}, "location": {"end_location": "嗨客时尚主题展餐厅"}}}),
            ),
            (
                Call::Modify,
                json!({"out_order_no": order, "json": {
                "appid": appid, "service_id": service_id, "post_payments": [{"name": "就餐费用", "amount": 30000, "description": "就餐人均100元", "count": 3}],
                "post_discounts": discounts, "total_amount": 29900, "reason": "用户投诉"}}),
            ),
            (
                Call::Sync,
                json!({"out_order_no": order, "json": {
                "appid": appid, "service_id": service_id, "type": "Order_Paid",
                "detail": {"seq": 1, "paid_time": "20091225091210", "paid_amount": 29900}}}),
            ),
        ];
        for (step, opts) in steps {
            if step == Call::Complete {
                // The user confirms in WeChat; the sandbox takes it from a control call.
                if let Some(sandbox) = &env.sandbox {
                    if let Err(e) = sandbox.user_confirm(&order) {
                        println!("  {label:<18} (user confirms in WeChat) FAILED {e}");
                        failed += 1;
                    }
                }
            }
            let path = step.template().replace("{out_order_no}", &order);
            match call(&env.client, &rt, style, is_async, step, opts) {
                Ok(r) => {
                    ok += 1;
                    println!(
                        "  {label:<18} {:<4} /{path:<52} {} {}",
                        step.method(),
                        r.status().as_u16(),
                        summary(&r)
                    );
                }
                Err(e) => {
                    failed += 1;
                    println!("  {label:<18} {:<4} /{path:<52} FAILED {e}", step.method());
                }
            }
        }
    }
    println!(
        "{ok} calls succeeded, {failed} failed, in {:.2}s; every response was signature-verified.",
        started.elapsed().as_secs_f64()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
