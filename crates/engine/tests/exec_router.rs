//! Order-type routing: MOC before the cutoff (15:50 ET, 12:50 ET on a 13:00 early close),
//! plain market after it (Alpaca rejects `cls` orders after 15:50 ET), limits through the mid.
//! Instants are written in UTC from the New York times by hand (EST = UTC−5 in late November).

mod exec_support;

use chrono::{NaiveTime, TimeZone, Utc};
use exec_support::*;
use optifire_core::domain::{OrderType, Price, Quote, Side, TimeInForce};
use optifire_core::Timestamp;
use optifire_engine::exec::{RouteDecision, Router, RouterConfig};
use rust_decimal_macros::dec;

fn utc(d: u32, h: u32, m: u32) -> Timestamp {
    Timestamp::from(Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap())
}

fn router(use_moc: bool, use_limits: bool) -> Router {
    Router::new(RouterConfig {
        use_limits,
        limit_offset_bps: 5.0,
        use_moc,
        moc_cutoff: NaiveTime::from_hms_opt(15, 50, 0).unwrap(),
        moc_window_mins: 30,
        price_decimals: 2,
    })
}

#[test]
fn regular_day_moc_window_and_cutoff() {
    let r = router(true, false);
    let mut o = planned("SPY", Side::Buy, dec!(10), cycle(0, 1));
    // Tuesday 2026-11-24, 15:45 EST = 20:45 UTC: inside [15:20, 15:50).
    let d = r.route(utc(24, 20, 45), &mut o, None);
    assert_eq!(
        d,
        RouteDecision::MarketOnClose {
            cutoff: utc(24, 20, 50)
        }
    );
    assert_eq!(
        (o.order_type, o.tif),
        (OrderType::MarketOnClose, TimeInForce::Cls)
    );
    // 15:55 EST: past the cutoff, before the close → market, with the reason.
    let d = r.route(utc(24, 20, 55), &mut o, None);
    assert_eq!(
        d,
        RouteDecision::MarketPastMocCutoff {
            cutoff: utc(24, 20, 50)
        }
    );
    assert_eq!((o.order_type, o.tif), (OrderType::Market, TimeInForce::Day));
    // 15:19 EST: before the window → market.
    assert_eq!(
        r.route(utc(24, 20, 19), &mut o, None),
        RouteDecision::Market
    );
    // MOC off: market even inside the window.
    assert_eq!(
        router(false, false).route(utc(24, 20, 45), &mut o, None),
        RouteDecision::Market
    );
}

#[test]
fn early_close_moves_the_cutoff_to_12_50() {
    let r = router(true, false);
    let mut o = planned("SPY", Side::Sell, dec!(10), cycle(0, 1));
    // Friday 2026-11-27 closes at 13:00 EST: cutoff 12:50 EST = 17:50 UTC.
    assert_eq!(r.moc_cutoff(utc(27, 17, 45)), Some(utc(27, 17, 50)));
    let d = r.route(utc(27, 17, 45), &mut o, None);
    assert_eq!(
        d,
        RouteDecision::MarketOnClose {
            cutoff: utc(27, 17, 50)
        }
    );
    // 12:55 EST: past that cutoff.
    let d = r.route(utc(27, 17, 55), &mut o, None);
    assert_eq!(
        d,
        RouteDecision::MarketPastMocCutoff {
            cutoff: utc(27, 17, 50)
        }
    );
    // 15:45 EST that day: the market is closed, no session → plain market (queued by the broker).
    assert_eq!(r.moc_cutoff(utc(27, 20, 45)), None);
    assert_eq!(
        r.route(utc(27, 20, 45), &mut o, None),
        RouteDecision::Market
    );
}

#[test]
fn limits_go_through_the_mid_rounded_to_the_passive_tick() {
    let r = router(false, true);
    let q = |bid: f64, ask: f64| Quote {
        symbol: "SPY".into(),
        ts: Timestamp(0),
        bid,
        bid_size: 100.0,
        ask,
        ask_size: 100.0,
    };
    let mut buy = planned("SPY", Side::Buy, dec!(1), cycle(0, 1));
    let mut sell = planned("SPY", Side::Sell, dec!(1), cycle(0, 1));
    let now = utc(24, 15, 0);
    // Mid 100.00: 100 × 1.0005 = 100.05, 100 × 0.9995 = 99.95.
    r.route(now, &mut buy, Some(&q(99.98, 100.02)));
    r.route(now, &mut sell, Some(&q(99.98, 100.02)));
    assert_eq!(
        buy.order_type,
        OrderType::Limit {
            limit: Price(dec!(100.05))
        }
    );
    assert_eq!(
        sell.order_type,
        OrderType::Limit {
            limit: Price(dec!(99.95))
        }
    );
    // Mid 100.005: buy 100.0550025 → 100.05 (down), sell 99.9549975 → 99.96 (up).
    r.route(now, &mut buy, Some(&q(99.99, 100.02)));
    r.route(now, &mut sell, Some(&q(99.99, 100.02)));
    assert_eq!(
        buy.order_type,
        OrderType::Limit {
            limit: Price(dec!(100.05))
        }
    );
    assert_eq!(
        sell.order_type,
        OrderType::Limit {
            limit: Price(dec!(99.96))
        }
    );
    // A crossed or empty book, or no quote: market.
    assert_eq!(
        r.route(now, &mut buy, Some(&q(100.02, 99.98))),
        RouteDecision::Market
    );
    assert_eq!(
        r.route(now, &mut buy, Some(&q(0.0, 99.98))),
        RouteDecision::Market
    );
    assert_eq!(r.route(now, &mut buy, None), RouteDecision::Market);
}

#[test]
fn crypto_goes_market_gtc_even_near_the_close() {
    let r = router(true, true);
    let mut o = planned("BTC-USD", Side::Buy, dec!(0.01), cycle(0, 1));
    assert_eq!(
        r.route(utc(24, 20, 45), &mut o, None),
        RouteDecision::MarketGtc
    );
    assert_eq!((o.order_type, o.tif), (OrderType::Market, TimeInForce::Gtc));
}

#[test]
fn config_cutoff_is_parsed_and_checked() {
    use optifire_core::config::{
        Broker, CommissionKind, CommissionModel, ExecutionConfig, FillRule, SlippageModel,
    };
    let mut e = ExecutionConfig {
        broker: Broker::Sim,
        batch_window_ms: 1000,
        moc_cutoff: "15:50".into(),
        limit_offset_bps: 5.0,
        slippage: SlippageModel {
            spread_bps: 1.0,
            impact_bps: 5.0,
        },
        commission: CommissionModel {
            kind: CommissionKind::Alpaca,
            per_share: 0.0,
            min_per_order: 0.0,
            max_pct: 0.0,
            rate_bps: 0.0,
        },
        fill_rule: FillRule::NextBarOpen,
    };
    let rc = RouterConfig::from_execution(&e).unwrap();
    assert_eq!(rc.moc_cutoff, NaiveTime::from_hms_opt(15, 50, 0).unwrap());
    assert_eq!(rc.limit_offset_bps, 5.0);
    assert!(!rc.use_moc && !rc.use_limits);
    e.moc_cutoff = "3:50pm".into();
    assert!(RouterConfig::from_execution(&e).is_err());
}
