//! Wall-clock benches of `clientsession` against hyper-util's legacy
//! client, reqwest and a bare hyper connection, all on loopback.
//!
//! Run: `cargo bench --bench session` (a few minutes); one group:
//! `cargo bench --bench session -- get_small`; the HTTPS groups:
//! `cargo bench --bench session -- https`; CI's smoke run:
//! `cargo bench --bench session -- --test`. Results and how to read them
//! are in BENCHMARKS.md.
//!
//! Ids are `group/impl` or `group/case/impl`. This file holds the one
//! Criterion config and the list of groups.

use std::time::Duration;

use criterion::Criterion;
use tokio::runtime::Runtime;

mod https;
mod lifecycle;
mod peers;
mod requests;
mod server;

/// The single Criterion config: modest samples so that a full run of every
/// group takes a few minutes. Command-line flags still override it.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args()
}

/// The client runtime: one worker, so that on a 2-core machine the server
/// thread has the other core to itself.
fn client_runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime")
}

fn main() {
    let rt = client_runtime();
    // Before anything else makes a session.
    lifecycle::first_session_new(&rt);
    let server = server::Server::start();
    let mut c = config();

    requests::benches(&mut c, &rt, &server);
    https::benches(&mut c, &rt);
    lifecycle::benches(&mut c, &rt, https::TestPki::new().ca_pem());

    c.final_summary();
    drop(rt);
    drop(server);
}
