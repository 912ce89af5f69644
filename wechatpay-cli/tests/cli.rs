//! The `wechatpay` binary, run as a user would: against a sandbox it started
//! itself (`wechatpay sandbox`), or one this test started, with credentials
//! from the files it wrote.

use std::{
    io::{BufRead, BufReader, Write},
    net::{Shutdown, TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, ChildStdout, Command, Output, Stdio},
    sync::{Arc, Mutex},
};

use serde_json::{Value, json};
use wechatpay::{
    crypto::{PrivateKey, aes_gcm},
    formatter,
};
use wechatpay_sandbox::{Sandbox, SandboxTls, Stub};

const BIN: &str = env!("CARGO_BIN_EXE_wechatpay");

/// The binary with none of the caller's WeChat Pay settings or proxies: each
/// test gives exactly what it means to.
fn wechatpay() -> Command {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        let n = name.to_string_lossy().to_ascii_uppercase();
        if n.starts_with("WECHATPAY_") || n.ends_with("_PROXY") {
            cmd.env_remove(&name);
        }
    }
    cmd
}

/// A sandbox's settings as `wechatpay sandbox --keys-out DIR` writes them:
/// sandbox.json and the PEM files, in a folder removed on drop.
struct Keys {
    dir: PathBuf,
    base_uri: String,
}

impl Drop for Keys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Keys {
    fn folder() -> PathBuf {
        std::env::temp_dir().join(format!("wechatpay-cli-{}", formatter::nonce(8)))
    }

    /// The files for a sandbox this test started.
    fn of(sandbox: &Sandbox) -> Keys {
        let k = sandbox.keys();
        let dir = Self::folder();
        std::fs::create_dir_all(&dir).unwrap();
        let json = json!({"mchid": k.mchid, "serial": k.serial, "public_key_id": k.public_key_id,
            "platform_cert_serial": k.platform_cert_serial, "apiv3_key": k.apiv3_key,
            "apiv2_secret": k.apiv2_secret, "base_uri": sandbox.base_uri()});
        for (name, text) in [
            ("sandbox.json", json.to_string()),
            (
                "merchant_private_key.pem",
                k.merchant_private_key_pem.clone(),
            ),
            ("platform_public_key.pem", k.platform_public_key_pem.clone()),
            ("platform_cert.pem", k.platform_cert_pem.clone()),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        Keys {
            dir,
            base_uri: sandbox.base_uri(),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.join("sandbox.json")).unwrap())
            .unwrap()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn get(&self, key: &str) -> String {
        self.json()[key].as_str().unwrap().to_string()
    }

    /// The APIv3 settings, as env.sh has them.
    fn v3(&self, cmd: &mut Command) {
        cmd.env("WECHATPAY_MCHID", self.get("mchid"))
            .env("WECHATPAY_SERIAL", self.get("serial"))
            .env(
                "WECHATPAY_PRIVATE_KEY",
                self.file("merchant_private_key.pem"),
            )
            .env(
                "WECHATPAY_CERTS",
                // Both keys, as a merchant mid-migration has them: the listing
                // is signed with the platform certificate, the rest with the key.
                format!(
                    "{}={},{}={}",
                    self.get("public_key_id"),
                    self.file("platform_public_key.pem").display(),
                    self.get("platform_cert_serial"),
                    self.file("platform_cert.pem").display()
                ),
            )
            .env("WECHATPAY_BASE_URI", &self.base_uri);
    }

    /// An APIv2-only merchant's settings: the merchant ID and the secret.
    fn v2(&self, cmd: &mut Command) {
        cmd.env("WECHATPAY_MCHID", self.get("mchid"))
            .env("WECHATPAY_SECRET", self.get("apiv2_secret"))
            .env("WECHATPAY_BASE_URI", &self.base_uri);
    }
}

/// `wechatpay sandbox`, stopped on drop.
struct Running {
    child: Child,
    /// Its stdout, kept open while it runs.
    _stdout: BufReader<ChildStdout>,
    keys: Keys,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl std::ops::Deref for Running {
    type Target = Keys;

    fn deref(&self) -> &Keys {
        &self.keys
    }
}

/// `wechatpay sandbox` with its defaults (public-key mode), keys written out.
fn sandbox() -> Running {
    let dir = Keys::folder();
    let mut child = wechatpay()
        .args(["sandbox", "--listen", "127.0.0.1:0", "--keys-out"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base_uri = line
        .trim()
        .strip_prefix("listening on ")
        .expect(&line)
        .to_string();
    Running {
        child,
        _stdout: stdout,
        keys: Keys { dir, base_uri },
    }
}

fn request(keys: &Keys, args: &[&str]) -> Output {
    let mut cmd = wechatpay();
    keys.v3(&mut cmd);
    cmd.arg("request").args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails with what the command said when it did not exit with `code`.
#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn sandbox_writes_its_keys_and_announces_itself() {
    let s = sandbox();
    assert!(s.base_uri.starts_with("http://127.0.0.1:") && s.base_uri.ends_with('/'));
    let json = s.json();
    for k in [
        "mchid",
        "serial",
        "public_key_id",
        "platform_cert_serial",
        "apiv3_key",
        "apiv2_secret",
        "base_uri",
    ] {
        assert!(json[k].is_string(), "{k}");
    }
    assert_eq!(json["base_uri"], s.base_uri.as_str());
    // env.sh sets what the other commands read, with absolute paths.
    let env = std::fs::read_to_string(s.file("env.sh")).unwrap();
    for name in [
        "WECHATPAY_BASE_URI",
        "WECHATPAY_MCHID",
        "WECHATPAY_SERIAL",
        "WECHATPAY_PRIVATE_KEY",
        "WECHATPAY_CERTS",
        "WECHATPAY_SECRET",
        "WECHATPAY_APIV3_KEY",
    ] {
        assert!(env.contains(&format!("export {name}='")), "{name}: {env}");
    }
    assert!(
        env.contains(&format!(
            "='{}'",
            s.file("merchant_private_key.pem").display()
        )),
        "{env}"
    );
    for f in [
        "merchant_private_key.pem",
        "platform_public_key.pem",
        "platform_cert.pem",
    ] {
        assert!(
            std::fs::read_to_string(s.file(f))
                .unwrap()
                .starts_with("-----BEGIN"),
            "{f}"
        );
    }
}

#[test]
fn request_exit_codes_follow_the_error_kind() {
    let s = sandbox();
    let ok = request(&s, &["GET", "v3/certificates"]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    assert!(
        out.contains("wechatpay-signature:") && out.contains("encrypt_certificate"),
        "{out}"
    );

    let api = request(
        &s,
        &[
            "GET",
            "v3/payscore/serviceorder",
            r#"{"query":{"out_order_no":"NOPE0001","service_id":"2002000000000558128851361561536","appid":"wxd678efh567hg6787"}}"#,
        ],
    );
    assert_eq!(api.status.code(), Some(3));
    // An error answer is never on stdout, where a script would take it
    // for the result; stderr has the answer, marked, then one summary line.
    assert!(api.stdout.is_empty(), "{api:?}");
    let err = String::from_utf8_lossy(&api.stderr);
    let (answer, summary) = stderr_parts(&err);
    assert!(
        answer.starts_with("wechatpay: error answer:\nHTTP/1.1 404"),
        "{err}"
    );
    assert!(answer.contains(r#""code":"ORDER_NOT_EXIST""#), "{err}");
    assert!(
        summary.starts_with("wechatpay: WeChat Pay answered 404 ORDER_NOT_EXIST"),
        "{err}"
    );

    let forged = request(
        &s,
        &[
            "GET",
            "v3/certificates",
            r#"{"headers":{"Wechatpay-Sandbox-Fault":"bad_signature"}}"#,
        ],
    );
    assert_eq!(forged.status.code(), Some(4));
    assert!(
        forged.stdout.is_empty(),
        "a forged answer never reaches stdout"
    );
    let err = String::from_utf8_lossy(&forged.stderr);
    let (answer, summary) = stderr_parts(&err);
    assert!(
        answer.starts_with("wechatpay: UNVERIFIED answer, do not trust:\nHTTP/1.1 200"),
        "{err}"
    );
    assert!(summary.contains("failed verification"), "{err}");

    let usage = request(&s, &["GET", "v3/x/{id}"]);
    assert_eq!(usage.status.code(), Some(2), "missing variable");
    let bad_json = request(&s, &["GET", "v3/x", "{not json"]);
    assert_eq!(bad_json.status.code(), Some(2));
    let dropped = request(
        &s,
        &[
            "GET",
            "v3/certificates",
            r#"{"headers":{"Wechatpay-Sandbox-Fault":"drop"}}"#,
        ],
    );
    assert_eq!(dropped.status.code(), Some(1));
    for (what, out) in [
        ("usage", &usage),
        ("bad json", &bad_json),
        ("dropped", &dropped),
    ] {
        assert!(out.stdout.is_empty(), "{what}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{what}: no answer, one line: {err}");
    }
}

/// A failed request's stderr: the answer it printed (if any), and the
/// one-line summary that always ends it.
fn stderr_parts(stderr: &str) -> (&str, &str) {
    let (answer, summary) = stderr
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or_else(|| panic!("an answer and a summary: {stderr}"));
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("wechatpay: "))
            .count(),
        2,
        "the mark and the summary: {stderr}"
    );
    (answer, summary)
}

#[test]
fn request_without_configuration_is_a_usage_error() {
    let out = wechatpay()
        .args(["request", "GET", "v3/certificates"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WECHATPAY_MCHID"));
}

#[test]
fn notify_decrypt_verifies_and_prints_the_resource() {
    let s = sandbox();
    let keys = wechatpay_sandbox::SandboxKeys::load().unwrap();
    let resource = r#"{"out_order_no":"A1","state":"DOING"}"#;
    let ciphertext = aes_gcm::encrypt(
        keys.apiv3_key.as_bytes(),
        b"0123456789ab",
        b"payscore",
        resource.as_bytes(),
    )
    .unwrap();
    let body = serde_json::json!({
        "id": "EV-1", "create_time": "2026-11-24T16:00:00+08:00", "resource_type": "encrypt-resource",
        "event_type": "PAYSCORE.USER_CONFIRM", "summary": "ok",
        "resource": {"original_type": "payscore", "algorithm": "AEAD_AES_256_GCM", "ciphertext": ciphertext,
                     "associated_data": "payscore", "nonce": "0123456789ab"}
    })
    .to_string();
    let ts = formatter::timestamp().to_string();
    let platform = PrivateKey::from_pem(&keys.platform_private_key_pem).unwrap();
    let run = |signature: &str| {
        let mut child = wechatpay()
            .args([
                "notify",
                "decrypt",
                "--timestamp",
                &ts,
                "--nonce",
                "n0nce",
                "--serial",
                &keys.public_key_id,
                "--signature",
                signature,
            ])
            .env(
                "WECHATPAY_CERTS",
                format!(
                    "{}={}",
                    keys.public_key_id,
                    s.file("platform_public_key.pem").display()
                ),
            )
            .env("WECHATPAY_APIV3_KEY", &keys.apiv3_key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let good = run(&platform
        .sign(formatter::response(&ts, "n0nce", &body))
        .unwrap());
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&good.stdout).unwrap();
    assert_eq!(printed["resource"]["out_order_no"], "A1");
    assert_eq!(printed["event_type"], "PAYSCORE.USER_CONFIRM");
    let forged = run(&platform
        .sign(formatter::response(&ts, "n0nce", "other"))
        .unwrap());
    assert_eq!(forged.status.code(), Some(4));
}

#[test]
fn certificates_download_writes_each_certificate() {
    let sandbox = wechatpay_sandbox::Sandbox::builder()
        .signing_mode(wechatpay_sandbox::SigningMode::Certificate)
        .start_blocking()
        .unwrap();
    let keys = sandbox.keys();
    let dir = std::env::temp_dir().join(format!("wechatpay-certs-{}", formatter::nonce(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("apiclient_key.pem");
    std::fs::write(&key_file, &keys.merchant_private_key_pem).unwrap();
    let run = |apiv3: &str| {
        wechatpay()
            .args([
                "certificates",
                "download",
                "-k",
                apiv3,
                "-m",
                &keys.mchid,
                "-s",
                &keys.serial,
                "-u",
                &sandbox.base_uri(),
            ])
            .arg("-f")
            .arg(&key_file)
            .arg("-o")
            .arg(&dir)
            .output()
            .unwrap()
    };
    let out = run(&keys.apiv3_key);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&keys.platform_cert_serial), "{stdout}");
    let written =
        std::fs::read_to_string(dir.join(format!("wechatpay_{}.pem", keys.platform_cert_serial)))
            .unwrap();
    assert_eq!(written.trim(), keys.platform_cert_pem.trim());
    let wrong = run("0123456789abcdef0123456789abcdef");
    assert_eq!(
        wrong.status.code(),
        Some(2),
        "a key that does not decrypt is a crypto error: the caller's configuration"
    );
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        !err.contains("0123456789abcdef"),
        "the key never shows: {err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The micropay of the PHP docs, with a payment code of its own.
fn micropay(mchid: &str, out_trade_no: &str, auth_code: &str) -> String {
    json!({"xml": {
        "appid": "wx8888888888888888", "mch_id": mchid, "body": "image形象店-深圳腾大- QQ公仔",
        "out_trade_no": out_trade_no, "total_fee": 888, "spbill_create_ip": "8.8.8.8",
        "auth_code": auth_code,
    }})
    .to_string()
}

#[test]
fn apiv2_micropay_needs_only_the_mchid_and_the_secret() {
    let s = sandbox();
    let mchid = s.get("mchid");
    let secret = s.get("apiv2_secret");
    let micropay_with = |configure: &dyn Fn(&mut Command), out_trade_no: &str, auth_code: &str| {
        let mut cmd = wechatpay();
        cmd.arg("request");
        configure(&mut cmd);
        cmd.args(["POST", "v2/pay/micropay"])
            .arg(micropay(&mchid, out_trade_no, auth_code))
            .output()
            .unwrap()
    };
    let never_shown = |out: &Output| {
        for stream in [&out.stdout, &out.stderr] {
            assert!(!text(stream).contains(&secret), "the secret showed");
        }
    };

    // From the environment: WECHATPAY_MCHID and WECHATPAY_SECRET, nothing of APIv3.
    let paid = micropay_with(&|c| s.v2(c), "CLIV2000000000001", "134567890123456789");
    assert_exit(&paid, 0);
    let out = text(&paid.stdout);
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    assert!(
        out.contains("<result_code>SUCCESS</result_code>") && out.contains("<transaction_id>"),
        "{out}"
    );
    never_shown(&paid);

    // The same with flags.
    let flags = micropay_with(
        &|c| {
            c.args([
                "--mchid",
                &mchid,
                "--secret",
                &secret,
                "--base-uri",
                &s.base_uri,
            ]);
        },
        "CLIV2000000000002",
        "134567890123456788",
    );
    assert_exit(&flags, 0);
    never_shown(&flags);

    // A FAIL is WeChat Pay's error: exit 3, nothing on stdout, the code on stderr.
    let reused = micropay_with(&|c| s.v2(c), "CLIV2000000000003", "134567890123456789");
    assert_exit(&reused, 3);
    assert!(reused.stdout.is_empty());
    let err = text(&reused.stderr);
    assert!(
        err.starts_with("wechatpay: error answer:\nHTTP/1.1 200"),
        "{err}"
    );
    assert!(err.contains("<result_code>FAIL</result_code>"), "{err}");
    never_shown(&reused);

    // Neither APIv3 settings nor the secret: told what to give.
    let nothing = micropay_with(
        &|c| {
            c.env("WECHATPAY_MCHID", &mchid);
        },
        "CLIV2000000000004",
        "134567890123456787",
    );
    assert_exit(&nothing, 2);
    assert!(text(&nothing.stderr).contains("--secret"), "{nothing:?}");

    // A wrong secret: WeChat Pay answers FAIL 签名错误, unsigned as it
    // does, so the error is shown as a claim.
    let wrong = micropay_with(
        &|c| {
            s.v2(c);
            c.env("WECHATPAY_SECRET", "another-32-character-secret-0000");
        },
        "CLIV2000000000005",
        "134567890123456786",
    );
    assert_exit(&wrong, 3);
    assert!(wrong.stdout.is_empty());
    let err = text(&wrong.stderr);
    assert!(err.contains("UNVERIFIED answer, do not trust"), "{err}");
    assert!(err.contains("claims FAIL"), "{err}");
    assert!(!err.contains("another-32"), "{err}");
}

fn tls_file(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../wechatpay/tests/keys/tls"
    ))
    .join(name)
}

#[test]
fn apiv2_security_presents_the_client_certificate_from_pem_or_p12() {
    let read = |name: &str| std::fs::read_to_string(tls_file(name)).unwrap();
    // WeChat Pay's secured APIv2 calls need the merchant's client certificate.
    let sandbox = Sandbox::builder()
        .tls(SandboxTls {
            cert_pem: read("server.pem"),
            key_pem: read("server.key"),
            client_ca_pem: Some(read("ca.pem")),
        })
        .start_blocking()
        .unwrap();
    sandbox.stub(Stub::new("POST", "/secapi/pay/refund").xml(&[
        ("return_code", "SUCCESS"),
        ("result_code", "SUCCESS"),
        ("refund_id", "50000000382019052709732678859"),
    ]));
    let keys = Keys::of(&sandbox);
    let refund = json!({"security": true, "xml": {
        "appid": "wx8888888888888888", "mch_id": keys.get("mchid"),
        "out_trade_no": "1217752501201407033233368018", "out_refund_no": "1217752501201407033233368018",
        "total_fee": 888, "refund_fee": 888,
    }})
    .to_string();
    let path = |name: &str| tls_file(name).display().to_string();
    let refund_with = |flags: &[&str], ca: bool| {
        let mut cmd = wechatpay();
        keys.v2(&mut cmd);
        if ca {
            // The test CA, which signed the sandbox's server certificate.
            cmd.env("WECHATPAY_ROOT_CERTIFICATE", tls_file("ca.pem"));
        }
        cmd.arg("request")
            .args(flags)
            .args(["POST", "v2/secapi/pay/refund", &refund])
            .output()
            .unwrap()
    };

    for flags in [
        vec!["--p12", &path("client.p12")],
        vec!["--p12", &path("client.legacy.p12")],
        vec![
            "--client-cert",
            &path("client.pem"),
            "--client-key",
            &path("client.key"),
        ],
    ] {
        let out = refund_with(&flags, true);
        assert_exit(&out, 0);
        assert!(text(&out.stdout).contains("<refund_id>50000000382019052709732678859"));
    }
    let mut cmd = wechatpay();
    keys.v2(&mut cmd);
    let from_env = cmd
        .env("WECHATPAY_P12", tls_file("client.p12"))
        .env("WECHATPAY_ROOT_CERTIFICATE", tls_file("ca.pem"))
        .args(["request", "POST", "v2/secapi/pay/refund", &refund])
        .output()
        .unwrap();
    assert_exit(&from_env, 0);
    let seen = sandbox.take_requests();
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|r| r.signature.is_ok()), "{seen:?}");

    // Each mistake is a usage error that names the flag to give; nothing is sent.
    for (flags, says) in [
        (vec![], "--p12"),
        (vec!["--client-cert", &path("client.pem")], "--client-key"),
        (vec!["--client-key", &path("client.key")], "--client-cert"),
        (
            vec![
                "--p12",
                &path("client.p12"),
                "--client-cert",
                &path("client.pem"),
                "--client-key",
                &path("client.key"),
            ],
            "not both",
        ),
    ] {
        let out = refund_with(&flags, true);
        assert_exit(&out, 2);
        let err = text(&out.stderr);
        assert!(err.contains(says), "{flags:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // Without the test CA the sandbox's certificate is not trusted: no
    // connection, so nothing was sent.
    let untrusted = refund_with(&["--p12", &path("client.p12")], false);
    assert_exit(&untrusted, 1);
    assert!(sandbox.take_requests().is_empty());
}

#[test]
fn debug_shows_the_exchange_on_stderr_with_the_signatures_redacted() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let keys = Keys::of(&sandbox);
    let plain = request(&keys, &["GET", "v3/certificates"]);
    let debugged = request(&keys, &["--debug", "GET", "v3/certificates"]);
    assert_exit(&plain, 0);
    assert_exit(&debugged, 0);
    // stdout is the verified answer alone, with or without --debug.
    for out in [&plain, &debugged] {
        let stdout = text(&out.stdout);
        assert!(stdout.starts_with("HTTP/1.1 200 OK\n"), "{stdout}");
        assert!(
            !stdout
                .lines()
                .any(|l| l.starts_with("> ") || l.starts_with("< ")),
            "{stdout}"
        );
    }
    assert!(plain.stderr.is_empty());
    let err = text(&debugged.stderr);
    let base = keys.base_uri.trim_end_matches('/');
    assert!(
        err.starts_with(&format!("> GET {base}/v3/certificates\n")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "> authorization: WECHATPAY2-SHA256-RSA2048 mchid=\"{}\"",
            keys.get("mchid")
        )),
        "{err}"
    );
    assert!(err.contains("signature=\"<redacted>\""), "{err}");
    assert!(err.contains("\n< HTTP/1.1 200 OK\n"), "{err}");
    assert!(err.contains("< wechatpay-serial: "), "{err}");
    assert!(
        err.contains("encrypt_certificate"),
        "the answer's body: {err}"
    );
    let seen = sandbox.take_requests();
    let authorization = seen[1].headers["authorization"].to_str().unwrap();
    let signature = authorization
        .split("signature=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    assert!(signature.len() > 100 && !err.contains(signature), "{err}");

    // APIv2: the XML both ways, each `sign` redacted, the secret nowhere.
    let mut cmd = wechatpay();
    keys.v2(&mut cmd);
    let v2 = cmd
        .args(["request", "--debug", "POST", "v2/pay/micropay"])
        .arg(micropay(
            &keys.get("mchid"),
            "CLIDEBUG000000001",
            "134567890123456785",
        ))
        .output()
        .unwrap();
    assert_exit(&v2, 0);
    let err = text(&v2.stderr);
    assert!(
        err.starts_with(&format!("> POST {base}/pay/micropay\n")),
        "{err}"
    );
    assert!(
        err.contains("<auth_code>134567890123456785</auth_code>"),
        "{err}"
    );
    assert_eq!(err.matches("<sign><redacted></sign>").count(), 2, "{err}");
    let sent = seen_v2_sign(&sandbox);
    assert!(!err.contains(&sent), "{err}");
    assert!(!err.contains(&keys.get("apiv2_secret")), "{err}");
    let answer_sign = text(&v2.stdout)
        .split("<sign>")
        .nth(1)
        .and_then(|s| s.split("</sign>").next())
        .unwrap()
        .to_string();
    assert!(!err.contains(&answer_sign), "{err}");

    // An error answer: stderr has the exchange once, the mark and the summary.
    let e = request(
        &keys,
        &[
            "--debug",
            "GET",
            "v3/payscore/serviceorder",
            r#"{"query":{"out_order_no":"NOPE0001","service_id":"2002000000000558128851361561536","appid":"wxd678efh567hg6787"}}"#,
        ],
    );
    assert_exit(&e, 3);
    assert!(e.stdout.is_empty());
    let err = text(&e.stderr);
    assert_eq!(
        err.matches("ORDER_NOT_EXIST\",\"message").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("\nwechatpay: error answer (shown above)\n"),
        "{err}"
    );
}

/// The `sign` of the last APIv2 request the sandbox got.
fn seen_v2_sign(sandbox: &Sandbox) -> String {
    let seen = sandbox.take_requests();
    let fields = seen.last().unwrap().v2_fields().unwrap();
    fields["sign"].as_str().unwrap().to_string()
}

#[test]
fn certificates_download_works_against_the_sandbox_as_started_by_default() {
    // `wechatpay sandbox` with no flags signs in public-key mode, and its
    // listing with the platform certificate, as WeChat Pay does.
    let s = sandbox();
    let out_dir = s.file("downloaded");
    let mut cmd = wechatpay();
    s.v3(&mut cmd);
    let out = cmd
        .args(["certificates", "download", "-o"])
        .arg(&out_dir)
        .env("WECHATPAY_APIV3_KEY", s.get("apiv3_key"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let serial = s.get("platform_cert_serial");
    assert!(text(&out.stdout).contains(&format!("Serial Number: {serial}")));
    let written = std::fs::read_to_string(out_dir.join(format!("wechatpay_{serial}.pem"))).unwrap();
    let shipped = std::fs::read_to_string(s.file("platform_cert.pem")).unwrap();
    assert_eq!(written.trim(), shipped.trim());
    assert!(!text(&out.stderr).contains(&s.get("apiv3_key")));

    // Piped into a reader that has gone (`| head -0`): still a success.
    let mut cmd = wechatpay();
    s.v3(&mut cmd);
    let mut child = cmd
        .args(["certificates", "download", "-o"])
        .arg(s.file("again"))
        .env("WECHATPAY_APIV3_KEY", s.get("apiv3_key"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let gone = child.wait_with_output().unwrap();
    assert_exit(&gone, 0);
    assert!(
        s.file("again")
            .join(format!("wechatpay_{serial}.pem"))
            .exists()
    );
}

#[test]
fn certificates_download_for_a_public_key_merchant_says_what_to_do() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let keys = Keys::of(&sandbox);
    for (status, code) in [(404, "NOT_FOUND"), (403, "NO_AUTH")] {
        // What WeChat Pay answers a merchant that has no platform certificates.
        sandbox.stub(
            Stub::path("/v3/certificates")
                .status(status)
                .json(json!({"code": code, "message": "无可用的平台证书"}))
                .times(1),
        );
        let out_dir = keys.file(&format!("downloaded-{status}"));
        let out = download(&keys, &out_dir);
        assert_exit(&out, 3);
        assert!(out.stdout.is_empty(), "{out:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("status {status} claims {code}")),
            "{err}"
        );
        for advice in [
            "public-key mode",
            "nothing to download",
            "PUB_KEY_ID_",
            "pub_key.pem",
        ] {
            assert!(err.contains(advice), "{advice}: {err}");
        }
        assert!(!out_dir.exists(), "nothing written");
    }
    // Any other error gets no such advice.
    sandbox.stub(
        Stub::path("/v3/certificates")
            .status(500)
            .json(json!({"code": "SYSTEM_ERROR", "message": "busy"}))
            .times(1),
    );
    let out = download(&keys, &keys.file("downloaded-500"));
    assert_exit(&out, 3);
    assert!(!text(&out.stderr).contains("public-key mode"));
}

/// `certificates download` with PHP's CertificateDownloader flags.
fn download(keys: &Keys, out_dir: &std::path::Path) -> Output {
    wechatpay()
        .args(["certificates", "download", "-m", &keys.get("mchid")])
        .args(["-s", &keys.get("serial"), "-u", &keys.base_uri, "-k"])
        .arg(keys.get("apiv3_key"))
        .arg("-f")
        .arg(keys.file("merchant_private_key.pem"))
        .arg("-o")
        .arg(out_dir)
        .output()
        .unwrap()
}

/// An HTTP CONNECT proxy on loopback that tunnels every connection and
/// records each `CONNECT` line; it serves until the test process ends.
fn connect_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let record = record.clone();
            std::thread::spawn(move || tunnel(client, &record));
        }
    });
    (uri, seen)
}

fn tunnel(client: TcpStream, record: &Mutex<Vec<String>>) {
    let mut from_client = BufReader::new(client.try_clone().unwrap());
    let mut line = String::new();
    from_client.read_line(&mut line).unwrap();
    loop {
        let mut header = String::new();
        if from_client.read_line(&mut header).unwrap() == 0 || header == "\r\n" {
            break;
        }
    }
    let target = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    record.lock().unwrap().push(line.trim_end().to_string());
    let Ok(mut upstream) = TcpStream::connect(&target) else {
        let _ = (&client).write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
        return;
    };
    (&client)
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .unwrap();
    let (mut down, mut to_client) = (upstream.try_clone().unwrap(), client);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut down, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut from_client, &mut upstream);
    let _ = upstream.shutdown(Shutdown::Write);
}

#[test]
fn proxy_flag_sends_calls_through_the_proxy() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let keys = Keys::of(&sandbox);
    let (proxy, seen) = connect_proxy();
    let target = keys
        .base_uri
        .trim_start_matches("http://")
        .trim_end_matches('/');

    let out = request(&keys, &["--proxy", &proxy, "GET", "v3/certificates"]);
    assert_exit(&out, 0);
    let mut cmd = wechatpay();
    keys.v3(&mut cmd);
    let download = cmd
        .args(["certificates", "download", "--proxy", &proxy, "-o"])
        .arg(keys.file("downloaded"))
        .env("WECHATPAY_APIV3_KEY", keys.get("apiv3_key"))
        .output()
        .unwrap();
    assert_exit(&download, 0);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![format!("CONNECT {target} HTTP/1.1"); 2],
        "both calls went through the proxy"
    );

    // A scheme the library does not speak is a configuration error.
    let socks4 = request(
        &keys,
        &[
            "--proxy",
            "socks4://127.0.0.1:1080",
            "GET",
            "v3/certificates",
        ],
    );
    assert_exit(&socks4, 2);
    // A proxy that cannot be reached: no connection, and its password shows nowhere.
    let down = request(
        &keys,
        &[
            "--proxy",
            "http://alice:s3cret@127.0.0.1:1",
            "GET",
            "v3/certificates",
        ],
    );
    assert_exit(&down, 1);
    assert!(!text(&down.stderr).contains("s3cret"), "{down:?}");
    assert_eq!(
        sandbox.take_requests().len(),
        2,
        "only the proxied calls arrived"
    );
}

#[test]
fn help_never_echoes_a_secret_from_the_environment() {
    for args in [
        &["request", "--help"][..],
        &["certificates", "download", "--help"],
    ] {
        let out = wechatpay()
            .args(args)
            .env("WECHATPAY_SECRET", "s3cret-apiv2-value")
            .env("WECHATPAY_APIV3_KEY", "s3cret-apiv3-value")
            .env(
                "WECHATPAY_PROXY",
                "http://alice:s3cret-proxy@127.0.0.1:3128",
            )
            .env("WECHATPAY_MCHID", "1900000001")
            .output()
            .unwrap();
        assert_exit(&out, 0);
        let help = text(&out.stdout);
        assert!(!help.contains("s3cret"), "{help}");
        // Settings that are not secret still show, to help a user check them.
        assert!(help.contains("WECHATPAY_MCHID=1900000001"), "{help}");
    }
}
