//! The live driver (feature `alpaca`): the paper driver's loop with the wall clock, Alpaca's
//! daily bars as the feed, and Alpaca's broker (or the simulated exchange, for paper trading on
//! live data).
//!
//! The default plugins decide on daily bars, as the backtest does, so the live feed delivers
//! each session's daily bar from Alpaca's Market Data API once the session has closed (polled,
//! split-adjusted like the history it extends); orders made then are queued by Alpaca for the
//! next open, which is the fill the backtest assumes.

use super::drive::DriverOptions;
use super::feed::{Batch, Feed, FeedPoll};
use super::paper::{realtime_driver, DriverError, Prepared, RealtimeParts, Venue};
use super::setup::relax_rth_for_daily_bars;
use super::wait::Waiter;
use crate::cycle::EngineOptions;
use crate::exec::{NoBackoff, SleepBackoff};
use crate::reconcile::ReconcilePolicy;
use optifire_core::bus::Bus;
use optifire_core::clock::Clock;
use optifire_core::config::{Config, Features};
use optifire_core::data::{DailyClose, Frequency};
use optifire_core::domain::{Bar, Symbol};
use optifire_core::plugin::{MarketData, ProcessProbe, Registry};
use optifire_core::store::Store;
use optifire_core::Timestamp;
use optifire_venues::alpaca::{
    Adjustment, AlpacaBroker, AlpacaClient, AlpacaConfig, AlpacaCredentials, BarsQuery,
    StreamOptions, Timeframe,
};
use optifire_venues::SimConfig;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::runtime::Runtime;

const NANOS: i64 = 1_000_000_000;
const DAY_SECS: i64 = 86_400;

/// Daily bars from Alpaca's Market Data API, polled. See the module doc.
pub struct AlpacaDailyFeed {
    client: AlpacaClient,
    rt: Runtime,
    symbols: Vec<Symbol>,
    /// Last bar released per symbol.
    last: BTreeMap<Symbol, Timestamp>,
    /// Bars fetched and not yet released, by instant.
    queue: BTreeMap<Timestamp, Vec<Bar>>,
    next_check: Timestamp,
    check_every_secs: i64,
}

impl std::fmt::Debug for AlpacaDailyFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlpacaDailyFeed")
            .field("symbols", &self.symbols)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

fn runtime() -> Result<Runtime, DriverError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("alpaca-feed")
        .enable_all()
        .build()
        .map_err(|e| DriverError::Broker(format!("start the Alpaca feed runtime: {e}")))
}

impl AlpacaDailyFeed {
    /// A feed of `symbols` releasing bars after `history`'s last bar per symbol, checking every
    /// `check_every_secs`.
    pub fn new(
        config: AlpacaConfig,
        creds: AlpacaCredentials,
        symbols: Vec<Symbol>,
        history: &MarketData,
        check_every_secs: i64,
    ) -> Result<AlpacaDailyFeed, DriverError> {
        let client =
            AlpacaClient::new(config, creds).map_err(|e| DriverError::Broker(e.to_string()))?;
        let all = history.view(Timestamp(i64::MAX));
        let last = symbols
            .iter()
            .filter_map(|s| all.last(s).map(|b| (s.clone(), b.ts)))
            .collect();
        Ok(AlpacaDailyFeed {
            client,
            rt: runtime()?,
            symbols,
            last,
            queue: BTreeMap::new(),
            next_check: Timestamp(i64::MIN),
            check_every_secs: check_every_secs.max(1),
        })
    }

    /// Releases only bars after `history`'s last bar per symbol.
    pub fn continue_after(&mut self, history: &MarketData) {
        let all = history.view(Timestamp(i64::MAX));
        for s in &self.symbols {
            if let Some(b) = all.last(s) {
                self.last.insert(s.clone(), b.ts);
            }
        }
    }

    /// Daily bars of `symbols` closed by `now`, `days` calendar days back, split-adjusted.
    pub fn history(&self, now: Timestamp, days: i64) -> Result<MarketData, DriverError> {
        let mut market = MarketData::new();
        for s in &self.symbols {
            let bars = self.fetch(s, now.plus_secs(-days * DAY_SECS), now)?;
            if !bars.is_empty() {
                market
                    .insert(s.clone(), bars)
                    .map_err(DriverError::Broker)?;
            }
        }
        Ok(market)
    }

    fn fetch(&self, s: &Symbol, start: Timestamp, now: Timestamp) -> Result<Vec<Bar>, DriverError> {
        let q = BarsQuery {
            symbol: s.clone(),
            timeframe: Timeframe::Day,
            start,
            end: now,
            page_limit: 10_000,
            adjustment: Adjustment::Split,
        };
        let mut bars = self
            .rt
            .block_on(self.client.bars(&q))
            .map_err(|e| DriverError::Broker(format!("{s} daily bars: {e}")))?;
        // A session still trading has a partial daily bar, stamped at its future close.
        bars.retain(|b| b.ts <= now);
        Ok(bars)
    }

    fn check(&mut self, now: Timestamp) {
        for s in self.symbols.clone() {
            let from = self
                .last
                .get(&s)
                .map_or(now.plus_secs(-10 * DAY_SECS), |t| t.plus_secs(1));
            match self.fetch(&s, from, now) {
                Ok(bars) => {
                    for b in bars {
                        if self.last.get(&s).is_none_or(|t| b.ts > *t) {
                            self.last.insert(s.clone(), b.ts);
                            self.queue.entry(b.ts).or_default().push(b);
                        }
                    }
                }
                Err(e) => tracing::warn!("live feed: {e}; trying again later"),
            }
        }
    }
}

impl Feed for AlpacaDailyFeed {
    fn poll(&mut self, now: Timestamp) -> FeedPoll {
        if self.queue.is_empty() && now >= self.next_check {
            self.next_check = Timestamp(
                now.0
                    .saturating_add(self.check_every_secs.saturating_mul(NANOS)),
            );
            self.check(now);
        }
        match self.queue.pop_first() {
            Some((at, mut bars)) => {
                bars.sort_by(|a, b| a.symbol.cmp(&b.symbol));
                FeedPoll::Ready(Batch { at, bars })
            }
            None => FeedPoll::Wait(self.next_check),
        }
    }

    fn is_live(&self) -> bool {
        true
    }
}

/// Where live orders go.
#[derive(Debug)]
pub enum LiveVenue {
    /// Alpaca's broker at `AlpacaConfig::trading_base_url` (paper or live account).
    Alpaca,
    /// The simulated exchange: paper trading on live data.
    Sim(SimConfig),
}

/// What to trade live.
pub struct LiveSpec {
    pub config: Config,
    pub features: Features,
    pub registry: Registry,
    pub alpaca: AlpacaConfig,
    pub creds: AlpacaCredentials,
    pub venue: LiveVenue,
    pub store: Arc<dyn Store>,
    pub bus: Bus,
    /// `RealClock` in production.
    pub clock: Arc<dyn Clock>,
    pub waiter: Box<dyn Waiter>,
    /// Calendar days of daily history loaded at start (VaR needs `risk.var_lookback_days`
    /// sessions).
    pub history_days: i64,
    /// How often the feed asks for new daily bars, seconds.
    pub check_every_secs: i64,
    pub process: Option<Arc<dyn ProcessProbe>>,
    pub options: EngineOptions,
    pub driver: DriverOptions,
    pub reconcile: ReconcilePolicy,
}

impl std::fmt::Debug for LiveSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSpec")
            .field("alpaca", &self.alpaca)
            .field("venue", &self.venue)
            .finish_non_exhaustive()
    }
}

/// Prepares the live driver: history and feed from Alpaca's Market Data API, orders to
/// `spec.venue`. With the Alpaca broker the driver reconciles at start-up against the account
/// and again whenever the trade-updates stream reconnects.
pub fn live(spec: LiveSpec) -> Result<Prepared, DriverError> {
    let LiveSpec {
        mut config,
        features,
        registry,
        alpaca,
        creds,
        venue,
        store,
        bus,
        clock,
        waiter,
        history_days,
        check_every_secs,
        process,
        mut options,
        driver,
        reconcile,
    } = spec;
    let symbols = config.system.symbols.clone();
    let mut feed = AlpacaDailyFeed::new(
        alpaca.clone(),
        creds.clone(),
        symbols.clone(),
        &MarketData::new(),
        check_every_secs,
    )?;
    let now = clock.now();
    let history = feed.history(now, history_days)?;
    feed.continue_after(&history);
    let frequency: BTreeMap<Symbol, Frequency> = symbols
        .iter()
        .map(|s| (s.clone(), Frequency::Daily(DailyClose::ExchangeClose)))
        .collect();
    let notes: Vec<String> = relax_rth_for_daily_bars(&mut config, &frequency, false)
        .into_iter()
        .collect();
    options.record_misfires = false;
    let (venue, backoff): (Venue, Box<dyn crate::exec::Backoff>) = match venue {
        LiveVenue::Sim(cfg) => {
            config.system.initial_cash = cfg.starting_cash;
            (Venue::Sim(cfg), Box::new(NoBackoff))
        }
        LiveVenue::Alpaca => {
            let broker = AlpacaBroker::connect(alpaca, creds, StreamOptions::default())
                .map_err(|e| DriverError::Broker(e.to_string()))?;
            let resync = Some(broker.resync_flag());
            (
                Venue::Broker {
                    broker: Box::new(broker),
                    resync,
                },
                Box::new(SleepBackoff {
                    base_ms: 500,
                    max_ms: 10_000,
                }),
            )
        }
    };
    let mut prepared = realtime_driver(RealtimeParts {
        config,
        features,
        registry,
        history,
        frequency,
        feed: Box::new(feed),
        venue,
        store,
        bus,
        clock,
        waiter,
        backoff,
        process,
        strategy: None,
        options,
        driver,
        reconcile,
        start: now,
    })?;
    prepared.notes = notes;
    Ok(prepared)
}
