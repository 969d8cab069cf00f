//! Construction every driver shares: replayed data cut to a date range, the engine with its
//! executor, and the session rule the simulated exchange needs for each bar.
//!
//! The backtest and the paper replay call the same functions, so a paper session on the same
//! bars builds the same engine and feeds the exchange the same way: that is what makes the
//! backtest a faithful rehearsal of paper trading.

use crate::backtest::{load_backtest_data, DataError};
use crate::cycle::{Engine, EngineError, EngineOptions, EngineParts, Strategy};
use crate::exec::{Backoff, Executor, RetryPolicy};
use chrono::NaiveDate;
use optifire_core::bus::Bus;
use optifire_core::calendar::NyseCalendar;
use optifire_core::clock::Clock;
use optifire_core::config::{Config, Features};
use optifire_core::data::Frequency;
use optifire_core::domain::{Bar, Symbol};
use optifire_core::plugin::{MarketData, ProcessProbe, Registry};
use optifire_core::store::Store;
use optifire_core::venue::Broker;
use optifire_core::Timestamp;
use optifire_venues::SessionInfo;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Bars to replay: everything up to `to`, the instants from `from` on, and what was left out.
#[derive(Debug, Clone)]
pub struct ReplayData {
    /// Every bar up to `to` (history before `from` included: plugins may read it).
    pub market: MarketData,
    pub frequency: BTreeMap<Symbol, Frequency>,
    /// The instants to trade, from `from` on, sorted and unique.
    pub timeline: Vec<Timestamp>,
    /// What the loader and validator left out, for the run's notes.
    pub notes: Vec<String>,
}

impl ReplayData {
    /// The bars known before the first traded instant (the engine's starting history) and,
    /// per traded instant, the bars that closed at it, in symbol order.
    pub fn split(&self) -> (MarketData, Vec<(Timestamp, Vec<Bar>)>) {
        let start = self
            .timeline
            .first()
            .copied()
            .unwrap_or(Timestamp(i64::MAX));
        let mut history = MarketData::new();
        let mut at: BTreeMap<Timestamp, Vec<Bar>> = BTreeMap::new();
        let all = self.market.view(Timestamp(i64::MAX));
        for s in self.market.symbols() {
            let bars = all.bars(s);
            let cut = bars.partition_point(|b| b.ts < start);
            if cut > 0 {
                // Already strictly increasing: it came out of a `MarketData`.
                let _ = history.insert(s.clone(), bars[..cut].to_vec());
            }
            for b in &bars[cut..] {
                at.entry(b.ts).or_default().push(b.clone());
            }
        }
        (history, at.into_iter().collect())
    }
}

/// Loads `data` (a CSV file or a directory of them) as `load_backtest_data` does and cuts it:
/// bars after `to` never enter; the timeline starts at `from` (New York dates, inclusive).
pub fn load_replay(
    data: &Path,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<ReplayData, DataError> {
    let loaded = load_backtest_data(data)?;
    let mut notes = Vec::new();
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
    let mut market = MarketData::new();
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
            market.insert(s.clone(), bars).map_err(DataError::Order)?;
        }
    }
    let timeline = market
        .timeline()
        .into_iter()
        .filter(|t| from.is_none_or(|f| t.ny_date() >= f))
        .collect();
    Ok(ReplayData {
        market,
        frequency: loaded.frequency,
        timeline,
        notes,
    })
}

/// Daily bars are known at 16:00, the instant the session ends, so the regular-hours rule would
/// refuse every decision; their orders fill at the next session's open, inside regular hours.
/// Turns `risk.rth_only` off for an all-daily replay traded by plugin targets and says so.
pub fn relax_rth_for_daily_bars(
    config: &mut Config,
    frequency: &BTreeMap<Symbol, Frequency>,
    has_strategy: bool,
) -> Option<String> {
    let daily = frequency.values().all(|f| matches!(f, Frequency::Daily(_)));
    if !(daily && config.risk.rth_only && !has_strategy) {
        return None;
    }
    config.risk.rth_only = false;
    Some(
        "risk.rth_only not applied: daily bars are decided at the 16:00 close and their \
         orders fill at the next session's open"
            .into(),
    )
}

/// Whether `bar` ends its session, for the simulated exchange (closing auction, Day expiry):
/// every daily bar does; an intraday bar does when it closes at or after the session's close.
pub fn session_of(
    bar: &Bar,
    frequency: Option<&Frequency>,
    calendar: &NyseCalendar,
) -> SessionInfo {
    match frequency {
        Some(Frequency::Intraday { .. }) => SessionInfo {
            is_session_close: calendar
                .session(bar.ts.ny_date())
                .is_some_and(|x| bar.ts >= x.close),
        },
        _ => SessionInfo::close(),
    }
}

/// What a driver builds an engine from.
pub struct EngineSpec {
    pub config: Config,
    pub features: Features,
    pub registry: Registry,
    pub market: MarketData,
    pub store: Arc<dyn Store>,
    pub bus: Bus,
    pub clock: Arc<dyn Clock>,
    pub broker: Box<dyn Broker>,
    /// Waits between submit retries (`NoBackoff` for simulations).
    pub backoff: Box<dyn Backoff>,
    pub process: Option<Arc<dyn ProcessProbe>>,
    pub options: EngineOptions,
    pub strategy: Option<Box<dyn Strategy>>,
}

impl std::fmt::Debug for EngineSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSpec").finish_non_exhaustive()
    }
}

/// The engine every driver runs: journal-first executor over `broker`, default retry policy.
pub fn build_engine(spec: EngineSpec) -> Result<Engine, EngineError> {
    let EngineSpec {
        config,
        features,
        registry,
        market,
        store,
        bus,
        clock,
        broker,
        backoff,
        process,
        options,
        strategy,
    } = spec;
    let executor = Executor::new(store.clone(), broker, RetryPolicy::default(), backoff);
    let mut engine = Engine::new(EngineParts {
        config,
        features,
        registry,
        market,
        store,
        bus,
        clock,
        executor,
        process,
        options,
    })?;
    if let Some(s) = strategy {
        engine.set_strategy(s);
    }
    Ok(engine)
}
