//! Opening connections: TCP connect and the HTTP/1.1 handshake, always on
//! the home runtime, and the task that drives each connection.
//!
//! Why on the home runtime: a socket is registered with the reactor of the
//! runtime it was created in, and breaks when that runtime goes away ("reactor
//! gone"). hyper-util's client connects in whatever task polls the request,
//! so a client used from two runtimes ends up with sockets on both. We
//! connect inline when the caller is on the home runtime, and in a task
//! spawned there otherwise (one spawn per new connection, none per request).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use url::Url;

use crate::body::Body;
use crate::error::{Error, TimeoutKind};
use crate::pool::Slot;
use crate::runtime::{DropAlarm, Home};

/// One HTTP/1.1 connection, as the pool and a request hold it.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) sender: http1::SendRequest<Body>,
}

/// What a new connection needs to know.
#[derive(Debug, Clone)]
pub(crate) struct Dialer {
    pub(crate) home: Home,
    pub(crate) connect_timeout: Duration,
}

impl Dialer {
    /// Opens a new connection to the origin of `url`, on the home runtime,
    /// holding `slot` (its place in the connection limits) for its life.
    pub(crate) async fn connect(&self, url: &Url, slot: Slot) -> Result<Conn, Error> {
        let target = Target::of(url);
        let abort = slot.pool().map(|pool| pool.abort.clone());
        let open = open(self.clone(), target, slot);
        if self.home.is_current() {
            return open.await;
        }
        let joined = self.home.spawn(open);
        let joined = match abort {
            None => joined.await,
            Some(abort) => tokio::select! {
                joined = joined => joined,
                () = abort.notified() => return Err(Error::Aborted),
            },
        };
        match joined {
            Ok(result) => result,
            // The runtime dropped the task: it is shutting down.
            Err(e) if e.is_cancelled() => {
                self.home.liveness().mark_dead();
                Err(Error::RuntimeShutdown)
            }
            Err(e) => Err(Error::Connect {
                host: url.authority().to_owned(),
                source: e.into(),
            }),
        }
    }
}

/// Where to dial; owned, so that the dial can move into a spawned task.
#[derive(Debug)]
struct Target {
    host: Host,
    port: u16,
}

#[derive(Debug)]
enum Host {
    Ip(IpAddr),
    Name(String),
}

impl Target {
    fn of(url: &Url) -> Target {
        let host = match url.host() {
            Some(url::Host::Ipv4(ip)) => Host::Ip(ip.into()),
            Some(url::Host::Ipv6(ip)) => Host::Ip(ip.into()),
            Some(url::Host::Domain(name)) => Host::Name(name.to_owned()),
            // `url::resolve` rejects URLs without a host.
            None => Host::Name(String::new()),
        };
        Target {
            host,
            port: url.port_or_known_default().unwrap_or(80),
        }
    }

    fn display(&self) -> String {
        match &self.host {
            Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]:{}", self.port),
            Host::Ip(ip) => format!("{ip}:{}", self.port),
            Host::Name(name) => format!("{name}:{}", self.port),
        }
    }

    async fn tcp(&self) -> std::io::Result<TcpStream> {
        match &self.host {
            Host::Ip(ip) => TcpStream::connect((*ip, self.port)).await,
            Host::Name(name) => TcpStream::connect((name.as_str(), self.port)).await,
        }
    }
}

/// Connects, hands the socket to hyper, and spawns the connection task.
/// Runs on the home runtime.
async fn open(dialer: Dialer, target: Target, mut slot: Slot) -> Result<Conn, Error> {
    let connect_error = |source: Box<dyn std::error::Error + Send + Sync>| Error::Connect {
        host: target.display(),
        source,
    };
    let connecting = tokio::time::timeout(dialer.connect_timeout, target.tcp());
    let connected = match slot.pool().cloned() {
        None => connecting.await,
        Some(pool) => {
            let aborted = pool.abort.clone().notified_owned();
            if pool.is_aborted() {
                return Err(Error::Aborted);
            }
            tokio::select! {
                connected = connecting => connected,
                () = aborted => return Err(Error::Aborted),
            }
        }
    };
    let stream = match connected {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(connect_error(e.into())),
        Err(_) => return Err(Error::Timeout(TimeoutKind::Connect)),
    };
    // Requests are small writes followed by a wait for the answer: Nagle's
    // algorithm would only add latency.
    let _ = stream.set_nodelay(true);
    let (sender, conn) = http1::Builder::new()
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| connect_error(e.into()))?;
    slot.mark_open();
    let peer = target.display();
    tracing::debug!(%peer, "connection opened");
    let conn = async move {
        let Some(pool) = slot.pool().cloned() else {
            return conn.await;
        };
        // Created before the check, so an abort in between is not missed.
        let aborted = pool.abort.clone().notified_owned();
        if pool.is_aborted() {
            return Ok(());
        }
        let result = tokio::select! {
            result = conn => result,
            () = aborted => Ok(()),
        };
        tracing::debug!(%peer, "connection closed");
        drop(slot);
        result
    };
    dialer.home.spawn(ConnTask {
        alarm: DropAlarm::arm(&dialer.home),
        conn,
    });
    Ok(Conn { sender })
}

pin_project_lite::pin_project! {
    /// Drives one connection on the home runtime until it closes, or the
    /// session is closed with a deadline that passed (`Pool::abort`).
    ///
    /// Field order matters: fields drop in declaration order, so when the
    /// runtime drops this task at shutdown, `alarm` marks the home dead
    /// before `conn` drops hyper's channels and wakes the callers, who then
    /// see `RuntimeShutdown` rather than "dispatch task is gone". The socket
    /// is closed with `conn`, and only then is its slot (inside `conn`) freed.
    struct ConnTask<F> {
        alarm: DropAlarm,
        #[pin]
        conn: F,
    }
}

impl<F> Future for ConnTask<F>
where
    F: Future<Output = hyper::Result<()>>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let result = std::task::ready!(this.conn.poll(cx));
        this.alarm.disarm();
        if let Err(e) = result {
            tracing::debug!(error = %e, "connection ended with an error");
        }
        Poll::Ready(())
    }
}
