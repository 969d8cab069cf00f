//! `optifire backtest`: the engine over historical bars with the simulated exchange, writing
//! metrics.json, equity.csv, trades.csv and orders.csv.
//!
//! Without `--strategy` it runs the configured plugins exactly as paper and live do; with
//! `--strategy sma_cross` it runs the reference SMA cross (for checking the backtester against
//! an independent replay) through the same executor and exchange.

use anyhow::{bail, Context as _, Result};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use optifire_core::config::{load_dir, ConfigSet, Features};
use optifire_core::domain::{Money, Quantity, Symbol};
use optifire_engine::backtest::sma_cross::SmaCross;
use optifire_engine::backtest::{run_backtest, write_outputs, BacktestSpec};
use optifire_venues::sim::{CommissionModel, SimConfig};
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
}

fn decimal(name: &str, s: &str) -> Result<Decimal> {
    Decimal::from_str(s).with_context(|| format!("--{name} {s:?} is not a decimal number"))
}

pub fn run(a: BacktestArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let registry = optifire_plugins::registry();
    let set = match &a.config {
        Some(dir) => load_dir(dir, &registry)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("loading configuration from {}", dir.display()))?,
        None => ConfigSet::embedded(&registry).map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    let mut spec = match a.strategy {
        None => BacktestSpec::new(set.config, set.features, registry, a.data.clone()),
        Some(StrategyName::SmaCross) => {
            let symbol = match (&a.symbol, a.data.file_stem()) {
                (Some(s), _) => s.clone(),
                (None, Some(stem)) if a.data.is_file() => stem.to_string_lossy().into_owned(),
                _ => bail!("--strategy sma_cross needs --symbol when --data is a directory"),
            };
            let size = Quantity(decimal("size", &a.size)?);
            let strategy = SmaCross::new(Symbol::new(&symbol), a.fast, a.slow, size)?;
            let cash = decimal("cash", &a.cash)?;
            let rate = decimal("commission", &a.commission)?;
            // The reference runs alone: no plugins, commission as given, no slippage.
            let mut spec = BacktestSpec::new(
                set.config,
                Features {
                    plugins: Default::default(),
                },
                registry,
                a.data.clone(),
            );
            spec.sim = Some(SimConfig {
                starting_cash: Money(cash),
                commission: CommissionModel::PercentOfValue { rate },
                ..SimConfig::default()
            });
            spec.strategy = Some(Box::new(strategy));
            spec
        }
    };
    spec.from = a.from;
    spec.to = a.to;
    let result = run_backtest(spec).context("backtest failed")?;
    write_outputs(&result, &a.out)?;
    let m = &result.metrics;
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
    if !result.errors.is_empty() {
        eprintln!(
            "{} engine problem(s); first: {}",
            result.errors.len(),
            result.errors[0]
        );
    }
    Ok(ExitCode::SUCCESS)
}
