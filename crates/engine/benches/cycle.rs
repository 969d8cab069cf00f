//! Time per engine cycle with the eight default plugins over the 19 sample symbols.
//!
//! Each measured cycle is one instant of the default backtest (exchange bars, plugins,
//! combiner, risk, planner, shaping, submission, fills), taken in order through the sample's
//! timeline; when the timeline ends a fresh backtest is built outside the measured time. The
//! time is the engine thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall time: the
//! machines this runs on are shared, and wall time there measures the neighbours. The goal
//! (issue 7) is under 5 ms per cycle.

use criterion::{criterion_group, criterion_main, Criterion};
use optifire_core::config::ConfigSet;
use optifire_core::plugin::measure::thread_cpu_ms;
use optifire_engine::backtest::{BacktestRun, BacktestSpec};
use std::path::PathBuf;
use std::time::Duration;

// The allocator the `optifire` binary installs, so runs record their peak heap.
#[global_allocator]
static ALLOC: optifire_core::plugin::measure::CountingAlloc =
    optifire_core::plugin::measure::CountingAlloc;

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
                let t = thread_cpu_ms();
                std::hint::black_box(run.step());
                total += Duration::from_secs_f64((thread_cpu_ms() - t).max(0.0) / 1e3);
            }
            total
        })
    });
    g.finish();
    report_plugin_costs();
}

/// Mean CPU ms and peak heap per run of each plugin over one full default backtest, from the
/// run records in its store: the measured numbers behind each plugin's est_cpu_ms/est_mem_mb.
fn report_plugin_costs() {
    let mut run = fresh();
    while run.step().is_some() {}
    let store = run.engine().store().clone();
    for id in optifire_core::plugin::catalogue::DEFAULT_ENABLED {
        let runs = store
            .plugin_runs(Some(id), usize::MAX / 2)
            .unwrap_or_default();
        let ok: Vec<_> = runs
            .iter()
            .filter(|r| r.status == optifire_core::event::RunStatus::Ok)
            .collect();
        if ok.is_empty() {
            eprintln!("{id}: no successful run");
            continue;
        }
        let mean = ok.iter().map(|r| r.cpu_ms).sum::<f64>() / ok.len() as f64;
        let max = ok.iter().map(|r| r.cpu_ms).fold(0.0, f64::max);
        let mem = ok.iter().filter_map(|r| r.mem_bytes).max();
        eprintln!(
            "{id}: {} runs, cpu mean {mean:.4} ms, max {max:.4} ms, peak heap {:?} MB",
            ok.len(),
            mem.map(|b| b as f64 / 1048576.0)
        );
    }
}

criterion_group!(benches, cycle);
criterion_main!(benches);
