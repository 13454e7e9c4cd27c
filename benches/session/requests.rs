//! Request benches: `get_small`, `concurrent_16`, `concurrent_64`,
//! `post_64k` and `download_1m`, each run for every [`Impl`].
//!
//! Every timed loop runs inside one task on the client runtime's single
//! worker, so the client side uses one core and the server the other; the
//! bench thread only waits for that task. Each request's status and body
//! are checked inside the loop.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use criterion::{Bencher, Criterion, Throughput};
use hyper::StatusCode;
use tokio::runtime::Runtime;

use crate::peers::{Impl, Peer};
use crate::server::{ONE_MIB, SMALL, Server};

/// Size of the `post_64k` request body.
const UPLOAD: usize = 64 * 1024;

/// What a timed loop needs: the client and the URLs, built once per bench.
pub(crate) struct Ctx {
    /// The client under test.
    peer: Peer,
    /// `GET /small`.
    small: String,
    /// `POST /upload`.
    upload: String,
    /// `GET /1m`.
    big: String,
    /// The 64 KiB upload body (cloning `Bytes` is a refcount bump).
    payload: Bytes,
}

impl Ctx {
    /// A context for `which`, built on `rt`.
    pub(crate) fn new(rt: &Runtime, which: Impl, server: &Server) -> Arc<Ctx> {
        Ctx::with_peer(rt.block_on(Peer::new(which, server.addr())), server)
    }

    /// A context around an already built client.
    fn with_peer(peer: Peer, server: &Server) -> Arc<Ctx> {
        Arc::new(Ctx {
            peer,
            small: server.url("/small"),
            upload: server.url("/upload"),
            big: server.url("/1m"),
            payload: Bytes::from(vec![b'u'; UPLOAD]),
        })
    }

    /// One `GET /small` on `lane`, checked.
    pub(crate) async fn get_small(&self, lane: usize) {
        let (status, body) = self.peer.get(lane, &self.small).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.len(), SMALL.len());
    }

    /// Closes the client once the bench is over.
    fn close(self: Arc<Ctx>, rt: &Runtime) {
        if let Ok(ctx) = Arc::try_unwrap(self) {
            rt.block_on(ctx.peer.close());
        }
    }
}

/// Times `iters` sequential runs of `op` inside one task on the runtime's
/// worker, so the measured loop never crosses threads on the client side.
pub(crate) fn on_worker<S, F, Fut>(b: &mut Bencher<'_>, rt: &Runtime, state: &S, op: F)
where
    S: Clone + Send + 'static,
    F: Fn(S) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    b.to_async(rt).iter_custom(|iters| {
        let state = state.clone();
        let op = op.clone();
        async move {
            let task = tokio::spawn(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    op(state.clone()).await;
                }
                start.elapsed()
            });
            task.await.expect("bench task panicked")
        }
    });
}

/// Adds every request group to `c`.
pub(crate) fn benches(c: &mut Criterion, rt: &Runtime, server: &Server) {
    get_small(c, rt, server);
    concurrent(c, rt, server, 16);
    concurrent(c, rt, server, 64);
    limits(c, rt, server);
    post_64k(c, rt, server);
    download_1m(c, rt, server);
}

/// `get_small/{impl}`: one sequential `GET` of 13 bytes on a warm pooled
/// connection: the per-request overhead of the client.
fn get_small(c: &mut Criterion, rt: &Runtime, server: &Server) {
    let mut group = c.benchmark_group("get_small");
    group.throughput(Throughput::Elements(1));
    for which in Impl::ALL {
        let ctx = Ctx::new(rt, which, server);
        group.bench_function(which.name(), |b| {
            on_worker(b, rt, &ctx, |ctx: Arc<Ctx>| async move {
                ctx.get_small(0).await;
            });
        });
        ctx.close(rt);
    }
    group.finish();
}

/// `concurrent_{n}/{impl}`: `n` tasks sharing one client each do one
/// `GET /small`, timed until all `n` are done. Every pool keeps up to 64
/// idle connections, so once warm no round opens a new one; `raw_conn` has
/// 64 connections opened up front.
fn concurrent(c: &mut Criterion, rt: &Runtime, server: &Server, n: usize) {
    let mut group = c.benchmark_group(format!("concurrent_{n}"));
    group.throughput(Throughput::Elements(n as u64));
    for which in Impl::ALL {
        let ctx = Ctx::new(rt, which, server);
        group.bench_function(which.name(), |b| {
            on_worker(b, rt, &ctx, move |ctx: Arc<Ctx>| fan_out(ctx, n));
        });
        ctx.close(rt);
    }
    group.finish();
}

/// One round of the concurrent benches: `n` tasks sharing `ctx`'s client
/// each do one checked `GET /small`; done when all are.
async fn fan_out(ctx: Arc<Ctx>, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|lane| {
            let ctx = ctx.clone();
            tokio::spawn(async move { ctx.get_small(lane).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("request task panicked");
    }
}

/// `limits/{case}/clientsession`: the `concurrent_64` load through
/// clientsession with no connection limit, with a limit it never reaches
/// (64), and with one it does (8, so 56 requests wait in line each round):
/// what the limits cost.
fn limits(c: &mut Criterion, rt: &Runtime, server: &Server) {
    const N: usize = 64;
    let mut group = c.benchmark_group("limits");
    group.throughput(Throughput::Elements(N as u64));
    for (case, max) in [("unlimited", usize::MAX), ("max_64", 64), ("max_8", 8)] {
        let session = rt
            .block_on(
                clientsession::Session::builder()
                    .pool_idle_timeout(crate::peers::POOL_IDLE_TIMEOUT)
                    .pool_max_idle_per_host(N)
                    .max_connections(max)
                    .build(),
            )
            .expect("build clientsession");
        let ctx = Ctx::with_peer(Peer::ClientSession(session), server);
        group.bench_function(format!("{case}/clientsession"), |b| {
            on_worker(b, rt, &ctx, move |ctx: Arc<Ctx>| fan_out(ctx, N));
        });
        ctx.close(rt);
    }
    group.finish();
}

/// `post_64k/{impl}`: one `POST` of a 64 KiB body; the server answers the
/// length it read, which is checked.
fn post_64k(c: &mut Criterion, rt: &Runtime, server: &Server) {
    let mut group = c.benchmark_group("post_64k");
    group.throughput(Throughput::Bytes(UPLOAD as u64));
    for which in Impl::ALL {
        let ctx = Ctx::new(rt, which, server);
        group.bench_function(which.name(), |b| {
            on_worker(b, rt, &ctx, |ctx: Arc<Ctx>| async move {
                let (status, body) = ctx.peer.post(0, &ctx.upload, ctx.payload.clone()).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(body, UPLOAD.to_string().as_bytes());
            });
        });
        ctx.close(rt);
    }
    group.finish();
}

/// `download_1m/{impl}`: one `GET` of a 1 MiB body, read whole.
fn download_1m(c: &mut Criterion, rt: &Runtime, server: &Server) {
    let mut group = c.benchmark_group("download_1m");
    group.throughput(Throughput::Bytes(ONE_MIB as u64));
    for which in Impl::ALL {
        let ctx = Ctx::new(rt, which, server);
        group.bench_function(which.name(), |b| {
            on_worker(b, rt, &ctx, |ctx: Arc<Ctx>| async move {
                let (status, body) = ctx.peer.get(0, &ctx.big).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(body.len(), ONE_MIB);
            });
        });
        ctx.close(rt);
    }
    group.finish();
}
