//! A store whose writes run on a thread of their own, for backtests: the engine's thread hands
//! each write over and goes on computing while the writer stores it, so the two cores of a
//! small machine share a backtest's work (its store writes were ~40% of its CPU).
//!
//! It is two stores, each written by the writer only. The run record (plugin runs and
//! outputs, events, plugin states, equity and position snapshots) lives in `record`: its
//! writes, whose callers need nothing back but success, are queued; every read of those
//! tables first waits until the writer has stored everything handed over before it. The
//! order book (orders, the order journal, fills) lives in `book`, and its writes are queued
//! too, though their callers do need answers at once (`journal_intent`'s duplicate check,
//! `insert_fill`'s "new fill", `journal_append`'s sequence number, `order`'s state): a
//! `BookIndex` on the caller's side holds every order and fill as `book` stores them and gives
//! those answers, the ones `book` will give when the writer gets to the write. The writer
//! checks that it does (an intent `book` refuses, a fill it already had, another sequence
//! number are failed writes like any other), so the index cannot drift from the store
//! unnoticed. No table of one store is written in the other, and no foreign key crosses
//! between the two groups, so every table holds the rows, with the ids, that one store
//! written call by call would hold.
//!
//! A queued write the writer could not store is never dropped quietly: from then on every
//! call of this store fails with `StoreError::WriteBehind`, which names the failed write, and
//! so does `flush`. The writes queued after the failed one are not run (they could depend on
//! it) and the error counts them.
//!
//! Meant for private, temporary stores: the queue gives no durability of its own (a journaled
//! intent is stored after `journal_intent` returns, not before), so a file store that trades
//! real money must not be wrapped.

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
use std::collections::HashMap;
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
    pub const INTENT: u8 = 8;
    pub const JOURNAL: u8 = 9;
    pub const ORDER: u8 = 10;
    pub const FILL: u8 = 11;
    /// A write that panics, for the test that the writer survives one.
    #[cfg(test)]
    pub const PANIC: u8 = 12;

    /// Each output of an `OUTPUTS` record starts with one of these.
    pub const SIGNAL: u8 = 0;
    pub const FEATURE: u8 = 1;
    /// Any other kind: its kind and JSON text.
    pub const OTHER: u8 = 2;
}

/// Queued writes, encoded in the form the store keeps them: numbers and texts copied into one
/// byte buffer, events, journal payloads and the plugin outputs that are neither signals nor
/// features as their JSON text (which is what the store keeps of them). Only a position book
/// (a map) and the order book's requests, orders and fills are kept as values, taken in order
/// by the records that refer to them (and equity points, plain numbers).
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
    requests: Vec<OrderRequest>,
    orders: Vec<Order>,
    fills: Vec<Fill>,
}

impl Tape {
    /// Empty, keeping the byte buffer's capacity for reuse.
    fn clear(&mut self) {
        self.bytes.clear();
        self.jobs = 0;
        self.equity.clear();
        self.books.clear();
        self.requests.clear();
        self.orders.clear();
        self.fills.clear();
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
    requests: std::slice::Iter<'t, OrderRequest>,
    orders: std::slice::Iter<'t, Order>,
    fills: std::slice::Iter<'t, Fill>,
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

/// The store answered a queued order-book write otherwise than the `BookIndex` answered its
/// caller: the index (a bug of this module) or the store went wrong, and either way what the
/// engine was told is not what is stored, so the write fails.
fn index_drift(table: &'static str, column: &'static str, value: String) -> StoreError {
    StoreError::Corrupt {
        table,
        column,
        value,
        expected: "answer of the write-behind order book index",
    }
}

/// Every journal action, its place in this list being its code on a tape.
const JOURNAL_ACTIONS: [JournalAction; 11] = [
    JournalAction::Intent,
    JournalAction::Submitted,
    JournalAction::Ack,
    JournalAction::Reject,
    JournalAction::SendFailed,
    JournalAction::CancelRequest,
    JournalAction::Canceled,
    JournalAction::Fill,
    JournalAction::Expired,
    JournalAction::Replaced,
    JournalAction::Reconciled,
];

fn action_code(action: JournalAction) -> u8 {
    // The list holds every action (`every_journal_action_has_a_code` checks it).
    JOURNAL_ACTIONS
        .iter()
        .position(|a| *a == action)
        .map_or(u8::MAX, |i| i as u8)
}

/// A symbol as the store reads it back (`Symbol::new` of its text): a symbol made by
/// deserializing is kept as it came, so may differ.
fn stored_symbol(s: &Symbol) -> Symbol {
    let t = s.as_str();
    if t.trim().len() == t.len() && !t.bytes().any(|b| b.is_ascii_lowercase()) {
        s.clone()
    } else {
        Symbol::new(t)
    }
}

/// The order book as `book` holds it once every queued write is stored, kept by the caller's
/// side so the order-book calls are answered without waiting for the writer (see the module
/// doc). Orders and fills are kept as `book` reads them back: text columns, exact decimals and
/// the order type's JSON give back what was written, and only a symbol is normalized on the
/// way (`stored_symbol`).
#[derive(Debug, Default)]
struct BookIndex {
    /// By client order id.
    orders: HashMap<String, Order>,
    /// By fill id.
    fills: HashMap<std::sync::Arc<str>, Fill>,
    /// The sequence number of the latest journal row (the journal is append-only, so the next
    /// row's is one more, as AUTOINCREMENT gives it).
    journal_seq: i64,
}

impl BookIndex {
    /// The index of what `book` holds now (a new backtest store: nothing).
    fn load(book: &dyn Store) -> StoreResult<BookIndex> {
        let mut index = BookIndex::default();
        for o in book.orders(None, usize::MAX / 2)? {
            // Every journal row belongs to a stored order (a foreign key), so the latest row
            // is among these.
            if let Some(last) = book.journal(&o.request.client_order_id)?.last() {
                index.journal_seq = index.journal_seq.max(last.seq);
            }
            index
                .orders
                .insert(o.request.client_order_id.0.to_string(), o);
        }
        for f in book.fills(Timestamp::MIN, Timestamp::MAX)? {
            index.fills.insert(f.fill_id.clone(), f);
        }
        Ok(index)
    }

    /// `upsert_order`: a new order as given, a stored one's state replaced (its request part
    /// never changes).
    fn upsert(&mut self, order: &Order) {
        match self.orders.get_mut(order.request.client_order_id.as_str()) {
            Some(o) => {
                o.broker_order_id.clone_from(&order.broker_order_id);
                o.status = order.status;
                o.filled_qty = order.filled_qty;
                o.avg_fill_price = order.avg_fill_price;
                o.updated_at = order.updated_at;
                o.reason.clone_from(&order.reason);
            }
            None => {
                let mut o = order.clone();
                o.request.symbol = stored_symbol(&o.request.symbol);
                self.orders
                    .insert(o.request.client_order_id.0.to_string(), o);
            }
        }
    }

    /// `orders`: newest first (`created_at`, then client id, both descending), at most `limit`.
    fn orders(&self, status: Option<OrderStatus>, limit: usize) -> Vec<Order> {
        let mut out: Vec<&Order> = self
            .orders
            .values()
            .filter(|o| status.is_none_or(|s| o.status == s))
            .collect();
        out.sort_unstable_by(|a, b| order_key(b).cmp(&order_key(a)));
        out.into_iter().take(limit).cloned().collect()
    }

    /// `open_orders`: not terminal, oldest first.
    fn open_orders(&self) -> Vec<Order> {
        let mut out: Vec<&Order> = self
            .orders
            .values()
            .filter(|o| !o.status.is_terminal())
            .collect();
        out.sort_unstable_by(|a, b| order_key(a).cmp(&order_key(b)));
        out.into_iter().cloned().collect()
    }
}

/// What the store orders orders by: creation time, then client id (text, compared bytewise as
/// SQLite's BINARY collation does).
fn order_key(o: &Order) -> (Timestamp, &str) {
    (o.request.created_at, o.request.client_order_id.as_str())
}

impl<'t> Reader<'t> {
    fn new(t: &'t Tape) -> Reader<'t> {
        Reader {
            bytes: &t.bytes,
            equity: t.equity.iter(),
            books: t.books.iter(),
            requests: t.requests.iter(),
            orders: t.orders.iter(),
            fills: t.fills.iter(),
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
            tag::INTENT => "journal order intent",
            tag::JOURNAL => "append order journal",
            tag::ORDER => "upsert order",
            tag::FILL => "insert fill",
            #[cfg(test)]
            tag::PANIC => "probe",
            _ => "decode queued write",
        })
    }

    /// Runs the next write: on `book` when it writes the order book, else on `s`.
    fn run_next(&mut self, book: &dyn Store, s: &dyn Store) -> StoreResult<()> {
        match self.u8()? {
            tag::BEGIN_BATCH => {
                s.begin_batch()?;
                book.begin_batch()
            }
            tag::COMMIT_BATCH => {
                s.commit_batch()?;
                book.commit_batch()
            }
            tag::INTENT => book.journal_intent(Self::kept(&mut self.requests)?),
            tag::JOURNAL => {
                let ts = Timestamp(self.i64()?);
                let id = self.str()?;
                let action = *JOURNAL_ACTIONS
                    .get(usize::from(self.u8()?))
                    .ok_or_else(garbled)?;
                let payload = self.str()?;
                let answered = self.i64()?;
                let seq = book.journal_append_json(ts, id, action, payload)?;
                if seq != answered {
                    return Err(index_drift(
                        "order_journal",
                        "seq",
                        format!("{seq} (the caller was answered {answered})"),
                    ));
                }
                Ok(())
            }
            tag::ORDER => book.upsert_order(Self::kept(&mut self.orders)?),
            tag::FILL => {
                let fill = Self::kept(&mut self.fills)?;
                if book.insert_fill(fill)? {
                    Ok(())
                } else {
                    Err(index_drift(
                        "fills",
                        "fill_id",
                        format!(
                            "{} (already stored; the caller was answered new)",
                            fill.fill_id
                        ),
                    ))
                }
            }
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

/// The caller's side: the tape being filled, emptied ones to fill next, and the order book's
/// index.
#[derive(Default)]
struct Pending {
    tape: Tape,
    spare: Vec<Tape>,
    index: BookIndex,
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
    /// Starts the writer thread for `record` and `book`, which keeps the order book. Two
    /// distinct stores (see the module doc). Fails when the thread cannot be spawned or the
    /// order book cannot be read for its index.
    pub fn new(book: Arc<dyn Store>, record: Arc<dyn Store>) -> std::io::Result<WriteBehindStore> {
        let index = BookIndex::load(book.as_ref()).map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            failed: AtomicBool::new(false),
            work: Condvar::new(),
            idle: Condvar::new(),
        });
        let writer = {
            let (book, record) = (book.clone(), record.clone());
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("store-writer".into())
                .spawn(move || writer_loop(book.as_ref(), record.as_ref(), &shared))?
        };
        Ok(WriteBehindStore {
            book,
            record,
            pending: Mutex::new(Pending {
                index,
                ..Pending::default()
            }),
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
        self.queued(&mut p);
        Ok(())
    }

    /// Counts the write just put on the tape, and hands the tape over when it is full.
    fn queued(&self, p: &mut Pending) {
        p.tape.jobs += 1;
        if p.tape.jobs >= HAND_OVER || p.tape.bytes.len() >= HAND_OVER_BYTES {
            drop(self.hand_over(p));
        }
    }

    /// The caller's side, locked, once checked for an earlier failure: for the order book's
    /// calls, which answer from its index.
    fn book_side(&self) -> StoreResult<MutexGuard<'_, Pending>> {
        self.check()?;
        Ok(self.pending())
    }

    /// The record once everything queued before is stored.
    fn record_now(&self) -> StoreResult<&dyn Store> {
        self.flush()?;
        Ok(self.record.as_ref())
    }

    /// The order book once everything queued before is stored: for the reads the index does
    /// not answer (journals, fills), which a backtest makes only at its end.
    fn book_now(&self) -> StoreResult<&dyn Store> {
        self.flush()?;
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
fn run_tape(
    tape: &Tape,
    book: &dyn Store,
    store: &dyn Store,
) -> Option<(&'static str, String, usize)> {
    let mut r = Reader::new(tape);
    for i in 0..tape.jobs {
        let op = r.next_op().unwrap_or("decode queued write");
        let why = match catch_unwind(AssertUnwindSafe(|| r.run_next(book, store))) {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e.to_string(),
            Err(_) => "the write panicked".to_string(),
        };
        return Some((op, why, tape.jobs - i - 1));
    }
    None
}

fn writer_loop(book: &dyn Store, store: &dyn Store, shared: &Shared) {
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
            if let Some((op, why, rest)) = run_tape(tape, book, store) {
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
        })
    }
    fn commit_batch(&self) -> StoreResult<()> {
        self.queue(|t| {
            t.u8(tag::COMMIT_BATCH);
            Ok(())
        })
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
        let mut p = self.book_side()?;
        let p = &mut *p;
        let id = &request.client_order_id;
        if p.index.orders.contains_key(id.as_str()) {
            return Err(StoreError::DuplicateOrder(id.clone()));
        }
        p.index.upsert(&Order::new(request.clone()));
        // The intent's own journal row.
        p.index.journal_seq += 1;
        p.tape.u8(tag::INTENT);
        p.tape.requests.push(request.clone());
        self.queued(p);
        Ok(())
    }
    fn journal_append(
        &self,
        ts: Timestamp,
        client_order_id: &ClientOrderId,
        action: JournalAction,
        payload: &serde_json::Value,
    ) -> StoreResult<i64> {
        let mut p = self.book_side()?;
        if !p.index.orders.contains_key(client_order_id.as_str()) {
            // A row for an order never journaled, which the store refuses (a foreign key):
            // its own answer, after everything queued before.
            drop(p);
            let seq = self
                .book_now()?
                .journal_append(ts, client_order_id, action, payload)?;
            self.pending().index.journal_seq = seq;
            return Ok(seq);
        }
        let p = &mut *p;
        let at = p.tape.bytes.len();
        p.tape.u8(tag::JOURNAL);
        p.tape.i64(ts.0);
        p.tape.str(&client_order_id.0);
        p.tape.u8(action_code(action));
        if let Err(e) = p.tape.json(payload) {
            p.tape.bytes.truncate(at);
            return Err(e);
        }
        let seq = p.index.journal_seq + 1;
        p.tape.i64(seq);
        p.index.journal_seq = seq;
        self.queued(p);
        Ok(seq)
    }
    fn journal(&self, client_order_id: &ClientOrderId) -> StoreResult<Vec<JournalEntry>> {
        self.book_now()?.journal(client_order_id)
    }
    fn upsert_order(&self, order: &Order) -> StoreResult<()> {
        let mut p = self.book_side()?;
        let p = &mut *p;
        p.index.upsert(order);
        p.tape.u8(tag::ORDER);
        p.tape.orders.push(order.clone());
        self.queued(p);
        Ok(())
    }
    fn order(&self, client_order_id: &ClientOrderId) -> StoreResult<Option<Order>> {
        Ok(self
            .book_side()?
            .index
            .orders
            .get(client_order_id.as_str())
            .cloned())
    }
    fn orders(&self, status: Option<OrderStatus>, limit: usize) -> StoreResult<Vec<Order>> {
        Ok(self.book_side()?.index.orders(status, limit))
    }
    fn open_orders(&self) -> StoreResult<Vec<Order>> {
        Ok(self.book_side()?.index.open_orders())
    }

    fn insert_fill(&self, fill: &Fill) -> StoreResult<bool> {
        let mut p = self.book_side()?;
        let p = &mut *p;
        if let Some(stored) = p.index.fills.get(&fill.fill_id) {
            return if stored == fill {
                Ok(false)
            } else {
                Err(StoreError::FillConflict {
                    fill_id: fill.fill_id.to_string(),
                })
            };
        }
        let mut stored = fill.clone();
        stored.symbol = stored_symbol(&stored.symbol);
        p.index.fills.insert(fill.fill_id.clone(), stored);
        p.tape.u8(tag::FILL);
        p.tape.fills.push(fill.clone());
        self.queued(p);
        Ok(true)
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

    #[test]
    fn every_journal_action_has_a_code() {
        for (i, a) in JOURNAL_ACTIONS.iter().enumerate() {
            assert_eq!(usize::from(action_code(*a)), i);
        }
        // Every variant is listed: a new one makes this match fail to compile.
        for a in JOURNAL_ACTIONS {
            match a {
                JournalAction::Intent
                | JournalAction::Submitted
                | JournalAction::Ack
                | JournalAction::Reject
                | JournalAction::SendFailed
                | JournalAction::CancelRequest
                | JournalAction::Canceled
                | JournalAction::Fill
                | JournalAction::Expired
                | JournalAction::Replaced
                | JournalAction::Reconciled => {}
            }
        }
    }
}
