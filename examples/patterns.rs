//! The three patterns people write first, each on its right path, against a
//! loopback server that the example starts itself:
//!
//! 1. one session per test (a fresh current-thread runtime each time, as
//!    `#[tokio::test]` makes), with `Session::scoped`, including a response
//!    returned out of the scope and read afterwards;
//! 2. one session in a `static`, on the shared background runtime, used from
//!    several short-lived runtimes in turn and from plain threads;
//! 3. sync code with the blocking client (feature `blocking`), and what it
//!    says when called from inside an async task.
//!
//! Run it with:
//!
//! ```text
//! cargo run --example patterns --all-features
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use clientsession::Session;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Pattern 2: built on first use, from whichever runtime or thread gets
/// there first, and never tied to that runtime.
static SESSION: LazyLock<Session> = LazyLock::new(|| {
    Session::builder()
        .background()
        .timeout(Duration::from_secs(10))
        .build_sync()
        .expect("the background runtime starts")
});

fn main() -> Result<(), BoxError> {
    let addr = start_server()?;
    let url = format!("http://{addr}/hello");
    println!("(loopback server listening on http://{addr})");

    per_test_sessions(&url)?;
    static_session(&url)?;
    blocking_client(&url)?;
    Ok(())
}

/// Pattern 1: each "test" has its own runtime and its own scoped session.
fn per_test_sessions(url: &str) -> Result<(), BoxError> {
    for test in 1..=2 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let text = rt.block_on(Session::scoped(|s| async move {
            s.get(url).send().await?.text().await
        }))?;
        println!("1. test {test}, scoped session: {text}");
    }
    // A response can leave its scope: `close()` never waits on its caller,
    // so the scope ends and the body is read afterwards.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let text = rt.block_on(async {
        let response = Session::scoped(|s| async move { s.get(url).send().await }).await?;
        response.text().await
    })?;
    println!("1. a response returned out of its scope, read afterwards: {text}");
    Ok(())
}

/// Pattern 2: one `static` session, used from runtimes that come and go and
/// from plain threads.
fn static_session(url: &str) -> Result<(), BoxError> {
    for run in 1..=3 {
        // Each runtime is dropped at the end of the iteration, as each
        // `#[tokio::test]`'s runtime is at the end of its test.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let text = rt.block_on(async { SESSION.get(url).send().await?.text().await })?;
        println!("2. runtime {run}, static background session: {text}");
    }
    let threads: Vec<_> = (1..=2)
        .map(|n| {
            let url = url.to_owned();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                rt.block_on(async { SESSION.get(&url).send().await?.text().await })
                    .map(|text| format!("2. plain thread {n}: {text}"))
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for thread in threads {
        let line = thread.join().map_err(|_| "a thread panicked")??;
        println!("{line}");
    }
    Ok(())
}

/// Pattern 3: sync code, with the blocking client.
#[cfg(feature = "blocking")]
fn blocking_client(url: &str) -> Result<(), BoxError> {
    use clientsession::{Error, blocking};

    let session = blocking::Session::new()?;
    let text = session.get(url).send()?.text()?;
    println!("3. blocking client from sync code: {text}");

    // Inside an async task, blocking would stall the runtime: it says so.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let inside = rt.block_on(async { session.get(url).send().map(|_| ()) });
    match inside {
        Err(err @ Error::BlockingInAsync) => {
            println!("3. blocking client inside async code: {err}")
        }
        Err(other) => return Err(other.into()),
        Ok(()) => return Err("the blocking client worked inside an async task".into()),
    }
    session.close()?;
    Ok(())
}

#[cfg(not(feature = "blocking"))]
fn blocking_client(_url: &str) -> Result<(), BoxError> {
    println!("3. (the blocking client needs `--features blocking`)");
    Ok(())
}

/// Starts a server on 127.0.0.1 on a thread and runtime of its own, which
/// live until the process exits, and answers every request with `hello`.
fn start_server() -> Result<SocketAddr, BoxError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || rt.block_on(serve(listener)));
    Ok(addr)
}

async fn serve(listener: std::net::TcpListener) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(err) => return eprintln!("server: {err}"),
    };
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let service = service_fn(|_req: hyper::Request<Incoming>| async {
                Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from("hello"))))
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
