//! Hot reload: validate a new configuration fully, then swap it in atomically, or keep the
//! running one and say why.
//!
//! Every applied configuration is recorded in a `ConfigHistory` (pruned to
//! `system.config_history_keep`) and announced on the bus; a rejected file edit raises an alert.

use super::error::{ConfigError, ConfigErrors};
use super::features::PluginCatalog;
use super::history::ConfigHistory;
use super::load::{parse, read, ConfigSet, CONFIG_FILE, FEATURES_FILE};
use super::summary::summarize;
use crate::bus::Bus;
use crate::clock::Clock;
use crate::event::{Event, Severity};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// What an accepted apply did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// A new version is running.
    Applied { version: i64, summary: String },
    /// The texts equal the running ones; nothing recorded.
    Unchanged { version: i64 },
}

/// Holds the running configuration and replaces it only with fully validated ones.
pub struct ConfigManager {
    current: RwLock<(Arc<ConfigSet>, i64)>,
    /// Serialises applies so two edits cannot interleave validate-record-swap.
    apply_lock: Mutex<()>,
    catalog: Arc<dyn PluginCatalog>,
    history: Arc<dyn ConfigHistory>,
    clock: Arc<dyn Clock>,
    bus: Bus,
}

impl fmt::Debug for ConfigManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigManager")
            .field("version", &self.current_version())
            .finish_non_exhaustive()
    }
}

const SOURCE: &str = "config";

impl ConfigManager {
    /// Starts with an already validated `initial` set and records it as the first version.
    pub fn new(
        initial: ConfigSet,
        catalog: Arc<dyn PluginCatalog>,
        history: Arc<dyn ConfigHistory>,
        clock: Arc<dyn Clock>,
        bus: Bus,
    ) -> Result<Self, ConfigErrors> {
        let ts = clock.now();
        let summary = "initial configuration";
        let version = history
            .record(ts, &initial.config_text, &initial.features_text, summary)
            .map_err(history_error)?;
        let keep = initial.config.system.config_history_keep;
        let mgr = ConfigManager {
            current: RwLock::new((Arc::new(initial), version)),
            apply_lock: Mutex::new(()),
            catalog,
            history,
            clock,
            bus,
        };
        mgr.prune(keep);
        mgr.bus.publish(Event::ConfigChanged {
            ts,
            version,
            summary: summary.to_string(),
        });
        Ok(mgr)
    }

    /// The running configuration. Cheap; hold the `Arc` for a whole cycle so one cycle never
    /// sees two configurations.
    pub fn current(&self) -> Arc<ConfigSet> {
        Arc::clone(&self.read().0)
    }

    /// History version number of the running configuration.
    pub fn current_version(&self) -> i64 {
        self.read().1
    }

    pub fn history(&self) -> &Arc<dyn ConfigHistory> {
        &self.history
    }

    /// Validates both texts and, if valid, records and swaps them in; otherwise the running
    /// configuration stays and the errors come back. `source` says where the edit came from.
    pub fn apply_texts(
        &self,
        config_text: &str,
        features_text: &str,
        source: &str,
    ) -> Result<ApplyOutcome, ConfigErrors> {
        self.apply_named(
            config_text,
            CONFIG_FILE,
            features_text,
            FEATURES_FILE,
            source,
        )
    }

    /// Re-reads `dir/config.yaml` and `dir/features.yaml`. A rejected edit also raises an
    /// `Event::Alert` naming every problem and the version that keeps running.
    pub fn reload_from_dir(&self, dir: &Path) -> Result<ApplyOutcome, ConfigErrors> {
        let (c, c_name) = read(dir, CONFIG_FILE);
        let (f, f_name) = read(dir, FEATURES_FILE);
        let result = match (c, f) {
            (Ok(c), Ok(f)) => {
                self.apply_named(&c, &c_name, &f, &f_name, &dir.display().to_string())
            }
            (c, f) => Err(ConfigErrors(
                [c.err(), f.err()].into_iter().flatten().collect(),
            )),
        };
        if let Err(errors) = &result {
            self.bus.publish(Event::Alert {
                ts: self.clock.now(),
                source: SOURCE.to_string(),
                severity: Severity::Critical,
                message: format!(
                    "configuration edit rejected; still running version {}:\n{errors}",
                    self.current_version()
                ),
            });
        }
        result
    }

    /// Re-validates an old version and applies it as a new version.
    pub fn rollback_to(&self, version: i64) -> Result<ApplyOutcome, ConfigErrors> {
        let old = self
            .history
            .get(version)
            .map_err(history_error)?
            .ok_or_else(|| {
                ConfigErrors::single(ConfigError::new(
                    "history",
                    "",
                    format!("version {version} not found (pruned or never recorded)"),
                ))
            })?;
        self.apply_named(
            &old.config_text,
            &format!("history v{version} config.yaml"),
            &old.features_text,
            &format!("history v{version} features.yaml"),
            &format!("rollback to v{version}"),
        )
    }

    fn apply_named(
        &self,
        config_text: &str,
        config_name: &str,
        features_text: &str,
        features_name: &str,
        source: &str,
    ) -> Result<ApplyOutcome, ConfigErrors> {
        let _guard = self
            .apply_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let new = parse(
            config_text,
            config_name,
            features_text,
            features_name,
            self.catalog.as_ref(),
        )?;
        let (old, old_version) = {
            let g = self.read();
            (Arc::clone(&g.0), g.1)
        };
        if old.config_text == new.config_text && old.features_text == new.features_text {
            return Ok(ApplyOutcome::Unchanged {
                version: old_version,
            });
        }
        let summary = format!("{source}: {}", summarize(&old, &new));
        let ts = self.clock.now();
        // Not recorded means not applied: every running configuration must be in the history.
        let version = self
            .history
            .record(ts, &new.config_text, &new.features_text, &summary)
            .map_err(history_error)?;
        let keep = new.config.system.config_history_keep;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = (Arc::new(new), version);
        self.prune(keep);
        self.bus.publish(Event::ConfigChanged {
            ts,
            version,
            summary: summary.clone(),
        });
        Ok(ApplyOutcome::Applied { version, summary })
    }

    fn prune(&self, keep: usize) {
        if let Err(e) = self.history.prune(keep) {
            self.bus.publish(Event::Alert {
                ts: self.clock.now(),
                source: SOURCE.to_string(),
                severity: Severity::Warning,
                message: format!("config history not pruned: {e}"),
            });
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, (Arc<ConfigSet>, i64)> {
        self.current.read().unwrap_or_else(PoisonError::into_inner)
    }
}

fn history_error(e: String) -> ConfigErrors {
    ConfigErrors::single(ConfigError::new(
        "history",
        "",
        format!("cannot use the config history: {e}"),
    ))
}
