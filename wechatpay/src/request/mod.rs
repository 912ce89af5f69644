//! Options and a template become a complete, unsigned `http::Request`
//! ([`prepare`]), or are refused before anything is sent. What travels with
//! the request through the stack is its [`CallContext`].

use std::{
    sync::{
        Arc,
        atomic::{AtomicU8, AtomicU32, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::Value;

use crate::{Error, Options, error::Reach, template::Template};

pub(crate) mod target;
mod v2;
mod v3;

pub(crate) use target::BaseUri;

/// A request as the stack sees it: the full URI, headers and the whole body.
///
/// ```
/// let r: wechatpay::middleware::Request = http::Request::new(bytes::Bytes::new());
/// assert!(r.body().is_empty());
/// ```
pub type Request = http::Request<Bytes>;

/// Facts about a call that travel with its request, in its extensions.
///
/// ```
/// # fn f(r: &wechatpay::middleware::Request) {
/// if let Some(ctx) = r.extensions().get::<wechatpay::middleware::CallContext>() {
///     println!("template {}", ctx.template);
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CallContext {
    /// Which API the call goes to.
    pub api: ApiVersion,
    /// The chain's template, before expansion.
    pub template: Arc<str>,
    /// A per-call timeout from the `timeout` option.
    pub timeout: Option<Duration>,
    /// A per-call connect timeout from the `connect_timeout` option.
    pub connect_timeout: Option<Duration>,
    /// The `debug` option: the request and its answer go to stderr.
    pub(crate) debug: bool,
    /// Only the certificate downloader turns this off: it must read the
    /// reply before it has the key that verifies it, and verifies it itself.
    pub(crate) verify_response: bool,
    /// What the signature covers when it is not the body: the meta JSON
    /// of a media upload.
    pub(crate) signed_body: Option<Arc<str>>,
    /// APIv2's `security: true`: this call presents the merchant client certificate.
    pub(crate) security: bool,
    /// APIv2's `nonceless: true`: no `nonce_str` is added.
    pub(crate) nonceless: bool,
    /// WeChat Pay answers this endpoint unsigned (a bill, an image): its
    /// success is passed through unverified. Decided from the template's
    /// expansion, relative to the base URI, never from what a layer sends.
    pub(crate) unsigned_answer: bool,
    /// How far the call got, shared by every attempt of it.
    pub(crate) progress: Progress,
}

/// APIv3 (JSON, RSA) or APIv2 (XML, MD5/HMAC).
///
/// ```
/// assert_ne!(wechatpay::middleware::ApiVersion::V3, wechatpay::middleware::ApiVersion::V2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// APIv3: JSON bodies, RSA-signed both ways.
    V3,
    /// APIv2: XML bodies, MD5 or HMAC-SHA256 `sign`.
    V2,
}

/// The furthest any attempt of a call got; only ever rises. The transport
/// raises it, and the pipeline stamps it on whatever error the stack returns.
/// It also counts the attempts the transport saw.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress(Arc<ProgressCounters>);

#[derive(Debug, Default)]
pub(crate) struct ProgressCounters {
    reach: AtomicU8,
    attempts: AtomicU32,
}

impl Progress {
    pub(crate) fn mark(&self, reach: Reach) {
        self.0.reach.fetch_max(reach as u8, Ordering::AcqRel);
    }

    pub(crate) fn get(&self) -> Reach {
        match self.0.reach.load(Ordering::Acquire) {
            0 => Reach::NotSent,
            1 => Reach::MaybeSent,
            _ => Reach::Answered,
        }
    }

    pub(crate) fn attempt(&self) {
        self.0.attempts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.0.attempts.load(Ordering::Relaxed)
    }
}

/// What every request of one client starts from.
#[derive(Debug)]
pub(crate) struct Defaults {
    pub(crate) base: BaseUri,
    pub(crate) allowed: target::AllowedBases,
    pub(crate) user_agent: HeaderValue,
    pub(crate) mchid: String,
    /// APIv3 calls need APIv3 settings; an APIv2-only client refuses them.
    pub(crate) has_v3: bool,
    /// APIv2 calls need the secret; refused before sending without it.
    pub(crate) has_v2_secret: bool,
    /// `security: true` needs the merchant client certificate.
    pub(crate) has_identity: bool,
    /// The `Wechatpay-Serial` every APIv3 request carries, choosing which
    /// key WeChat Pay answers with during the switch to public-key mode.
    pub(crate) wechatpay_serial: Option<HeaderValue>,
}

/// The call's `CallContext`; requests made elsewhere (by a layer, a test)
/// get a default one.
pub(crate) fn context_of(request: &Request) -> Option<&CallContext> {
    request.extensions().get::<CallContext>()
}

pub(crate) fn api_of(request: &Request) -> ApiVersion {
    context_of(request).map_or(ApiVersion::V3, |c| c.api)
}

/// Turns a template and options into a complete request (unsigned: the
/// stack's signers sign it), or refuses before anything is sent.
pub(crate) fn prepare(
    defaults: &Defaults,
    method: Method,
    template: &Template,
    options: Options,
) -> Result<Request, Error> {
    options.check()?;
    check_keys(&options, template)?;
    let target = template.expand(options.as_map())?;
    let is_v2 = target
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("v2/"));
    let timeout = seconds_of(&options, "timeout")?;
    let connect_timeout = seconds_of(&options, "connect_timeout")?;
    if !is_v2 && !defaults.has_v3 {
        return Err(Error::config(format!(
            "`{}` is an APIv3 endpoint and this client is configured for APIv2 only (give \
             serial, private_key and cert for APIv3)",
            template.source()
        )));
    }
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let unsigned_answer = if is_v2 {
        crate::v2::is_unsigned(path.get(3..).unwrap_or_default())
    } else {
        v3::answers_unsigned(path)
    };
    let mut request = if is_v2 {
        v2::prepare(defaults, method, template.source(), &target, &options)?
    } else {
        let mut r = v3::prepare(defaults, method, target, &options)?;
        if let Some(serial) = &defaults.wechatpay_serial {
            r.headers_mut().insert("Wechatpay-Serial", serial.clone());
        }
        r
    };
    // The call's own headers win over every default, `Wechatpay-Serial` included.
    if let Some(extra) = options.get("headers") {
        merge_headers(request.headers_mut(), extra)?;
    }
    let context = CallContext {
        api: if is_v2 {
            ApiVersion::V2
        } else {
            ApiVersion::V3
        },
        template: Arc::from(template.source()),
        timeout,
        connect_timeout,
        debug: flag(&options, "debug")?,
        verify_response: true,
        signed_body: options.upload_part().map(|u| Arc::from(u.signed.as_str())),
        security: is_v2 && flag(&options, "security")?,
        nonceless: is_v2 && flag(&options, "nonceless")?,
        unsigned_answer,
        progress: Progress::default(),
    };
    request.extensions_mut().insert(context);
    Ok(request)
}

/// A request with `method`, `uri`, the client's default headers and `body`.
fn request(
    defaults: &Defaults,
    method: Method,
    uri: http::Uri,
    accept: &'static str,
    content_type: HeaderValue,
    body: Bytes,
) -> Request {
    let mut request = http::Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    headers.insert(http::header::ACCEPT, HeaderValue::from_static(accept));
    headers.insert(http::header::USER_AGENT, defaults.user_agent.clone());
    headers.insert(http::header::CONTENT_TYPE, content_type);
    request
}

/// An APIv2 boolean option.
pub(crate) fn flag(options: &Options, key: &str) -> Result<bool, Error> {
    match options.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Error::options(format!("`{key}` must be true or false"))),
    }
}

/// A seconds option (`timeout`, `connect_timeout`): 0 < seconds < 86400.
pub(crate) fn seconds_of(options: &Options, key: &str) -> Result<Option<Duration>, Error> {
    match options.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(s) if s > 0.0 && s.is_finite() && s < 86_400.0 => {
                Ok(Some(Duration::from_secs_f64(s)))
            }
            _ => Err(Error::options(format!(
                "`{key}` must be 0 < seconds < 86400, got {n}"
            ))),
        },
        Some(_) => Err(Error::options(format!(
            "`{key}` must be a number of seconds"
        ))),
    }
}

/// Every key is an option or a variable of the template, and PHP's shape
/// of a media upload is pointed to the call that does it right.
fn check_keys(options: &Options, template: &Template) -> Result<(), Error> {
    use crate::options::{GUZZLE_OPTIONS, RESERVED_KEYS};
    for key in options.as_map().keys() {
        if RESERVED_KEYS.contains(&key.as_str()) || template.variables().any(|v| v == key) {
            continue;
        }
        if let Some((_, instead)) = GUZZLE_OPTIONS.iter().find(|(k, _)| k == key) {
            return Err(Error::options(format!(
                "`{key}` is a Guzzle option this client does not take: {instead}"
            )));
        }
        return Err(Error::options(format!(
            "`{key}` is neither an option ({}) nor a variable of the template `{}`",
            RESERVED_KEYS.join(", "),
            template.source()
        )));
    }
    let multipart = options
        .get("headers")
        .and_then(Value::as_object)
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v)
        })
        .and_then(Value::as_str)
        .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"));
    if multipart && options.upload_part().is_none() {
        return Err(Error::options(
            "a media upload given as `body` and a multipart `Content-Type` (PHP's \
             `$media->getStream()` shape) would send the file as text and sign the whole body; \
             use `MediaUtil::from_path(..)?.options()`, which sends the file's bytes and signs \
             the meta JSON as WeChat Pay requires",
        ));
    }
    Ok(())
}

/// The `headers` option over the defaults; a `null` value removes one.
pub(crate) fn merge_headers(headers: &mut HeaderMap, extra: &Value) -> Result<(), Error> {
    let Value::Object(map) = extra else {
        return Err(Error::options("`headers` must be a map of names to values"));
    };
    for (name, value) in map {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::options(format!("`{name}` is not a valid header name")))?;
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Null => {
                headers.remove(&name);
                continue;
            }
            _ => return Err(Error::options(format!("header `{name}` must be a string"))),
        };
        let value = HeaderValue::from_str(&text).map_err(|_| {
            Error::options(format!("header `{name}` has a value that cannot be sent"))
        })?;
        headers.insert(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_the_furthest_point() {
        let p = Progress::default();
        assert_eq!(p.get(), Reach::NotSent);
        let shared = p.clone();
        shared.mark(Reach::Answered);
        p.mark(Reach::MaybeSent);
        assert_eq!(p.get(), Reach::Answered);
    }

    #[test]
    fn headers_option_is_checked() {
        let mut h = HeaderMap::new();
        h.insert("x-a", HeaderValue::from_static("1"));
        merge_headers(&mut h, &serde_json::json!({"x-a": null, "x-b": 2})).unwrap();
        assert!(h.get("x-a").is_none());
        assert_eq!(h["x-b"], "2");
        for bad in [
            serde_json::json!("x"),
            serde_json::json!({"bad name": "1"}),
            serde_json::json!({"x": "a\nb"}),
            serde_json::json!({"x": [1]}),
        ] {
            assert!(
                merge_headers(&mut h, &bad).unwrap_err().is_options(),
                "{bad}"
            );
        }
    }
}
