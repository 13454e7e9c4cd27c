//! An async HTTP client whose [`Session`] is bound to the Tokio runtime it
//! lives in, with a connection pool whose lifetime you can see.
//!
//! Rust's async HTTP clients are tied to the Tokio runtime in ways users
//! only find at run time: a client built outside a runtime panics deep in
//! hyper ("there is no reactor running"); a client kept in a `static` and
//! shared by several `#[tokio::test]`s fails with "dispatch task is gone"
//! or hangs once the first runtime is gone; nothing closes a pool at a known
//! point. `clientsession` turns each of these into a typed [`Error`] or
//! makes it impossible. It is the Rust form of aiohttp's `ClientSession`
//! and `async with ClientSession() as s:`.
//!
//! # A tour
//!
//! Outside a runtime, creating a session is an error, not a panic:
//!
//! ```
//! use clientsession::{Error, Session};
//!
//! let err = Session::new().unwrap_err();
//! assert!(matches!(err, Error::NoRuntime));
//! println!("{err}"); // says how to fix it
//! ```
//!
//! Inside one, configure a session with the builder:
//!
//! ```
//! use std::time::Duration;
//! use clientsession::Session;
//!
//! # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
//! let session = Session::builder()
//!     .base_url("http://127.0.0.1:8080/api")
//!     .default_header("accept", "application/json")
//!     .timeout(Duration::from_secs(10))
//!     .build()
//!     .await?;
//! // let users = session.get("users").send().await?.text().await?;
//! session.close().await; // graceful: lets requests get their answer, closes every pooled socket
//! # Ok(()) }
//! ```
//!
//! Or let a scope own it: the session is closed when the closure's future
//! finishes, with `Ok` or `Err`:
//!
//! ```
//! use clientsession::{Error, Session};
//!
//! # #[tokio::main] async fn main() -> Result<(), Error> {
//! let closed = Session::scoped(|s| async move {
//!     // let body = s.get("http://127.0.0.1:8080/").send().await?.bytes().await?;
//!     Ok::<_, Error>(s.clone())
//! })
//! .await?;
//! assert!(closed.is_closed());
//! # Ok(()) }
//! ```
//!
//! # The runtime guard
//!
//! A session remembers its *home* runtime. Connections are opened, driven
//! and timed on it, whatever runtime or thread sends the request. A session
//! whose home is a multi-thread runtime works from anywhere while that
//! runtime lives; one whose home is a current-thread runtime works only
//! inside it ([`Error::WrongRuntime`] elsewhere, at once, instead of a
//! hang). Once the home runtime has shut down, every call fails at once
//! with [`Error::RuntimeShutdown`].
//!
//! # Sessions in tests, statics and sync code
//!
//! Three patterns, each with a right path that works every time:
//!
//! 1. **One session per test or task**: [`Session::scoped`] in the test's
//!    own runtime, closed when the closure is done (see above).
//! 2. **One session in a `static`**, shared by many `#[tokio::test]`s (each
//!    with its own runtime, ending while others run) or by sync code:
//!    [`Session::background()`], or [`SessionBuilder::background`] with
//!    [`SessionBuilder::build_sync`] to configure it. Its home is the
//!    crate's shared background runtime, which never shuts down.
//! 3. **Sync code**: the blocking client, `clientsession::blocking`
//!    (feature `blocking`), on the same background runtime.
//!
//! ```
//! use std::sync::LazyLock;
//! use std::time::Duration;
//! use clientsession::Session;
//!
//! static SESSION: LazyLock<Session> = LazyLock::new(|| {
//!     Session::builder()
//!         .background()
//!         .timeout(Duration::from_secs(30))
//!         .build_sync()
//!         .expect("the background runtime starts")
//! });
//!
//! // Each of these runtimes ends before the next starts; the session
//! // outlives them all.
//! for _ in 0..3 {
//!     let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//!     rt.block_on(async {
//!         // SESSION.get(url).send().await? works here
//!         assert!(!SESSION.is_closed());
//!     });
//! }
//! ```
//!
//! [`close`](Session::close) never waits on you: a [`Response`] already
//! handed out keeps its connection, detached from the pool, so a scope can
//! return a response whose body is read afterwards.
//!
//! ```no_run
//! use clientsession::{Error, Session};
//!
//! # #[tokio::main] async fn main() -> Result<(), Error> {
//! let response = Session::scoped(|s| async move { s.get("http://127.0.0.1:8080/").send().await })
//!     .await?;
//! let body = response.text().await?; // the session is closed; the body is still readable
//! # Ok(()) }
//! ```
//!
//! # Connection limits, statistics, and closing with a deadline
//!
//! [`max_connections`](SessionBuilder::max_connections) (default 100) and
//! [`max_connections_per_host`](SessionBuilder::max_connections_per_host)
//! cap the open connections; a request that finds every place taken waits
//! for a connection to its host to finish (reuse first) or for a place to
//! free up, at most [`pool_timeout`](SessionBuilder::pool_timeout).
//! [`Session::stats`] is a consistent snapshot of the pool, and
//! [`Response::connection_reused`] says whether a connection was kept alive.
//! [`Session::close_with_timeout`] closes like `close()`, but aborts what is
//! still in flight at the deadline.
//!
//! ```
//! use std::time::Duration;
//! use clientsession::Session;
//!
//! # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
//! let session = Session::builder()
//!     .max_connections(8)
//!     .max_connections_per_host(4)
//!     .pool_timeout(Duration::from_secs(5))
//!     .build()
//!     .await?;
//! assert_eq!(session.stats().open, 0);
//! assert!(session.close_with_timeout(Duration::from_secs(1)).await.is_graceful());
//! # Ok(()) }
//! ```
//!
//! Every request is a `tracing` span at debug level (method, URL without
//! its query, status, reuse, elapsed time); connections log when they open
//! and close.
//!
//! # HTTPS and HTTP/2
//!
//! `https://` URLs use rustls (feature `rustls`, on by default) with
//! Mozilla's root certificates (`webpki-roots`); add private roots with
//! [`SessionBuilder::add_root_certificate`], present a client certificate
//! with [`SessionBuilder::identity`]. HTTP/2 is used when the server picks
//! it during the TLS handshake (ALPN); [`SessionBuilder::http1_only`] turns
//! that off and [`SessionBuilder::http2_prior_knowledge`] speaks HTTP/2 over
//! plain TCP (h2c). Concurrent requests to an HTTP/2 origin share one
//! connection, which the connection limits count once.
//!
//! ```no_run
//! use clientsession::{Certificate, Session};
//!
//! # async fn run(pem: &[u8]) -> Result<(), clientsession::Error> {
//! let session = Session::builder()
//!     .add_root_certificate(Certificate::from_pem(pem)?)
//!     .build()
//!     .await?;
//! let response = session.get("https://internal.example/").send().await?;
//! println!("{:?}", response.version()); // HTTP/2.0 if the server chose it
//! # Ok(()) }
//! ```
//!
//! TLS failures are [`Error::Tls`], naming the host and the reason
//! (untrusted certificate, name mismatch, expired, not a TLS server); the
//! handshake counts against the connect timeout.
//!
//! # Streaming and compression
//!
//! A request body can be a stream, sent chunked as it is produced:
//! [`Body::wrap_stream`] takes any `Stream` of byte chunks and
//! [`Body::from_reader`] any tokio `AsyncRead`, such as a file. A response
//! body can be read piece by piece with [`Response::chunk`] or as a
//! `Stream` with [`Response::bytes_stream`], in constant memory.
//!
//! Responses compressed with gzip, deflate, Brotli or zstd are decompressed
//! as they are read (one feature per coding, all on by default), and the
//! session's `Accept-Encoding` lists those codings. The decompressed
//! response has no `Content-Encoding` or `Content-Length` header, and the
//! [`max_response_body`](SessionBuilder::max_response_body) limit counts
//! decompressed bytes, so a small compressed body that would inflate to
//! gigabytes ends in [`Error::BodyTooLarge`]. A request that sets its own
//! `Accept-Encoding` header gets its response as the server sent it.
//!
//! # Redirects, cookies, JSON and auth
//!
//! Redirects are followed (up to 10, [`redirect::Policy`]); credentials
//! never follow a redirect to another origin. Every session keeps a cookie
//! jar. With the `json` feature, [`RequestBuilder::json`],
//! [`RequestBuilder::form`], [`RequestBuilder::query`] and
//! [`Response::json`] speak serde; [`RequestBuilder::basic_auth`] and
//! [`RequestBuilder::bearer_auth`] (and the same on [`SessionBuilder`]) mark
//! their header values sensitive.
//!
//! # Limits and defaults
//!
//! | setting | default |
//! |---|---|
//! | [`timeout`](SessionBuilder::timeout) (total, body included) | none |
//! | [`connect_timeout`](SessionBuilder::connect_timeout) | [10 s](DEFAULT_CONNECT_TIMEOUT) |
//! | [`read_timeout`](SessionBuilder::read_timeout) | none |
//! | [`max_response_body`](SessionBuilder::max_response_body) | [10 MiB](DEFAULT_MAX_RESPONSE_BODY) |
//! | [`pool_idle_timeout`](SessionBuilder::pool_idle_timeout) | [4 s](DEFAULT_POOL_IDLE_TIMEOUT) |
//! | [`pool_max_idle_per_host`](SessionBuilder::pool_max_idle_per_host) | [32](DEFAULT_POOL_MAX_IDLE_PER_HOST) |
//! | [`max_connections`](SessionBuilder::max_connections) | [100](DEFAULT_MAX_CONNECTIONS) |
//! | [`max_connections_per_host`](SessionBuilder::max_connections_per_host) | [no cap of its own](DEFAULT_MAX_CONNECTIONS_PER_HOST) |
//! | [`pool_timeout`](SessionBuilder::pool_timeout) | [30 s](DEFAULT_POOL_TIMEOUT) |
//! | `User-Agent` | `clientsession/<version>` |
//! | `Accept-Encoding` | the enabled codings: `gzip, deflate, br, zstd` |
//!
//! Every duration setting takes `Duration::MAX` for "never" and
//! `Duration::ZERO` for "at once"; each setter's documentation says what that
//! means for it.
//!
//! # Features
//!
//! | feature | default | what it turns on |
//! |---|---|---|
//! | `rustls` | yes | HTTPS through rustls with the ring crypto provider (needs only a C compiler to build): [`Certificate`], [`Identity`], [`TlsVersion`] and the TLS setters of [`SessionBuilder`] |
//! | `webpki-roots` | yes | trust Mozilla's root certificates, bundled with the crate (implies `rustls`) |
//! | `native-roots` | no | trust the operating system's root certificates too, through rustls-native-certs (implies `rustls`) |
//! | `json` | yes | the serde helpers: [`RequestBuilder::json`], [`RequestBuilder::form`], [`RequestBuilder::query`] and [`Response::json`] (serde_json, serde_urlencoded); forms and query strings come with it rather than with a flag of their own |
//! | `multipart` | no | `multipart/form-data` bodies: [`multipart::Form`] and [`RequestBuilder::multipart`] (no extra dependencies) |
//! | `gzip` | yes | decompress `Content-Encoding: gzip` responses, and ask for them in `Accept-Encoding` (async-compression, flate2) |
//! | `deflate` | yes | the same for `deflate` (zlib) |
//! | `brotli` | yes | the same for `br` (Brotli) |
//! | `zstd` | yes | the same for `zstd` (Zstandard; its C code builds with a C compiler alone) |
//! | `blocking` | no | [`blocking`]: a client for sync code whose calls block the calling thread, driven by the shared background runtime (no extra dependencies) |
//! | `cookies` | yes | a cookie jar in every session: [`CookieJar`], [`Session::cookie_jar`], [`SessionBuilder::cookies`] (RFC 6265 rules by cookie_store) |
//! | `blocking` | no | `clientsession::blocking`: a blocking client for sync code, on the shared background runtime (no extra dependencies) |
//!
//! Without `rustls` (`default-features = false`) the crate speaks plain
//! HTTP only, and an `https://` URL is an [`Error::InvalidUrl`] that says
//! so. With `rustls` but neither roots feature, only the certificates added
//! with [`SessionBuilder::add_root_certificate`] are trusted. The TLS
//! configuration of the default settings is built once per process, at the
//! first session, and shared by every later one.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod body;
mod builder;
mod config;
mod connect;
#[cfg(feature = "cookies")]
mod cookie;
mod counter;
mod error;
mod header;
#[cfg(feature = "multipart")]
#[cfg_attr(docsrs, doc(cfg(feature = "multipart")))]
pub mod multipart;
mod pool;
pub mod redirect;
mod request;
mod response;
mod runtime;
mod session;
#[cfg(feature = "rustls")]
mod tls;
mod url;

use std::future::Future;

pub use crate::body::Body;
pub use crate::builder::SessionBuilder;
pub use crate::config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_HOST,
    DEFAULT_MAX_RESPONSE_BODY, DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_POOL_MAX_IDLE_PER_HOST,
    DEFAULT_POOL_TIMEOUT,
};
#[cfg(feature = "cookies")]
pub use crate::cookie::CookieJar;
pub use crate::error::{Error, Result, TimeoutKind};
pub use crate::header::{IntoHeaderName, IntoHeaderValue};
pub use crate::pool::{CloseOutcome, HostStats, PoolStats};
pub use crate::request::RequestBuilder;
pub use crate::response::Response;
pub use crate::session::{ClientSession, Session};
#[cfg(feature = "rustls")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
pub use crate::tls::{Certificate, Identity, TlsVersion};

// The foreign types of our signatures, so users need no matching versions.
pub use ::url::Url;
pub use bytes::Bytes;
pub use http;
pub use http::{HeaderMap, Method, StatusCode, Version};

/// Runs `f` with a new session and closes it afterwards; the same as
/// [`Session::scoped`].
///
/// # Errors
///
/// A build error such as [`Error::NoRuntime`] (through `E: From<Error>`),
/// or what `f` returns.
///
/// # Examples
///
/// ```
/// use clientsession::{Error, with_session};
///
/// # #[tokio::main] async fn main() -> Result<(), Error> {
/// let n = with_session(|_s| async move { Ok::<_, Error>(1) }).await?;
/// assert_eq!(n, 1);
/// # Ok(()) }
/// ```
pub async fn with_session<F, Fut, T, E>(f: F) -> Result<T, E>
where
    F: FnOnce(Session) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: From<Error>,
{
    Session::scoped(f).await
}
