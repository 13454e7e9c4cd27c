//! Upload stalls: 8 MiB POSTs with a total timeout under
//! `max_connections(2)` against servers that stall them in each phase we
//! can reach: never reading the upload, never answering after reading it,
//! and stopping in the middle of the response body. Every request ends
//! with a timeout, and the session stays usable: a request to another
//! server succeeds after each phase.

use std::time::{Duration, Instant};

use clientsession::Session;

use crate::common::{fds_settle, figures, open_fds, scaled, scenario, warm_up};
use crate::support::poll::eventually;
use crate::support::{Observed, QUICK, RawServer, TestServer, bounded};

/// Larger than the socket buffers of both ends on loopback.
const UPLOAD: usize = 8 << 20;
/// The total timeout of each upload.
const TIMEOUT: Duration = Duration::from_millis(300);

/// Per phase: rounds of 4 concurrent uploads (twice the limit, so that two
/// wait for a place) to a server stalling in that phase.
#[test]
fn stalled_uploads_leave_the_session_usable() {
    scenario(|| async {
        let other = TestServer::hello();
        warm_up(&other.url("/")).await;
        other.wait_open(0, QUICK).await;
        let fds_before = open_fds();
        let rounds = scaled(20, 2);
        let started = Instant::now();
        let session = Session::builder()
            .timeout(TIMEOUT)
            .max_connections(2)
            .build()
            .await
            .unwrap();
        let phases: [(&str, RawServer); 3] = [
            ("mid-upload", RawServer::never_reads()),
            ("waiting for the head", RawServer::silent()),
            ("mid-body-read", RawServer::hang_mid_body()),
        ];
        let mut report = Vec::new();
        let mut unexpected = Vec::new();
        for (phase, server) in &phases {
            let mut timeouts = 0;
            for _ in 0..rounds {
                let uploads: Vec<_> = (0..4)
                    .map(|_| {
                        let request = session.post(server.url("/")).body(vec![b'x'; UPLOAD]);
                        tokio::spawn(async move { request.send().await?.bytes().await })
                    })
                    .collect();
                for upload in uploads {
                    match bounded(QUICK, upload).await.unwrap() {
                        Err(e) if e.is_timeout() => timeouts += 1,
                        other => unexpected.push(format!("{phase}: {other:?}")),
                    }
                }
                let text = bounded(QUICK, async {
                    session.get(other.url("/")).send().await?.text().await
                })
                .await;
                if text.as_deref().ok() != Some("hello, world!") {
                    unexpected.push(format!("{phase}: the other server: {text:?}"));
                }
            }
            report.push(format!("{phase} {timeouts}/{} timed out", rounds * 4));
        }
        eventually("in_use and waiting back to 0", QUICK, || {
            let s = session.stats();
            s.in_use == 0 && s.waiting == 0
        })
        .await;
        let stats = session.stats();
        bounded(QUICK, session.close()).await;
        drop(phases);
        let fds_after = fds_settle(fds_before, QUICK).await;
        figures(format_args!(
            "upload stalls (8 MiB, timeout {TIMEOUT:?}, max 2 conns): {}; other server ok after \
             each round: {}; {} conns opened, fds {fds_before}->{fds_after} after close, {:.1} s",
            report.join(", "),
            if unexpected.iter().any(|u| u.contains("other server")) {
                "NO"
            } else {
                "yes"
            },
            stats.opened,
            started.elapsed().as_secs_f64(),
        ));
        assert!(unexpected.is_empty(), "{unexpected:#?}");
        assert_eq!((stats.in_use, stats.waiting), (0, 0), "{stats:?}");
        assert_eq!(fds_after, fds_before, "file descriptors leaked");
    });
}
