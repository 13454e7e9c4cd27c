//! The send pipeline: admitted request → connection → response head.

use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Uri};
use url::Url;

use crate::body::Body;
use crate::connect::{Conn, SendError};
use crate::error::{self, Error, TimeoutKind};
use crate::pool::{Acquire, Grant};
use crate::request::retry::{self, Budget, Failure, NotReplayable};
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
    pub(super) redirect: Option<crate::redirect::Policy>,
}

/// Sends `req` under its total timeout, if any, which then keeps running
/// while the body is read: one timer covers the head and the whole body.
pub(super) async fn send(req: Prepared) -> Result<Response, Error> {
    let inner = &req.ticket.inner;
    let total = req.timeout.or(inner.config.timeout);
    // A zero timeout means "at once": the request fails before it connects
    // or sends anything, whatever the timing (a timer of zero would only
    // fire at the runtime's next timer tick). Issue #9.
    if total.is_some_and(|d| d.is_zero()) {
        return Err(Error::Timeout(TimeoutKind::Total));
    }
    if inner.config.read_timeout.is_some_and(|d| d.is_zero()) {
        return Err(Error::Timeout(TimeoutKind::Read));
    }
    let mut timers = Timers {
        total: total.map(|d| Box::pin(inner.home.sleep(d))),
        read: inner
            .config
            .read_timeout
            .map(|d| (d, Box::pin(inner.home.sleep(d)))),
    };
    let response = match timers.total.as_mut() {
        None => follow(req, &mut timers.read).await?,
        Some(deadline) => tokio::select! {
            biased;
            fired = deadline.as_mut() => {
                return Err(fired.err().unwrap_or(Error::Timeout(TimeoutKind::Total)));
            }
            response = follow(req, &mut timers.read) => response?,
        },
    };
    Ok(response.with_timers(timers))
}

type ReadTimer = Option<(Duration, std::pin::Pin<Box<HomeSleep>>)>;

/// One hop's request, changed from hop to hop by redirects.
struct Hop {
    method: Method,
    target: Target,
    /// The request's own headers (session defaults are added by `build`).
    headers: HeaderMap,
    /// `None` once a body that can be sent only once was sent.
    body: Option<Body>,
    /// Set once the chain has left the first request's origin: credential
    /// headers are no longer sent, not even on the way back.
    strip_credentials: bool,
}

/// The body for the next attempt: a copy while the body can be sent again,
/// the body itself (once) when it cannot.
fn next_body(source: &mut Option<Body>) -> Option<Body> {
    match source.as_ref().map(Body::try_clone) {
        Some(Some(copy)) => Some(copy),
        Some(None) => source.take(),
        None => None,
    }
}

/// Sends the request and follows redirects as the policy allows; stores
/// and sends cookies on every hop.
async fn follow(req: Prepared, read: &mut ReadTimer) -> Result<Response, Error> {
    let Prepared {
        ticket,
        method,
        target,
        headers,
        body,
        timeout: _,
        redirect,
    } = req;
    let inner = &*ticket.inner;
    let policy = redirect.unwrap_or(inner.config.redirect);
    let raise_for_status = inner.config.raise_for_status;
    // The URLs requested so far; filled only once a redirect happens, so a
    // request without one copies nothing.
    let mut visited = Vec::new();
    let mut hop = Hop {
        method,
        target,
        headers,
        body: Some(body),
        strip_credentials: false,
    };
    let (head, conn, reused) = loop {
        let (head, conn, reused) = exchange(inner, &mut hop, read).await?;
        if head.status() == http::StatusCode::SWITCHING_PROTOCOLS {
            // This client never asks to switch protocols (RFC 9110 section
            // 15.2.2: a server must not send 101 unasked), and what follows
            // on the connection is no longer HTTP/1.1: drop it.
            let reason = "the server switched protocols (101) though the request did not ask to";
            return Err(error::request(&hop.target.url, reason));
        }
        #[cfg(feature = "cookies")]
        if let Some(jar) = &inner.cookies {
            jar.store(&hop.target.url, head.headers());
        }
        let Some(next) = next_hop(&mut hop, &head, &mut visited, policy)? else {
            break (head, conn, reused);
        };
        tracing::debug!(from = %hop.target.url, to = %next.url, status = %head.status(), "following redirect");
        recycle(inner, &hop.target.url, head, conn).await;
        hop.target = next;
    };
    // Each hop followed pushed the URL it left.
    let response = Response::new(head, hop.target.url, conn, reused, ticket)
        .with_redirects(visited.len())
        .decompress(&hop.headers);
    if raise_for_status {
        return response.error_for_status();
    }
    Ok(response)
}

/// Reads the small body of a redirect response, so that its connection
/// can serve the next hop; a body without a known small length is not
/// worth waiting for, and dropping it closes the HTTP/1.1 connection.
async fn recycle(
    inner: &Inner,
    url: &Url,
    head: http::Response<hyper::body::Incoming>,
    conn: Conn,
) {
    use http_body::Body as _;
    use http_body_util::BodyExt as _;
    const SMALL: u64 = 64 * 1024;
    let mut body = head.into_body();
    if body.size_hint().upper().is_none_or(|len| len > SMALL) {
        return;
    }
    while !body.is_end_stream() {
        match body.frame().await {
            Some(Ok(_)) => {}
            Some(Err(_)) => return,
            None => break,
        }
    }
    inner.pool.checkin(url, conn);
}

/// Where a redirect response leads, or `None` to return it as it is.
fn next_hop(
    hop: &mut Hop,
    head: &http::Response<hyper::body::Incoming>,
    visited: &mut Vec<Url>,
    policy: crate::redirect::Policy,
) -> Result<Option<Target>, Error> {
    use crate::redirect::{self, Rewrite};
    let Some(rewrite) = redirect::rewrite(head.status(), &hop.method) else {
        return Ok(None);
    };
    let Some(location) = head.headers().get(header::LOCATION) else {
        return Ok(None);
    };
    if policy.max() == 0 {
        return Ok(None);
    }
    let from = &hop.target.url;
    let followed = visited.len();
    let fail = |reason: String| error::redirect(from, reason);
    if followed >= policy.max() {
        return Err(fail(format!(
            "more than {} redirects: raise the limit with `redirect(Policy::limited(n))`",
            policy.max()
        )));
    }
    let location = location
        .to_str()
        .map_err(|_| fail("the Location header is not valid text".to_owned()))?;
    let next = from
        .join(location)
        .map_err(|e| fail(format!("the Location {location:?} is not a valid URL: {e}")))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(fail(format!(
            "the Location {next} is not an http:// or https:// URL"
        )));
    }
    if next == *from || visited.contains(&next) {
        return Err(fail(format!("redirect loop: {next} was already requested")));
    }
    let next = crate::url::Target::from_url(next)?;
    match rewrite {
        Rewrite::ToGet => {
            hop.method = Method::GET;
            hop.body = Some(Body::empty());
            for name in [
                header::CONTENT_TYPE,
                header::CONTENT_LENGTH,
                header::TRANSFER_ENCODING,
            ] {
                hop.headers.remove(name);
            }
        }
        Rewrite::Keep if hop.body.is_none() => {
            return Err(fail(format!(
                "a {} redirect must send the body again, and a streamed body can be sent only once: \
                 use a body held in memory, or follow the redirect yourself",
                head.status()
            )));
        }
        Rewrite::Keep => {}
    }
    visited.push(from.clone());
    if !crate::redirect::same_origin(&visited[0], &next.url) {
        hop.strip_credentials = true;
    }
    if hop.strip_credentials {
        for name in crate::redirect::SENSITIVE {
            // `remove` drops every value of the name.
            hop.headers.remove(name);
        }
    }
    Ok(Some(next))
}

/// Gets a connection, sends one hop's request, waits for the head; sends
/// it again where that cannot make the server act twice (`retry.rs`).
async fn exchange(
    inner: &Inner,
    hop: &mut Hop,
    read: &mut ReadTimer,
) -> Result<(http::Response<hyper::body::Incoming>, Conn, bool), Error> {
    let Hop {
        method,
        target,
        headers,
        body: source,
        strip_credentials,
    } = hop;
    let url = &target.url;
    let idempotent = retry::is_idempotent(method);
    let mut budget = Budget::new();
    loop {
        let Some(body) = next_body(source) else {
            let reason = "the streamed request body was already sent".to_owned();
            return Err(error::redirect(url, reason));
        };
        let (mut conn, reused) = acquire(inner, url, budget.is_retry()).await?;
        // HTTP/2 takes the whole URL (its `:authority` replaces `Host`).
        let (uri, host) = if conn.is_h2() {
            (&target.absolute, None)
        } else {
            (&target.path, Some(&target.host))
        };
        #[cfg(feature = "cookies")]
        let cookie = inner.cookies.as_ref().and_then(|jar| jar.header_for(url));
        #[cfg(not(feature = "cookies"))]
        let cookie = None;
        let request = build(Parts {
            method,
            uri,
            host,
            defaults: &inner.config.default_headers,
            own: headers,
            cookie,
            strip_credentials: *strip_credentials,
            body,
        });
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
        let mut e = match result {
            Ok(head) => return Ok((head, conn, reused)),
            Err(SendError::Hyper(e)) => e,
            Err(SendError::Lost) => {
                if let Some(cause) = inner.interrupted() {
                    return Err(cause);
                }
                // Dropping the connection frees the lost request (and a
                // streamed body inside it, which cannot go again).
                drop(conn);
                if source.is_some() && budget.take(Failure::Unsent) {
                    tracing::debug!(%url, "request lost to a closing connection; sending it again");
                    continue;
                }
                let reason = "the connection closed as the request was handed to it; \
                              the server never saw it";
                return Err(error::request(url, reason));
            }
        };
        if let Some(cause) = inner.interrupted() {
            return Err(cause);
        }
        // hyper hands back a request it never sent, so even a streamed
        // body (never polled) can go again.
        let unsent = match e.take_message() {
            Some(unsent) => {
                source.get_or_insert_with(|| unsent.into_body());
                true
            }
            None => false,
        };
        let e = e.into_error();
        let failure = Failure::of(&e, unsent, reused, idempotent, conn.is_h2());
        if conn.is_h2() && failure.is_going_away() {
            // This connection takes no new stream: the next request opens
            // (or waits for) another instead of being handed this one.
            inner.pool.going_away(url, &conn);
        }
        drop(conn);
        if source.is_none() {
            // The failed attempt read a streamed body: it is gone.
            return Err(match failure {
                Failure::Unprocessed => error::request(url, NotReplayable { source: e }),
                _ => map_send_error(inner, url, e),
            });
        }
        if !budget.take(failure) {
            return Err(map_send_error(inner, url, e));
        }
        tracing::debug!(error = %e, %url, ?failure, "sending the request again on another connection");
    }
}

/// A ready connection: an idle one from the pool, a new one, or (when
/// every place in the limits is taken) the first one to free up.
async fn acquire(inner: &Inner, url: &Url, fresh: bool) -> Result<(Conn, bool), Error> {
    let may_h2 = inner.dialer.may_h2(url);
    loop {
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
    inner
        .interrupted()
        .unwrap_or_else(|| error::request(url, e))
}

/// One attempt's request, built from parts that stay untouched for a
/// retry or the next hop.
struct Parts<'a> {
    method: &'a Method,
    uri: &'a Uri,
    host: Option<&'a HeaderValue>,
    defaults: &'a HeaderMap,
    own: &'a HeaderMap,
    /// From the cookie jar; a `Cookie` header set on the request wins.
    cookie: Option<HeaderValue>,
    strip_credentials: bool,
    body: Body,
}

/// Builds one attempt's request. Header names and values are
/// reference-counted, so this costs the one header map any request needs.
fn build(parts: Parts<'_>) -> Request<Body> {
    let Parts {
        method,
        uri,
        host,
        defaults,
        own,
        cookie,
        strip_credentials,
        body,
    } = parts;
    let mut headers = HeaderMap::with_capacity(defaults.len() + own.len() + 2);
    if let (Some(host), false) = (host, own.contains_key(header::HOST)) {
        headers.insert(header::HOST, host.clone());
    }
    for (name, value) in defaults {
        let credential = strip_credentials && crate::redirect::SENSITIVE.contains(name);
        if !own.contains_key(name) && !credential {
            headers.append(name, value.clone());
        }
    }
    for (name, value) in own {
        headers.append(name, value.clone());
    }
    if let (Some(cookie), false) = (cookie, headers.contains_key(header::COOKIE)) {
        headers.insert(header::COOKIE, cookie);
    }
    let mut request = Request::new(body);
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri.clone();
    *request.headers_mut() = headers;
    request
}
