//! The sma_cross bar loop bound to the engine: on the same inputs, `run_sma_cross_fast` and the
//! engine path (`SmaCrossRun::spec` + `run_backtest`) must give identical fills, equity points,
//! closed trades, orders and metrics, and byte-identical output files, over a grid of windows,
//! several symbols, date ranges, tick sizes, an unaffordable size (rejected orders), an
//! index without volume (orders refused for slippage), a crypto series (GTC routing, weekend bars) and a folder of files (a
//! timeline with other symbols' instants).

use chrono::NaiveDate;
use optifire_core::config::{Config, ConfigSet};
use optifire_core::domain::{Money, OrderStatus, Quantity, Symbol};
use optifire_engine::backtest::sma_cross::SmaCrossRun;
use optifire_engine::backtest::sma_cross_fast::{run_sma_cross_fast, SmaCrossResult};
use optifire_engine::backtest::{run_backtest, write_outputs, write_report, BacktestResult};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::str::FromStr;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn run(data: &str, symbol: &str, size: &str, commission: &str, decimals: u32) -> SmaCrossRun {
    SmaCrossRun {
        data: root().join(data),
        symbol: Symbol::new(symbol),
        size: Quantity(dec(size)),
        cash: Money(dec("100000")),
        commission: dec(commission),
        price_decimals: decimals,
    }
}

fn embedded() -> Config {
    ConfigSet::embedded(&optifire_plugins::registry())
        .unwrap()
        .config
}

fn engine(
    r: &SmaCrossRun,
    config: &Config,
    fast: usize,
    slow: usize,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> BacktestResult {
    let mut spec = r
        .spec(config.clone(), optifire_plugins::registry(), fast, slow)
        .unwrap();
    spec.from = from;
    spec.to = to;
    run_backtest(spec).unwrap()
}

/// Every field the outputs are written from, one by one so a failure names what differs.
fn assert_same(f: &SmaCrossResult, e: &BacktestResult, what: &str) {
    assert_eq!(f.fills, e.fills, "fills: {what}");
    assert_eq!(f.equity.len(), e.equity.len(), "equity points: {what}");
    for (a, b) in f.equity.iter().zip(&e.equity) {
        assert_eq!(a, b, "equity point: {what}");
        // Same value is not enough for the files: the same decimal scale too.
        assert_eq!(a.equity.0.to_string(), b.equity.0.to_string(), "{what}");
        assert_eq!(a.cash.0.to_string(), b.cash.0.to_string(), "{what}");
    }
    assert_eq!(f.closed_trades, e.closed_trades, "closed trades: {what}");
    assert_eq!(f.orders.len(), e.orders.len(), "orders: {what}");
    for (a, b) in f.orders.iter().zip(&e.orders) {
        assert_eq!(a.request, b.request, "order request: {what}");
        assert_eq!(a.status, b.status, "order status: {what}");
        assert_eq!(a.filled_qty, b.filled_qty, "order filled: {what}");
        assert_eq!(a.avg_fill_price, b.avg_fill_price, "order price: {what}");
        assert_eq!(a.reason, b.reason, "order reason: {what}");
    }
    assert_eq!(f.metrics, e.metrics, "metrics: {what}");
    assert_eq!(
        serde_json::to_string_pretty(&f.metrics).unwrap(),
        serde_json::to_string_pretty(&e.metrics).unwrap(),
        "metrics.json: {what}"
    );
    assert_eq!(f.errors, e.errors, "errors: {what}");
    assert_eq!(
        (f.bars, f.cycles),
        (e.bars, e.cycles),
        "bars, cycles: {what}"
    );
}

fn check(
    r: &SmaCrossRun,
    config: &Config,
    pairs: &[(usize, usize)],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> usize {
    let mut fills = 0;
    for &(fast, slow) in pairs {
        let what = format!(
            "{} {} fast {fast} slow {slow} size {} from {from:?} to {to:?}",
            r.data.display(),
            r.symbol,
            r.size
        );
        let f = run_sma_cross_fast(r, config, fast, slow, from, to).unwrap();
        let e = engine(r, config, fast, slow, from, to);
        assert_same(&f, &e, &what);
        fills += f.fills.len();
    }
    fills
}

/// A dozen (fast, slow) pairs spread over 2..20 x 5..60.
const GRID: [(usize, usize); 12] = [
    (2, 5),
    (3, 7),
    (2, 60),
    (5, 20),
    (10, 30),
    (4, 13),
    (8, 21),
    (12, 26),
    (15, 45),
    (20, 50),
    (19, 20),
    (7, 60),
];

#[test]
fn orcl_grid_is_identical_on_both_paths() {
    let r = run("data/long/ORCL.csv", "ORCL", "100", "0.001", 6);
    let fills = check(&r, &embedded(), &GRID, None, None);
    // The grid trades: a comparison of two empty runs would prove nothing.
    assert!(fills > 1000, "{fills}");
}

#[test]
fn sample_symbols_are_identical_on_both_paths() {
    let config = embedded();
    let mut fills = 0;
    for sym in ["SPY", "AAPL", "TSLA", "TLT", "NVDA"] {
        let r = run(&format!("data/sample/{sym}.csv"), sym, "100", "0.001", 2);
        fills += check(&r, &config, &GRID[..6], None, None);
    }
    assert!(fills > 500, "{fills}");
}

#[test]
fn crypto_untradable_and_default_config_are_identical() {
    // BTC-USD: bars every day and GTC routing; VIX: no volume, so every order's expected
    // slippage is over max_slippage_bps and the engine sends nothing.
    let r = run("data/sample/BTC-USD.csv", "BTC-USD", "1", "0.0025", 2);
    assert!(check(&r, &embedded(), &GRID[..4], None, None) > 0);
    let r = run("data/sample/VIX.csv", "VIX", "100", "0.001", 2);
    check(&r, &Config::default(), &GRID[..3], None, None);
    let f = run_sma_cross_fast(&r, &Config::default(), 2, 5, None, None).unwrap();
    assert!(f.orders.is_empty() && f.fills.is_empty());
}

#[test]
fn unaffordable_size_is_rejected_the_same_way() {
    // 2,000 shares of a $100+ stock with $100,000: buys beyond buying power are refused.
    let r = run("data/sample/SPY.csv", "SPY", "2000", "0.001", 2);
    check(&r, &embedded(), &GRID[..4], None, None);
    let f = run_sma_cross_fast(&r, &embedded(), 2, 5, None, None).unwrap();
    assert!(f.orders.iter().any(|o| o.status == OrderStatus::Rejected));
}

#[test]
fn date_ranges_are_cut_the_same_way() {
    let d = |s: &str| NaiveDate::from_str(s).ok();
    let r = run("data/long/ORCL.csv", "ORCL", "100", "0.001", 2);
    let config = embedded();
    check(&r, &config, &GRID[..3], d("2001-03-01"), d("2003-06-30"));
    check(&r, &config, &GRID[..3], d("2010-01-01"), None);
    check(&r, &config, &GRID[..3], None, d("1996-12-31"));
    // A range without bars is refused by both.
    let e = r
        .spec(config.clone(), optifire_plugins::registry(), 2, 5)
        .map(|mut s| {
            s.from = d("2030-01-01");
            run_backtest(s).is_err()
        })
        .unwrap();
    assert!(e);
    assert!(run_sma_cross_fast(&r, &config, 2, 5, d("2030-01-01"), None).is_err());
}

#[test]
fn a_folder_of_files_is_identical_on_both_paths() {
    // Every sample file: the timeline has the other symbols' instants (BTC-USD's weekends).
    let mut r = run("data/sample", "MSFT", "100", "0.001", 2);
    r.data = root().join("data/sample");
    check(&r, &embedded(), &[(5, 20), (3, 7)], None, None);
}

#[test]
fn output_files_are_byte_identical() {
    let r = run("data/long/ORCL.csv", "ORCL", "100", "0.001", 6);
    let config = embedded();
    let f = run_sma_cross_fast(&r, &config, 10, 30, None, None).unwrap();
    let e = engine(&r, &config, 10, 30, None, None);
    let dir = tempfile::tempdir().unwrap();
    write_report(&f.report(), &dir.path().join("fast")).unwrap();
    write_outputs(&e, &dir.path().join("full")).unwrap();
    for name in [
        "metrics.json",
        "trades.csv",
        "orders.csv",
        "equity.csv",
        "equity.png",
        "drawdown.png",
        "report.html",
    ] {
        let a = std::fs::read(dir.path().join("fast").join(name)).unwrap();
        let b = std::fs::read(dir.path().join("full").join(name)).unwrap();
        assert!(a == b, "{name} differs");
    }
    // backtrader's numbers on this file (tools/compare/last_run.txt).
    assert_eq!(f.fills.len(), 193);
    assert_eq!(f.metrics.final_equity.0, dec("102392.5952"));
}

#[test]
fn sweep_cells_are_the_engine_backtest_of_their_dates() {
    use optifire_engine::backtest::{run_sweep, FoldSpec, IntRange, Objective, SweepSpec};
    let spec = SweepSpec {
        run: run("data/sample/SPY.csv", "SPY", "100", "0.001", 2),
        config: embedded(),
        registry: optifire_plugins::registry(),
        fast: "3:9:6".parse::<IntRange>().unwrap(),
        slow: "20".parse::<IntRange>().unwrap(),
        folds: FoldSpec::Count(2),
        objective: Objective::Sharpe,
    };
    let result = run_sweep(&spec, &|_, _| {}).unwrap();
    assert_eq!(result.rows.len(), 8);
    for row in &result.rows {
        let c = row.cell;
        let e = engine(
            &spec.run,
            &spec.config,
            c.fast,
            c.slow,
            Some(c.from),
            Some(c.to),
        );
        assert_eq!(row.metrics, e.metrics, "{c:?}");
        assert_eq!(row.bars, e.bars, "{c:?}");
    }
}
