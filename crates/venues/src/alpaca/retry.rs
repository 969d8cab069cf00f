//! When and how long to wait before repeating a REST call.
//!
//! Only idempotent calls are repeated (GET, DELETE, and order submission because the client
//! order id makes a resend recognisable). The sleeper is injected so tests can record the waits
//! instead of sleeping.

use optifire_core::venue::BrokerError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Exponential backoff: `base * 2^attempt`, capped at `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The wait before retry number `attempt` (0 = first retry).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(250),
            max: Duration::from_secs(30),
        }
    }
}

/// The wait a failed call asks for before it may be repeated, or `None` if it must not be.
/// Rate limits wait what the server said; transient failures follow the backoff.
pub fn retry_delay(err: &BrokerError, attempt: u32, backoff: &Backoff) -> Option<Duration> {
    match err {
        BrokerError::RateLimited { retry_after_secs } => {
            Some(Duration::from_secs(*retry_after_secs).max(backoff.delay(attempt)))
        }
        BrokerError::Transient(_) => Some(backoff.delay(attempt)),
        _ => None,
    }
}

/// A boxed future that completes after a delay.
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Waits between attempts. The default sleeps on the tokio timer.
pub trait Sleeper: Send + Sync {
    fn sleep(&self, d: Duration) -> SleepFuture;
}

/// Sleeps on the tokio timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> SleepFuture {
        Box::pin(tokio::time::sleep(d))
    }
}

impl fmt::Debug for dyn Sleeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sleeper")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_caps() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(700),
        };
        let got: Vec<u128> = (0..5).map(|a| b.delay(a).as_millis()).collect();
        assert_eq!(got, vec![100, 200, 400, 700, 700]);
        assert_eq!(b.delay(u32::MAX), Duration::from_millis(700));
    }

    #[test]
    fn only_rate_limits_and_transients_repeat() {
        let b = Backoff::default();
        let rl = BrokerError::RateLimited {
            retry_after_secs: 3,
        };
        assert_eq!(retry_delay(&rl, 0, &b), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_delay(&BrokerError::Transient("502".into()), 1, &b),
            Some(Duration::from_millis(500))
        );
        for e in [
            BrokerError::UnknownOrder,
            BrokerError::DuplicateClientOrderId,
            BrokerError::Rejected { reason: "x".into() },
            BrokerError::Other("x".into()),
        ] {
            assert_eq!(retry_delay(&e, 0, &b), None);
        }
    }
}
