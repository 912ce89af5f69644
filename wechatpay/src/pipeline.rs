//! The pipeline of a call (PHP's `ClientDecorator`), shared by every chain
//! of a client: options and template → request → the stack (verifiers,
//! signers) → transport → the answer, or an error that says how far the
//! call got.

use std::sync::Arc;

use http::Method;

use crate::{
    ApiError, CertStore, Error, Options, Response,
    middleware::{Layer, Next, Verified},
    request::{self, Defaults, Request, context_of},
    template::{Template, cache::TemplateCache},
    trace,
    transport::Transport,
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

fn finish(response: Response) -> Result<Response, Error> {
    let status = response.status();
    if status.is_success() || status.is_redirection() {
        return Ok(response);
    }
    let verified = response.extensions().get::<Verified>().is_some();
    let api = ApiError::from_json(&response, verified);
    Err(Error::api(api, response))
}
