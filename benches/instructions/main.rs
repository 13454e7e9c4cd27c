//! Two per-request figures of the client process alone, with the loopback
//! server in a process of its own:
//!
//! - instructions per request, counted by callgrind: a figure that does not
//!   move with the load on a shared machine, unlike the wall-clock benches
//!   (`bash benches/callgrind.sh`: runs this target under
//!   `valgrind --tool=callgrind` with two request counts per client and
//!   operation; the difference of the totals divided by the difference of
//!   the counts is the cost of one request on a warm connection);
//! - client CPU time per request and requests per second at a given
//!   concurrency, measured in the same run (`bash benches/cpu.sh`).
//!
//! Modes, chosen by environment variables:
//! - `BENCH_SERVE=PATH`: start the server, write its address to `PATH`,
//!   then serve until killed;
//! - `BENCH_ADDR=ADDR BENCH_IMPL=NAME BENCH_N=N [BENCH_OP=OP]`: build client
//!   `NAME` (`clientsession`, `hyper_util`, `reqwest`, `raw_conn`), do one
//!   warm-up request and then `N` more, sequentially, each checked. `OP` is
//!   `get_small` (default: `GET` of 13 bytes), `post_64k` (`POST` of
//!   64 KiB) or `download_1m` (`GET` of 1 MiB);
//! - the same plus `BENCH_CONC=C`: `C` tasks share the client and each does
//!   `GET /small` in a loop until `N` requests are done in all (after a
//!   warm-up of `max(1000, 10 C)` requests); prints one tab-separated line:
//!   impl, concurrency, requests, wall seconds, CPU seconds of the whole
//!   process (user + system, every thread), requests per second, CPU
//!   microseconds per request, and the CPU seconds again as the kernel's
//!   10 ms ticks count them (`/proc/self/stat`, a cross-check);
//! - none (as under a plain `cargo bench`): print how to run it, exit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::StatusCode;

// Both modules are shared with the `session` bench, which uses more of them
// (`Server::url`).
#[allow(dead_code, reason = "this target uses only part of the module")]
#[path = "../session/server.rs"]
mod server;

#[allow(dead_code, reason = "this target uses only part of the module")]
#[path = "../session/peers.rs"]
mod peers;

use peers::{Impl, Peer};

/// Size of the `post_64k` request body (as in the `session` bench).
const UPLOAD: usize = 64 * 1024;

fn main() {
    if let Ok(path) = std::env::var("BENCH_SERVE") {
        serve(&path);
    } else if let Ok(addr) = std::env::var("BENCH_ADDR") {
        client(&addr);
    } else {
        println!(
            "instructions: run `bash benches/callgrind.sh` (needs valgrind) \
             or `bash benches/cpu.sh`"
        );
    }
}

/// Serves until the process is killed.
fn serve(path: &str) {
    let server = server::Server::start();
    std::fs::write(path, server.addr().to_string()).expect("write address file");
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// What one run does, from the environment.
struct Run {
    /// The server.
    addr: SocketAddr,
    /// The client.
    which: Impl,
    /// Requests to count.
    n: usize,
}

/// The client side: see the module doc for the modes.
fn client(addr: &str) {
    let addr: SocketAddr = addr.parse().expect("BENCH_ADDR is not an address");
    let name = std::env::var("BENCH_IMPL").unwrap_or_else(|_| "clientsession".into());
    let which = Impl::ALL
        .into_iter()
        .find(|i| i.name() == name)
        .expect("BENCH_IMPL must be clientsession, hyper_util, reqwest or raw_conn");
    let n = env_usize("BENCH_N", 2000);
    let run = Run { addr, which, n };
    // The same one-worker runtime as the wall-clock benches.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime");
    if std::env::var("BENCH_CONC").is_ok() {
        let conc = env_usize("BENCH_CONC", 1).max(1);
        rt.block_on(concurrent(run, conc));
    } else {
        let op = std::env::var("BENCH_OP").unwrap_or_else(|_| "get_small".into());
        let task = rt.spawn(sequential(run, op));
        rt.block_on(task).expect("client task panicked");
    }
}

/// `name` from the environment as a number, or `default`.
fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} is not a number"))
    })
}

/// One warm-up request, then `run.n` more of `op`, one after the other.
async fn sequential(run: Run, op: String) {
    let peer = Peer::new(run.which, run.addr).await;
    match op.as_str() {
        "get_small" => {
            let url = format!("http://{}/small", run.addr);
            for _ in 0..=run.n {
                check_small(peer.get(0, &url).await);
            }
        }
        "post_64k" => {
            let url = format!("http://{}/upload", run.addr);
            let payload = Bytes::from(vec![b'u'; UPLOAD]);
            let expected = UPLOAD.to_string();
            for _ in 0..=run.n {
                let (status, body) = peer.post(0, &url, payload.clone()).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(body, expected.as_bytes());
            }
        }
        "download_1m" => {
            let url = format!("http://{}/1m", run.addr);
            for _ in 0..=run.n {
                let (status, body) = peer.get(0, &url).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(body.len(), server::ONE_MIB);
            }
        }
        other => panic!("BENCH_OP must be get_small, post_64k or download_1m, not {other}"),
    }
    peer.close().await;
}

/// Checks one `GET /small` answer.
fn check_small((status, body): (StatusCode, Bytes)) {
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.len(), server::SMALL.len());
}

/// `conc` tasks on the runtime's one worker share one client and do
/// `GET /small` until `total` requests are done in all; task `i` uses
/// lane `i` (its own `raw_conn` connection).
async fn load(peer: &Arc<Peer>, url: &Arc<str>, conc: usize, total: usize) {
    let left = Arc::new(AtomicUsize::new(total));
    let tasks: Vec<_> = (0..conc)
        .map(|lane| {
            let (peer, url, left) = (peer.clone(), url.clone(), left.clone());
            tokio::spawn(async move {
                while left
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1))
                    .is_ok()
                {
                    check_small(peer.get(lane, &url).await);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("request task panicked");
    }
}

/// Warm-up, then `run.n` requests at concurrency `conc`, timed by the wall
/// clock and by the process's CPU time; prints the result line.
async fn concurrent(run: Run, conc: usize) {
    let peer = Arc::new(Peer::new(run.which, run.addr).await);
    let url: Arc<str> = format!("http://{}/small", run.addr).into();
    load(&peer, &url, conc, (10 * conc).max(1000)).await;

    let (ticks0, cpu0, wall0) = (process_ticks(), process_cpu(), Instant::now());
    load(&peer, &url, conc, run.n).await;
    let (wall, cpu) = (wall0.elapsed(), process_cpu() - cpu0);
    let ticks = process_ticks() - ticks0;

    let (wall_s, cpu_s) = (wall.as_secs_f64(), cpu.as_secs_f64());
    println!(
        "{}\t{conc}\t{}\t{wall_s:.4}\t{cpu_s:.4}\t{:.0}\t{:.3}\t{:.2}",
        run.which.name(),
        run.n,
        run.n as f64 / wall_s,
        cpu_s * 1e6 / run.n as f64,
        ticks as f64 / 100.0,
    );
    if let Ok(peer) = Arc::try_unwrap(peer) {
        peer.close().await;
    }
}

/// CPU time used so far by every live thread of this process (user and
/// system), from `/proc/self/task/*/schedstat`, which counts nanoseconds
/// (the `utime`/`stime` of `/proc/self/stat` count 10 ms ticks only). The
/// crate forbids `unsafe`, which rules out calling `getrusage` through
/// `libc`. The client's threads all live for the whole run.
fn process_cpu() -> Duration {
    let mut ns = 0u64;
    for task in std::fs::read_dir("/proc/self/task").expect("read /proc/self/task") {
        let path = task.expect("task entry").path().join("schedstat");
        // A thread that ended since the listing has no file any more.
        if let Ok(stat) = std::fs::read_to_string(path) {
            ns += stat
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .expect("schedstat: on-CPU nanoseconds");
        }
    }
    Duration::from_nanos(ns)
}

/// `utime + stime` of the whole process from `/proc/self/stat`, in clock
/// ticks (100 a second on Linux).
fn process_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("read /proc/self/stat");
    // Fields after the command name, which is in parentheses; utime and
    // stime are fields 14 and 15 of the line: 11 and 12 counted from 0 after it.
    let rest = &stat[stat.rfind(')').expect("stat: comm") + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| fields[i].parse::<u64>().expect("stat: ticks");
    tick(11) + tick(12)
}
