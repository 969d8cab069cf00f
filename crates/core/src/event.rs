//! Typed events: everything that happens in the engine, for the store, the dashboard and alerts.

use crate::domain::{Bar, Fill, Order, Symbol};
use crate::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// A risk decision with its reason: which limit, and the numbers it compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskDecision {
    pub symbol: Option<Symbol>,
    pub approved: bool,
    pub rule: String,
    pub reason: String,
}

/// One plugin run as the runtime measured it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PluginRunRecord {
    pub plugin_id: String,
    pub started_at: Timestamp,
    pub cpu_ms: f64,
    pub wall_ms: f64,
    /// Peak bytes allocated above the start of the run, when the allocator is instrumented.
    pub mem_bytes: Option<u64>,
    pub status: RunStatus,
    pub outputs: usize,
    pub message: Option<String>,
    pub over_budget: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Ok,
    Error,
    Panicked,
    /// Skipped with a reason (disabled, still running, no data source configured).
    Skipped,
}

impl RunStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Error => "error",
            RunStatus::Panicked => "panicked",
            RunStatus::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Bar(Bar),
    Signal {
        ts: Timestamp,
        plugin_id: String,
        symbol: Symbol,
        value: f64,
    },
    Feature {
        ts: Timestamp,
        plugin_id: String,
        symbol: Symbol,
        name: String,
        value: f64,
    },
    Order(Order),
    Fill(Fill),
    Risk {
        ts: Timestamp,
        decision: RiskDecision,
    },
    Health {
        ts: Timestamp,
        source: String,
        severity: Severity,
        message: String,
    },
    Alert {
        ts: Timestamp,
        source: String,
        severity: Severity,
        message: String,
    },
    ConfigChanged {
        ts: Timestamp,
        version: i64,
        summary: String,
    },
    PluginRun(PluginRunRecord),
    /// The combiner's split of each symbol's target among the plugins of one cycle, with the
    /// configured weights: what the dashboard's allocation and contribution charts show.
    /// Recorded when it changes from the previous cycle's.
    Contributions {
        ts: Timestamp,
        contributions: Vec<SignalContribution>,
    },
}

/// One plugin's part of one symbol's target weight (signed fraction of equity, before the
/// risk engine). A symbol's parts sum to its combined target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignalContribution {
    pub plugin: String,
    pub symbol: Symbol,
    pub weight: f64,
}

impl Event {
    /// Short machine name of the variant, used as the store's `kind` column and the SSE event name.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Bar(_) => "bar",
            Event::Signal { .. } => "signal",
            Event::Feature { .. } => "feature",
            Event::Order(_) => "order",
            Event::Fill(_) => "fill",
            Event::Risk { .. } => "risk",
            Event::Health { .. } => "health",
            Event::Alert { .. } => "alert",
            Event::ConfigChanged { .. } => "config_changed",
            Event::PluginRun(_) => "plugin_run",
            Event::Contributions { .. } => "contributions",
        }
    }
}
