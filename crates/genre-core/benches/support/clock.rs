//! The clock the benches measure with: wall time (criterion's own) by
//! default, or the process's CPU time with `BENCH_CLOCK=cpu`.
//!
//! Every benchmark here runs on one thread, so on an idle machine both clocks
//! agree. On a shared machine wall time also counts the moments another
//! process held the core; CPU time does not, which makes "× real time per
//! core" reproducible while other work is running. Shared by
//! `crates/genre-core/benches/` and the plugin's `benches/`.

use criterion::Criterion;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// Wall or process CPU time, chosen once from `BENCH_CLOCK` (`wall`, `cpu`).
pub struct BenchClock {
    /// Whether to read the process CPU clock instead of the monotonic clock.
    cpu: bool,
}

impl BenchClock {
    /// Reads `BENCH_CLOCK`; anything but `cpu` means wall time. Says which,
    /// once per process.
    pub fn from_env() -> Self {
        static ANNOUNCE: std::sync::Once = std::sync::Once::new();
        let cpu = std::env::var("BENCH_CLOCK").is_ok_and(|v| v == "cpu");
        ANNOUNCE.call_once(|| {
            eprintln!(
                "benchmark clock: {} (set BENCH_CLOCK=cpu or wall)",
                if cpu { "process CPU time" } else { "wall time" }
            );
        });
        Self { cpu }
    }

    fn now_ns(&self) -> u64 {
        let clock = if self.cpu {
            libc::CLOCK_PROCESS_CPUTIME_ID
        } else {
            libc::CLOCK_MONOTONIC
        };
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; both clocks exist on Linux.
        let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime failed");
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
}

impl Measurement for BenchClock {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        self.now_ns()
    }

    fn end(&self, start_ns: u64) -> u64 {
        self.now_ns().saturating_sub(start_ns)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value_ns: &u64) -> f64 {
        *value_ns as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        // Values are nanoseconds, as WallTime's; its formatter prints them.
        static WALL_TIME: WallTime = WallTime;
        WALL_TIME.formatter()
    }
}

/// A criterion configured with [`BenchClock::from_env`].
pub fn criterion() -> Criterion<BenchClock> {
    Criterion::default().with_measurement(BenchClock::from_env())
}
