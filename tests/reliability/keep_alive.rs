//! Keep-alive races: servers that close (or reset) idle connections after a
//! random short delay, so that the client often picks a connection the
//! server is closing. GETs all succeed; POSTs, each with a unique id
//! counted at the server, are never duplicated, and every POST that failed
//! is one the server never saw.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clientsession::Session;

use crate::common::{Rng, figures, scaled, scenario, seed};
use crate::peer::{OK, Peer};
use crate::support::{Observed, QUICK, bounded};

/// How a racing server ends an idle connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hangup {
    /// A clean close (FIN).
    Close,
    /// A reset (RST, `SO_LINGER` 0).
    Reset,
}

/// The ids of the POSTs a server saw, with how many times.
type Seen = Arc<Mutex<HashMap<String, u32>>>;

/// Answers `200 ok`; after each answer, closes the connection if no
/// request comes within a random 0–2 ms.
fn racing_server(hangup: Hangup, seed: u64, seen: Seen) -> Peer {
    let conns = Arc::new(AtomicU64::new(0));
    Peer::new(move |mut conn| {
        let n = conns.fetch_add(1, Ordering::Relaxed);
        let mut rng = Rng::new(seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let seen = seen.clone();
        async move {
            while let Some((head, _body)) = conn.request().await {
                if let Some(id) = head.header("x-id") {
                    *seen.lock().unwrap().entry(id.to_owned()).or_default() += 1;
                }
                if conn.write(OK).await.is_err() {
                    return;
                }
                if conn.idle_for(rng.micros(Duration::from_millis(2))).await {
                    match hangup {
                        Hangup::Close => return,
                        Hangup::Reset => return conn.reset(),
                    }
                }
            }
        }
    })
}

/// 10,000 GETs then 10,000 POSTs, 8 at a time with random 0–3 ms pauses,
/// against a server hanging up as `hangup` says.
async fn race(hangup: Hangup) {
    let seed = seed(0x6b65_6570);
    let seen: Seen = Arc::default();
    let server = racing_server(hangup, seed, seen.clone());
    let session = Session::builder().build().await.unwrap();
    let count = scaled(10_000, 200);
    let started = Instant::now();
    let run = |method: &'static str| {
        let next = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
        let workers: Vec<_> = (0..8u64)
            .map(|w| {
                let (session, url) = (session.clone(), server.url("/"));
                let (next, failures) = (next.clone(), failures.clone());
                tokio::spawn(async move {
                    let mut rng = Rng::new(seed.wrapping_add(w + 1));
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            return;
                        }
                        tokio::time::sleep(rng.micros(Duration::from_millis(3))).await;
                        let id = format!("{method}-{i}");
                        let request = match method {
                            "GET" => session.get(&url),
                            _ => session.post(&url).body(id.clone()),
                        };
                        let got = async { request.header("x-id", &id).send().await?.text().await };
                        match got.await {
                            Ok(body) if body == "ok" => {}
                            other => failures.lock().unwrap().push((id, describe(other))),
                        }
                    }
                })
            })
            .collect();
        let (session, server) = (&session, &server);
        async move {
            for worker in workers {
                // A full-scale run takes 7 s; a worker still busy after a
                // minute is stuck, and the pool's and the server's counts
                // say where.
                if let Ok(joined) = tokio::time::timeout(Duration::from_secs(60), worker).await {
                    joined.unwrap();
                    continue;
                }
                panic!(
                    "hung: a {method} worker stuck for 60 s; {} sent so far; pool {:?}; server {:?}",
                    next.load(Ordering::Relaxed).min(count),
                    session.stats(),
                    server.counters().snapshot(),
                );
            }
            Arc::try_unwrap(failures).unwrap().into_inner().unwrap()
        }
    };
    let get_failures = run("GET").await;
    let post_failures = run("POST").await;
    let took = started.elapsed();
    let stats = session.stats();
    bounded(QUICK, session.close()).await;

    let seen = seen.lock().unwrap().clone();
    let duplicated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    let seen_but_failed: Vec<_> = post_failures
        .iter()
        .filter(|(id, _)| seen.contains_key(id))
        .collect();
    figures(format_args!(
        "keep-alive races ({hangup:?} after 0-2 ms idle, seed {seed:#x}): {count} GETs, {} \
         failed; {count} POSTs, {} failed ({} of them seen by the server), {} duplicated; {} \
         conns opened, {} reused, {:.1} s; a failed POST: {}",
        get_failures.len(),
        post_failures.len(),
        seen_but_failed.len(),
        duplicated.len(),
        stats.opened,
        stats.reused,
        took.as_secs_f64(),
        post_failures.first().map_or("none", |(_, e)| e.as_str()),
    ));
    assert!(
        get_failures.is_empty(),
        "GETs failed: {:#?}",
        &get_failures[..get_failures.len().min(5)]
    );
    assert!(
        duplicated.is_empty(),
        "POSTs the server saw twice: {duplicated:?}"
    );
    assert!(
        seen_but_failed.is_empty(),
        "POSTs the server saw, failed at the caller: {seen_but_failed:#?}"
    );
    server.wait_open(0, QUICK).await;
}

/// An outcome in one line: the error and its cause.
fn describe(outcome: clientsession::Result<String>) -> String {
    match outcome {
        Ok(body) => format!("Ok({body:?})"),
        Err(e) => match std::error::Error::source(&e) {
            Some(cause) => format!("{e} ({cause})"),
            None => e.to_string(),
        },
    }
}

/// The server closes idle connections cleanly.
#[test]
fn keep_alive_races_with_close() {
    scenario(|| race(Hangup::Close));
}

/// The server resets idle connections.
#[test]
fn keep_alive_races_with_reset() {
    scenario(|| race(Hangup::Reset));
}
