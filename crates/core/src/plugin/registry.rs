//! The registry: which catalogue plugins are implemented, and how to make one.
//!
//! It knows every catalogue id (../shared/PLUGINS.md), so "not implemented" is a clear answer a
//! config check can give, distinct from a typo.

use crate::plugin::catalogue::{self, CatalogueEntry};
use crate::plugin::{Plugin, PluginMeta, PluginPlan};
use std::collections::BTreeMap;
use std::fmt;

pub type Factory = fn() -> Box<dyn Plugin>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    Unknown,
    NotImplemented,
    Implemented,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Unknown => "unknown",
            Availability::NotImplemented => "not implemented",
            Availability::Implemented => "implemented",
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegistryError {
    #[error("plugin id {0:?} is not in the catalogue")]
    NotInCatalogue(String),
    #[error("plugin {id} declares category {declared} but the catalogue says {catalogue}")]
    WrongCategory {
        id: String,
        declared: &'static str,
        catalogue: &'static str,
    },
    #[error("plugin {0} is registered twice")]
    Duplicate(String),
    #[error("plugin {0} is not implemented")]
    NotImplemented(String),
    #[error("unknown plugin {0:?}")]
    Unknown(String),
}

/// One row of `optifire plugins list`.
#[derive(Debug, Clone)]
pub struct RegistryEntry {
    pub catalogue: &'static CatalogueEntry,
    /// Metadata and default plan of the implementation, if any.
    pub implementation: Option<(PluginMeta, PluginPlan)>,
}

#[derive(Default, Clone)]
pub struct Registry {
    factories: BTreeMap<&'static str, Factory>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("implemented", &self.factories.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an implementation; its id must be a catalogue id of the same category.
    pub fn register(&mut self, factory: Factory) -> Result<(), RegistryError> {
        let meta = factory().describe();
        let entry = catalogue::find(&meta.id)
            .ok_or_else(|| RegistryError::NotInCatalogue(meta.id.clone()))?;
        if entry.category != meta.category {
            return Err(RegistryError::WrongCategory {
                id: meta.id,
                declared: meta.category.as_str(),
                catalogue: entry.category.as_str(),
            });
        }
        if self.factories.insert(entry.id, factory).is_some() {
            return Err(RegistryError::Duplicate(entry.id.to_string()));
        }
        Ok(())
    }

    pub fn status(&self, id: &str) -> Availability {
        if self.factories.contains_key(id) {
            Availability::Implemented
        } else if catalogue::find(id).is_some() {
            Availability::NotImplemented
        } else {
            Availability::Unknown
        }
    }

    pub fn create(&self, id: &str) -> Result<Box<dyn Plugin>, RegistryError> {
        match self.factories.get(id) {
            Some(f) => Ok(f()),
            None if catalogue::find(id).is_some() => {
                Err(RegistryError::NotImplemented(id.to_string()))
            }
            None => Err(RegistryError::Unknown(id.to_string())),
        }
    }

    pub fn implemented_ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.factories.keys().copied()
    }

    /// Every catalogue plugin, implemented or not, in catalogue order.
    pub fn entries(&self) -> Vec<RegistryEntry> {
        catalogue::all()
            .map(|e| RegistryEntry {
                catalogue: e,
                implementation: self.factories.get(e.id).map(|f| {
                    let p = f();
                    (p.describe(), p.plan())
                }),
            })
            .collect()
    }
}

impl crate::config::PluginCatalog for Registry {
    fn status(&self, id: &str) -> Availability {
        Registry::status(self, id)
    }
    /// Builds the plugin and lets it parse `params`, so a bad parameter is a config error (with
    /// its line) instead of a run-time failure after the edit was applied; answers the plan's
    /// dependencies as configured, so disabling one is refused the same way.
    fn check_plugin(&self, id: &str, params: &serde_json::Value) -> Result<Vec<String>, String> {
        let mut p = self.create(id).map_err(|e| e.to_string())?;
        p.configure(params).map_err(|e| e.to_string())?;
        Ok(p.plan().depends_on)
    }
}
