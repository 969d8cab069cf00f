//! Hot reload of a running engine (`Engine::reconfigure`): a configuration whose schedule does
//! not hold together is refused and the engine runs on exactly as before; a disabled plugin
//! leaves the next cycle and its standing signal leaves the targets; a risk limit changes the
//! next risk decision.

mod fixed_alpha;

use fixed_alpha::{close_ts, flags, flat_market, Fixed};
use optifire_core::bus::Bus;
use optifire_core::clock::SimulatedClock;
use optifire_core::config::{Config, Features};
use optifire_core::domain::{Money, Symbol};
use optifire_core::plugin::Registry;
use optifire_core::store::{SqliteStore, Store};
use optifire_engine::backtest::SharedSim;
use optifire_engine::cycle::{Engine, EngineError, EngineOptions, EngineParts};
use optifire_engine::exec::{Executor, NoBackoff, RetryPolicy};
use optifire_venues::sim::SimConfig;
use optifire_venues::SimExchange;
use rust_decimal_macros::dec;
use std::sync::{Arc, Mutex};

const A: &str = "alpha_t_stat_threshold";
const B: &str = "alpha_vix_regime";

fn features(a: bool, b: bool) -> Features {
    Features {
        plugins: [(A.to_string(), flags(a)), (B.to_string(), flags(b))].into(),
    }
}

/// A at 0.6 and B at -0.2 (B depends on A), equal weights.
fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(|| Box::new(Fixed(A, 0.6, vec![]))).unwrap();
    r.register(|| Box::new(Fixed(B, -0.2, vec![A.to_string()])))
        .unwrap();
    r
}

#[test]
fn reload_refuses_a_broken_schedule_then_drops_a_disabled_plugin() {
    let market = flat_market(4);
    let mut config = Config::default();
    config.system.initial_cash = Money(dec!(100000));
    config.risk.rth_only = false;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let clock = SimulatedClock::new(close_ts(0));
    let sim = SharedSim(Arc::new(Mutex::new(
        SimExchange::new(SimConfig::default()).unwrap(),
    )));
    let mut engine = Engine::new(EngineParts {
        config: config.clone(),
        features: features(true, true),
        registry: registry(),
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
        options: EngineOptions::default(),
    })
    .unwrap();
    let aaa = Symbol::new("AAA");

    let rep = engine.tick();
    assert_eq!(rep.ran, vec![A.to_string(), B.to_string()]);
    // Equal weights: (0.6 - 0.2) / 2.
    assert!((rep.combined.targets[&aaa] - 0.2).abs() < 1e-12);

    // A off while B still depends on it: refused, nothing changes.
    let err = engine
        .reconfigure(
            &config,
            &features(true, true),
            &config,
            &features(false, true),
            &registry(),
            true,
        )
        .unwrap_err();
    assert!(matches!(err, EngineError::Schedule(_)), "{err}");
    clock.advance_to(close_ts(1)).unwrap();
    let rep = engine.tick();
    assert_eq!(rep.ran, vec![A.to_string(), B.to_string()]);
    assert!((rep.combined.targets[&aaa] - 0.2).abs() < 1e-12);

    // B off: it leaves the schedule and its standing -0.2 leaves the target (0.6 alone).
    // The per-symbol cap goes from 10% to 4% at the same time.
    let mut tighter = config.clone();
    tighter.risk.max_exposure_symbol = 0.04;
    let done = engine
        .reconfigure(
            &config,
            &features(true, true),
            &tighter,
            &features(true, false),
            &registry(),
            true,
        )
        .unwrap();
    assert_eq!(done.disabled, vec![B.to_string()]);
    assert!(done.risk_changed && done.enabled.is_empty() && done.recreated.is_empty());
    clock.advance_to(close_ts(2)).unwrap();
    let rep = engine.tick();
    assert_eq!(rep.ran, vec![A.to_string()]);
    assert!((rep.combined.targets[&aaa] - 0.6).abs() < 1e-12);
    assert!(
        rep.risk_decisions
            .iter()
            .any(|d| d.rule == "max_exposure_symbol" && d.reason.contains("(limit 4% of equity)")),
        "{:#?}",
        rep.risk_decisions
    );

    // An operator's losing-streak reset is stored with its note and survives a reload that
    // rebuilds the risk engine for new limits.
    let closed = engine.closed_trades().len();
    assert_eq!(
        engine.reset_losing_streak(close_ts(2), "alice: reviewed the losses"),
        0
    );
    assert_eq!(engine.risk().streak_reset_at(), Some(closed));
    let events = store.events_after(0, 10_000).unwrap();
    assert!(events.iter().any(
        |(_, e)| matches!(e, optifire_core::event::Event::Risk { decision, .. }
        if decision.rule == "losing_streak_reset"
            && decision.reason.ends_with("in all): alice: reviewed the losses"))
    ));
    let mut looser = tighter.clone();
    looser.risk.max_exposure_symbol = 0.05;
    let done = engine
        .reconfigure(
            &tighter,
            &features(true, false),
            &looser,
            &features(true, false),
            &registry(),
            true,
        )
        .unwrap();
    assert!(done.risk_changed);
    assert_eq!(engine.risk().streak_reset_at(), Some(closed));
}
