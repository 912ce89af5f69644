//! The pipeline of a call (PHP's `ClientDecorator`), shared by every chain
//! of a client: options and template → request → the stack (verifiers,
//! signers) → transport → the answer, or an error that says how far the
//! call got.

use std::sync::{Arc, Mutex};

use http::Method;

use crate::{
    ApiError, CertStore, Error, Options, Response,
    middleware::{BoxFuture, Layer, Middleware, Next, Verified},
    request::{self, Defaults, Request, context_of},
    template::{Template, cache::TemplateCache},
    trace,
    transport::{BodyStream, Transport},
};

pub(crate) struct Pipeline {
    pub(crate) defaults: Defaults,
    pub(crate) layers: Vec<Layer>,
    pub(crate) transport: Transport,
    pub(crate) templates: TemplateCache,
    pub(crate) certs: CertStore,
}

impl Pipeline {
    /// The parse of `template`, from the client's bounded cache.
    pub(crate) fn template(&self, template: &str) -> Result<Arc<Template>, Error> {
        self.templates.get(template)
    }

    /// A complete request, or the reason nothing will be sent.
    pub(crate) fn prepare(
        &self,
        method: Method,
        template: &Template,
        options: Options,
    ) -> Result<Request, Error> {
        request::prepare(&self.defaults, method, template, options)
    }

    /// Runs `request` through the stack. A 2xx or 3xx answer is returned
    /// (the verifiers have checked it); any other status is an API error,
    /// which says whether its signature verified. Any error leaves with the
    /// furthest point the transport recorded, whichever layer made it.
    pub(crate) async fn dispatch(self: Arc<Self>, request: Request) -> Result<Response, Error> {
        let progress = context_of(&request)
            .map(|c| c.progress.clone())
            .unwrap_or_default();
        let span = trace::CallSpan::start(&request);
        let result = span
            .within(Next::new(&self.layers, &self.transport).run(request))
            .await;
        let result = match result {
            Ok(response) => finish(response).map_err(|e| e.reached(progress.get())),
            Err(e) => Err(e.reached(progress.get())),
        };
        span.finish(&result, progress.attempts());
        result
    }
}

impl Pipeline {
    /// Runs `request` through the stack like [`dispatch`](Self::dispatch), but
    /// a successful answer's body is not read: it comes back as a
    /// [`BodyStream`] beside the answer's head (whose body is empty). Every
    /// layer still sees the call, so it is signed, retried and logged as any
    /// other; the innermost step is a layer of this call alone that sends
    /// with [`Transport::send_streaming`]. A layer that answers by itself,
    /// without sending, has its answer's body streamed as it is.
    pub(crate) async fn dispatch_streaming(
        self: Arc<Self>,
        request: Request,
    ) -> Result<(Response, BodyStreamOr), Error> {
        let slot = Arc::new(Mutex::new(None));
        let mut layers = self.layers.clone();
        layers.push(Layer::new("streaming", Arc::new(Capture(slot.clone()))));
        let progress = context_of(&request)
            .map(|c| c.progress.clone())
            .unwrap_or_default();
        let response = match Next::new(&layers, &self.transport).run(request).await {
            Ok(response) => finish(response).map_err(|e| e.reached(progress.get()))?,
            Err(e) => return Err(e.reached(progress.get())),
        };
        let stream = match slot.lock() {
            Ok(mut s) => s.take(),
            Err(p) => p.into_inner().take(),
        };
        Ok(match stream {
            Some(stream) => (response, BodyStreamOr::Stream(stream)),
            None => {
                let whole = response.body().clone();
                (response, BodyStreamOr::Whole(Some(whole)))
            }
        })
    }
}

/// The body of a streamed call: from the wire, or whole when a layer answered.
#[derive(Debug)]
pub(crate) enum BodyStreamOr {
    Stream(BodyStream),
    Whole(Option<bytes::Bytes>),
}

impl BodyStreamOr {
    /// The next chunk, `None` at the end.
    pub(crate) async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, Error> {
        match self {
            Self::Stream(s) => s.chunk().await,
            Self::Whole(w) => Ok(w.take().filter(|b| !b.is_empty())),
        }
    }
}

/// The innermost layer of a streamed call: sends, and keeps the body aside.
struct Capture(Arc<Mutex<Option<BodyStream>>>);

impl Middleware for Capture {
    fn handle<'a>(
        &'a self,
        request: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            let (response, stream) = next.transport().send_streaming(request).await?;
            let mut slot = match self.0.lock() {
                Ok(s) => s,
                Err(p) => p.into_inner(),
            };
            // A retried call keeps the last attempt's body.
            *slot = stream;
            Ok(response)
        })
    }
}

fn finish(response: Response) -> Result<Response, Error> {
    let status = response.status();
    if status.is_success() || status.is_redirection() {
        return Ok(response);
    }
    let verified = response.extensions().get::<Verified>().is_some();
    let api = ApiError::from_json(&response, verified);
    Err(Error::api(api, response))
}
