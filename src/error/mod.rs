//! The one public error type, and the constructors the rest of the crate uses.
//!
//! Design notes for maintainers:
//! - Every variant is something a caller can act on; its doc says when it
//!   happens and what to do. Messages are lowercase, have no trailing period,
//!   describe only this layer, and name the fix where there is one.
//! - Causes go in `#[source]`, never into the message as well.
//! - Errors of other crates (hyper, io) are boxed as [`BoxError`] so that
//!   their versions never become part of our API.
//! - Large payloads are boxed to keep `Error` small (a unit test pins its size).

use std::error::Error as StdError;
use std::fmt;

use http::StatusCode;
use url::Url;

/// A boxed error from a lower layer (hyper, the operating system).
pub(crate) type BoxError = Box<dyn StdError + Send + Sync>;

/// The result type of this crate: `Result<T, clientsession::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong with a session, a request or a response.
///
/// The variants name the cause, so that a caller can tell "my runtime is
/// gone" from "the server hung" from "I passed a bad URL". Match on the ones
/// you handle and treat the rest generically: the enum is `#[non_exhaustive]`
/// and later versions add variants.
///
/// No call of this crate panics on bad input or a bad environment; it returns
/// one of these instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A session was created, or a scoped session started, where no Tokio
    /// runtime is running (for example in plain `fn main`).
    ///
    /// Three ways out, by situation:
    /// - sync code, a `static`, or another executor:
    ///   [`Session::background()`], a session on the crate's shared
    ///   background runtime that works anywhere (or the `blocking` client,
    ///   feature `blocking`);
    /// - async code: create the session inside the runtime, for example in
    ///   `#[tokio::main] async fn main` or with [`Session::scoped`];
    /// - a runtime of your own: pass its handle to
    ///   [`SessionBuilder::runtime`] and build with
    ///   [`SessionBuilder::build_sync`].
    ///
    /// [`Session::background()`]: crate::Session::background
    /// [`Session::scoped`]: crate::Session::scoped
    /// [`SessionBuilder::runtime`]: crate::SessionBuilder::runtime
    /// [`SessionBuilder::build_sync`]: crate::SessionBuilder::build_sync
    #[error(
        "no Tokio runtime is running here: in sync code, a static or another executor, \
         use `Session::background()` (or the `blocking` client); in async code, create \
         the session inside the runtime (for example in `#[tokio::main] async fn main`, \
         or with `Session::scoped`); or pass a runtime handle to `SessionBuilder::runtime`"
    )]
    NoRuntime,

    /// The home runtime was built without a driver that HTTP needs.
    ///
    /// `driver` is `"IO"` or `"time"`. Build the runtime with `enable_all()`
    /// (or `enable_io()` and `enable_time()`).
    ///
    /// Tokio has no way to ask a runtime for its drivers other than a call
    /// that panics without them, so the check catches that panic. A program
    /// built with `panic = "abort"` cannot catch it: there this error is never
    /// returned, and a runtime without a driver makes tokio abort the process
    /// at the session's first request, with tokio's own message.
    #[error(
        "the Tokio runtime this session would live in has no {driver} driver: \
         build it with `enable_all()` on the runtime builder"
    )]
    RuntimeMisconfigured {
        /// The missing driver: `"IO"` or `"time"`.
        driver: &'static str,
    },

    /// The session's home runtime has shut down, so the session can no
    /// longer make progress.
    ///
    /// This is what a session kept in a `static` and shared by several
    /// `#[tokio::test]`s reports once the first test's runtime is gone (where
    /// other clients fail with "dispatch task is gone" or hang). For a
    /// session shared across runtimes or kept in a static, use
    /// [`Session::background()`], whose home never shuts down; otherwise
    /// create one session per runtime.
    ///
    /// [`Session::background()`]: crate::Session::background
    #[error(
        "the Tokio runtime this session belongs to has shut down: for a session shared \
         across runtimes or kept in a static, use `Session::background()`; otherwise \
         create the session in the runtime that uses it"
    )]
    RuntimeShutdown,

    /// The session's home runtime is a current-thread runtime, and it was
    /// called from outside that runtime.
    ///
    /// A current-thread runtime only makes progress while its own thread
    /// drives it, so such a call could hang. For a session shared across
    /// runtimes or kept in a static (the `#[tokio::test]` case: each test
    /// has its own current-thread runtime), use [`Session::background()`];
    /// otherwise use the session inside its home runtime.
    ///
    /// [`Session::background()`]: crate::Session::background
    #[error(
        "this session belongs to a current-thread Tokio runtime and was used from \
         outside it: for a session shared across runtimes or kept in a static, use \
         `Session::background()`; otherwise use it inside its home runtime"
    )]
    WrongRuntime,

    /// The crate's shared background runtime (the home of
    /// [`Session::background()`] and of the blocking client) could not be
    /// started: the operating system refused its threads or its IO driver.
    ///
    /// This points at the process's limits (threads, open files). Raise
    /// them, or give the session a runtime of your own with
    /// [`SessionBuilder::runtime`]. A later call tries again.
    ///
    /// [`Session::background()`]: crate::Session::background
    /// [`SessionBuilder::runtime`]: crate::SessionBuilder::runtime
    #[error(
        "the shared background runtime could not be started: check the process's \
         thread and file limits, or pass a runtime handle to `SessionBuilder::runtime`"
    )]
    BackgroundUnavailable {
        /// The cause, from the operating system.
        #[source]
        source: BoxError,
    },

    /// A call of the blocking client was made from inside an async task,
    /// where blocking the thread would stall the runtime (or deadlock it).
    ///
    /// In async code, use the async [`Session`](crate::Session); to call
    /// blocking code from async code, move it into
    /// `tokio::task::spawn_blocking`.
    #[error(
        "a blocking call was made from inside an async task: use the async `Session` \
         there, or move the blocking code into `tokio::task::spawn_blocking`"
    )]
    BlockingInAsync,

    /// The writer given to the blocking client's `Response::copy_to`
    /// failed; the source is its `std::io::Error`.
    ///
    /// Nothing is wrong with the response: check the destination (a full
    /// disk, a closed pipe).
    #[error("could not write the response body to the writer given to `copy_to`")]
    Write {
        /// The writer's error.
        #[source]
        source: BoxError,
    },

    /// The session was closed (by [`Session::close`] or at the end of a
    /// scope) before this request started.
    ///
    /// [`Session::close`]: crate::Session::close
    #[error("the session is closed: create a new session for new requests")]
    Closed,

    /// The request was still in flight when the session was closed with
    /// [`Session::close_with_timeout`] and the deadline passed, so it was
    /// cut off. The server may or may not have seen it.
    ///
    /// [`Session::close_with_timeout`]: crate::Session::close_with_timeout
    #[error(
        "the request was aborted: the session was closed with a deadline that passed \
         before the request finished"
    )]
    Aborted,

    /// A URL could not be used: malformed, relative without a base URL, or
    /// with a scheme this client does not speak.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as it was given.
        url: String,
        /// What is wrong with it, and the fix where there is one.
        reason: String,
    },

    /// A header name or value is not valid HTTP.
    ///
    /// Values are never echoed, as they may be secret.
    #[error("invalid header {name:?}: {reason}")]
    InvalidHeader {
        /// The header name as given (lossily decoded).
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A timeout fired; [`TimeoutKind`] says which one.
    #[error("{0}")]
    Timeout(TimeoutKind),

    /// A response body was larger than the session's
    /// [`max_response_body`](crate::SessionBuilder::max_response_body) while
    /// reading it with `bytes()` or `text()`.
    ///
    /// Raise the limit, or stream the body with
    /// [`Response::chunk`](crate::Response::chunk), which has no limit.
    #[error(
        "the response body is larger than the limit of {limit} bytes: raise \
         `max_response_body` or read it with `chunk()`"
    )]
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },

    /// The server answered with a 4xx or 5xx status, turned into an error by
    /// [`Response::error_for_status`](crate::Response::error_for_status).
    #[error("HTTP status {status} from {url}")]
    Status {
        /// The status the server sent.
        status: StatusCode,
        /// The URL of the response.
        url: Box<Url>,
    },

    /// A redirect could not be followed: too many hops, a loop, a
    /// `Location` that is not an http(s) URL, or a 307/308 that must send
    /// again a streamed body that was already sent.
    #[error("redirect from {url} not followed: {reason}")]
    Redirect {
        /// The URL that answered with the redirect.
        url: Box<Url>,
        /// Why it was not followed, and the fix where there is one.
        reason: String,
    },

    /// The connection to the server could not be opened (refused, name not
    /// resolved, unreachable).
    #[error("could not connect to {host}")]
    Connect {
        /// `host:port` that was dialled.
        host: String,
        /// The cause.
        #[source]
        source: BoxError,
    },

    /// The request could not be sent, or the connection failed before the
    /// response head arrived.
    ///
    /// Requests that may have reached the server are never retried unless
    /// they are idempotent; this error says the server may or may not have
    /// seen the request.
    #[error("error sending the request to {url}")]
    Request {
        /// The request URL.
        url: Box<Url>,
        /// The cause.
        #[source]
        source: BoxError,
    },

    /// The TLS handshake with the server failed: its certificate is not
    /// trusted, not valid for the host name or expired, the server does not
    /// speak TLS on that port, or it refused the connection.
    ///
    /// `reason` says which, and the fix where there is one (for example
    /// [`add_root_certificate`](crate::SessionBuilder::add_root_certificate)
    /// for a private CA). [`Error::is_connect`] is true for it. The TLS
    /// handshake counts against the connect timeout.
    #[error("TLS handshake with {host} failed: {reason}")]
    Tls {
        /// The host name (or IP address) the certificate was checked
        /// against.
        host: String,
        /// What went wrong, in words.
        reason: String,
        /// The cause.
        #[source]
        source: BoxError,
    },

    /// A certificate or private key given to
    /// [`Certificate::from_pem`](crate::Certificate::from_pem),
    /// [`Certificate::from_der`](crate::Certificate::from_der) or
    /// [`Identity::from_pem`](crate::Identity::from_pem) could not be used:
    /// it is not PEM or DER, holds no certificate, or the key does not match
    /// the certificate.
    ///
    /// Check that the input is the file you meant (a PEM file starts with
    /// `-----BEGIN`).
    #[error("invalid TLS certificate or key: {reason}")]
    InvalidCertificate {
        /// What is wrong with it.
        reason: String,
        /// The cause, when a lower layer reported one.
        #[source]
        source: Option<BoxError>,
    },

    /// The connection failed while the response body was being read.
    #[error("error reading the response body")]
    Body {
        /// The cause.
        #[source]
        source: BoxError,
    },

    /// The response body could not be decoded by
    /// [`Response::json`](crate::Response::json): it is not valid JSON, it
    /// ends too early, or its shape does not match the type asked for.
    ///
    /// `line` and `column` say where decoding stopped; the source error
    /// says what was wrong there. Check the server's `Content-Type` and the
    /// target type, or read the body with
    /// [`Response::text`](crate::Response::text) to see it.
    #[error("could not decode the response body as JSON at line {line} column {column}")]
    Decode {
        /// The line (from 1) where decoding stopped.
        line: usize,
        /// The column (from 1) where decoding stopped; 0 when the body
        /// ended before anything was read.
        column: usize,
        /// The cause, from the decoder.
        #[source]
        source: BoxError,
    },

    /// A request body could not be built from the value given to `json()`,
    /// `form()` or `multipart()`: the value cannot be serialized in that
    /// format (for example a map with non-string keys in JSON, or a nested
    /// struct in a form), or a multipart part was given an invalid MIME
    /// type. (A value that `query()` cannot encode is an
    /// [`Error::InvalidUrl`].)
    ///
    /// Reported by `send()`. Change the value, or serialize it yourself and
    /// pass the bytes to `body()`.
    #[error("invalid request body: {reason}")]
    InvalidBody {
        /// What could not be built, and why.
        reason: String,
        /// The cause, when a serializer reported one.
        #[source]
        source: Option<BoxError>,
    },

    /// A compressed response body could not be decompressed: its
    /// `Content-Encoding` names `encoding`, but the body is not valid data
    /// of that kind, or it ends in the middle of it.
    ///
    /// A session asks for compressed bodies with its default
    /// `Accept-Encoding` and decompresses them as they are read. To read a
    /// body exactly as the server sent it, set your own `Accept-Encoding`
    /// header on the request: that turns decompression off for its
    /// response.
    #[error(
        "could not decompress the {encoding}-encoded response body: set your own \
         `accept-encoding` header on the request to read it as sent"
    )]
    Decompress {
        /// The `Content-Encoding` of the response: `"gzip"`, `"deflate"`,
        /// `"br"` or `"zstd"`.
        encoding: &'static str,
        /// The cause, from the decoder.
        #[source]
        source: BoxError,
    },
}

/// Which timeout fired, in an [`Error::Timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// The total request timeout, which covers connecting, sending, and
    /// reading the whole body (`SessionBuilder::timeout`,
    /// `RequestBuilder::timeout`).
    Total,
    /// The connect timeout (`SessionBuilder::connect_timeout`).
    Connect,
    /// The read timeout: the longest wait for the response head or for the
    /// next piece of the body (`SessionBuilder::read_timeout`).
    Read,
    /// The pool timeout: every place in the connection limits stayed taken
    /// (`SessionBuilder::pool_timeout`, `max_connections`,
    /// `max_connections_per_host`).
    Pool,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Total => {
                "the total request timeout elapsed: raise it with `timeout()` if the server is slow"
            }
            TimeoutKind::Connect => {
                "the connect timeout elapsed before the server accepted the connection: \
                 check the address, or raise `connect_timeout()`"
            }
            TimeoutKind::Read => {
                "the read timeout elapsed while waiting for data from the server: \
                 raise `read_timeout()` if the server sends slowly"
            }
            TimeoutKind::Pool => {
                "the pool timeout elapsed while every connection allowed by \
                 `max_connections`/`max_connections_per_host` was busy: raise the limits \
                 or `pool_timeout()`, or send fewer requests at once"
            }
        })
    }
}

impl Error {
    /// Whether this error is a timeout of any kind.
    pub fn is_timeout(&self) -> bool {
        if matches!(self, Error::Timeout(_)) {
            return true;
        }
        walk_sources(self, |e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        })
    }

    /// Whether this error happened while opening a connection (including a
    /// connect timeout).
    pub fn is_connect(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. } | Error::Tls { .. } | Error::Timeout(TimeoutKind::Connect)
        )
    }

    /// The HTTP status of an [`Error::Status`], if this is one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Whether `pred` holds for any error in the `source()` chain below `err`.
fn walk_sources(
    err: &(dyn StdError + 'static),
    pred: impl Fn(&(dyn StdError + 'static)) -> bool,
) -> bool {
    let mut next = err.source();
    while let Some(e) = next {
        if pred(e) {
            return true;
        }
        next = e.source();
    }
    false
}

mod constructors;
// The constructors the rest of the crate uses (`error::invalid_url(..)`).
pub(crate) use constructors::*;

#[cfg(test)]
mod tests;
