//! Which proxy a call goes through: the one given to
//! [`Builder::proxy`](crate::Builder::proxy), or the environment's
//! (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`), read once when
//! the client is built. The handshakes themselves are in [`super::tunnel`].
//!
//! A proxy's password is kept here and written only to the proxy: its
//! `Display` and `Debug` show the user name at most, and so does every
//! error that names it.

use std::{fmt, net::IpAddr, sync::Arc};

use percent_encoding::percent_decode_str;

use crate::Error;

/// How the client talks to a proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scheme {
    /// `http://`: an HTTP `CONNECT` tunnel.
    Http,
    /// `https://`: TLS to the proxy, then a `CONNECT` tunnel inside it.
    Https,
    /// `socks5://`: SOCKS5, the target's name resolved here.
    Socks5,
    /// `socks5h://`: SOCKS5, the target's name resolved by the proxy.
    Socks5h,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Socks5 => "socks5",
            Scheme::Socks5h => "socks5h",
        }
    }

    /// The port a proxy URI without one means.
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
            Scheme::Socks5 | Scheme::Socks5h => 1080,
        }
    }
}

/// The user name and password a proxy asks for, percent-decoded.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Credentials {
    pub(crate) user: Vec<u8>,
    pub(crate) password: Vec<u8>,
}

/// One proxy, parsed from its URI.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Proxy {
    pub(crate) scheme: Scheme,
    /// A name or an address; an IPv6 address without brackets.
    pub(crate) host: Box<str>,
    pub(crate) port: u16,
    pub(crate) credentials: Option<Credentials>,
}

impl Proxy {
    /// Parses `scheme://[user[:password]@]host[:port][/]`. `what` names the
    /// setting in errors, which never repeat the password.
    pub(crate) fn parse(text: &str, what: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::config(format!(
                "{what} `{}` is not a proxy URI: {why}",
                redacted(text)
            ))
        };
        let url = url::Url::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "socks5" => Scheme::Socks5,
            "socks5h" => Scheme::Socks5h,
            other => {
                return Err(bad(&format!(
                    "the scheme `{other}` is not one of http, https, socks5, socks5h"
                )));
            }
        };
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(bad("a proxy URI has no path, query or fragment"));
        }
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
            _ => return Err(bad("it has no host")),
        };
        let credentials = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            let decode = |s: &str| percent_decode_str(s).collect::<Vec<u8>>();
            let c = Credentials {
                user: decode(url.username()),
                password: decode(url.password().unwrap_or("")),
            };
            // RFC 1929 gives each a one-byte length.
            if matches!(scheme, Scheme::Socks5 | Scheme::Socks5h)
                && (c.user.len() > 255 || c.password.len() > 255)
            {
                return Err(bad(
                    "a SOCKS5 user name and password are 255 bytes each at most",
                ));
            }
            Some(c)
        };
        Ok(Self {
            scheme,
            host: host.into(),
            port: url.port().unwrap_or(scheme.default_port()),
            credentials,
        })
    }

    /// Whether this proxy speaks SOCKS5 (else HTTP `CONNECT`).
    pub(crate) fn is_socks(&self) -> bool {
        matches!(self.scheme, Scheme::Socks5 | Scheme::Socks5h)
    }
}

/// `scheme://[user@]host:port`: the password is never shown.
impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme.name())?;
        if let Some(c) = &self.credentials {
            let user = String::from_utf8_lossy(&c.user);
            write!(f, "{}@", crate::error::escaped(&user))?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({self})")
    }
}

/// `text` with any password in it replaced, for a message about a URI
/// that may not even parse.
pub(crate) fn redacted(text: &str) -> String {
    let start = text.find("://").map_or(0, |i| i + 3);
    let rest = &text[start..];
    // The userinfo ends at the last `@` before the path.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            let hidden = if rest[..at].contains(':') { ":***" } else { "" };
            format!("{}{user}{hidden}{}", &text[..start], &rest[at..])
        }
        None => text.to_string(),
    }
}

/// The proxy setting of the builder.
#[derive(Clone, Default)]
pub(crate) enum ProxySetting {
    /// The environment's, read at build time.
    #[default]
    Environment,
    /// No proxy at all.
    Direct,
    /// This URI, for every target.
    Uri(String),
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySetting::Environment => f.write_str("Environment"),
            ProxySetting::Direct => f.write_str("Direct"),
            ProxySetting::Uri(u) => write!(f, "Uri({:?})", redacted(u)),
        }
    }
}

/// Which proxy each call goes through, fixed when the client is built.
#[derive(Debug, Clone, Default)]
pub(crate) enum Proxies {
    /// Every connection is direct.
    #[default]
    Direct,
    /// Every connection, loopback included, goes through this proxy.
    Fixed(Arc<Proxy>),
    /// The environment's proxies.
    Environment {
        http: Option<Arc<Proxy>>,
        https: Option<Arc<Proxy>>,
        no_proxy: NoProxy,
    },
}

impl Proxies {
    /// The proxies `setting` means; `env` looks a variable up (the process
    /// environment, or a test's).
    pub(crate) fn new(
        setting: &ProxySetting,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        match setting {
            ProxySetting::Direct => Ok(Proxies::Direct),
            ProxySetting::Uri(uri) => Ok(Proxies::Fixed(Arc::new(Proxy::parse(
                uri,
                "`Builder::proxy`",
            )?))),
            ProxySetting::Environment => Self::from_env(env),
        }
    }

    fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let var = |names: &[&'static str]| {
            names.iter().find_map(|&name| {
                let value = env(name)?;
                let value = value.trim();
                (!value.is_empty()).then(|| (name, value.to_string()))
            })
        };
        let proxy = |found: Option<(&'static str, String)>| -> Result<_, Error> {
            let Some((name, value)) = found else {
                return Ok(None);
            };
            // A bare `host:port` means an HTTP proxy, as curl reads it.
            let value = if value.contains("://") {
                value
            } else {
                format!("http://{value}")
            };
            let what = format!("the environment variable {name} (Builder::no_proxy ignores it)");
            Ok(Some(Arc::new(Proxy::parse(&value, &what)?)))
        };
        // Under CGI, a request's `Proxy:` header arrives as HTTP_PROXY
        // ("httpoxy"); only the lowercase name is trusted there.
        let http_names: &[&str] = if env("REQUEST_METHOD").is_some() {
            &["http_proxy"]
        } else {
            &["HTTP_PROXY", "http_proxy"]
        };
        let all = proxy(var(&["ALL_PROXY", "all_proxy"]))?;
        let http = proxy(var(http_names))?.or_else(|| all.clone());
        let https = proxy(var(&["HTTPS_PROXY", "https_proxy"]))?.or(all);
        if http.is_none() && https.is_none() {
            return Ok(Proxies::Direct);
        }
        let no_proxy = var(&["NO_PROXY", "no_proxy"])
            .map(|(_, v)| NoProxy::parse(&v))
            .unwrap_or_default();
        Ok(Proxies::Environment {
            http,
            https,
            no_proxy,
        })
    }

    /// The proxy for a call to `host` (as in a URI: an IPv6 address in
    /// brackets) over https or http, if any.
    pub(crate) fn for_target(&self, https: bool, host: &str) -> Option<&Arc<Proxy>> {
        match self {
            Proxies::Direct => None,
            Proxies::Fixed(p) => Some(p),
            Proxies::Environment {
                http,
                https: secure,
                no_proxy,
            } => {
                let proxy = if https { secure } else { http }.as_ref()?;
                let host = Host::of(host);
                // Tests and local servers run on loopback, and CI machines
                // often have a proxy set: loopback never goes through the
                // environment's proxy.
                (!host.is_loopback() && !no_proxy.matches(&host)).then_some(proxy)
            }
        }
    }
}

/// A target host, ready for `NO_PROXY` matching.
enum Host {
    Ip(IpAddr),
    /// Lowercase, without a trailing dot.
    Name(String),
}

impl Host {
    fn of(host: &str) -> Self {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip.to_canonical()),
            Err(_) => Host::Name(host.trim_end_matches('.').to_ascii_lowercase()),
        }
    }

    fn is_loopback(&self) -> bool {
        match self {
            Host::Ip(ip) => ip.is_loopback(),
            Host::Name(n) => n == "localhost",
        }
    }
}

/// One `NO_PROXY` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// `*`: no target goes through the proxy.
    All,
    /// A name: it and every name under it.
    Name(String),
    /// An address, or a network in CIDR form.
    Net(IpAddr, u8),
}

/// The hosts `NO_PROXY` lists: comma-separated names (a leading `.` or
/// `*.` optional: `example.com` and `.example.com` both cover
/// `example.com` and `api.example.com`), `*`, addresses and CIDR networks;
/// a port on an entry is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NoProxy {
    rules: Vec<Rule>,
}

impl NoProxy {
    pub(crate) fn parse(text: &str) -> Self {
        let rules = text
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .filter_map(Self::rule)
            .collect();
        Self { rules }
    }

    fn rule(entry: &str) -> Option<Rule> {
        if entry == "*" {
            return Some(Rule::All);
        }
        let ip_rule = |ip: IpAddr, bits: Option<u8>| {
            let ip = ip.to_canonical();
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = bits.unwrap_or(max);
            (bits <= max).then_some(Rule::Net(ip, bits))
        };
        // `[::1]:8080`, `[::1]`
        if let Some(inside) = entry.strip_prefix('[') {
            let ip = inside.split(']').next()?.parse().ok()?;
            return ip_rule(ip, None);
        }
        // `10.0.0.0/8`, `fd00::/8`
        if let Some((ip, bits)) = entry.split_once('/') {
            return ip_rule(ip.parse().ok()?, Some(bits.parse().ok()?));
        }
        // `::1`, `127.0.0.1`
        if let Ok(ip) = entry.parse() {
            return ip_rule(ip, None);
        }
        // `host:port`, `10.1.2.3:8080`
        let host = match entry.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => entry,
        };
        if let Ok(ip) = host.parse() {
            return ip_rule(ip, None);
        }
        let name = host
            .trim_start_matches('*')
            .trim_start_matches('.')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        (!name.is_empty()).then_some(Rule::Name(name))
    }

    fn matches(&self, host: &Host) -> bool {
        self.rules.iter().any(|rule| match (rule, host) {
            (Rule::All, _) => true,
            (Rule::Name(n), Host::Name(h)) => {
                h == n
                    || (h.len() > n.len() && h.ends_with(n.as_str()) && {
                        h.as_bytes()[h.len() - n.len() - 1] == b'.'
                    })
            }
            (Rule::Net(net, bits), Host::Ip(ip)) => in_network(*ip, *net, *bits),
            _ => false,
        })
    }
}

/// Whether `ip` is in `net`/`bits`.
fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let prefix = |a: u128, width: u32| {
        let bits = u32::from(bits);
        if bits == 0 { 0 } else { a >> (width - bits) }
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            prefix(u32::from(a).into(), 32) == prefix(u32::from(b).into(), 32)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => prefix(a.into(), 128) == prefix(b.into(), 128),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn from_env(vars: &[(&str, &str)]) -> Proxies {
        Proxies::new(&ProxySetting::Environment, env(vars)).unwrap()
    }

    /// The proxy (as text) a call to `uri`'s host would use.
    fn chosen(p: &Proxies, https: bool, host: &str) -> Option<String> {
        p.for_target(https, host).map(|p| p.to_string())
    }

    #[test]
    fn proxy_uris_parse_with_defaults_and_decoded_credentials() {
        let cases = [
            ("http://proxy.example:3128", "http://proxy.example:3128"),
            ("http://proxy.example", "http://proxy.example:80"),
            ("https://proxy.example/", "https://proxy.example:443"),
            ("socks5://10.0.0.1", "socks5://10.0.0.1:1080"),
            ("socks5h://u@[::1]:9050", "socks5h://u@[::1]:9050"),
            (
                "http://al%40ice:p%3Ass@proxy:8080",
                "http://al@ice@proxy:8080",
            ),
        ];
        for (uri, shown) in cases {
            assert_eq!(Proxy::parse(uri, "x").unwrap().to_string(), shown, "{uri}");
        }
        let p = Proxy::parse("http://al%40ice:p%3Ass@proxy:8080", "x").unwrap();
        let c = p.credentials.unwrap();
        assert_eq!(
            (&c.user[..], &c.password[..]),
            (&b"al@ice"[..], &b"p:ss"[..])
        );
        assert_eq!(cases.len(), 6);
    }

    #[test]
    fn bad_proxy_uris_are_config_errors_that_hide_the_password() {
        let long = format!("socks5://u:{}@h:1", "p".repeat(256));
        let cases = [
            "socks4://alice:s3cret@proxy:1080",
            "ftp://alice:s3cret@proxy",
            "http://alice:s3cret@proxy:notaport",
            "http://alice:s3cret@proxy:3128/path",
            "http://alice:s3cret@",
            "alice:s3cret@proxy:3128",
            long.as_str(),
        ];
        for uri in cases {
            let e = Proxy::parse(uri, "`Builder::proxy`").unwrap_err();
            assert!(e.is_config(), "{uri}: {e}");
            for text in [e.to_string(), format!("{e:?}")] {
                assert!(!text.contains("s3cret") && !text.contains("ppp"), "{text}");
                assert!(text.contains("Builder::proxy"), "{text}");
            }
        }
        assert_eq!(cases.len(), 7);
    }

    #[test]
    fn redaction_keeps_the_user_and_hides_the_password() {
        let cases = [
            ("http://alice:s3cret@proxy:1", "http://alice:***@proxy:1"),
            ("http://alice@proxy:1", "http://alice@proxy:1"),
            ("alice:s3:cret@proxy", "alice:***@proxy"),
            ("http://a:b@c@proxy/x@y", "http://a:***@proxy/x@y"),
            ("http://proxy:1/a@b", "http://proxy:1/a@b"),
        ];
        for (text, want) in cases {
            assert_eq!(redacted(text), want);
        }
        assert_eq!(cases.len(), 5);
        let setting = ProxySetting::Uri("http://alice:s3cret@proxy:1".into());
        assert!(!format!("{setting:?}").contains("s3cret"));
    }

    #[test]
    fn each_scheme_takes_its_variable_and_all_proxy_is_the_fallback() {
        let three = [
            ("HTTPS_PROXY", "http://secure:1"),
            ("HTTP_PROXY", "plain:2"),
            ("ALL_PROXY", "socks5h://all:3"),
        ];
        let lower = [
            ("https_proxy", "http://secure:1"),
            ("all_proxy", "socks5://all:3"),
        ];
        let both_cases = [
            ("HTTP_PROXY", "http://upper:1"),
            ("http_proxy", "http://lower:2"),
        ];
        let blank_upper = [("HTTP_PROXY", " "), ("http_proxy", "http://lower:2")];
        // Under CGI, HTTP_PROXY may be a request's `Proxy:` header.
        let cgi = [("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")];
        // (environment, target is https, the proxy expected)
        type Case<'a> = (&'a [(&'a str, &'a str)], bool, Option<&'a str>);
        let cases: &[Case] = &[
            (&three, true, Some("http://secure:1")),
            // A bare `host:port` is an http proxy.
            (&three, false, Some("http://plain:2")),
            (&lower, true, Some("http://secure:1")),
            (&lower, false, Some("socks5://all:3")),
            // The uppercase name wins; an empty value is no value.
            (&both_cases, false, Some("http://upper:1")),
            (&both_cases, true, None),
            (&blank_upper, false, Some("http://lower:2")),
            (&cgi, false, None),
            (&[], false, None),
        ];
        for (vars, https, want) in cases {
            let p = from_env(vars);
            assert_eq!(
                chosen(&p, *https, "x.example").as_deref(),
                *want,
                "{vars:?} {https}"
            );
        }
        assert_eq!(cases.len(), 9);
        assert!(matches!(from_env(&[]), Proxies::Direct));
    }

    #[test]
    fn loopback_is_never_proxied_from_the_environment_but_is_when_explicit() {
        let p = from_env(&[("ALL_PROXY", "http://proxy:1")]);
        let loopback = [
            "127.0.0.1",
            "127.9.8.7",
            "[::1]",
            "localhost",
            "LOCALHOST.",
            "[::ffff:127.0.0.1]",
        ];
        for host in loopback {
            assert_eq!(chosen(&p, true, host), None, "{host}");
            assert_eq!(chosen(&p, false, host), None, "{host}");
        }
        assert_eq!(loopback.len(), 6);
        for host in ["128.0.0.1", "localhost.example", "[::2]"] {
            assert!(chosen(&p, true, host).is_some(), "{host}");
        }
        let fixed = Proxies::new(&ProxySetting::Uri("socks5://proxy:1".into()), env(&[])).unwrap();
        assert_eq!(
            chosen(&fixed, false, "127.0.0.1").as_deref(),
            Some("socks5://proxy:1")
        );
        // An explicit proxy ignores the environment, NO_PROXY included.
        let fixed = Proxies::new(
            &ProxySetting::Uri("socks5://proxy:1".into()),
            env(&[("NO_PROXY", "*"), ("HTTPS_PROXY", "http://other:2")]),
        )
        .unwrap();
        assert_eq!(
            chosen(&fixed, true, "x.example").as_deref(),
            Some("socks5://proxy:1")
        );
        let off = Proxies::new(
            &ProxySetting::Direct,
            env(&[("ALL_PROXY", "http://proxy:1")]),
        )
        .unwrap();
        assert_eq!(chosen(&off, true, "x.example"), None);
    }

    #[test]
    fn no_proxy_matches_names_suffixes_addresses_and_star() {
        let list = " example.com, .corp.test ,*.wild.test, 10.1.2.3, 192.168.0.0/16, [fd00::1]:443, \
                    fe80::/10, mixed.TEST:8080, bad/99, ";
        let p = from_env(&[("HTTPS_PROXY", "http://proxy:1"), ("no_proxy", list)]);
        let cases: &[(&str, bool)] = &[
            ("example.com", false),
            ("API.Example.com.", false),
            ("notexample.com", true),
            ("example.com.evil", true),
            ("corp.test", false),
            ("a.b.corp.test", false),
            ("wild.test", false),
            ("x.wild.test", false),
            ("10.1.2.3", false),
            ("10.1.2.4", true),
            ("192.168.44.5", false),
            ("192.169.0.1", true),
            ("[fd00::1]", false),
            ("[fd00::2]", true),
            ("[fe80::1234]", false),
            ("mixed.test", false),
            ("api.mch.weixin.qq.com", true),
        ];
        for (host, proxied) in cases {
            assert_eq!(chosen(&p, true, host).is_some(), *proxied, "{host}");
        }
        assert_eq!(cases.len(), 17);
        let all = from_env(&[("HTTPS_PROXY", "http://proxy:1"), ("NO_PROXY", "x.test,*")]);
        assert_eq!(chosen(&all, true, "api.mch.weixin.qq.com"), None);
        assert_eq!(NoProxy::parse("bad/99,10.0.0.0/33,:").rules, []);
    }

    #[test]
    fn a_bad_environment_proxy_is_a_config_error_naming_the_variable() {
        let e = Proxies::new(
            &ProxySetting::Environment,
            env(&[("HTTPS_PROXY", "gopher://alice:s3cret@proxy:70")]),
        )
        .unwrap_err();
        assert!(e.is_config());
        let text = e.to_string();
        assert!(
            text.contains("HTTPS_PROXY") && text.contains("no_proxy"),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    }
}
