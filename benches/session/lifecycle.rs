//! Lifecycle benches: what it costs to create and end a client, with no
//! request. `lifecycle/{case}/clientsession` for the session's own steps,
//! `lifecycle/new/{impl}` for building a client and dropping it, and
//! `lifecycle/blocking_new/{impl}` for the blocking clients.
//!
//! With the default features HTTPS is on (rustls + webpki-roots): the first
//! session of the process builds the shared TLS client configuration of the
//! default settings, every later one clones an `Arc` of it. The group makes
//! sure that first session exists before it measures, so
//! `session_new_drop` is the steady-state cost; [`first_session_new`]
//! times the first one once. `session_new_custom_root` and
//! `new_custom_root/reqwest` add a root certificate, so each builds its own
//! TLS configuration.

use std::time::{Duration, Instant};

use criterion::Criterion;
use tokio::runtime::Runtime;

use clientsession::{Error, Session};

use crate::peers::{POOL_IDLE_TIMEOUT, hyper_util_client, reqwest_client};
use crate::requests::on_worker;

/// Times the process's first `Session::new()` (which builds the shared
/// default TLS configuration) and prints it; call before anything else
/// makes a session. One sample, so only a rough figure.
pub(crate) fn first_session_new(rt: &Runtime) {
    let took = rt.block_on(async {
        let start = Instant::now();
        let session = Session::new().expect("Session::new");
        let took = start.elapsed();
        drop(session);
        took
    });
    eprintln!("first Session::new() of this process (builds the default TLS config): {took:?}");
}

/// Adds the `lifecycle` group to `c`. `ca_pem` is a root certificate for
/// the `custom_root` cases.
pub(crate) fn benches(c: &mut Criterion, rt: &Runtime, ca_pem: &[u8]) {
    // Not the first session of the process: the default TLS configuration
    // is built, as it is for every session but the first.
    rt.block_on(async { drop(Session::new().expect("Session::new")) });

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

    // Not the first background session: the background runtime is up.
    drop(Session::background().expect("Session::background"));

    /// `lifecycle/background_new_drop/clientsession`:
    /// `Session::background()` then drop, after the first (which starts
    /// the shared background runtime). Its sentinel task is spawned from
    /// outside that runtime, so it costs a cross-thread wake-up more than
    /// `session_new_drop`.
    async fn background_new_drop(_: ()) {
        let session = Session::background().expect("Session::background");
        drop(session);
    }
    group.bench_function("background_new_drop/clientsession", |b| {
        on_worker(b, rt, &(), background_new_drop);
    });

    // `lifecycle/session_new_custom_root/clientsession`: a session with
    // one added root certificate (parsed once, outside the loop), built
    // and dropped. Custom TLS settings: it builds its own TLS config,
    // built-in roots included, every time.
    let cert = clientsession::Certificate::from_pem(ca_pem).expect("CA for clientsession");
    group.bench_function("session_new_custom_root/clientsession", |b| {
        on_worker(
            b,
            rt,
            &cert,
            |cert: clientsession::Certificate| async move {
                let session = Session::builder()
                    .add_root_certificate(cert)
                    .build()
                    .await
                    .expect("build");
                drop(session);
            },
        );
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

    // `lifecycle/new_custom_root/reqwest`: the same with one added root
    // certificate (parsed once, outside the loop).
    let cert = reqwest::Certificate::from_pem(ca_pem).expect("CA for reqwest");
    group.bench_function("new_custom_root/reqwest", |b| {
        on_worker(b, rt, &cert, |cert: reqwest::Certificate| async move {
            drop(reqwest_client_with_root(cert));
        });
    });

    blocking_new(&mut group);

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

/// The blocking clients, built and dropped on the bench's own thread,
/// outside any runtime (where sync code makes them).
///
/// `lifecycle/blocking_new/clientsession`: `blocking::Session::new()` then
/// drop. The shared background runtime is already running (it starts with
/// the first background session of the process, made before the timing),
/// so this is the steady-state cost of a handle.
///
/// `lifecycle/blocking_new/reqwest`: `reqwest::blocking::Client` with the
/// peers' settings, then drop: that starts, and then shuts down, a runtime
/// thread of its own each time.
fn blocking_new(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    #[cfg(feature = "blocking")]
    {
        drop(clientsession::blocking::Session::new().expect("blocking::Session::new"));
        group.bench_function("blocking_new/clientsession", |b| {
            b.iter(|| {
                let session =
                    clientsession::blocking::Session::new().expect("blocking::Session::new");
                assert!(!session.is_closed());
                drop(session);
            });
        });
    }
    group.bench_function("blocking_new/reqwest", |b| {
        b.iter(|| drop(reqwest_blocking_client()));
    });
}

/// [`reqwest_client`]'s settings, for `reqwest::blocking`.
fn reqwest_blocking_client() -> reqwest::blocking::Client {
    // Err only means a provider is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        // peers.rs's POOL_MAX_IDLE_PER_HOST.
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .no_proxy()
        .build()
        .expect("build reqwest::blocking")
}

/// [`reqwest_client`]'s settings plus one root certificate.
fn reqwest_client_with_root(cert: reqwest::Certificate) -> reqwest::Client {
    // Err only means a provider is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        // peers.rs's POOL_MAX_IDLE_PER_HOST.
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .no_proxy()
        .add_root_certificate(cert)
        .build()
        .expect("build reqwest")
}
