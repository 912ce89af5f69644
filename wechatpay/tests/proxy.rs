//! Proxies, over loopback: two tiny proxies written here (an HTTP
//! `CONNECT` proxy, also over TLS, and a SOCKS5 proxy), each requiring a
//! user name and password or not and counting the tunnels it opened, in
//! front of the sandbox. Whatever host a client asks for, they connect to
//! that port on 127.0.0.1, so no test leaves the machine.

mod support;

use std::{
    net::{Ipv4Addr, Ipv6Addr, SocketAddr},
    process::Command,
    sync::{Arc, Mutex},
};

use base64::Engine;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        ServerConfig,
        crypto::aws_lc_rs,
        pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    },
};
use wechatpay::{Builder, Client, Error};
use wechatpay_sandbox::{Sandbox, SandboxTls};

use support::key_text;

const USER: &str = "alice";
/// Must appear in no error, `Debug` or `Display`.
const PASSWORD: &str = "s3cret-PASSWORD";
const WRONG: &str = "wr0ng-PASSWORD";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// HTTP `CONNECT`.
    Connect,
    /// HTTP `CONNECT` inside TLS (`localhost`, the test CA's certificate).
    ConnectTls,
    /// SOCKS5.
    Socks5,
}

#[derive(Clone, Copy, Debug)]
struct Setup {
    kind: Kind,
    /// Require `USER`:`PASSWORD`.
    auth: bool,
    /// Refuse every tunnel: with `403 Forbidden` for 403 and `502 Bad
    /// Gateway` for any other (CONNECT), or with this reply code (SOCKS5).
    refuse: Option<u16>,
}

impl Setup {
    fn open(kind: Kind) -> Self {
        Self {
            kind,
            auth: false,
            refuse: None,
        }
    }

    fn auth(kind: Kind) -> Self {
        Self {
            auth: true,
            ..Self::open(kind)
        }
    }

    fn refusing(kind: Kind, code: u16) -> Self {
        Self {
            refuse: Some(code),
            ..Self::open(kind)
        }
    }
}

/// What a proxy saw since it was last asked.
#[derive(Debug, Default)]
struct Seen {
    /// Tunnels opened to the target.
    tunnels: usize,
    /// The targets asked for: `host:port` for CONNECT; `name host:port` or
    /// `ip address:port` for SOCKS5.
    asked: Vec<String>,
    /// The CONNECT request heads, whole.
    heads: Vec<String>,
}

/// A proxy on its own runtime, so blocking calls from a test cannot starve
/// it; dropping it stops it.
struct TestProxy {
    addr: SocketAddr,
    kind: Kind,
    seen: Arc<Mutex<Seen>>,
    _runtime: tokio::runtime::Runtime,
}

impl TestProxy {
    fn start(setup: Setup) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::<Mutex<Seen>>::default();
        let acceptor = (setup.kind == Kind::ConnectTls).then(tls_acceptor);
        let shared = seen.clone();
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (seen, acceptor) = (shared.clone(), acceptor.clone());
                tokio::spawn(async move {
                    let _ = match (setup.kind, acceptor) {
                        (Kind::ConnectTls, Some(a)) => match a.accept(tcp).await {
                            Ok(tls) => serve_connect(tls, setup, &seen).await,
                            Err(e) => Err(e),
                        },
                        (Kind::Socks5, _) => serve_socks5(tcp, setup, &seen).await,
                        _ => serve_connect(tcp, setup, &seen).await,
                    };
                });
            }
        });
        Self {
            addr,
            kind: setup.kind,
            seen,
            _runtime: runtime,
        }
    }

    /// This proxy's URI with `scheme` (`socks5` or `socks5h` for a SOCKS5
    /// proxy; the others have one each) and these credentials.
    fn uri(&self, scheme: &str, credentials: Option<(&str, &str)>) -> String {
        // The TLS proxy is verified by name, as its certificate gives it.
        let host = match self.kind {
            Kind::ConnectTls => format!("localhost:{}", self.addr.port()),
            _ => self.addr.to_string(),
        };
        match credentials {
            Some((u, p)) => format!("{scheme}://{u}:{p}@{host}"),
            None => format!("{scheme}://{host}"),
        }
    }

    /// What it saw, emptying the record.
    fn take(&self) -> Seen {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

fn tls_acceptor() -> TlsAcceptor {
    let certs = CertificateDer::pem_slice_iter(key_text("tls/server.pem").as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(key_text("tls/server.key").as_bytes()).unwrap();
    let config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// The port of the target, dialled on 127.0.0.1 whatever the host.
async fn dial(port: u16) -> std::io::Result<TcpStream> {
    TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await
}

async fn serve_connect<S: AsyncRead + AsyncWrite + Unpin>(
    mut client: S,
    setup: Setup,
    seen: &Mutex<Seen>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(client.read_u8().await?);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let authority = head
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("")
        .to_string();
    {
        let mut seen = seen.lock().unwrap();
        seen.asked.push(authority.clone());
        seen.heads.push(head.clone());
    }
    let wanted = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let authorized = !setup.auth
        || head.split("\r\n").any(|line| {
            line.split_once(':').is_some_and(|(name, value)| {
                name.eq_ignore_ascii_case("proxy-authorization")
                    && value.trim() == format!("Basic {wanted}")
            })
        });
    let port = authority.rsplit_once(':').and_then(|(_, p)| p.parse().ok());
    let answer = match (authorized, setup.refuse, port) {
        (false, _, _) => {
            "407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\""
        }
        (true, Some(403), _) => "403 Forbidden",
        (true, Some(_), _) => "502 Bad Gateway",
        (true, None, None) => "400 Bad Request",
        (true, None, Some(port)) => {
            let mut target = match dial(port).await {
                Ok(t) => t,
                Err(_) => {
                    client
                        .write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
                        .await?;
                    return Ok(());
                }
            };
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await?;
            seen.lock().unwrap().tunnels += 1;
            tokio::io::copy_bidirectional(&mut client, &mut target).await?;
            return Ok(());
        }
    };
    client
        .write_all(format!("HTTP/1.1 {answer}\r\nContent-Length: 0\r\n\r\n").as_bytes())
        .await?;
    client.flush().await
}

async fn serve_socks5(
    mut client: TcpStream,
    setup: Setup,
    seen: &Mutex<Seen>,
) -> std::io::Result<()> {
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting).await?;
    let mut methods = vec![0u8; usize::from(greeting[1])];
    client.read_exact(&mut methods).await?;
    let method = if setup.auth { 2 } else { 0 };
    if greeting[0] != 5 || !methods.contains(&method) {
        return client.write_all(&[5, 0xFF]).await;
    }
    client.write_all(&[5, method]).await?;
    if setup.auth {
        let version = client.read_u8().await?;
        let user = read_field(&mut client).await?;
        let password = read_field(&mut client).await?;
        let ok = version == 1 && user == USER.as_bytes() && password == PASSWORD.as_bytes();
        client.write_all(&[1, if ok { 0 } else { 1 }]).await?;
        if !ok {
            return Ok(());
        }
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            format!("ip {}", Ipv4Addr::from(ip))
        }
        4 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip).await?;
            format!("ip [{}]", Ipv6Addr::from(ip))
        }
        _ => {
            let name = read_field(&mut client).await?;
            format!("name {}", String::from_utf8_lossy(&name))
        }
    };
    let port = client.read_u16().await?;
    seen.lock().unwrap().asked.push(format!("{host}:{port}"));
    let reply = |code: u8| [5, code, 0, 1, 127, 0, 0, 1, 0, 0];
    if let Some(code) = setup.refuse {
        return client.write_all(&reply(code as u8)).await;
    }
    let mut target = match dial(port).await {
        Ok(t) => t,
        Err(_) => return client.write_all(&reply(5)).await,
    };
    client.write_all(&reply(0)).await?;
    seen.lock().unwrap().tunnels += 1;
    tokio::io::copy_bidirectional(&mut client, &mut target).await?;
    Ok(())
}

/// A byte of length, then that many bytes.
async fn read_field(client: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let len = client.read_u8().await?;
    let mut bytes = vec![0u8; usize::from(len)];
    client.read_exact(&mut bytes).await?;
    Ok(bytes)
}

// ---- helpers ----

/// A sandbox over http or https, and its base URI by the name `localhost`
/// (what a SOCKS5 client resolves and a `socks5h` one sends).
fn sandbox(https: bool) -> (Sandbox, String) {
    let sandbox = if https {
        Sandbox::builder()
            .tls(SandboxTls {
                cert_pem: key_text("tls/server.pem"),
                key_pem: key_text("tls/server.key"),
                client_ca_pem: None,
            })
            .start_blocking()
            .unwrap()
    } else {
        Sandbox::start_blocking().unwrap()
    };
    let scheme = if https { "https" } else { "http" };
    let base = format!("{scheme}://localhost:{}/", sandbox.addr().port());
    (sandbox, base)
}

/// A client of `sandbox` at `base` through `proxy`, trusting the test CA
/// (the https sandbox's and the TLS proxy's).
fn client(sandbox: &Sandbox, base: &str, proxy: &str) -> Client {
    sandbox
        .client_builder()
        .unwrap()
        .base_uri(base)
        .root_certificate(key_text("tls/ca.pem"))
        .proxy(proxy)
        .build()
        .unwrap()
}

fn call(client: &Client) -> Result<wechatpay::Response, Error> {
    client.chain("v3/certificates").get(())
}

/// `text` shows neither password.
fn assert_no_password(text: &str) {
    assert!(
        !text.contains(PASSWORD) && !text.contains(WRONG),
        "a password leaked: {text}"
    );
}

// ---- calls through each proxy ----

#[test]
fn calls_through_each_proxy_arrive_signed_over_one_kept_tunnel() {
    let credentials = Some((USER, PASSWORD));
    let proxies = [
        (Setup::open(Kind::Connect), "http", None),
        (Setup::auth(Kind::Connect), "http", credentials),
        (Setup::auth(Kind::ConnectTls), "https", credentials),
        (Setup::open(Kind::Socks5), "socks5", None),
        (Setup::auth(Kind::Socks5), "socks5", credentials),
        (Setup::auth(Kind::Socks5), "socks5h", credentials),
    ];
    let mut ran = 0;
    for https in [false, true] {
        for (setup, scheme, credentials) in proxies {
            let case = format!("{scheme}:// proxy {setup:?}, https target: {https}");
            let (sandbox, base) = sandbox(https);
            let proxy = TestProxy::start(setup);
            let client = client(&sandbox, &base, &proxy.uri(scheme, credentials));
            for _ in 0..3 {
                assert_eq!(call(&client).unwrap().status(), 200, "{case}");
            }
            let requests = sandbox.take_requests();
            assert_eq!(requests.len(), 3, "{case}");
            for r in &requests {
                assert!(r.signature.is_ok(), "{case}: {:?}", r.signature);
            }
            // Keep-alive through the proxy: one tunnel, one connection.
            let seen = proxy.take();
            assert_eq!(seen.tunnels, 1, "{case}");
            let connections = sandbox.connections();
            assert_eq!(connections.opened, 1, "{case}");
            assert_eq!(connections.tls_handshakes, usize::from(https), "{case}");

            let port = sandbox.addr().port();
            assert_eq!(seen.asked.len(), 1, "{case}: {:?}", seen.asked);
            let asked = &seen.asked[0];
            match scheme {
                // The proxy resolves the name.
                "socks5h" => assert_eq!(asked, &format!("name localhost:{port}"), "{case}"),
                // The name was resolved here.
                "socks5" => assert!(
                    [format!("ip 127.0.0.1:{port}"), format!("ip [::1]:{port}")].contains(asked),
                    "{case}: {asked}"
                ),
                _ => assert_eq!(asked, &format!("localhost:{port}"), "{case}"),
            }
            // A CONNECT proxy sees its own credentials, and never a request
            // or WeChat Pay's Authorization: plain http is tunnelled too.
            for head in &seen.heads {
                let names: Vec<String> = head
                    .split("\r\n")
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(name, _)| name.to_ascii_lowercase())
                    .collect();
                assert!(head.starts_with("CONNECT "), "{case}: {head}");
                assert!(!names.contains(&"authorization".into()), "{case}: {head}");
                assert_eq!(
                    names.contains(&"proxy-authorization".into()),
                    credentials.is_some(),
                    "{case}: {head}"
                );
            }
            assert_eq!(seen.heads.len(), usize::from(!scheme.starts_with("socks")));
            assert_no_password(&format!("{client:?}"));
            ran += 1;
        }
    }
    assert_eq!(ran, 12);
}

// ---- failures ----

#[test]
fn proxy_failures_are_connect_errors_before_anything_is_sent() {
    let right = Some((USER, PASSWORD));
    let wrong = Some((USER, WRONG));
    // A port nothing listens on any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let auth = |kind| Some(Setup::auth(kind));
    let refusing = |kind, code| Some(Setup::refusing(kind, code));
    use Kind::{Connect, ConnectTls, Socks5};
    #[rustfmt::skip]
    let cases = [
        (auth(Connect), "http", wrong, "rejected the credentials"),
        (auth(Connect), "http", None, "asks for credentials"),
        (auth(ConnectTls), "https", wrong, "rejected the credentials"),
        (refusing(Connect, 403), "http", right, "403 Forbidden"),
        (refusing(Connect, 502), "http", None, "502 Bad Gateway"),
        (auth(Socks5), "socks5", wrong, "rejected the user name and password"),
        (auth(Socks5), "socks5h", None, "asks for a user name and password"),
        (refusing(Socks5, 5), "socks5", right, "connection refused"),
        (refusing(Socks5, 2), "socks5h", None, "not allowed by ruleset"),
        // Nothing listens.
        (None, "http", right, "cannot connect to the proxy"),
        (None, "socks5h", wrong, "cannot connect to the proxy"),
    ];
    let mut ran = 0;
    for (setup, scheme, credentials, why) in cases {
        let case = format!("{scheme}:// proxy {setup:?} with {credentials:?}");
        let (sandbox, base) = sandbox(false);
        let proxy = setup.map(TestProxy::start);
        let uri = match &proxy {
            Some(p) => p.uri(scheme, credentials),
            None => match credentials {
                Some((u, p)) => format!("{scheme}://{u}:{p}@{closed}"),
                None => format!("{scheme}://{closed}"),
            },
        };
        let client = client(&sandbox, &base, &uri);
        let e = call(&client).unwrap_err();
        assert!(
            e.is_connect() && e.is_before_send() && !e.is_timeout(),
            "{case}: {e:?}"
        );
        let text = e.to_string();
        assert!(text.contains(why), "{case}: {text}");
        // It names the proxy (with the user, without the password) and the target.
        let address = match &proxy {
            Some(p) => p.uri(scheme, None),
            None => format!("{scheme}://{closed}"),
        };
        let named = match credentials {
            Some((u, _)) => address.replacen("://", &format!("://{u}@"), 1),
            None => address,
        };
        assert!(text.contains(&named), "{case}: {text}");
        assert!(
            text.contains(&base.trim_end_matches('/').to_string()),
            "{case}: {text}"
        );
        assert_no_password(&text);
        assert_no_password(&format!("{e:?}"));
        assert_no_password(&format!("{client:?}"));
        assert!(sandbox.take_requests().is_empty(), "{case}");
        if let Some(p) = proxy {
            assert_eq!(p.take().tunnels, 0, "{case}");
        }
        ran += 1;
    }
    assert_eq!(ran, 11);
}

#[test]
fn proxy_uris_that_do_not_parse_fail_the_build_without_showing_the_password() {
    let cases = [
        format!("socks4://{USER}:{PASSWORD}@127.0.0.1:1080"),
        format!("ftp://{USER}:{PASSWORD}@127.0.0.1"),
        format!("http://{USER}:{PASSWORD}@127.0.0.1:port"),
        format!("{USER}:{PASSWORD}@127.0.0.1:3128"),
        format!("http://{USER}:{PASSWORD}@"),
    ];
    for uri in &cases {
        let builder = Builder::new()
            .mchid("1900000001")
            .secret("your-32-character-apiv2-secret-0")
            .proxy(uri);
        assert_no_password(&format!("{builder:?}"));
        let e = builder.build().unwrap_err();
        assert!(e.is_config(), "{e:?}");
        assert!(e.to_string().contains("Builder::proxy"), "{e}");
        assert_no_password(&e.to_string());
        assert_no_password(&format!("{e:?}"));
    }
    assert_eq!(cases.len(), 5);
}

// ---- the environment ----

/// Set in a child run of this test binary to the role it plays.
const CHILD: &str = "WECHATPAY_PROXY_TEST_CHILD";
/// An open CONNECT proxy, for a child's explicit `Builder::proxy`.
const EXPLICIT: &str = "WECHATPAY_PROXY_TEST_EXPLICIT";
const ENVIRONMENT_TEST: &str = "the_environment_chooses_the_proxy_and_loopback_goes_direct";
/// Every variable that could change a child's proxies.
const PROXY_VARIABLES: [&str; 9] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// The environment is process-wide (and `set_var` unsafe), so each case
/// runs in a child process of this test binary with its own environment:
/// the child makes the calls, this process checks what the proxies saw.
/// A target the environment's proxy should take is named
/// `wechatpay.test`, which the proxies map to loopback; every NO_PROXY
/// match that would go direct to such a name is checked in the library's
/// unit tests instead, so that no test resolves a name off the machine.
#[test]
fn the_environment_chooses_the_proxy_and_loopback_goes_direct() {
    if let Ok(role) = std::env::var(CHILD) {
        return in_child(&role);
    }
    let open = TestProxy::start(Setup::open(Kind::Connect));
    let refusing = TestProxy::start(Setup::refusing(Kind::Connect, 403));
    let socks = TestProxy::start(Setup::auth(Kind::Socks5));
    let socks_uri = socks.uri("socks5h", Some((USER, PASSWORD)));
    let scenarios = [
        (
            "by scheme",
            vec![
                ("HTTP_PROXY", open.uri("http", None)),
                ("HTTPS_PROXY", refusing.uri("http", None)),
            ],
        ),
        (
            "by scheme",
            vec![
                // No scheme: an http proxy, as curl reads it.
                ("http_proxy", open.addr.to_string()),
                ("https_proxy", refusing.uri("http", None)),
            ],
        ),
        (
            "fallback",
            vec![
                ("ALL_PROXY", socks_uri),
                ("NO_PROXY", "other.test, .example.com:443".to_string()),
            ],
        ),
        (
            "unparsable",
            vec![(
                "HTTPS_PROXY",
                format!("gopher://{USER}:{PASSWORD}@proxy.test:70"),
            )],
        ),
    ];
    let one_asked = |seen: &Seen, prefix: &str, n: usize| {
        seen.asked.len() == n && seen.asked.iter().all(|a| a.starts_with(prefix))
    };
    let mut ran = 0;
    for (role, variables) in &scenarios {
        let mut child = Command::new(std::env::current_exe().unwrap());
        child.args([
            ENVIRONMENT_TEST,
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ]);
        for name in PROXY_VARIABLES {
            child.env_remove(name);
        }
        child
            .env(CHILD, role)
            .env(EXPLICIT, open.uri("http", None))
            .envs(variables.iter().map(|(k, v)| (k, v)));
        let out = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{role} ({ran}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (open_seen, refusing_seen, socks_seen) = (open.take(), refusing.take(), socks.take());
        let none = |s: &Seen| s.asked.is_empty() && s.tunnels == 0;
        match *role {
            "by scheme" => {
                // http went through its proxy (two calls, one tunnel),
                // https to its own, which refused; loopback went direct.
                assert!(one_asked(&open_seen, "wechatpay.test:", 1), "{open_seen:?}");
                assert_eq!(open_seen.tunnels, 1);
                assert!(
                    one_asked(&refusing_seen, "wechatpay.test:", 1),
                    "{refusing_seen:?}"
                );
                assert_eq!(refusing_seen.tunnels, 0);
                assert!(none(&socks_seen), "{socks_seen:?}");
            }
            "fallback" => {
                // ALL_PROXY for http and https alike, the name sent as is.
                assert!(
                    one_asked(&socks_seen, "name wechatpay.test:", 2),
                    "{socks_seen:?}"
                );
                assert_eq!(socks_seen.tunnels, 2);
                assert!(none(&open_seen) && none(&refusing_seen));
            }
            "unparsable" => {
                // Only the explicit proxy, to a loopback target.
                assert!(one_asked(&open_seen, "127.0.0.1:", 1), "{open_seen:?}");
                assert_eq!(open_seen.tunnels, 1);
                assert!(none(&refusing_seen) && none(&socks_seen));
            }
            other => panic!("no checks for {other}"),
        }
        ran += 1;
    }
    assert_eq!(ran, 4);
}

/// The calls of one environment case, in the child process.
fn in_child(role: &str) {
    let sandbox = Sandbox::start_blocking().unwrap();
    let port = sandbox.addr().port();
    let build = |base: &str| sandbox.client_builder().unwrap().base_uri(base).build();
    let named = format!("http://wechatpay.test:{port}/");
    match role {
        "by scheme" | "fallback" => {
            let client = build(&named).unwrap();
            call(&client).unwrap();
            call(&client).unwrap();
            // Loopback is never proxied from the environment.
            for base in [
                format!("http://127.0.0.1:{port}/"),
                format!("http://localhost:{port}/"),
            ] {
                call(&build(&base).unwrap()).unwrap();
            }
            let requests = sandbox.take_requests();
            assert_eq!(requests.len(), 4);
            assert!(requests.iter().all(|r| r.signature.is_ok()));
            // An https target takes HTTPS_PROXY (which refuses), or
            // ALL_PROXY (a tunnel to the plain-http sandbox, where TLS fails).
            let https = build(&format!("https://wechatpay.test:{port}/")).unwrap();
            let e = call(&https).unwrap_err();
            assert!(e.is_connect() && e.is_before_send(), "{e:?}");
            let why = if role == "fallback" {
                "TLS handshake"
            } else {
                "403"
            };
            assert!(e.to_string().contains(why), "{e}");
            assert_no_password(&format!("{e} {e:?} {https:?}"));
            assert!(sandbox.take_requests().is_empty());
        }
        "unparsable" => {
            let e = build(&named).unwrap_err();
            assert!(
                e.is_config() && e.to_string().contains("HTTPS_PROXY"),
                "{e}"
            );
            assert_no_password(&format!("{e} {e:?}"));
            // Builder::no_proxy does not read it; an explicit proxy wins over it.
            let direct = sandbox.client_builder().unwrap().no_proxy().build();
            assert!(direct.is_ok());
            let explicit = sandbox
                .client_builder()
                .unwrap()
                .proxy(std::env::var(EXPLICIT).unwrap())
                .build()
                .unwrap();
            call(&explicit).unwrap();
            assert!(sandbox.take_requests()[0].signature.is_ok());
        }
        other => panic!("no role {other}"),
    }
}
