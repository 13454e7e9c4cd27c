//! Opening connections: TCP connect and the HTTP/1.1 handshake, always on
//! the home runtime, and the task that drives each connection.
//!
//! Why on the home runtime: a socket is registered with the reactor of the
//! runtime it was created in, and breaks when that runtime goes away ("reactor
//! gone"). hyper-util's client connects in whatever task polls the request,
//! so a client used from two runtimes ends up with sockets on both. We
//! connect inline when the caller is on the home runtime, and in a task
//! spawned there otherwise (one spawn per new connection, none per request).

mod conn;
mod early;
mod kill;
mod task;

use std::net::IpAddr;
use std::time::Duration;

use hyper::client::conn::{http1, http2};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use url::Url;

use crate::config::Versions;
use crate::error::{Error, TimeoutKind};
use crate::pool::Slot;
use crate::runtime::{Home, clock};
pub(crate) use conn::{Conn, H2Shared, SendError};

/// What a new connection needs to know.
#[derive(Debug, Clone)]
pub(crate) struct Dialer {
    pub(crate) home: Home,
    pub(crate) connect_timeout: Duration,
    pub(crate) versions: Versions,
    /// The TLS client configuration (shared per process for the default
    /// settings).
    #[cfg(feature = "rustls")]
    pub(crate) tls: crate::tls::TlsConnector,
}

impl Dialer {
    /// Whether a connection to `url` may turn out to be HTTP/2.
    pub(crate) fn may_h2(&self, url: &Url) -> bool {
        match self.versions {
            Versions::Http2PriorKnowledge => true,
            Versions::Negotiate => url.scheme() == "https",
            Versions::Http1Only => false,
        }
    }

    /// Opens a new connection to the origin of `url`, on the home runtime,
    /// holding `slot` (its place in the connection limits) for its life.
    pub(crate) async fn connect(&self, url: &Url, slot: Slot) -> Result<Conn, Error> {
        let target = Target::of(url);
        let abort = slot.pool().map(|pool| pool.abort.clone());
        let open = open(self.clone(), target, slot);
        if self.home.is_current() {
            return open.await;
        }
        // A caller that gives up (timeout, dropped future) takes the
        // connect with it, and so frees its place in the limits at once.
        let mut joined = AbortOnDrop(self.home.spawn(open));
        let joined = match abort {
            None => (&mut joined.0).await,
            Some(abort) => tokio::select! {
                joined = &mut joined.0 => joined,
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

/// Aborts a spawned connect when its caller is dropped; a connect that
/// already finished is not affected (its connection, if nobody took it, is
/// dropped, which closes it).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Where to dial; owned, so that the dial can move into a spawned task.
#[derive(Debug)]
struct Target {
    host: Host,
    port: u16,
    https: bool,
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
            https: url.scheme() == "https",
        }
    }

    /// The name the server's certificate must be valid for: the host name,
    /// or the IP address without brackets.
    #[cfg(feature = "rustls")]
    fn tls_name(&self) -> String {
        match &self.host {
            Host::Ip(ip) => ip.to_string(),
            Host::Name(name) => name.clone(),
        }
    }

    fn connect_error(&self, source: Box<dyn std::error::Error + Send + Sync>) -> Error {
        Error::Connect {
            host: self.display(),
            source,
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

/// Connects (TCP, then TLS for https), hands the connection to hyper, and
/// spawns the connection task. Runs on the home runtime. The connect
/// timeout covers TCP and the TLS handshake.
///
/// A zero connect timeout fails at once, before dialing: with a timer of
/// zero the outcome would depend on whether the dial beats the runtime's
/// next timer tick. A long one is clamped (`clock::after`), so
/// `Duration::MAX` means "never".
async fn open(dialer: Dialer, target: Target, slot: Slot) -> Result<Conn, Error> {
    if dialer.connect_timeout.is_zero() {
        return Err(Error::Timeout(TimeoutKind::Connect));
    }
    let deadline = clock::after(dialer.connect_timeout);
    let connecting = tokio::time::timeout_at(deadline, dial(&dialer, &target));
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
    let prior_knowledge = dialer.versions == Versions::Http2PriorKnowledge;
    match connected {
        Err(_) => Err(Error::Timeout(TimeoutKind::Connect)),
        Ok(Err(e)) => Err(e),
        Ok(Ok(Dialed::Plain(tcp))) => handshake(&dialer, &target, slot, tcp, prior_knowledge).await,
        #[cfg(feature = "rustls")]
        Ok(Ok(Dialed::Tls(tls, h2))) => handshake(&dialer, &target, slot, tls, h2).await,
    }
}

/// A connected socket, before HTTP.
enum Dialed {
    Plain(TcpStream),
    /// With whether ALPN chose HTTP/2.
    #[cfg(feature = "rustls")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>, bool),
}

async fn dial(dialer: &Dialer, target: &Target) -> Result<Dialed, Error> {
    let tcp = target
        .tcp()
        .await
        .map_err(|e| target.connect_error(e.into()))?;
    // Requests are small writes followed by a wait for the answer: Nagle's
    // algorithm would only add latency.
    let _ = tcp.set_nodelay(true);
    if !target.https {
        return Ok(Dialed::Plain(tcp));
    }
    #[cfg(feature = "rustls")]
    {
        let (tls, h2) = dialer.tls.handshake(tcp, &target.tls_name()).await?;
        let h2 = h2 || dialer.versions == Versions::Http2PriorKnowledge;
        Ok(Dialed::Tls(Box::new(tls), h2))
    }
    #[cfg(not(feature = "rustls"))]
    {
        let _ = dialer;
        Err(crate::error::invalid_url(
            "https://",
            "https needs the `rustls` feature",
        ))
    }
}

/// Speaks HTTP/1.1 or HTTP/2 over `io` and spawns the connection task.
async fn handshake<I>(
    dialer: &Dialer,
    target: &Target,
    mut slot: Slot,
    io: I,
    h2: bool,
) -> Result<Conn, Error>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let peer = target.display();
    let conn = if h2 {
        let io = TokioIo::new(io);
        let (sender, conn) = http2::Builder::new(dialer.home.executor())
            .handshake(io)
            .await
            .map_err(|e| target.connect_error(e.into()))?;
        slot.mark_open();
        tracing::debug!(%peer, version = "HTTP/2", "connection opened");
        let handle = Conn::h2(sender, &Default::default(), &Default::default());
        // A shared HTTP/2 connection ends when its last handle is dropped
        // (hyper closes it gracefully); a dropped stream only resets itself.
        let kill = None;
        if let (true, Some(pool)) = (slot.is_opener(), slot.pool()) {
            pool.connected(slot.key(), &handle);
        }
        task::spawn(&dialer.home, slot, peer, conn, kill);
        handle
    } else {
        // See `early.rs`: an answer that arrives before a reset is read.
        let io = TokioIo::new(early::EarlyResponse::new(io));
        let (sender, conn) = http1::Builder::new()
            .handshake(io)
            .await
            .map_err(|e| target.connect_error(e.into()))?;
        slot.mark_open();
        tracing::debug!(%peer, version = "HTTP/1.1", "connection opened");
        let (on_drop, kill) = kill::pair();
        let handle = Conn::h1(sender, on_drop);
        let kill = Some(kill);
        if let (true, Some(pool)) = (slot.is_opener(), slot.pool()) {
            pool.connected(slot.key(), &handle);
        }
        task::spawn(&dialer.home, slot, peer, conn, kill);
        handle
    };
    Ok(conn)
}
