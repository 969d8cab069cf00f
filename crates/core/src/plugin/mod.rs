//! The plugin contract: what a plugin says about itself, when it wants to run, and what it
//! produces from a point-in-time `Context`.
//!
//! The runtime (`runner`), not the plugin, measures, records and publishes runs and outputs, so a
//! plugin is a pure-ish function of its context and its own state.

pub mod catalogue;
mod context;
pub mod measure;
mod output;
pub mod recorder;
pub mod registry;
pub mod runner;
pub mod shaping;

pub use catalogue::Category;
pub use context::{Context, ExecutedFill, MarketData, MarketView, ProcessProbe, ProcessSample};
pub use output::{Output, PluginOutput};
pub use registry::{Availability, Registry, RegistryError};
pub use runner::{Budget, PluginHealth, RunReport, Runner, RunnerPolicy};
pub use shaping::{OrderShaper, ShapeNote, ShapeResult, ShapingReport};

use serde::{Deserialize, Serialize};

/// What a plugin is, for listings, the dashboard and budget defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PluginMeta {
    pub id: String,
    pub name: String,
    pub category: Category,
    pub version: String,
    pub description: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// Measured typical CPU time per run (ms), not a guess: see the plugin's doc comment.
    pub est_cpu_ms: f64,
    pub est_mem_mb: f64,
}

/// When a plugin wants to run and what must run before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PluginPlan {
    /// Default schedule (`@open`, `@close`, `@idle`, `interval_5m`, or 5-field cron);
    /// features.yaml may override it.
    pub schedule: String,
    /// Plugin ids whose outputs this plugin reads in the same cycle.
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PluginError {
    /// External data the plugin needs is not configured: it emits nothing and says so.
    #[error("no data source configured: {0}")]
    NoDataSource(String),
    /// Not enough history yet (warm-up); not a failure.
    #[error("insufficient data: {0}")]
    InsufficientData(String),
    #[error("invalid parameter: {0}")]
    InvalidParams(String),
    #[error("{0}")]
    Failed(String),
}

impl PluginError {
    /// Warm-up and missing sources are reported as skips, not failures.
    pub fn is_skip(&self) -> bool {
        matches!(
            self,
            PluginError::NoDataSource(_) | PluginError::InsufficientData(_)
        )
    }
}

/// A plugin. `Send` so the runtime may move it to a worker thread; `&mut self` on `run` because
/// many plugins keep state between runs (hysteresis, filters).
pub trait Plugin: Send {
    fn describe(&self) -> PluginMeta;
    fn plan(&self) -> PluginPlan;
    /// Applies parameters from features.yaml (`params:` of the plugin). Unknown keys are an error.
    fn configure(&mut self, params: &serde_json::Value) -> Result<(), PluginError> {
        match params {
            serde_json::Value::Null => Ok(()),
            serde_json::Value::Object(m) if m.is_empty() => Ok(()),
            other => Err(PluginError::InvalidParams(format!(
                "this plugin takes no parameters, got {other}"
            ))),
        }
    }
    fn run(&mut self, ctx: &Context<'_>) -> Result<Vec<Output>, PluginError>;
    /// Execution plugins that reshape the executor's orders (batching, netting, MOC) return
    /// themselves here. A method rather than an `Output` because the orders exist only after
    /// the planner ran, which is after every plugin of the cycle: an output could describe a
    /// policy but not act on orders, and the algorithm would have to live in the engine.
    fn shaper(&mut self) -> Option<&mut dyn OrderShaper> {
        None
    }
}
