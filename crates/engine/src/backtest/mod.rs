//! The backtest driver: a simulated clock, bars from files, the simulated exchange, and the
//! same `Engine` paper and live trading use.
//!
//! The timeline is every bar instant of every series (`Bar.ts` is the bar's close). At each
//! instant the driver first gives the exchange the bars that closed then, so orders placed at an
//! earlier cycle fill at this bar's open (or close, for on-close orders) by the exchange's rules,
//! and only then runs the engine's cycle for that instant, which sees those fills and this close.
//! Nothing reads the wall clock and every map is ordered, so the same inputs give identical
//! outputs.

pub mod charts;
mod data;
pub mod metrics;
mod outputs;
pub mod report_html;
mod shared_sim;
pub mod sma_cross;
pub mod sma_cross_fast;
pub mod sweep;
pub mod sweep_outputs;

pub use data::{load_backtest_data, BacktestData, DataError};
pub use metrics::{compute as compute_metrics, Metrics};
pub use outputs::{write_outputs, OutputError};
pub use outputs::{write_report, write_report_with, Report};
pub use shared_sim::SharedSim;
pub use sweep::{
    run_sweep, Fold, FoldSpec, IntRange, Objective, Phase, SweepCell, SweepError, SweepResult,
    SweepRow, SweepSpec,
};
pub use sweep_outputs::{write_sweep_outputs, SweepOutputError};

use crate::cycle::{ClosedTrade, CycleReport, Engine, EngineError, EngineOptions, Strategy};
use crate::drivers::setup::{
    build_engine, load_replay, relax_rth_for_daily_bars, session_of, EngineSpec,
};
use crate::exec::{sim_model, NoBackoff};
use chrono::NaiveDate;
use optifire_core::bus::Bus;
use optifire_core::calendar::NyseCalendar;
use optifire_core::clock::SimulatedClock;
use optifire_core::config::{CommissionKind, Config, Features, FillRule};
use optifire_core::data::Frequency;
use optifire_core::domain::{EquityPoint, Fill, Money, Order};
use optifire_core::plugin::{ProcessProbe, Registry, RunnerPolicy};
use optifire_core::store::{SqliteStore, Store, WriteBehindStore};
use optifire_core::Timestamp;
use optifire_plugins::infra::procfs::ProcFsProbe;
use optifire_venues::sim::CommissionModel;
use optifire_venues::{SimConfig, SimExchange};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Why a backtest could not run.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    // Messages embed their cause and are not chained as sources, so a report prints each once.
    #[error("data: {0}")]
    Data(DataError),
    #[error("engine: {0}")]
    Engine(EngineError),
    #[error("simulated exchange: {0}")]
    Sim(String),
    #[error("store: {0}")]
    Store(String),
    #[error("no bars between {from:?} and {to:?}")]
    EmptyRange {
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
}

impl From<DataError> for BacktestError {
    fn from(e: DataError) -> Self {
        BacktestError::Data(e)
    }
}

impl From<EngineError> for BacktestError {
    fn from(e: EngineError) -> Self {
        BacktestError::Engine(e)
    }
}

/// What to backtest.
pub struct BacktestSpec {
    pub config: Config,
    pub features: Features,
    pub registry: Registry,
    /// A CSV file or a directory of them.
    pub data: PathBuf,
    /// First and last New York date traded (inclusive). Bars before `from` are still history
    /// the plugins may read; bars after `to` are not loaded.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Overrides the exchange built from `config.execution`.
    pub sim: Option<SimConfig>,
    /// Trade share counts from this strategy instead of combined plugin targets.
    pub strategy: Option<Box<dyn Strategy>>,
    pub options: EngineOptions,
    /// What `infra_psutil_health` reads: this process, via /proc, by default. Its readings go
    /// to the store only and never into a decision, so outputs stay deterministic.
    pub process: Option<Arc<dyn ProcessProbe>>,
    /// Write the store (the run record: plugin runs and outputs, events, equity and position
    /// snapshots; and the order book: orders, journal, fills) on a thread of its own
    /// (`WriteBehindStore`, which answers the order book's calls from an index it keeps).
    /// Same outputs and record either way (a test compares them). It takes the store's SQL
    /// off the engine's thread, at the cost of encoding each write onto a buffer for the
    /// writer, so it gains wall time when a second core is free and loses a little when none
    /// is. On by default (`optifire backtest --store-writer-thread false` turns it off).
    pub store_writer_thread: bool,
}

impl std::fmt::Debug for BacktestSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BacktestSpec")
            .field("data", &self.data)
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

impl BacktestSpec {
    /// A backtest of `config` and `features` on `data`, with the backtest's engine options:
    /// no misfire records (daily bars coalesce every intraday schedule by design) and no
    /// disabling for CPU or memory budget breaches, which depend on the machine and would make
    /// results differ between runs (breaches are still recorded).
    pub fn new(config: Config, features: Features, registry: Registry, data: PathBuf) -> Self {
        let failure_limit = RunnerPolicy::default().failure_limit;
        BacktestSpec {
            config,
            features,
            registry,
            data,
            from: None,
            to: None,
            sim: None,
            strategy: None,
            options: EngineOptions {
                runner_policy: RunnerPolicy {
                    breach_limit: 0,
                    failure_limit,
                },
                record_misfires: false,
                ..EngineOptions::default()
            },
            process: Some(Arc::new(ProcFsProbe::default())),
            store_writer_thread: true,
        }
    }
}

/// Everything a backtest produced.
#[derive(Debug, Clone)]
pub struct BacktestResult {
    pub metrics: Metrics,
    pub equity: Vec<EquityPoint>,
    pub fills: Vec<Fill>,
    pub closed_trades: Vec<ClosedTrade>,
    /// Final state of every order, by creation time then client id.
    pub orders: Vec<Order>,
    pub cycles: usize,
    /// Bars handed to the simulated exchange (every symbol's bars inside the date range).
    pub bars: usize,
    /// Problems the engine reported during the run.
    pub errors: Vec<String>,
    /// The run's store (a temporary file, deleted with the last handle): plugin runs, outputs,
    /// orders, journal, events.
    pub store: Arc<dyn Store>,
}

/// The exchange `config.execution` describes, and notes on what it cannot express.
pub fn sim_config(config: &Config, notes: &mut Vec<String>) -> SimConfig {
    let c = &config.execution.commission;
    let dec = |x: f64| Decimal::from_f64(x).unwrap_or(Decimal::ZERO);
    let commission = match c.kind {
        CommissionKind::PerShare => {
            if c.max_pct > 0.0 {
                notes.push(format!(
                    "execution.commission.max_pct {} is not modelled by the simulated exchange",
                    c.max_pct
                ));
            }
            CommissionModel::PerShare {
                per_share: dec(c.per_share),
                min_per_order: dec(c.min_per_order),
            }
        }
        CommissionKind::Percent => CommissionModel::PercentOfValue {
            rate: dec(c.rate_bps) / Decimal::from(10_000),
        },
        CommissionKind::Alpaca => CommissionModel::alpaca(),
    };
    if config.execution.fill_rule == FillRule::BarClose {
        notes.push(
            "execution.fill_rule bar_close: market orders still fill at the next bar's open; \
             only on-close orders fill at a close"
                .into(),
        );
    }
    SimConfig {
        starting_cash: config.system.initial_cash,
        commission,
        slippage: sim_model(&config.execution.slippage, None),
        ..SimConfig::default()
    }
}

/// Runs a backtest. See the module doc for the order of events at each instant.
pub fn run_backtest(spec: BacktestSpec) -> Result<BacktestResult, BacktestError> {
    run_backtest_with_progress(spec, &mut |_, _| {})
}

/// Runs a backtest and calls `progress(done, total)` after each of the `total` cycles, so a
/// caller can show a progress bar while the engine stays free of terminal code.
pub fn run_backtest_with_progress(
    spec: BacktestSpec,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<BacktestResult, BacktestError> {
    let mut run = BacktestRun::new(spec)?;
    let total = run.timeline.len();
    while run.step().is_some() {
        progress(run.next, total);
    }
    run.finish()
}

/// A backtest in progress, one instant at a time (`step`), for benchmarks and tools that watch
/// each cycle; `run_backtest` is `new`, `step` until `None`, `finish`.
pub struct BacktestRun {
    engine: Engine,
    shared: SharedSim,
    store: Arc<dyn Store>,
    /// `store` when it writes on its own thread, for `flush`: a queued write's failure must
    /// fail the run.
    writer: Option<Arc<WriteBehindStore>>,
    clock: SimulatedClock,
    calendar: NyseCalendar,
    frequency: BTreeMap<optifire_core::domain::Symbol, Frequency>,
    bars_by_symbol: BTreeMap<optifire_core::domain::Symbol, Vec<optifire_core::domain::Bar>>,
    cursor: BTreeMap<optifire_core::domain::Symbol, usize>,
    timeline: Vec<Timestamp>,
    next: usize,
    /// Bars handed to the simulated exchange so far.
    bars_fed: usize,
    initial: Money,
    notes: Vec<String>,
    errors: Vec<String>,
    /// Set when the run cannot go on; `finish` returns it.
    fatal: Option<BacktestError>,
    /// Cycles written in the open store batch (0: none open).
    batched: usize,
}

/// Cycles per store transaction in a backtest: a transaction's fixed cost (journaling the
/// pages it first touches, writing its dirty pages at the commit) is then spread thin.
const BATCH_CYCLES: usize = 256;

/// The backtest store's page cache: the rows themselves go to a temporary file, so a long run's
/// full record does not live in the heap (issue 7: it was 43 MB of a 70 MB peak).
const STORE_CACHE_KIB: u32 = 4096;

impl std::fmt::Debug for BacktestRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BacktestRun")
            .field("next", &self.next)
            .field("cycles", &self.timeline.len())
            .finish_non_exhaustive()
    }
}

impl BacktestRun {
    /// Loads the data and builds the engine, the exchange and the store.
    pub fn new(spec: BacktestSpec) -> Result<BacktestRun, BacktestError> {
        let BacktestSpec {
            mut config,
            features,
            registry,
            data,
            from,
            to,
            sim,
            strategy,
            options,
            process,
            store_writer_thread,
        } = spec;
        let replay = load_replay(&data, from, to)?;
        let mut notes = replay.notes.clone();
        notes.extend(relax_rth_for_daily_bars(
            &mut config,
            &replay.frequency,
            strategy.is_some(),
        ));
        let sim_cfg = match sim {
            Some(s) => s,
            None => sim_config(&config, &mut notes),
        };
        let initial = sim_cfg.starting_cash;
        config.system.initial_cash = initial;
        let Some(&start) = replay.timeline.first() else {
            return Err(BacktestError::EmptyRange { from, to });
        };
        let market = replay.market;
        let timeline = replay.timeline;

        let exchange = Arc::new(Mutex::new(
            SimExchange::new(sim_cfg).map_err(|e| BacktestError::Sim(e.to_string()))?,
        ));
        let shared = SharedSim(exchange);
        let temporary = || -> Result<Arc<dyn Store>, BacktestError> {
            Ok(Arc::new(
                SqliteStore::open_temporary(STORE_CACHE_KIB)
                    .map_err(|e| BacktestError::Store(e.to_string()))?,
            ))
        };
        // With `store_writer_thread`, the store's writes run on a thread of their own while
        // the engine goes on. The stores are private and the writes keep their order, so the
        // record and every output are the same (see `WriteBehindStore`).
        let (store, writer): (Arc<dyn Store>, _) = if store_writer_thread {
            let writer = Arc::new(WriteBehindStore::new(temporary()?, temporary()?).map_err(
                |e| BacktestError::Store(format!("cannot start the store writer thread: {e}")),
            )?);
            (writer.clone(), Some(writer))
        } else {
            (temporary()?, None)
        };
        let clock = SimulatedClock::new(start);
        let bars_by_symbol: BTreeMap<_, Vec<_>> = market
            .symbols()
            .map(|s| (s.clone(), market.view(Timestamp(i64::MAX)).bars(s).to_vec()))
            .collect();
        let engine = build_engine(EngineSpec {
            config,
            features,
            registry,
            market,
            store: store.clone(),
            bus: Bus::new(1024),
            clock: Arc::new(clock.clone()),
            broker: Box::new(shared.clone()),
            backoff: Box::new(NoBackoff),
            process,
            options,
            strategy,
        })?;

        let cursor: BTreeMap<_, usize> = bars_by_symbol
            .iter()
            .map(|(s, bars)| (s.clone(), bars.partition_point(|b| b.ts < start)))
            .collect();
        Ok(BacktestRun {
            engine,
            shared,
            store,
            writer,
            clock,
            calendar: NyseCalendar::new(),
            frequency: replay.frequency,
            bars_by_symbol,
            cursor,
            timeline,
            next: 0,
            bars_fed: 0,
            initial,
            notes,
            errors: Vec::new(),
            fatal: None,
            batched: 0,
        })
    }

    /// Instants left to run.
    pub fn remaining(&self) -> usize {
        self.timeline.len() - self.next
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs the next instant: the exchange sees the bars that closed then, then the engine's
    /// cycle runs. `None` when the timeline is done or the clock refused to move.
    pub fn step(&mut self) -> Option<CycleReport> {
        let &t = self.timeline.get(self.next)?;
        self.next += 1;
        if let Err(last) = self.clock.advance_to(t) {
            self.fatal = Some(BacktestError::Sim(format!(
                "clock at {last} cannot go back to {t}"
            )));
            self.next = self.timeline.len();
            return None;
        }
        for (s, bars) in &self.bars_by_symbol {
            let Some(i) = self.cursor.get_mut(s) else {
                continue;
            };
            while let Some(bar) = bars.get(*i).filter(|b| b.ts <= t) {
                let session = session_of(bar, self.frequency.get(s), &self.calendar);
                if let Err(e) = self.shared.lock().on_bar(bar, session) {
                    self.errors.push(format!("exchange refused bar: {e}"));
                }
                *i += 1;
                self.bars_fed += 1;
            }
        }
        // The backtest's store is private, so grouping its ~120 rows per cycle into one
        // transaction per `BATCH_CYCLES` costs nothing in safety (journal rows stay durable on
        // their own, see `Store::begin_batch`) and saves a transaction per row.
        if self.batched == 0 {
            if let Err(e) = self.store.begin_batch() {
                self.errors.push(format!("{t}: store batch: {e}"));
            }
        }
        let rep = self.engine.tick();
        self.errors
            .extend(rep.errors.iter().map(|e| format!("{t}: {e}")));
        self.batched += 1;
        if self.batched == BATCH_CYCLES || self.next == self.timeline.len() {
            self.commit_batch();
        }
        Some(rep)
    }

    fn commit_batch(&mut self) {
        self.batched = 0;
        if let Err(e) = self.store.commit_batch() {
            self.errors.push(format!("store batch: {e}"));
        }
    }

    /// The results of the instants run so far.
    pub fn finish(mut self) -> Result<BacktestResult, BacktestError> {
        if self.batched > 0 {
            self.commit_batch();
        }
        let BacktestRun {
            engine,
            store,
            writer,
            timeline,
            bars_fed,
            initial,
            mut notes,
            errors,
            fatal,
            ..
        } = self;
        if let Some(e) = fatal {
            return Err(e);
        }
        // Every queued write stored, or the run fails: its record would be incomplete.
        if let Some(w) = &writer {
            w.flush().map_err(|e| BacktestError::Store(e.to_string()))?;
        }
        let mut orders = store
            .orders(None, usize::MAX / 2)
            .map_err(|e| BacktestError::Store(e.to_string()))?;
        orders.sort_by(|a, b| {
            (a.request.created_at, &a.request.client_order_id.0)
                .cmp(&(b.request.created_at, &b.request.client_order_id.0))
        });
        let equity = engine.equity().points().to_vec();
        let fills = engine.fills().to_vec();
        let closed_trades = engine.closed_trades().to_vec();
        if !errors.is_empty() {
            notes.push(format!("{} engine problem(s) during the run", errors.len()));
        }
        let mut metrics = metrics::compute(initial, &equity, &fills, &closed_trades, notes);
        metrics.plugin_runs = engine.run_counts().clone();
        Ok(BacktestResult {
            metrics,
            equity,
            fills,
            closed_trades,
            orders,
            cycles: timeline.len(),
            bars: bars_fed,
            errors,
            store,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::config::ConfigSet;

    fn january_2025() -> BacktestSpec {
        let registry = optifire_plugins::registry();
        let set = ConfigSet::embedded(&registry).unwrap();
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/sample");
        let mut spec = BacktestSpec::new(set.config, set.features, registry, data);
        spec.from = NaiveDate::from_ymd_opt(2025, 1, 2);
        spec.to = NaiveDate::from_ymd_opt(2025, 1, 31);
        spec
    }

    /// The store's writes run on the writer thread, after the calls that queued them returned
    /// `Ok`: one that fails there must still fail the backtest, not vanish.
    #[test]
    fn a_store_write_failing_on_the_writer_thread_fails_the_backtest() {
        let mut spec = january_2025();
        spec.store_writer_thread = true;
        let mut run = BacktestRun::new(spec).unwrap();
        // A transaction opened on the run record behind the writer's back: SQLite refuses
        // the run's own `begin_batch` there, on the writer thread.
        run.writer
            .as_ref()
            .unwrap()
            .record_store()
            .begin_batch()
            .unwrap();
        while run.step().is_some() {}
        assert!(!run.errors.is_empty());
        match run.finish() {
            Err(BacktestError::Store(m)) => assert!(m.contains("begin write batch"), "{m}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    /// Everything a run gives back, and its whole record, as text.
    fn everything(writer_thread: bool) -> Vec<String> {
        let mut spec = january_2025();
        spec.store_writer_thread = writer_thread;
        // Process health readings (memory, threads) differ between any two runs.
        spec.process = None;
        let r = run_backtest(spec).unwrap();
        assert!(!r.fills.is_empty());
        let (all, s) = ((Timestamp::MIN, Timestamp::MAX), &r.store);
        vec![
            format!("{:?}", r.metrics),
            format!("{:?}", r.equity),
            format!("{:?}", r.fills),
            format!("{:?}", r.orders),
            format!("{:?}", r.errors),
            format!("{:?}", s.events_after(0, usize::MAX / 2).unwrap()),
            format!("{:?}", s.plugin_outputs(None, all.0, all.1).unwrap()),
            format!("{:?}", s.signals(None, all.0, all.1).unwrap()),
            // Features are stored packed per run: read back a few series.
            format!(
                "{:?}",
                ["AAPL", "SPY"]
                    .iter()
                    .flat_map(|sym| ["kalman_level", "kalman_slope"].map(|n| (*sym, n)))
                    .map(|(sym, n)| s.features(&sym.into(), n, all.0, all.1).unwrap())
                    .collect::<Vec<_>>()
            ),
            format!("{:?}", s.equity(all.0, all.1).unwrap()),
            format!("{:?}", s.latest_position_snapshot().unwrap()),
            format!("{:?}", s.fills(all.0, all.1).unwrap()),
            format!("{:?}", s.plugin_states().unwrap()),
            format!(
                "{:?}",
                r.orders
                    .iter()
                    .map(|o| s.journal(&o.request.client_order_id).unwrap())
                    .collect::<Vec<_>>()
            ),
            // Run records carry measured CPU and wall times: compare what is not measured.
            format!(
                "{:?}",
                s.plugin_runs(None, usize::MAX / 2)
                    .unwrap()
                    .iter()
                    .map(|r| (&r.plugin_id, r.started_at, &r.status, r.outputs))
                    .collect::<Vec<_>>()
            ),
        ]
    }

    /// The writer thread changes where the record is written, never what.
    #[test]
    fn the_writer_thread_changes_no_output_and_no_record() {
        let a = everything(true);
        let b = everything(false);
        // The features read back are there to compare.
        assert!(a[8].contains("kalman_level"), "{}", a[8]);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y);
        }
    }

    #[test]
    fn a_clean_run_flushes_its_record_before_it_returns() {
        let mut spec = january_2025();
        spec.store_writer_thread = true;
        let mut run = BacktestRun::new(spec).unwrap();
        while run.step().is_some() {}
        assert_eq!(run.errors, Vec::<String>::new());
        let r = run.finish().unwrap();
        assert!(r.cycles > 10, "{}", r.cycles);
        // Every cycle's equity point is in the store, the last one queued included.
        let stored = r.store.equity(Timestamp::MIN, Timestamp::MAX).unwrap();
        assert_eq!(stored, r.equity);
        assert!(!r.store.plugin_runs(None, 10).unwrap().is_empty());
    }
}
