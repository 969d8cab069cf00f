//! Plugin feature flags (`features.yaml`): which plugins run, when, and within what budget.
//!
//! Whether a plugin id exists or is implemented is not known here (the plugins crate knows), so
//! validation asks a `PluginCatalog` passed in by the caller.

use crate::plugin::catalogue;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The whole `features.yaml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    pub plugins: BTreeMap<String, PluginFlags>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginFlags {
    pub enabled: bool,
    /// `@open`, `@close`, `@idle`, `interval_1m|5m|15m|1h`, or 5-field cron (America/New_York).
    pub schedule: String,
    pub budget: Budget,
    /// Handed to `Plugin::configure`; `null` when absent.
    #[serde(default)]
    pub params: serde_json::Value,
}

/// Per-run limits; the runtime warns over budget and disables after repeated breaches.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub cpu_ms: f64,
    pub mem_mb: f64,
}

impl Features {
    pub fn enabled_ids(&self) -> impl Iterator<Item = &str> {
        self.plugins
            .iter()
            .filter(|(_, f)| f.enabled)
            .map(|(id, _)| id.as_str())
    }
    pub fn is_enabled(&self, id: &str) -> bool {
        self.plugins.get(id).is_some_and(|f| f.enabled)
    }
}

/// Whether a plugin id is unknown, in the catalogue but not built, or implemented.
pub use crate::plugin::registry::Availability as PluginAvailability;

/// Which plugin ids exist and which are implemented.
pub trait PluginCatalog: Send + Sync {
    fn status(&self, id: &str) -> PluginAvailability;
    /// Whether implemented plugin `id` accepts `params` (the message says why not), and if so
    /// the ids of the plugins it reads in the same cycle (its plan's `depends_on`), which must
    /// be enabled whenever it is. The default accepts anything and knows no dependencies
    /// (catalogues that cannot build plugins, such as `KnownPlugins`).
    fn check_plugin(&self, _id: &str, _params: &serde_json::Value) -> Result<Vec<String>, String> {
        Ok(Vec::new())
    }
}

/// The catalogue (`plugin::catalogue`) plus the set of ids that have an implementation.
#[derive(Clone, Debug, Default)]
pub struct KnownPlugins {
    implemented: BTreeSet<String>,
}

impl KnownPlugins {
    pub fn new<I, S>(implemented: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        KnownPlugins {
            implemented: implemented.into_iter().map(Into::into).collect(),
        }
    }
}

impl PluginCatalog for KnownPlugins {
    fn status(&self, id: &str) -> PluginAvailability {
        if catalogue::find(id).is_none() {
            PluginAvailability::Unknown
        } else if self.implemented.contains(id) {
            PluginAvailability::Implemented
        } else {
            PluginAvailability::NotImplemented
        }
    }
}

/// Whether the scheduler can parse `s` (a named schedule or five cron fields). Uses the
/// scheduler's own parser so the config check and the scheduler can never disagree.
pub fn is_plausible_schedule(s: &str) -> bool {
    s.parse::<crate::schedule::Schedule>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_syntax() {
        for ok in [
            "@open",
            "@close",
            "@idle",
            "interval_1m",
            "interval_1h",
            "*/5 9-16 * * MON-FRI",
            "0 10 * * 1-5",
        ] {
            assert!(is_plausible_schedule(ok), "{ok}");
        }
        for bad in [
            "",
            "@noon",
            "interval_2m",
            "0 10 * *",
            "0 10 * * 1 2",
            "0 10 * * 1;",
        ] {
            assert!(!is_plausible_schedule(bad), "{bad}");
        }
    }

    #[test]
    fn known_plugins_tell_unknown_from_not_implemented() {
        let k = KnownPlugins::new(["fe_kalman"]);
        assert_eq!(k.status("fe_kalman"), PluginAvailability::Implemented);
        assert_eq!(k.status("fe_garch"), PluginAvailability::NotImplemented);
        assert_eq!(k.status("fe_kalmann"), PluginAvailability::Unknown);
    }
}
