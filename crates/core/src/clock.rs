//! The only place that reads the wall clock.
//!
//! Plugins and the engine ask a `Clock` for "now"; the backtest driver hands them a
//! `SimulatedClock` it advances bar by bar, so a backtest is reproducible to the bit.

use crate::Timestamp;
use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> Timestamp;
}

/// Wall-clock time (UTC).
#[derive(Debug, Default, Clone, Copy)]
pub struct RealClock;

impl Clock for RealClock {
    fn now(&self) -> Timestamp {
        Timestamp::from(chrono::Utc::now())
    }
}

/// A clock that only moves when its driver says so. Clones share the same time.
#[derive(Debug, Clone)]
pub struct SimulatedClock {
    now: Arc<AtomicI64>,
}

impl SimulatedClock {
    pub fn new(start: Timestamp) -> Self {
        SimulatedClock {
            now: Arc::new(AtomicI64::new(start.0)),
        }
    }

    /// Moves the clock to `t`. Time never goes backwards: an earlier `t` is refused and the
    /// current time returned as the error.
    pub fn advance_to(&self, t: Timestamp) -> Result<(), Timestamp> {
        let cur = self.now.load(Ordering::SeqCst);
        if t.0 < cur {
            return Err(Timestamp(cur));
        }
        self.now.store(t.0, Ordering::SeqCst);
        Ok(())
    }

    pub fn advance_secs(&self, s: i64) {
        self.now
            .fetch_add(s.saturating_mul(1_000_000_000), Ordering::SeqCst);
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_clock_moves_only_forward_and_is_shared() {
        let c = SimulatedClock::new(Timestamp(100));
        let c2 = c.clone();
        c.advance_to(Timestamp(200)).unwrap();
        assert_eq!(c2.now(), Timestamp(200));
        assert_eq!(c.advance_to(Timestamp(150)), Err(Timestamp(200)));
        c.advance_secs(1);
        assert_eq!(c.now(), Timestamp(1_000_000_200));
    }

    #[test]
    fn real_clock_is_after_2020() {
        assert!(RealClock.now() > Timestamp::from_secs(1_577_836_800));
    }
}
