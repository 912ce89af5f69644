//! Opening a connection: DNS, TCP, a tunnel through the proxy if there is
//! one, TLS and the HTTP/1.1 handshake, all within the connect timeout.
//! Every failure here is a connect error: no byte of the request has been
//! written.

use std::time::Duration;

use hyper_util::rt::TokioIo;

use super::{
    key::PoolKey,
    pool::Connection,
    stream::Stream,
    tls::{TlsConfigs, TlsSettings},
    tunnel,
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

    /// A new connection for `key`, within `timeout` (the call's
    /// `connect_timeout` option) or the builder's connect timeout.
    pub(crate) async fn connect(
        &self,
        key: &PoolKey,
        timeout: Option<Duration>,
    ) -> Result<Connection, Error> {
        let timeout = timeout.unwrap_or(self.connect_timeout);
        match tokio::time::timeout(timeout, self.open(key)).await {
            Ok(r) => r,
            Err(_) => Err(Error::timeout(timeout, true, crate::error::Reach::NotSent)),
        }
    }

    async fn open(&self, key: &PoolKey) -> Result<Connection, Error> {
        let stream = match &key.proxy {
            None => Stream::tcp(&key.host, key.port, key).await?,
            Some(proxy) => tunnel::open(proxy, key, self.tls.plain()).await?,
        };
        let stream = if key.https {
            stream.tls(self.tls.for_key(key)?, &key.host, key).await?
        } else {
            stream
        };
        let (sender, conn) = hyper::client::conn::http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Error::connect(format!("the HTTP handshake with {key} failed"), e))?;
        Ok(Connection::new(sender, conn))
    }
}
