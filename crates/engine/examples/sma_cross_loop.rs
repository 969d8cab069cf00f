//! Repeats the in-process part of `optifire backtest --strategy sma_cross` (load and validate
//! the CSV, then the bar loop and its metrics) N times, for profiling it with `perf record`:
//! one run takes a few milliseconds, too short to sample. Prints the best and median thread
//! CPU time of each phase.
//!
//! `cargo run --release --example sma_cross_loop -- data/long/ORCL.csv 2000`

use optifire_core::config::Config;
use optifire_core::domain::{Money, Quantity, Symbol};
use optifire_core::plugin::measure::thread_cpu_ms;
use optifire_engine::backtest::load_backtest_data;
use optifire_engine::backtest::sma_cross::SmaCrossRun;
use optifire_engine::backtest::sma_cross_fast::run_sma_cross_on;
use rust_decimal::Decimal;
use std::path::PathBuf;

/// One line to standard output (the workspace keeps `println!` out of its code).
fn say(line: String) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Minor page faults of the process so far (Linux; 0 elsewhere).
fn minor_faults() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.to_string();
            after.split_whitespace().nth(7)?.parse().ok()
        })
        .unwrap_or(0)
}

fn main() {
    // The heap settings `optifire backtest` runs with (see `keep_freed_memory` in the CLI).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: only sets two glibc allocator parameters; nothing allocated changes.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
    let mut args = std::env::args().skip(1);
    let data = PathBuf::from(args.next().unwrap_or_else(|| "data/long/ORCL.csv".into()));
    let n: usize = args.next().map_or(1000, |s| s.parse().expect("N"));
    let run = SmaCrossRun {
        symbol: Symbol::new(&data.file_stem().unwrap().to_string_lossy()),
        data,
        size: Quantity(Decimal::from(100)),
        cash: Money(Decimal::from(100_000)),
        commission: Decimal::new(1, 3),
        price_decimals: 6,
    };
    let config = Config::default();
    let (mut load, mut bars) = (Vec::new(), Vec::new());
    let mut trades = 0;
    for k in 0..n {
        let f0 = minor_faults();
        let t0 = thread_cpu_ms();
        let d = load_backtest_data(&run.data).expect("data");
        let t1 = thread_cpu_ms();
        let f1 = minor_faults();
        let r = run_sma_cross_on(&d, &run, &config, 10, 30, None, None).expect("run");
        let t2 = thread_cpu_ms();
        let f2 = minor_faults();
        if k < 3 {
            say(format!(
                "run {k}: load {:.3} ms ({} page faults), run {:.3} ms ({} page faults)",
                t1 - t0,
                f1 - f0,
                t2 - t1,
                f2 - f1
            ));
        }
        load.push(t1 - t0);
        bars.push(t2 - t1);
        trades = r.closed_trades.len();
        drop((d, r));
    }
    let show = |name: &str, v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        say(format!(
            "{name}: best {:.3} ms, median {:.3} ms",
            v[0],
            v[v.len() / 2]
        ));
    };
    show("load", &mut load);
    show("run", &mut bars);
    say(format!("{trades} closed trades"));
}
