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
    for f in ["metrics.json", "equity.csv", "trades.csv", "orders.csv"] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let y = std::fs::read(b.path().join(f)).unwrap();
        assert!(!x.is_empty(), "{f} is empty");
        assert_eq!(x, y, "{f} differs between two runs");
    }
}
