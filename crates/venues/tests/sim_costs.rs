//! Commission and slippage through the whole exchange: every model, with fees and cash worked
//! by hand. Alpaca's fee rates are the published ones (see `sim::commission`).

mod common;

use common::*;
use optifire_core::domain::{Money, OrderType, Price, Side, TimeInForce};
use optifire_core::venue::Broker;
use optifire_venues::sim::{CommissionModel, SlippageModel};
use optifire_venues::SessionInfo;
use rust_decimal_macros::dec;

const CLOSE: SessionInfo = SessionInfo {
    is_session_close: true,
};

#[test]
fn alpaca_fees_on_the_sell_only() {
    let mut cfg = plain();
    cfg.commission = CommissionModel::alpaca();
    let mut x = exchange(cfg);
    x.on_bar(&bar("SPY", 0, 100.0, 100.0, 100.0, 100.0, 1e6), CLOSE)
        .unwrap();
    x.submit(req(
        "b",
        "SPY",
        Side::Buy,
        dec!(100),
        OrderType::Market,
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 1, 100.0, 101.0, 99.0, 100.0, 1e6), CLOSE)
        .unwrap();
    x.submit(req(
        "s",
        "SPY",
        Side::Sell,
        dec!(100),
        OrderType::Market,
        TimeInForce::Day,
        1,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 2, 110.0, 111.0, 109.0, 110.0, 1e6), CLOSE)
        .unwrap();
    let f = fills(&x.drain_updates());
    // Buy: no fee. Sell 100 @ 110: SEC 11,000 × 0.0000278 = 0.3058 → 0.31 (rounded up);
    // TAF 100 × 0.000166 = 0.0166 → 0.02; total 0.33.
    assert_eq!(f[0].commission, Money::ZERO);
    assert_eq!(f[1].commission, Money(dec!(0.33)));
    // Cash 100,000 − 10,000 + 11,000 − 0.33 = 100,999.67.
    assert_eq!(x.account().cash, Money(dec!(100999.67)));
    assert_eq!(x.portfolio().commissions_paid, Money(dec!(0.33)));
}

#[test]
fn alpaca_taf_cap_is_per_order_across_partial_fills() {
    let mut cfg = plain();
    cfg.starting_cash = Money(dec!(1000000));
    cfg.commission = CommissionModel::alpaca();
    cfg.fill.participation = Some(0.5);
    let mut x = exchange(cfg);
    x.on_bar(&bar("XYZ", 0, 10.0, 10.0, 10.0, 10.0, 1e6), CLOSE)
        .unwrap();
    // Volume 120,000 → cap 60,000: the buy fills whole at 10.00.
    x.submit(req(
        "b",
        "XYZ",
        Side::Buy,
        dec!(60000),
        OrderType::Market,
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    x.on_bar(&bar("XYZ", 1, 10.0, 10.0, 10.0, 10.0, 120000.0), CLOSE)
        .unwrap();
    // Sell 60,000 with volume 60,000 per bar → cap 30,000 per bar: two fills at 10.00.
    x.submit(req(
        "s",
        "XYZ",
        Side::Sell,
        dec!(60000),
        OrderType::Market,
        TimeInForce::Gtc,
        1,
    ))
    .unwrap();
    x.on_bar(&bar("XYZ", 2, 10.0, 10.0, 10.0, 10.0, 60000.0), CLOSE)
        .unwrap();
    x.on_bar(&bar("XYZ", 3, 10.0, 10.0, 10.0, 10.0, 60000.0), CLOSE)
        .unwrap();
    let f = fills(&x.drain_updates());
    assert_eq!(f.len(), 3);
    // First sell fill, 30,000 sh, $300,000: SEC 300,000 × 0.0000278 = 8.34; TAF 30,000 ×
    // 0.000166 = 4.98; 13.32.
    assert_eq!(f[1].commission, Money(dec!(13.32)));
    // Whole order, 60,000 sh, $600,000: SEC 16.68; TAF 9.96 capped at 8.30; 24.98. The second
    // fill pays 24.98 − 13.32 = 11.66.
    assert_eq!(f[2].commission, Money(dec!(11.66)));
    // 1,000,000 − 600,000 + 600,000 − 24.98.
    assert_eq!(x.account().cash, Money(dec!(999975.02)));
}

#[test]
fn per_share_commission_with_minimum() {
    let mut cfg = plain();
    cfg.commission = CommissionModel::PerShare {
        per_share: dec!(0.005),
        min_per_order: dec!(1.00),
    };
    let mut x = exchange(cfg);
    x.on_bar(&bar("SPY", 0, 50.0, 50.0, 50.0, 50.0, 1e6), CLOSE)
        .unwrap();
    x.submit(req(
        "small",
        "SPY",
        Side::Buy,
        dec!(100),
        OrderType::Market,
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    x.submit(req(
        "big",
        "SPY",
        Side::Buy,
        dec!(1000),
        OrderType::Market,
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 1, 50.0, 51.0, 49.0, 50.0, 1e6), CLOSE)
        .unwrap();
    let f = fills(&x.drain_updates());
    // 100 × 0.005 = 0.50 → minimum 1.00; 1,000 × 0.005 = 5.00.
    assert_eq!(f[0].commission, Money(dec!(1.00)));
    assert_eq!(f[1].commission, Money(dec!(5.00)));
    // 100,000 − 1,100 × 50 − 6 = 44,994.
    assert_eq!(x.account().cash, Money(dec!(44994)));
}

#[test]
fn percent_of_value_commission() {
    let mut cfg = plain();
    cfg.commission = CommissionModel::PercentOfValue { rate: dec!(0.0025) };
    let mut x = exchange(cfg);
    x.submit(req(
        "b",
        "SPY",
        Side::Buy,
        dec!(7),
        limit(dec!(123.45)),
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 1, 124.0, 125.0, 123.0, 124.0, 1e6), CLOSE)
        .unwrap();
    let f = fills(&x.drain_updates());
    // 7 × 123.45 = 864.15; × 0.25% = 2.160375 → 2.16.
    assert_eq!(px(&f[0]), dec!(123.45));
    assert_eq!(f[0].commission, Money(dec!(2.16)));
    assert_eq!(
        x.account().cash,
        Money(dec!(100000) - dec!(864.15) - dec!(2.16))
    );
}

#[test]
fn fixed_bps_slippage_moves_market_and_stop_fills_but_not_limits() {
    let mut cfg = plain();
    cfg.slippage = SlippageModel::FixedBps { bps: dec!(10) };
    let mut x = exchange(cfg);
    x.on_bar(&bar("SPY", 0, 100.0, 100.0, 100.0, 100.0, 1e6), CLOSE)
        .unwrap();
    x.submit(req(
        "mb",
        "SPY",
        Side::Buy,
        dec!(10),
        OrderType::Market,
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    x.submit(req(
        "st",
        "SPY",
        Side::Buy,
        dec!(1),
        stop(dec!(105)),
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    x.submit(req(
        "lb",
        "SPY",
        Side::Buy,
        dec!(1),
        limit(dec!(99)),
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 1, 100.0, 106.0, 98.0, 104.0, 1e6), CLOSE)
        .unwrap();
    x.submit(req(
        "ms",
        "SPY",
        Side::Sell,
        dec!(5),
        OrderType::Market,
        TimeInForce::Day,
        1,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 2, 104.0, 104.0, 104.0, 104.0, 1e6), CLOSE)
        .unwrap();
    let f = fills(&x.drain_updates());
    assert_eq!(
        f.iter().map(|f| (&*f.fill_id, px(f))).collect::<Vec<_>>(),
        vec![
            // 100.00 × 1.001 = 100.10.
            ("sim-mb-1", dec!(100.10)),
            // Stop at 105: 105 × 1.001 = 105.105 → 105.11 (half away from zero).
            ("sim-st-1", dec!(105.11)),
            // Limit 99 reached: exactly 99.00, no slippage.
            ("sim-lb-1", dec!(99.00)),
            // Sell at 104: 104 × 0.999 = 103.896 → 103.90.
            ("sim-ms-1", dec!(103.90)),
        ]
    );
}

#[test]
fn spread_and_impact_slippage_grows_with_participation() {
    let mut cfg = plain();
    cfg.slippage = SlippageModel::SpreadImpact {
        half_spread_bps: dec!(2),
        impact_coef: 0.1,
    };
    let mut x = exchange(cfg);
    x.on_bar(&bar("SPY", 0, 200.0, 200.0, 200.0, 200.0, 1e6), CLOSE)
        .unwrap();
    x.submit(req(
        "small",
        "SPY",
        Side::Buy,
        dec!(100),
        OrderType::Market,
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    x.on_bar(
        &bar("SPY", 1, 200.0, 201.0, 199.0, 200.0, 1_000_000.0),
        CLOSE,
    )
    .unwrap();
    x.submit(req(
        "big",
        "SPY",
        Side::Buy,
        dec!(100),
        OrderType::MarketOnClose,
        TimeInForce::Day,
        1,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 2, 200.0, 201.0, 199.0, 200.0, 10_000.0), CLOSE)
        .unwrap();
    let f = fills(&x.drain_updates());
    // 100 of 1,000,000: sqrt(0.0001) = 0.01; 0.1 × 0.01 × 10,000 = 10 bps; + 2 = 12 bps.
    // 200.00 × 1.0012 = 200.24.
    assert_eq!(px(&f[0]), dec!(200.24));
    // MOC, 100 of 10,000: sqrt(0.01) = 0.1 → 100 bps + 2 = 102 bps: 200 × 1.0102 = 202.04.
    assert_eq!(px(&f[1]), dec!(202.04));
    assert_eq!(f[1].price, Price(dec!(202.04)));
}

#[test]
fn alpaca_equity_fees_are_not_charged_on_crypto() {
    let mut cfg = plain();
    cfg.commission = CommissionModel::alpaca();
    let mut x = exchange(cfg);
    x.on_bar(
        &bar("BTC-USD", 0, 50000.0, 50000.0, 50000.0, 50000.0, 100.0),
        CLOSE,
    )
    .unwrap();
    x.submit(req(
        "b",
        "BTC-USD",
        Side::Buy,
        dec!(0.5),
        OrderType::Market,
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    x.on_bar(
        &bar("BTC-USD", 1, 50000.0, 50100.0, 49900.0, 50000.0, 100.0),
        CLOSE,
    )
    .unwrap();
    x.submit(req(
        "s",
        "BTC-USD",
        Side::Sell,
        dec!(0.5),
        OrderType::Market,
        TimeInForce::Gtc,
        1,
    ))
    .unwrap();
    x.on_bar(
        &bar("BTC-USD", 2, 51000.0, 51100.0, 50900.0, 51000.0, 100.0),
        CLOSE,
    )
    .unwrap();
    let f = fills(&x.drain_updates());
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|f| f.commission == Money::ZERO));
    // 100,000 − 25,000 + 25,500 = 100,500.
    assert_eq!(x.account().cash, Money(dec!(100500)));
}
