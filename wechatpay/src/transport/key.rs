//! Which pooled connections can serve a call: the runtime that owns the
//! socket, the origin, the proxy it goes through, and whether the merchant
//! client certificate is shown.

use std::{fmt, sync::Arc};

use super::proxy::{Proxies, Proxy};
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
    /// The proxy the connection's tunnel goes through: a connection through
    /// a proxy is not a direct one, nor one through another proxy.
    pub(crate) proxy: Option<Arc<Proxy>>,
}

impl PoolKey {
    pub(crate) fn for_uri(
        uri: &http::Uri,
        identity: bool,
        proxies: &Proxies,
    ) -> Result<Self, Error> {
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
            proxy: proxies.for_target(https, host).cloned(),
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

    /// `scheme://host:port` of the target, without the proxy.
    pub(crate) fn target(&self) -> Target<'_> {
        Target(self)
    }
}

/// The target of a [`PoolKey`], displayed.
pub(crate) struct Target<'a>(&'a PoolKey);

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.0;
        let scheme = if key.https { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", key.host, key.port)
    }
}

/// The target, and the proxy (without its password) when there is one.
impl fmt::Display for PoolKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.target())?;
        match &self.proxy {
            Some(proxy) => write!(f, " through the proxy {proxy}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::proxy::ProxySetting;

    #[test]
    fn connections_through_a_proxy_are_kept_apart_from_direct_and_other_proxies() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let _in = runtime.enter();
        let uri: http::Uri = "https://api.mch.weixin.qq.com/v3/certificates"
            .parse()
            .unwrap();
        let key = |proxy: Option<&str>| {
            let setting = proxy.map_or(ProxySetting::Direct, |p| ProxySetting::Uri(p.into()));
            let proxies = Proxies::new(&setting, |_| None).unwrap();
            PoolKey::for_uri(&uri, false, &proxies).unwrap()
        };
        let keys = [
            key(None),
            key(Some("http://alice:s3cret@proxy:3128")),
            key(Some("http://alice:other@proxy:3128")),
            key(Some("https://alice:s3cret@proxy:3128")),
            key(Some("socks5h://proxy:3128")),
        ];
        for (i, a) in keys.iter().enumerate() {
            for (j, b) in keys.iter().enumerate() {
                assert_eq!(a == b, i == j, "{a} / {b}");
            }
        }
        assert!(key(Some("socks5h://proxy:3128")) == keys[4]);
        assert_eq!(keys[0].to_string(), "https://api.mch.weixin.qq.com:443");
        assert_eq!(
            keys[1].to_string(),
            "https://api.mch.weixin.qq.com:443 through the proxy http://alice@proxy:3128"
        );
    }
}
