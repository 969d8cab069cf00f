//! The eight default plugins end to end: a backtest of the default configuration over the
//! bundled sample data, checked through what the run's store holds.
//!
//! Each plugin must have run, been measured against its budget, and stored its outputs; the
//! trading plugins must have changed a decision (a risk decision citing them, a regime change,
//! signals built on the Kalman trend). What the batching, diagnostics and health plugins can and
//! cannot change on daily data is asserted as it is, with the reason next to the assertion.

use optifire_core::config::ConfigSet;
use optifire_core::domain::Symbol;
use optifire_core::event::{Event, RunStatus};
use optifire_core::plugin::catalogue::DEFAULT_ENABLED;
use optifire_core::plugin::{Output, PluginOutput};
use optifire_core::store::Store;
use optifire_core::Timestamp;
use optifire_engine::backtest::{run_backtest, BacktestResult, BacktestSpec};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

// The allocator the `optifire` binary installs, so runs record their peak heap.
#[global_allocator]
static ALLOC: optifire_core::plugin::measure::CountingAlloc =
    optifire_core::plugin::measure::CountingAlloc;

fn backtest() -> BacktestResult {
    let registry = optifire_plugins::registry();
    let set = ConfigSet::embedded(&registry).unwrap();
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/sample");
    run_backtest(BacktestSpec::new(set.config, set.features, registry, data)).unwrap()
}

fn outputs(store: &dyn Store, id: &str) -> Vec<PluginOutput> {
    store
        .plugin_outputs(Some(id), Timestamp::MIN, Timestamp::MAX)
        .unwrap()
}

/// Risk decisions whose reason cites `id` (the risk engine names the plugin behind every
/// multiplier, block and flatten it applies).
fn risk_decisions_citing(events: &[Event], id: &str) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Risk { decision, .. } if decision.reason.contains(id) => {
                Some(format!("{}: {}", decision.rule, decision.reason))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_eight_default_plugins_run_are_budgeted_store_outputs_and_change_decisions() {
    let r = backtest();
    let store = r.store.as_ref();
    assert!(
        r.errors.is_empty(),
        "{:?}",
        &r.errors[..r.errors.len().min(5)]
    );
    let events: Vec<Event> = store
        .events_after(0, usize::MAX / 2)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();

    // Runs and budgets: every default plugin ran, each run carries its measured CPU time and
    // its verdict against the budget from features.yaml, and none was disabled.
    let registry = optifire_plugins::registry();
    let features = ConfigSet::embedded(&registry).unwrap().features;
    for id in DEFAULT_ENABLED {
        assert!(
            features.plugins[*id].enabled,
            "{id} is not enabled by default"
        );
        let runs = store.plugin_runs(Some(id), usize::MAX / 2).unwrap();
        let ok = runs.iter().filter(|x| x.status == RunStatus::Ok).count();
        assert!(ok > 0, "{id}: no successful run among {}", runs.len());
        assert!(
            runs.iter()
                .filter(|x| x.status == RunStatus::Ok)
                .all(|x| x.cpu_ms.is_finite() && x.cpu_ms >= 0.0 && x.mem_bytes.is_some()),
            "{id}: a run without its CPU and memory measurement"
        );
        assert!(runs.iter().all(|x| x.plugin_id == *id));
        let failed: Vec<_> = runs
            .iter()
            .filter(|x| matches!(x.status, RunStatus::Error | RunStatus::Panicked))
            .map(|x| x.message.clone())
            .collect();
        assert!(failed.is_empty(), "{id}: failed runs {failed:?}");
        // Outputs: the runs say how many they produced, and the store holds them (signals and
        // features in their tables, the rest as JSON).
        let produced: usize = runs.iter().map(|x| x.outputs).sum();
        assert!(produced > 0, "{id}: no outputs");
        let stored = outputs(store, id).len()
            + store
                .signals(Some(id), Timestamp::MIN, Timestamp::MAX)
                .unwrap()
                .len()
            + if *id == "fe_kalman" {
                store
                    .features(
                        &Symbol::new("SPY"),
                        "kalman_level",
                        Timestamp::MIN,
                        Timestamp::MAX,
                    )
                    .unwrap()
                    .len()
            } else {
                0
            };
        assert!(stored > 0, "{id}: nothing stored");
    }
    assert!(store.plugin_states().unwrap().iter().all(|s| !s.disabled));

    // Multiplier decisions of the risk engine, by (cycle, symbol).
    let scaled: BTreeSet<(Timestamp, Symbol)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Risk { ts, decision } if decision.rule == "plugin_multiplier" => {
                decision.symbol.clone().map(|s| (*ts, s))
            }
            _ => None,
        })
        .collect();
    let scaled_at: BTreeSet<Timestamp> = scaled.iter().map(|(t, _)| *t).collect();

    // alpha_vix_regime: the regime changed, and a multiplier other than 1 (elevated ×0.7,
    // low_vol ×1.2) scaled targets in the same cycle.
    let regimes: Vec<(Timestamp, String, f64)> = outputs(store, "alpha_vix_regime")
        .into_iter()
        .filter_map(|o| match o.output {
            Output::Regime { name, multiplier } => Some((o.ts, name, multiplier)),
            _ => None,
        })
        .collect();
    let changes = regimes.windows(2).filter(|w| w[0].1 != w[1].1).count();
    assert!(changes > 0, "VIX regime never changed");
    assert!(regimes
        .iter()
        .any(|(t, _, m)| *m != 1.0 && scaled_at.contains(t)));
    assert!(!risk_decisions_citing(&events, "alpha_vix_regime").is_empty());

    // risk_vol_target: its own per-symbol multiplier (≠ 1) met a target the risk engine scaled.
    let vol_scaled = outputs(store, "risk_vol_target")
        .into_iter()
        .filter(|o| match &o.output {
            Output::ExposureMultiplier {
                symbol: Some(s),
                multiplier,
                ..
            } => *multiplier != 1.0 && scaled.contains(&(o.ts, s.clone())),
            _ => false,
        })
        .count();
    assert!(vol_scaled > 0, "risk_vol_target never scaled a target");

    // risk_drawdown_derisk: with the default limits (1.2% soft, 2.4% hard: 4% and 8% of the
    // 30% of equity the book may hold, features.yaml) the sample's drawdowns reach the linear
    // zone. Each daily report is the equity curve's own drawdown, 1 − equity / running peak
    // (recomputed here from the stored equity, up to a hard-limit flatten, after which the
    // plugin restarts its peak), with the multiplier (hard − dd) / (hard − soft) clamped to
    // [0, 1]; and a multiplier below 1 scaled targets through the risk engine.
    let params = &features.plugins["risk_drawdown_derisk"].params;
    let (soft, hard) = (
        params["soft_limit"].as_f64().unwrap(),
        params["hard_limit"].as_f64().unwrap(),
    );
    assert_eq!((soft, hard), (0.012, 0.024));
    let equity = store.equity(Timestamp::MIN, Timestamp::MAX).unwrap();
    let mut peak = f64::MIN;
    let mut dd_at: BTreeMap<Timestamp, f64> = BTreeMap::new();
    for p in &equity {
        let e = p.equity.to_f64();
        peak = peak.max(e);
        dd_at.insert(p.ts, 1.0 - e / peak);
    }
    let dd_reports: Vec<(Timestamp, f64, f64)> = outputs(store, "risk_drawdown_derisk")
        .into_iter()
        .filter_map(|o| match o.output {
            Output::Report { name, body } if name == "drawdown" => Some((
                o.ts,
                body["drawdown"].as_f64().unwrap(),
                body["multiplier"].as_f64().unwrap(),
            )),
            _ => None,
        })
        .collect();
    assert!(dd_reports.len() > 1000, "{}", dd_reports.len());
    let first_flatten = outputs(store, "risk_drawdown_derisk")
        .into_iter()
        .find(|o| matches!(o.output, Output::Flatten { .. }))
        .map_or(Timestamp::MAX, |o| o.ts);
    for (t, dd, m) in dd_reports.iter().filter(|r| r.0 <= first_flatten) {
        assert!((dd - dd_at[t]).abs() < 1e-9, "{t}: {dd} vs {}", dd_at[t]);
        let want = ((hard - dd) / (hard - soft)).clamp(0.0, 1.0);
        assert!((m - want).abs() < 1e-12, "{t}: dd {dd}: x{m}, want x{want}");
    }
    let derisked: BTreeSet<Timestamp> = dd_reports
        .iter()
        .filter(|(_, _, m)| *m < 1.0)
        .map(|(t, _, _)| *t)
        .collect();
    let applied = events.iter().any(|e| {
        matches!(e, Event::Risk { ts, decision }
            if derisked.contains(ts)
                && decision.rule == "plugin_multiplier"
                && decision.reason.contains("risk_drawdown_derisk x0."))
    });
    assert!(
        applied,
        "the drawdown plugin never scaled a target ({} reports under x1)",
        derisked.len()
    );
    eprintln!(
        "risk_drawdown_derisk: {} daily reports, {} under x1 (lowest x{:.3}), first flatten at {first_flatten}",
        dd_reports.len(),
        derisked.len(),
        dd_reports.iter().map(|r| r.2).fold(1.0, f64::min)
    );
    // The hard limit (November 2022 on the sample): the plugin flattens, and the risk engine
    // sets every held symbol's target to 0 in that cycle.
    assert!(first_flatten < Timestamp::MAX, "hard limit never reached");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Risk { ts, decision }
            if *ts == first_flatten && decision.rule == "plugin_flatten")),
        "flatten not applied by the risk engine"
    );

    // alpha_cross_asset_corr and fe_kalman: every signal is built on the Kalman trend of the
    // same cycle (the plugin emits no signal for a symbol without it), and the signalled
    // symbols were traded.
    let signals = store
        .signals(
            Some("alpha_cross_asset_corr"),
            Timestamp::MIN,
            Timestamp::MAX,
        )
        .unwrap();
    assert!(signals.iter().any(|s| s.value != 0.0));
    for s in signals.iter().filter(|s| s.value != 0.0).take(50) {
        let k = store
            .features(&s.symbol, "kalman_slope", s.ts, s.ts)
            .unwrap();
        assert_eq!(k.len(), 1, "{} at {}: no kalman_slope", s.symbol, s.ts);
        assert_eq!(k[0].plugin_id, "fe_kalman");
    }
    let signalled: BTreeSet<&Symbol> = signals
        .iter()
        .filter(|s| s.value != 0.0)
        .map(|s| &s.symbol)
        .collect();
    let traded: BTreeSet<&Symbol> = r.fills.iter().map(|f| &f.symbol).collect();
    assert!(
        signalled.iter().all(|s| traded.contains(s)),
        "{signalled:?} vs {traded:?}"
    );

    // exec_batch_orders: it shaped every batch the executor sent, and each shaping is stored.
    let shaping: Vec<serde_json::Value> = outputs(store, "exec_batch_orders")
        .into_iter()
        .filter_map(|o| match o.output {
            Output::Report { name, body } if name == "order_shaping" => Some(body),
            _ => None,
        })
        .collect();
    let sent_batches: BTreeSet<Timestamp> = r.orders.iter().map(|o| o.request.created_at).collect();
    assert_eq!(shaping.len(), sent_batches.len());
    let orders_out: usize = shaping
        .iter()
        .map(|b| b["orders_out"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(orders_out, r.orders.len());
    // On daily bars each window holds one cycle's orders, and the planner already sends one
    // net order per symbol (target − position − working), so there is never a buy and a sell
    // of one symbol to net: the batcher passes every batch through unchanged. Opposite orders
    // in one window arise from strategies or sub-second cycles (see the plugin's unit tests).
    assert!(shaping.iter().all(|b| b["changed"] == false));

    // diag_slippage_report: every fill of an order this engine sent is measured against the
    // expectation journaled with the order.
    let reports: Vec<serde_json::Value> = outputs(store, "diag_slippage_report")
        .into_iter()
        .filter_map(|o| match o.output {
            Output::Report { name, body } if name == "slippage" => Some(body),
            _ => None,
        })
        .collect();
    let measured: u64 = reports
        .iter()
        .map(|b| b["window"]["overall"]["fills"].as_u64().unwrap_or(0))
        .sum();
    let unmeasured: u64 = reports
        .iter()
        .map(|b| b["without_expectation"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(unmeasured, 0);
    // Fills after the last @close run are not reported yet.
    let last_report = outputs(store, "diag_slippage_report")
        .last()
        .map(|o| o.ts)
        .unwrap();
    let reported = r.fills.iter().filter(|f| f.ts <= last_report).count() as u64;
    assert_eq!(measured, reported);

    // infra_psutil_health: a health reading per run, stored as events.
    let health: BTreeMap<String, usize> = events.iter().fold(BTreeMap::new(), |mut m, e| {
        if let Event::Health { source, .. } = e {
            *m.entry(source.clone()).or_default() += 1;
        }
        m
    });
    assert!(health.get("infra_psutil_health").copied().unwrap_or(0) > 0);
}

/// A strategy that asks for opposite orders of one symbol in the same cycle (two sub-signals
/// that disagree), to show the engine applying exec_batch_orders' netting.
struct Disagreeing {
    done: bool,
}

impl optifire_engine::cycle::Strategy for Disagreeing {
    fn id(&self) -> &str {
        "disagreeing"
    }
    fn decide(
        &mut self,
        ctx: &optifire_core::plugin::Context<'_>,
    ) -> Result<Vec<optifire_engine::cycle::OrderIntent>, optifire_core::plugin::PluginError> {
        use optifire_core::domain::{Quantity, Side};
        use optifire_engine::cycle::OrderIntent;
        let spy = Symbol::new("SPY");
        // Once, at the first cycle that knows a SPY price.
        if self.done || ctx.market.last(&spy).is_none() {
            return Ok(Vec::new());
        }
        self.done = true;
        Ok(vec![
            OrderIntent {
                symbol: spy.clone(),
                side: Side::Buy,
                qty: Quantity(10.into()),
                reason: "momentum".into(),
            },
            OrderIntent {
                symbol: spy,
                side: Side::Sell,
                qty: Quantity(4.into()),
                reason: "mean reversion".into(),
            },
        ])
    }
}

#[test]
fn the_engine_applies_the_batcher_and_stores_what_it_netted() {
    let registry = optifire_plugins::registry();
    let set = ConfigSet::embedded(&registry).unwrap();
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/sample");
    let mut spec = BacktestSpec::new(set.config, set.features, registry, data);
    spec.to = chrono::NaiveDate::from_ymd_opt(2021, 1, 5);
    spec.strategy = Some(Box::new(Disagreeing { done: false }));
    let r = run_backtest(spec).unwrap();
    // Buy 10 and sell 4 in one cycle went out as one buy of 6, and the position is 6.
    let spy: Vec<_> = r
        .orders
        .iter()
        .filter(|o| o.request.symbol.as_str() == "SPY")
        .collect();
    assert_eq!(spy.len(), 1, "{spy:?}");
    assert_eq!(spy[0].request.qty.0, 6.into());
    assert_eq!(spy[0].request.side, optifire_core::domain::Side::Buy);
    let shaping: Vec<serde_json::Value> = outputs(r.store.as_ref(), "exec_batch_orders")
        .into_iter()
        .filter_map(|o| match o.output {
            Output::Report { name, body } if name == "order_shaping" => Some(body),
            _ => None,
        })
        .collect();
    assert_eq!(shaping.len(), 1);
    assert_eq!(shaping[0]["changed"], true);
    assert_eq!(shaping[0]["orders_in"].as_array().unwrap().len(), 2);
    assert_eq!(shaping[0]["orders_out"][0]["qty"], "6");
    assert_eq!(
        shaping[0]["notes"][0]["message"],
        "buy 10 and sell 4 netted to buy 6"
    );
    let runs = r.store.plugin_runs(Some("exec_batch_orders"), 100).unwrap();
    assert!(runs
        .iter()
        .any(|x| x.outputs == 1 && x.status == RunStatus::Ok));
}
