//! What the crate tells `tracing` (cargo feature `tracing`): one span a
//! call, `wechatpay.request`, and events for retries, failovers and
//! certificate refreshes. Fields name what happened, never what was said:
//! no body, no header value but `Request-ID`, no key.
//!
//! Without the feature every function here does nothing and costs nothing.

use std::future::Future;

use crate::{Error, Response, request::Request};

/// The span of one call, from the request to the last attempt's outcome.
pub(crate) struct CallSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    #[cfg(feature = "tracing")]
    started: std::time::Instant,
}

impl CallSpan {
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn start(request: &Request) -> Self {
        #[cfg(feature = "tracing")]
        {
            let template = crate::request::context_of(request)
                .map(|c| c.template.clone())
                .unwrap_or_default();
            let span = tracing::info_span!(
                "wechatpay.request",
                method = %request.method(),
                template = %template,
                host = request.uri().host().unwrap_or(""),
                status = tracing::field::Empty,
                code = tracing::field::Empty,
                request_id = tracing::field::Empty,
                attempts = tracing::field::Empty,
                elapsed_ms = tracing::field::Empty,
            );
            Self {
                span,
                started: std::time::Instant::now(),
            }
        }
        #[cfg(not(feature = "tracing"))]
        Self {}
    }

    /// Runs `f` inside the span.
    pub(crate) async fn within<F: Future>(&self, f: F) -> F::Output {
        #[cfg(feature = "tracing")]
        {
            use tracing::Instrument;
            f.instrument(self.span.clone()).await
        }
        #[cfg(not(feature = "tracing"))]
        f.await
    }

    /// Records the outcome on the span.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn finish(&self, result: &Result<Response, Error>, attempts: u32) {
        #[cfg(feature = "tracing")]
        {
            let span = &self.span;
            let response = match result {
                Ok(r) => Some(r),
                Err(e) => e.response(),
            };
            if let Some(r) = response {
                span.record("status", r.status().as_u16());
                if let Some(id) = r.headers().get("Request-ID").and_then(|v| v.to_str().ok()) {
                    span.record("request_id", crate::error::escaped(id).as_str());
                }
            }
            if let Some(code) = result.as_ref().err().and_then(|e| e.api_error()?.code()) {
                span.record("code", crate::error::escaped(code).as_str());
            }
            span.record("attempts", attempts);
            span.record("elapsed_ms", self.started.elapsed().as_millis() as u64);
        }
    }
}

/// A call is about to be sent again after `pause`.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn retry(attempt: u32, pause: std::time::Duration, why: &Error) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        attempt,
        pause_ms = pause.as_millis() as u64,
        status = why.status().map(|s| s.as_u16()),
        code = why.api_error().and_then(|a| a.code()),
        before_send = why.is_before_send(),
        "wechatpay.retry"
    );
}

/// A call moves from one host to the other.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn failover(from: &str, to: &str) {
    #[cfg(feature = "tracing")]
    tracing::warn!(from, to, "wechatpay.failover");
}

/// A certificate download of a refresher ended.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn refresh(mchid: &str, outcome: Result<usize, &Error>) {
    #[cfg(feature = "tracing")]
    match outcome {
        Ok(n) => tracing::info!(mchid, certificates = n, "wechatpay.certificates.refreshed"),
        Err(e) => tracing::warn!(mchid, error = %e, "wechatpay.certificates.refresh_failed"),
    }
}
