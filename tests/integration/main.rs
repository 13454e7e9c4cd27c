//! Integration tests for `clientsession`: one binary, one module per concern,
//! every test against real servers on 127.0.0.1.
//!
//! Run one concern alone with `cargo test --test integration lifecycle::`.

mod support;

mod api;
mod auth;
mod background;
#[cfg(feature = "blocking")]
mod blocking;
mod cancellation;
mod close_deadline;
#[cfg(feature = "cookies")]
mod cookies;
#[cfg(all(
    feature = "gzip",
    feature = "deflate",
    feature = "brotli",
    feature = "zstd"
))]
mod decompression;
mod durations;
mod faults;
mod h2;
mod h2_goaway;
#[cfg(feature = "json")]
mod json;
mod lifecycle;
mod limits;
#[cfg(feature = "multipart")]
mod multipart;
mod redirects;
mod requests;
mod responses;
mod runtime_guard;
mod stats;
mod streaming;
mod timeouts;
#[cfg(feature = "rustls")]
mod tls;
mod tracing;
