//! Rows the store returns that have no domain type of their own: stored features and signals,
//! journal entries, plugin state, config versions and position snapshots.

use crate::domain::{ClientOrderId, Money, Position, Signal, Symbol};
use crate::plugin::{Output, PluginOutput};
use crate::store::error::{Context, StoreError, StoreResult};
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A plugin output in the form the store keeps it: a signal's or a feature's fields, or any
/// other kind as its kind and JSON text. `insert_outputs` writes each output through this form,
/// so a caller that already holds it (`WriteBehindStore`, which encodes outputs on the engine's
/// thread and stores them on its writer's) stores exactly the same rows.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputRow<'a> {
    Signal {
        ts: Timestamp,
        plugin_id: &'a str,
        symbol: &'a str,
        value: f64,
    },
    Feature {
        ts: Timestamp,
        plugin_id: &'a str,
        symbol: &'a str,
        name: &'a str,
        value: f64,
    },
    Other {
        ts: Timestamp,
        plugin_id: &'a str,
        kind: &'a str,
        json: Cow<'a, str>,
    },
}

impl<'a> OutputRow<'a> {
    /// The stored form of `po`; any kind but a signal or a feature is encoded as JSON here.
    pub fn of(po: &'a PluginOutput) -> StoreResult<OutputRow<'a>> {
        let (ts, plugin_id) = (po.ts, po.plugin_id.as_str());
        Ok(match &po.output {
            Output::Signal { symbol, value } => OutputRow::Signal {
                ts,
                plugin_id,
                symbol: symbol.as_str(),
                value: value.value(),
            },
            Output::Feature {
                symbol,
                name,
                value,
            } => OutputRow::Feature {
                ts,
                plugin_id,
                symbol: symbol.as_str(),
                name,
                value: *value,
            },
            out => OutputRow::Other {
                ts,
                plugin_id,
                kind: out.kind(),
                json: Cow::Owned(serde_json::to_string(out).ctx("encode plugin output")?),
            },
        })
    }

    /// The same row, borrowing this one's JSON text.
    pub fn reborrow(&self) -> OutputRow<'_> {
        match self {
            OutputRow::Signal {
                ts,
                plugin_id,
                symbol,
                value,
            } => OutputRow::Signal {
                ts: *ts,
                plugin_id,
                symbol,
                value: *value,
            },
            OutputRow::Feature {
                ts,
                plugin_id,
                symbol,
                name,
                value,
            } => OutputRow::Feature {
                ts: *ts,
                plugin_id,
                symbol,
                name,
                value: *value,
            },
            OutputRow::Other {
                ts,
                plugin_id,
                kind,
                json,
            } => OutputRow::Other {
                ts: *ts,
                plugin_id,
                kind,
                json: Cow::Borrowed(json),
            },
        }
    }

    /// The output back, for a store that keeps outputs in another form.
    pub fn to_output(&self) -> StoreResult<PluginOutput> {
        let (ts, plugin_id, output) = match self {
            OutputRow::Signal {
                ts,
                plugin_id,
                symbol,
                value,
            } => {
                let value = Signal::new(*value).ok_or_else(|| StoreError::Corrupt {
                    table: "signals",
                    column: "value",
                    value: value.to_string(),
                    expected: "signal in [-1, 1]",
                })?;
                let symbol = Symbol::new(symbol);
                (ts, plugin_id, Output::Signal { symbol, value })
            }
            OutputRow::Feature {
                ts,
                plugin_id,
                symbol,
                name,
                value,
            } => (
                ts,
                plugin_id,
                Output::Feature {
                    symbol: Symbol::new(symbol),
                    name: name.to_string(),
                    value: *value,
                },
            ),
            OutputRow::Other {
                ts,
                plugin_id,
                json,
                ..
            } => (
                ts,
                plugin_id,
                serde_json::from_str(json).ctx("decode plugin output")?,
            ),
        };
        Ok(PluginOutput {
            plugin_id: plugin_id.to_string(),
            ts: *ts,
            output,
        })
    }
}

/// One stored feature value. `value` is NaN when the plugin produced NaN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureRecord {
    pub ts: Timestamp,
    pub plugin_id: String,
    pub symbol: Symbol,
    pub name: String,
    pub value: f64,
}

/// One stored alpha signal, in [-1, 1] as the `Signal` type guaranteed when it was written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignalRecord {
    pub ts: Timestamp,
    pub plugin_id: String,
    pub symbol: Symbol,
    pub value: f64,
}

/// What happened to an order, in the append-only order journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalAction {
    /// The executor decided to send; written before anything leaves the process.
    Intent,
    /// Handed to the broker (the request went out).
    Submitted,
    /// The broker acknowledged the order.
    Ack,
    /// The broker refused the order.
    Reject,
    /// Sending failed or its outcome is unknown; reconciliation must ask the broker.
    SendFailed,
    CancelRequest,
    Canceled,
    Fill,
    Expired,
    Replaced,
    /// State corrected from the broker's view after a restart or disconnect.
    Reconciled,
}

/// One journal row. `seq` orders entries across all orders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub seq: i64,
    pub ts: Timestamp,
    pub client_order_id: ClientOrderId,
    pub action: JournalAction,
    pub payload: serde_json::Value,
}

/// Whether the runtime has disabled a plugin, and why, as the dashboard shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginState {
    pub plugin_id: String,
    pub disabled: bool,
    pub reason: Option<String>,
    pub breaches: u32,
    pub updated_at: Timestamp,
}

/// One saved configuration (the config module's type: one definition for both).
pub use crate::config::ConfigVersion;

/// The ledger as snapshotted at `ts`: enough to restore a `Portfolio` after a restart.
/// `positions` includes flat positions that carry realized PnL, in symbol order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PositionSnapshot {
    pub ts: Timestamp,
    pub cash: Money,
    pub commissions_paid: Money,
    pub positions: Vec<Position>,
}
