//! Research at scale: the sma_cross strategy over a grid of windows, optionally in walk-forward
//! folds, every run in parallel on all cores.
//!
//! Each cell is the sma_cross bar loop (`sma_cross_fast::run_sma_cross_on`) on the file loaded
//! once, the same run `optifire backtest --strategy sma_cross` does (and, by the tests of
//! tests/sma_cross_fast.rs, the same results as the engine path), so a cell can be checked
//! against a single backtest. Runs share nothing, and the rows are sorted before they are returned, so the table
//! does not depend on how the threads were scheduled.
//!
//! Walk-forward folds are rolling: the bar dates of the file are cut into consecutive windows,
//! each fold trains (in-sample) on one window and is tested (out-of-sample) on the window right
//! after it. Bars before a window's first date are history the strategy may read (its SMAs warm
//! up on them), never traded; bars after its last date are not loaded.

use super::load_backtest_data;
use super::metrics::Metrics;
use super::sma_cross::SmaCrossRun;
use super::sma_cross_fast::run_sma_cross_on;
use chrono::NaiveDate;
use optifire_core::config::Config;
use optifire_core::plugin::Registry;
use optifire_core::Timestamp;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

/// Why a sweep could not run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("range {0:?}: {1}")]
    Range(String, String),
    #[error("folds: {0}")]
    Folds(String),
    #[error("no cell of the grid has fast < slow")]
    EmptyGrid,
    #[error("{0}")]
    Data(String),
    #[error("fold {fold} {phase} fast {fast} slow {slow}: {message}")]
    Cell {
        fold: usize,
        phase: &'static str,
        fast: usize,
        slow: usize,
        message: String,
    },
}

/// An inclusive integer range with a step, written `START:END:STEP`, `START:END` (step 1) or a
/// single value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntRange {
    pub start: usize,
    pub end: usize,
    pub step: usize,
}

impl IntRange {
    /// `start, start + step, ...` up to and including `end`.
    pub fn values(&self) -> Vec<usize> {
        (self.start..=self.end).step_by(self.step.max(1)).collect()
    }
}

impl FromStr for IntRange {
    type Err = SweepError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| SweepError::Range(s.to_string(), why.to_string());
        let parts: Vec<usize> = s
            .split(':')
            .map(|p| p.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad("expected START:END:STEP of whole numbers, e.g. 5:50:5"))?;
        let r = match parts[..] {
            [v] => IntRange {
                start: v,
                end: v,
                step: 1,
            },
            [a, b] => IntRange {
                start: a,
                end: b,
                step: 1,
            },
            [a, b, c] => IntRange {
                start: a,
                end: b,
                step: c,
            },
            _ => return Err(bad("expected at most three parts")),
        };
        if r.step == 0 {
            return Err(bad("step must be at least 1"));
        }
        if r.start > r.end {
            return Err(bad("start is after end"));
        }
        if r.start == 0 {
            return Err(bad("an SMA window must be at least 1"));
        }
        Ok(r)
    }
}

/// How the bar dates are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldSpec {
    /// One run over the whole file (phase `full`).
    Whole,
    /// `k` folds: the dates cut into `k + 1` equal consecutive windows (the remainder of the
    /// division goes to the last one); fold i trains on window i and tests on window i + 1.
    Count(usize),
    /// Train on `train` bar dates, test on the next `test`, then move on by `test` dates, as
    /// long as a full test window fits.
    Days { train: usize, test: usize },
}

/// Which part of a fold a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Full,
    InSample,
    OutOfSample,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Full => "full",
            Phase::InSample => "in_sample",
            Phase::OutOfSample => "out_of_sample",
        }
    }
}

/// One fold's windows (first and last bar date, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    pub index: usize,
    pub train: (NaiveDate, NaiveDate),
    /// `None` for `FoldSpec::Whole`.
    pub test: Option<(NaiveDate, NaiveDate)>,
}

/// Splits `dates` (the file's bar dates, ascending) into folds.
pub fn make_folds(dates: &[NaiveDate], spec: FoldSpec) -> Result<Vec<Fold>, SweepError> {
    let n = dates.len();
    let window = |a: usize, b: usize| (dates[a], dates[b - 1]);
    match spec {
        FoldSpec::Whole => {
            if n == 0 {
                return Err(SweepError::Folds("no bars".into()));
            }
            Ok(vec![Fold {
                index: 0,
                train: window(0, n),
                test: None,
            }])
        }
        FoldSpec::Count(k) => {
            if k == 0 {
                return Err(SweepError::Folds("--folds must be at least 1".into()));
            }
            let len = n / (k + 1);
            if len < 2 {
                return Err(SweepError::Folds(format!(
                    "{n} bar dates are too few for {k} folds ({} windows)",
                    k + 1
                )));
            }
            // Window w covers [w * len, (w + 1) * len), the last one runs to the end.
            let bounds = |w: usize| (w * len, if w == k { n } else { (w + 1) * len });
            Ok((0..k)
                .map(|i| {
                    let (a, b) = bounds(i);
                    let (c, d) = bounds(i + 1);
                    Fold {
                        index: i,
                        train: window(a, b),
                        test: Some(window(c, d)),
                    }
                })
                .collect())
        }
        FoldSpec::Days { train, test } => {
            if train == 0 || test == 0 {
                return Err(SweepError::Folds(
                    "--train-days and --test-days must be at least 1".into(),
                ));
            }
            let mut out = Vec::new();
            let mut start = 0;
            while start + train + test <= n {
                out.push(Fold {
                    index: out.len(),
                    train: window(start, start + train),
                    test: Some(window(start + train, start + train + test)),
                });
                start += test;
            }
            if out.is_empty() {
                return Err(SweepError::Folds(format!(
                    "{n} bar dates are too few for {train} training and {test} test dates"
                )));
            }
            Ok(out)
        }
    }
}

/// What "best in-sample" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    Sharpe,
    TotalReturn,
}

impl Objective {
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Sharpe => "sharpe",
            Objective::TotalReturn => "total_return",
        }
    }

    /// The objective's value; `None` where the metric is undefined (no trades, flat curve).
    pub fn value(self, m: &Metrics) -> Option<f64> {
        match self {
            Objective::Sharpe => m.sharpe,
            Objective::TotalReturn => Some(m.total_return).filter(|x| x.is_finite()),
        }
    }
}

/// What to sweep.
#[derive(Clone)]
pub struct SweepSpec {
    pub run: SmaCrossRun,
    pub config: Config,
    pub registry: Registry,
    pub fast: IntRange,
    pub slow: IntRange,
    pub folds: FoldSpec,
    pub objective: Objective,
}

impl std::fmt::Debug for SweepSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SweepSpec")
            .field("run", &self.run)
            .field("fast", &self.fast)
            .field("slow", &self.slow)
            .field("folds", &self.folds)
            .field("objective", &self.objective)
            .finish_non_exhaustive()
    }
}

/// One backtest of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepCell {
    pub fold: usize,
    pub phase: Phase,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub fast: usize,
    pub slow: usize,
}

/// A cell and its result.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    pub cell: SweepCell,
    pub metrics: Metrics,
    /// Bars the run simulated.
    pub bars: usize,
    /// This (fast, slow) scored best in-sample in its fold (ties go to the smaller fast, then
    /// the smaller slow); set on both of the fold's rows for it.
    pub best_in_sample: bool,
}

/// The whole sweep, rows sorted by fold, phase, fast, slow.
#[derive(Debug, Clone)]
pub struct SweepResult {
    pub folds: Vec<Fold>,
    pub rows: Vec<SweepRow>,
    pub objective: Objective,
}

impl SweepResult {
    /// Bars simulated over all cells.
    pub fn bars(&self) -> usize {
        self.rows.iter().map(|r| r.bars).sum()
    }
}

/// Every cell of the sweep, in the order the rows are written.
pub fn cells(spec: &SweepSpec, folds: &[Fold]) -> Vec<SweepCell> {
    let pairs: Vec<(usize, usize)> = spec
        .fast
        .values()
        .into_iter()
        .flat_map(|f| {
            spec.slow
                .values()
                .into_iter()
                .filter(move |s| f < *s)
                .map(move |s| (f, s))
        })
        .collect();
    let mut out = Vec::new();
    for fold in folds {
        let mut windows = Vec::new();
        match fold.test {
            None => windows.push((Phase::Full, fold.train)),
            Some(test) => {
                windows.push((Phase::InSample, fold.train));
                windows.push((Phase::OutOfSample, test));
            }
        }
        for (phase, (from, to)) in windows {
            for &(fast, slow) in &pairs {
                out.push(SweepCell {
                    fold: fold.index,
                    phase,
                    from,
                    to,
                    fast,
                    slow,
                });
            }
        }
    }
    out
}

fn cell_key(c: &SweepCell) -> (usize, Phase, usize, usize) {
    (c.fold, c.phase, c.fast, c.slow)
}

/// Higher is better; an undefined value is worse than any defined one.
fn better(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

/// Runs every cell on rayon's pool (all cores unless the caller configured it) and calls
/// `progress(done, total)` as cells finish.
pub fn run_sweep(
    spec: &SweepSpec,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SweepResult, SweepError> {
    let data = load_backtest_data(&spec.run.data).map_err(|e| SweepError::Data(e.to_string()))?;
    let dates: Vec<NaiveDate> = data
        .market
        .view(Timestamp(i64::MAX))
        .bars(&spec.run.symbol)
        .iter()
        .map(|b| b.ts.ny_date())
        .collect();
    if dates.is_empty() {
        return Err(SweepError::Data(format!(
            "no bars of {} in {}",
            spec.run.symbol,
            spec.run.data.display()
        )));
    }
    let folds = make_folds(&dates, spec.folds)?;
    let todo = cells(spec, &folds);
    if todo.is_empty() {
        return Err(SweepError::EmptyGrid);
    }
    let total = todo.len();
    let done = AtomicUsize::new(0);
    let mut rows = todo
        .par_iter()
        .map(|cell| {
            let err = |message: String| SweepError::Cell {
                fold: cell.fold,
                phase: cell.phase.as_str(),
                fast: cell.fast,
                slow: cell.slow,
                message,
            };
            let r = run_sma_cross_on(
                &data,
                &spec.run,
                &spec.config,
                cell.fast,
                cell.slow,
                Some(cell.from),
                Some(cell.to),
            )
            .map_err(|e| err(e.to_string()))?;
            progress(done.fetch_add(1, AtomicOrdering::Relaxed) + 1, total);
            Ok(SweepRow {
                cell: *cell,
                metrics: r.metrics,
                bars: r.bars,
                best_in_sample: false,
            })
        })
        .collect::<Result<Vec<_>, SweepError>>()?;
    rows.sort_by_key(|r| cell_key(&r.cell));

    // Best in-sample pair per fold: highest objective, ties to the first in (fast, slow) order.
    for fold in &folds {
        let mut best: Option<(Option<f64>, (usize, usize))> = None;
        for r in rows
            .iter()
            .filter(|r| r.cell.fold == fold.index && r.cell.phase == Phase::InSample)
        {
            let v = spec.objective.value(&r.metrics);
            if best.is_none_or(|(b, _)| better(v, b) == Ordering::Greater) {
                best = Some((v, (r.cell.fast, r.cell.slow)));
            }
        }
        if let Some((_, pair)) = best {
            for r in rows.iter_mut().filter(|r| r.cell.fold == fold.index) {
                r.best_in_sample = (r.cell.fast, r.cell.slow) == pair;
            }
        }
    }
    Ok(SweepResult {
        folds,
        rows,
        objective: spec.objective,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(i: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(i as u64)
    }

    #[test]
    fn ranges_parse_and_list_their_values() {
        let r: IntRange = "5:50:5".parse().unwrap();
        assert_eq!(r.values(), [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
        assert_eq!(
            "20:25".parse::<IntRange>().unwrap().values(),
            [20, 21, 22, 23, 24, 25]
        );
        assert_eq!("7".parse::<IntRange>().unwrap().values(), [7]);
        // The end is kept only when the step lands on it.
        assert_eq!("1:10:4".parse::<IntRange>().unwrap().values(), [1, 5, 9]);
        for bad in ["", "a:b", "5:1", "1:5:0", "0:5", "1:2:3:4"] {
            assert!(bad.parse::<IntRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn count_folds_roll_over_equal_windows() {
        // 11 dates, 2 folds -> 3 windows of 3, the last takes the remainder: [0,3) [3,6) [6,11).
        let dates: Vec<_> = (0..11).map(d).collect();
        let f = make_folds(&dates, FoldSpec::Count(2)).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].train, (d(0), d(2)));
        assert_eq!(f[0].test, Some((d(3), d(5))));
        assert_eq!(f[1].train, (d(3), d(5)));
        assert_eq!(f[1].test, Some((d(6), d(10))));
        assert!(make_folds(&dates[..5], FoldSpec::Count(3)).is_err());
    }

    #[test]
    fn day_folds_step_by_the_test_length() {
        // 10 dates, train 4, test 2: trains start at 0, 2, 4; a fourth would need 12 dates.
        let dates: Vec<_> = (0..10).map(d).collect();
        let f = make_folds(&dates, FoldSpec::Days { train: 4, test: 2 }).unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[2].train, (d(4), d(7)));
        assert_eq!(f[2].test, Some((d(8), d(9))));
        assert!(make_folds(&dates, FoldSpec::Days { train: 9, test: 2 }).is_err());
    }

    #[test]
    fn undefined_objective_loses_to_any_value() {
        assert_eq!(better(Some(-5.0), None), Ordering::Greater);
        assert_eq!(better(None, Some(-5.0)), Ordering::Less);
        assert_eq!(better(Some(1.0), Some(2.0)), Ordering::Less);
    }
}
