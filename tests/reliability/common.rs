//! What every scenario shares: the scale of the run, the process's open
//! file descriptors and RSS, a seeded random number generator, and the lock
//! that runs the scenarios one at a time.

use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Serialises the scenarios: each measures the whole process.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The multiplier applied to the counts: `RELIABILITY_SCALE` is
/// `full` (1), `ci` (0.1, the default) or a positive number.
pub(crate) fn scale() -> f64 {
    match std::env::var("RELIABILITY_SCALE").as_deref() {
        Ok("full") => 1.0,
        Ok("ci") | Err(_) => 0.1,
        Ok(other) => other
            .parse::<f64>()
            .ok()
            .filter(|s| *s > 0.0)
            .unwrap_or_else(|| panic!("RELIABILITY_SCALE={other:?}: use full, ci or a number")),
    }
}

/// `full` (the figure) times the scale, at least `min`.
pub(crate) fn scaled(full: u64, min: u64) -> u64 {
    ((full as f64 * scale()).round() as u64).max(min)
}

/// The seed of a scenario's random choices: `RELIABILITY_SEED` if set
/// (decimal or 0x-hex), else `default`. Printed in the figures line so that
/// a failure can be replayed.
pub(crate) fn seed(default: u64) -> u64 {
    match std::env::var("RELIABILITY_SEED") {
        Ok(s) => {
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("RELIABILITY_SEED={s:?} is not a number"))
        }
        Err(_) => default,
    }
}

/// Runs one scenario: takes the lock, then drives `body` on a fresh
/// two-worker runtime (the machine's cores), which is dropped afterwards.
pub(crate) fn scenario<F: Future<Output = ()>>(body: impl FnOnce() -> F) {
    let _serial = lock();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the scenario");
    rt.block_on(body());
}

/// The lock alone, for scenarios that manage their runtimes themselves.
pub(crate) fn lock() -> MutexGuard<'static, ()> {
    // A scenario that failed poisons it; the next one still runs.
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// File descriptors the process has open (entries of `/proc/self/fd`; the
/// directory handle used to list them counts too, the same every time).
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd (Linux)")
        .count()
}

/// Resident memory of the process, in KiB (`VmRSS` of `/proc/self/status`).
pub(crate) fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

/// A KiB difference as signed MiB, for the figures lines.
pub(crate) fn mib(after: u64, before: u64) -> f64 {
    (after as f64 - before as f64) / 1024.0
}

/// Waits (bounded by `limit`) until the process has `target` file
/// descriptors open; returns the last count, whatever it is, so that the
/// caller asserts on it and the failure shows the figure.
pub(crate) async fn fds_settle(target: usize, limit: Duration) -> usize {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let now = open_fds();
        if now == target || tokio::time::Instant::now() >= deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A tiny xorshift64* generator: deterministic for a seed, no dependency.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        // Zero is xorshift's one fixed point.
        Self(seed.max(1))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A duration in `0..max`, microsecond steps.
    pub(crate) fn micros(&mut self, max: Duration) -> Duration {
        Duration::from_micros(self.below(max.as_micros().max(1) as u64))
    }
}

/// Prints a scenario's figures line.
pub(crate) fn figures(line: impl std::fmt::Display) {
    println!("{line}");
}

/// One GET to `url` with a throwaway session, closed, before a scenario
/// takes its "before" figures: what a process sets up once (the first
/// session's lazily built parts) is then not counted as a leak.
pub(crate) async fn warm_up(url: &str) {
    let session = clientsession::Session::new().expect("inside the scenario's runtime");
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        session.get(url).send().await?.bytes().await
    })
    .await;
    session.close().await;
}
