//! The engine's cycle end to end, with a probe plugin: it cannot see the next bar, its signal
//! is held back while the risk inputs warm up, and once they are ready the signal becomes an
//! order, the order a fill at the next bar's open, and the fill a position and cash worked by
//! hand.

use optifire_core::bus::Bus;
use optifire_core::clock::SimulatedClock;
use optifire_core::config::{Budget, Config, Features, PluginFlags};
use optifire_core::domain::{Bar, Money, Quantity, Signal, Symbol};
use optifire_core::plugin::{
    Category, Context, MarketData, Output, Plugin, PluginError, PluginMeta, PluginPlan, Registry,
};
use optifire_core::store::{SqliteStore, Store};
use optifire_core::Timestamp;
use optifire_engine::backtest::SharedSim;
use optifire_engine::cycle::{Engine, EngineOptions, EngineParts};
use optifire_engine::exec::{Executor, NoBackoff, RetryPolicy};
use optifire_venues::sim::{CommissionModel, SimConfig};
use optifire_venues::{SessionInfo, SimExchange};
use rust_decimal_macros::dec;
use std::sync::{Arc, Mutex};

/// (now, number of AAA bars visible, latest visible bar instant) per run.
static SEEN: Mutex<Vec<(Timestamp, usize, Option<Timestamp>)>> = Mutex::new(Vec::new());

/// Takes a catalogue id so the registry accepts it; always signals AAA fully long.
#[derive(Default)]
struct Probe;

impl Plugin for Probe {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: "alpha_t_stat_threshold".into(),
            name: "probe".into(),
            category: Category::Alpha,
            version: "0".into(),
            description: "test probe".into(),
            inputs: vec![],
            outputs: vec![],
            est_cpu_ms: 0.0,
            est_mem_mb: 0.0,
        }
    }
    fn plan(&self) -> PluginPlan {
        PluginPlan {
            schedule: "@close".into(),
            depends_on: vec![],
        }
    }
    fn run(&mut self, ctx: &Context<'_>) -> Result<Vec<Output>, PluginError> {
        let aaa = Symbol::new("AAA");
        let bars = ctx.market.bars(&aaa);
        // Trying to peek: the bar after the last visible one is not there.
        let peek = ctx.market.last_n(&aaa, usize::MAX).len();
        assert_eq!(peek, bars.len());
        SEEN.lock()
            .unwrap()
            .push((ctx.now, bars.len(), bars.last().map(|b| b.ts)));
        Ok(vec![Output::Signal {
            symbol: aaa,
            value: Signal::new(1.0).unwrap(),
        }])
    }
}

/// 16:00 New York (21:00 UTC in January) on 2024-01-08 + d.
fn close_ts(d: i64) -> Timestamp {
    Timestamp::from_secs(1_704_747_600 + d * 86_400)
}

fn bar(sym: &str, d: i64, open: f64, close: f64) -> Bar {
    Bar {
        symbol: sym.into(),
        ts: close_ts(d),
        open,
        high: open.max(close) + 1.0,
        low: open.min(close) - 1.0,
        close,
        volume: 1e6,
    }
}

#[test]
fn no_look_ahead_warm_up_then_order_fill_and_ledger() {
    // Monday 8 to Friday 12 January 2024.
    let aaa = [
        (100.0, 100.0),
        (100.0, 101.0),
        (101.0, 100.5),
        (100.5, 102.0),
        (102.5, 103.0),
    ];
    let spy = [
        (400.0, 400.0),
        (400.0, 404.0),
        (404.0, 402.0),
        (402.0, 406.0),
        (406.0, 405.0),
    ];
    let aaa_bars: Vec<Bar> = aaa
        .iter()
        .enumerate()
        .map(|(d, (o, c))| bar("AAA", d as i64, *o, *c))
        .collect();
    let spy_bars: Vec<Bar> = spy
        .iter()
        .enumerate()
        .map(|(d, (o, c))| bar("SPY", d as i64, *o, *c))
        .collect();
    let mut market = MarketData::new();
    market.insert("AAA".into(), aaa_bars.clone()).unwrap();
    market.insert("SPY".into(), spy_bars.clone()).unwrap();

    let mut config = Config::default();
    config.system.initial_cash = Money(dec!(100000));
    config.risk.rth_only = false;
    config.risk.var_lookback_days = 3;
    config.risk.beta_hedge_threshold = 100.0;
    let features = Features {
        plugins: [(
            "alpha_t_stat_threshold".to_string(),
            PluginFlags {
                enabled: true,
                schedule: "@close".into(),
                budget: Budget {
                    cpu_ms: 1e6,
                    mem_mb: 1e6,
                },
                params: serde_json::Value::Null,
            },
        )]
        .into(),
    };
    let mut registry = Registry::new();
    registry.register(|| Box::new(Probe)).unwrap();

    let sim = SharedSim(Arc::new(Mutex::new(
        SimExchange::new(SimConfig {
            starting_cash: Money(dec!(100000)),
            commission: CommissionModel::None,
            ..SimConfig::default()
        })
        .unwrap(),
    )));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let clock = SimulatedClock::new(close_ts(0));
    let mut engine = Engine::new(EngineParts {
        config,
        features,
        registry,
        market,
        store: store.clone(),
        bus: Bus::new(64),
        clock: Arc::new(clock.clone()),
        executor: Executor::new(
            store.clone(),
            Box::new(sim.clone()),
            RetryPolicy::default(),
            Box::new(NoBackoff),
        ),
        process: None,
        options: EngineOptions::default(),
    })
    .unwrap();

    let mut reports = Vec::new();
    for d in 0..5 {
        for b in [&aaa_bars[d], &spy_bars[d]] {
            sim.lock().on_bar(b, SessionInfo::close()).unwrap();
        }
        clock.advance_to(close_ts(d as i64)).unwrap();
        reports.push(engine.tick());
    }

    // Look-ahead: at every cycle the plugin saw exactly the bars closed by then.
    let seen = SEEN.lock().unwrap().clone();
    assert_eq!(seen.len(), 5);
    for (d, (now, n, last)) in seen.iter().enumerate() {
        assert_eq!(*now, close_ts(d as i64));
        assert_eq!(*n, d + 1);
        assert_eq!(*last, Some(close_ts(d as i64)));
    }

    // Days 0 to 2: fewer than 3 returns, the risk engine fails closed and nothing is sent.
    for r in &reports[..3] {
        assert!(r.orders.is_empty(), "{:?}", r.orders);
        assert!(
            r.risk_decisions.iter().any(|d| d.rule == "warm_up"),
            "{:#?}",
            r.risk_decisions
        );
        assert!(
            r.risk_decisions
                .iter()
                .any(|d| d.rule == "fail_closed" && d.reason.contains("cannot be computed")),
            "{:#?}",
            r.risk_decisions
        );
        assert_eq!(r.combined.targets[&Symbol::new("AAA")], 1.0);
    }
    // Day 3: target 1.0 capped to 10%: 0.1 x 100,000 / 102 = 98.04 -> 98 shares.
    let r2 = &reports[3];
    assert!(!r2.risk_decisions.iter().any(|d| d.rule == "warm_up"));
    assert_eq!(r2.orders.len(), 1, "{:?}", r2.risk_decisions);
    assert_eq!(r2.orders[0].qty, Quantity(dec!(98)));
    // Day 4: filled at day 4's open 102.5 before the cycle: cash 100,000 - 98 x 102.5 = 89,955;
    // equity at the close 103: 89,955 + 98 x 103 = 100,049.
    let r3 = &reports[4];
    assert_eq!(r3.fills.len(), 1);
    assert_eq!(r3.fills[0].price.0, dec!(102.5));
    let eq3 = r3.equity.unwrap();
    assert_eq!(eq3.cash.0, dec!(89955));
    assert_eq!(eq3.equity.0, dec!(100049));
    assert_eq!(eq3.gross_exposure.0, dec!(10094));
    // The engine's ledger and the exchange's agree.
    assert_eq!(engine.portfolio(), sim.lock().portfolio());
    // Every decision was stored as an event.
    let stored = store.events_after(0, 10_000).unwrap();
    let risk_events = stored.iter().filter(|(_, e)| e.kind() == "risk").count();
    let decisions: usize = reports.iter().map(|r| r.risk_decisions.len()).sum();
    assert_eq!(risk_events, decisions);
}

/// Panics on every run; takes another catalogue id.
struct Crash;

impl Plugin for Crash {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: "alpha_vrp".into(),
            name: "crash".into(),
            category: Category::Alpha,
            version: "0".into(),
            description: "always panics".into(),
            inputs: vec![],
            outputs: vec![],
            est_cpu_ms: 0.0,
            est_mem_mb: 0.0,
        }
    }
    fn plan(&self) -> PluginPlan {
        PluginPlan {
            schedule: "@close".into(),
            depends_on: vec![],
        }
    }
    fn run(&mut self, _ctx: &Context<'_>) -> Result<Vec<Output>, PluginError> {
        panic!("boom");
    }
}

#[test]
fn a_panicking_plugin_is_contained_recorded_and_disabled() {
    let bars: Vec<Bar> = (0..7).map(|d| bar("SPY", d, 400.0, 400.0)).collect();
    let mut market = MarketData::new();
    market.insert("SPY".into(), bars.clone()).unwrap();
    let mut config = Config::default();
    config.risk.rth_only = false;
    let features = Features {
        plugins: [(
            "alpha_vrp".to_string(),
            PluginFlags {
                enabled: true,
                schedule: "@close".into(),
                budget: Budget {
                    cpu_ms: 1e6,
                    mem_mb: 1e6,
                },
                params: serde_json::Value::Null,
            },
        )]
        .into(),
    };
    let mut registry = Registry::new();
    registry.register(|| Box::new(Crash)).unwrap();
    let sim = SharedSim(Arc::new(Mutex::new(
        SimExchange::new(SimConfig::default()).unwrap(),
    )));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let clock = SimulatedClock::new(close_ts(0));
    let mut engine = Engine::new(EngineParts {
        config,
        features,
        registry,
        market,
        store: store.clone(),
        bus: Bus::new(64),
        clock: Arc::new(clock),
        executor: Executor::new(
            store.clone(),
            Box::new(sim),
            RetryPolicy::default(),
            Box::new(NoBackoff),
        ),
        process: None,
        options: EngineOptions::default(),
    })
    .unwrap();
    // Monday 8 to Sunday 14 January 2024: five sessions (five runs, five panics), then a
    // weekend on which @close does not fire while the engine still cycles and marks the book.
    for d in 0..7 {
        let r = engine.cycle(close_ts(d));
        assert!(r.equity.is_some(), "cycle {d} still marks the book");
    }
    let counts = &engine.run_counts()["alpha_vrp"];
    // The default runner policy disables after 5 consecutive failures.
    assert_eq!(counts.get("panicked"), Some(&5));
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert!(engine
        .runner()
        .health("alpha_vrp")
        .unwrap()
        .disabled
        .is_some());
    let alerts = store
        .events_after(0, 1000)
        .unwrap()
        .into_iter()
        .filter(|(_, e)| e.kind() == "alert")
        .count();
    assert_eq!(alerts, 1, "one alert for the disabling");
}
