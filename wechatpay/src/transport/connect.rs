//! Opening a connection: DNS, TCP, TLS and the HTTP/1.1 handshake, all
//! within the connect timeout. Every failure here is a connect error: no
//! byte of the request has been written.

use std::{
    io,
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{
    key::PoolKey,
    pool::Connection,
    stream::Stream,
    tls::{TlsConfigs, TlsSettings},
};
use crate::Error;

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
