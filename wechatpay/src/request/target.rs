//! Where a call goes: its expanded target against the base URI, which the
//! target can never leave, and the hosts a per-call `base_uri` may name.
//!
//! The Authorization header signs a call for WeChat Pay. A template value
//! such as `{+x}` = `//other.example/` or a per-call `base_uri` must not be
//! able to send it anywhere else, so the resolved URI is checked against
//! the base, and the bases a call may choose are WeChat Pay's own hosts, the
//! builder's base URI and what the builder explicitly allowed.

use serde_json::Value;
use url::Url;

use crate::{Error, Options};

/// WeChat Pay's API hosts, over https: the main host, its backup (备域名),
/// the overseas hosts the documentation's examples use, and the
/// `wechatpay.cn` forms.
pub(crate) const WECHATPAY_HOSTS: &[&str] = &[
    "api.mch.weixin.qq.com",
    "api2.mch.weixin.qq.com",
    "apihk.mch.weixin.qq.com",
    "apius.mch.weixin.qq.com",
    "apieu.mch.weixin.qq.com",
    "fraud.mch.weixin.qq.com",
    "payapp.weixin.qq.com",
    "api.wechatpay.cn",
    "api2.wechatpay.cn",
];

/// A base URI, parsed once, always ending in `/` so that templates extend it.
#[derive(Debug, Clone)]
pub(crate) struct BaseUri {
    url: Url,
}

impl BaseUri {
    /// Parses and checks a base URI: http or https, a host, no query, no
    /// fragment, no credentials.
    pub(crate) fn parse(text: &str, what: &str) -> Result<Self, Error> {
        let mut url = Url::parse(text)
            .map_err(|e| Error::config_caused(format!("{what} `{text}` is not a URL"), e))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::config(format!(
                "{what} `{text}` must be an http or https URL with a host"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(Error::config(format!(
                "{what} `{text}` must have no query, fragment or credentials"
            )));
        }
        if !url.path().ends_with('/') {
            // `https://host/prefix` means the folder `prefix/`.
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Self { url })
    }

    /// The base as text, e.g. `https://api.mch.weixin.qq.com/`.
    pub(crate) fn as_str(&self) -> &str {
        self.url.as_str()
    }

    fn is_loopback(&self) -> bool {
        match self.url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        }
    }

    fn same_origin(&self, other: &BaseUri) -> bool {
        self.url.origin() == other.url.origin() && self.url.path() == other.url.path()
    }

    /// `target` (an expanded template, relative) under this base. A target
    /// that would resolve outside it (another host, a `..`, an absolute
    /// path above a prefixed base) is refused.
    pub(crate) fn join(&self, target: &str) -> Result<http::Uri, Error> {
        let base = self.url.as_str();
        let simple = !target.starts_with(['/', '?', '#', '\\'])
            && target
                .split(['/', '?', '#'])
                .next()
                .is_some_and(|first| !first.contains(':'));
        let text = if simple {
            // RFC 3986 resolution of a relative path against a base ending
            // in `/` is concatenation; skip the general resolver.
            let mut text = String::with_capacity(base.len() + target.len());
            text.push_str(base);
            text.push_str(target);
            text
        } else {
            let joined = self.url.join(target).map_err(|e| {
                Error::template(format!("`{target}` does not resolve against `{base}`: {e}"))
            })?;
            let inside =
                joined.origin() == self.url.origin() && joined.path().starts_with(self.url.path());
            if !inside {
                return Err(Error::template(format!(
                    "`{target}` would leave the base URI `{base}` (resolving to `{joined}`), \
                     which a template value may never do"
                )));
            }
            joined.into()
        };
        text.parse().map_err(|e: http::uri::InvalidUri| {
            Error::template(format!("`{text}` is not a URI that can be sent: {e}"))
        })
    }
}

/// The bases a per-call `base_uri` option may name.
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowedBases {
    extra: Vec<BaseUri>,
}

impl AllowedBases {
    pub(crate) fn allow(&mut self, base: BaseUri) {
        self.extra.push(base);
    }

    fn permits(&self, builder_base: &BaseUri, wanted: &BaseUri) -> bool {
        if wanted.same_origin(builder_base) || self.extra.iter().any(|b| b.same_origin(wanted)) {
            return true;
        }
        wanted.url.scheme() == "https"
            && wanted.url.port().is_none()
            && wanted
                .url
                .host_str()
                .is_some_and(|h| WECHATPAY_HOSTS.contains(&h))
    }
}

/// The base a call resolves against: the builder's, or the `base_uri`
/// option's when it is allowed.
pub(crate) fn base_for<'a>(
    builder_base: &'a BaseUri,
    allowed: &AllowedBases,
    options: &Options,
) -> Result<std::borrow::Cow<'a, BaseUri>, Error> {
    let text = match options.get("base_uri") {
        None => return Ok(std::borrow::Cow::Borrowed(builder_base)),
        Some(Value::String(s)) => s,
        Some(_) => return Err(Error::options("`base_uri` must be a string")),
    };
    let wanted = BaseUri::parse(text, "the `base_uri` option").map_err(|e| {
        // The option is the caller's input, not the client's configuration.
        Error::options(e.to_string())
    })?;
    if !allowed.permits(builder_base, &wanted) {
        return Err(Error::options(format!(
            "the `base_uri` option `{text}` is not one of WeChat Pay's hosts ({}) nor the \
             client's base URI; allow it with Builder::allow_base_uri first",
            WECHATPAY_HOSTS.join(", ")
        )));
    }
    if wanted.url.scheme() == "http" && !wanted.is_loopback() {
        return Err(Error::options(format!(
            "the `base_uri` option `{text}` is plain http to a host that is not loopback: the \
             Authorization would travel in the clear"
        )));
    }
    Ok(std::borrow::Cow::Owned(wanted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base(s: &str) -> BaseUri {
        BaseUri::parse(s, "base").unwrap()
    }

    #[test]
    fn targets_stay_under_the_base() {
        let b = base("https://api.mch.weixin.qq.com/");
        assert_eq!(
            b.join("v3/pay/x?a=1").unwrap().to_string(),
            "https://api.mch.weixin.qq.com/v3/pay/x?a=1"
        );
        assert_eq!(
            b.join("/v3/x").unwrap().to_string(),
            "https://api.mch.weixin.qq.com/v3/x"
        );
        // Same scheme, no authority: a path under the base, not another host.
        assert_eq!(
            b.join("https:evil.example").unwrap().to_string(),
            "https://api.mch.weixin.qq.com/evil.example"
        );
        for escape in [
            "//evil.example/v3/x",
            "http://evil.example/v3/x",
            "\\\\evil.example/x",
            "https://api.mch.weixin.qq.com.evil.example/",
        ] {
            assert!(b.join(escape).unwrap_err().is_template(), "{escape}");
        }
        let prefixed = base("http://127.0.0.1:9/prefix");
        assert_eq!(prefixed.as_str(), "http://127.0.0.1:9/prefix/");
        assert_eq!(
            prefixed.join("v3/x").unwrap().to_string(),
            "http://127.0.0.1:9/prefix/v3/x"
        );
        assert!(prefixed.join("/v3/x").unwrap_err().is_template());
    }

    #[test]
    fn per_call_bases_are_wechatpay_hosts_or_allowed() {
        let builder = base("https://api.mch.weixin.qq.com/");
        let mut allowed = AllowedBases::default();
        let pick = |allowed: &AllowedBases, b: &str| {
            base_for(&builder, allowed, &json!({"base_uri": b}).into())
                .map(|b| b.as_str().to_string())
        };
        assert!(pick(&allowed, "https://apihk.mch.weixin.qq.com/").is_ok());
        assert!(pick(&allowed, "https://api2.mch.weixin.qq.com/").is_ok());
        for refused in [
            "https://evil.example/",
            "http://api.mch.weixin.qq.com/",
            "https://apihk.mch.weixin.qq.com:8443/",
            "http://10.0.0.1/",
            "not a url",
        ] {
            assert!(
                pick(&allowed, refused).unwrap_err().is_options(),
                "{refused}"
            );
        }
        allowed.allow(base("https://proxy.example/wechat/"));
        assert!(pick(&allowed, "https://proxy.example/wechat/").is_ok());
        allowed.allow(base("http://10.0.0.1/"));
        assert!(pick(&allowed, "http://10.0.0.1/").unwrap_err().is_options());
        allowed.allow(base("http://127.0.0.1:8080/"));
        assert!(pick(&allowed, "http://127.0.0.1:8080/").is_ok());
    }
}
