//! A tour of `clientsession` that needs no network: it starts its own HTTP/1.1
//! server on loopback and talks to it, printing each step.
//!
//! It shows, in order:
//!
//! 1. `Session::new()` called before any Tokio runtime exists returns
//!    `Error::NoRuntime` (it does not panic);
//! 2. a session made with the builder (`base_url`, `default_header`,
//!    `timeout`) doing a GET;
//! 3. `Session::scoped`, which closes its session when the closure is done,
//!    doing a GET and a POST with a body;
//! 4. a graceful `close()`, after which a request fails with `Error::Closed`.
//!
//! Run it with:
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use clientsession::{Error, Session};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

// A plain `fn main`, not `#[tokio::main]`: step 1 must run where no runtime
// exists yet, so the runtime is built by hand afterwards.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. No runtime yet: the sync constructor reports it instead of panicking.
    match Session::new() {
        Err(err @ Error::NoRuntime) => println!("1. Session::new() outside a runtime: {err}"),
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("Session::new() unexpectedly worked outside a runtime".into()),
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(tour())
}

/// Steps 2 to 4, inside the runtime.
async fn tour() -> Result<(), Box<dyn std::error::Error>> {
    let addr = start_server().await?;
    let base = format!("http://{addr}");
    println!("   (loopback server listening on {base})");

    // 2. A long-lived session from the builder. Relative URLs are joined to
    //    the base URL, and every request carries the default header.
    let session = Session::builder()
        .base_url(&base)
        .default_header("x-example", "quickstart")
        .timeout(Duration::from_secs(10))
        .build()
        .await?;
    let response = session.get("/hello").send().await?;
    println!(
        "2. builder session: GET {} -> {}",
        response.url(),
        response.status()
    );
    println!("   body: {}", response.text().await?);

    // 3. A scoped session: it is closed when the closure's future is done,
    //    whether it returned Ok or Err. Here a clone is handed back out of
    //    the scope only to show that it is closed afterwards.
    let (greeting, echo, escaped) = Session::scoped(move |s| async move {
        let greeting = s
            .get(format!("{base}/hello"))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        let echo = s
            .post(format!("{base}/echo"))
            .header("content-type", "text/plain")
            .body("ping from a scoped session")
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok::<_, Error>((greeting, echo, s))
    })
    .await?;
    println!("3. scoped session: GET  -> {greeting}");
    println!("                   POST -> {echo}");
    println!("   after the scope, is_closed() = {}", escaped.is_closed());

    // 4. A graceful close: in-flight requests would finish first, then every
    //    socket is closed before `close()` returns. New requests get `Closed`.
    session.close().await;
    println!("4. close() returned; is_closed() = {}", session.is_closed());
    match session.get("/hello").send().await {
        Err(err @ Error::Closed) => println!("   request after close: {err}"),
        Err(other) => return Err(other.into()),
        Ok(response) => {
            return Err(format!("request after close() got {}", response.status()).into());
        }
    }

    println!("done");
    Ok(())
}

/// Starts a tiny HTTP/1.1 server on `127.0.0.1` and an OS-chosen port, on the
/// current runtime, and returns its address.
async fn start_server() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _peer)) => stream,
                Err(err) => {
                    eprintln!("server: accept failed: {err}");
                    return;
                }
            };
            tokio::spawn(async move {
                let service = service_fn(handle);
                if let Err(err) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    eprintln!("server: connection error: {err}");
                }
            });
        }
    });
    Ok(addr)
}

/// The server's routes: `GET /hello` greets and names the `x-example` header
/// it saw; `POST /echo` sends the request body back; anything else is a 404.
async fn handle(request: Request<Incoming>) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let example_header = request
        .headers()
        .get("x-example")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("absent")
        .to_owned();
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => return Ok(reply(StatusCode::BAD_REQUEST, format!("bad body: {err}"))),
    };

    let response = match (method.as_str(), path.as_str()) {
        ("GET", "/hello") => reply(
            StatusCode::OK,
            format!("hello from the loopback server (x-example: {example_header})"),
        ),
        ("POST", "/echo") => reply(
            StatusCode::OK,
            format!(
                "echoed {} bytes: {}",
                body.len(),
                String::from_utf8_lossy(&body)
            ),
        ),
        _ => reply(
            StatusCode::NOT_FOUND,
            format!("no route for {method} {path}"),
        ),
    };
    Ok(response)
}

fn reply(status: StatusCode, text: String) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
}
