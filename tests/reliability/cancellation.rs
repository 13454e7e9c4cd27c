//! Cancellation storm: many requests, each future dropped at a random
//! moment, against a server that answers after a random delay and
//! sometimes reads the request body slowly. Afterwards nothing is in use
//! or waiting, the pool's open count is what the server sees, a fresh
//! request succeeds, and `close()` leaves no socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clientsession::Session;

use crate::common::{Rng, fds_settle, figures, open_fds, scaled, scenario, seed, warm_up};
use crate::peer::{OK, Peer, PeerConn};
use crate::support::poll::eventually;
use crate::support::{Observed, QUICK, bounded};

/// The body of the POSTs: 64 KiB, more than one slow read of the server.
const UPLOAD: usize = 64 << 10;

/// Answers each request after 0–2 ms; reads one body in four in 4 KiB
/// pieces, 1 ms apart. Random choices come from `seed` and a count of
/// connections, so a run is repeatable up to the scheduling.
fn slow_server(seed: u64) -> Peer {
    let conns = Arc::new(AtomicU64::new(0));
    Peer::new(move |conn| {
        let n = conns.fetch_add(1, Ordering::Relaxed);
        serve(conn, Rng::new(seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
    })
}

async fn serve(mut conn: PeerConn, mut rng: Rng) {
    while let Some(head) = conn.head().await {
        let (piece, pause) = if rng.chance(25) {
            (4 << 10, Duration::from_millis(1))
        } else {
            (64 << 10, Duration::ZERO)
        };
        if conn
            .body(head.content_length(), piece, pause)
            .await
            .is_none()
        {
            return;
        }
        tokio::time::sleep(rng.micros(Duration::from_millis(2))).await;
        if conn.write(OK).await.is_err() {
            return;
        }
    }
}

/// 20,000 requests (GET and 64 KiB POST) at concurrency 200 under the
/// default limit of 100 connections, each dropped after 0–5 ms (one in ten
/// after 0–50 ms) unless it has finished.
#[test]
fn cancellation_storm() {
    scenario(|| async {
        let seed = seed(0x5eed_0013);
        let server = slow_server(seed);
        warm_up(&server.url("/")).await;
        server.wait_open(0, QUICK).await;
        let fds_before = open_fds();
        let session = Session::builder().build().await.unwrap();
        let requests = scaled(20_000, 500);
        let started = Instant::now();
        let next = Arc::new(AtomicU64::new(0));
        let (done, dropped) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
        let workers: Vec<_> = (0..200u64)
            .map(|w| {
                let (session, url) = (session.clone(), server.url("/"));
                let (next, done, dropped) = (next.clone(), done.clone(), dropped.clone());
                let first_error = first_error.clone();
                tokio::spawn(async move {
                    let mut rng = Rng::new(seed.wrapping_add(w + 1));
                    while next.fetch_add(1, Ordering::Relaxed) < requests {
                        let request = if rng.chance(50) {
                            session.post(&url).body(vec![b'x'; UPLOAD])
                        } else {
                            session.get(&url)
                        };
                        let exchange = async { request.send().await?.text().await };
                        // One in ten may take up to 50 ms, so that completed
                        // exchanges (and reused connections) interleave with
                        // the drops; on this machine almost none of the
                        // others finish within 5 ms.
                        let window = if rng.chance(10) { 50 } else { 5 };
                        let patience = rng.micros(Duration::from_millis(window));
                        match tokio::time::timeout(patience, exchange).await {
                            Err(_) => dropped.fetch_add(1, Ordering::Relaxed),
                            Ok(Ok(body)) if body == "ok" => done.fetch_add(1, Ordering::Relaxed),
                            Ok(other) => {
                                let mut first = first_error.lock().unwrap();
                                first.get_or_insert_with(|| format!("{other:?}"));
                                0
                            }
                        };
                    }
                })
            })
            .collect();
        for worker in workers {
            bounded(Duration::from_secs(120), worker).await.unwrap();
        }
        let took = started.elapsed();
        let (done, dropped) = (
            done.load(Ordering::Relaxed),
            dropped.load(Ordering::Relaxed),
        );
        let failed = requests - done - dropped;

        eventually("in_use and waiting back to 0", QUICK, || {
            let s = session.stats();
            s.in_use == 0 && s.waiting == 0
        })
        .await;
        // The server sees a close a moment after the client makes it.
        let mut agree = true;
        let settled = tokio::time::timeout(QUICK, async {
            while session.stats().open as u64 != server.open() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await;
        if settled.is_err() {
            agree = false;
        }
        let stats = session.stats();
        let server_open = server.open();
        let fresh = bounded(QUICK, async {
            session.get(server.url("/")).send().await?.text().await
        })
        .await;
        bounded(QUICK, session.close()).await;
        server.wait_open(0, QUICK).await;
        let fds_after = fds_settle(fds_before, QUICK).await;
        figures(format_args!(
            "cancellation storm c200 (seed {seed:#x}): {requests} requests, {dropped} dropped \
             mid-flight, {done} completed, {failed} failed, {} conns opened, open {} (server \
             sees {server_open}), in_use {}, waiting {}, fresh request {}, fds \
             {fds_before}->{fds_after} after close, {:.1} s",
            stats.opened,
            stats.open,
            stats.in_use,
            stats.waiting,
            if fresh.is_ok() { "ok" } else { "FAILED" },
            took.as_secs_f64(),
        ));
        assert_eq!(
            failed,
            0,
            "first failure: {:?}",
            first_error.lock().unwrap()
        );
        assert!(
            agree,
            "pool open {} != server open {server_open}",
            stats.open
        );
        assert_eq!(fresh.unwrap(), "ok");
        assert_eq!(fds_after, fds_before, "file descriptors leaked");
    });
}
