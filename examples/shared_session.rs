//! One `Session` shared by many tasks under a connection limit, its pool
//! statistics, and a graceful close with a deadline.
//!
//! It starts its own HTTP/1.1 server on loopback (each answer takes a few
//! milliseconds), sends 200 requests from 50 tasks through one session
//! capped at 4 connections, and prints what the pool did.
//!
//! Run it with:
//!
//! ```text
//! cargo run --example shared_session
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use clientsession::{Error, Session};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let addr = start_server().await?;
    let session = Session::builder()
        .base_url(format!("http://{addr}"))
        .max_connections(4)
        .pool_timeout(Duration::from_secs(10))
        .build()
        .await?;

    let mut tasks = Vec::new();
    for task in 0..50 {
        let session = session.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..4 {
                let body = session.get("/work").send().await?.text().await?;
                if body != "done" {
                    return Err(format!("task {task}: unexpected body {body:?}").into());
                }
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }));
    }
    for task in tasks {
        task.await??;
    }

    let stats = session.stats();
    println!(
        "200 requests from 50 tasks: {} connections opened (limit 4), {} requests reused one",
        stats.opened, stats.reused
    );
    println!(
        "at rest: open {}, idle {}, in use {}, waiting {}",
        stats.open, stats.idle, stats.in_use, stats.waiting
    );

    let outcome = session.close_with_timeout(Duration::from_secs(1)).await;
    println!(
        "close_with_timeout: {outcome:?}; open now: {}",
        session.stats().open
    );
    match session.get("/work").send().await {
        Err(err @ Error::Closed) => println!("a request after close: {err}"),
        other => return Err(format!("expected Error::Closed, got {other:?}").into()),
    }
    Ok(())
}

/// A loopback server whose every answer takes 2 ms, so that requests
/// overlap and the limit matters.
async fn start_server() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|_req: hyper::Request<Incoming>| async {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                        b"done",
                    ))))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}
