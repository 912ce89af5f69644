//! The runtime every call runs on, so blocking and async verbs share one
//! connection pool and work from any thread, inside a runtime or not.
//!
//! reqwest's pooled connections belong to the runtime that opened them, so
//! the client keeps one private runtime and sends everything from it: an
//! async verb awaits the spawned task from whatever runtime the caller uses,
//! and a blocking verb waits on a plain channel, which (unlike
//! `Runtime::block_on`) is allowed on a thread that is itself a runtime
//! worker.

use std::{cell::Cell, future::Future, sync::mpsc};

use tokio::runtime::{Builder, Runtime};

use crate::Error;

thread_local! {
    /// Set on the clients' runtime threads, where waiting for a task of the
    /// same runtime could wait forever; blocking verbs are refused there.
    static ON_ENGINE_THREAD: Cell<bool> = const { Cell::new(false) };
}

pub(crate) struct Engine {
    runtime: Option<Runtime>,
}

impl Engine {
    pub(crate) fn new(worker_threads: usize) -> Result<Self, Error> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(worker_threads.max(1))
            .thread_name("wechatpay")
            .on_thread_start(|| ON_ENGINE_THREAD.with(|f| f.set(true)))
            .enable_all()
            .build()
            .map_err(|e| Error::Config(format!("could not start the I/O runtime: {e}")))?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    fn runtime(&self) -> &Runtime {
        self.runtime.as_ref().expect("runtime lives until drop")
    }

    /// Runs `task` on the private runtime; the returned future may be
    /// awaited on any executor.
    pub(crate) fn spawn<F, T>(
        &self,
        task: F,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'static
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        let handle = self.runtime().spawn(task);
        async move {
            match handle.await {
                Ok(r) => r,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => Err(Error::transport(e)),
            }
        }
    }

    /// Runs a long-lived background task (a certificate refresh) on the
    /// private runtime; it ends when aborted or when the client is gone.
    pub(crate) fn spawn_background<F>(&self, task: F) -> tokio::task::AbortHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.runtime().spawn(task).abort_handle()
    }

    /// Runs `task` on the private runtime and waits for it on this thread.
    pub(crate) fn block_on<F, T>(&self, task: F) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        if ON_ENGINE_THREAD.with(Cell::get) {
            return Err(Error::Config(
                "a blocking verb was called on the client's own I/O thread (from a middleware or \
                 background task), where it would wait for itself; use the async verb there"
                    .into(),
            ));
        }
        let (tx, rx) = mpsc::sync_channel(1);
        self.runtime().spawn(async move {
            let _ = tx.send(task.await);
        });
        rx.recv().map_err(|_| {
            Error::Config("the client's runtime stopped before the call finished".into())
        })?
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Dropping a runtime inside an async context panics; shutting it
        // down in the background is allowed anywhere.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
