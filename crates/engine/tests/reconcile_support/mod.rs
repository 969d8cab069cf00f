//! Test venue for reconciliation and crash tests: the simulated exchange behind a shared
//! handle, optionally persisted as a call log (so its state survives a killed process), with
//! injected broker faults, a position drift, and crash points inside `submit`.
//!
//! Persistence replays the log: the simulated exchange is deterministic, so the same calls in
//! the same order rebuild the same exchange (orders, ids, fills, undrained updates).
#![allow(dead_code)]

use optifire_core::domain::{
    Bar, ClientOrderId, Instrument, Money, Order, OrderRequest, OrderType, Portfolio, Position,
    Quantity, Side, Symbol, TimeInForce,
};
use optifire_core::store::{SqliteStore, Store};
use optifire_core::venue::{Account, Broker, BrokerError, VenueUpdate};
use optifire_core::Timestamp;
use optifire_engine::exec::{CycleId, Leg, PlannedOrder};
use optifire_venues::sim::{CommissionModel, SessionInfo, SimConfig, SimExchange};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One call that changed the exchange, as logged.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "call")]
enum Call {
    Submit { req: OrderRequest },
    Cancel { id: ClientOrderId },
    Bar { bar: Bar, close: bool },
    Drain,
}

/// An injected submit fault, used once, in order.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Returned before the exchange is reached.
    Fail(BrokerError),
    /// The exchange takes the order, the answer is lost (the caller sees this error).
    LoseAnswer(BrokerError),
}

/// Where `submit` kills the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    None,
    /// At the n-th submit call of this process (1-based), before the exchange sees it.
    BeforeSend(u32),
    /// At the n-th submit call, after the exchange accepted it and the log is synced.
    AfterAck(u32),
}

/// How the process dies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Death {
    Abort,
    SigKill,
}

pub fn die(how: Death) -> ! {
    if how == Death::SigKill {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &std::process::id().to_string()])
            .status();
    }
    std::process::abort()
}

#[derive(Debug)]
pub struct Venue {
    pub sim: SimExchange,
    log: Option<File>,
    /// Every submit the exchange answered (across processes, when persisted): the client id
    /// and "accepted", "duplicate" or "rejected".
    pub attempts: Vec<(ClientOrderId, &'static str)>,
    pub script: VecDeque<Fault>,
    /// Added to the exchange's positions: shares that moved at the broker without an order.
    pub drift: BTreeMap<Symbol, Decimal>,
    pub crash: (CrashPoint, Death),
    /// Handed out after the exchange's own updates at the next drain (a replayed or forged
    /// report).
    pub inject: Vec<VenueUpdate>,
    submit_calls: u32,
}

impl Venue {
    fn apply(&mut self, call: &Call) -> Option<Result<Order, BrokerError>> {
        match call {
            Call::Submit { req } => {
                let r = self.sim.submit(req.clone());
                let kind = match &r {
                    Ok(_) => "accepted",
                    Err(BrokerError::DuplicateClientOrderId) => "duplicate",
                    Err(_) => "rejected",
                };
                self.attempts.push((req.client_order_id.clone(), kind));
                Some(r)
            }
            Call::Cancel { id } => Some(self.sim.cancel(id)),
            Call::Bar { bar, close } => {
                let s = if *close {
                    SessionInfo::close()
                } else {
                    SessionInfo::intraday()
                };
                self.sim.on_bar(bar, s).expect("valid test bar");
                None
            }
            Call::Drain => {
                self.sim.drain_updates();
                None
            }
        }
    }

    fn record(&mut self, call: &Call) {
        if let Some(f) = self.log.as_mut() {
            let line = serde_json::to_string(call).expect("encode call");
            writeln!(f, "{line}").expect("write venue log");
            f.sync_all().expect("sync venue log");
        }
    }

    fn call(&mut self, call: Call) -> Option<Result<Order, BrokerError>> {
        let r = self.apply(&call);
        self.record(&call);
        r
    }
}

pub fn sim_config() -> SimConfig {
    SimConfig {
        commission: CommissionModel::None,
        ..SimConfig::default()
    }
}

/// A cloneable handle: the executor owns one as its `Box<dyn Broker>`, the test keeps another.
#[derive(Clone, Debug)]
pub struct TestBroker(pub Arc<Mutex<Venue>>);

impl TestBroker {
    /// In memory only.
    pub fn memory() -> Self {
        Self::build(None)
    }

    /// Persisted in `path`: replays what is there, then appends every call (synced).
    pub fn open(path: &Path) -> Self {
        let tb = Self::build(None);
        if let Ok(f) = File::open(path) {
            let mut v = tb.0.lock().unwrap();
            for line in BufReader::new(f).lines() {
                let call: Call = serde_json::from_str(&line.unwrap()).expect("venue log line");
                v.apply(&call);
            }
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open venue log");
        tb.0.lock().unwrap().log = Some(log);
        tb
    }

    fn build(log: Option<File>) -> Self {
        TestBroker(Arc::new(Mutex::new(Venue {
            sim: SimExchange::new(sim_config()).unwrap(),
            log,
            attempts: Vec::new(),
            script: VecDeque::new(),
            drift: BTreeMap::new(),
            crash: (CrashPoint::None, Death::Abort),
            inject: Vec::new(),
            submit_calls: 0,
        })))
    }

    pub fn on_bar(&self, bar: Bar) {
        self.0.lock().unwrap().call(Call::Bar { bar, close: false });
    }

    pub fn fault(&self, f: Fault) {
        self.0.lock().unwrap().script.push_back(f);
    }

    pub fn set_crash(&self, p: CrashPoint, how: Death) {
        self.0.lock().unwrap().crash = (p, how);
    }

    pub fn inject(&self, u: VenueUpdate) {
        self.0.lock().unwrap().inject.push(u);
    }

    pub fn drift(&self, sym: &str, qty: Decimal) {
        self.0.lock().unwrap().drift.insert(Symbol::new(sym), qty);
    }

    /// Submits the exchange answered for `id`, by kind.
    pub fn attempts(&self, id: &ClientOrderId) -> Vec<&'static str> {
        let v = self.0.lock().unwrap();
        v.attempts
            .iter()
            .filter(|(i, _)| i == id)
            .map(|(_, k)| *k)
            .collect()
    }
}

impl Broker for TestBroker {
    fn submit(&mut self, req: OrderRequest) -> Result<Order, BrokerError> {
        let mut v = self.0.lock().unwrap();
        v.submit_calls += 1;
        let n = v.submit_calls;
        let (point, how) = v.crash;
        if point == CrashPoint::BeforeSend(n) {
            die(how);
        }
        let lose = match v.script.pop_front() {
            Some(Fault::Fail(e)) => return Err(e),
            Some(Fault::LoseAnswer(e)) => Some(e),
            None => None,
        };
        let r = v.call(Call::Submit { req }).expect("submit answers");
        if point == CrashPoint::AfterAck(n) && r.is_ok() {
            die(how);
        }
        match lose {
            Some(e) => Err(e),
            None => r,
        }
    }
    fn cancel(&mut self, id: &ClientOrderId) -> Result<Order, BrokerError> {
        let mut v = self.0.lock().unwrap();
        v.call(Call::Cancel { id: id.clone() })
            .expect("cancel answers")
    }
    fn order(&self, id: &ClientOrderId) -> Option<Order> {
        self.0.lock().unwrap().sim.order(id)
    }
    fn open_orders(&self) -> Vec<Order> {
        self.0.lock().unwrap().sim.open_orders()
    }
    fn positions(&self) -> Vec<Position> {
        let v = self.0.lock().unwrap();
        let mut by: BTreeMap<Symbol, Position> = v
            .sim
            .positions()
            .into_iter()
            .map(|p| (p.symbol.clone(), p))
            .collect();
        for (s, d) in &v.drift {
            let p = by
                .entry(s.clone())
                .or_insert_with(|| Position::flat(s.clone()));
            p.qty = Quantity(p.qty.0 + d);
        }
        by.into_values().filter(|p| !p.is_flat()).collect()
    }
    fn account(&self) -> Account {
        self.0.lock().unwrap().sim.account()
    }
    fn drain_updates(&mut self) -> Vec<VenueUpdate> {
        let mut v = self.0.lock().unwrap();
        let mut u = v.sim.drain_updates();
        v.record(&Call::Drain);
        u.append(&mut v.inject);
        u
    }
}

pub fn bar(sym: &str, secs: i64, open: f64, close: f64) -> Bar {
    Bar {
        symbol: Symbol::new(sym),
        ts: Timestamp::from_secs(secs),
        open,
        high: open.max(close),
        low: open.min(close),
        close,
        volume: 1_000_000.0,
    }
}

pub fn cycle(secs: i64, seq: u64) -> CycleId {
    CycleId {
        ts: Timestamp::from_secs(secs),
        seq,
    }
}

pub fn planned(sym: &str, side: Side, qty: Decimal, c: CycleId) -> PlannedOrder {
    let symbol = Symbol::new(sym);
    PlannedOrder {
        cycle: c,
        instrument: Instrument::infer(&symbol),
        symbol,
        side,
        qty: Quantity(qty),
        leg: Leg::Adjust,
        reference_price: Some(100.0),
        order_type: OrderType::Market,
        tif: TimeInForce::Gtc,
        expected: None,
    }
}

pub fn file_store(path: &Path) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(path).unwrap())
}

pub fn memory_store() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open_in_memory().unwrap())
}

/// The ledger the engine starts with: the exchange's starting cash, no positions.
pub fn fresh_portfolio() -> Portfolio {
    Portfolio::new(sim_config().starting_cash)
}

pub fn money(d: Decimal) -> Money {
    Money(d)
}
