//! The named layers of a client, which a builder can rearrange as PHP's
//! `HandlerStack` is rearranged: `$stack->remove('signer')`,
//! `$stack->before('signer', …)`.

use std::{borrow::Cow, sync::Arc};

use super::Middleware;
use crate::Error;

/// The names of the built-in layers.
pub(crate) const RETRY: &str = "retry";
pub(crate) const VERIFIER: &str = "verifier";
pub(crate) const VERIFIER_V2: &str = "verifier_v2";
pub(crate) const SIGNER: &str = "signer";
pub(crate) const SIGNER_V2: &str = "signer_v2";

/// One named layer.
#[derive(Clone)]
pub(crate) struct Layer {
    name: Cow<'static, str>,
    handler: Arc<dyn Middleware>,
}

impl std::fmt::Debug for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Layer").field(&self.name).finish()
    }
}

impl Layer {
    pub(crate) fn new(name: impl Into<Cow<'static, str>>, handler: Arc<dyn Middleware>) -> Self {
        Self {
            name: name.into(),
            handler,
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn handler(&self) -> &dyn Middleware {
        &*self.handler
    }

    pub(crate) fn is(&self, handler: &Arc<dyn Middleware>) -> bool {
        Arc::ptr_eq(&self.handler, handler)
    }
}

/// The layers of a client, outermost first, each with a name; see
/// [`Builder::stack`](crate::Builder::stack) and the [module docs](super)
/// for the default names.
///
/// A mistake (a name that does not exist, a duplicate name, removing a
/// verifier) is reported by [`Builder::build`](crate::Builder::build), so the
/// calls chain. Verification cannot be removed here: that takes
/// [`Builder::danger_accept_unverified_responses`](crate::Builder::danger_accept_unverified_responses).
///
/// ```
/// use wechatpay::middleware::{BoxFuture, Middleware, Next, Request, Stack};
/// struct Log;
/// impl Middleware for Log {
///     fn handle<'a>(&'a self, r: Request, next: Next<'a>) -> BoxFuture<'a, Result<wechatpay::Response, wechatpay::Error>> {
///         eprintln!("signed: {:?}", r.headers().get("Authorization").is_some());
///         next.run(r)
///     }
/// }
/// let builder = wechatpay::Builder::new().stack(|stack: &mut Stack| {
///     // Inside the verifier, outside the signer: sees each request signed.
///     stack.after("verifier_v2", "log", Log);
///     assert_eq!(stack.names(), ["verifier", "verifier_v2", "log", "signer", "signer_v2"]);
/// });
/// ```
#[derive(Default)]
pub struct Stack {
    layers: Vec<Layer>,
    problems: Vec<String>,
}

impl Stack {
    pub(crate) fn from_layers(layers: Vec<Layer>) -> Self {
        Self {
            layers,
            problems: Vec::new(),
        }
    }

    pub(crate) fn into_layers(self) -> Result<Vec<Layer>, Error> {
        match self.problems.first() {
            Some(p) => Err(Error::config(format!("the middleware stack: {p}"))),
            None => Ok(self.layers),
        }
    }

    pub(crate) fn layers(&self) -> &[Layer] {
        &self.layers
    }

    pub(crate) fn drop_verifiers(&mut self) {
        self.layers
            .retain(|l| l.name() != VERIFIER && l.name() != VERIFIER_V2);
    }

    fn position(&mut self, name: &str) -> Option<usize> {
        let at = self.layers.iter().position(|l| l.name() == name);
        if at.is_none() {
            self.problems.push(format!(
                "there is no layer named `{name}` (there are: {})",
                self.names().join(", ")
            ));
        }
        at
    }

    fn named(&mut self, name: Cow<'static, str>, layer: impl Middleware) -> Option<Layer> {
        if self.layers.iter().any(|l| l.name() == name) {
            self.problems
                .push(format!("a layer named `{name}` is there already"));
            return None;
        }
        Some(Layer::new(name, Arc::new(layer)))
    }

    /// The layers' names, outermost first.
    ///
    /// ```
    /// let b = wechatpay::Builder::new().stack(|s| {
    ///     assert_eq!(s.names(), ["verifier", "verifier_v2", "signer", "signer_v2"]);
    /// });
    /// ```
    pub fn names(&self) -> Vec<&str> {
        self.layers.iter().map(Layer::name).collect()
    }

    /// Adds `layer` outside every other: it sees each request first and
    /// each answer last.
    ///
    /// ```
    /// # use wechatpay::middleware::{BoxFuture, Middleware, Next, Request};
    /// # struct Metrics;
    /// # impl Middleware for Metrics {
    /// #     fn handle<'a>(&'a self, r: Request, next: Next<'a>) -> BoxFuture<'a, Result<wechatpay::Response, wechatpay::Error>> { next.run(r) }
    /// # }
    /// let b = wechatpay::Builder::new().stack(|s| { s.push("metrics", Metrics); });
    /// ```
    pub fn push(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        layer: impl Middleware,
    ) -> &mut Self {
        if let Some(l) = self.named(name.into(), layer) {
            self.layers.insert(0, l);
        }
        self
    }

    /// Adds `layer` just outside the layer named `existing`.
    ///
    /// ```
    /// # use wechatpay::middleware::{BoxFuture, Middleware, Next, Request};
    /// # struct Audit;
    /// # impl Middleware for Audit {
    /// #     fn handle<'a>(&'a self, r: Request, next: Next<'a>) -> BoxFuture<'a, Result<wechatpay::Response, wechatpay::Error>> { next.run(r) }
    /// # }
    /// let b = wechatpay::Builder::new().stack(|s| { s.before("signer", "audit", Audit); });
    /// ```
    pub fn before(
        &mut self,
        existing: &str,
        name: impl Into<Cow<'static, str>>,
        layer: impl Middleware,
    ) -> &mut Self {
        if let (Some(at), Some(l)) = (self.position(existing), self.named(name.into(), layer)) {
            self.layers.insert(at, l);
        }
        self
    }

    /// Adds `layer` just inside the layer named `existing`.
    ///
    /// ```
    /// # use wechatpay::middleware::{BoxFuture, Middleware, Next, Request};
    /// # struct Wire;
    /// # impl Middleware for Wire {
    /// #     fn handle<'a>(&'a self, r: Request, next: Next<'a>) -> BoxFuture<'a, Result<wechatpay::Response, wechatpay::Error>> { next.run(r) }
    /// # }
    /// // Innermost: sees exactly what goes on the wire.
    /// let b = wechatpay::Builder::new().stack(|s| { s.after("signer_v2", "wire", Wire); });
    /// ```
    pub fn after(
        &mut self,
        existing: &str,
        name: impl Into<Cow<'static, str>>,
        layer: impl Middleware,
    ) -> &mut Self {
        if let (Some(at), Some(l)) = (self.position(existing), self.named(name.into(), layer)) {
            self.layers.insert(at + 1, l);
        }
        self
    }

    /// Puts `layer` in the place of the layer named `name`, keeping the
    /// name: a signer whose key lives in an HSM replaces `signer` (see also
    /// [`Builder::signer`](crate::Builder::signer), which keeps the built-in
    /// header format and swaps only the key).
    ///
    /// ```
    /// # use wechatpay::middleware::{BoxFuture, Middleware, Next, Request};
    /// # struct Remote;
    /// # impl Middleware for Remote {
    /// #     fn handle<'a>(&'a self, r: Request, next: Next<'a>) -> BoxFuture<'a, Result<wechatpay::Response, wechatpay::Error>> { next.run(r) }
    /// # }
    /// let b = wechatpay::Builder::new().stack(|s| { s.replace("signer", Remote); });
    /// ```
    pub fn replace(&mut self, name: &str, layer: impl Middleware) -> &mut Self {
        if let Some(at) = self.position(name) {
            let name = self.layers[at].name.clone();
            self.layers[at] = Layer::new(name, Arc::new(layer));
        }
        self
    }

    /// Removes the layer named `name`. The verifiers cannot be removed
    /// this way (a build error says so): turning verification off takes
    /// [`Builder::danger_accept_unverified_responses`](crate::Builder::danger_accept_unverified_responses).
    ///
    /// ```
    /// # use wechatpay::middleware::{BoxFuture, Middleware, Next, Request};
    /// # struct Log;
    /// # impl Middleware for Log {
    /// #     fn handle<'a>(&'a self, r: Request, next: Next<'a>) -> BoxFuture<'a, Result<wechatpay::Response, wechatpay::Error>> { next.run(r) }
    /// # }
    /// let b = wechatpay::Builder::new().middleware(Log).stack(|s| { s.remove("middleware_0"); });
    /// ```
    pub fn remove(&mut self, name: &str) -> &mut Self {
        if name == VERIFIER || name == VERIFIER_V2 {
            self.problems.push(format!(
                "`{name}` cannot be removed: turning verification off takes \
                 Builder::danger_accept_unverified_responses()"
            ));
            return self;
        }
        if let Some(at) = self.position(name) {
            self.layers.remove(at);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::middleware::{BoxFuture, Next, Request};

    struct Nop;
    impl Middleware for Nop {
        fn handle<'a>(
            &'a self,
            r: Request,
            next: Next<'a>,
        ) -> BoxFuture<'a, Result<crate::Response, Error>> {
            next.run(r)
        }
    }

    fn default_stack() -> Stack {
        Stack::from_layers(
            [VERIFIER, VERIFIER_V2, SIGNER, SIGNER_V2]
                .into_iter()
                .map(|n| Layer::new(n, Arc::new(Nop)))
                .collect(),
        )
    }

    #[test]
    fn layers_go_where_they_are_put() {
        let mut s = default_stack();
        s.push("outer", Nop)
            .before("signer", "a", Nop)
            .after("signer_v2", "wire", Nop)
            .push("gone", Nop)
            .remove("gone");
        assert_eq!(
            s.names(),
            [
                "outer",
                "verifier",
                "verifier_v2",
                "a",
                "signer",
                "signer_v2",
                "wire"
            ]
        );
        assert!(s.into_layers().is_ok());
    }

    #[test]
    fn mistakes_surface_at_build() {
        for f in [
            (|s: &mut Stack| {
                s.remove("verifier");
            }) as fn(&mut Stack),
            |s| {
                s.before("nope", "a", Nop);
            },
            |s| {
                s.push("signer", Nop);
            },
            |s| {
                s.replace("nope", Nop);
            },
        ] {
            let mut s = default_stack();
            f(&mut s);
            assert!(s.into_layers().unwrap_err().is_config());
        }
    }
}
