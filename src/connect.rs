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
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use url::Url;

use crate::body::Body;
use crate::counter::Counter;
use crate::error::{Error, TimeoutKind};
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
    /// Open sockets of the session; `close()` waits for it to reach zero.
    pub(crate) sockets: Arc<Counter>,
    pub(crate) connect_timeout: Duration,
}

impl Dialer {
    /// Opens a new connection to the origin of `url`, on the home runtime.
    pub(crate) async fn connect(&self, url: &Url) -> Result<Conn, Error> {
        let target = Target::of(url);
        let open = open(self.clone(), target);
        if self.home.is_current() {
            return open.await;
        }
        match self.home.spawn(open).await {
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
async fn open(dialer: Dialer, target: Target) -> Result<Conn, Error> {
    let connect_error = |source: Box<dyn std::error::Error + Send + Sync>| Error::Connect {
        host: target.display(),
        source,
    };
    let stream = match tokio::time::timeout(dialer.connect_timeout, target.tcp()).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(connect_error(e.into())),
        Err(_) => return Err(Error::Timeout(TimeoutKind::Connect)),
    };
    // Requests are small writes followed by a wait for the answer: Nagle's
    // algorithm would only add latency.
    let _ = stream.set_nodelay(true);
    dialer.sockets.inc();
    let socket = SocketGuard(dialer.sockets.clone());
    let (sender, conn) = http1::Builder::new()
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| connect_error(e.into()))?;
    tracing::debug!(peer = %target.display(), "connection opened");
    dialer.home.spawn(ConnTask {
        alarm: DropAlarm::arm(&dialer.home),
        conn,
        _socket: socket,
    });
    Ok(Conn { sender })
}

/// Counts a socket as open until dropped.
#[derive(Debug)]
struct SocketGuard(Arc<Counter>);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        tracing::trace!("connection closed");
        self.0.dec();
    }
}

pin_project_lite::pin_project! {
    /// Drives one connection on the home runtime.
    ///
    /// Field order matters: fields drop in declaration order, so when the
    /// runtime drops this task at shutdown, `alarm` marks the home dead
    /// before `conn` drops hyper's channels and wakes the callers, who then
    /// see `RuntimeShutdown` rather than "dispatch task is gone". The socket
    /// is closed with `conn`, and only then counted as closed.
    struct ConnTask<F> {
        alarm: DropAlarm,
        #[pin]
        conn: F,
        _socket: SocketGuard,
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
