//! The files a sweep writes: sweep.csv (one row per cell) and heatmap.png (the objective over
//! the fast × slow grid).
//!
//! Rows arrive sorted and numbers are written in Rust's shortest round-trip form, so the files
//! are byte-identical however the cells were scheduled on the threads.

use super::sweep::{Phase, SweepResult};
use optifire_charts::{ChartError, HeatMap, Size};
use std::collections::BTreeMap;
use std::path::Path;

/// Pixel size of heatmap.png.
pub const HEATMAP_SIZE: Size = Size::new(1000, 640);

/// Why the sweep's files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SweepOutputError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Csv { path: String, source: csv::Error },
    #[error("{path}: {source}")]
    Chart { path: String, source: ChartError },
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(String::new, |v| v.to_string())
}

/// The columns of sweep.csv.
pub const COLUMNS: [&str; 20] = [
    "fold",
    "phase",
    "from",
    "to",
    "fast",
    "slow",
    "best_in_sample",
    "days",
    "bars",
    "final_equity",
    "total_return",
    "cagr",
    "annual_volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "trades",
    "win_rate",
    "profit_factor",
    "commissions",
];

/// Writes sweep.csv.
pub fn write_sweep_csv(result: &SweepResult, path: &Path) -> Result<(), SweepOutputError> {
    let err = |source| SweepOutputError::Csv {
        path: path.display().to_string(),
        source,
    };
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    w.write_record(COLUMNS).map_err(err)?;
    for r in &result.rows {
        let (c, m) = (&r.cell, &r.metrics);
        w.write_record([
            c.fold.to_string(),
            c.phase.as_str().to_string(),
            c.from.to_string(),
            c.to.to_string(),
            c.fast.to_string(),
            c.slow.to_string(),
            r.best_in_sample.to_string(),
            m.days.to_string(),
            r.bars.to_string(),
            m.final_equity.to_string(),
            opt(Some(m.total_return).filter(|x| x.is_finite())),
            opt(m.cagr),
            opt(m.annual_volatility),
            opt(m.sharpe),
            opt(m.sortino),
            opt(m.max_drawdown),
            m.trades.to_string(),
            opt(m.win_rate),
            opt(m.profit_factor),
            m.commissions.to_string(),
        ])
        .map_err(err)?;
    }
    w.flush().map_err(|source| SweepOutputError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The heat map: fast windows across, slow windows up; the objective of the whole-file run, or
/// with folds its out-of-sample mean over the folds (a setting that only shines in-sample does
/// not light up).
pub fn heatmap(result: &SweepResult) -> HeatMap {
    let phase = if result.folds.iter().any(|f| f.test.is_some()) {
        Phase::OutOfSample
    } else {
        Phase::Full
    };
    let mut sums: BTreeMap<(usize, usize), (f64, usize)> = BTreeMap::new();
    let mut fasts = std::collections::BTreeSet::new();
    let mut slows = std::collections::BTreeSet::new();
    for r in result.rows.iter().filter(|r| r.cell.phase == phase) {
        fasts.insert(r.cell.fast);
        slows.insert(r.cell.slow);
        let e = sums.entry((r.cell.fast, r.cell.slow)).or_insert((0.0, 0));
        if let Some(v) = result.objective.value(&r.metrics) {
            e.0 += v;
            e.1 += 1;
        }
    }
    let fasts: Vec<usize> = fasts.into_iter().collect();
    let slows: Vec<usize> = slows.into_iter().collect();
    let values = slows
        .iter()
        .map(|s| {
            fasts
                .iter()
                .map(|f| {
                    sums.get(&(*f, *s))
                        .filter(|(_, n)| *n > 0)
                        .map(|(sum, n)| sum / *n as f64)
                })
                .collect()
        })
        .collect();
    let title = match phase {
        Phase::OutOfSample => format!(
            "{}, out-of-sample mean of {} folds",
            result.objective.as_str(),
            result.folds.len()
        ),
        _ => match result.folds.first() {
            Some(f) => format!(
                "{}, {} to {}",
                result.objective.as_str(),
                f.train.0,
                f.train.1
            ),
            None => result.objective.as_str().to_string(),
        },
    };
    let map = HeatMap::new(
        title,
        "fast SMA",
        "slow SMA",
        fasts.iter().map(|f| f.to_string()).collect(),
        slows.iter().map(|s| s.to_string()).collect(),
        values,
    );
    match result.objective {
        super::sweep::Objective::TotalReturn => map.percent(),
        super::sweep::Objective::Sharpe => map,
    }
}

/// Writes sweep.csv and heatmap.png into `dir` (created if missing).
pub fn write_sweep_outputs(result: &SweepResult, dir: &Path) -> Result<(), SweepOutputError> {
    std::fs::create_dir_all(dir).map_err(|source| SweepOutputError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    write_sweep_csv(result, &dir.join("sweep.csv"))?;
    let p = dir.join("heatmap.png");
    heatmap(result)
        .to_png(&p, HEATMAP_SIZE)
        .map_err(|source| SweepOutputError::Chart {
            path: p.display().to_string(),
            source,
        })
}
