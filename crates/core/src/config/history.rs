//! Versions of the applied configuration, for audit and rollback.
//!
//! A trait so the SQLite store can keep them durably; `MemoryConfigHistory` serves tests and
//! runs without a store.

use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// One applied configuration, kept so a change can be inspected and rolled back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigVersion {
    pub version: i64,
    pub ts: Timestamp,
    pub config_text: String,
    pub features_text: String,
    pub summary: String,
}

pub trait ConfigHistory: Send + Sync {
    /// Stores a version and returns its number (increasing, never reused).
    fn record(
        &self,
        ts: Timestamp,
        config_text: &str,
        features_text: &str,
        summary: &str,
    ) -> Result<i64, String>;
    /// Newest first.
    fn list(&self, limit: usize) -> Result<Vec<ConfigVersion>, String>;
    fn get(&self, version: i64) -> Result<Option<ConfigVersion>, String>;
    /// Keeps the newest `keep` versions.
    fn prune(&self, keep: usize) -> Result<(), String>;
}

#[derive(Debug, Default)]
pub struct MemoryConfigHistory {
    inner: Mutex<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    last: i64,
    /// Oldest first.
    versions: Vec<ConfigVersion>,
}

impl MemoryConfigHistory {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, MemoryInner>, String> {
        self.inner
            .lock()
            .map_err(|_| "config history lock poisoned".to_string())
    }
}

impl ConfigHistory for MemoryConfigHistory {
    fn record(
        &self,
        ts: Timestamp,
        config_text: &str,
        features_text: &str,
        summary: &str,
    ) -> Result<i64, String> {
        let mut g = self.lock()?;
        g.last += 1;
        let version = g.last;
        g.versions.push(ConfigVersion {
            version,
            ts,
            config_text: config_text.to_string(),
            features_text: features_text.to_string(),
            summary: summary.to_string(),
        });
        Ok(version)
    }

    fn list(&self, limit: usize) -> Result<Vec<ConfigVersion>, String> {
        Ok(self
            .lock()?
            .versions
            .iter()
            .rev()
            .take(limit)
            .cloned()
            .collect())
    }

    fn get(&self, version: i64) -> Result<Option<ConfigVersion>, String> {
        Ok(self
            .lock()?
            .versions
            .iter()
            .find(|v| v.version == version)
            .cloned())
    }

    fn prune(&self, keep: usize) -> Result<(), String> {
        let mut g = self.lock()?;
        let n = g.versions.len();
        if n > keep {
            g.versions.drain(..n - keep);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_increase_list_is_newest_first_and_prune_keeps_newest() {
        let h = MemoryConfigHistory::new();
        for i in 1..=5 {
            assert_eq!(
                h.record(Timestamp(i), "c", "f", &format!("s{i}")).unwrap(),
                i
            );
        }
        h.prune(2).unwrap();
        let l: Vec<i64> = h.list(10).unwrap().iter().map(|v| v.version).collect();
        assert_eq!(l, vec![5, 4]);
        assert!(h.get(3).unwrap().is_none());
        // Numbers are never reused after pruning.
        assert_eq!(h.record(Timestamp(6), "c", "f", "s6").unwrap(), 6);
    }
}
