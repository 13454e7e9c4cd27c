//! Deadlines from user durations, without overflow.
//!
//! Every timeout a user sets is a `Duration`, and `Duration::MAX` is a
//! reasonable way to say "never". `Instant + Duration` panics on overflow,
//! and an `Instant` overflows far below `Duration::MAX` (tokio notes that
//! 1000 years already overflows on macOS, 100 years on FreeBSD). So every
//! deadline the crate computes from a user duration goes through [`add`],
//! which clamps the duration as tokio clamps its own far-future deadlines:
//! to about 30 years, which is "never" for a process and still fits every
//! platform's `Instant`. Issue #9: `read_timeout(Duration::MAX)` and
//! `pool_idle_timeout(Duration::MAX)` used to panic here.

use std::time::Duration;

use tokio::time::Instant;

/// The longest a deadline may lie ahead: 30 years, tokio's own "far future"
/// (`tokio::time::sleep` clamps to the same).
pub(crate) const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The instant `d` after `from`, with `d` clamped to [`FAR_FUTURE`].
pub(crate) fn add(from: Instant, d: Duration) -> Instant {
    // 30 years after any instant a running process can observe fits every
    // platform std supports, so the fallback is unreachable in practice; it
    // is there so that this function cannot panic.
    from.checked_add(d.min(FAR_FUTURE)).unwrap_or(from)
}

/// The instant `d` from now, clamped as by [`add`].
pub(crate) fn after(d: Duration) -> Instant {
    add(Instant::now(), d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_is_clamped_to_the_far_future() {
        let now = Instant::now();
        assert_eq!(add(now, Duration::MAX), now + FAR_FUTURE);
        assert_eq!(add(now, FAR_FUTURE * 2), now + FAR_FUTURE);
    }

    #[test]
    fn short_durations_are_kept() {
        let now = Instant::now();
        assert_eq!(add(now, Duration::ZERO), now);
        let d = Duration::from_millis(1500);
        assert_eq!(add(now, d), now + d);
        assert_eq!(add(now, FAR_FUTURE), now + FAR_FUTURE);
    }

    #[test]
    fn after_is_from_now() {
        let before = Instant::now();
        let at = after(Duration::from_secs(1));
        assert!(at >= before + Duration::from_secs(1));
        assert!(after(Duration::MAX) > at);
    }
}
