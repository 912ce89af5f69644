//! Which pooled connections can serve a call: the runtime that owns the
//! socket, the origin, and whether the merchant client certificate is shown.

use std::fmt;

use crate::Error;

/// Which connections can serve a call.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    pub(crate) runtime: tokio::runtime::Id,
    pub(crate) https: bool,
    pub(crate) host: Box<str>,
    pub(crate) port: u16,
    /// Connections presenting the merchant client certificate (APIv2
    /// `security: true`) are kept apart from those that do not.
    pub(crate) identity: bool,
}

impl PoolKey {
    pub(crate) fn for_uri(uri: &http::Uri, identity: bool) -> Result<Self, Error> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(Error::template(format!(
                    "`{uri}` is not an http or https URI"
                )));
            }
        };
        let host = uri
            .host()
            .ok_or_else(|| Error::template(format!("`{uri}` has no host")))?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::config("a call ran outside any tokio runtime"))?
            .id();
        Ok(Self {
            runtime,
            https,
            host: host.into(),
            port: uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
            identity,
        })
    }

    /// `host` or `host:port`, as the `Host` header wants it.
    pub(crate) fn host_header(&self) -> String {
        let default = if self.https { 443 } else { 80 };
        if self.port == default {
            self.host.to_string()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for PoolKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}
