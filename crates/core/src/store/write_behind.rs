//! A store whose run record is written on a thread of its own, for backtests: the engine's
//! thread hands each record write over and goes on computing while the writer stores it, so
//! the two cores of a small machine share a backtest's work (its store writes were ~40% of its
//! CPU).
//!
//! It is two stores. The order book (orders, the order journal, fills) lives in `book` and is
//! written and read on the caller's thread, exactly as without this wrapper: the executor gets
//! its journal's verdicts (`journal_intent`'s duplicate check, `insert_fill`'s "new fill")
//! before it acts, as always. Everything else, the run record (plugin runs and outputs,
//! events, plugin states, equity and position snapshots), lives in `record`: writes whose
//! caller needs nothing back but success are queued for the writer thread; every other call on
//! those tables first waits until the writer has stored everything handed over before it.
//! No table of one store is written in the other, and no foreign key crosses between the two
//! groups, so every table holds the rows, with the ids, that one store written call by call
//! would hold.
//!
//! A queued write the writer could not store is never dropped quietly: from then on every
//! call of this store fails with `StoreError::WriteBehind`, which names the failed write, and
//! so does `flush`. The writes queued after the failed one are not run (they could depend on
//! it) and the error counts them.
//!
//! Meant for private, temporary stores: the queue gives no durability of its own, so a file
//! store that trades real money must not be wrapped.

use super::{
    ConfigVersion, FeatureRecord, JournalAction, JournalEntry, PluginState, PositionSnapshot,
    SignalRecord, Store, StoreError, StoreResult,
};
use crate::domain::{
    Bar, ClientOrderId, EquityPoint, Fill, Order, OrderRequest, OrderStatus, Portfolio, Position,
    Symbol,
};
use crate::event::{Event, PluginRunRecord};
use crate::plugin::PluginOutput;
use crate::Timestamp;
use std::collections::VecDeque;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// One queued write, as data: the writer runs it by reference and hands it back, so its memory
/// is freed on the thread that allocated it. (glibc's allocator locks the owning thread's
/// arena to free a block another thread allocated; with every queued write freed across
/// threads, the two threads spent more time waiting on that lock than the writer saved.)
enum Job {
    BeginBatch,
    CommitBatch,
    Outputs(Vec<PluginOutput>),
    PluginRun(PluginRunRecord),
    Event(Timestamp, Event),
    PluginState {
        plugin_id: String,
        disabled: bool,
        reason: Option<String>,
        breaches: u32,
        ts: Timestamp,
    },
    Equity(EquityPoint),
    Positions(Timestamp, Portfolio),
    /// A write that panics, for the test that the writer survives one.
    #[cfg(test)]
    Panic,
}

impl Job {
    /// What the write does, for its error.
    fn op(&self) -> &'static str {
        match self {
            Job::BeginBatch => "begin write batch",
            Job::CommitBatch => "commit write batch",
            Job::Outputs(_) => "insert plugin outputs",
            Job::PluginRun(_) => "record plugin run",
            Job::Event(..) => "append event",
            Job::PluginState { .. } => "set plugin state",
            Job::Equity(_) => "insert equity point",
            Job::Positions(..) => "snapshot positions",
            #[cfg(test)]
            Job::Panic => "probe",
        }
    }

    fn run(&self, s: &dyn Store) -> StoreResult<()> {
        match self {
            Job::BeginBatch => s.begin_batch(),
            Job::CommitBatch => s.commit_batch(),
            Job::Outputs(o) => s.insert_outputs(o),
            Job::PluginRun(r) => s.push_plugin_run(r),
            Job::Event(ts, e) => s.push_event(*ts, e),
            Job::PluginState {
                plugin_id,
                disabled,
                reason,
                breaches,
                ts,
            } => s.set_plugin_state(plugin_id, *disabled, reason.as_deref(), *breaches, *ts),
            Job::Equity(p) => s.insert_equity(p),
            Job::Positions(ts, p) => s.snapshot_positions(*ts, p),
            #[cfg(test)]
            Job::Panic => panic!("boom"),
        }
    }
}

#[derive(Default)]
struct State {
    /// Chunks of jobs handed over, oldest first.
    queue: VecDeque<Vec<Job>>,
    /// Chunks the writer is done with, for the caller to free.
    done: Vec<Vec<Job>>,
    /// Jobs in `queue`.
    queued: usize,
    /// The writer is running jobs it took from `queue`.
    busy: bool,
    /// The writer sleeps until there is work.
    writer_asleep: bool,
    /// A caller waits for the writer to finish everything handed over.
    flush_waiting: bool,
    /// The first failed write: (operation, error text, writes not run after it).
    failed: Option<(&'static str, String, usize)>,
    /// Set by `Drop`: the writer stores what is left and ends.
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Set with `State::failed`, so a call checks for a failure without taking the lock.
    failed: AtomicBool,
    /// Wakes the writer.
    work: Condvar,
    /// Wakes callers waiting for the writer.
    idle: Condvar,
}

impl Shared {
    /// Jobs never run under this lock, so a poisoned lock only means a panic between two plain
    /// field updates: the state is still consistent.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes the caller collects before it hands them to the writer at once. Waking a sleeping
/// thread costs this machine's kernel about as much as storing a few rows, so a hand-over per
/// write (or per few) cost more CPU than the writer took off the engine.
const HAND_OVER: usize = 128;

/// Handed-over writes the writer may fall behind by before the caller waits for it: bounds
/// the queue's memory should the writer ever be the slower thread.
const MAX_BACKLOG: usize = 16 * 1024;

/// See the module doc.
pub struct WriteBehindStore {
    book: Arc<dyn Store>,
    record: Arc<dyn Store>,
    /// Writes queued but not handed over yet.
    pending: Mutex<Vec<Job>>,
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

impl fmt::Debug for WriteBehindStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteBehindStore")
            .field("book", &self.book)
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

impl WriteBehindStore {
    /// Starts the writer thread for `record`; `book` keeps the order book. Two distinct
    /// stores (see the module doc). Fails only when the thread cannot be spawned.
    pub fn new(book: Arc<dyn Store>, record: Arc<dyn Store>) -> std::io::Result<WriteBehindStore> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            failed: AtomicBool::new(false),
            work: Condvar::new(),
            idle: Condvar::new(),
        });
        let writer = {
            let record = record.clone();
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("store-writer".into())
                .spawn(move || writer_loop(record.as_ref(), &shared))?
        };
        Ok(WriteBehindStore {
            book,
            record,
            pending: Mutex::new(Vec::with_capacity(HAND_OVER)),
            shared,
            writer: Some(writer),
        })
    }

    /// The store the writer writes the run record to. Writing to it directly bypasses the
    /// queue's order; a test does, to make a queued write fail for real.
    pub fn record_store(&self) -> &Arc<dyn Store> {
        &self.record
    }

    /// Waits until every write queued so far is stored; the first failed write's error if any
    /// failed (now or earlier).
    pub fn flush(&self) -> StoreResult<()> {
        let jobs = std::mem::take(&mut *self.pending());
        let mut st = self.hand_over(jobs);
        loop {
            if let Some(f) = &st.failed {
                return Err(failure(f));
            }
            if st.queued == 0 && !st.busy {
                return Ok(());
            }
            st = self.wait_for_writer(st);
        }
    }

    fn pending(&self) -> MutexGuard<'_, Vec<Job>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sleeps until the writer has run everything handed over (or failed).
    fn wait_for_writer<'a>(&'a self, mut st: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        st.flush_waiting = true;
        if st.writer_asleep {
            self.shared.work.notify_one();
        }
        self.shared
            .idle
            .wait(st)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives `jobs` to the writer (after a failure they are not run, only counted) and
    /// returns the state, locked.
    fn hand_over(&self, jobs: Vec<Job>) -> MutexGuard<'_, State> {
        let mut st = self.shared.lock();
        if !st.done.is_empty() {
            // Freed here, on the thread that allocated them, with the lock released meanwhile.
            let done = std::mem::take(&mut st.done);
            drop(st);
            drop(done);
            st = self.shared.lock();
        }
        if jobs.is_empty() {
            return st;
        }
        if let Some(f) = &mut st.failed {
            f.2 += jobs.len();
            return st;
        }
        st.queued += jobs.len();
        st.queue.push_back(jobs);
        if st.writer_asleep {
            self.shared.work.notify_one();
        }
        while st.queued > MAX_BACKLOG && st.failed.is_none() {
            st = self.wait_for_writer(st);
        }
        st
    }

    /// Fails when an earlier queued write failed.
    fn check(&self) -> StoreResult<()> {
        if self.shared.failed.load(Ordering::Acquire) {
            if let Some(f) = &self.shared.lock().failed {
                return Err(failure(f));
            }
        }
        Ok(())
    }

    /// Queues a write of the record.
    fn queue(&self, job: Job) -> StoreResult<()> {
        self.check()?;
        let mut pending = self.pending();
        pending.push(job);
        if pending.len() >= HAND_OVER {
            let jobs = std::mem::replace(&mut *pending, Vec::with_capacity(HAND_OVER));
            drop(pending);
            drop(self.hand_over(jobs));
        }
        Ok(())
    }

    /// The record once everything queued before is stored.
    fn record_now(&self) -> StoreResult<&dyn Store> {
        self.flush()?;
        Ok(self.record.as_ref())
    }

    /// The order book (no wait: nothing queued writes it).
    fn book_now(&self) -> StoreResult<&dyn Store> {
        self.check()?;
        Ok(self.book.as_ref())
    }
}

fn failure(f: &(&'static str, String, usize)) -> StoreError {
    StoreError::WriteBehind {
        op: f.0,
        message: f.1.clone(),
        dropped: f.2,
    }
}

fn writer_loop(store: &dyn Store, shared: &Shared) {
    let mut st = shared.lock();
    loop {
        if st.queue.is_empty() {
            if st.flush_waiting {
                st.flush_waiting = false;
                shared.idle.notify_all();
            }
            if st.closed {
                return;
            }
            st.writer_asleep = true;
            st = shared.work.wait(st).unwrap_or_else(PoisonError::into_inner);
            st.writer_asleep = false;
            continue;
        }
        let mut chunks = std::mem::take(&mut st.queue);
        st.queued = 0;
        st.busy = true;
        drop(st);
        let mut failed = None;
        let mut skipped = 0;
        for chunk in &chunks {
            if failed.is_some() {
                skipped += chunk.len();
                continue;
            }
            for (i, job) in chunk.iter().enumerate() {
                let why = match catch_unwind(AssertUnwindSafe(|| job.run(store))) {
                    Ok(Ok(())) => continue,
                    Ok(Err(e)) => e.to_string(),
                    Err(_) => "the write panicked".to_string(),
                };
                failed = Some((job.op(), why));
                skipped += chunk.len() - i - 1;
                break;
            }
        }
        st = shared.lock();
        st.busy = false;
        st.done.extend(chunks.drain(..));
        if let Some((op, why)) = failed {
            let dropped = skipped + st.queued;
            let rest = std::mem::take(&mut st.queue);
            st.done.extend(rest);
            st.queued = 0;
            tracing::error!(op, dropped, "queued store write failed: {why}");
            st.failed = Some((op, why, dropped));
            shared.failed.store(true, Ordering::Release);
        }
    }
}

impl Drop for WriteBehindStore {
    /// Stores what is still queued, then ends the writer. An error found here has no caller to
    /// go to (callers that need it call `flush` first); it is logged.
    fn drop(&mut self) {
        let jobs = std::mem::take(&mut *self.pending());
        {
            let mut st = self.hand_over(jobs);
            st.closed = true;
            self.shared.work.notify_one();
        }
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        if let Some(f) = &self.shared.lock().failed {
            tracing::error!("store dropped after a failed queued write: {}", failure(f));
        }
    }
}

impl Store for WriteBehindStore {
    fn begin_batch(&self) -> StoreResult<()> {
        self.queue(Job::BeginBatch)?;
        self.book.begin_batch()
    }
    fn commit_batch(&self) -> StoreResult<()> {
        self.queue(Job::CommitBatch)?;
        self.book.commit_batch()
    }

    fn insert_bars(&self, bars: &[Bar]) -> StoreResult<usize> {
        self.record_now()?.insert_bars(bars)
    }
    fn bars(&self, symbol: &Symbol, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Bar>> {
        self.record_now()?.bars(symbol, from, to)
    }

    fn insert_outputs(&self, outputs: &[PluginOutput]) -> StoreResult<()> {
        self.queue(Job::Outputs(outputs.to_vec()))
    }
    fn features(
        &self,
        symbol: &Symbol,
        name: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<FeatureRecord>> {
        self.record_now()?.features(symbol, name, from, to)
    }
    fn signals(
        &self,
        plugin_id: Option<&str>,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<SignalRecord>> {
        self.record_now()?.signals(plugin_id, from, to)
    }
    fn plugin_outputs(
        &self,
        plugin_id: Option<&str>,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<PluginOutput>> {
        self.record_now()?.plugin_outputs(plugin_id, from, to)
    }

    fn journal_intent(&self, request: &OrderRequest) -> StoreResult<()> {
        self.book_now()?.journal_intent(request)
    }
    fn journal_append(
        &self,
        ts: Timestamp,
        client_order_id: &ClientOrderId,
        action: JournalAction,
        payload: &serde_json::Value,
    ) -> StoreResult<i64> {
        self.book_now()?
            .journal_append(ts, client_order_id, action, payload)
    }
    fn journal(&self, client_order_id: &ClientOrderId) -> StoreResult<Vec<JournalEntry>> {
        self.book_now()?.journal(client_order_id)
    }
    fn upsert_order(&self, order: &Order) -> StoreResult<()> {
        self.book_now()?.upsert_order(order)
    }
    fn order(&self, client_order_id: &ClientOrderId) -> StoreResult<Option<Order>> {
        self.book_now()?.order(client_order_id)
    }
    fn orders(&self, status: Option<OrderStatus>, limit: usize) -> StoreResult<Vec<Order>> {
        self.book_now()?.orders(status, limit)
    }
    fn open_orders(&self) -> StoreResult<Vec<Order>> {
        self.book_now()?.open_orders()
    }

    fn insert_fill(&self, fill: &Fill) -> StoreResult<bool> {
        self.book_now()?.insert_fill(fill)
    }
    fn fills(&self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Fill>> {
        self.book_now()?.fills(from, to)
    }
    fn snapshot_positions(&self, ts: Timestamp, portfolio: &Portfolio) -> StoreResult<()> {
        // What a snapshot stores (cash, commissions, positions), without the book's set of
        // applied fill ids: a clone of thousands of strings per cycle late in a long run, and
        // the store cannot read that private set anyway.
        let mut book = Portfolio::new(portfolio.cash);
        book.positions = portfolio.positions.clone();
        book.commissions_paid = portfolio.commissions_paid;
        self.queue(Job::Positions(ts, book))
    }
    fn latest_positions(&self) -> StoreResult<Vec<Position>> {
        self.record_now()?.latest_positions()
    }
    fn latest_position_snapshot(&self) -> StoreResult<Option<PositionSnapshot>> {
        self.record_now()?.latest_position_snapshot()
    }
    fn insert_equity(&self, point: &EquityPoint) -> StoreResult<()> {
        self.queue(Job::Equity(*point))
    }
    fn equity(&self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<EquityPoint>> {
        self.record_now()?.equity(from, to)
    }

    fn record_plugin_run(&self, run: &PluginRunRecord) -> StoreResult<i64> {
        self.record_now()?.record_plugin_run(run)
    }
    fn push_plugin_run(&self, run: &PluginRunRecord) -> StoreResult<()> {
        self.queue(Job::PluginRun(run.clone()))
    }
    fn plugin_runs(
        &self,
        plugin_id: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<PluginRunRecord>> {
        self.record_now()?.plugin_runs(plugin_id, limit)
    }
    fn set_plugin_state(
        &self,
        plugin_id: &str,
        disabled: bool,
        reason: Option<&str>,
        breaches: u32,
        ts: Timestamp,
    ) -> StoreResult<()> {
        self.queue(Job::PluginState {
            plugin_id: plugin_id.to_string(),
            disabled,
            reason: reason.map(str::to_string),
            breaches,
            ts,
        })
    }
    fn plugin_states(&self) -> StoreResult<Vec<PluginState>> {
        self.record_now()?.plugin_states()
    }
    fn prune_plugin_runs(&self, before: Timestamp) -> StoreResult<usize> {
        self.record_now()?.prune_plugin_runs(before)
    }

    fn append_event(&self, ts: Timestamp, event: &Event) -> StoreResult<i64> {
        self.record_now()?.append_event(ts, event)
    }
    fn push_event(&self, ts: Timestamp, event: &Event) -> StoreResult<()> {
        self.queue(Job::Event(ts, event.clone()))
    }
    fn events_after(&self, after_id: i64, limit: usize) -> StoreResult<Vec<(i64, Event)>> {
        self.record_now()?.events_after(after_id, limit)
    }
    fn prune_events(&self, before: Timestamp) -> StoreResult<usize> {
        self.record_now()?.prune_events(before)
    }

    fn save_config_version(
        &self,
        ts: Timestamp,
        config_text: &str,
        features_text: &str,
        summary: &str,
    ) -> StoreResult<i64> {
        self.record_now()?
            .save_config_version(ts, config_text, features_text, summary)
    }
    fn config_versions(&self, limit: usize) -> StoreResult<Vec<ConfigVersion>> {
        self.record_now()?.config_versions(limit)
    }
    fn config_version(&self, version: i64) -> StoreResult<Option<ConfigVersion>> {
        self.record_now()?.config_version(version)
    }
    fn prune_config_versions(&self, keep: usize) -> StoreResult<usize> {
        self.record_now()?.prune_config_versions(keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    /// A write that panics on the writer thread is a failed write like any other: reported,
    /// and the writer lives on to report it.
    #[test]
    fn a_panicking_write_is_reported_not_lost() {
        let s = WriteBehindStore::new(
            Arc::new(SqliteStore::open_temporary(64).unwrap()),
            Arc::new(SqliteStore::open_temporary(64).unwrap()),
        )
        .unwrap();
        s.queue(Job::Panic).unwrap();
        match s.flush() {
            Err(StoreError::WriteBehind { op, message, .. }) => {
                assert_eq!(op, "probe");
                assert!(message.contains("panicked"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(s.plugin_states().is_err());
    }
}
