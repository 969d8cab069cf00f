//! `optifire sweep`: the sma_cross strategy over a grid of fast and slow windows, optionally in
//! rolling walk-forward folds, on all cores; writes sweep.csv and heatmap.png.
//!
//! Every cell is the backtest `optifire backtest --strategy sma_cross` would run with the same
//! flags, restricted to the cell's dates, so any row can be reproduced on its own.

use super::backtest::{config_set, sma_cross_run};
use anyhow::{bail, Context as _, Result};
use clap::{Args, ValueEnum};
use optifire_engine::backtest::sweep::Phase;
use optifire_engine::backtest::{
    run_sweep, write_sweep_outputs, FoldSpec, IntRange, Objective, SweepSpec,
};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ObjectiveArg {
    /// Annualized Sharpe ratio of daily returns.
    Sharpe,
    /// Final over initial equity, minus one.
    #[value(name = "total_return")]
    TotalReturn,
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// One CSV file of daily bars.
    #[arg(long)]
    data: PathBuf,
    /// Fast SMA windows, START:END:STEP (inclusive), e.g. 5:50:5.
    #[arg(long, default_value = "5:50:5")]
    fast: String,
    /// Slow SMA windows, START:END:STEP (inclusive), e.g. 20:200:10. Pairs with fast >= slow
    /// are skipped.
    #[arg(long, default_value = "20:200:10")]
    slow: String,
    /// Walk-forward: cut the bar dates into K+1 equal windows; fold i trains (in-sample) on
    /// window i and tests (out-of-sample) on window i+1.
    #[arg(long, conflicts_with_all = ["train_days", "test_days"])]
    folds: Option<usize>,
    /// Walk-forward: in-sample length in bar dates (with --test-days); folds roll forward by
    /// the test length.
    #[arg(long, requires = "test_days")]
    train_days: Option<usize>,
    /// Walk-forward: out-of-sample length in bar dates (with --train-days).
    #[arg(long, requires = "train_days")]
    test_days: Option<usize>,
    /// What "best in-sample" maximises, and what the heat map shows.
    #[arg(long, value_enum, default_value = "sharpe")]
    objective: ObjectiveArg,
    /// Shares bought on a cross above.
    #[arg(long, default_value = "100")]
    size: String,
    /// Starting cash of every run.
    #[arg(long, default_value = "100000")]
    cash: String,
    /// Commission as a fraction of traded value (0.001 = 10 bps).
    #[arg(long, default_value = "0")]
    commission: String,
    /// The symbol traded (default: the data file's name).
    #[arg(long)]
    symbol: Option<String>,
    /// Decimals of the exchange's price tick; fills are rounded to it (2 = cents).
    #[arg(long, default_value_t = 2)]
    price_decimals: u32,
    /// Directory with config.yaml (default: the built-in configuration).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Where sweep.csv and heatmap.png go (created if missing).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: SweepArgs, out: &mut dyn Write) -> Result<ExitCode> {
    if !a.data.is_file() {
        bail!("--data {} is not a file", a.data.display());
    }
    let registry = optifire_plugins::registry();
    let set = config_set(a.config.as_deref(), &registry)?;
    let folds = match (a.folds, a.train_days, a.test_days) {
        (Some(k), _, _) => FoldSpec::Count(k),
        (None, Some(train), Some(test)) => FoldSpec::Days { train, test },
        _ => FoldSpec::Whole,
    };
    let spec = SweepSpec {
        run: sma_cross_run(
            &a.data,
            a.symbol.as_deref(),
            &a.size,
            &a.cash,
            &a.commission,
            a.price_decimals,
        )?,
        config: set.config,
        registry,
        fast: a.fast.parse::<IntRange>().context("--fast")?,
        slow: a.slow.parse::<IntRange>().context("--slow")?,
        folds,
        objective: match a.objective {
            ObjectiveArg::Sharpe => Objective::Sharpe,
            ObjectiveArg::TotalReturn => Objective::TotalReturn,
        },
    };
    let pb = super::backtest_progress::bar(0, "sweep");
    let progress = |done: usize, total: usize| {
        if pb.length() != Some(total as u64) {
            pb.set_length(total as u64);
        }
        pb.set_position(done as u64);
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()
        .context("starting the worker threads")?;
    let result = pool.install(|| run_sweep(&spec, &progress));
    pb.finish_and_clear();
    let result = result?;
    write_sweep_outputs(&result, &a.out)?;

    let phases = if matches!(folds, FoldSpec::Whole) {
        1
    } else {
        2
    };
    let per_phase = result.rows.len() / (result.folds.len() * phases).max(1);
    writeln!(
        out,
        "{} backtests ({} fold(s) x {} phase(s) x {} window pairs), {} bars simulated",
        result.rows.len(),
        result.folds.len(),
        phases,
        per_phase,
        result.bars()
    )?;
    let objective = spec.objective;
    for f in &result.folds {
        let best = result
            .rows
            .iter()
            .filter(|r| r.cell.fold == f.index && r.best_in_sample);
        for r in best {
            let v = objective
                .value(&r.metrics)
                .map_or_else(|| "n/a".to_string(), |v| format!("{v:.3}"));
            match r.cell.phase {
                Phase::Full => writeln!(
                    out,
                    "best {} {}: fast {} slow {} ({} to {})",
                    objective.as_str(),
                    v,
                    r.cell.fast,
                    r.cell.slow,
                    r.cell.from,
                    r.cell.to
                )?,
                Phase::InSample => writeln!(
                    out,
                    "fold {} in-sample {} to {}: best fast {} slow {}, {} {}",
                    f.index,
                    r.cell.from,
                    r.cell.to,
                    r.cell.fast,
                    r.cell.slow,
                    objective.as_str(),
                    v
                )?,
                Phase::OutOfSample => writeln!(
                    out,
                    "fold {} out-of-sample {} to {}: {} {}, return {:+.2}%",
                    f.index,
                    r.cell.from,
                    r.cell.to,
                    objective.as_str(),
                    v,
                    r.metrics.total_return * 100.0
                )?,
            }
        }
    }
    writeln!(out, "wrote {}", a.out.display())?;
    Ok(ExitCode::SUCCESS)
}
