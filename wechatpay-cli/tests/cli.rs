//! The `wechatpay` binary, run as a user would: against a sandbox it started
//! itself, with credentials from the files it wrote.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use wechatpay::{
    crypto::{PrivateKey, aes_gcm},
    formatter,
};

const BIN: &str = env!("CARGO_BIN_EXE_wechatpay");

struct Running {
    child: Child,
    dir: std::path::PathBuf,
    base_uri: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn sandbox() -> Running {
    let dir = std::env::temp_dir().join(format!("wechatpay-cli-{}", formatter::nonce(8)));
    let mut child = Command::new(BIN)
        .args(["sandbox", "--listen", "127.0.0.1:0", "--keys-out"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_uri = line
        .trim()
        .strip_prefix("listening on ")
        .expect(&line)
        .to_string();
    Running {
        child,
        dir,
        base_uri,
    }
}

fn request(s: &Running, args: &[&str]) -> std::process::Output {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.dir.join("sandbox.json")).unwrap())
            .unwrap();
    Command::new(BIN)
        .arg("request")
        .args(args)
        .env("WECHATPAY_MCHID", json["mchid"].as_str().unwrap())
        .env("WECHATPAY_SERIAL", json["serial"].as_str().unwrap())
        .env(
            "WECHATPAY_PRIVATE_KEY",
            s.dir.join("merchant_private_key.pem"),
        )
        .env(
            "WECHATPAY_CERTS",
            // Both keys, as a merchant mid-migration has them: the listing
            // is signed with the platform certificate, the rest with the key.
            format!(
                "{}={},{}={}",
                json["public_key_id"].as_str().unwrap(),
                s.dir.join("platform_public_key.pem").display(),
                json["platform_cert_serial"].as_str().unwrap(),
                s.dir.join("platform_cert.pem").display()
            ),
        )
        .env("WECHATPAY_BASE_URI", &s.base_uri)
        .output()
        .unwrap()
}

#[test]
fn sandbox_writes_its_keys_and_announces_itself() {
    let s = sandbox();
    assert!(s.base_uri.starts_with("http://127.0.0.1:") && s.base_uri.ends_with('/'));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.dir.join("sandbox.json")).unwrap())
            .unwrap();
    for k in [
        "mchid",
        "serial",
        "public_key_id",
        "platform_cert_serial",
        "apiv3_key",
        "base_uri",
    ] {
        assert!(json[k].is_string(), "{k}");
    }
    assert_eq!(json["base_uri"], s.base_uri.as_str());
    for f in [
        "merchant_private_key.pem",
        "platform_public_key.pem",
        "platform_cert.pem",
    ] {
        assert!(
            std::fs::read_to_string(s.dir.join(f))
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
    let out = Command::new(BIN)
        .args(["request", "GET", "v3/certificates"])
        .env_remove("WECHATPAY_MCHID")
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
        let mut child = Command::new(BIN)
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
                    s.dir.join("platform_public_key.pem").display()
                ),
            )
            .env("WECHATPAY_APIV3_KEY", &keys.apiv3_key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
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
        Command::new(BIN)
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
            .env_remove("WECHATPAY_APIV3_KEY")
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
