//! Test brokers for the executor: the simulated exchange behind a shared handle (so a test can
//! feed it bars while the executor owns the `Box<dyn Broker>`) and a scripted wrapper that fails
//! on cue and checks the journal at the moment of every submit.
#![allow(dead_code)]

use optifire_core::domain::{
    ClientOrderId, Instrument, Money, Order, OrderRequest, OrderType, Portfolio, Position,
    Quantity, Side, Symbol, TimeInForce,
};
use optifire_core::store::{JournalAction, SqliteStore, Store};
use optifire_core::venue::{Account, Broker, BrokerError, VenueUpdate};
use optifire_core::Timestamp;
use optifire_engine::exec::{CycleId, Leg, PlannedOrder};
use optifire_venues::sim::{CommissionModel, SimConfig, SimExchange};
use rust_decimal::Decimal;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

pub fn sim() -> Arc<Mutex<SimExchange>> {
    let cfg = SimConfig {
        commission: CommissionModel::None,
        ..SimConfig::default()
    };
    Arc::new(Mutex::new(SimExchange::new(cfg).unwrap()))
}

pub fn memory_store() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open_in_memory().unwrap())
}

/// What the scripted broker saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// For every submit call: the client id and whether its intent was journaled by then.
    pub submits: Vec<(ClientOrderId, bool)>,
    /// Updates to hand out with the next drain, after the exchange's own (a reconnect replay).
    pub inject: Vec<VenueUpdate>,
}

/// The simulated exchange, with a script of errors returned (one per submit) before it is
/// reached, and a journal check on every submit.
#[derive(Debug)]
pub struct ScriptedBroker {
    pub sim: Arc<Mutex<SimExchange>>,
    pub store: Arc<dyn Store>,
    pub script: VecDeque<BrokerError>,
    /// Submits that reach the exchange but whose answer is lost (returned as transient).
    pub lose_answers: usize,
    pub seen: Arc<Mutex<Seen>>,
}

impl ScriptedBroker {
    pub fn new(sim: Arc<Mutex<SimExchange>>, store: Arc<dyn Store>) -> (Self, Arc<Mutex<Seen>>) {
        let seen = Arc::new(Mutex::new(Seen::default()));
        (
            ScriptedBroker {
                sim,
                store,
                script: VecDeque::new(),
                lose_answers: 0,
                seen: seen.clone(),
            },
            seen,
        )
    }
}

impl Broker for ScriptedBroker {
    fn submit(&mut self, req: OrderRequest) -> Result<Order, BrokerError> {
        let journaled = self
            .store
            .journal(&req.client_order_id)
            .unwrap()
            .iter()
            .any(|e| e.action == JournalAction::Intent);
        self.seen
            .lock()
            .unwrap()
            .submits
            .push((req.client_order_id.clone(), journaled));
        if let Some(e) = self.script.pop_front() {
            return Err(e);
        }
        let answer = self.sim.lock().unwrap().submit(req);
        if self.lose_answers > 0 {
            self.lose_answers -= 1;
            return Err(BrokerError::Transient("timeout reading the answer".into()));
        }
        answer
    }
    fn cancel(&mut self, id: &ClientOrderId) -> Result<Order, BrokerError> {
        self.sim.lock().unwrap().cancel(id)
    }
    fn order(&self, id: &ClientOrderId) -> Option<Order> {
        self.sim.lock().unwrap().order(id)
    }
    fn open_orders(&self) -> Vec<Order> {
        self.sim.lock().unwrap().open_orders()
    }
    fn positions(&self) -> Vec<Position> {
        self.sim.lock().unwrap().positions()
    }
    fn account(&self) -> Account {
        self.sim.lock().unwrap().account()
    }
    fn drain_updates(&mut self) -> Vec<VenueUpdate> {
        let mut u = self.sim.lock().unwrap().drain_updates();
        u.append(&mut self.seen.lock().unwrap().inject);
        u
    }
}

pub fn ts_secs(s: i64) -> Timestamp {
    Timestamp::from_secs(s)
}

pub fn cycle(secs: i64, seq: u64) -> CycleId {
    CycleId {
        ts: ts_secs(secs),
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
        tif: TimeInForce::Day,
        expected: None,
    }
}

/// A portfolio holding `positions` (symbol, signed qty, price), cash 100,000.
pub fn portfolio(positions: &[(&str, Decimal, Decimal)]) -> Portfolio {
    let mut p = Portfolio::new(Money(Decimal::from(100_000)));
    for (i, (sym, q, px)) in positions.iter().enumerate() {
        p.apply_fill(&optifire_core::domain::Fill {
            fill_id: format!("seed-{i}").into(),
            client_order_id: ClientOrderId::new(format!("seed-{i}")),
            symbol: Symbol::new(sym),
            side: if q.is_sign_negative() {
                Side::Sell
            } else {
                Side::Buy
            },
            qty: Quantity(q.abs()),
            price: optifire_core::domain::Price(*px),
            commission: Money::ZERO,
            ts: Timestamp(0),
        })
        .unwrap();
    }
    p
}
