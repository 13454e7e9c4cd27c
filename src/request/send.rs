//! The send pipeline: admitted request → connection → response head.

use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Uri};
use url::Url;

use crate::body::Body;
use crate::connect::Conn;
use crate::error::{self, Error, TimeoutKind};
use crate::pool::{Acquire, Grant};
use crate::response::{Response, Timers};
use crate::runtime::HomeSleep;
use crate::session::state::{Inner, Ticket};
use crate::url::Target;

/// A request that passed the runtime guard and input checks.
pub(super) struct Prepared {
    pub(super) ticket: Ticket,
    pub(super) method: Method,
    pub(super) target: Target,
    pub(super) headers: HeaderMap,
    pub(super) body: Body,
    pub(super) timeout: Option<Duration>,
}

/// Sends `req` under its total timeout, if any, which then keeps running
/// while the body is read: one timer covers the head and the whole body.
pub(super) async fn send(req: Prepared) -> Result<Response, Error> {
    let inner = &req.ticket.inner;
    let total = req.timeout.or(inner.config.timeout);
    let mut timers = Timers {
        total: total.map(|d| Box::pin(inner.home.sleep(d))),
        read: inner
            .config
            .read_timeout
            .map(|d| (d, Box::pin(inner.home.sleep(d)))),
    };
    let response = match timers.total.as_mut() {
        None => exchange(req, &mut timers.read).await?,
        Some(deadline) => tokio::select! {
            biased;
            fired = deadline.as_mut() => {
                return Err(fired.err().unwrap_or(Error::Timeout(TimeoutKind::Total)));
            }
            response = exchange(req, &mut timers.read) => response?,
        },
    };
    Ok(response.with_timers(timers))
}

/// Gets a connection, sends the request, waits for the head; retries once
/// where that cannot duplicate a request.
async fn exchange(
    req: Prepared,
    read: &mut Option<(Duration, std::pin::Pin<Box<HomeSleep>>)>,
) -> Result<Response, Error> {
    let Prepared {
        ticket,
        method,
        target,
        headers,
        body,
        timeout: _,
    } = req;
    let inner = &ticket.inner;
    let Target {
        url,
        path,
        absolute,
        host,
    } = target;
    let idempotent = is_idempotent(&method);
    let mut may_retry = true;
    loop {
        let (mut conn, reused) = acquire(inner, &url, !may_retry).await?;
        // HTTP/2 takes the whole URL (its `:authority` replaces `Host`).
        let (uri, host) = if conn.is_h2() {
            (&absolute, None)
        } else {
            (&path, Some(&host))
        };
        let request = build(
            &method,
            uri,
            host,
            &inner.config.default_headers,
            &headers,
            &body,
        );
        let sent = conn.send(request);
        let result = match read.as_mut() {
            None => sent.await,
            Some((after, sleep)) => {
                sleep.as_mut().reset_after(*after);
                tokio::select! {
                    biased;
                    result = sent => result,
                    fired = sleep.as_mut() => {
                        return Err(fired.err().unwrap_or(Error::Timeout(TimeoutKind::Read)));
                    }
                }
            }
        };
        match result {
            Ok(head) => return Ok(Response::new(head, url, conn, reused, ticket)),
            Err(e) => {
                if !inner.home.is_alive() || inner.pool.is_aborted() {
                    return Err(map_send_error(inner, &url, e.into_error()));
                }
                // Not sent at all: safe to retry whatever the method.
                // Sent on a reused connection that the server had closed:
                // safe only for idempotent requests.
                let not_sent = e.message().is_some();
                let e = e.into_error();
                let stale = reused && idempotent && is_stale(&e);
                if may_retry && (not_sent || stale) {
                    tracing::debug!(error = %e, %url, "retrying on a fresh connection");
                    may_retry = false;
                    continue;
                }
                return Err(map_send_error(inner, &url, e));
            }
        }
    }
}

/// A ready connection: an idle one from the pool, a new one, or (when
/// every place in the limits is taken) the first one to free up.
async fn acquire(inner: &Inner, url: &Url, fresh: bool) -> Result<(Conn, bool), Error> {
    loop {
        let may_h2 = inner.dialer.may_h2(url);
        let grant = match inner.pool.acquire(url, !fresh, may_h2)? {
            Acquire::Idle(conn) => Grant::Conn(conn),
            Acquire::Slot(slot) => Grant::Slot(slot),
            Acquire::Wait(waiting) => waiting.wait(inner.config.pool_timeout, &inner.home).await?,
        };
        match grant {
            Grant::Conn(mut conn) => {
                // A returned connection becomes ready once hyper has
                // finished the previous exchange; one that the server closed
                // fails here, before anything was sent.
                if conn.ready().await.is_ok() {
                    return Ok((conn, true));
                }
            }
            Grant::Slot(slot) => {
                let mut conn = inner.dialer.connect(url, slot).await?;
                if let Err(e) = conn.ready().await {
                    return Err(map_send_error(inner, url, e));
                }
                return Ok((conn, false));
            }
        }
    }
}

/// The error of a request that failed on its connection.
fn map_send_error(inner: &Inner, url: &Url, e: hyper::Error) -> Error {
    if !inner.home.is_alive() {
        Error::RuntimeShutdown
    } else if inner.pool.is_aborted() {
        Error::Aborted
    } else {
        error::request(url, e)
    }
}

/// Whether `e` is what a server closing a kept-alive connection looks like.
fn is_stale(e: &hyper::Error) -> bool {
    if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            );
        }
        source = s.source();
    }
    false
}

/// RFC 9110 section 9.2.2.
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Builds one attempt's request from the parts, which stay untouched for a
/// possible retry. Header names and values are reference-counted, so this
/// costs the one header map any request needs.
fn build(
    method: &Method,
    uri: &Uri,
    host: Option<&HeaderValue>,
    defaults: &HeaderMap,
    own: &HeaderMap,
    body: &Body,
) -> Request<Body> {
    let mut headers = HeaderMap::with_capacity(defaults.len() + own.len() + 1);
    if let (Some(host), false) = (host, own.contains_key(header::HOST)) {
        headers.insert(header::HOST, host.clone());
    }
    for (name, value) in defaults {
        if !own.contains_key(name) {
            headers.append(name, value.clone());
        }
    }
    for (name, value) in own {
        headers.append(name, value.clone());
    }
    let mut request = Request::new(body.replay());
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri.clone();
    *request.headers_mut() = headers;
    request
}
