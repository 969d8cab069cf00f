//! The paper driver: a replay of bar files (or, with feature `alpaca`, Alpaca's live data)
//! traded on the simulated exchange in real time, through the backtest's engine construction.
//!
//! `paper_replay` prepares data, exchange and engine exactly as `run_backtest` does (same
//! `setup` functions), so a paper session over the same bars makes the same decisions and
//! gets the same fills; only the pacing differs, and that is measured on the injected clock.

use super::control::{channel, EngineHandle};
use super::drive::{Applied, Driver, DriverOptions};
use super::feed::{Feed, Pace, ReplayFeed};
use super::setup::{build_engine, load_replay, relax_rth_for_daily_bars, EngineSpec};
use super::wait::Waiter;
use crate::backtest::{sim_config, DataError, SharedSim};
use crate::cycle::{EngineError, EngineOptions, Strategy};
use crate::exec::{Backoff, NoBackoff};
use crate::reconcile::{ReconcilePolicy, Reconciler};
use chrono::NaiveDate;
use optifire_core::bus::Bus;
use optifire_core::clock::Clock;
use optifire_core::config::{Config, Features};
use optifire_core::data::Frequency;
use optifire_core::domain::Money;
use optifire_core::domain::Symbol;
use optifire_core::plugin::{MarketData, ProcessProbe, Registry};
use optifire_core::store::{PositionSnapshot, Store};
use optifire_core::venue::Broker;
use optifire_core::Timestamp;
use optifire_venues::{SimConfig, SimExchange};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// Why a driver could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("data: {0}")]
    Data(DataError),
    #[error("engine: {0}")]
    Engine(EngineError),
    #[error("simulated exchange: {0}")]
    Sim(String),
    #[error("store: {0}")]
    Store(String),
    #[error("no bars to replay between {from:?} and {to:?}")]
    EmptyReplay {
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
    #[error("broker: {0}")]
    Broker(String),
}

impl From<DataError> for DriverError {
    fn from(e: DataError) -> Self {
        DriverError::Data(e)
    }
}

impl From<EngineError> for DriverError {
    fn from(e: EngineError) -> Self {
        DriverError::Engine(e)
    }
}

/// A driver, the handle to command it, and notes on what was adjusted or left out.
#[derive(Debug)]
pub struct Prepared {
    pub driver: Driver,
    pub handle: EngineHandle,
    pub notes: Vec<String>,
}

/// Where a real-time driver's orders go.
pub enum Venue {
    /// The simulated exchange; it sees every bar before the engine cycles.
    Sim(SimConfig),
    /// An outside broker (Alpaca). `resync` is raised by the broker when its connection came
    /// back, so the driver reconciles before trading on.
    Broker {
        broker: Box<dyn Broker>,
        resync: Option<Arc<AtomicBool>>,
    },
}

impl std::fmt::Debug for Venue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Venue::Sim(c) => f.debug_tuple("Sim").field(c).finish(),
            Venue::Broker { .. } => f.write_str("Broker"),
        }
    }
}

/// Everything a real-time driver is assembled from.
pub struct RealtimeParts {
    pub config: Config,
    pub features: Features,
    pub registry: Registry,
    /// Bars known before the first cycle.
    pub history: MarketData,
    pub frequency: BTreeMap<Symbol, Frequency>,
    pub feed: Box<dyn Feed>,
    pub venue: Venue,
    pub store: Arc<dyn Store>,
    pub bus: Bus,
    pub clock: Arc<dyn Clock>,
    pub waiter: Box<dyn Waiter>,
    pub backoff: Box<dyn Backoff>,
    pub process: Option<Arc<dyn ProcessProbe>>,
    pub strategy: Option<Box<dyn Strategy>>,
    pub options: EngineOptions,
    pub driver: DriverOptions,
    pub reconcile: ReconcilePolicy,
    /// The engine's time before its first cycle.
    pub start: Timestamp,
}

impl std::fmt::Debug for RealtimeParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimeParts")
            .field("feed", &self.feed)
            .field("venue", &self.venue)
            .finish_non_exhaustive()
    }
}

/// Assembles a driver: engine (via `setup::build_engine`), reconciler carrying any halt stored
/// by an earlier process, and the command channel.
pub fn realtime_driver(parts: RealtimeParts) -> Result<Prepared, DriverError> {
    let RealtimeParts {
        config,
        features,
        registry,
        history,
        frequency,
        feed,
        venue,
        store,
        bus,
        clock,
        waiter,
        backoff,
        process,
        strategy,
        options,
        driver,
        reconcile,
        start,
    } = parts;
    let (exchange, broker, resync): (Option<SharedSim>, Box<dyn Broker>, _) = match venue {
        Venue::Sim(cfg) => {
            let x = SharedSim(Arc::new(Mutex::new(
                SimExchange::new(cfg).map_err(|e| DriverError::Sim(e.to_string()))?,
            )));
            (Some(x.clone()), Box::new(x), None)
        }
        Venue::Broker { broker, resync } => (None, broker, resync),
    };
    // Orders of an earlier session in the same store keep their ids: start numbering after
    // them (a fresh store starts at 0, exactly like a backtest).
    let earlier = store
        .orders(None, usize::MAX / 2)
        .map_err(|e| DriverError::Store(e.to_string()))?
        .len();
    let reconciler = Reconciler::restore(store.as_ref(), reconcile)
        .map_err(|e| DriverError::Store(e.to_string()))?;
    let applied = Applied {
        config: config.clone(),
        features: features.clone(),
        record_misfires: options.record_misfires,
        has_strategy: strategy.is_some(),
    };
    let mut engine = build_engine(EngineSpec {
        config,
        features,
        registry,
        market: history,
        store: store.clone(),
        bus,
        clock: clock.clone(),
        broker,
        backoff,
        process,
        options,
        strategy,
    })?;
    engine.continue_sequence_after(u64::try_from(earlier).unwrap_or(u64::MAX));
    if exchange.is_none() {
        // An outside account outlives the process: continue from the ledger this store last
        // recorded (reconciliation then only sees what happened while we were away), or, on a
        // first start, from the account's cash (any positions it holds are then differences
        // an operator must acknowledge).
        match store
            .latest_position_snapshot()
            .map_err(|e| DriverError::Store(e.to_string()))?
        {
            Some(snapshot) => engine.restore_ledger(&snapshot),
            None => {
                let cash = engine.broker().account().cash;
                engine.restore_ledger(&PositionSnapshot {
                    ts: start,
                    cash,
                    commissions_paid: Money::ZERO,
                    positions: Vec::new(),
                });
            }
        }
    }
    let (handle, commands) = channel();
    Ok(Prepared {
        driver: Driver {
            engine,
            feed,
            exchange,
            frequency,
            clock,
            waiter,
            commands,
            reconciler,
            resync,
            options: driver,
            start,
            applied,
        },
        handle,
        notes: Vec::new(),
    })
}

/// What to paper-trade from files.
pub struct PaperSpec {
    pub config: Config,
    pub features: Features,
    pub registry: Registry,
    /// A CSV file or a directory of them (default `data/sample`).
    pub data: PathBuf,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub pace: Pace,
    pub store: Arc<dyn Store>,
    pub bus: Bus,
    /// `RealClock` in production; a `SimulatedClock` (with `SimWaiter`) in tests.
    pub clock: Arc<dyn Clock>,
    pub waiter: Box<dyn Waiter>,
    /// Overrides the exchange built from `config.execution`.
    pub sim: Option<SimConfig>,
    pub strategy: Option<Box<dyn Strategy>>,
    pub process: Option<Arc<dyn ProcessProbe>>,
    pub options: EngineOptions,
    pub driver: DriverOptions,
    pub reconcile: ReconcilePolicy,
}

impl std::fmt::Debug for PaperSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaperSpec")
            .field("data", &self.data)
            .field("pace", &self.pace)
            .finish_non_exhaustive()
    }
}

impl PaperSpec {
    /// Paper trading of `data` at `data.replay_speed`, default engine, driver and
    /// reconciliation settings.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: Config,
        features: Features,
        registry: Registry,
        data: PathBuf,
        store: Arc<dyn Store>,
        bus: Bus,
        clock: Arc<dyn Clock>,
        waiter: Box<dyn Waiter>,
    ) -> PaperSpec {
        let pace = Pace::from_replay_speed(config.data.replay_speed);
        PaperSpec {
            config,
            features,
            registry,
            data,
            from: None,
            to: None,
            pace,
            store,
            bus,
            clock,
            waiter,
            sim: None,
            strategy: None,
            process: None,
            options: EngineOptions::default(),
            driver: DriverOptions::default(),
            reconcile: ReconcilePolicy::default(),
        }
    }
}

/// Prepares paper trading of replayed files on the simulated exchange. Data, the regular-hours
/// adjustment for daily bars and the exchange come from the same functions the backtest uses.
pub fn paper_replay(spec: PaperSpec) -> Result<Prepared, DriverError> {
    let PaperSpec {
        mut config,
        features,
        registry,
        data,
        from,
        to,
        pace,
        store,
        bus,
        clock,
        waiter,
        sim,
        strategy,
        process,
        mut options,
        driver,
        reconcile,
    } = spec;
    let replay = load_replay(&data, from, to)?;
    let mut notes = replay.notes.clone();
    notes.extend(relax_rth_for_daily_bars(
        &mut config,
        &replay.frequency,
        strategy.is_some(),
    ));
    if replay
        .frequency
        .values()
        .all(|f| matches!(f, Frequency::Daily(_)))
    {
        // Daily bars coalesce every intraday schedule by design; not a misfire worth a record.
        options.record_misfires = false;
    }
    let sim_cfg = match sim {
        Some(s) => s,
        None => sim_config(&config, &mut notes),
    };
    config.system.initial_cash = sim_cfg.starting_cash;
    let Some(&start) = replay.timeline.first() else {
        return Err(DriverError::EmptyReplay { from, to });
    };
    let (history, instants) = replay.split();
    let mut prepared = realtime_driver(RealtimeParts {
        config,
        features,
        registry,
        history,
        frequency: replay.frequency,
        feed: Box::new(ReplayFeed::new(instants, pace)),
        venue: Venue::Sim(sim_cfg),
        store,
        bus,
        clock,
        waiter,
        backoff: Box::new(NoBackoff),
        process,
        strategy,
        options,
        driver,
        reconcile,
        start,
    })?;
    prepared.notes = notes;
    Ok(prepared)
}
