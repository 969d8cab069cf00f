//! `optifire bench`: throughput and peak memory of standard backtest scenarios, as plain text.
//!
//! The numbers a user compares against another backtester or a previous build: how many bars,
//! cycles and engine events a second, and how much memory the process peaked at. Timing uses
//! the monotonic clock and only ever reaches the terminal, never an output file.

use anyhow::{Context as _, Result};
use clap::Args;
use optifire_core::plugin::measure::monotonic_secs;
use optifire_engine::backtest::{run_backtest, BacktestResult, BacktestSpec};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// A long daily file for the sma_cross scenario (about 5,000 bars).
    #[arg(long, default_value = "data/long/ORCL.csv")]
    long: PathBuf,
    /// The directory for the default-plugin scenario.
    #[arg(long, default_value = "data/sample")]
    sample: PathBuf,
    /// Runs of each scenario; the fastest and the median are shown.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// One scenario's measurements.
struct Measured {
    secs: Vec<f64>,
    result: BacktestResult,
    peak_rss_kib: Option<u64>,
    rss_before_kib: Option<u64>,
}

/// A `kB` field of /proc/self/status (Linux); `None` elsewhere.
fn proc_status_kib(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resets the kernel's peak-RSS mark (VmHWM) to the current RSS, so each scenario's peak is
/// its own; `false` where the kernel does not allow it.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn measure(runs: usize, make: &dyn Fn() -> Result<BacktestSpec>) -> Result<Measured> {
    let rss_before_kib = proc_status_kib("VmRSS:");
    let reset = reset_peak_rss();
    let mut secs = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let spec = make()?;
        let t0 = monotonic_secs();
        let r = run_backtest(spec).context("backtest failed")?;
        secs.push(monotonic_secs() - t0);
        // Dropped outside the timed section.
        last = Some(r);
    }
    secs.sort_by(f64::total_cmp);
    let result = last.context("no run")?;
    Ok(Measured {
        secs,
        result,
        peak_rss_kib: if reset {
            proc_status_kib("VmHWM:")
        } else {
            None
        },
        rss_before_kib,
    })
}

/// Engine events of a run: bars handed to the exchange, plugin runs, orders, fills.
fn events(r: &BacktestResult) -> u64 {
    let plugin_runs: u64 = r
        .metrics
        .plugin_runs
        .values()
        .flat_map(|m| m.values())
        .sum();
    r.bars as u64 + plugin_runs + r.orders.len() as u64 + r.fills.len() as u64
}

fn report(out: &mut dyn Write, name: &str, m: &Measured) -> Result<()> {
    let best = m.secs[0];
    let median = m.secs[m.secs.len() / 2];
    let r = &m.result;
    let rate = |n: u64| n as f64 / best;
    writeln!(out, "{name}")?;
    writeln!(
        out,
        "  work:        {} bars, {} cycles, {} events ({} plugin runs, {} orders, {} fills)",
        r.bars,
        r.cycles,
        events(r),
        r.metrics
            .plugin_runs
            .values()
            .flat_map(|m| m.values())
            .sum::<u64>(),
        r.orders.len(),
        r.fills.len()
    )?;
    writeln!(
        out,
        "  time:        best {:.3} ms, median {:.3} ms of {} runs",
        best * 1e3,
        median * 1e3,
        m.secs.len()
    )?;
    writeln!(
        out,
        "  throughput:  {:.0} bars/s, {:.0} events/s, {:.0} cycles/s",
        rate(r.bars as u64),
        rate(events(r)),
        rate(r.cycles as u64)
    )?;
    match (m.peak_rss_kib, m.rss_before_kib) {
        (Some(peak), Some(before)) => writeln!(
            out,
            "  peak memory: {:.1} MiB resident (process peak during the scenario; {:.1} MiB before it)",
            peak as f64 / 1024.0,
            before as f64 / 1024.0
        )?,
        _ => writeln!(out, "  peak memory: not measurable on this system")?,
    }
    writeln!(
        out,
        "  result:      final equity {}, {} trades",
        r.metrics.final_equity, r.metrics.trades
    )?;
    Ok(())
}

pub fn run(a: BenchArgs, out: &mut dyn Write) -> Result<ExitCode> {
    writeln!(
        out,
        "optifire bench: each scenario is run_backtest alone (loading and validating the CSV \
         files, every cycle, metrics), timed with the monotonic clock, without process start-up \
         or writing output files; rates use the fastest run. Events = bars fed to the simulated \
         exchange + plugin runs + orders + fills. Memory is the process's peak resident set \
         (VmHWM, reset before each scenario)."
    )?;
    writeln!(out)?;

    let long = a.long.clone();
    let sma = measure(a.runs, &|| {
        let run = super::backtest::sma_cross_run(&long, None, "100", "100000", "0.001", 2)?;
        let registry = optifire_plugins::registry();
        let set = super::backtest::config_set(None, &registry)?;
        Ok(run.spec(set.config, registry, 10, 30)?)
    })
    .with_context(|| format!("sma_cross on {}", a.long.display()))?;
    report(
        out,
        &format!(
            "sma_cross 10/30 on {} (100 shares, 10 bps commission)",
            a.long.display()
        ),
        &sma,
    )?;
    writeln!(out)?;

    let sample = a.sample.clone();
    let default = measure(a.runs, &|| {
        let registry = optifire_plugins::registry();
        let set = super::backtest::config_set(None, &registry)?;
        Ok(BacktestSpec::new(
            set.config,
            set.features,
            registry,
            sample.clone(),
        ))
    })
    .with_context(|| format!("default plugins on {}", a.sample.display()))?;
    report(
        out,
        &format!(
            "default configuration (plugins of features.yaml) on {}",
            a.sample.display()
        ),
        &default,
    )?;
    Ok(ExitCode::SUCCESS)
}
