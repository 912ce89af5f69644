//! The byte stream under a connection: TCP, plain or in TLS, and TLS
//! inside TLS (an https target through an `https://` proxy).

use std::{
    fmt, io,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use rustls::{ClientConfig, pki_types::ServerName};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};
use tokio_rustls::{TlsConnector, client::TlsStream};

use crate::Error;

/// A TCP stream, plain or in TLS (over TCP, or over TLS to a proxy).
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<Stream>>),
}

/// The addresses of `host` (a name, or an address with or without brackets).
pub(crate) async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Error> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        // No resolver round trip (a thread hop) for an address.
        Ok(ip) => Ok(vec![SocketAddr::new(ip, port)]),
        Err(_) => Ok(tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| Error::connect(format!("cannot resolve `{host}`"), e))?
            .collect()),
    }
}

impl Stream {
    /// A TCP connection to the first address of `host` that answers;
    /// `what` names it in the error.
    pub(crate) async fn tcp(
        host: &str,
        port: u16,
        what: &(dyn fmt::Display + Sync),
    ) -> Result<Self, Error> {
        let mut last = None;
        for address in resolve(host, port).await? {
            match TcpStream::connect(address).await {
                Ok(stream) => {
                    // Requests are written whole; waiting to coalesce only adds latency.
                    let _ = stream.set_nodelay(true);
                    return Ok(Stream::Plain(stream));
                }
                Err(e) => last = Some(e),
            }
        }
        let cause = last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"));
        Err(Error::connect(format!("cannot connect to {what}"), cause))
    }

    /// This stream inside TLS with `host`, verified by `config`.
    pub(crate) async fn tls(
        self,
        config: &Arc<ClientConfig>,
        host: &str,
        what: &(dyn fmt::Display + Sync),
    ) -> Result<Self, Error> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| Error::connect(format!("`{host}` is not a TLS server name"), e))?;
        let tls = TlsConnector::from(Arc::clone(config))
            .connect(name, self)
            .await
            .map_err(|e| Error::connect(format!("the TLS handshake with {what} failed"), e))?;
        Ok(Stream::Tls(Box::new(tls)))
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
}
