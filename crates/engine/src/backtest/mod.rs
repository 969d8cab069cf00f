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
pub mod sweep;
pub mod sweep_outputs;

pub use data::{load_backtest_data, BacktestData, DataError};
pub use metrics::{compute as compute_metrics, Metrics};
pub use outputs::{write_outputs, OutputError};
pub use shared_sim::SharedSim;
pub use sweep::{
    run_sweep, Fold, FoldSpec, IntRange, Objective, Phase, SweepCell, SweepError, SweepResult,
    SweepRow, SweepSpec,
};
pub use sweep_outputs::{write_sweep_outputs, SweepOutputError};

use crate::cycle::{ClosedTrade, Engine, EngineError, EngineOptions, EngineParts, Strategy};
use crate::exec::{sim_model, Executor, NoBackoff, RetryPolicy};
use chrono::NaiveDate;
use optifire_core::bus::Bus;
use optifire_core::calendar::NyseCalendar;
use optifire_core::clock::SimulatedClock;
use optifire_core::config::{CommissionKind, Config, Features, FillRule};
use optifire_core::data::Frequency;
use optifire_core::domain::{EquityPoint, Fill, Order};
use optifire_core::plugin::{Registry, RunnerPolicy};
use optifire_core::store::{SqliteStore, Store};
use optifire_core::Timestamp;
use optifire_venues::sim::CommissionModel;
use optifire_venues::{SessionInfo, SimConfig, SimExchange};
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
    } = spec;
    let mut notes = Vec::new();
    let loaded = load_backtest_data(&data)?;
    if loaded.dropped_rows > 0 {
        notes.push(format!(
            "{} data row(s) left out because the validator flagged them: {}",
            loaded.dropped_rows,
            loaded
                .defects
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    let daily = loaded
        .frequency
        .values()
        .all(|f| matches!(f, Frequency::Daily(_)));
    if daily && config.risk.rth_only && strategy.is_none() {
        // A daily bar is known at 16:00, the instant the session ends, so the regular-hours
        // rule would refuse every decision; orders made then fill at the next session's open,
        // inside regular hours.
        config.risk.rth_only = false;
        notes.push(
            "risk.rth_only not applied: daily bars are decided at the 16:00 close and their \
             orders fill at the next session's open"
                .into(),
        );
    }
    let sim_cfg = match sim {
        Some(s) => s,
        None => sim_config(&config, &mut notes),
    };
    let initial = sim_cfg.starting_cash;
    config.system.initial_cash = initial;

    // Bars after `to` never enter; the timeline starts at `from`.
    let mut market = optifire_core::plugin::MarketData::new();
    for s in loaded.market.symbols() {
        let bars: Vec<_> = loaded
            .market
            .view(Timestamp(i64::MAX))
            .bars(s)
            .iter()
            .filter(|b| to.is_none_or(|t| b.ts.ny_date() <= t))
            .cloned()
            .collect();
        if !bars.is_empty() {
            market.insert(s.clone(), bars).map_err(BacktestError::Sim)?;
        }
    }
    let timeline: Vec<Timestamp> = market
        .timeline()
        .into_iter()
        .filter(|t| from.is_none_or(|f| t.ny_date() >= f))
        .collect();
    let Some(&start) = timeline.first() else {
        return Err(BacktestError::EmptyRange { from, to });
    };

    let exchange = Arc::new(Mutex::new(
        SimExchange::new(sim_cfg).map_err(|e| BacktestError::Sim(e.to_string()))?,
    ));
    let shared = SharedSim(exchange);
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open_in_memory().map_err(|e| BacktestError::Store(e.to_string()))?);
    let clock = SimulatedClock::new(start);
    let executor = Executor::new(
        store.clone(),
        Box::new(shared.clone()),
        RetryPolicy::default(),
        Box::new(NoBackoff),
    );
    let bars_by_symbol: BTreeMap<_, Vec<_>> = market
        .symbols()
        .map(|s| (s.clone(), market.view(Timestamp(i64::MAX)).bars(s).to_vec()))
        .collect();
    let mut engine = Engine::new(EngineParts {
        config,
        features,
        registry,
        market,
        store: store.clone(),
        bus: Bus::new(1024),
        clock: Arc::new(clock.clone()),
        executor,
        process: None,
        options,
    })?;
    if let Some(s) = strategy {
        engine.set_strategy(s);
    }

    let calendar = NyseCalendar::new();
    let mut cursor: BTreeMap<_, usize> = bars_by_symbol
        .iter()
        .map(|(s, bars)| (s.clone(), bars.partition_point(|b| b.ts < start)))
        .collect();
    let mut errors = Vec::new();
    let mut bars_fed = 0usize;
    let total = timeline.len();
    for (done, &t) in timeline.iter().enumerate() {
        if let Err(last) = clock.advance_to(t) {
            return Err(BacktestError::Sim(format!(
                "clock at {last} cannot go back to {t}"
            )));
        }
        for (s, bars) in &bars_by_symbol {
            let Some(i) = cursor.get_mut(s) else { continue };
            while let Some(bar) = bars.get(*i).filter(|b| b.ts <= t) {
                let session = match loaded.frequency.get(s) {
                    Some(Frequency::Intraday { .. }) => SessionInfo {
                        is_session_close: calendar
                            .session(bar.ts.ny_date())
                            .is_some_and(|x| bar.ts >= x.close),
                    },
                    _ => SessionInfo::close(),
                };
                if let Err(e) = shared.lock().on_bar(bar, session) {
                    errors.push(format!("exchange refused bar: {e}"));
                }
                *i += 1;
                bars_fed += 1;
            }
        }
        let rep = engine.tick();
        errors.extend(rep.errors.into_iter().map(|e| format!("{t}: {e}")));
        progress(done + 1, total);
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
    })
}
