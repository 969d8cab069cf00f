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

use super::error::Context;
use super::{
    ConfigVersion, FeatureRecord, JournalAction, JournalEntry, OutputRow, PluginState,
    PositionSnapshot, SignalRecord, Store, StoreError, StoreResult,
};
use crate::domain::{
    Bar, ClientOrderId, EquityPoint, Fill, Order, OrderRequest, OrderStatus, Portfolio, Position,
    Symbol,
};
use crate::event::{Event, PluginRunRecord, RunStatus};
use crate::plugin::{Output, PluginOutput};
use crate::Timestamp;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// What each queued write is, as the first byte of its record on a `Tape`.
mod tag {
    pub const BEGIN_BATCH: u8 = 0;
    pub const COMMIT_BATCH: u8 = 1;
    pub const OUTPUTS: u8 = 2;
    pub const PLUGIN_RUN: u8 = 3;
    pub const EVENT: u8 = 4;
    pub const PLUGIN_STATE: u8 = 5;
    pub const EQUITY: u8 = 6;
    pub const POSITIONS: u8 = 7;
    /// A write that panics, for the test that the writer survives one.
    #[cfg(test)]
    pub const PANIC: u8 = 8;

    /// Each output of an `OUTPUTS` record starts with one of these.
    pub const SIGNAL: u8 = 0;
    pub const FEATURE: u8 = 1;
    /// Any other kind: its kind and JSON text.
    pub const OTHER: u8 = 2;
}

/// Queued writes, encoded in the form the store keeps them: numbers and texts copied into one
/// byte buffer, events and the plugin outputs that are neither signals nor features as their
/// JSON text (which is what the store keeps of them). Only a position book, a map, is kept as
/// the value, taken in order by the records that refer to it (and equity points, plain
/// numbers).
///
/// Why not queue the values themselves: a cloned output, event or run record is a few small
/// heap blocks (a JSON tree, many), each allocated on the engine's thread and freed after the
/// writer used it; cloning and freeing them took the engine thread about as long as the SQL
/// the writer took off it. Copying the fields into a buffer that is reused costs no
/// allocation, and the JSON text is written once either way. The writer stores the rows
/// straight from the buffer (`Store::insert_output_rows`, `Store::push_event_json`). The kept
/// books are freed on the engine's thread, when the tape comes back to it empty: glibc's
/// allocator locks the owning thread's arena to free a block another thread allocated, and
/// with every queued value freed across threads the two threads spent more time waiting on
/// that lock than the writer saved.
#[derive(Default)]
struct Tape {
    bytes: Vec<u8>,
    /// Writes on the tape.
    jobs: usize,
    equity: Vec<EquityPoint>,
    books: Vec<(Timestamp, Portfolio)>,
}

impl Tape {
    /// Empty, keeping the byte buffer's capacity for reuse.
    fn clear(&mut self) {
        self.bytes.clear();
        self.jobs = 0;
        self.equity.clear();
        self.books.clear();
    }

    fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }
    fn i64(&mut self, v: i64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes.extend_from_slice(s.as_bytes());
    }
    /// `value` as `serde_json` writes it, as a text of the tape.
    fn json<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> StoreResult<()> {
        let at = self.bytes.len();
        self.u64(0);
        serde_json::to_writer(&mut self.bytes, value).ctx("encode queued write")?;
        let len = (self.bytes.len() - at - 8) as u64;
        self.bytes[at..at + 8].copy_from_slice(&len.to_le_bytes());
        Ok(())
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }

    fn outputs(&mut self, outputs: &[PluginOutput]) -> StoreResult<()> {
        self.u8(tag::OUTPUTS);
        self.u64(outputs.len() as u64);
        for po in outputs {
            match &po.output {
                Output::Signal { symbol, value } => {
                    self.u8(tag::SIGNAL);
                    self.i64(po.ts.0);
                    self.str(&po.plugin_id);
                    self.str(symbol.as_str());
                    self.f64(value.value());
                }
                Output::Feature {
                    symbol,
                    name,
                    value,
                } => {
                    self.u8(tag::FEATURE);
                    self.i64(po.ts.0);
                    self.str(&po.plugin_id);
                    self.str(symbol.as_str());
                    self.str(name);
                    self.f64(*value);
                }
                out => {
                    self.u8(tag::OTHER);
                    self.i64(po.ts.0);
                    self.str(&po.plugin_id);
                    self.str(out.kind());
                    self.json(out)?;
                }
            }
        }
        Ok(())
    }

    fn event(&mut self, ts: Timestamp, e: &Event) -> StoreResult<()> {
        self.u8(tag::EVENT);
        self.i64(ts.0);
        self.str(e.kind());
        self.json(e)
    }

    fn plugin_run(&mut self, r: &PluginRunRecord) {
        self.u8(tag::PLUGIN_RUN);
        self.str(&r.plugin_id);
        self.i64(r.started_at.0);
        self.f64(r.cpu_ms);
        self.f64(r.wall_ms);
        match r.mem_bytes {
            None => self.u8(0),
            Some(m) => {
                self.u8(1);
                self.u64(m);
            }
        }
        self.u8(match r.status {
            RunStatus::Ok => 0,
            RunStatus::Error => 1,
            RunStatus::Panicked => 2,
            RunStatus::Skipped => 3,
        });
        self.u64(r.outputs as u64);
        self.opt_str(r.message.as_deref());
        self.u8(u8::from(r.over_budget));
    }
}

/// Reads a tape's records back, in order, on the writer's thread.
struct Reader<'t> {
    bytes: &'t [u8],
    equity: std::slice::Iter<'t, EquityPoint>,
    books: std::slice::Iter<'t, (Timestamp, Portfolio)>,
}

/// A tape that does not read back as it was written: a bug of this module, reported as a
/// failed write like any other.
fn garbled() -> StoreError {
    StoreError::Corrupt {
        table: "(write-behind queue)",
        column: "record",
        value: "a record that does not decode".into(),
        expected: "a record as the engine thread wrote it",
    }
}

impl<'t> Reader<'t> {
    fn new(t: &'t Tape) -> Reader<'t> {
        Reader {
            bytes: &t.bytes,
            equity: t.equity.iter(),
            books: t.books.iter(),
        }
    }

    fn take(&mut self, n: usize) -> StoreResult<&'t [u8]> {
        if self.bytes.len() < n {
            return Err(garbled());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }
    fn u8(&mut self) -> StoreResult<u8> {
        Ok(self.take(1)?[0])
    }
    fn word(&mut self) -> StoreResult<[u8; 8]> {
        self.take(8)?.try_into().map_err(|_| garbled())
    }
    fn i64(&mut self) -> StoreResult<i64> {
        Ok(i64::from_le_bytes(self.word()?))
    }
    fn u64(&mut self) -> StoreResult<u64> {
        Ok(u64::from_le_bytes(self.word()?))
    }
    fn usize(&mut self) -> StoreResult<usize> {
        usize::try_from(self.u64()?).map_err(|_| garbled())
    }
    fn f64(&mut self) -> StoreResult<f64> {
        Ok(f64::from_le_bytes(self.word()?))
    }
    fn str(&mut self) -> StoreResult<&'t str> {
        let n = self.usize()?;
        std::str::from_utf8(self.take(n)?).map_err(|_| garbled())
    }
    fn opt_str(&mut self) -> StoreResult<Option<&'t str>> {
        match self.u8()? {
            0 => Ok(None),
            _ => self.str().map(Some),
        }
    }
    fn kept<T>(it: &mut std::slice::Iter<'t, T>) -> StoreResult<&'t T> {
        it.next().ok_or_else(garbled)
    }

    /// What the next write does, for its error; `None` at the end of the tape.
    fn next_op(&self) -> Option<&'static str> {
        Some(match *self.bytes.first()? {
            tag::BEGIN_BATCH => "begin write batch",
            tag::COMMIT_BATCH => "commit write batch",
            tag::OUTPUTS => "insert plugin outputs",
            tag::PLUGIN_RUN => "record plugin run",
            tag::EVENT => "append event",
            tag::PLUGIN_STATE => "set plugin state",
            tag::EQUITY => "insert equity point",
            tag::POSITIONS => "snapshot positions",
            #[cfg(test)]
            tag::PANIC => "probe",
            _ => "decode queued write",
        })
    }

    /// Runs the next write.
    fn run_next(&mut self, s: &dyn Store) -> StoreResult<()> {
        match self.u8()? {
            tag::BEGIN_BATCH => s.begin_batch(),
            tag::COMMIT_BATCH => s.commit_batch(),
            tag::OUTPUTS => {
                let n = self.usize()?;
                let mut rows = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    rows.push(match self.u8()? {
                        tag::SIGNAL => OutputRow::Signal {
                            ts: Timestamp(self.i64()?),
                            plugin_id: self.str()?,
                            symbol: self.str()?,
                            value: self.f64()?,
                        },
                        tag::FEATURE => OutputRow::Feature {
                            ts: Timestamp(self.i64()?),
                            plugin_id: self.str()?,
                            symbol: self.str()?,
                            name: self.str()?,
                            value: self.f64()?,
                        },
                        tag::OTHER => OutputRow::Other {
                            ts: Timestamp(self.i64()?),
                            plugin_id: self.str()?,
                            kind: self.str()?,
                            json: Cow::Borrowed(self.str()?),
                        },
                        _ => return Err(garbled()),
                    });
                }
                s.insert_output_rows(&rows)
            }
            tag::PLUGIN_RUN => {
                let plugin_id = self.str()?.to_string();
                let started_at = Timestamp(self.i64()?);
                let cpu_ms = self.f64()?;
                let wall_ms = self.f64()?;
                let mem_bytes = match self.u8()? {
                    0 => None,
                    _ => Some(self.u64()?),
                };
                let status = match self.u8()? {
                    0 => RunStatus::Ok,
                    1 => RunStatus::Error,
                    2 => RunStatus::Panicked,
                    3 => RunStatus::Skipped,
                    _ => return Err(garbled()),
                };
                let outputs = self.usize()?;
                let message = self.opt_str()?.map(str::to_string);
                let over_budget = self.u8()? != 0;
                s.push_plugin_run(&PluginRunRecord {
                    plugin_id,
                    started_at,
                    cpu_ms,
                    wall_ms,
                    mem_bytes,
                    status,
                    outputs,
                    message,
                    over_budget,
                })
            }
            tag::EVENT => {
                let ts = Timestamp(self.i64()?);
                let kind = self.str()?;
                s.push_event_json(ts, kind, self.str()?)
            }
            tag::PLUGIN_STATE => {
                let plugin_id = self.str()?;
                let disabled = self.u8()? != 0;
                let reason = self.opt_str()?;
                let breaches = u32::try_from(self.u64()?).map_err(|_| garbled())?;
                let ts = Timestamp(self.i64()?);
                s.set_plugin_state(plugin_id, disabled, reason, breaches, ts)
            }
            tag::EQUITY => s.insert_equity(Self::kept(&mut self.equity)?),
            tag::POSITIONS => {
                let (ts, book) = Self::kept(&mut self.books)?;
                s.snapshot_positions(*ts, book)
            }
            #[cfg(test)]
            tag::PANIC => panic!("boom"),
            _ => Err(garbled()),
        }
    }
}

#[derive(Default)]
struct State {
    /// Tapes handed over, oldest first.
    queue: VecDeque<Tape>,
    /// Tapes the writer is done with, for the caller to empty and reuse.
    done: Vec<Tape>,
    /// Writes in `queue`.
    queued: usize,
    /// Bytes of the tapes in `queue`.
    queued_bytes: usize,
    /// The writer is running writes it took from `queue`.
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
    /// Writes never run under this lock, so a poisoned lock only means a panic between two
    /// plain field updates: the state is still consistent.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes the caller collects before it hands them to the writer at once. Waking a sleeping
/// thread costs this machine's kernel about as much as storing a few rows, so a hand-over per
/// write (or per few) cost more CPU than the writer took off the engine. (A default backtest
/// queues about 40 writes a cycle.)
const HAND_OVER: usize = 128;
/// ... or this many bytes of them, whichever comes first.
const HAND_OVER_BYTES: usize = 64 * 1024;

/// Handed-over writes (and their bytes) the writer may fall behind by before the caller waits
/// for it: bounds the queue's memory should the writer ever be the slower thread.
const MAX_BACKLOG: usize = 16 * 1024;
const MAX_BACKLOG_BYTES: usize = 8 << 20;

/// Emptied tapes kept for reuse: the writer holds one or two at a time.
const SPARE_TAPES: usize = 4;

/// The caller's side: the tape being filled and emptied ones to fill next.
#[derive(Default)]
struct Pending {
    tape: Tape,
    spare: Vec<Tape>,
}

/// See the module doc.
pub struct WriteBehindStore {
    book: Arc<dyn Store>,
    record: Arc<dyn Store>,
    /// Writes queued but not handed over yet.
    pending: Mutex<Pending>,
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
            pending: Mutex::new(Pending::default()),
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
        let mut st = {
            let mut p = self.pending();
            self.hand_over(&mut p)
        };
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

    fn pending(&self) -> MutexGuard<'_, Pending> {
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

    /// Gives the tape being filled to the writer (after a failure its writes are not run, only
    /// counted), takes an empty one in its place, and returns the state, locked.
    fn hand_over(&self, p: &mut Pending) -> MutexGuard<'_, State> {
        let mut st = self.shared.lock();
        if !st.done.is_empty() {
            // Emptied here, on the thread that allocated the kept values, with the lock
            // released meanwhile.
            let done = std::mem::take(&mut st.done);
            drop(st);
            for mut t in done {
                if p.spare.len() < SPARE_TAPES {
                    t.clear();
                    p.spare.push(t);
                }
            }
            st = self.shared.lock();
        }
        if p.tape.jobs == 0 {
            return st;
        }
        let next = p.spare.pop().unwrap_or_default();
        let tape = std::mem::replace(&mut p.tape, next);
        if let Some(f) = &mut st.failed {
            f.2 += tape.jobs;
            return st;
        }
        st.queued += tape.jobs;
        st.queued_bytes += tape.bytes.len();
        st.queue.push_back(tape);
        if st.writer_asleep {
            self.shared.work.notify_one();
        }
        while (st.queued > MAX_BACKLOG || st.queued_bytes > MAX_BACKLOG_BYTES)
            && st.failed.is_none()
        {
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

    /// Queues a write of the record: `write` puts it on the tape.
    /// A write that fails to encode is refused here, and leaves nothing on the tape.
    fn queue(&self, write: impl FnOnce(&mut Tape) -> StoreResult<()>) -> StoreResult<()> {
        self.check()?;
        let mut p = self.pending();
        let at = p.tape.bytes.len();
        if let Err(e) = write(&mut p.tape) {
            p.tape.bytes.truncate(at);
            return Err(e);
        }
        p.tape.jobs += 1;
        if p.tape.jobs >= HAND_OVER || p.tape.bytes.len() >= HAND_OVER_BYTES {
            drop(self.hand_over(&mut p));
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

/// Runs one tape's writes in order; on the first that fails: (operation, error, writes of the
/// tape left unrun).
fn run_tape(tape: &Tape, store: &dyn Store) -> Option<(&'static str, String, usize)> {
    let mut r = Reader::new(tape);
    for i in 0..tape.jobs {
        let op = r.next_op().unwrap_or("decode queued write");
        let why = match catch_unwind(AssertUnwindSafe(|| r.run_next(store))) {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e.to_string(),
            Err(_) => "the write panicked".to_string(),
        };
        return Some((op, why, tape.jobs - i - 1));
    }
    None
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
        let mut tapes = std::mem::take(&mut st.queue);
        st.queued = 0;
        st.queued_bytes = 0;
        st.busy = true;
        drop(st);
        let mut failed: Option<(&'static str, String)> = None;
        let mut skipped = 0;
        for tape in &tapes {
            if failed.is_some() {
                skipped += tape.jobs;
                continue;
            }
            if let Some((op, why, rest)) = run_tape(tape, store) {
                failed = Some((op, why));
                skipped += rest;
            }
        }
        st = shared.lock();
        st.busy = false;
        st.done.extend(tapes.drain(..));
        if let Some((op, why)) = failed {
            let dropped = skipped + st.queued;
            let rest = std::mem::take(&mut st.queue);
            st.done.extend(rest);
            st.queued = 0;
            st.queued_bytes = 0;
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
        {
            let mut p = self.pending();
            let mut st = self.hand_over(&mut p);
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
        self.queue(|t| {
            t.u8(tag::BEGIN_BATCH);
            Ok(())
        })?;
        self.book.begin_batch()
    }
    fn commit_batch(&self) -> StoreResult<()> {
        self.queue(|t| {
            t.u8(tag::COMMIT_BATCH);
            Ok(())
        })?;
        self.book.commit_batch()
    }

    fn insert_bars(&self, bars: &[Bar]) -> StoreResult<usize> {
        self.record_now()?.insert_bars(bars)
    }
    fn bars(&self, symbol: &Symbol, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Bar>> {
        self.record_now()?.bars(symbol, from, to)
    }

    fn insert_outputs(&self, outputs: &[PluginOutput]) -> StoreResult<()> {
        self.queue(|t| t.outputs(outputs))
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
        self.queue(|t| {
            t.u8(tag::POSITIONS);
            t.books.push((ts, book));
            Ok(())
        })
    }
    fn latest_positions(&self) -> StoreResult<Vec<Position>> {
        self.record_now()?.latest_positions()
    }
    fn latest_position_snapshot(&self) -> StoreResult<Option<PositionSnapshot>> {
        self.record_now()?.latest_position_snapshot()
    }
    fn insert_equity(&self, point: &EquityPoint) -> StoreResult<()> {
        self.queue(|t| {
            t.u8(tag::EQUITY);
            t.equity.push(*point);
            Ok(())
        })
    }
    fn equity(&self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<EquityPoint>> {
        self.record_now()?.equity(from, to)
    }

    fn record_plugin_run(&self, run: &PluginRunRecord) -> StoreResult<i64> {
        self.record_now()?.record_plugin_run(run)
    }
    fn push_plugin_run(&self, run: &PluginRunRecord) -> StoreResult<()> {
        self.queue(|t| {
            t.plugin_run(run);
            Ok(())
        })
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
        self.queue(|t| {
            t.u8(tag::PLUGIN_STATE);
            t.str(plugin_id);
            t.u8(u8::from(disabled));
            t.opt_str(reason);
            t.u64(u64::from(breaches));
            t.i64(ts.0);
            Ok(())
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
        self.queue(|t| t.event(ts, event))
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
        s.queue(|t| {
            t.u8(tag::PANIC);
            Ok(())
        })
        .unwrap();
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
