//! The home runtime dropped with requests in flight from another runtime:
//! every request ends with `Error::RuntimeShutdown` within 1 s, and every
//! file descriptor (sockets, the home runtime's own) is released.

use std::time::{Duration, Instant};

use clientsession::{Error, Session};

use crate::common::{fds_settle, figures, lock, open_fds, scaled};
use crate::support::{Observed, QUICK, RawServer, TestServer, bounded};

/// 500 GETs to a server that never answers, sent from a caller runtime to
/// a session whose home is another runtime, which is then dropped.
#[test]
fn dropping_the_home_runtime_ends_every_request() {
    let _serial = lock();
    let server = RawServer::silent();
    let caller = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Settle what the caller runtime sets up once before counting.
    let warm = TestServer::hello();
    caller.block_on(async {
        crate::common::warm_up(&warm.url("/")).await;
        warm.wait_open(0, QUICK).await;
    });
    let fds_before = open_fds();
    let home = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let session = Session::builder()
        .runtime(home.handle().clone())
        .build_sync()
        .unwrap();
    let requests = scaled(500, 200);
    let tasks: Vec<_> = (0..requests)
        .map(|_| {
            let request = session.get(server.url("/"));
            caller.spawn(async move {
                let result = request.send().await;
                (result.map(|_| ()), Instant::now())
            })
        })
        .collect();
    // The default limit: 100 on the wire, the rest waiting for a place.
    caller.block_on(server.wait_requests(100, QUICK));

    let dropped_at = Instant::now();
    drop(home);
    let drop_took = dropped_at.elapsed();
    let (mut shutdown, mut last, mut other) = (0u64, Duration::ZERO, Vec::new());
    caller.block_on(async {
        for task in tasks {
            let (result, at) = bounded(QUICK, task).await.unwrap();
            last = last.max(at.saturating_duration_since(dropped_at));
            match result {
                Err(Error::RuntimeShutdown) => shutdown += 1,
                unexpected => other.push(format!("{unexpected:?}")),
            }
        }
    });
    let server_open = caller.block_on(async {
        let _ = tokio::time::timeout(QUICK, server.wait_open(0, QUICK)).await;
        server.open()
    });
    drop(session);
    let fds_after = caller.block_on(fds_settle(fds_before, QUICK));
    figures(format_args!(
        "home runtime dropped: {requests} in flight from another runtime, drop took {:.0} ms, \
         {shutdown} RuntimeShutdown (last {:.0} ms after the drop began), {} other, server sees \
         {server_open} open, fds {fds_before}->{fds_after}",
        drop_took.as_secs_f64() * 1e3,
        last.as_secs_f64() * 1e3,
        other.len(),
    ));
    assert!(other.is_empty(), "{other:#?}");
    assert!(
        last <= Duration::from_secs(1),
        "the last request ended after {last:?}"
    );
    assert_eq!(server_open, 0, "sockets left open");
    assert_eq!(fds_after, fds_before, "file descriptors leaked");
}
