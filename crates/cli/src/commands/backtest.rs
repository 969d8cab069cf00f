//! `optifire backtest`: the engine over historical bars with the simulated exchange, writing
//! metrics.json, equity.csv, trades.csv, orders.csv, equity.png, drawdown.png and report.html.
//!
//! Without `--strategy` it runs the configured plugins exactly as paper and live do; with
//! `--strategy sma_cross` it runs the reference SMA cross (for checking the backtester against
//! an independent replay): by default on the dedicated bar loop (`sma_cross_fast`), with
//! `--engine full` through the same executor and exchange as the plugins.

use anyhow::{bail, Context as _, Result};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use optifire_core::config::{load_dir, Config, ConfigSet};
use optifire_core::domain::{Money, Quantity, Symbol};
use optifire_core::plugin::Registry;
use optifire_engine::backtest::sma_cross::SmaCross;
use optifire_engine::backtest::sma_cross::SmaCrossRun;
use optifire_engine::backtest::sma_cross_fast::run_sma_cross_on;
use optifire_engine::backtest::{
    load_backtest_data, run_backtest_with_progress, write_outputs, write_report_with,
    BacktestError, BacktestSpec, Report,
};
use rust_decimal::Decimal;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum StrategyName {
    /// Long-only SMA cross on one symbol: --fast, --slow, --size, --cash, --commission.
    #[value(name = "sma_cross")]
    SmaCross,
}

/// Which implementation runs `--strategy sma_cross`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum EngineChoice {
    /// The dedicated bar loop: same loader, exchange, ledger and outputs, no scheduler or
    /// store; over 100 times faster than backtrader in-process on a 5,000-bar file
    /// (tools/compare/last_run.txt has the measured figures).
    #[default]
    Fast,
    /// The full engine (scheduler, executor, store), kept to cross-check the bar loop.
    Full,
}

#[derive(Args, Debug)]
pub struct BacktestArgs {
    /// Directory with config.yaml and features.yaml (default: the built-in configuration).
    #[arg(long)]
    config: Option<PathBuf>,
    /// A CSV file or a directory of CSV files of bars.
    #[arg(long, default_value = "data/sample")]
    data: PathBuf,
    /// First New York date traded (earlier bars are history only).
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Last New York date loaded.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Where the output files go (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Run a reference strategy instead of the configured plugins.
    #[arg(long, value_enum)]
    strategy: Option<StrategyName>,
    /// sma_cross: fast SMA window.
    #[arg(long, default_value_t = 10)]
    fast: usize,
    /// sma_cross: slow SMA window.
    #[arg(long, default_value_t = 30)]
    slow: usize,
    /// sma_cross: shares bought on a cross above.
    #[arg(long, default_value = "100")]
    size: String,
    /// sma_cross: starting cash.
    #[arg(long, default_value = "100000")]
    cash: String,
    /// sma_cross: commission as a fraction of traded value (0.001 = 10 bps).
    #[arg(long, default_value = "0")]
    commission: String,
    /// sma_cross: the symbol traded (default: the data file's name).
    #[arg(long)]
    symbol: Option<String>,
    /// sma_cross: decimals of the exchange's price tick; fills are rounded to it (2 = cents).
    #[arg(long, default_value_t = 2)]
    price_decimals: u32,
    /// sma_cross: `fast` runs the dedicated bar loop (default), `full` the whole engine; both
    /// give identical files (checked by tests).
    #[arg(long, value_enum, default_value_t = EngineChoice::Fast)]
    engine: EngineChoice,
    /// Print the run's own elapsed and CPU time (the backtest alone: no start-up, no file
    /// writing) as a last line `elapsed_s: X cpu_s: Y`. For timing comparisons; never written
    /// to a file, so outputs stay deterministic.
    #[arg(long)]
    timing: bool,
    /// `true` or `false`: write the run's record (plugin runs and outputs, events, equity and
    /// position snapshots) to its private store on a second thread while the engine goes on
    /// (default: the engine's default, see `BacktestSpec::store_writer_thread`). The same
    /// files either way.
    #[arg(long, value_name = "BOOL")]
    store_writer_thread: Option<bool>,
}

fn decimal(name: &str, s: &str) -> Result<Decimal> {
    Decimal::from_str(s).with_context(|| format!("--{name} {s:?} is not a decimal number"))
}

/// The sma_cross settings shared by `backtest` and `sweep`.
pub fn sma_cross_run(
    data: &std::path::Path,
    symbol: Option<&str>,
    size: &str,
    cash: &str,
    commission: &str,
    price_decimals: u32,
) -> Result<SmaCrossRun> {
    let symbol = match (symbol, data.file_stem()) {
        (Some(s), _) => s.to_string(),
        (None, Some(stem)) if data.is_file() => stem.to_string_lossy().into_owned(),
        _ => bail!("--strategy sma_cross needs --symbol when --data is a directory"),
    };
    Ok(SmaCrossRun {
        data: data.to_path_buf(),
        symbol: Symbol::new(&symbol),
        size: Quantity(decimal("size", size)?),
        cash: Money(decimal("cash", cash)?),
        commission: decimal("commission", commission)?,
        price_decimals,
    })
}

/// The configuration of `--config DIR`, or the built-in one.
pub fn config_set(config: Option<&std::path::Path>, registry: &Registry) -> Result<ConfigSet> {
    Ok(match config {
        Some(dir) => load_dir(dir, registry)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("loading configuration from {}", dir.display()))?,
        None => ConfigSet::embedded(registry).map_err(|e| anyhow::anyhow!("{e}"))?,
    })
}

/// What the summary lines print, from either path.
struct Summary<'a> {
    report: Report<'a>,
    bars: usize,
    cycles: usize,
    errors: &'a [String],
}

pub fn run(a: BacktestArgs, out: &mut dyn Write) -> Result<ExitCode> {
    keep_freed_memory();
    if a.strategy == Some(StrategyName::SmaCross) && a.engine == EngineChoice::Fast {
        return run_fast(a, out);
    }
    let registry = optifire_plugins::registry();
    let set = config_set(a.config.as_deref(), &registry)?;
    let mut spec = match a.strategy {
        None => BacktestSpec::new(set.config, set.features, registry, a.data.clone()),
        Some(StrategyName::SmaCross) => sma_cross_run(
            &a.data,
            a.symbol.as_deref(),
            &a.size,
            &a.cash,
            &a.commission,
            a.price_decimals,
        )?
        .spec(set.config, registry, a.fast, a.slow)?,
    };
    spec.from = a.from;
    spec.to = a.to;
    if let Some(on) = a.store_writer_thread {
        spec.store_writer_thread = on;
    }
    let pb = super::backtest_progress::bar(0, "backtest");
    let started = optifire_core::plugin::measure::monotonic_secs();
    // The process's CPU: the store writer thread's work counts too.
    let started_cpu = optifire_core::plugin::measure::process_cpu_ms();
    let result = run_backtest_with_progress(spec, &mut |done, total| {
        if done == 1 {
            pb.set_length(total as u64);
        }
        pb.set_position(done as u64);
    });
    let elapsed = optifire_core::plugin::measure::monotonic_secs() - started;
    let cpu = (optifire_core::plugin::measure::process_cpu_ms() - started_cpu) / 1e3;
    pb.finish_and_clear();
    let result = result.context("backtest failed")?;
    write_outputs(&result, &a.out)?;
    let summary = Summary {
        report: Report::from(&result),
        bars: result.bars,
        cycles: result.cycles,
        errors: &result.errors,
    };
    print_summary(&a, &summary, elapsed, cpu, out)?;
    Ok(ExitCode::SUCCESS)
}

/// Tells glibc's malloc to keep freed memory for reuse: a backtest is one short batch that
/// builds and drops many vectors of hundreds of KiB (bars, equity points, daily series, chart
/// bitmaps, file texts). By default each block over 128 KiB is its own `mmap`, returned to
/// the kernel when freed, so the next one faults in fresh zeroed pages again; the sma_cross
/// run paid over a millisecond (a tenth of its CPU time) for that. (This measured better than
/// mimalloc as the heap: the default backtest ran 4% faster on mimalloc, the sma_cross bar loop
/// 1.6x slower, in-process and whole-process alike.) Up to 32 MiB now come from
/// the heap, and the heap is not trimmed below 256 MiB of free space: memory is given back at
/// exit, a few seconds later at most. Only `backtest` asks for this, not the long-running
/// `run` and `serve`.
#[allow(unsafe_code)]
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets two of glibc's allocator parameters (it takes the arena lock
    // itself); no pointer is passed and nothing already allocated changes.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// `--strategy sma_cross` on the bar loop.
fn run_fast(a: BacktestArgs, out: &mut dyn Write) -> Result<ExitCode> {
    // The bar loop reads only config.yaml (execution and risk settings). Without --config that
    // is the embedded file, which a unit test parses and validates: its features.yaml (three
    // times the text) and the plugin registry that checks it are not needed here.
    let config = match a.config.as_deref() {
        Some(dir) => config_set(Some(dir), &optifire_plugins::registry())?.config,
        None => Config::default(),
    };
    let run = sma_cross_run(
        &a.data,
        a.symbol.as_deref(),
        &a.size,
        &a.cash,
        &a.commission,
        a.price_decimals,
    )?;
    SmaCross::new(run.symbol.clone(), a.fast, a.slow, run.size)?;
    // CPU milliseconds of this thread per phase, for --timing.
    let mut phases: Vec<(&'static str, f64)> = Vec::new();
    let mut mark = optifire_core::plugin::measure::thread_cpu_ms();
    let mut lap = |name: &'static str, phases: &mut Vec<(&'static str, f64)>| {
        let now = optifire_core::plugin::measure::thread_cpu_ms();
        phases.push((name, now - mark));
        mark = now;
    };
    let started = optifire_core::plugin::measure::monotonic_secs();
    let started_cpu = optifire_core::plugin::measure::thread_cpu_ms();
    let data = load_backtest_data(&run.data)
        .map_err(BacktestError::from)
        .context("backtest failed")?;
    lap("load", &mut phases);
    let result = run_sma_cross_on(&data, &run, &config, a.fast, a.slow, a.from, a.to);
    lap("run", &mut phases);
    let elapsed = optifire_core::plugin::measure::monotonic_secs() - started;
    let cpu = (optifire_core::plugin::measure::thread_cpu_ms() - started_cpu) / 1e3;
    let result = result.context("backtest failed")?;
    write_report_with(&result.report(), &a.out, &mut |name| lap(name, &mut phases))?;
    let summary = Summary {
        report: result.report(),
        bars: result.bars,
        cycles: result.cycles,
        errors: &result.errors,
    };
    print_summary(&a, &summary, elapsed, cpu, out)?;
    if a.timing {
        let list: Vec<String> = phases
            .iter()
            .map(|(n, ms)| format!("{n} {ms:.3}"))
            .collect();
        writeln!(out, "phase_cpu_ms: {}", list.join(", "))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(
    a: &BacktestArgs,
    s: &Summary<'_>,
    elapsed: f64,
    cpu: f64,
    out: &mut dyn Write,
) -> Result<()> {
    let m = s.report.metrics;
    writeln!(
        out,
        "{} to {} ({} days): equity {} -> {} ({:+.2}%), {} fills, {} trades, max drawdown {}",
        m.start,
        m.end,
        m.days,
        m.initial_equity,
        m.final_equity,
        m.total_return * 100.0,
        m.fills,
        m.trades,
        m.max_drawdown
            .map_or_else(|| "n/a".to_string(), |d| format!("{:.2}%", d * 100.0)),
    )?;
    for n in &m.notes {
        writeln!(out, "note: {n}")?;
    }
    writeln!(out, "wrote {}", a.out.display())?;
    if a.timing {
        writeln!(
            out,
            "elapsed_s: {elapsed:.6} cpu_s: {cpu:.6} ({} bars, {} cycles)",
            s.bars, s.cycles
        )?;
    }
    if !s.errors.is_empty() {
        eprintln!(
            "{} engine problem(s); first: {}",
            s.errors.len(),
            s.errors[0]
        );
    }
    Ok(())
}
