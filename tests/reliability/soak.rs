//! Soak: many GETs against a loopback server at a fixed concurrency. The
//! pool never holds more than `max_connections`, nothing is left in use or
//! waiting, and after `close()` every file descriptor is back and RSS has
//! grown by a bounded amount.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clientsession::{Session, SessionBuilder};

use crate::common::{fds_settle, figures, mib, open_fds, rss_kib, scaled, scenario};
use crate::support::poll::eventually;
use crate::support::{Counters, Observed, QUICK, TestServer, bounded};

/// The RSS growth a soak may show after `close()`: allocator caches and
/// the runtime's buffers, not a leak per request (100,000 requests leaking
/// even 100 bytes each would pass 9 MiB only with other growth).
const RSS_BOUND_MIB: f64 = 16.0;

/// What one soak run is.
struct Soak<'a> {
    label: &'a str,
    url: String,
    requests: u64,
    concurrency: usize,
    max_connections: usize,
    /// The body every response must have.
    body: &'static str,
}

/// Runs `soak` with a session made by `builder` and checks the figures.
async fn run(soak: Soak<'_>, builder: impl Fn() -> SessionBuilder, server: &Counters) {
    warm_up(builder(), &soak.url, server).await;
    let fds_before = open_fds();
    let rss_before = rss_kib();
    let started = Instant::now();
    let session = builder()
        .max_connections(soak.max_connections)
        .build()
        .await
        .unwrap();

    let sampling = Arc::new(AtomicBool::new(true));
    let max_open = Arc::new(AtomicUsize::new(0));
    let sampler = tokio::spawn({
        let (session, sampling, max_open) = (session.clone(), sampling.clone(), max_open.clone());
        async move {
            while sampling.load(Ordering::Relaxed) {
                max_open.fetch_max(session.stats().open, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });

    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let workers: Vec<_> = (0..soak.concurrency)
        .map(|_| {
            let (session, url) = (session.clone(), soak.url.clone());
            let (next, failed, first_error) = (next.clone(), failed.clone(), first_error.clone());
            let (requests, body) = (soak.requests, soak.body);
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    let got = async { session.get(&url).send().await?.text().await }.await;
                    if got.as_deref().ok() != Some(body) {
                        failed.fetch_add(1, Ordering::Relaxed);
                        let mut first = first_error.lock().unwrap();
                        first.get_or_insert_with(|| format!("{got:?}"));
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    sampling.store(false, Ordering::Relaxed);
    sampler.await.unwrap();
    let took = started.elapsed();

    eventually("in_use and waiting back to 0", QUICK, || {
        let s = session.stats();
        s.in_use == 0 && s.waiting == 0
    })
    .await;
    let stats = session.stats();
    let fds_after_run = open_fds();
    bounded(QUICK, session.close()).await;
    server
        .wait_until("every connection closed", QUICK, |s| s.accepted == s.closed)
        .await;
    let fds_after_close = fds_settle(fds_before, QUICK).await;
    let rss_growth = mib(rss_kib(), rss_before);
    let max_open = max_open.load(Ordering::Relaxed);
    let failed = failed.load(Ordering::Relaxed);

    figures(format_args!(
        "soak {}: {} GETs, {failed} failed, {} conns opened, fds {fds_before}->{fds_after_run} \
         (run) ->{fds_after_close} (after close), rss {rss_growth:+.1} MiB, max open {max_open} \
         (limit {}), {:.1} s",
        soak.label,
        soak.requests,
        stats.opened,
        soak.max_connections,
        took.as_secs_f64(),
    ));
    assert_eq!(
        failed,
        0,
        "first failure: {:?}",
        first_error.lock().unwrap()
    );
    assert!(max_open <= soak.max_connections, "{max_open} open");
    assert_eq!((stats.in_use, stats.waiting), (0, 0), "{stats:?}");
    assert_eq!(fds_after_close, fds_before, "file descriptors leaked");
    assert!(rss_growth < RSS_BOUND_MIB, "RSS grew {rss_growth:.1} MiB");
}

/// One request and a close with a session like the one under test, so
/// that what a process sets up once (the first session's lazily built
/// parts) is not counted as growth.
async fn warm_up(builder: SessionBuilder, url: &str, server: &Counters) {
    let session = builder.build().await.unwrap();
    bounded(QUICK, async {
        session.get(url).send().await?.bytes().await
    })
    .await
    .unwrap();
    bounded(QUICK, session.close()).await;
    server
        .wait_until("the warm-up connection closed", QUICK, |s| {
            s.accepted == s.closed
        })
        .await;
}

/// 100,000 sequential GETs (one at a time) over HTTP/1.1.
#[test]
fn soak_h1_concurrency_1() {
    scenario(|| async {
        let server = TestServer::hello();
        let soak = Soak {
            label: "h1 c1",
            url: server.url("/"),
            requests: scaled(100_000, 100),
            concurrency: 1,
            max_connections: 100,
            body: "hello, world!",
        };
        run(soak, Session::builder, server.counters()).await;
    });
}

/// 100,000 GETs, 64 at a time, over HTTP/1.1 with `max_connections(64)`.
#[test]
fn soak_h1_concurrency_64() {
    scenario(|| async {
        let server = TestServer::hello();
        let soak = Soak {
            label: "h1 c64",
            url: server.url("/"),
            requests: scaled(100_000, 100),
            concurrency: 64,
            max_connections: 64,
            body: "hello, world!",
        };
        // Every connection may go back to the pool.
        run(
            soak,
            || Session::builder().pool_max_idle_per_host(64),
            server.counters(),
        )
        .await;
    });
}

/// 20,000 GETs, 64 at a time, over HTTP/2 without TLS (prior knowledge):
/// one shared connection.
#[test]
fn soak_h2c_concurrency_64() {
    use crate::support::h2::{H2cServer, hello};
    scenario(|| async {
        let server = H2cServer::new(hello());
        let soak = Soak {
            label: "h2c c64",
            url: server.url("/"),
            requests: scaled(20_000, 100),
            concurrency: 64,
            max_connections: 64,
            body: "hello, world!",
        };
        run(
            soak,
            || Session::builder().http2_prior_knowledge(),
            server.counters(),
        )
        .await;
    });
}

/// 20,000 GETs, 16 at a time, over HTTPS (HTTP/1.1, rustls) with
/// `max_connections(16)`.
#[cfg(feature = "rustls")]
#[test]
fn soak_https_concurrency_16() {
    use crate::support::tls::{TestCa, TlsServer};
    scenario(|| async {
        let ca = TestCa::new();
        let server = TlsServer::new(&ca.cert("localhost"), None);
        let root = clientsession::Certificate::from_pem(ca.pem().as_bytes()).unwrap();
        let soak = Soak {
            label: "https c16",
            url: server.url("/"),
            requests: scaled(20_000, 100),
            concurrency: 16,
            max_connections: 16,
            body: "hello, world!",
        };
        let builder = || {
            Session::builder()
                .add_root_certificate(root.clone())
                .tls_built_in_roots(false)
        };
        run(soak, builder, server.counters()).await;
    });
}
