//! Integration tests for `clientsession`: one binary, one module per concern,
//! every test against real servers on 127.0.0.1.
//!
//! Run one concern alone with `cargo test --test integration lifecycle::`.

mod support;

mod api;
mod close_deadline;
mod faults;
mod lifecycle;
mod limits;
mod requests;
mod responses;
mod runtime_guard;
mod stats;
mod timeouts;
#[cfg(feature = "rustls")]
mod tls;
mod tracing;
