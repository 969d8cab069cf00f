//! Rows the store returns that have no domain type of their own: stored features and signals,
//! journal entries, plugin state, config versions and position snapshots.

use crate::domain::{ClientOrderId, Money, Position, Symbol};
use crate::Timestamp;
use serde::{Deserialize, Serialize};

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
