//! The one loopback server every bench talks to.
//!
//! It runs on its own thread with its own current-thread runtime, so that
//! the client runtime under test shares nothing with it (on a 2-core
//! machine each side gets one core). The payloads are fixed and built once.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Body of `GET /small`.
pub(crate) const SMALL: &[u8] = b"hello, world!";
/// Length of the body of `GET /1m`.
pub(crate) const ONE_MIB: usize = 1024 * 1024;

/// A running server; dropping it stops the accept loop and joins the thread.
pub(crate) struct Server {
    /// Where it listens: always `127.0.0.1` and a port the OS chose.
    addr: SocketAddr,
    /// Fired by `Drop` to end the accept loop.
    shutdown: Option<oneshot::Sender<()>>,
    /// The server thread; joined by `Drop`.
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts the server and returns once it is listening.
    pub(crate) fn start() -> Server {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (shutdown, shutdown_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("server runtime");
                rt.block_on(serve(addr_tx, shutdown_rx));
            })
            .expect("spawn server thread");
        let addr = addr_rx.recv().expect("server did not start");
        Server {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The listening address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            // Surface a server panic instead of hiding it.
            if thread.join().is_err() && !std::thread::panicking() {
                panic!("bench server thread panicked");
            }
        }
    }
}

/// Accept loop: one task per connection, until `shutdown` fires.
async fn serve(addr_tx: std::sync::mpsc::Sender<SocketAddr>, mut shutdown: oneshot::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    addr_tx
        .send(listener.local_addr().expect("local addr"))
        .expect("report addr");
    let big = Bytes::from(vec![b'x'; ONE_MIB]);
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let _ = stream.set_nodelay(true);
        let big = big.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, big.clone()));
            // Clients close idle connections whenever they like; that is
            // not an error worth reporting in a bench.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The fixed routes: `GET /small`, `POST /upload` (answers the body length
/// in decimal), `GET /1m`; anything else is 404.
async fn handle(req: Request<Incoming>, big: Bytes) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = match (req.method(), req.uri().path()) {
        (&Method::GET, "/small") => Bytes::from_static(SMALL),
        (&Method::GET, "/1m") => big,
        (&Method::POST, "/upload") => {
            let len = match req.into_body().collect().await {
                Ok(collected) => collected.to_bytes().len(),
                Err(_) => return Ok(status(StatusCode::BAD_REQUEST)),
            };
            Bytes::from(len.to_string())
        }
        _ => return Ok(status(StatusCode::NOT_FOUND)),
    };
    Ok(Response::new(Full::new(body)))
}

/// An empty response with `code`.
fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::new()));
    *res.status_mut() = code;
    res
}
