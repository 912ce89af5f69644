//! A tunnel to the target through a proxy: HTTP `CONNECT` (over TLS to an
//! `https://` proxy) or SOCKS5 (RFC 1928, with RFC 1929's user name and
//! password). What comes out is a byte stream to the target, on which the
//! connector then runs TLS and HTTP as on a direct connection.
//!
//! Plain-http targets go through a `CONNECT` tunnel too, rather than as
//! absolute-form requests to the proxy: one code path, and the proxy never
//! sees a request, its headers or its Authorization.
//!
//! Every failure here is a connect error: nothing of the request has been
//! written. Messages name the proxy without its password.

use std::{fmt, net::IpAddr, sync::Arc};

use base64::Engine;
use rustls::ClientConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{
    key::PoolKey,
    proxy::{Proxy, Scheme},
    stream::{Stream, resolve},
};
use crate::Error;

/// The longest `CONNECT` answer head read before giving up on the proxy.
const MAX_HEAD: usize = 16 * 1024;

/// Why a proxy would not open a tunnel, as the source of a connect error.
#[derive(Debug)]
struct Refusal(String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// A connection to the proxy, for messages about it.
struct Through<'a> {
    proxy: &'a Proxy,
    key: &'a PoolKey,
}

impl Through<'_> {
    fn refused(&self, why: impl Into<String>) -> Error {
        Error::connect(
            format!(
                "the proxy {} would not open a tunnel to {}",
                self.proxy,
                self.key.target()
            ),
            Refusal(why.into()),
        )
    }

    fn broke(&self, e: std::io::Error) -> Error {
        Error::connect(
            format!(
                "the proxy {} failed while opening a tunnel to {}",
                self.proxy,
                self.key.target()
            ),
            e,
        )
    }
}

/// A stream to `key`'s target through `proxy`. `tls` is the configuration
/// for an `https://` proxy: the system roots and any extra root
/// certificates, and never the merchant's client certificate.
pub(crate) async fn open(
    proxy: &Proxy,
    key: &PoolKey,
    tls: &Arc<ClientConfig>,
) -> Result<Stream, Error> {
    let what = format!("the proxy {proxy} (on the way to {})", key.target());
    let mut stream = Stream::tcp(&proxy.host, proxy.port, &what).await?;
    if proxy.scheme == Scheme::Https {
        stream = stream.tls(tls, &proxy.host, &what).await?;
    }
    let through = Through { proxy, key };
    if proxy.is_socks() {
        socks5(&mut stream, &through).await?;
    } else {
        connect(&mut stream, &through).await?;
    }
    Ok(stream)
}

/// `CONNECT host:port`, and a 2xx answer.
async fn connect(stream: &mut Stream, through: &Through<'_>) -> Result<(), Error> {
    let authority = format!("{}:{}", through.key.host, through.key.port);
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(c) = &through.proxy.credentials {
        let mut pair = c.user.clone();
        pair.push(b':');
        pair.extend_from_slice(&c.password);
        let basic = base64::engine::general_purpose::STANDARD.encode(pair);
        head.push_str(&format!("Proxy-Authorization: Basic {basic}\r\n"));
    }
    head.push_str("\r\n");
    send(stream, head.as_bytes(), through).await?;

    // Read byte by byte up to the blank line: whatever follows it is the
    // target's, and must be left on the stream. Only a handful of bytes,
    // once per connection.
    let mut answer = Vec::with_capacity(128);
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= MAX_HEAD {
            return Err(through.refused(format!(
                "its answer to CONNECT has no end within {MAX_HEAD} bytes"
            )));
        }
        answer.push(stream.read_u8().await.map_err(|e| through.broke(e))?);
    }
    let status_line = answer
        .split(|&b| b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim_end().to_string())
        .unwrap_or_default();
    let mut words = status_line.splitn(3, ' ');
    let (version, code) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let said = crate::error::escaped(&status_line);
    let status = match code.parse::<u16>() {
        Ok(s) if version.starts_with("HTTP/1.") && code.len() == 3 => s,
        _ => return Err(through.refused(format!("it answered CONNECT with `{said}`, not HTTP"))),
    };
    match status {
        200..=299 => Ok(()),
        407 if through.proxy.credentials.is_some() => {
            Err(through.refused(format!("it rejected the credentials (`{said}`)")))
        }
        407 => Err(through.refused(format!(
            "it asks for credentials (`{said}`): give them in the proxy URI"
        ))),
        _ => Err(through.refused(format!("it answered CONNECT with `{said}`"))),
    }
}

/// RFC 1928's greeting, RFC 1929's user name and password if asked for,
/// and a CONNECT to the target.
async fn socks5(stream: &mut Stream, through: &Through<'_>) -> Result<(), Error> {
    const NO_AUTH: u8 = 0x00;
    const USER_PASS: u8 = 0x02;
    let credentials = through.proxy.credentials.as_ref();
    let greeting: &[u8] = if credentials.is_some() {
        &[5, 2, NO_AUTH, USER_PASS]
    } else {
        &[5, 1, NO_AUTH]
    };
    send(stream, greeting, through).await?;
    let mut choice = [0u8; 2];
    read(stream, &mut choice, through).await?;
    if choice[0] != 5 {
        return Err(through.refused("it does not speak SOCKS5"));
    }
    match (choice[1], credentials) {
        (NO_AUTH, _) => {}
        (USER_PASS, Some(c)) => {
            let mut auth = vec![1, c.user.len() as u8];
            auth.extend_from_slice(&c.user);
            auth.push(c.password.len() as u8);
            auth.extend_from_slice(&c.password);
            send(stream, &auth, through).await?;
            let mut status = [0u8; 2];
            read(stream, &mut status, through).await?;
            if status[1] != 0 {
                return Err(through.refused("it rejected the user name and password"));
            }
        }
        (0xFF, None) | (USER_PASS, None) => {
            return Err(
                through.refused("it asks for a user name and password: give them in the proxy URI")
            );
        }
        (0xFF, Some(_)) => {
            return Err(through
                .refused("it accepts neither no authentication nor a user name and password"));
        }
        (other, _) => {
            return Err(through.refused(format!(
                "it chose the authentication method {other:#04x}, which was not offered"
            )));
        }
    }

    let mut request = vec![5, 1, 0];
    push_address(&mut request, through).await?;
    request.extend_from_slice(&through.key.port.to_be_bytes());
    send(stream, &request, through).await?;
    let mut reply = [0u8; 4];
    read(stream, &mut reply, through).await?;
    if reply[0] != 5 {
        return Err(through.refused("its reply to CONNECT is not SOCKS5"));
    }
    if reply[1] != 0 {
        return Err(through.refused(format!(
            "it answered CONNECT with {:#04x}: {}",
            reply[1],
            socks_reply(reply[1])
        )));
    }
    // The address the proxy bound, which the client has no use for.
    let bound = match reply[3] {
        1 => 4,
        4 => 16,
        3 => usize::from(stream.read_u8().await.map_err(|e| through.broke(e))?),
        other => {
            return Err(through.refused(format!(
                "its reply names an unknown address type {other:#04x}"
            )));
        }
    };
    let mut rest = vec![0u8; bound + 2];
    read(stream, &mut rest, through).await?;
    Ok(())
}

async fn read(stream: &mut Stream, buf: &mut [u8], through: &Through<'_>) -> Result<(), Error> {
    stream.read_exact(buf).await.map_err(|e| through.broke(e))?;
    Ok(())
}

async fn send(stream: &mut Stream, bytes: &[u8], through: &Through<'_>) -> Result<(), Error> {
    stream
        .write_all(bytes)
        .await
        .map_err(|e| through.broke(e))?;
    stream.flush().await.map_err(|e| through.broke(e))
}

/// The target's address as SOCKS5 takes it: the name for `socks5h://`
/// (the proxy resolves it), an address resolved here for `socks5://`.
async fn push_address(request: &mut Vec<u8>, through: &Through<'_>) -> Result<(), Error> {
    let host = through
        .key
        .host
        .trim_start_matches('[')
        .trim_end_matches(']');
    let ip = match host.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) if through.proxy.scheme == Scheme::Socks5h => {
            let name = host.as_bytes();
            let len = u8::try_from(name.len()).map_err(|_| {
                through.refused("the target's name is longer than SOCKS5's 255 bytes")
            })?;
            request.extend_from_slice(&[3, len]);
            request.extend_from_slice(name);
            return Ok(());
        }
        Err(_) => resolve(host, through.key.port)
            .await?
            .first()
            .map(|a| a.ip())
            .ok_or_else(|| through.refused(format!("`{host}` resolved to no address")))?,
    };
    match ip {
        IpAddr::V4(v4) => {
            request.push(1);
            request.extend_from_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            request.push(4);
            request.extend_from_slice(&v6.octets());
        }
    }
    Ok(())
}

/// RFC 1928's words for a reply code.
fn socks_reply(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned reply code",
    }
}
