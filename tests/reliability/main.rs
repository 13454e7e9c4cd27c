//! The reliability suite of issue #13: long runs and hostile peers, each
//! bounded in count and time, each printing one line of figures.
//!
//! Every scenario talks only to servers on 127.0.0.1 and stops by itself.
//! The counts scale with `RELIABILITY_SCALE` (`ci`, the default, is a tenth
//! of the issue's figures; `full` is the issue's figures; or a number such
//! as `0.5`); see `RELIABILITY.md` for the figures of a full run:
//!
//! ```sh
//! cargo test --all-features --test reliability -- --nocapture
//! RELIABILITY_SCALE=full cargo test --release --all-features --test reliability -- --nocapture
//! ```
//!
//! The scenarios measure the whole process (open file descriptors, RSS),
//! so they take a lock and run one at a time, whatever `--test-threads`
//! says.

// The integration tests' servers and helpers, shared rather than copied.
#[path = "../integration/support/mod.rs"]
mod support;

mod common;
mod peer;

mod cancellation;
mod close_load;
mod fuzz;
mod keep_alive;
mod malformed;
mod runtime_drop;
mod soak;
mod uploads;
