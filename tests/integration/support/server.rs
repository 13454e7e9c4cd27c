//! An in-process hyper 1 HTTP/1.1 server on its own thread and runtime.
//!
//! Living on its own runtime is the point: a test can drop the *client's*
//! runtime (to provoke `Error::RuntimeShutdown`) while the server keeps
//! running and keeps counting what it sees.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::FutureExt;
use http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Either, Full, StreamBody};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::thread::ServerThread;
use super::{Counters, Observed};

/// The handler's request: head as received, body collected in full (so the
/// server can count complete bodies before the handler runs).
pub(crate) type TestRequest = Request<Bytes>;

/// A response body fed by a channel, see [`streaming_body`]. It has no
/// known length, so hyper sends it with chunked transfer encoding.
pub(crate) type StreamingBody =
    StreamBody<futures::stream::BoxStream<'static, Result<Frame<Bytes>, Infallible>>>;

/// A loopback HTTP/1.1 server with keep-alive, counting connections,
/// requests and bodies. Stops in `Drop`, and fails the test there if the
/// handler panicked.
#[derive(Debug)]
pub(crate) struct TestServer {
    /// The listener, its thread and runtime, and what it has seen so far.
    thread: ServerThread,
    /// The message of the first handler panic, raised again in `Drop`.
    panic: Arc<Mutex<Option<String>>>,
}

impl TestServer {
    /// Starts a server that answers every request with `handler`.
    pub(crate) fn new<F, Fut, B>(handler: F) -> Self
    where
        F: Fn(TestRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response<B>> + Send + 'static,
        B: Body<Data = Bytes, Error = Infallible> + Send + 'static,
    {
        let panic = Arc::new(Mutex::new(None));
        let handler = Arc::new(handler);
        let thread = {
            let panic = panic.clone();
            ServerThread::spawn("test-server", move |stream, counters| {
                serve(stream, handler.clone(), counters, panic.clone())
            })
        };
        Self { thread, panic }
    }

    /// A server answering every request with `200 OK` and the 13-byte body
    /// `hello, world!`.
    pub(crate) fn hello() -> Self {
        Self::new(|_req| async { text(StatusCode::OK, "hello, world!") })
    }

    /// A server answering with the request body, and with the request's
    /// method in `x-method`, its path and query in `x-uri`, and each request
    /// header `name` copied to `echo-name`.
    pub(crate) fn echo() -> Self {
        Self::new(|req| async move { echo_response(req) })
    }

    /// The listening address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.thread.addr()
    }

    /// `http://127.0.0.1:<port><path>`; `path` should start with `/`.
    pub(crate) fn url(&self, path: &str) -> String {
        self.thread.url(path)
    }
}

impl Observed for TestServer {
    fn counters(&self) -> &Counters {
        self.thread.counters()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Join first, so every handler that ran has recorded its panic.
        self.thread.stop();
        if std::thread::panicking() {
            return;
        }
        let message = self.panic.lock().map(|p| p.clone()).unwrap_or(None);
        if let Some(message) = message {
            panic!("the test server's handler panicked: {message}");
        }
    }
}

// ---------------------------------------------------------------------------

/// Serves one connection until the socket is closed (by the client, or by
/// us after an error); dropping the connection then closes ours.
async fn serve<F, Fut, B>(
    stream: TcpStream,
    handler: Arc<F>,
    counters: Arc<Counters>,
    panic: Arc<Mutex<Option<String>>>,
) where
    F: Fn(TestRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<B>> + Send + 'static,
    B: Body<Data = Bytes, Error = Infallible> + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        let (handler, counters, panic) = (handler.clone(), counters.clone(), panic.clone());
        handle(req, handler, counters, panic)
    });
    let _ = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn handle<F, Fut, B>(
    req: Request<Incoming>,
    handler: Arc<F>,
    counters: Arc<Counters>,
    panic: Arc<Mutex<Option<String>>>,
) -> Result<Response<Either<B, Full<Bytes>>>, hyper::Error>
where
    F: Fn(TestRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<B>> + Send + 'static,
{
    counters.update(|s| s.requests += 1);
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    if matches!(parts.method, Method::POST | Method::PUT | Method::PATCH) {
        counters.update(|s| s.bodies += 1);
    }
    let req = Request::from_parts(parts, body);
    match AssertUnwindSafe(async move { handler(req).await })
        .catch_unwind()
        .await
    {
        Ok(resp) => Ok(resp.map(Either::Left)),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "<non-string panic>".to_string());
            if let Ok(mut slot) = panic.lock() {
                slot.get_or_insert(message);
            }
            Ok(text(StatusCode::INTERNAL_SERVER_ERROR, "handler panicked").map(Either::Right))
        }
    }
}

// ---------------------------------------------------------------------------

/// A response with `status` and a fixed body (sent with Content-Length).
pub(crate) fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp
}

/// The response of [`TestServer::echo`].
pub(crate) fn echo_response(req: TestRequest) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let mut resp = Response::new(Full::new(body));
    let headers = resp.headers_mut();
    headers.insert(
        "x-method",
        HeaderValue::from_str(parts.method.as_str()).expect("method is a valid value"),
    );
    let uri = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    headers.insert(
        "x-uri",
        HeaderValue::from_str(uri).expect("uri is a valid value"),
    );
    for (name, value) in &parts.headers {
        let echoed = HeaderName::from_bytes(format!("echo-{name}").as_bytes())
            .expect("a prefixed header name is valid");
        headers.append(echoed, value.clone());
    }
    resp
}

/// A response body the test feeds chunk by chunk; it ends when the sender
/// is dropped. Capacity 1, so `send` waits for the body to be consumed.
pub(crate) fn streaming_body() -> (mpsc::Sender<Bytes>, StreamingBody) {
    let (tx, rx) = mpsc::channel::<Bytes>(1);
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        Some((Ok(Frame::data(chunk)), rx))
    });
    (tx, StreamBody::new(Box::pin(stream)))
}
