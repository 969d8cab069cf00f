//! Typed plugin outputs. The runtime stamps them with plugin id and time and stores them.

use crate::domain::{Signal, Symbol};
use crate::event::Severity;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Output {
    /// Alpha conviction per symbol in [-1, 1].
    Signal {
        symbol: Symbol,
        value: Signal,
    },
    /// A named numeric feature per symbol (`kalman_level`, `corr_spy_tlt`, ...).
    Feature {
        symbol: Symbol,
        name: String,
        value: f64,
    },
    /// A market regime and the exposure multiplier it implies.
    Regime {
        name: String,
        multiplier: f64,
    },
    /// Scale target exposure (all symbols when `symbol` is None) by `multiplier` ≥ 0.
    ExposureMultiplier {
        symbol: Option<Symbol>,
        multiplier: f64,
        reason: String,
    },
    /// Refuse new risk (all symbols when `symbol` is None); risk-reducing orders still pass.
    Block {
        symbol: Option<Symbol>,
        reason: String,
    },
    /// Close positions (all when `symbol` is None).
    Flatten {
        symbol: Option<Symbol>,
        reason: String,
    },
    Health {
        severity: Severity,
        message: String,
        metrics: serde_json::Value,
    },
    Alert {
        severity: Severity,
        message: String,
    },
    /// A structured report (diagnostics), stored as JSON.
    Report {
        name: String,
        body: serde_json::Value,
    },
}

impl Output {
    pub fn kind(&self) -> &'static str {
        match self {
            Output::Signal { .. } => "signal",
            Output::Feature { .. } => "feature",
            Output::Regime { .. } => "regime",
            Output::ExposureMultiplier { .. } => "exposure_multiplier",
            Output::Block { .. } => "block",
            Output::Flatten { .. } => "flatten",
            Output::Health { .. } => "health",
            Output::Alert { .. } => "alert",
            Output::Report { .. } => "report",
        }
    }
}

/// An output with its origin, as stored and as seen by later plugins of the same cycle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PluginOutput {
    pub plugin_id: String,
    pub ts: Timestamp,
    pub output: Output,
}
