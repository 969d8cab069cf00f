//! The runner contains panics and errors, measures every run and disables budget offenders.

use optifire_core::domain::{EquityHistory, Money, Portfolio, Symbol};
use optifire_core::event::RunStatus;
use optifire_core::plugin::measure::CountingAlloc;
use optifire_core::plugin::{
    Budget, Category, Context, MarketData, Output, Plugin, PluginError, PluginMeta, PluginPlan,
    Runner, RunnerPolicy,
};
use optifire_core::Timestamp;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[derive(Clone, Copy)]
enum Behaviour {
    Panic,
    Error,
    NoSource,
    BurnCpu,
    Allocate(usize),
    NanFeature,
    Good,
}

struct TestPlugin(Behaviour);

impl Plugin for TestPlugin {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: "test_plugin".into(),
            name: "test".into(),
            category: Category::Diagnostics,
            version: "0".into(),
            description: String::new(),
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
        let sym = Symbol::new("SPY");
        match self.0 {
            Behaviour::Panic => panic!("boom in plugin"),
            Behaviour::Error => Err(PluginError::Failed("could not compute".into())),
            Behaviour::NoSource => Err(PluginError::NoDataSource("alt:news".into())),
            Behaviour::BurnCpu => {
                let mut x = 0u64;
                for i in 0..20_000_000u64 {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
                }
                std::hint::black_box(x);
                Ok(vec![])
            }
            Behaviour::Allocate(n) => {
                let v = vec![1u8; n];
                std::hint::black_box(&v);
                Ok(vec![])
            }
            Behaviour::NanFeature => Ok(vec![
                Output::Feature {
                    symbol: sym.clone(),
                    name: "x".into(),
                    value: f64::NAN,
                },
                Output::Feature {
                    symbol: sym,
                    name: "y".into(),
                    value: 1.0,
                },
            ]),
            Behaviour::Good => Ok(vec![Output::Feature {
                symbol: sym,
                name: "y".into(),
                value: 1.0,
            }]),
        }
    }
}

struct World {
    md: MarketData,
    pf: Portfolio,
    eq: EquityHistory,
}

impl World {
    fn new() -> Self {
        World {
            md: MarketData::new(),
            pf: Portfolio::new(Money::ZERO),
            eq: EquityHistory::new(),
        }
    }
    fn ctx(&self) -> Context<'_> {
        let now = Timestamp::from_secs(1_700_000_000);
        Context {
            now,
            market: self.md.view(now),
            portfolio: &self.pf,
            equity: &self.eq,
            recent_fills: &[],
            cycle_outputs: &[],
            process: None,
        }
    }
}

const ROOMY: Budget = Budget {
    cpu_ms: 10_000.0,
    mem_mb: 1024.0,
};

fn runner_with(b: Behaviour, budget: Budget, policy: RunnerPolicy) -> Runner {
    let mut r = Runner::new(policy);
    r.add(Box::new(TestPlugin(b)), budget);
    r
}

#[test]
fn a_panicking_plugin_is_contained_and_recorded() {
    let w = World::new();
    let mut r = runner_with(
        Behaviour::Panic,
        ROOMY,
        RunnerPolicy {
            breach_limit: 3,
            failure_limit: 2,
        },
    );
    let rep = r.run("test_plugin", &w.ctx());
    assert_eq!(rep.record.status, RunStatus::Panicked);
    assert!(rep
        .record
        .message
        .as_deref()
        .unwrap()
        .contains("boom in plugin"));
    assert!(rep.disabled_now.is_none());
    // The second consecutive failure reaches the limit of 2 and disables it, with the reason.
    let rep = r.run("test_plugin", &w.ctx());
    assert!(rep
        .disabled_now
        .as_deref()
        .unwrap()
        .contains("2 consecutive failed runs"));
    let rep = r.run("test_plugin", &w.ctx());
    assert_eq!(rep.record.status, RunStatus::Skipped);
    assert!(rep
        .record
        .message
        .unwrap()
        .starts_with("disabled: 2 consecutive failed runs"));
}

#[test]
fn an_erroring_plugin_is_recorded_with_its_error() {
    let w = World::new();
    let mut r = runner_with(Behaviour::Error, ROOMY, RunnerPolicy::default());
    let rep = r.run("test_plugin", &w.ctx());
    assert_eq!(rep.record.status, RunStatus::Error);
    assert_eq!(rep.record.message.as_deref(), Some("could not compute"));
    assert_eq!(
        r.health("test_plugin").unwrap().last_error.as_deref(),
        Some("could not compute")
    );
}

#[test]
fn a_missing_data_source_is_a_skip_not_a_failure() {
    let w = World::new();
    let mut r = runner_with(
        Behaviour::NoSource,
        ROOMY,
        RunnerPolicy {
            breach_limit: 1,
            failure_limit: 1,
        },
    );
    for _ in 0..3 {
        let rep = r.run("test_plugin", &w.ctx());
        assert_eq!(rep.record.status, RunStatus::Skipped);
        assert_eq!(
            rep.record.message.as_deref(),
            Some("no data source configured: alt:news")
        );
        assert!(rep.outputs.is_empty());
    }
    assert!(r.health("test_plugin").unwrap().disabled.is_none());
}

#[test]
fn cpu_budget_breaches_disable_after_the_limit() {
    let w = World::new();
    let tight = Budget {
        cpu_ms: 0.001,
        mem_mb: 1024.0,
    };
    let mut r = runner_with(
        Behaviour::BurnCpu,
        tight,
        RunnerPolicy {
            breach_limit: 3,
            failure_limit: 5,
        },
    );
    for i in 1..=3 {
        let rep = r.run("test_plugin", &w.ctx());
        assert_eq!(rep.record.status, RunStatus::Ok);
        assert!(rep.record.over_budget, "run {i}: {} ms", rep.record.cpu_ms);
        assert!(rep.record.cpu_ms > 0.001);
        assert_eq!(rep.disabled_now.is_some(), i == 3);
    }
    let h = r.health("test_plugin").unwrap();
    let reason = h.disabled.as_deref().unwrap();
    assert!(
        reason.starts_with("3 consecutive budget breaches (last: cpu "),
        "{reason}"
    );
    // Re-enabling clears the streak.
    r.enable("test_plugin");
    assert_eq!(r.health("test_plugin").unwrap().consecutive_breaches, 0);
}

#[test]
fn memory_is_measured_and_over_budget_allocations_flagged() {
    let w = World::new();
    let one_mb = Budget {
        cpu_ms: 10_000.0,
        mem_mb: 1.0,
    };
    let mut r = runner_with(
        Behaviour::Allocate(4 << 20),
        one_mb,
        RunnerPolicy::default(),
    );
    let rep = r.run("test_plugin", &w.ctx());
    let mem = rep.record.mem_bytes.expect("counting allocator installed");
    assert!(mem >= 4 << 20, "{mem}");
    assert!(rep.record.over_budget);
    assert!(rep.record.message.is_none());
    let mut small = runner_with(Behaviour::Allocate(1000), one_mb, RunnerPolicy::default());
    let rep = small.run("test_plugin", &w.ctx());
    assert!(rep.record.mem_bytes.unwrap() < 1 << 20);
    assert!(!rep.record.over_budget);
}

#[test]
fn malformed_outputs_are_rejected_and_the_rest_kept() {
    let w = World::new();
    let mut r = runner_with(Behaviour::NanFeature, ROOMY, RunnerPolicy::default());
    let rep = r.run("test_plugin", &w.ctx());
    assert_eq!(rep.outputs.len(), 1);
    assert_eq!(rep.rejected.len(), 1);
    assert!(rep
        .record
        .message
        .unwrap()
        .contains("feature x of SPY is NaN"));
    let mut g = runner_with(Behaviour::Good, ROOMY, RunnerPolicy::default());
    let rep = g.run("test_plugin", &w.ctx());
    assert_eq!(rep.record.status, RunStatus::Ok);
    assert_eq!(rep.outputs[0].plugin_id, "test_plugin");
    assert_eq!(rep.outputs[0].ts, w.ctx().now);
}

#[test]
fn an_unknown_plugin_is_a_skip_record() {
    let w = World::new();
    let mut r = Runner::new(RunnerPolicy::default());
    let rep = r.run("nope", &w.ctx());
    assert_eq!(rep.record.status, RunStatus::Skipped);
}

#[test]
fn runs_and_disablings_are_stored_and_published() {
    use optifire_core::bus::{Bus, Received};
    use optifire_core::event::Event;
    use optifire_core::plugin::recorder::record_run;
    use optifire_core::store::{SqliteStore, Store};

    let store = SqliteStore::open_in_memory().unwrap();
    let bus = Bus::new(64);
    let mut sub = bus.subscribe();
    let w = World::new();
    let mut r = runner_with(
        Behaviour::Panic,
        ROOMY,
        RunnerPolicy {
            breach_limit: 3,
            failure_limit: 2,
        },
    );
    for _ in 0..2 {
        let rep = r.run("test_plugin", &w.ctx());
        record_run(
            &store,
            &bus,
            &rep,
            r.health("test_plugin").unwrap().consecutive_breaches,
        )
        .unwrap();
    }
    let runs = store.plugin_runs(Some("test_plugin"), 10).unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|x| x.status == RunStatus::Panicked));
    let states = store.plugin_states().unwrap();
    assert_eq!(states.len(), 1);
    assert!(states[0].disabled);
    assert!(states[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("2 consecutive failed runs"));
    let mut kinds = Vec::new();
    while let Some(Received::Event(e)) = sub.try_recv() {
        kinds.push(e.kind());
        if let Event::Alert { message, .. } = &*e {
            assert!(message.starts_with("plugin test_plugin disabled"));
        }
    }
    assert_eq!(kinds, ["plugin_run", "alert", "plugin_run"]);
    let stored = store.events_after(0, 10).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].1.kind(), "alert");

    // A good run's outputs land in the features table.
    let mut g = runner_with(Behaviour::Good, ROOMY, RunnerPolicy::default());
    let rep = g.run("test_plugin", &w.ctx());
    record_run(&store, &bus, &rep, 0).unwrap();
    let now = w.ctx().now;
    let f = store.features(&Symbol::new("SPY"), "y", now, now).unwrap();
    assert_eq!(f.len(), 1);
}
