//! A blocking client, for sync code: the same sessions, settings and
//! errors as the async [`Session`](crate::Session), with calls that wait by
//! blocking the calling thread (feature `blocking`).
//!
//! # When to use it
//!
//! In sync code: a CLI, a build script, a sync library, a thread of a
//! thread pool. In async code use the async [`Session`](crate::Session):
//! a blocking call there would stall the runtime, so this client refuses it
//! with [`Error::BlockingInAsync`](crate::Error::BlockingInAsync) instead.
//!
//! A blocking [`Session`] wraps an async session whose home is the crate's
//! shared background runtime (see
//! [`SessionBuilder::background`](crate::SessionBuilder::background)):
//! that runtime drives the connections, and a blocking call polls its
//! request on the calling thread, parking the thread while it waits. So
//! creating, cloning and dropping a blocking session is as cheap as for an
//! async one: it never starts or drops a runtime of its own (only the
//! shared one, once per process), and dropping a session or a response
//! never blocks and never panics, anywhere, async code included.
//!
//! # Where blocking calls work
//!
//! `send()`, `close()` and the body readers (`bytes`, `text`, `json`,
//! `chunk`, `copy_to`, `Read`) check where they are called from:
//!
//! | called from | outcome |
//! |---|---|
//! | a plain thread (sync `main`, `std::thread::spawn`), with or without a Tokio runtime elsewhere | ✓ works |
//! | `tokio::task::spawn_blocking` | ✓ works |
//! | `tokio::task::block_in_place` (multi-thread runtime) | ✓ works |
//! | inside an async task: any `async` code on a runtime's worker, the body of `#[tokio::test]`, `#[tokio::main(flavor = "current_thread")]` | [`Error::BlockingInAsync`](crate::Error::BlockingInAsync) (an `io::Error` wrapping it for `Read`) |
//! | the body of a multi-thread `Runtime::block_on`, such as a default `#[tokio::main] async fn main` | works, but blocks that future: prefer the async session there |
//!
//! The last row is a known gap: Tokio gives no public way to tell the
//! thread inside a multi-thread `block_on` from a `spawn_blocking` thread,
//! and refusing both would break correct code. Blocking there cannot
//! deadlock (the connections run on the background runtime, and the
//! runtime's workers keep running its other tasks); it only holds up the
//! future that made the call, as any blocking call would.
//!
//! Creating a session ([`Session::new`], [`SessionBuilder::build`]),
//! building requests, [`Session::stats`], [`Session::is_closed`] and the
//! response's getters never block and work anywhere.
//!
//! # Examples
//!
//! No network is needed for this one: a blocking session is created in
//! plain sync code, and inside an async task its blocking calls are refused
//! rather than stalling the runtime.
//!
//! ```
//! use clientsession::{Error, blocking};
//!
//! let session = blocking::Session::new()?;
//!
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! let refused = rt.block_on(async { session.get("http://127.0.0.1:8080/").send() });
//! assert!(matches!(refused, Err(Error::BlockingInAsync)));
//!
//! // Moved to `spawn_blocking`, the same call is allowed (here it fails
//! // only because the URL is bad).
//! let s = session.clone();
//! let allowed = rt.block_on(async {
//!     tokio::task::spawn_blocking(move || s.get("not a URL").send()).await
//! });
//! assert!(matches!(allowed, Ok(Err(Error::InvalidUrl { .. }))));
//! # Ok::<(), Error>(())
//! ```
//!
//! With a server:
//!
//! ```no_run
//! use std::io::{BufRead, Read};
//! use std::time::Duration;
//! use clientsession::blocking;
//!
//! let session = blocking::Session::builder()
//!     .base_url("http://127.0.0.1:8080/api")
//!     .timeout(Duration::from_secs(10))
//!     .build()?;
//!
//! let text = session.get("hello").send()?.error_for_status()?.text()?;
//! println!("{text}");
//!
//! // A large body, line by line, in constant memory.
//! let response = session.get("log").send()?;
//! for line in response.lines() {
//!     println!("{}", line.expect("a line of the log"));
//! }
//!
//! session.close()?;
//! # Ok::<(), clientsession::Error>(())
//! ```

mod builder;
mod request;
mod response;
mod session;
mod wait;

pub use builder::SessionBuilder;
pub use request::RequestBuilder;
pub use response::Response;
pub use session::Session;

/// Compile-time checks of the promises above.
fn _assert_impls() {
    fn shared<T: Clone + Send + Sync + 'static>() {}
    fn sendable<T: Send + 'static>() {}
    shared::<Session>();
    sendable::<SessionBuilder>();
    sendable::<RequestBuilder>();
    sendable::<Response>();
}
