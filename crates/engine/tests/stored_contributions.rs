//! The engine records its combiner's exact contributions with the configured plugin weights
//! (what the dashboard draws): weights 3 and 1 on signals 0.6 and -0.2 give parts 0.45 and
//! -0.05 (3 x 0.6 / 4 and 1 x -0.2 / 4, worked by hand) that sum to the target 0.40; an
//! unchanged split is not recorded again.

mod fixed_alpha;

use fixed_alpha::{close_ts, flags, flat_market, Fixed};
use optifire_core::bus::Bus;
use optifire_core::clock::SimulatedClock;
use optifire_core::config::{Config, Features};
use optifire_core::domain::{Money, Symbol};
use optifire_core::event::Event;
use optifire_core::plugin::Registry;
use optifire_core::store::{SqliteStore, Store};
use optifire_core::Timestamp;
use optifire_engine::backtest::SharedSim;
use optifire_engine::cycle::{Engine, EngineOptions, EngineParts};
use optifire_engine::exec::{Executor, NoBackoff, RetryPolicy};
use optifire_venues::sim::SimConfig;
use optifire_venues::SimExchange;
use rust_decimal_macros::dec;
use std::sync::{Arc, Mutex};

/// (plugin, symbol, weight) of one stored contribution.
type Part = (String, String, f64);

#[test]
fn stored_contributions_use_the_configured_weights_and_sum_to_the_target() {
    const A: &str = "alpha_t_stat_threshold";
    const B: &str = "alpha_vix_regime";
    let market = flat_market(2);
    let mut config = Config::default();
    config.system.initial_cash = Money(dec!(100000));
    config.risk.rth_only = false;
    let features = Features {
        plugins: [(A.to_string(), flags(true)), (B.to_string(), flags(true))].into(),
    };
    let mut registry = Registry::new();
    registry
        .register(|| Box::new(Fixed(A, 0.6, vec![])))
        .unwrap();
    registry
        .register(|| Box::new(Fixed(B, -0.2, vec![])))
        .unwrap();
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
        clock: Arc::new(clock.clone()),
        executor: Executor::new(
            store.clone(),
            Box::new(sim),
            RetryPolicy::default(),
            Box::new(NoBackoff),
        ),
        process: None,
        options: EngineOptions {
            combiner_weights: [(A.to_string(), 3.0), (B.to_string(), 1.0)].into(),
            ..EngineOptions::default()
        },
    })
    .unwrap();

    let rep = engine.tick();
    assert_eq!(rep.ran.len(), 2, "{:?}", rep.ran);
    let stored: Vec<(Timestamp, Vec<Part>)> = store
        .events_after(0, 1000)
        .unwrap()
        .into_iter()
        .filter_map(|(_, e)| match e {
            Event::Contributions { ts, contributions } => Some((
                ts,
                contributions
                    .into_iter()
                    .map(|c| (c.plugin, c.symbol.as_str().to_string(), c.weight))
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(stored.len(), 1);
    let (ts, parts) = &stored[0];
    assert_eq!(*ts, close_ts(0));
    let part = |p: &str| {
        parts
            .iter()
            .find(|(plugin, sym, _)| plugin == p && sym == "AAA")
            .unwrap()
            .2
    };
    assert_eq!(parts.len(), 2);
    assert!((part(A) - 0.45).abs() < 1e-12, "{parts:?}");
    assert!((part(B) + 0.05).abs() < 1e-12, "{parts:?}");
    let target = rep.combined.targets[&Symbol::new("AAA")];
    assert!((target - 0.40).abs() < 1e-12, "{target}");
    assert!((part(A) + part(B) - target).abs() < 1e-12);

    // Same signals the next day: the split is unchanged and not recorded again.
    clock.advance_to(close_ts(1)).unwrap();
    engine.tick();
    let n = store
        .events_after(0, 1000)
        .unwrap()
        .iter()
        .filter(|(_, e)| matches!(e, Event::Contributions { .. }))
        .count();
    assert_eq!(n, 1);
}
