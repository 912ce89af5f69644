//! `cargo bench`: what one call costs this process in CPU, against what one
//! RSA sign plus one verify cost, which is the floor any WeChat Pay client pays.
//!
//! The sandbox runs in a separate process (the `wechatpay` binary), so its
//! signing is not counted. CPU time is read from `/proc/self/stat` (Linux).
//! Numbers go to stdout; `docs/performance.md` records a run.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Instant,
};

use serde_json::json;
use wechatpay::{
    Builder, Error, Response,
    crypto::{PrivateKey, PublicKey},
    middleware::{BoxFuture, Middleware, Next, Request},
};

/// Answers at once from the outermost layer: what is left of a call is the
/// client's own work (options, template, URI, headers, stack, thread hand-off).
struct ShortCircuit;

impl Middleware for ShortCircuit {
    fn handle<'a>(
        &'a self,
        request: Request,
        _next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move { Ok(http::Response::new(request.into_body())) })
    }
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)` field: state is 3rd; utime 14th, stime 15th.
    let after = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0
}

fn per_op(label: &str, n: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..n / 10 {
        f();
    }
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    for _ in 0..n {
        f();
    }
    let cpu = (cpu_seconds() - cpu0) / n as f64 * 1e6;
    let wall = wall0.elapsed().as_secs_f64() / n as f64 * 1e6;
    println!("{label:<44} {cpu:>9.1} µs CPU  {wall:>9.1} µs wall  (n={n})");
    (cpu, wall)
}

/// Runs the sandbox in this process and prints its address: the bench
/// starts a second copy of itself this way, so that the server's signing
/// is not counted in the client's CPU.
fn serve_sandbox() -> ! {
    let sandbox = wechatpay_sandbox::Sandbox::start_blocking().expect("sandbox");
    println!("listening on {}", sandbox.base_uri());
    loop {
        std::thread::park();
    }
}

fn main() {
    if std::env::var_os("WECHATPAY_BENCH_SANDBOX").is_some() {
        serve_sandbox();
    }
    let keys = wechatpay_sandbox::SandboxKeys::load().expect("sandbox keys");
    let private = PrivateKey::from_pem(&keys.platform_private_key_pem).unwrap();
    let public = PublicKey::from_pem(&keys.platform_public_key_pem).unwrap();
    let message = "GET\n/v3/certificates\n1700000000\nnonce\n\n";
    let signature = private.sign(message).unwrap();

    println!("wechatpay {} benchmarks", env!("CARGO_PKG_VERSION"));
    let (sign, _) = per_op("RSA-2048 PKCS#1 v1.5 SHA-256 sign", 2000, || {
        std::hint::black_box(private.sign(message).unwrap());
    });
    let (verify, _) = per_op("RSA-2048 PKCS#1 v1.5 SHA-256 verify", 20000, || {
        std::hint::black_box(public.verify(message, &signature));
    });
    println!(
        "{:<44} {:>9.1} µs CPU",
        "floor: one sign + one verify",
        sign + verify
    );

    let mut server = Command::new(std::env::current_exe().unwrap())
        .env("WECHATPAY_BENCH_SANDBOX", "1")
        .stdout(Stdio::piped())
        .spawn()
        .expect("a second copy of this bench, serving the sandbox");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_uri = line.trim().trim_start_matches("listening on ").to_string();

    let client = Builder::new()
        .mchid(&keys.mchid)
        .serial(&keys.serial)
        .private_key(PrivateKey::from_pem(&keys.merchant_private_key_pem).unwrap())
        .cert(&keys.public_key_id, public.clone())
        .base_uri(&base_uri)
        .build()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let (blocking, _) = per_op("blocking GET v3/certificates (verified)", 2000, || {
        std::hint::black_box(client.chain("v3/certificates").get(()).unwrap());
    });
    let (asynchronous, _) = per_op("async GET v3/certificates (verified)", 2000, || {
        std::hint::black_box(
            rt.block_on(client["v3/certificates"].get_async(()))
                .unwrap(),
        );
    });
    let opts = json!({"out_order_no": "1234323JKHDFE1243252", "json": {"service_id": "2002000000000558128851361561536", "type": "Order_Paid", "detail": {"seq": 1, "paid_time": "20091225091210", "paid_amount": 1}}});
    let (_, _) = per_op(
        "POST template + json, answered 404 (unverified)",
        2000,
        || {
            let r = wechatpay::chain!(client.v3.payscore.serviceorder._out_order_no_.sync)
                .post(opts.clone());
            std::hint::black_box(r.unwrap_err());
        },
    );
    let raw = reqwest::Client::new();
    let url = format!("{base_uri}v3/certificates");
    let (transport, _) = per_op("bare reqwest GET, same server (no signing)", 2000, || {
        let r = rt.block_on(async { raw.get(&url).send().await.unwrap().bytes().await.unwrap() });
        std::hint::black_box(r);
    });
    let own = Builder::new()
        .mchid(&keys.mchid)
        .serial(&keys.serial)
        .private_key(PrivateKey::from_pem(&keys.merchant_private_key_pem).unwrap())
        .cert(&keys.public_key_id, public.clone())
        .base_uri(&base_uri)
        .middleware(ShortCircuit)
        .build()
        .unwrap();
    let (own_blocking, _) = per_op(
        "own work: blocking POST, template + json, no I/O",
        20000,
        || {
            let r = wechatpay::chain!(own.v3.payscore.serviceorder._out_order_no_.sync)
                .post(opts.clone());
            std::hint::black_box(r.unwrap());
        },
    );
    let (own_async, _) = per_op(
        "own work: async POST, template + json, no I/O",
        20000,
        || {
            let r = rt.block_on(
                own["v3/payscore/serviceorder/{out_order_no}/sync"].post_async(opts.clone()),
            );
            std::hint::black_box(r.unwrap());
        },
    );
    println!(
        "client's own work per call (target ≤ 20 µs): blocking {own_blocking:.1} µs, async {own_async:.1} µs"
    );
    let floor = sign + verify;
    println!(
        "client work beyond crypto and bare transport: blocking {:.1} µs, async {:.1} µs",
        blocking - floor - transport,
        asynchronous - floor - transport
    );
    println!(
        "ratio to the floor: blocking {:.2}x, async {:.2}x (target ≤ 1.10x); client work beyond the floor: {:.1} µs / {:.1} µs",
        blocking / floor,
        asynchronous / floor,
        blocking - floor,
        asynchronous - floor
    );
    let _ = server.kill();
    let _ = server.wait();
}
