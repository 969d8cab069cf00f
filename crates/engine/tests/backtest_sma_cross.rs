//! The backtester against an independent replay: the SMA(10)/SMA(30) cross on SPY, traded through
//! the engine, executor and simulated exchange, must give exactly the trades, cash and equity
//! curve that tools/reference/sma_cross_reference.py (standard-library Python, exact Decimal)
//! worked out from the same file and rules.

use optifire_core::config::{Config, Features};
use optifire_core::domain::{Money, Quantity, Side, Symbol};
use optifire_engine::backtest::sma_cross::SmaCross;
use optifire_engine::backtest::{run_backtest, BacktestSpec};
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

#[test]
fn sma_cross_matches_the_independent_replay() {
    let fx: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            root().join("crates/engine/tests/fixtures/sma_cross_spy_10_30.json"),
        )
        .unwrap(),
    )
    .unwrap();
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
    assert!(r.errors.is_empty(), "{:?}", r.errors);

    // The validator drops the broken last row (open above high), the replay stops before it.
    assert_eq!(r.equity.len() as u64, fx["bars"].as_u64().unwrap());
    let trades = fx["trades"].as_array().unwrap();
    assert_eq!(r.fills.len(), trades.len());
    for (f, t) in r.fills.iter().zip(trades) {
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
    for (p, e) in r.equity.iter().zip(eq) {
        assert_eq!(p.equity.0, dec(e.as_str().unwrap()), "equity at {}", p.ts);
    }
    let last = r.equity.last().unwrap();
    assert_eq!(last.cash.0, dec(fx["final_cash"].as_str().unwrap()));
    assert_eq!(
        r.metrics.final_equity.0,
        dec(fx["final_equity"].as_str().unwrap())
    );
    // Every sell closes a round trip.
    assert_eq!(
        r.metrics.trades,
        trades.iter().filter(|t| t["side"] == "sell").count()
    );
}
