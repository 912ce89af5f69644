//! The `wechatpay` command-line tool.
//!
//! ```text
//! wechatpay request GET v3/certificates
//! wechatpay request --debug POST v2/pay/micropay '{"xml":{"appid":"wx…","mch_id":"1900000001",…}}'
//! wechatpay request --p12 apiclient_cert.p12 POST v2/secapi/pay/refund '{"security":true,"xml":{…}}'
//! wechatpay request --proxy http://proxy.internal:3128 GET v3/certificates
//! wechatpay request POST 'v3/payscore/serviceorder/{out_order_no}/sync' '{"out_order_no":"A1","json":{…}}'
//! wechatpay certificates download -k APIV3KEY -m MCHID -f apiclient_key.pem -s SERIAL -o .
//! wechatpay notify decrypt --timestamp … --nonce … --serial … --signature … < body.json
//! wechatpay sandbox --listen 127.0.0.1:8080 --keys-out ./sandbox-keys
//! ```
//!
//! Exit status: 0 success, 2 usage or configuration error, 3 WeChat Pay
//! answered an error, 4 an answer failed verification, 1 anything else.
//! Only a verified answer is printed to stdout; an error answer goes to
//! stderr, marked unverified when its signature did not check out.

#![deny(missing_docs)]

mod certificates;
mod config;
mod error;
mod notify;
mod request;
mod sandbox;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use error::CliError;

#[derive(Parser)]
#[command(
    name = "wechatpay",
    version,
    about = "WeChat Pay from the command line",
    after_help = "Exit status: 0 success, 2 usage or configuration error, 3 WeChat Pay answered \
                  an error, 4 an answer failed verification, 1 anything else. Only a verified \
                  answer is printed to stdout; error answers and --debug go to stderr.\n\n\
                  Try it without an account: `wechatpay sandbox --keys-out ./sandbox-keys`, \
                  then `. ./sandbox-keys/env.sh` in another shell."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One signed, verified call; prints the status line, headers and body.
    Request {
        #[command(flatten)]
        credentials: config::Credentials,
        /// Also print the signed request and the answer, as sent and
        /// received, to stderr (the signature and `sign` redacted).
        #[arg(long)]
        debug: bool,
        /// GET, POST, PUT, PATCH or DELETE.
        method: String,
        /// The URI template, e.g. v3/payscore/serviceorder/{out_order_no}/sync.
        template: String,
        /// The options map as JSON: path variables, json, query, headers,
        /// xml (APIv2), security…
        #[arg(value_name = "OPTIONS_JSON")]
        options: Option<String>,
    },
    /// Platform certificates.
    Certificates {
        #[command(subcommand)]
        command: CertificatesCommand,
    },
    /// Callbacks (notifications).
    Notify {
        #[command(subcommand)]
        command: NotifyCommand,
    },
    /// Run the embedded WeChat Pay sandbox until stopped.
    Sandbox(sandbox::SandboxArgs),
}

#[derive(Subcommand)]
enum CertificatesCommand {
    /// Download, decrypt and verify the platform certificates; write wechatpay_<SERIAL>.pem.
    Download(certificates::DownloadArgs),
}

#[derive(Subcommand)]
enum NotifyCommand {
    /// Verify a callback (body on stdin) and print its decrypted resource.
    Decrypt(notify::NotifyArgs),
}

/// Writes `text` to stdout; a reader that has gone (`| head`) is no error
/// of this command's.
fn stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn fail(e: &CliError) -> ExitCode {
    // One line, for scripts and logs.
    eprintln!("wechatpay: {}", e.to_string().replace('\n', " "));
    ExitCode::from(e.exit_code())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Request {
            credentials,
            debug,
            method,
            template,
            options,
        } => match request::run(&credentials, &method, &template, options.as_deref(), debug) {
            Ok(response) => {
                request::print(&mut std::io::stdout(), &response);
                ExitCode::SUCCESS
            }
            Err(e) => {
                // Never on stdout: a script that ignores the exit status
                // must not consume an answer that is an error or forged.
                if let CliError::WeChatPay(w) = &e {
                    if let Some(r) = w.response() {
                        let verified = w.api_error().is_some_and(|a| a.is_verified());
                        let mark = if verified {
                            "error answer"
                        } else {
                            "UNVERIFIED answer, do not trust"
                        };
                        if debug {
                            // `--debug` printed it as it arrived.
                            eprintln!("wechatpay: {mark} (shown above)");
                        } else {
                            eprintln!("wechatpay: {mark}:");
                            request::print(&mut std::io::stderr(), r);
                        }
                    }
                }
                fail(&e)
            }
        },
        Command::Certificates {
            command: CertificatesCommand::Download(args),
        } => match certificates::download(&args) {
            Ok(report) => {
                stdout(&report);
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Command::Notify {
            command: NotifyCommand::Decrypt(args),
        } => match notify::run(&args) {
            Ok(v) => {
                stdout(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                ));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Command::Sandbox(args) => match sandbox::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        },
    }
}
