//! Time per engine cycle with the eight default plugins over the 19 sample symbols.
//!
//! Each measured cycle is one instant of the default backtest (exchange bars, plugins,
//! combiner, risk, planner, shaping, submission, fills), taken in order through the sample's
//! timeline; when the timeline ends a fresh backtest is built outside the measured time. The
//! goal (issue 7) is under 5 ms per cycle.

use criterion::{criterion_group, criterion_main, Criterion};
use optifire_core::config::ConfigSet;
use optifire_engine::backtest::{BacktestRun, BacktestSpec};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn fresh() -> BacktestRun {
    let registry = optifire_plugins::registry();
    let set = ConfigSet::embedded(&registry).expect("embedded configuration");
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/sample");
    BacktestRun::new(BacktestSpec::new(set.config, set.features, registry, data))
        .expect("sample backtest")
}

fn cycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(10));
    let mut run = fresh();
    g.bench_function("default_cycle_19_symbols", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                if run.remaining() == 0 {
                    run = fresh();
                }
                let t = Instant::now();
                std::hint::black_box(run.step());
                total += t.elapsed();
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, cycle);
criterion_main!(benches);
