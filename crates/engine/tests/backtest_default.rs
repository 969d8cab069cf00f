//! The default configuration over the bundled sample data runs end to end, and twice gives
//! byte-identical output files.

use optifire_core::config::ConfigSet;
use optifire_engine::backtest::{run_backtest, write_outputs, BacktestSpec};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(out: &std::path::Path) -> optifire_engine::backtest::BacktestResult {
    let registry = optifire_plugins::registry();
    let set = ConfigSet::embedded(&registry).unwrap();
    let spec = BacktestSpec::new(
        set.config,
        set.features,
        registry,
        root().join("data/sample"),
    );
    let r = run_backtest(spec).unwrap();
    write_outputs(&r, out).unwrap();
    r
}

#[test]
fn default_backtest_runs_and_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let r = run(a.path());
    run(b.path());
    // One equity point per bar instant; the sample holds five years of daily bars.
    assert_eq!(r.equity.len(), r.cycles);
    assert!(r.metrics.days > 1000, "{}", r.metrics.days);
    assert!(r
        .metrics
        .notes
        .iter()
        .any(|n| n.contains("left out because the validator flagged them")));
    for f in [
        "metrics.json",
        "equity.csv",
        "trades.csv",
        "orders.csv",
        "equity.png",
        "drawdown.png",
        "report.html",
    ] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let y = std::fs::read(b.path().join(f)).unwrap();
        assert!(!x.is_empty(), "{f} is empty");
        assert_eq!(x, y, "{f} differs between two runs");
    }
}

#[test]
fn rows_the_validator_flags_never_enter_the_engine() {
    use optifire_core::domain::Symbol;
    use optifire_core::Timestamp;
    let d = optifire_engine::backtest::load_backtest_data(&root().join("data/sample")).unwrap();
    let all = d.market.view(Timestamp(i64::MAX));
    let last = |s: &str| all.last(&Symbol::new(s)).unwrap().ts.ny_date().to_string();
    // `optifire data validate data/sample` flags SPY, NEE and TLT on 2026-03-26 (OHLC, spike),
    // UUP on both 2026-03-25 (OHLC) and 2026-03-26 (zero volume); AMZN's 2026-03-26 row has no
    // open and never parsed. GLD's last row is clean and stays.
    assert_eq!(last("SPY"), "2026-03-25");
    assert_eq!(last("NEE"), "2026-03-25");
    assert_eq!(last("TLT"), "2026-03-25");
    assert_eq!(last("UUP"), "2026-03-24");
    assert_eq!(last("AMZN"), "2026-03-25");
    assert_eq!(last("GLD"), "2026-03-26");
    // VIX 2026-03-25 (volume on an index, one-day spike) is out; its 2026-03-26 row stays.
    let vix: Vec<String> = all
        .last_n(&Symbol::new("VIX"), 2)
        .iter()
        .map(|b| b.ts.ny_date().to_string())
        .collect();
    assert_eq!(vix, ["2026-03-24", "2026-03-26"]);
    // NEE, SPY, TLT (two defects, one row), UUP x2, VIX: six rows.
    assert_eq!(d.dropped_rows, 6);
}
