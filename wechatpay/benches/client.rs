//! `cargo bench`: what one call costs this process in CPU, beside what one
//! RSA sign plus one verify cost in the same run, which is the floor any
//! WeChat Pay client pays, and beside a bare hyper GET to the same server.
//!
//! The sandbox runs in a second copy of this program, so its signing is not
//! counted. CPU is this process's user + system time from `/proc/self/stat`
//! (Linux). Each figure is the median of several rounds; `docs/performance.md`
//! records a run.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Instant,
};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serde_json::json;
use wechatpay::{
    Builder, Error, Response,
    crypto::{PrivateKey, PublicKey},
    middleware::{BoxFuture, Middleware, Next, Request},
};

const ROUNDS: usize = 5;

/// Answers at once from the outermost layer: what is left of a call is the
/// client's own work before the stack (options, template, URI, headers).
struct ShortCircuit;

impl Middleware for ShortCircuit {
    fn handle<'a>(
        &'a self,
        request: Request,
        _: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move { Ok(http::Response::new(request.into_body())) })
    }
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)` field: utime is the 14th, stime the 15th.
    let after = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let fields: Vec<f64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    (fields.get(11).copied().unwrap_or(0.0) + fields.get(12).copied().unwrap_or(0.0)) / 100.0
}

/// CPU µs per operation of `n` runs of `f` (after a warm-up), and wall µs.
fn per_op(n: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..n / 10 {
        f();
    }
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    for _ in 0..n {
        f();
    }
    let cpu = (cpu_seconds() - cpu0) / n as f64 * 1e6;
    let wall = wall0.elapsed().as_secs_f64() / n as f64 * 1e6;
    (cpu, wall)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the sandbox in this process and prints its address: the bench
/// starts a second copy of itself this way.
fn serve_sandbox() -> ! {
    // One server thread: with two cores, the client and the server each
    // have one, so neither measures the other's contention.
    let sandbox = wechatpay_sandbox::Sandbox::builder()
        .worker_threads(1)
        .start_blocking()
        .expect("sandbox");
    println!("listening on {}", sandbox.base_uri());
    loop {
        std::thread::park();
    }
}

struct Figures {
    label: &'static str,
    cpu: Vec<f64>,
    wall: Vec<f64>,
}

impl Figures {
    fn new(label: &'static str) -> Self {
        Self {
            label,
            cpu: Vec::new(),
            wall: Vec::new(),
        }
    }

    fn add(&mut self, (cpu, wall): (f64, f64)) {
        self.cpu.push(cpu);
        self.wall.push(wall);
    }

    fn cpu(&self) -> f64 {
        median(self.cpu.clone())
    }

    fn print(&self, floor: Option<f64>) {
        let ratio = floor
            .map(|f| format!("{:>6.2}x", self.cpu() / f))
            .unwrap_or_default();
        println!(
            "{:<52} {:>8.1} µs CPU {:>8.1} µs wall {ratio}",
            self.label,
            self.cpu(),
            median(self.wall.clone())
        );
    }
}

fn main() {
    if std::env::var_os("WECHATPAY_BENCH_SANDBOX").is_some() {
        serve_sandbox();
    }
    let keys = wechatpay_sandbox::SandboxKeys::load().expect("sandbox keys");
    let merchant = PrivateKey::from_pem(&keys.merchant_private_key_pem).unwrap();
    let platform_public = PublicKey::from_pem(&keys.platform_public_key_pem).unwrap();
    let platform = PrivateKey::from_pem(&keys.platform_private_key_pem).unwrap();
    let message = "GET\n/v3/certificates\n1700000000\nnonce\n\n";
    let signature = platform.sign(message).unwrap();

    let mut server = Server(
        Command::new(std::env::current_exe().unwrap())
            .env("WECHATPAY_BENCH_SANDBOX", "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("a second copy of this bench, serving the sandbox"),
    );
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_uri = line.trim().trim_start_matches("listening on ").to_string();
    let authority = base_uri
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();

    let platform_cert = PublicKey::from_pem(&keys.platform_cert_pem).unwrap();
    let builder = || {
        Builder::new()
            .mchid(&keys.mchid)
            .serial(&keys.serial)
            .private_key(merchant.clone())
            .cert(&keys.public_key_id, platform_public.clone())
            // The listing is signed with the platform certificate, as WeChat Pay signs it.
            .cert(&keys.platform_cert_serial, platform_cert.clone())
            .base_uri(&base_uri)
    };
    let client = builder().build().unwrap();
    let own = builder().middleware(ShortCircuit).build().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = json!({"out_order_no": "1234323JKHDFE1243252", "json": {"service_id": "2002000000000558128851361561536", "type": "Order_Paid", "detail": {"seq": 1, "paid_time": "20091225091210", "paid_amount": 1}}});

    // A bare hyper GET over one kept-alive connection, no signing: the
    // transport's floor on this machine.
    let (mut sender, conn) = rt.block_on(async {
        let stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
        stream.set_nodelay(true).unwrap();
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
            .await
            .unwrap()
    });
    rt.spawn(conn);

    let mut sign = Figures::new("RSA-2048 PKCS#1 v1.5 SHA-256 sign");
    let mut verify = Figures::new("RSA-2048 PKCS#1 v1.5 SHA-256 verify");
    let mut blocking = Figures::new("blocking GET v3/certificates, signed and verified");
    let mut asynchronous = Figures::new("async GET v3/certificates, signed and verified");
    let mut in_flight = Figures::new("16 async in flight, per call");
    let mut bare = Figures::new("bare hyper GET, same server, no signing");
    let mut composite = Figures::new("sign + bare hyper GET + verify, one after another");
    let mut own_blocking = Figures::new("own work: blocking POST, template + JSON, no I/O");
    let mut own_async = Figures::new("own work: async POST, template + JSON, no I/O");

    println!(
        "wechatpay {} benchmarks, {ROUNDS} rounds, medians",
        env!("CARGO_PKG_VERSION")
    );
    for round in 0..ROUNDS {
        eprintln!("round {}/{ROUNDS}", round + 1);
        sign.add(per_op(2000, || {
            std::hint::black_box(merchant.sign(message).unwrap());
        }));
        verify.add(per_op(20000, || {
            std::hint::black_box(platform_public.verify(message, &signature));
        }));
        blocking.add(per_op(3000, || {
            std::hint::black_box(client.chain("v3/certificates").get(()).unwrap());
        }));
        asynchronous.add(per_op(3000, || {
            std::hint::black_box(
                rt.block_on(client["v3/certificates"].get_async(()))
                    .unwrap(),
            );
        }));
        let (cpu, wall) = per_op(200, || {
            // Futures are lazy: spawned, all 16 run at once on this
            // thread, each on a connection of its own from the pool.
            rt.block_on(async {
                let mut calls = tokio::task::JoinSet::new();
                for _ in 0..16 {
                    calls.spawn(client["v3/certificates"].get_async(()));
                }
                while let Some(done) = calls.join_next().await {
                    std::hint::black_box(done.unwrap().unwrap());
                }
            });
        });
        in_flight.add((cpu / 16.0, wall / 16.0));
        bare.add(per_op(3000, || {
            std::hint::black_box(bare_get(&rt, &mut sender, &authority));
        }));
        // What a call can cost at the least here: its crypto and its HTTP
        // exchange, with the idle wait for the server between them.
        composite.add(per_op(3000, || {
            std::hint::black_box(merchant.sign(message).unwrap());
            std::hint::black_box(bare_get(&rt, &mut sender, &authority));
            std::hint::black_box(platform_public.verify(message, &signature));
        }));
        own_blocking.add(per_op(50000, || {
            let r = wechatpay::chain!(own.v3.payscore.serviceorder._out_order_no_.sync)
                .post(opts.clone());
            std::hint::black_box(r.unwrap());
        }));
        own_async.add(per_op(50000, || {
            let r = rt.block_on(
                own["v3/payscore/serviceorder/{out_order_no}/sync"].post_async(opts.clone()),
            );
            std::hint::black_box(r.unwrap());
        }));
    }
    let floor = sign.cpu() + verify.cpu();
    sign.print(None);
    verify.print(None);
    println!(
        "{:<52} {:>8.1} µs CPU",
        "floor: one sign + one verify", floor
    );
    for f in [&blocking, &asynchronous, &in_flight] {
        f.print(Some(floor));
    }
    bare.print(None);
    composite.print(Some(floor));
    own_blocking.print(None);
    own_async.print(None);
    for f in [&blocking, &asynchronous, &in_flight] {
        println!(
            "{:<52} {:>8.1} µs beyond the floor, {:>6.1} µs beyond sign + GET + verify ({:.2}x it)",
            f.label,
            f.cpu() - floor,
            f.cpu() - composite.cpu(),
            f.cpu() / composite.cpu()
        );
    }
}

/// One GET over the bench's own kept-alive hyper connection: the body.
fn bare_get(
    rt: &tokio::runtime::Runtime,
    sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    authority: &str,
) -> Bytes {
    rt.block_on(async {
        sender.ready().await.unwrap();
        let request = http::Request::get("/v3/certificates")
            .header("Host", authority)
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        response.into_body().collect().await.unwrap().to_bytes()
    })
}

/// The server process, stopped however the bench ends (a panic included).
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
