//! The store as the durable history of applied configurations (hot reload and rollback).

use crate::config::{ConfigHistory, ConfigVersion};
use crate::store::{SqliteStore, Store};
use crate::Timestamp;

impl ConfigHistory for SqliteStore {
    fn record(
        &self,
        ts: Timestamp,
        config_text: &str,
        features_text: &str,
        summary: &str,
    ) -> Result<i64, String> {
        self.save_config_version(ts, config_text, features_text, summary)
            .map_err(|e| e.to_string())
    }
    fn list(&self, limit: usize) -> Result<Vec<ConfigVersion>, String> {
        self.config_versions(limit).map_err(|e| e.to_string())
    }
    fn get(&self, version: i64) -> Result<Option<ConfigVersion>, String> {
        self.config_version(version).map_err(|e| e.to_string())
    }
    fn prune(&self, keep: usize) -> Result<(), String> {
        self.prune_config_versions(keep)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
