//! The clock a cache hit reads: cheap, monotonic, and never late by more than it says.
//!
//! Every hit compares the time with the register's next version-read deadline. On Linux that
//! read is `CLOCK_MONOTONIC_COARSE`: the kernel's tick counter, read from the vDSO page
//! without the TSC (6–9 ns here against 30 ns for `Instant::now`, a tenth of a hit). It lags
//! the true time by up to its resolution (a tick, 1–4 ms), so a deadline is moved that much
//! earlier ([`Clock::deadline`]): an answer is never served past the staleness bound, only
//! up to one tick short of it. Elsewhere `Instant` serves, with no lag to allow for.

use std::time::Duration;

/// Nanoseconds on a monotonic clock since the registry started, and the clock's lag.
#[derive(Debug)]
pub(crate) struct Clock {
    base: Base,
    /// How far a reading may trail the true time, in nanoseconds.
    lag: u64,
}

#[cfg(target_os = "linux")]
type Base = u64;
#[cfg(not(target_os = "linux"))]
type Base = std::time::Instant;

impl Clock {
    /// A clock reading zero now.
    pub(crate) fn new() -> Self {
        #[cfg(target_os = "linux")]
        {
            let resolution = rustix::time::clock_getres(rustix::time::ClockId::MonotonicCoarse);
            Self {
                base: coarse_nanos(),
                lag: timespec_nanos(resolution),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            Self {
                base: std::time::Instant::now(),
                lag: 0,
            }
        }
    }

    /// Nanoseconds since [`new`](Self::new) (saturated: 584 years); at most
    /// [`lag`](Self) behind the true time.
    pub(crate) fn now(&self) -> u64 {
        #[cfg(target_os = "linux")]
        {
            coarse_nanos().saturating_sub(self.base)
        }
        #[cfg(not(target_os = "linux"))]
        {
            u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
        }
    }

    /// The reading from which `bound` has passed since a reading of `start`, allowing for the
    /// lag: a reading below it proves that less than `bound` has truly passed.
    pub(crate) fn deadline(&self, start: u64, bound: Duration) -> u64 {
        let bound = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
        start.saturating_add(bound.saturating_sub(self.lag))
    }
}

#[cfg(target_os = "linux")]
fn coarse_nanos() -> u64 {
    timespec_nanos(rustix::time::clock_gettime(
        rustix::time::ClockId::MonotonicCoarse,
    ))
}

#[cfg(target_os = "linux")]
fn timespec_nanos(time: rustix::time::Timespec) -> u64 {
    let seconds = u64::try_from(time.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(time.tv_nsec).unwrap_or(0);
    seconds.saturating_mul(1_000_000_000).saturating_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_never_go_back_and_trail_instant_by_at_most_the_lag() {
        let clock = Clock::new();
        let started = std::time::Instant::now();
        let mut last = clock.now();
        while started.elapsed() < Duration::from_millis(30) {
            let now = clock.now();
            assert!(now >= last, "{now} < {last}");
            last = now;
        }
        // Since the clock's zero, at least 30 ms have passed: its reading trails that by at
        // most the lag.
        let truly = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        assert!(
            clock.now() + clock.lag >= truly,
            "reading {} + lag {} below {truly}",
            clock.now(),
            clock.lag
        );
    }

    #[test]
    fn a_deadline_comes_a_lag_early_and_never_before_its_start() {
        let clock = Clock {
            lag: 4_000_000,
            ..Clock::new()
        };
        assert_eq!(clock.deadline(10, Duration::from_secs(1)), 10 + 996_000_000);
        assert_eq!(clock.deadline(10, Duration::from_millis(1)), 10);
        assert_eq!(
            clock.deadline(u64::MAX - 1, Duration::from_secs(1)),
            u64::MAX
        );
    }
}
