//! The plumbing shared by [`super::TestServer`] and [`super::RawServer`]: a
//! loopback listener served on a thread with its own Tokio runtime, counting
//! accepted and closed connections, and stopped (and joined) in `Drop`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::net::TcpStream;
use tokio::sync::oneshot;

use super::{Counters, Observed};

/// A server thread: an accept loop on 127.0.0.1 (a free port) that runs a
/// per-connection future in its own task.
#[derive(Debug)]
pub(crate) struct ServerThread {
    /// Where it listens (127.0.0.1, a free port).
    addr: SocketAddr,
    /// What it has seen so far.
    counters: Arc<Counters>,
    /// Dropping or firing it stops the accept loop and the runtime.
    shutdown: Option<oneshot::Sender<()>>,
    /// The server thread, joined in [`ServerThread::stop`].
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Binds 127.0.0.1:0 and starts a thread named `<name>-<port>` whose
    /// runtime accepts connections until stopped. Each accepted connection
    /// is counted, handed to `serve` and run in a task of its own; when that
    /// task's future finishes (and so has dropped, and closed, the stream)
    /// the connection is counted as closed.
    pub(crate) fn spawn<S, Fut>(name: &str, serve: S) -> Self
    where
        S: Fn(TcpStream, Arc<Counters>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = std_listener.local_addr().expect("local addr");
        let counters = Arc::new(Counters::default());
        let (shutdown, stop) = oneshot::channel();
        let thread_counters = counters.clone();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{}", addr.port()))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("server runtime");
                rt.block_on(accept_loop(std_listener, serve, thread_counters, stop));
                // Dropping the runtime here cancels every connection task,
                // which closes their sockets.
            })
            .expect("spawn server thread");
        Self {
            addr,
            counters,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// The listening address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port><path>`; `path` should start with `/`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Signals shutdown and joins the thread, re-raising a panic from it
    /// unless this thread is already panicking. Does nothing the second time.
    pub(crate) fn stop(&mut self) {
        drop(self.shutdown.take());
        if let Some(thread) = self.thread.take() {
            if let Err(panic) = thread.join() {
                if !std::thread::panicking() {
                    std::panic::resume_unwind(panic);
                }
            }
        }
    }
}

impl Observed for ServerThread {
    fn counters(&self) -> &Counters {
        &self.counters
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop<S, Fut>(
    std_listener: std::net::TcpListener,
    serve: S,
    counters: Arc<Counters>,
    mut stop: oneshot::Receiver<()>,
) where
    S: Fn(TcpStream, Arc<Counters>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::from_std(std_listener).expect("tokio listener");
    loop {
        let stream = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        counters.update(|s| {
            s.accepted += 1;
            s.peak = s.peak.max(s.accepted - s.closed);
        });
        let conn = serve(stream, counters.clone());
        let counters = counters.clone();
        tokio::spawn(async move {
            conn.await;
            counters.update(|s| s.closed += 1);
        });
    }
}
