//! HTTP/2: negotiated by ALPN over TLS, spoken from the first byte over
//! plain TCP with prior knowledge (h2c), and never where it was not asked
//! for; concurrent requests sharing one connection; the HTTP/2 connection
//! in the pool's limits and statistics, in `close()` and in the idle reaper.
//!
//! The TLS tests need the feature `rustls`; the h2c ones do not.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clientsession::{Error, Session, StatusCode, Version};

use crate::support::gate::Gate;
use crate::support::h2::{H2cServer, Seen as ServerSeen, delayed, gated, hello};
use crate::support::poll::eventually;
use crate::support::{Observed, QUICK, SLOW, bounded};

/// How long the handler of the concurrency tests takes, so that the
/// requests of a burst overlap at the server.
const HANDLER_DELAY: Duration = Duration::from_millis(20);

/// What one request of a burst saw.
#[derive(Debug, Clone, Copy)]
struct Got {
    version: Version,
    reused: bool,
}

/// Sends `n` GETs to `url` from `n` tasks that all start at once (a barrier
/// releases them together), reads every body, and checks it is `body`.
/// Panics if any request fails.
async fn burst(session: &Session, url: &str, n: usize, body: &'static str) -> Vec<Got> {
    let start = Arc::new(tokio::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (session, url, start) = (session.clone(), url.to_owned(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let resp = session.get(&url).send().await?;
                assert_eq!(resp.status(), StatusCode::OK);
                let got = Got {
                    version: resp.version(),
                    reused: resp.connection_reused(),
                };
                assert_eq!(resp.text().await?, body);
                Ok::<_, Error>(got)
            })
        })
        .collect();
    let mut seen = Vec::with_capacity(n);
    for handle in handles {
        seen.push(
            handle
                .await
                .expect("a request task panicked")
                .expect("a request failed"),
        );
    }
    seen
}

/// Asserts that every request of a burst used HTTP/2, and that exactly one
/// of them opened the connection (the others shared it).
#[track_caller]
fn assert_one_h2_connection(seen: &[Got]) {
    let not_h2: Vec<_> = seen
        .iter()
        .filter(|s| s.version != Version::HTTP_2)
        .collect();
    assert!(not_h2.is_empty(), "requests not over HTTP/2: {not_h2:?}");
    let fresh = seen.iter().filter(|s| !s.reused).count();
    assert_eq!(fresh, 1, "requests that say they opened a connection");
}

/// Sends one GET to `url` in a task of its own and reads its body; for a
/// request held at a gated server.
fn spawn_get(
    session: &Session,
    url: String,
) -> tokio::task::JoinHandle<Result<(Version, String), Error>> {
    let session = session.clone();
    tokio::spawn(async move {
        let resp = session.get(&url).send().await?;
        let version = resp.version();
        Ok((version, resp.text().await?))
    })
}

/// With one request held in flight at `server` (behind `gate`), `close()`
/// waits for it; once released the request completes normally, `close()`
/// returns, and the server sees the connection closed cleanly.
async fn close_waits_for_the_open_stream<S: Observed>(
    session: Session,
    server: &S,
    url: String,
    gate: &Gate,
    seen: &ServerSeen,
) {
    let held = spawn_get(&session, url.clone());
    server.wait_requests(1, QUICK).await;
    assert_eq!(session.stats().in_use, 1, "{:?}", session.stats());

    let mut closing = {
        let session = session.clone();
        tokio::spawn(async move { session.close().await })
    };
    eventually("the session to be marked closed", QUICK, || {
        session.is_closed()
    })
    .await;
    let refused = bounded(QUICK, session.get(&url).send()).await;
    assert!(
        matches!(refused, Err(Error::Closed)),
        "a new request during close(): {refused:?}"
    );
    // A bounded negative check, not a synchronisation: for 100 ms, while
    // the stream is still open, close() must not return and the server must
    // not see the connection go.
    let early = tokio::time::timeout(Duration::from_millis(100), &mut closing).await;
    assert!(
        early.is_err(),
        "close() returned while a request was in flight"
    );
    assert_eq!(server.closed(), 0, "the connection closed under the stream");

    gate.release(1);
    let (version, body) = bounded(QUICK, held)
        .await
        .expect("the held request's task panicked")
        .expect("the held request failed");
    assert_eq!(version, Version::HTTP_2);
    assert_eq!(body, "done");
    bounded(QUICK, closing)
        .await
        .expect("the close task panicked");
    server.wait_closed(1, QUICK).await;
    assert_eq!(server.accepted(), 1);
    assert_eq!(seen.goaways(), 1, "GOAWAY frames the server received");
    assert_eq!(seen.conn_errors(), 0, "the server saw an unclean shutdown");
    let stats = session.stats();
    assert_eq!(
        (stats.open, stats.opened, stats.closed),
        (0, 1, 1),
        "{stats:?}"
    );
}

/// With `pool_idle_timeout(300ms)`, the idle reaper closes the idle HTTP/2
/// connection of `session` (after one request to `url`) and `server` sees
/// it closed, not before the timeout and within a bounded time after it.
async fn idle_reaper_closes_the_connection<S: Observed>(
    session: Session,
    server: &S,
    url: String,
    seen: &ServerSeen,
) {
    let idle_timeout = Duration::from_millis(300);
    let resp = bounded(QUICK, session.get(&url).send()).await.unwrap();
    assert_eq!(resp.version(), Version::HTTP_2);
    bounded(QUICK, resp.text()).await.unwrap();
    let idle_from = Instant::now();
    assert_eq!(session.stats().idle, 1, "{:?}", session.stats());

    server.wait_closed(1, SLOW).await;
    let after = idle_from.elapsed();
    assert!(
        after >= idle_timeout,
        "closed after {after:?}, before the idle timeout"
    );
    assert_eq!(seen.goaways(), 1, "GOAWAY frames the server received");
    assert_eq!(seen.conn_errors(), 0, "the server saw an unclean shutdown");
    eventually("the pool to count the connection closed", QUICK, || {
        session.stats().open == 0
    })
    .await;
    let stats = session.stats();
    assert_eq!(
        (stats.opened, stats.closed, stats.idle),
        (1, 1, 0),
        "{stats:?}"
    );
}

// ---------------------------------------------------------------------------
// h2c: HTTP/2 over plain TCP with prior knowledge.

/// With `http2_prior_knowledge()`, a request over plain TCP speaks HTTP/2,
/// and the next one reuses its connection.
#[tokio::test]
async fn h2c_prior_knowledge_speaks_http2() {
    let server = H2cServer::new(hello());
    let session = Session::builder()
        .http2_prior_knowledge()
        .build()
        .await
        .unwrap();
    for reused in [false, true] {
        let resp = bounded(QUICK, session.get(server.url("/")).send())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.version(), Version::HTTP_2);
        assert_eq!(resp.connection_reused(), reused);
        assert_eq!(bounded(QUICK, resp.text()).await.unwrap(), "hello, world!");
    }
    assert_eq!(server.seen().h2_requests(), 2);
    assert_eq!(server.seen().h1_requests(), 0);
    assert_eq!(server.accepted(), 1);
}

/// 50 requests started at once on a fresh h2c session all succeed over one
/// connection, and overlap at the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn h2c_fifty_concurrent_requests_share_one_connection() {
    let server = H2cServer::new(delayed(HANDLER_DELAY));
    let session = Session::builder()
        .http2_prior_knowledge()
        .build()
        .await
        .unwrap();
    let seen = bounded(SLOW, burst(&session, &server.url("/"), 50, "ok")).await;
    assert_one_h2_connection(&seen);
    assert_eq!(server.accepted(), 1, "connections the server accepted");
    assert_eq!(server.seen().h2_requests(), 50);
    assert!(
        server.seen().peak_in_flight() > 1,
        "the requests never overlapped at the server"
    );
    assert_eq!(session.stats().opened, 1, "{:?}", session.stats());
}

/// Without prior knowledge, a plain `http://` URL stays HTTP/1.1, even
/// against a server that would speak h2c.
#[tokio::test]
async fn plain_http_without_prior_knowledge_stays_http11() {
    let server = H2cServer::new(hello());
    let session = Session::new().unwrap();
    let resp = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.version(), Version::HTTP_11);
    assert_eq!(bounded(QUICK, resp.text()).await.unwrap(), "hello, world!");
    assert_eq!(server.seen().h1_requests(), 1);
    assert_eq!(server.seen().h2_requests(), 0);
}

/// `close()` on an h2c session waits for the open stream, then the
/// connection closes cleanly and the server sees it.
#[tokio::test]
async fn h2c_close_waits_for_the_open_stream_then_closes_the_connection() {
    let gate = Gate::closed();
    let server = H2cServer::new(gated(&gate));
    let session = Session::builder()
        .http2_prior_knowledge()
        .build()
        .await
        .unwrap();
    let url = server.url("/");
    bounded(
        SLOW,
        Box::pin(close_waits_for_the_open_stream(
            session,
            &server,
            url,
            &gate,
            server.seen(),
        )),
    )
    .await;
}

/// The idle reaper closes an idle h2c connection.
#[tokio::test]
async fn h2c_idle_reaper_closes_an_idle_connection() {
    let server = H2cServer::new(hello());
    let session = Session::builder()
        .http2_prior_knowledge()
        .pool_idle_timeout(Duration::from_millis(300))
        .build()
        .await
        .unwrap();
    let url = server.url("/");
    bounded(
        Duration::from_secs(10),
        Box::pin(idle_reaper_closes_the_connection(
            session,
            &server,
            url,
            server.seen(),
        )),
    )
    .await;
}

// ---------------------------------------------------------------------------
// HTTP/2 negotiated by ALPN over TLS.

#[cfg(feature = "rustls")]
mod tls {
    use std::time::{Duration, Instant};

    use clientsession::{
        Certificate, Error, Session, SessionBuilder, StatusCode, TimeoutKind, Version,
    };

    use super::{
        HANDLER_DELAY, assert_one_h2_connection, burst, close_waits_for_the_open_stream,
        idle_reaper_closes_the_connection, spawn_get,
    };
    use crate::support::gate::Gate;
    use crate::support::h2::{Handler, delayed, gated, hello};
    use crate::support::poll::eventually;
    use crate::support::tls::{TestCa, TlsH2Server};
    use crate::support::{Observed, QUICK, SLOW, TestServer, bounded};

    /// A CA, an h2-capable HTTPS server for `localhost` with a certificate
    /// from it, and a session builder that trusts only that CA.
    fn h2_origin(handler: Handler) -> (TlsH2Server, SessionBuilder) {
        let ca = TestCa::new();
        let server = TlsH2Server::new(&ca.cert("localhost"), handler);
        let builder = Session::builder()
            .add_root_certificate(Certificate::from_pem(ca.pem().as_bytes()).unwrap())
            .tls_built_in_roots(false);
        (server, builder)
    }

    /// A request to a server whose ALPN offers `h2` negotiates HTTP/2, and
    /// the next one reuses its connection.
    #[tokio::test]
    async fn alpn_negotiates_http2() {
        let (server, builder) = h2_origin(hello());
        let session = builder.build().await.unwrap();
        for reused in [false, true] {
            let resp = bounded(QUICK, session.get(server.url("/")).send())
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(resp.version(), Version::HTTP_2);
            assert_eq!(resp.connection_reused(), reused);
            assert_eq!(bounded(QUICK, resp.text()).await.unwrap(), "hello, world!");
        }
        assert_eq!(server.seen().h2_requests(), 2);
        assert_eq!(server.seen().h1_requests(), 0);
        assert_eq!(server.accepted(), 1);
        assert_eq!(server.failed_handshakes(), 0);
    }

    /// 50 requests started at once on a fresh session (no connection yet)
    /// all succeed over one HTTP/2 connection, and overlap at the server.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn fifty_concurrent_requests_share_one_connection_from_a_cold_start() {
        let (server, builder) = h2_origin(delayed(HANDLER_DELAY));
        let session = builder.build().await.unwrap();
        let seen = bounded(SLOW, burst(&session, &server.url("/"), 50, "ok")).await;
        assert_one_h2_connection(&seen);
        assert_eq!(server.accepted(), 1, "connections the server accepted");
        assert_eq!(server.peak(), 1);
        assert_eq!(server.seen().h2_requests(), 50);
        assert!(
            server.seen().peak_in_flight() > 1,
            "the requests never overlapped at the server"
        );
        let stats = session.stats();
        assert_eq!(stats.opened, 1, "{stats:?}");
        assert_eq!(stats.reused, 49, "{stats:?}");
    }

    /// `http1_only()` against the same h2-capable server gets HTTP/1.1.
    #[tokio::test]
    async fn http1_only_gets_http11_from_an_h2_capable_server() {
        let (server, builder) = h2_origin(hello());
        let session = builder.http1_only().build().await.unwrap();
        let resp = bounded(QUICK, session.get(server.url("/")).send())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.version(), Version::HTTP_11);
        assert_eq!(bounded(QUICK, resp.text()).await.unwrap(), "hello, world!");
        assert_eq!(server.seen().h1_requests(), 1);
        assert_eq!(server.seen().h2_requests(), 0);
    }

    /// With `max_connections(1)`, 20 concurrent requests to an HTTP/2
    /// origin all succeed on the one connection: the limit counts it once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn max_connections_counts_the_http2_connection_once() {
        let (server, builder) = h2_origin(delayed(HANDLER_DELAY));
        let session = builder
            .max_connections(1)
            .pool_timeout(SLOW)
            .build()
            .await
            .unwrap();
        let seen = bounded(SLOW, burst(&session, &server.url("/"), 20, "ok")).await;
        assert_one_h2_connection(&seen);
        assert_eq!(server.accepted(), 1);
        assert_eq!(server.seen().h2_requests(), 20);
        assert!(
            server.seen().peak_in_flight() > 1,
            "the requests were serialised, not multiplexed"
        );
        let stats = session.stats();
        assert_eq!(
            (stats.opened, stats.open, stats.waiting),
            (1, 1, 0),
            "{stats:?}"
        );
    }

    /// With `max_connections(1)` taken by a busy HTTP/2 connection, a
    /// request to a second origin waits for a place and fails with
    /// `Timeout(Pool)` after `pool_timeout`, without connecting.
    #[tokio::test]
    async fn second_origin_times_out_while_the_http2_connection_is_busy() {
        let gate = Gate::closed();
        let (server, builder) = h2_origin(gated(&gate));
        let other = TestServer::hello();
        let pool_timeout = Duration::from_millis(300);
        let session = builder
            .max_connections(1)
            .pool_timeout(pool_timeout)
            .build()
            .await
            .unwrap();
        let held = spawn_get(&session, server.url("/"));
        server.wait_requests(1, QUICK).await;

        let started = Instant::now();
        let result = bounded(QUICK, session.get(other.url("/")).send()).await;
        let waited = started.elapsed();
        assert!(
            matches!(result, Err(Error::Timeout(TimeoutKind::Pool))),
            "expected Timeout(Pool), got {result:?}"
        );
        assert!(waited >= pool_timeout, "gave up after {waited:?}");
        assert_eq!(other.accepted(), 0);

        gate.release(1);
        let (version, body) = bounded(QUICK, held).await.unwrap().unwrap();
        assert_eq!((version, body.as_str()), (Version::HTTP_2, "done"));
    }

    /// With `max_connections(1)`, a request to a second origin that waits
    /// while the HTTP/2 connection is busy gets the place once that
    /// connection goes idle: the idle HTTP/2 connection is closed for it.
    #[tokio::test]
    async fn waiting_second_origin_gets_the_place_when_the_http2_connection_goes_idle() {
        let gate = Gate::closed();
        let (server, builder) = h2_origin(gated(&gate));
        let other = TestServer::hello();
        let session = builder
            .max_connections(1)
            .pool_timeout(Duration::from_secs(2))
            .build()
            .await
            .unwrap();
        let held = spawn_get(&session, server.url("/"));
        server.wait_requests(1, QUICK).await;
        let waiting = spawn_get(&session, other.url("/"));
        eventually("the second-origin request to wait", QUICK, || {
            session.stats().waiting == 1
        })
        .await;

        gate.release(1);
        let (version, body) = bounded(QUICK, held).await.unwrap().unwrap();
        assert_eq!((version, body.as_str()), (Version::HTTP_2, "done"));
        let result = bounded(SLOW, waiting).await.unwrap();
        let (version, body) = result.expect(
            "the second-origin request was not given the place of the idle HTTP/2 connection",
        );
        assert_eq!(
            (version, body.as_str()),
            (Version::HTTP_11, "hello, world!")
        );
        server.wait_closed(1, QUICK).await;
        assert_eq!(
            server.seen().goaways(),
            1,
            "GOAWAY frames the server received"
        );
        assert_eq!(other.accepted(), 1);
    }

    /// With `max_connections(1)` held by an idle HTTP/2 connection, a
    /// request to a second origin closes it to make room, at once.
    #[tokio::test]
    async fn idle_http2_connection_is_closed_to_make_room_for_another_origin() {
        let (server, builder) = h2_origin(hello());
        let other = TestServer::hello();
        let session = builder
            .max_connections(1)
            .pool_timeout(Duration::from_secs(1))
            .build()
            .await
            .unwrap();
        let resp = bounded(QUICK, session.get(server.url("/")).send())
            .await
            .unwrap();
        assert_eq!(resp.version(), Version::HTTP_2);
        bounded(QUICK, resp.text()).await.unwrap();
        assert_eq!(session.stats().idle, 1, "{:?}", session.stats());

        let result = bounded(QUICK, session.get(other.url("/")).send()).await;
        let resp = result.expect("the idle HTTP/2 connection starved the second origin");
        assert_eq!(resp.version(), Version::HTTP_11);
        assert_eq!(bounded(QUICK, resp.text()).await.unwrap(), "hello, world!");
        server.wait_closed(1, QUICK).await;
        assert_eq!(
            server.seen().goaways(),
            1,
            "GOAWAY frames the server received"
        );
        assert_eq!(other.accepted(), 1);
    }

    /// `close()` waits for the open HTTP/2 stream; once it completes, the
    /// connection closes cleanly and the server sees it closed.
    #[tokio::test]
    async fn close_waits_for_the_open_stream_then_closes_the_connection() {
        let gate = Gate::closed();
        let (server, builder) = h2_origin(gated(&gate));
        let session = builder.build().await.unwrap();
        let url = server.url("/");
        bounded(
            SLOW,
            Box::pin(close_waits_for_the_open_stream(
                session,
                &server,
                url,
                &gate,
                server.seen(),
            )),
        )
        .await;
    }

    /// At rest after concurrent and sequential HTTP/2 work, the one shared
    /// connection counts as open and idle, and nothing as in use.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn stats_at_rest_after_http2_work() {
        let (server, builder) = h2_origin(delayed(Duration::from_millis(2)));
        let session = builder.build().await.unwrap();
        let url = server.url("/");
        bounded(SLOW, async {
            assert_one_h2_connection(&burst(&session, &url, 10, "ok").await);
            for _ in 0..3 {
                let resp = session.get(&url).send().await.unwrap();
                assert_eq!(resp.version(), Version::HTTP_2);
                resp.text().await.unwrap();
            }
        })
        .await;
        let stats = session.stats();
        assert_eq!(stats.in_use, 0, "{stats:?}");
        assert_eq!(stats.waiting, 0, "{stats:?}");
        assert_eq!((stats.open, stats.idle), (1, 1), "{stats:?}");
        assert_eq!(
            (stats.opened, stats.closed, stats.reused),
            (1, 0, 12),
            "{stats:?}"
        );
        assert_eq!(stats.hosts.len(), 1, "{stats:?}");
        let host = &stats.hosts[0];
        assert_eq!((host.open, host.idle, host.in_use), (1, 1, 0), "{stats:?}");
        assert_eq!(server.accepted(), 1);
    }

    /// The idle reaper closes an idle HTTP/2 connection over TLS.
    #[tokio::test]
    async fn idle_reaper_closes_an_idle_http2_connection() {
        let (server, builder) = h2_origin(hello());
        let session = builder
            .pool_idle_timeout(Duration::from_millis(300))
            .build()
            .await
            .unwrap();
        let url = server.url("/");
        bounded(
            Duration::from_secs(10),
            Box::pin(idle_reaper_closes_the_connection(
                session,
                &server,
                url,
                server.seen(),
            )),
        )
        .await;
    }
}

/// On HTTP/2 too, `close()` does not wait for a response the caller holds:
/// it returns at once, the held stream's body is read afterwards, and then
/// the connection closes cleanly (one GOAWAY).
#[tokio::test]
async fn h2c_close_returns_while_the_caller_holds_a_response() {
    let server = H2cServer::new(hello());
    let session = Session::builder()
        .http2_prior_knowledge()
        .build()
        .await
        .unwrap();
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    bounded(QUICK, session.close()).await;
    assert_eq!(session.stats().in_use, 1, "{:?}", session.stats());
    assert_eq!(
        bounded(QUICK, response.text()).await.unwrap(),
        "hello, world!"
    );
    server.wait_closed(1, QUICK).await;
    assert_eq!(
        server.seen().goaways(),
        1,
        "GOAWAY frames the server received"
    );
    assert_eq!(server.seen().conn_errors(), 0);
}
