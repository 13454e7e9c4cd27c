//! Instructions per request, counted by callgrind: a figure that does not
//! move with the load on a shared machine, unlike the wall-clock benches.
//!
//! Run: `bash benches/callgrind.sh` (builds this target, starts the loopback
//! server in a process of its own, and runs the client under
//! `valgrind --tool=callgrind` twice per client, with `BENCH_N` = 100 and
//! 2100 sequential `GET /small`; the difference divided by 2000 is the
//! cost of one request on a warm connection, setup and first-use costs
//! removed).
//!
//! Modes, chosen by environment variables:
//! - `BENCH_SERVE=PATH`: start the server, write its address to `PATH`,
//!   then serve until killed;
//! - `BENCH_ADDR=ADDR BENCH_IMPL=NAME BENCH_N=N`: build client `NAME`
//!   (`clientsession`, `hyper_util`, `reqwest`, `raw_conn`), do one
//!   warm-up request and then `N` more, sequentially, each checked;
//! - neither (as under a plain `cargo bench`): print how to run it, exit.

use std::net::SocketAddr;
use std::time::Duration;

// Both modules are shared with the `session` bench, which uses more of them
// (`Server::url`, `Peer::post`).
#[allow(dead_code, reason = "this target uses only part of the module")]
#[path = "../session/server.rs"]
mod server;

#[allow(dead_code, reason = "this target only sends GET requests")]
#[path = "../session/peers.rs"]
mod peers;

use peers::{Impl, Peer};

fn main() {
    if let Ok(path) = std::env::var("BENCH_SERVE") {
        serve(&path);
    } else if let Ok(addr) = std::env::var("BENCH_ADDR") {
        client(&addr);
    } else {
        println!("instructions: run `bash benches/callgrind.sh` (needs valgrind)");
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

/// One warm-up `GET /small`, then `BENCH_N` more, with the client named by
/// `BENCH_IMPL`, on the same one-worker runtime as the wall-clock benches.
fn client(addr: &str) {
    let addr: SocketAddr = addr.parse().expect("BENCH_ADDR is not an address");
    let name = std::env::var("BENCH_IMPL").unwrap_or_else(|_| "clientsession".into());
    let which = Impl::ALL
        .into_iter()
        .find(|i| i.name() == name)
        .expect("BENCH_IMPL must be clientsession, hyper_util, reqwest or raw_conn");
    let n: usize = std::env::var("BENCH_N")
        .unwrap_or_else(|_| "2000".into())
        .parse()
        .expect("BENCH_N is not a number");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime");
    let url = format!("http://{addr}/small");
    let task = rt.spawn(async move {
        let peer = Peer::new(which, addr).await;
        for _ in 0..=n {
            let (status, body) = peer.get(0, &url).await;
            assert_eq!(status, hyper::StatusCode::OK);
            assert_eq!(body.len(), server::SMALL.len());
        }
        peer.close().await;
    });
    rt.block_on(task).expect("client task panicked");
}
