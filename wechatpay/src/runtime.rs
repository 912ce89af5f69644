//! Where a call's future runs.
//!
//! - **Async verbs** run on the caller's runtime, in the caller's task: no
//!   hand-off to another thread, and dropping the future cancels the call.
//!   Awaited outside any tokio runtime (another executor), the call runs
//!   on the [helper](helper) thread instead.
//! - **Blocking verbs** on a thread with no runtime run the call on a
//!   current-thread runtime kept for that thread: again no hand-off. Inside
//!   a multi-thread runtime they block in place. Inside a current-thread
//!   runtime, whose only thread is the caller's, blocking it would stop
//!   everything else on it (a server it hosts, timers): the call runs on the
//!   helper thread while the caller waits.
//!
//! A panic inside the stack reaches the caller as a panic on either path.

use std::{
    cell::{Cell, RefCell},
    future::Future,
    panic,
    pin::Pin,
    sync::{Arc, OnceLock},
    task::{Context, Poll, Wake, Waker},
    thread::Thread,
};

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use crate::Error;

thread_local! {
    /// A current-thread runtime for blocking verbs on this thread.
    static THREAD_RUNTIME: RefCell<Option<Runtime>> = const { RefCell::new(None) };
    /// Set on the helper thread, where waiting for the helper would wait forever.
    static ON_HELPER: Cell<bool> = const { Cell::new(false) };
}

/// The process-wide helper: one thread running a current-thread runtime,
/// started on first use.
fn helper() -> Result<&'static Handle, Error> {
    static HELPER: OnceLock<Result<Handle, String>> = OnceLock::new();
    HELPER
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let handle = runtime.handle().clone();
            std::thread::Builder::new()
                .name("wechatpay-helper".into())
                .spawn(move || {
                    ON_HELPER.with(|f| f.set(true));
                    runtime.block_on(std::future::pending::<()>());
                })
                .map_err(|e| e.to_string())?;
            Ok(handle)
        })
        .as_ref()
        .map_err(|e| Error::config(format!("could not start the wechatpay helper thread: {e}")))
}

/// Runs `call` to completion on this thread's behalf; see the module docs.
pub(crate) fn block_on<F, T>(call: F) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>> + Send + 'static,
    T: Send + 'static,
{
    if ON_HELPER.with(Cell::get) {
        return Err(Error::config(
            "a blocking verb was called on the wechatpay helper thread (from a layer or a \
             background task), where it would wait for itself; use the async verb there",
        ));
    }
    match Handle::try_current() {
        Err(_) => on_thread_runtime(call),
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| handle.block_on(call))
        }
        Ok(_) => wait(helper()?.spawn(call)),
    }
}

fn on_thread_runtime<F, T>(call: F) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>> + Send + 'static,
    T: Send + 'static,
{
    let mut call = Some(call);
    let ran = THREAD_RUNTIME.try_with(|cell| -> Result<Option<Result<T, Error>>, Error> {
        // A layer that calls a blocking verb from inside this runtime's
        // `block_on` finds the cell borrowed; it goes to the helper.
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return Ok(None);
        };
        if slot.is_none() {
            *slot = Some(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| Error::config(format!("could not start a runtime: {e}")))?,
            );
        }
        let runtime = slot.as_ref().expect("set above");
        Ok(call.take().map(|c| runtime.block_on(c)))
    });
    match ran {
        Ok(Ok(Some(result))) => result,
        Ok(Err(e)) => Err(e),
        // The thread is exiting (its locals are gone) or the runtime is busy.
        Ok(Ok(None)) | Err(_) => match call {
            Some(c) => wait(helper()?.spawn(c)),
            None => Err(Error::config("the call could not be run")),
        },
    }
}

/// Parks this thread until `task` finishes, without entering any runtime,
/// so it works inside a current-thread runtime too. A panic resumes here.
fn wait<T>(task: tokio::task::JoinHandle<Result<T, Error>>) -> Result<T, Error> {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut task = task;
    loop {
        match Pin::new(&mut task).poll(&mut cx) {
            Poll::Ready(Ok(r)) => return r,
            Poll::Ready(Err(e)) if e.is_panic() => panic::resume_unwind(e.into_panic()),
            Poll::Ready(Err(_)) => {
                return Err(Error::config(
                    "the wechatpay helper runtime stopped before the call finished",
                ));
            }
            Poll::Pending => std::thread::park(),
        }
    }
}

/// The future of an async verb: `Send + 'static`, owning everything it
/// needs, so it can be spawned, stored, or awaited on any executor. Inside
/// a tokio runtime it does its work in the awaiting task; dropping it
/// cancels the call and closes its connection.
///
/// ```no_run
/// # async fn f(client: &wechatpay::Client) {
/// let pending: wechatpay::Pending = client.chain("v3/certificates").get_async(());
/// let handle = tokio::spawn(pending);
/// # }
/// ```
#[must_use = "a Pending call does nothing unless awaited"]
pub struct Pending {
    state: State,
}

type Call = Pin<Box<dyn Future<Output = Result<crate::Response, Error>> + Send + 'static>>;

enum State {
    /// Not polled yet: where it runs is decided at the first poll.
    Ready(Call),
    /// Running in the awaiting task.
    Inline(Call),
    /// Running on the helper thread (awaited outside tokio).
    Helper(AbortOnDrop),
    Done,
}

/// Aborts the helper task if the future is dropped first.
struct AbortOnDrop(tokio::task::JoinHandle<Result<crate::Response, Error>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Pending {
    pub(crate) fn new(
        call: impl Future<Output = Result<crate::Response, Error>> + Send + 'static,
    ) -> Self {
        Self {
            state: State::Ready(Box::pin(call)),
        }
    }

    pub(crate) fn failed(error: Error) -> Self {
        Self::new(async move { Err(error) })
    }
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

impl Future for Pending {
    type Output = Result<crate::Response, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &mut self.state {
                State::Ready(_) => {
                    let State::Ready(call) = std::mem::replace(&mut self.state, State::Done) else {
                        unreachable!("matched above")
                    };
                    self.state = if Handle::try_current().is_ok() {
                        State::Inline(call)
                    } else {
                        match helper() {
                            Ok(h) => State::Helper(AbortOnDrop(h.spawn(call))),
                            Err(e) => return Poll::Ready(Err(e)),
                        }
                    };
                }
                State::Inline(call) => {
                    let out = std::task::ready!(call.as_mut().poll(cx));
                    self.state = State::Done;
                    return Poll::Ready(out);
                }
                State::Helper(task) => {
                    let out = std::task::ready!(Pin::new(&mut task.0).poll(cx));
                    self.state = State::Done;
                    return Poll::Ready(match out {
                        Ok(r) => r,
                        Err(e) if e.is_panic() => panic::resume_unwind(e.into_panic()),
                        Err(_) => Err(Error::config(
                            "the wechatpay helper runtime stopped before the call finished",
                        )),
                    });
                }
                State::Done => panic!("Pending polled after it finished"),
            }
        }
    }
}

/// Runs a long-lived background task (a certificate refresh): on the
/// caller's runtime when there is one, else on the helper thread.
pub(crate) fn spawn_background<F>(task: F) -> Result<tokio::task::AbortHandle, Error>
where
    F: Future<Output = ()> + Send + 'static,
{
    let handle = match Handle::try_current() {
        Ok(h) => h,
        Err(_) => helper()?.clone(),
    };
    Ok(handle.spawn(task).abort_handle())
}
