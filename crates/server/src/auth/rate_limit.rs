//! Login throttling: failures counted per key (client IP and user name separately) in a
//! sliding window; `max_attempts` failures lock the key until the window has passed since the
//! last failure. Both keys are checked, so neither many users from one IP nor many IPs against
//! one user get unlimited guesses.
//!
//! State lives in memory: a restart clears lock-outs (documented trade-off for a single
//! process).

use optifire_core::config::LoginRateLimit;
use optifire_core::Timestamp;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Entries kept before expired ones are swept, so random user names cannot grow memory forever.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Default)]
pub struct LoginLimiter {
    keys: Mutex<HashMap<String, KeyState>>,
}

#[derive(Debug, Default)]
struct KeyState {
    /// Failure times inside the window, oldest first.
    fails: Vec<Timestamp>,
    /// Set when `max_attempts` failures fell inside one window.
    locked_until: Option<Timestamp>,
}

impl LoginLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whole seconds until every one of `keys` is unlocked; `None` when none is locked.
    pub fn locked(&self, keys: &[String], now: Timestamp, _rl: &LoginRateLimit) -> Option<u64> {
        let map = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        keys.iter()
            .filter_map(|k| map.get(k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until.secs_since(now).ceil().max(1.0) as u64)
            .max()
    }

    pub fn record_failure(&self, keys: &[String], now: Timestamp, rl: &LoginRateLimit) {
        let mut map = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        let w = window(rl);
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, s| {
                s.locked_until.is_some_and(|u| u > now)
                    || s.fails
                        .last()
                        .is_some_and(|t| now.secs_since(*t) < w as f64)
            });
        }
        for k in keys {
            let s = map.entry(k.clone()).or_default();
            s.fails.retain(|t| now.secs_since(*t) < w as f64);
            s.fails.push(now);
            if s.fails.len() >= rl.max_attempts.max(1) as usize {
                s.locked_until = Some(now.plus_secs(w));
            }
        }
    }

    /// A successful login clears the user's count (not the IP's: one valid account must not
    /// reset an attacker's budget for guessing others).
    pub fn clear(&self, key: &str) {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}

fn window(rl: &LoginRateLimit) -> i64 {
    i64::try_from(rl.window_secs).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RL: LoginRateLimit = LoginRateLimit {
        max_attempts: 3,
        window_secs: 60,
    };

    #[test]
    fn locks_after_max_failures_until_window_passes() {
        let l = LoginLimiter::new();
        let k = vec!["user:bob".to_string()];
        let t0 = Timestamp::from_secs(1_000);
        for i in 0..3 {
            assert_eq!(l.locked(&k, t0.plus_secs(i), &RL), None, "attempt {i}");
            l.record_failure(&k, t0.plus_secs(i), &RL);
        }
        // Last failure at t0+2: locked until t0+62.
        assert_eq!(l.locked(&k, t0.plus_secs(2), &RL), Some(60));
        assert_eq!(l.locked(&k, t0.plus_secs(61), &RL), Some(1));
        assert_eq!(l.locked(&k, t0.plus_secs(62), &RL), None);
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let l = LoginLimiter::new();
        let k = vec!["ip:1.2.3.4".to_string()];
        let t0 = Timestamp::from_secs(1_000);
        l.record_failure(&k, t0, &RL);
        l.record_failure(&k, t0.plus_secs(1), &RL);
        l.record_failure(&k, t0.plus_secs(70), &RL);
        assert_eq!(l.locked(&k, t0.plus_secs(70), &RL), None);
    }

    #[test]
    fn clear_resets_one_key_only() {
        let l = LoginLimiter::new();
        let keys = vec!["ip:x".to_string(), "user:y".to_string()];
        let t0 = Timestamp::from_secs(0);
        for i in 0..3 {
            l.record_failure(&keys, t0.plus_secs(i), &RL);
        }
        l.clear("user:y");
        assert!(l.locked(&keys[1..], t0.plus_secs(3), &RL).is_none());
        assert!(l.locked(&keys[..1], t0.plus_secs(3), &RL).is_some());
    }
}
