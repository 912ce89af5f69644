//! Opening a connection: DNS, TCP, TLS and the HTTP/1.1 handshake, all
//! within the connect timeout. Every failure here is a connect error: no
//! byte of the request has been written.

use std::{
    io,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use hyper_util::rt::TokioIo;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};
use tokio_rustls::{TlsConnector, client::TlsStream};

use super::{
    pool::{Connection, PoolKey},
    tls::{TlsConfigs, TlsSettings},
};
use crate::Error;

/// A TCP stream, plain or in TLS.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
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

/// Opens connections.
pub(crate) struct Connector {
    connect_timeout: Duration,
    tls: TlsConfigs,
}

impl Connector {
    pub(crate) fn new(connect_timeout: Duration, tls: TlsSettings) -> Result<Self, Error> {
        Ok(Self {
            connect_timeout,
            tls: TlsConfigs::new(tls)?,
        })
    }

    pub(crate) fn has_identity(&self) -> bool {
        self.tls.has_identity()
    }

    /// A new connection for `key`, within the connect timeout.
    pub(crate) async fn connect(&self, key: &PoolKey) -> Result<Connection, Error> {
        match tokio::time::timeout(self.connect_timeout, self.open(key)).await {
            Ok(r) => r,
            Err(_) => Err(Error::timeout(
                self.connect_timeout,
                true,
                crate::error::Reach::NotSent,
            )),
        }
    }

    async fn open(&self, key: &PoolKey) -> Result<Connection, Error> {
        let tcp = tcp(key).await?;
        let stream = if key.https {
            let config = self.tls.for_key(key)?;
            let name =
                rustls::pki_types::ServerName::try_from(key.host.to_string()).map_err(|e| {
                    Error::connect(format!("`{}` is not a TLS server name", key.host), e)
                })?;
            let tls = TlsConnector::from(Arc::clone(config))
                .connect(name, tcp)
                .await
                .map_err(|e| Error::connect(format!("the TLS handshake with {key} failed"), e))?;
            Stream::Tls(Box::new(tls))
        } else {
            Stream::Plain(tcp)
        };
        let (sender, conn) = hyper::client::conn::http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Error::connect(format!("the HTTP handshake with {key} failed"), e))?;
        Ok(Connection::new(sender, conn))
    }
}

/// A TCP connection to the first address of `key.host` that answers.
async fn tcp(key: &PoolKey) -> Result<TcpStream, Error> {
    let host = key.host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        // No resolver round trip (a thread hop) for an address.
        Ok(ip) => vec![SocketAddr::new(ip, key.port)],
        Err(_) => tokio::net::lookup_host((host, key.port))
            .await
            .map_err(|e| Error::connect(format!("cannot resolve `{host}`"), e))?
            .collect(),
    };
    let mut last = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                // Requests are written whole; waiting to coalesce only adds latency.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    let cause = last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"));
    Err(Error::connect(format!("cannot connect to {key}"), cause))
}
