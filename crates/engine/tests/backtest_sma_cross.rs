//! The backtester against an independent replay: the SMA(10)/SMA(30) cross on SPY, traded through
//! the engine, executor and simulated exchange, must give exactly the trades, cash and equity
//! curve that tools/reference/sma_cross_reference.py (standard-library Python, exact Decimal)
//! worked out from the same file and rules. The dedicated bar loop (`sma_cross_fast`, what
//! `optifire backtest --strategy sma_cross` runs by default) is held to the same fixture.

use optifire_core::config::{Config, Features};
use optifire_core::domain::{EquityPoint, Fill};
use optifire_core::domain::{Money, Quantity, Side, Symbol};
use optifire_engine::backtest::sma_cross::{SmaCross, SmaCrossRun};
use optifire_engine::backtest::sma_cross_fast::run_sma_cross_fast;
use optifire_engine::backtest::{run_backtest, BacktestSpec, Metrics};
use optifire_venues::sim::{CommissionModel, SimConfig};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::str::FromStr;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn fixture() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(
            root().join("crates/engine/tests/fixtures/sma_cross_spy_10_30.json"),
        )
        .unwrap(),
    )
    .unwrap()
}

/// The run's fills, equity curve and metrics against the fixture.
fn check(fills: &[Fill], equity: &[EquityPoint], metrics: &Metrics, errors: &[String]) {
    let fx = fixture();
    assert!(errors.is_empty(), "{errors:?}");

    // The validator drops the broken last row (open above high), the replay stops before it.
    assert_eq!(equity.len() as u64, fx["bars"].as_u64().unwrap());
    let trades = fx["trades"].as_array().unwrap();
    assert_eq!(fills.len(), trades.len());
    for (f, t) in fills.iter().zip(trades) {
        assert_eq!(f.ts.ny_date().to_string(), t["date"].as_str().unwrap());
        let side = if t["side"] == "buy" {
            Side::Buy
        } else {
            Side::Sell
        };
        assert_eq!(f.side, side, "{t}");
        assert_eq!(f.qty.0, Decimal::from(t["qty"].as_i64().unwrap()), "{t}");
        assert_eq!(f.price.0, dec(t["price"].as_str().unwrap()), "{t}");
        assert_eq!(
            f.commission.0,
            dec(t["commission"].as_str().unwrap()),
            "{t}"
        );
    }
    let eq = fx["equity"].as_array().unwrap();
    for (p, e) in equity.iter().zip(eq) {
        assert_eq!(p.equity.0, dec(e.as_str().unwrap()), "equity at {}", p.ts);
    }
    let last = equity.last().unwrap();
    assert_eq!(last.cash.0, dec(fx["final_cash"].as_str().unwrap()));
    assert_eq!(
        metrics.final_equity.0,
        dec(fx["final_equity"].as_str().unwrap())
    );
    // Every sell closes a round trip.
    assert_eq!(
        metrics.trades,
        trades.iter().filter(|t| t["side"] == "sell").count()
    );
}

#[test]
fn sma_cross_matches_the_independent_replay() {
    let mut spec = BacktestSpec::new(
        Config::default(),
        Features {
            plugins: Default::default(),
        },
        optifire_plugins::registry(),
        root().join("data/sample/SPY.csv"),
    );
    spec.sim = Some(SimConfig {
        starting_cash: Money(dec("100000")),
        commission: CommissionModel::PercentOfValue { rate: dec("0.001") },
        ..SimConfig::default()
    });
    spec.strategy = Some(Box::new(
        SmaCross::new(Symbol::new("SPY"), 10, 30, Quantity(dec("100"))).unwrap(),
    ));
    let r = run_backtest(spec).unwrap();
    check(&r.fills, &r.equity, &r.metrics, &r.errors);
}

#[test]
fn the_bar_loop_matches_the_independent_replay() {
    let run = SmaCrossRun {
        data: root().join("data/sample/SPY.csv"),
        symbol: Symbol::new("SPY"),
        size: Quantity(dec("100")),
        cash: Money(dec("100000")),
        commission: dec("0.001"),
        price_decimals: 2,
    };
    let r = run_sma_cross_fast(&run, &Config::default(), 10, 30, None, None).unwrap();
    check(&r.fills, &r.equity, &r.metrics, &r.errors);
}
