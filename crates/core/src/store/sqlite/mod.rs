//! The SQLite implementation of `Store`: one connection behind a mutex, WAL journaling, cached
//! prepared statements, one transaction per batch. Order-journal writes are synced to disk
//! before they return; everything else uses WAL's cheaper NORMAL sync (a power cut may lose the
//! last moments of analytics, never a journaled order).

mod codec;
mod ledger;
mod market;
mod orders;
mod runtime;

use super::error::{Context, StoreError, StoreResult};
use super::migrations;
use super::records::{
    ConfigVersion, FeatureRecord, JournalAction, JournalEntry, OutputRow, PluginState,
    PositionSnapshot, SignalRecord,
};
use super::Store;
use crate::domain::{
    Bar, ClientOrderId, EquityPoint, Fill, Order, OrderRequest, OrderStatus, Portfolio, Position,
    Symbol,
};
use crate::event::{Event, PluginRunRecord};
use crate::plugin::PluginOutput;
use crate::Timestamp;
use rusqlite::{Connection, TransactionBehavior};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// How long a writer waits for another process's lock (the CLI reading while the engine runs)
/// before failing with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Enough for every distinct statement the store prepares, so none is re-parsed.
const STATEMENT_CACHE: usize = 64;

/// The secondary indexes a temporary store goes without (see `open_temporary`). Primary keys
/// and the unique index of `feature_sets` stay: they define what a write replaces.
const TEMPORARY_DROPPED_INDEXES: &str = "
    DROP INDEX signals_ts;
    DROP INDEX plugin_outputs_ts;
    DROP INDEX plugin_outputs_plugin_ts;
    DROP INDEX orders_status_created;
    DROP INDEX orders_created;
    DROP INDEX orders_open;
    DROP INDEX order_journal_order;
    DROP INDEX fills_ts;
    DROP INDEX fills_order;
    DROP INDEX plugin_runs_plugin_started;
    DROP INDEX plugin_runs_started;
    DROP INDEX events_kind_id;
";

/// The three busiest append-only tables of a temporary store, rebuilt without AUTOINCREMENT
/// (after `TEMPORARY_DROPPED_INDEXES`, which already dropped their secondary indexes).
/// AUTOINCREMENT reads and rewrites `sqlite_sequence` on every insert; a temporary store gives
/// the ids itself instead (`RowIds`), the same ids AUTOINCREMENT would give. Columns as in
/// migration 0001.
const TEMPORARY_PLAIN_ID_TABLES: &str = "
    DROP TABLE plugin_outputs;
    CREATE TABLE plugin_outputs (
        id        INTEGER PRIMARY KEY,
        ts        INTEGER NOT NULL,
        plugin_id TEXT NOT NULL,
        kind      TEXT NOT NULL,
        json      TEXT NOT NULL
    );
    DROP TABLE plugin_runs;
    CREATE TABLE plugin_runs (
        id          INTEGER PRIMARY KEY,
        plugin_id   TEXT NOT NULL,
        started_at  INTEGER NOT NULL,
        cpu_ms      REAL NOT NULL,
        wall_ms     REAL NOT NULL,
        mem_bytes   INTEGER,
        status      TEXT NOT NULL,
        outputs     INTEGER NOT NULL,
        message     TEXT,
        over_budget INTEGER NOT NULL
    );
    DROP TABLE events;
    CREATE TABLE events (
        id   INTEGER PRIMARY KEY,
        ts   INTEGER NOT NULL,
        kind TEXT NOT NULL,
        json TEXT NOT NULL
    );
";

/// A temporary store's own row-id counters and snapshot mark. Every write of these tables goes
/// through the store's one connection under its lock, so a counter is the largest id ever
/// handed out, which is exactly what AUTOINCREMENT's `sqlite_sequence` holds: ids are the same
/// and, as with AUTOINCREMENT, never reused after a prune. (Atomics only to keep the store
/// `Sync`; they are read and written under the connection lock.)
#[derive(Debug)]
struct RowIds {
    events: AtomicI64,
    plugin_runs: AtomicI64,
    plugin_outputs: AtomicI64,
    /// The latest instant `snapshot_positions` has been asked to write: a later instant has no
    /// rows to replace, so its two deletes are skipped.
    snapshot_ts: AtomicI64,
}

impl RowIds {
    fn new() -> RowIds {
        RowIds {
            events: AtomicI64::new(0),
            plugin_runs: AtomicI64::new(0),
            plugin_outputs: AtomicI64::new(0),
            snapshot_ts: AtomicI64::new(i64::MIN),
        }
    }
}

/// Hands out the next id of one counter: `insert` gets it and the counter moves only when the
/// insert succeeded (AUTOINCREMENT's sequence update rolls back with a failed insert).
fn with_next_id<T>(
    counter: &AtomicI64,
    insert: impl FnOnce(i64) -> StoreResult<T>,
) -> StoreResult<T> {
    let id = counter.load(Ordering::Relaxed) + 1;
    let v = insert(id)?;
    counter.store(id, Ordering::Relaxed);
    Ok(v)
}

pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    /// A temporary store (`open_temporary`): no other connection ever reads it, so a write
    /// inside a batch needs no savepoint of its own (see `write_locked`).
    private: bool,
    /// A temporary store's id counters (`None`: SQLite's AUTOINCREMENT gives the ids).
    ids: Option<RowIds>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed, with its folder) the database at `path`, switches it to WAL
    /// and applies pending migrations. Refuses a database from a newer build.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<SqliteStore> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open(path).ctx("open database file")?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .ctx("set journal_mode=WAL")?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NotWal(mode));
        }
        Self::finish_open(conn, Some(path.to_path_buf()))
    }

    /// A private database that lives as long as the store (tests, backtests that keep nothing).
    pub fn open_in_memory() -> StoreResult<SqliteStore> {
        let conn = Connection::open_in_memory().ctx("open in-memory database")?;
        Self::finish_open(conn, None)
    }

    /// A private database in a temporary file that SQLite deletes when the store is dropped,
    /// with at most `cache_kib` KiB of pages in memory: for backtests, whose full record (every
    /// plugin run, output and event of years of cycles) would otherwise all live in the heap.
    /// Nothing is synced (the file dies with the process), and the rollback journal stays in
    /// memory, where a batch's journal holds only the few pages that existed before it.
    pub fn open_temporary(cache_kib: u32) -> StoreResult<SqliteStore> {
        let conn = Connection::open("").ctx("open temporary database")?;
        conn.pragma_update(None, "journal_mode", "MEMORY")
            .ctx("set journal_mode=MEMORY")?;
        // A negative cache_size is a size in KiB rather than a page count.
        conn.pragma_update(None, "cache_size", -i64::from(cache_kib))
            .ctx("set cache_size")?;
        let mut store = Self::finish_open(conn, None)?;
        store.private = true;
        {
            let conn = store.lock();
            conn.pragma_update(None, "synchronous", "OFF")
                .ctx("set synchronous=OFF")?;
            // Secondary indexes serve the dashboard's and the CLI's reads of a long-lived
            // store; a backtest's store is written ~120 rows a cycle and read back only by key
            // or once at the end, so their upkeep (a B-tree insert each per row) is dropped.
            // Every read still answers the same, by a scan where an index would have served.
            conn.execute_batch(TEMPORARY_DROPPED_INDEXES)
                .ctx("drop secondary indexes of a temporary store")?;
            conn.execute_batch(TEMPORARY_PLAIN_ID_TABLES)
                .ctx("rebuild append-only tables of a temporary store")?;
        }
        store.ids = Some(RowIds::new());
        Ok(store)
    }

    fn finish_open(mut conn: Connection, path: Option<PathBuf>) -> StoreResult<SqliteStore> {
        conn.busy_timeout(BUSY_TIMEOUT).ctx("set busy_timeout")?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .ctx("set synchronous=NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .ctx("enable foreign_keys")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrations::migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path,
            private: false,
            ids: None,
        })
    }

    /// The database file, `None` in memory or in a temporary file (nothing to sync or reopen).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The applied schema version.
    pub fn schema_version(&self) -> StoreResult<i64> {
        migrations::current_version(&self.lock())
    }

    /// Moves the WAL's content into the main file and truncates the WAL (at shutdown, or from
    /// a maintenance task, to keep the WAL small on a small disk).
    pub fn checkpoint(&self) -> StoreResult<()> {
        self.lock()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .ctx("checkpoint WAL")
    }

    /// A panic while the lock was held cannot leave a half-written batch behind (an unfinished
    /// transaction rolls back when dropped), so a poisoned lock is safe to take over.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` in one transaction, or, while a batch is open, in a savepoint of the batch's
    /// transaction: either way a failed `f` leaves nothing of itself behind. Except in a
    /// private store's batch, where `f` runs without a savepoint: a savepoint copies every page
    /// the write first touches (about 8% of a backtest's CPU), and there the only reader of a
    /// failed analytics write's partial rows is the run that was told of the failure. Order
    /// journal writes (`write_durable`) keep their savepoint everywhere.
    fn write<T>(
        &self,
        op: &'static str,
        f: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut conn = self.lock();
        Self::write_locked(&mut conn, !self.private, op, f)
    }

    /// `savepoint`: whether a write inside a batch gets its own savepoint (see `write`).
    fn write_locked<T>(
        conn: &mut Connection,
        savepoint: bool,
        op: &'static str,
        f: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        if batch_open(conn) {
            if !savepoint {
                return f(conn);
            }
            let sp = WriteSavepoint::begin(conn, op)?;
            let v = f(conn)?;
            sp.release()?;
            return Ok(v);
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(op)?;
        let v = f(&tx)?;
        tx.commit().ctx(op)?;
        Ok(v)
    }

    /// Runs `f` in one transaction whose commit is synced to disk (synchronous=FULL syncs the
    /// WAL at commit), then returns to NORMAL for the cheaper writes. While a batch is open,
    /// the batch so far is committed before `f` (and synced with it) and a new batch
    /// transaction begins after: a batch never delays a journal row's durability.
    ///
    /// `one_statement`: `f` runs a single SQL statement, which SQLite undoes on its own when it
    /// fails, so a private store's batch gives it no savepoint (see `write`): a failed journal
    /// row leaves nothing behind either way. Every other store keeps the savepoint.
    fn write_durable<T>(
        &self,
        op: &'static str,
        one_statement: bool,
        f: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        // An in-memory database (backtests) has nothing to sync: two pragma round trips per
        // journaled order were 5% of a default backtest's CPU.
        if self.path.is_none() {
            let savepoint = !(self.private && one_statement);
            return Self::write_locked(&mut self.lock(), savepoint, op, f);
        }
        let mut conn = self.lock();
        // The safety level cannot change inside a transaction: the batch so far is committed
        // first, and the durable commit's WAL sync below covers its frames too.
        let in_batch = batch_open(&conn);
        if in_batch {
            run_cached(&conn, "COMMIT", "commit batch before a durable write")?;
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .ctx("set synchronous=FULL")?;
        let result = Self::write_locked(&mut conn, true, op, f);
        let restored = conn
            .pragma_update(None, "synchronous", "NORMAL")
            .ctx("set synchronous=NORMAL");
        let reopened = if in_batch {
            run_cached(&conn, "BEGIN IMMEDIATE", "reopen write batch")
        } else {
            Ok(())
        };
        let v = result?;
        restored?;
        reopened?;
        Ok(v)
    }
}

/// A savepoint inside a batch, from cached statements (rusqlite's `Savepoint` parses its SQL on
/// every use, which was 2% of a backtest). Dropped without `release`, it rolls back to where it
/// began, so a failed or panicking write leaves nothing of itself in the batch.
struct WriteSavepoint<'c> {
    conn: &'c Connection,
    op: &'static str,
    done: bool,
}

impl<'c> WriteSavepoint<'c> {
    fn begin(conn: &'c Connection, op: &'static str) -> StoreResult<WriteSavepoint<'c>> {
        run_cached(conn, "SAVEPOINT store_write", op)?;
        Ok(WriteSavepoint {
            conn,
            op,
            done: false,
        })
    }

    fn release(mut self) -> StoreResult<()> {
        self.done = true;
        run_cached(self.conn, "RELEASE store_write", self.op)
    }
}

impl Drop for WriteSavepoint<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Nothing to report to: the write's own error is already on its way to the caller.
            let _ = run_cached(self.conn, "ROLLBACK TO store_write", self.op)
                .and_then(|()| run_cached(self.conn, "RELEASE store_write", self.op));
        }
    }
}

fn run_cached(conn: &Connection, sql: &str, op: &'static str) -> StoreResult<()> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .ctx(op)?;
    Ok(())
}

/// A transaction is open between two calls only when `begin_batch` opened it: every other
/// transaction begins and ends inside one call, under the lock.
fn batch_open(conn: &Connection) -> bool {
    !conn.is_autocommit()
}

impl Store for SqliteStore {
    fn begin_batch(&self) -> StoreResult<()> {
        run_cached(&self.lock(), "BEGIN IMMEDIATE", "begin write batch")
    }

    fn commit_batch(&self) -> StoreResult<()> {
        let conn = self.lock();
        if batch_open(&conn) {
            run_cached(&conn, "COMMIT", "commit write batch")?;
        }
        Ok(())
    }

    fn insert_bars(&self, bars: &[Bar]) -> StoreResult<usize> {
        market::check_bars(bars)?;
        self.write("insert bars", |tx| market::insert_bars(tx, bars))
    }

    fn bars(&self, symbol: &Symbol, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Bar>> {
        market::bars(&self.lock(), symbol, from, to)
    }

    fn insert_outputs(&self, outputs: &[PluginOutput]) -> StoreResult<()> {
        self.write("insert plugin outputs", |tx| {
            market::insert_outputs(tx, outputs, self.ids.as_ref().map(|i| &i.plugin_outputs))
        })
    }
    fn insert_output_rows(&self, rows: &[OutputRow<'_>]) -> StoreResult<()> {
        self.write("insert plugin outputs", |tx| {
            market::insert_output_rows(
                tx,
                rows.iter().map(|r| Ok(r.reborrow())),
                self.ids.as_ref().map(|i| &i.plugin_outputs),
            )
        })
    }

    fn features(
        &self,
        symbol: &Symbol,
        name: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<FeatureRecord>> {
        market::features(&self.lock(), symbol, name, from, to)
    }

    fn signals(
        &self,
        plugin_id: Option<&str>,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<SignalRecord>> {
        market::signals(&self.lock(), plugin_id, from, to)
    }

    fn plugin_outputs(
        &self,
        plugin_id: Option<&str>,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<PluginOutput>> {
        market::plugin_outputs(&self.lock(), plugin_id, from, to)
    }

    fn journal_intent(&self, request: &OrderRequest) -> StoreResult<()> {
        self.write_durable("journal order intent", false, |tx| {
            orders::journal_intent(tx, request)
        })
    }

    fn journal_append(
        &self,
        ts: Timestamp,
        client_order_id: &ClientOrderId,
        action: JournalAction,
        payload: &serde_json::Value,
    ) -> StoreResult<i64> {
        // One INSERT (the payload is encoded before it): see `write_durable`.
        self.write_durable("append order journal", true, |tx| {
            orders::journal_append(tx, ts, client_order_id, action, payload)
        })
    }

    fn journal_append_json(
        &self,
        ts: Timestamp,
        client_order_id: &str,
        action: JournalAction,
        payload: &str,
    ) -> StoreResult<i64> {
        self.write_durable("append order journal", true, |tx| {
            orders::journal_append_text(tx, ts, client_order_id, action, payload)
        })
    }

    fn journal(&self, client_order_id: &ClientOrderId) -> StoreResult<Vec<JournalEntry>> {
        orders::journal(&self.lock(), client_order_id)
    }

    fn upsert_order(&self, order: &Order) -> StoreResult<()> {
        self.write("upsert order", |tx| orders::upsert_order(tx, order))
    }

    fn order(&self, client_order_id: &ClientOrderId) -> StoreResult<Option<Order>> {
        orders::order(&self.lock(), client_order_id)
    }

    fn orders(&self, status: Option<OrderStatus>, limit: usize) -> StoreResult<Vec<Order>> {
        orders::orders(&self.lock(), status, limit)
    }

    fn open_orders(&self) -> StoreResult<Vec<Order>> {
        orders::open_orders(&self.lock())
    }

    fn insert_fill(&self, fill: &Fill) -> StoreResult<bool> {
        self.write("insert fill", |tx| orders::insert_fill(tx, fill))
    }

    fn fills(&self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Fill>> {
        orders::fills(&self.lock(), from, to)
    }

    fn snapshot_positions(&self, ts: Timestamp, portfolio: &Portfolio) -> StoreResult<()> {
        // A temporary store knows when `ts` is later than every snapshot it holds.
        let replaces = self
            .ids
            .as_ref()
            .is_none_or(|ids| ids.snapshot_ts.fetch_max(ts.0, Ordering::Relaxed) >= ts.0);
        self.write("snapshot positions", |tx| {
            ledger::snapshot_positions(tx, ts, portfolio, replaces)
        })
    }

    fn latest_positions(&self) -> StoreResult<Vec<Position>> {
        Ok(ledger::latest_snapshot(&self.lock())?
            .map(|s| s.positions)
            .unwrap_or_default())
    }

    fn latest_position_snapshot(&self) -> StoreResult<Option<PositionSnapshot>> {
        ledger::latest_snapshot(&self.lock())
    }

    fn insert_equity(&self, point: &EquityPoint) -> StoreResult<()> {
        ledger::insert_equity(&self.lock(), point)
    }

    fn equity(&self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<EquityPoint>> {
        ledger::equity(&self.lock(), from, to)
    }

    fn record_plugin_run(&self, run: &PluginRunRecord) -> StoreResult<i64> {
        let conn = self.lock();
        match &self.ids {
            None => runtime::record_plugin_run(&conn, run, None),
            Some(ids) => with_next_id(&ids.plugin_runs, |id| {
                runtime::record_plugin_run(&conn, run, Some(id))
            }),
        }
    }

    fn plugin_runs(
        &self,
        plugin_id: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<PluginRunRecord>> {
        runtime::plugin_runs(&self.lock(), plugin_id, limit)
    }

    fn set_plugin_state(
        &self,
        plugin_id: &str,
        disabled: bool,
        reason: Option<&str>,
        breaches: u32,
        ts: Timestamp,
    ) -> StoreResult<()> {
        runtime::set_plugin_state(&self.lock(), plugin_id, disabled, reason, breaches, ts)
    }

    fn plugin_states(&self) -> StoreResult<Vec<PluginState>> {
        runtime::plugin_states(&self.lock())
    }

    fn prune_plugin_runs(&self, before: Timestamp) -> StoreResult<usize> {
        runtime::prune_plugin_runs(&self.lock(), before)
    }

    fn append_event(&self, ts: Timestamp, event: &Event) -> StoreResult<i64> {
        let conn = self.lock();
        match &self.ids {
            None => runtime::append_event(&conn, ts, event, None),
            Some(ids) => with_next_id(&ids.events, |id| {
                runtime::append_event(&conn, ts, event, Some(id))
            }),
        }
    }

    fn push_event_json(&self, ts: Timestamp, kind: &str, json: &str) -> StoreResult<()> {
        let conn = self.lock();
        match &self.ids {
            None => runtime::append_event_json(&conn, ts, kind, json, None),
            Some(ids) => with_next_id(&ids.events, |id| {
                runtime::append_event_json(&conn, ts, kind, json, Some(id))
            }),
        }
        .map(|_| ())
    }

    fn events_after(&self, after_id: i64, limit: usize) -> StoreResult<Vec<(i64, Event)>> {
        runtime::events_after(&self.lock(), after_id, limit)
    }

    fn prune_events(&self, before: Timestamp) -> StoreResult<usize> {
        runtime::prune_events(&self.lock(), before)
    }

    fn save_config_version(
        &self,
        ts: Timestamp,
        config_text: &str,
        features_text: &str,
        summary: &str,
    ) -> StoreResult<i64> {
        runtime::save_config_version(&self.lock(), ts, config_text, features_text, summary)
    }

    fn config_versions(&self, limit: usize) -> StoreResult<Vec<ConfigVersion>> {
        runtime::config_versions(&self.lock(), limit)
    }

    fn config_version(&self, version: i64) -> StoreResult<Option<ConfigVersion>> {
        runtime::config_version(&self.lock(), version)
    }

    fn prune_config_versions(&self, keep: usize) -> StoreResult<usize> {
        runtime::prune_config_versions(&self.lock(), keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sync_level(s: &SqliteStore) -> i64 {
        s.lock()
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap()
    }

    /// Column name, type, not-null and primary-key flag of every column of `table`.
    fn columns(s: &SqliteStore, table: &str) -> Vec<(String, String, bool, bool)> {
        let conn = s.lock();
        let mut st = conn
            .prepare(&format!("PRAGMA table_info({table})"))
            .unwrap();
        st.query_map([], |r| {
            Ok((r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(5)? > 0))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    /// The temporary store restates three tables of the migrations without AUTOINCREMENT
    /// (`TEMPORARY_PLAIN_ID_TABLES`); a later migration of those tables must change both, and
    /// this fails until it does.
    #[test]
    fn temporary_plain_id_tables_have_the_migrated_columns() {
        let file = SqliteStore::open_in_memory().unwrap();
        let temp = SqliteStore::open_temporary(1024).unwrap();
        for table in ["events", "plugin_runs", "plugin_outputs"] {
            let want = columns(&file, table);
            assert!(!want.is_empty(), "{table}");
            assert_eq!(columns(&temp, table), want, "{table}");
        }
    }

    fn equity_rows(s: &SqliteStore) -> i64 {
        s.lock()
            .query_row("SELECT count(*) FROM equity", [], |r| r.get(0))
            .unwrap()
    }

    /// Inside a batch a failing write rolls back to its savepoint: its own rows go, the
    /// batch's earlier rows stay and the batch stays open.
    #[test]
    fn a_failed_write_in_a_batch_undoes_only_itself() {
        let s = SqliteStore::open_in_memory().unwrap();
        s.begin_batch().unwrap();
        s.write("first", |c| {
            c.execute(
                "INSERT INTO equity (ts, equity, cash, gross_exposure) VALUES (1, '1', '1', '0')",
                [],
            )
            .ctx("first")
        })
        .unwrap();
        let failed = s.write("second", |c| -> StoreResult<()> {
            c.execute(
                "INSERT INTO equity (ts, equity, cash, gross_exposure) VALUES (2, '2', '2', '0')",
                [],
            )
            .ctx("second")?;
            assert_eq!(equity_rows_in(c), 2);
            Err(StoreError::NotWal("refused".into()))
        });
        assert!(failed.is_err());
        assert!(batch_open(&s.lock()));
        assert_eq!(equity_rows(&s), 1);
        s.commit_batch().unwrap();
        assert!(!batch_open(&s.lock()));
        assert_eq!(equity_rows(&s), 1);
    }

    fn equity_rows_in(c: &Connection) -> i64 {
        c.query_row("SELECT count(*) FROM equity", [], |r| r.get(0))
            .unwrap()
    }

    /// Every row of `table`, columns as text, in id order: what a reader of the table sees.
    fn dump(s: &SqliteStore, table: &str, cols: &str) -> Vec<String> {
        let conn = s.lock();
        let mut st = conn
            .prepare(&format!("SELECT {cols} FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let n = st.column_count();
        let rows = st
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| v.join("|"))
            })
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    /// The temporary store gives its own ids to events, plugin runs and plugin outputs and
    /// skips the snapshot deletes for new instants: every id and row must be what the
    /// AUTOINCREMENT schema and the always-replacing snapshot give, prunes included (an id is
    /// never reused, even when the newest rows were pruned).
    #[test]
    fn a_temporary_store_writes_what_an_autoincrement_store_writes() {
        use crate::domain::{Fill, Money, Price, Quantity, Side};
        use crate::event::{RiskDecision, RunStatus};
        use crate::plugin::Output;
        use rust_decimal_macros::dec;

        let run = |t: i64, status: RunStatus| PluginRunRecord {
            plugin_id: format!("p{}", t % 3),
            started_at: Timestamp(t),
            cpu_ms: 0.25,
            wall_ms: 1.5,
            mem_bytes: Some(42),
            status,
            outputs: 2,
            message: None,
            over_budget: false,
        };
        let risk = |t: i64| Event::Risk {
            ts: Timestamp(t),
            decision: RiskDecision {
                symbol: None,
                approved: t % 2 == 0,
                rule: "max_var".into(),
                reason: format!("reason {t}"),
            },
        };
        let outputs = |t: i64| {
            vec![
                PluginOutput {
                    plugin_id: "regime".into(),
                    ts: Timestamp(t),
                    output: Output::Regime {
                        name: "normal".into(),
                        multiplier: 0.5,
                    },
                },
                PluginOutput {
                    plugin_id: "regime".into(),
                    ts: Timestamp(t),
                    output: Output::Feature {
                        symbol: "SPY".into(),
                        name: "x".into(),
                        value: t as f64,
                    },
                },
                PluginOutput {
                    plugin_id: "diag".into(),
                    ts: Timestamp(t),
                    output: Output::Report {
                        name: "r".into(),
                        body: serde_json::json!({ "t": t }),
                    },
                },
            ]
        };
        let book = Portfolio::new(Money(dec!(1000)));
        let buy = |id: &str, sym: &str, t: i64| Fill {
            fill_id: id.into(),
            client_order_id: ClientOrderId(id.into()),
            symbol: sym.into(),
            side: Side::Buy,
            qty: Quantity(dec!(2)),
            price: Price(dec!(10.5)),
            commission: Money(dec!(0.1)),
            ts: Timestamp(t),
        };

        let autoinc = SqliteStore::open_in_memory().unwrap();
        let temp = SqliteStore::open_temporary(256).unwrap();
        let mut ids = (Vec::new(), Vec::new());
        for (k, s) in [&autoinc, &temp].into_iter().enumerate() {
            let got = if k == 0 { &mut ids.0 } else { &mut ids.1 };
            let mut p = book.clone();
            s.begin_batch().unwrap();
            for t in 1..=6 {
                got.push(s.append_event(Timestamp(t), &risk(t)).unwrap());
                got.push(s.record_plugin_run(&run(t, RunStatus::Ok)).unwrap());
                s.insert_outputs(&outputs(t)).unwrap();
                if t == 3 {
                    p.apply_fill(&buy("a", "SPY", t)).unwrap();
                }
                s.snapshot_positions(Timestamp(t * 10), &p).unwrap();
            }
            s.commit_batch().unwrap();
            // Every row pruned, the newest included: the next ids still go on from 6.
            assert_eq!(s.prune_events(Timestamp(100)).unwrap(), 6);
            assert_eq!(s.prune_plugin_runs(Timestamp(100)).unwrap(), 6);
            // A snapshot at an old instant and one at the latest replace theirs; a new one
            // after an out-of-order write is still a plain insert.
            p.apply_fill(&buy("b", "TLT", 7)).unwrap();
            s.snapshot_positions(Timestamp(20), &p).unwrap();
            s.snapshot_positions(Timestamp(60), &p).unwrap();
            s.snapshot_positions(Timestamp(70), &book).unwrap();
            for t in 7..=9 {
                got.push(s.append_event(Timestamp(t), &risk(t)).unwrap());
                got.push(s.record_plugin_run(&run(t, RunStatus::Skipped)).unwrap());
                s.insert_outputs(&outputs(t)).unwrap();
            }
            assert_eq!(s.prune_events(Timestamp(8)).unwrap(), 1);
            got.push(s.append_event(Timestamp(10), &risk(10)).unwrap());
        }
        assert_eq!(ids.0, ids.1);
        assert_eq!(*ids.0.last().unwrap(), 10);
        for (table, cols) in [
            ("events", "id, ts, kind, json"),
            (
                "plugin_runs",
                "id, plugin_id, started_at, cpu_ms, wall_ms, mem_bytes, status, outputs, \
                 message, over_budget",
            ),
            ("plugin_outputs", "id, ts, plugin_id, kind, json"),
            ("position_snapshots", "ts, cash, commissions_paid"),
            ("positions", "ts, symbol, qty, avg_price, realized_pnl"),
            ("feature_sets", "id, ts, plugin_id, data"),
        ] {
            let a = dump(&autoinc, table, cols);
            assert!(!a.is_empty(), "{table}");
            assert_eq!(a, dump(&temp, table, cols), "{table}");
        }
        assert_eq!(
            autoinc.events_after(0, 100).unwrap(),
            temp.events_after(0, 100).unwrap()
        );
        assert_eq!(
            autoinc.latest_position_snapshot().unwrap(),
            temp.latest_position_snapshot().unwrap()
        );
    }

    /// A private store journals without a savepoint: a journal row SQLite refuses inside a
    /// batch must still leave nothing behind, and the batch's earlier rows and the batch itself
    /// must stay.
    #[test]
    fn a_refused_journal_row_in_a_private_batch_leaves_nothing_behind() {
        use crate::domain::{OrderType, Quantity, Side, TimeInForce};
        use rust_decimal_macros::dec;
        let s = SqliteStore::open_temporary(256).unwrap();
        let req = OrderRequest {
            client_order_id: ClientOrderId("o-1".into()),
            symbol: "SPY".into(),
            side: Side::Buy,
            qty: Quantity(dec!(2)),
            order_type: OrderType::Market,
            tif: TimeInForce::Day,
            created_at: Timestamp(1),
        };
        s.begin_batch().unwrap();
        s.journal_intent(&req).unwrap();
        let ghost = ClientOrderId("never-journaled".into());
        let payload = serde_json::json!({ "x": 1 });
        // The foreign key to `orders` refuses the row.
        let refused = s.journal_append(Timestamp(2), &ghost, JournalAction::Ack, &payload);
        assert!(
            matches!(refused, Err(StoreError::Sqlite { .. })),
            "{refused:?}"
        );
        assert!(batch_open(&s.lock()));
        let seq = s
            .journal_append(
                Timestamp(3),
                &req.client_order_id,
                JournalAction::Ack,
                &payload,
            )
            .unwrap();
        s.commit_batch().unwrap();
        assert_eq!(seq, 2);
        assert!(s.journal(&ghost).unwrap().is_empty());
        let rows: Vec<_> = s
            .journal(&req.client_order_id)
            .unwrap()
            .into_iter()
            .map(|e| (e.seq, e.action))
            .collect();
        assert_eq!(
            rows,
            vec![(1, JournalAction::Intent), (2, JournalAction::Ack)]
        );
    }

    /// SQLite's codes: 1 = NORMAL, 2 = FULL.
    #[test]
    fn durable_writes_sync_fully_then_return_to_normal() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(dir.path().join("sync.db")).unwrap();
        assert_eq!(sync_level(&s), 1);
        let inside = s
            .write_durable("probe", false, |tx| {
                tx.query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))
                    .ctx("probe")
            })
            .unwrap();
        assert_eq!(inside, 2);
        assert_eq!(sync_level(&s), 1);
        // A failed durable write restores NORMAL too.
        let failed = s.write_durable("probe", false, |_| -> StoreResult<()> {
            Err(StoreError::NotWal("probe".into()))
        });
        assert!(failed.is_err());
        assert_eq!(sync_level(&s), 1);
        // Inside a batch too, and the batch is open again afterwards.
        s.begin_batch().unwrap();
        let inside = s
            .write_durable("probe", false, |tx| {
                tx.query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))
                    .ctx("probe")
            })
            .unwrap();
        assert_eq!(inside, 2);
        assert_eq!(sync_level(&s), 1);
        assert!(batch_open(&s.lock()));
        s.commit_batch().unwrap();
    }
}
