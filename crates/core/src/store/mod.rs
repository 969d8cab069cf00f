//! The embedded store: bars, plugin outputs, the order journal, fills, the ledger, plugin runs,
//! events and config history. The engine talks to the `Store` trait only, so a Postgres backend
//! can replace SQLite without touching a caller.
//!
//! Conventions for every method: time ranges `from..=to` are inclusive at both ends; results
//! come back in time order unless the method says "newest first"; ledger numbers are exact
//! decimals (stored as text), market data and analytics values are f64.

mod config_history;
mod error;
mod migrations;
mod records;
mod sqlite;
mod write_behind;

pub use error::{StoreError, StoreResult};
pub use migrations::{Migration, MIGRATIONS};
pub use records::{
    ConfigVersion, FeatureRecord, JournalAction, JournalEntry, OutputRow, PluginState,
    PositionSnapshot, SignalRecord,
};
pub use sqlite::SqliteStore;
pub use write_behind::WriteBehindStore;

use crate::domain::{
    Bar, ClientOrderId, EquityPoint, Fill, Order, OrderRequest, OrderStatus, Portfolio, Position,
    Symbol,
};
use crate::event::{Event, PluginRunRecord};
use crate::plugin::PluginOutput;
use crate::Timestamp;
use error::Context;
use std::fmt;

/// Persistence for the engine, the server and the CLI. Object-safe: callers hold an
/// `Arc<dyn Store>`.
pub trait Store: Send + Sync + fmt::Debug {
    // --- write batches -----------------------------------------------------------------------

    /// Groups every write until `commit_batch` into one transaction: a backtest writes about
    /// 120 rows per cycle, and one transaction per row was a third of its CPU. Reads through
    /// this store see the batch's writes at once; other readers see them at the commit. A
    /// write that must be durable (`journal_intent`, `journal_append`) still is when it
    /// returns: it commits the batch so far with it. A batch is not nested: beginning one while
    /// one is open fails. The default does nothing (every write its own transaction).
    fn begin_batch(&self) -> StoreResult<()> {
        Ok(())
    }
    /// Commits the open batch; without one, does nothing.
    fn commit_batch(&self) -> StoreResult<()> {
        Ok(())
    }

    // --- market data -------------------------------------------------------------------------

    /// Inserts or replaces bars (keyed by symbol and ts) in one transaction. Invalid bars (NaN,
    /// negative, inconsistent OHLC) are refused before anything is written. Returns the count.
    fn insert_bars(&self, bars: &[Bar]) -> StoreResult<usize>;
    fn bars(&self, symbol: &Symbol, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Bar>>;

    // --- plugin outputs ----------------------------------------------------------------------

    /// Stores outputs in one transaction: signals and features in their own tables (a rerun at
    /// the same time replaces), every other kind as JSON in `plugin_outputs`.
    fn insert_outputs(&self, outputs: &[PluginOutput]) -> StoreResult<()>;
    /// `insert_outputs` of outputs already in their stored form: the same rows.
    fn insert_output_rows(&self, rows: &[OutputRow<'_>]) -> StoreResult<()> {
        let outputs = rows
            .iter()
            .map(OutputRow::to_output)
            .collect::<StoreResult<Vec<_>>>()?;
        self.insert_outputs(&outputs)
    }
    fn features(
        &self,
        symbol: &Symbol,
        name: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<FeatureRecord>>;
    fn signals(
        &self,
        plugin_id: Option<&str>,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<SignalRecord>>;
    /// Outputs other than signals and features (regimes, blocks, reports, ...).
    fn plugin_outputs(
        &self,
        plugin_id: Option<&str>,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<PluginOutput>>;

    // --- orders ------------------------------------------------------------------------------

    /// Records the order as pending_new plus an `intent` journal row in one transaction that is
    /// synced to disk before returning: the executor may send only after this returns `Ok`.
    /// A client order id already stored is refused (`StoreError::DuplicateOrder`).
    fn journal_intent(&self, request: &OrderRequest) -> StoreResult<()>;
    /// Appends a journal row (durably, like the intent) and returns its sequence number. The
    /// order must have been journaled by `journal_intent`.
    fn journal_append(
        &self,
        ts: Timestamp,
        client_order_id: &ClientOrderId,
        action: JournalAction,
        payload: &serde_json::Value,
    ) -> StoreResult<i64>;
    /// `journal_append` of a payload already encoded: `payload` is the JSON text
    /// `serde_json::to_string` gives of it (the stored form), so a store that queues the write
    /// (`WriteBehindStore`) hands the writer text instead of a copy of the value.
    fn journal_append_json(
        &self,
        ts: Timestamp,
        client_order_id: &str,
        action: JournalAction,
        payload: &str,
    ) -> StoreResult<i64> {
        let payload: serde_json::Value =
            serde_json::from_str(payload).ctx("decode journal payload")?;
        self.journal_append(ts, &ClientOrderId::new(client_order_id), action, &payload)
    }
    /// The journal of one order in sequence order.
    fn journal(&self, client_order_id: &ClientOrderId) -> StoreResult<Vec<JournalEntry>>;
    /// Inserts an order or updates its state (broker id, status, fills, reason, updated_at);
    /// the request part of a stored order never changes.
    fn upsert_order(&self, order: &Order) -> StoreResult<()>;
    fn order(&self, client_order_id: &ClientOrderId) -> StoreResult<Option<Order>>;
    /// Newest first, at most `limit`, optionally only one status.
    fn orders(&self, status: Option<OrderStatus>, limit: usize) -> StoreResult<Vec<Order>>;
    /// Orders that may still fill (status not terminal), oldest first.
    fn open_orders(&self) -> StoreResult<Vec<Order>>;

    // --- fills and ledger --------------------------------------------------------------------

    /// Stores a fill once: `Ok(false)` when the same fill id is already stored with the same
    /// content, `StoreError::FillConflict` when its content differs.
    fn insert_fill(&self, fill: &Fill) -> StoreResult<bool>;
    fn fills(&self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Fill>>;
    /// Records every position of the portfolio (flat ones included, for their realized PnL)
    /// with cash and commissions at `ts`; a second snapshot at the same `ts` replaces the first.
    fn snapshot_positions(&self, ts: Timestamp, portfolio: &Portfolio) -> StoreResult<()>;
    /// Positions of the latest snapshot (empty when none was taken or the book was empty).
    fn latest_positions(&self) -> StoreResult<Vec<Position>>;
    fn latest_position_snapshot(&self) -> StoreResult<Option<PositionSnapshot>>;
    /// Inserts or replaces the point at `point.ts`.
    fn insert_equity(&self, point: &EquityPoint) -> StoreResult<()>;
    fn equity(&self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<EquityPoint>>;

    // --- plugin runtime ----------------------------------------------------------------------

    /// Returns the run's id.
    fn record_plugin_run(&self, run: &PluginRunRecord) -> StoreResult<i64>;
    /// `record_plugin_run` for a caller that does not need the id, which lets a store queue the
    /// write (`WriteBehindStore`); an error may then surface from a later call instead.
    fn push_plugin_run(&self, run: &PluginRunRecord) -> StoreResult<()> {
        self.record_plugin_run(run).map(|_| ())
    }
    /// Newest first (by start time, then id), at most `limit`.
    fn plugin_runs(
        &self,
        plugin_id: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<PluginRunRecord>>;
    fn set_plugin_state(
        &self,
        plugin_id: &str,
        disabled: bool,
        reason: Option<&str>,
        breaches: u32,
        ts: Timestamp,
    ) -> StoreResult<()>;
    /// All plugin states in plugin id order.
    fn plugin_states(&self) -> StoreResult<Vec<PluginState>>;
    /// Retention: deletes runs started before `before`; returns how many were deleted.
    fn prune_plugin_runs(&self, before: Timestamp) -> StoreResult<usize>;

    // --- events ------------------------------------------------------------------------------

    /// Returns the event's id, the cursor for `events_after`.
    fn append_event(&self, ts: Timestamp, event: &Event) -> StoreResult<i64>;
    /// `append_event` for a caller that does not need the id, which lets a store queue the
    /// write (`WriteBehindStore`); an error may then surface from a later call instead.
    fn push_event(&self, ts: Timestamp, event: &Event) -> StoreResult<()> {
        self.append_event(ts, event).map(|_| ())
    }
    /// `push_event` of an event already encoded: `kind` is `Event::kind`, `json` the event as
    /// `serde_json` writes it (the stored form).
    fn push_event_json(&self, ts: Timestamp, kind: &str, json: &str) -> StoreResult<()> {
        let event: Event = serde_json::from_str(json).ctx("decode event")?;
        debug_assert_eq!(event.kind(), kind);
        self.push_event(ts, &event)
    }
    /// Events with id > `after_id`, ascending, at most `limit`: page by passing the last id.
    fn events_after(&self, after_id: i64, limit: usize) -> StoreResult<Vec<(i64, Event)>>;
    /// Retention: deletes events stamped before `before`; ids are never reused, so a client's
    /// cursor stays valid. Returns how many were deleted.
    fn prune_events(&self, before: Timestamp) -> StoreResult<usize>;

    // --- configuration history ---------------------------------------------------------------

    /// Returns the new version number (never reused, even after pruning).
    fn save_config_version(
        &self,
        ts: Timestamp,
        config_text: &str,
        features_text: &str,
        summary: &str,
    ) -> StoreResult<i64>;
    /// Newest first, at most `limit`.
    fn config_versions(&self, limit: usize) -> StoreResult<Vec<ConfigVersion>>;
    fn config_version(&self, version: i64) -> StoreResult<Option<ConfigVersion>>;
    /// Deletes all but the newest `keep` versions; returns how many were deleted.
    fn prune_config_versions(&self, keep: usize) -> StoreResult<usize>;
}
