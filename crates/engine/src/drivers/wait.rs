//! How a real-time driver waits for its next bar while staying responsive to commands.
//!
//! Production waits on the command channel with a timeout measured against the wall clock;
//! tests use `SimWaiter`, which moves a `SimulatedClock` forward instead of sleeping, so the
//! same driver loop runs deterministically and instantly under test.

use super::control::Command;
use optifire_core::clock::{Clock, SimulatedClock};
use optifire_core::Timestamp;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::Duration;

/// What ended a wait.
#[derive(Debug)]
pub enum Waited {
    Command(Command),
    /// The clock reached the requested time (or the wait slice ended).
    Elapsed,
    /// Every `EngineHandle` is gone: nobody can stop the driver any more, so it stops.
    Disconnected,
}

/// Waits until the clock reads `until` or a command arrives, whichever is first.
pub trait Waiter: Send + std::fmt::Debug {
    fn wait(&mut self, until: Timestamp, commands: &Receiver<Command>) -> Waited;
}

/// Blocks on the command channel, at most `max_slice` at a time (so a clock that jumps is
/// noticed), until the injected clock reads `until`.
#[derive(Debug)]
pub struct RealWaiter {
    pub clock: Arc<dyn Clock>,
    pub max_slice: Duration,
}

impl RealWaiter {
    pub fn new(clock: Arc<dyn Clock>) -> RealWaiter {
        RealWaiter {
            clock,
            max_slice: Duration::from_millis(250),
        }
    }
}

impl Waiter for RealWaiter {
    fn wait(&mut self, until: Timestamp, commands: &Receiver<Command>) -> Waited {
        let left = until.0.saturating_sub(self.clock.now().0).max(0);
        let d = Duration::from_nanos(u64::try_from(left).unwrap_or(0)).min(self.max_slice);
        match commands.recv_timeout(d) {
            Ok(c) => Waited::Command(c),
            Err(RecvTimeoutError::Timeout) => Waited::Elapsed,
            Err(RecvTimeoutError::Disconnected) => Waited::Disconnected,
        }
    }
}

/// Takes a waiting command if there is one, else moves the simulated clock to `until`.
#[derive(Debug, Clone)]
pub struct SimWaiter {
    pub clock: SimulatedClock,
}

impl Waiter for SimWaiter {
    fn wait(&mut self, until: Timestamp, commands: &Receiver<Command>) -> Waited {
        match commands.try_recv() {
            Ok(c) => Waited::Command(c),
            Err(TryRecvError::Disconnected) => Waited::Disconnected,
            Err(TryRecvError::Empty) => {
                // An earlier `until` is already past: the clock never goes back.
                let _ = self.clock.advance_to(until);
                Waited::Elapsed
            }
        }
    }
}
