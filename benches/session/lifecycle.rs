//! Lifecycle benches: what it costs to create and end a client, with no
//! request. `lifecycle/{case}/clientsession` for the session's own steps,
//! `lifecycle/new/{impl}` for building a client and dropping it.

use std::time::Duration;

use criterion::Criterion;
use tokio::runtime::Runtime;

use clientsession::{Error, Session};

use crate::peers::{hyper_util_client, reqwest_client};
use crate::requests::on_worker;

/// Adds the `lifecycle` group to `c`.
pub(crate) fn benches(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group("lifecycle");

    /// `lifecycle/session_new_drop/clientsession`: `Session::new()` then
    /// drop (no `close`): the cheapest way in and out.
    async fn session_new_drop(_: ()) {
        let session = Session::new().expect("Session::new");
        drop(session);
    }
    group.bench_function("session_new_drop/clientsession", |b| {
        on_worker(b, rt, &(), session_new_drop);
    });

    /// `lifecycle/build_close/clientsession`: `builder().build().await`
    /// then `close().await`: the explicit, graceful lifecycle.
    async fn build_close(_: ()) {
        let session = Session::builder()
            .pool_idle_timeout(Duration::from_secs(4))
            .build()
            .await
            .expect("build");
        session.close().await;
        assert!(session.is_closed());
    }
    group.bench_function("build_close/clientsession", |b| {
        on_worker(b, rt, &(), build_close);
    });

    /// `lifecycle/scoped_empty/clientsession`: `Session::scoped` around a
    /// closure that does nothing: the overhead of the scope itself.
    async fn scoped_empty(_: ()) {
        Session::scoped(|_session| async { Ok::<_, Error>(()) })
            .await
            .expect("scoped");
    }
    group.bench_function("scoped_empty/clientsession", |b| {
        on_worker(b, rt, &(), scoped_empty);
    });

    /// `lifecycle/new/reqwest`: `reqwest::Client::builder().build()` with
    /// the peers' settings, then drop. Includes loading the platform's TLS
    /// roots, which reqwest does even for plain-HTTP use.
    async fn new_reqwest(_: ()) {
        drop(reqwest_client());
    }
    group.bench_function("new/reqwest", |b| {
        on_worker(b, rt, &(), new_reqwest);
    });

    /// `lifecycle/new/hyper_util`: the legacy `Client` with the peers'
    /// settings, then drop.
    async fn new_hyper_util(_: ()) {
        drop(hyper_util_client());
    }
    group.bench_function("new/hyper_util", |b| {
        on_worker(b, rt, &(), new_hyper_util);
    });

    group.finish();
}
