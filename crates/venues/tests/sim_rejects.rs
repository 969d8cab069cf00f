//! Every reason the simulated exchange refuses an order at submit, with the reason it gives.

mod common;

use common::*;
use optifire_core::domain::{AssetClass, Instrument, Money, OrderType, Price, Side, TimeInForce};
use optifire_core::venue::{Broker, BrokerError};
use optifire_venues::sim::CommissionModel;
use optifire_venues::{SessionInfo, SimExchange};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn reason(r: Result<optifire_core::domain::Order, BrokerError>) -> String {
    match r {
        Err(BrokerError::Rejected { reason }) => reason,
        other => panic!("expected a reject, got {other:?}"),
    }
}

fn with_mark(sym: &str, price: f64, cash: Decimal) -> SimExchange {
    let mut cfg = plain();
    cfg.starting_cash = Money(cash);
    let mut x = exchange(cfg);
    x.on_bar(
        &bar(sym, 0, price, price, price, price, 1e6),
        SessionInfo::close(),
    )
    .unwrap();
    x
}

#[test]
fn non_positive_and_fractional_quantities() {
    let mut x = with_mark("SPY", 100.0, dec!(100000));
    let mkt = OrderType::Market;
    assert_eq!(
        reason(x.submit(req(
            "a",
            "SPY",
            Side::Buy,
            dec!(0),
            mkt,
            TimeInForce::Day,
            0
        ))),
        "quantity must be positive (got 0)"
    );
    assert!(reason(x.submit(req(
        "a",
        "SPY",
        Side::Buy,
        dec!(-3),
        mkt,
        TimeInForce::Day,
        0
    )))
    .starts_with("quantity must be positive"));
    assert_eq!(
        reason(x.submit(req(
            "a",
            "SPY",
            Side::Buy,
            dec!(1.5),
            mkt,
            TimeInForce::Day,
            0
        ))),
        "SPY is not fractionable: quantity 1.5 must be whole"
    );
    // Crypto is fractionable (Instrument::infer).
    x.on_bar(
        &bar("BTC-USD", 0, 50000.0, 50000.0, 50000.0, 50000.0, 10.0),
        SessionInfo::close(),
    )
    .unwrap();
    x.submit(req(
        "btc",
        "BTC-USD",
        Side::Buy,
        dec!(0.5),
        mkt,
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    // A rejected id was never accepted, so it can be used again.
    x.submit(req(
        "a",
        "SPY",
        Side::Buy,
        dec!(1),
        mkt,
        TimeInForce::Day,
        0,
    ))
    .unwrap();
}

#[test]
fn untradable_instruments() {
    let mut x = with_mark("VIX", 18.0, dec!(100000));
    assert_eq!(
        reason(x.submit(req(
            "v",
            "VIX",
            Side::Buy,
            dec!(1),
            OrderType::Market,
            TimeInForce::Day,
            0
        ))),
        "VIX is not tradable"
    );
    let mut halted = Instrument::infer(&"XYZ".into());
    halted.tradable = false;
    x.add_instrument(halted);
    assert_eq!(
        reason(x.submit(req(
            "h",
            "XYZ",
            Side::Buy,
            dec!(1),
            limit(dec!(5)),
            TimeInForce::Day,
            0
        ))),
        "XYZ is not tradable"
    );
}

#[test]
fn bad_limit_and_stop_prices_and_unsupported_time_in_force() {
    let mut x = with_mark("SPY", 100.0, dec!(100000));
    let day = TimeInForce::Day;
    assert_eq!(
        reason(x.submit(req("a", "SPY", Side::Buy, dec!(1), limit(dec!(0)), day, 0))),
        "limit price must be positive (got 0)"
    );
    assert!(
        reason(x.submit(req("a", "SPY", Side::Buy, dec!(1), limit(dec!(-1)), day, 0)))
            .starts_with("limit price must be positive")
    );
    assert!(
        reason(x.submit(req("a", "SPY", Side::Sell, dec!(1), stop(dec!(0)), day, 0)))
            .starts_with("stop price must be positive")
    );
    let sl = OrderType::StopLimit {
        stop: Price(dec!(101)),
        limit: Price(dec!(-101)),
    };
    assert!(
        reason(x.submit(req("a", "SPY", Side::Buy, dec!(1), sl, day, 0)))
            .starts_with("limit price must be positive")
    );
    assert!(reason(x.submit(req(
        "a",
        "SPY",
        Side::Buy,
        dec!(1),
        limit(dec!(99.995)),
        day,
        0
    )))
    .contains("finer than the tick"));
    // Trailing zeros are not extra precision.
    x.submit(req(
        "ok",
        "SPY",
        Side::Buy,
        dec!(1),
        limit(dec!(99.9900)),
        day,
        0,
    ))
    .unwrap();
    assert!(reason(x.submit(req(
        "a",
        "SPY",
        Side::Buy,
        dec!(1),
        OrderType::Market,
        TimeInForce::Opg,
        0
    )))
    .contains("opg"));
    assert_eq!(
        reason(x.submit(req(
            "a",
            "SPY",
            Side::Buy,
            dec!(1),
            stop(dec!(101)),
            TimeInForce::Cls,
            0
        ))),
        "time in force cls needs a market or limit order"
    );
    assert_eq!(
        reason(x.submit(req(
            "a",
            "SPY",
            Side::Buy,
            dec!(1),
            OrderType::MarketOnClose,
            TimeInForce::Gtc,
            0
        ))),
        "market on close needs time in force day or cls"
    );
}

#[test]
fn short_sales_need_a_shortable_easy_to_borrow_instrument() {
    let mut x = with_mark("HTB", 20.0, dec!(100000));
    let mut htb = Instrument::infer(&"HTB".into());
    htb.easy_to_borrow = false;
    x.add_instrument(htb);
    let sell = |id: &str, sym: &str, q| {
        req(
            id,
            sym,
            Side::Sell,
            q,
            OrderType::Market,
            TimeInForce::Day,
            0,
        )
    };
    assert_eq!(
        reason(x.submit(sell("s", "HTB", dec!(10)))),
        "HTB is not easy to borrow"
    );
    // Crypto is not shortable (Instrument::infer).
    x.add_instrument(Instrument::infer(&"ETH-USD".into()));
    assert_eq!(
        Instrument::infer(&"ETH-USD".into()).asset_class,
        AssetClass::Crypto
    );
    x.on_bar(
        &bar("ETH-USD", 0, 3000.0, 3000.0, 3000.0, 3000.0, 1e3),
        SessionInfo::close(),
    )
    .unwrap();
    assert_eq!(
        reason(x.submit(sell("e", "ETH-USD", dec!(1)))),
        "ETH-USD is not shortable"
    );
    // Selling what is owned is not a short sale: buy 10 HTB, then sell 10 is accepted, but an
    // 11th share would be short.
    x.submit(req(
        "b",
        "HTB",
        Side::Buy,
        dec!(10),
        OrderType::Market,
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    x.on_bar(
        &bar("HTB", 1, 20.0, 20.0, 20.0, 20.0, 1e6),
        SessionInfo::close(),
    )
    .unwrap();
    x.submit(sell("s10", "HTB", dec!(10)).with_day(1)).unwrap();
    // The open sell of 10 already uses the whole position: one more share is short.
    assert_eq!(
        reason(x.submit(sell("s1", "HTB", dec!(1)).with_day(1))),
        "HTB is not easy to borrow"
    );
}

trait WithDay {
    fn with_day(self, d: i64) -> Self;
}
impl WithDay for optifire_core::domain::OrderRequest {
    fn with_day(mut self, d: i64) -> Self {
        self.created_at = day(d);
        self
    }
}

#[test]
fn buying_power_counts_price_commission_and_open_orders() {
    // $10,000 cash, SPY last closed at 100.
    let mut x = with_mark("SPY", 100.0, dec!(10000));
    let buy = |id: &str, q| {
        req(
            id,
            "SPY",
            Side::Buy,
            q,
            OrderType::Market,
            TimeInForce::Day,
            0,
        )
    };
    // 101 × 100 = 10,100 > 10,000.
    assert_eq!(
        reason(x.submit(buy("a", dec!(101)))),
        "insufficient buying power: need 10100, have 10000"
    );
    // 60 × 100 = 6,000 fits and reserves 6,000; then 41 × 100 = 4,100 > 4,000 left.
    x.submit(buy("b", dec!(60))).unwrap();
    assert_eq!(x.account().buying_power, Money(dec!(4000)));
    assert_eq!(
        reason(x.submit(buy("c", dec!(41)))),
        "insufficient buying power: need 4100, have 4000"
    );
    // A buy limit reserves at its limit: 40 × 99 = 3,960 ≤ 4,000.
    x.submit(req(
        "d",
        "SPY",
        Side::Buy,
        dec!(40),
        limit(dec!(99)),
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    // Canceling releases the reservation.
    x.cancel(&cid("b")).unwrap();
    assert_eq!(x.account().buying_power, Money(dec!(6040)));

    // Commission counts: with 0.005/share and a 1.00 minimum, 100 × 100 + 1.00 > 10,000.
    let mut cfg = plain();
    cfg.starting_cash = Money(dec!(10000));
    cfg.commission = CommissionModel::PerShare {
        per_share: dec!(0.005),
        min_per_order: dec!(1),
    };
    let mut y = exchange(cfg);
    y.on_bar(
        &bar("SPY", 0, 100.0, 100.0, 100.0, 100.0, 1e6),
        SessionInfo::close(),
    )
    .unwrap();
    assert_eq!(
        reason(y.submit(buy("e", dec!(100)))),
        "insufficient buying power: need 10001, have 10000"
    );
    y.submit(buy("f", dec!(99))).unwrap();
}

#[test]
fn reducing_orders_are_never_refused_for_buying_power_and_unknown_prices_are() {
    let mut x = exchange(plain());
    assert!(reason(x.submit(req(
        "a",
        "SPY",
        Side::Buy,
        dec!(1),
        OrderType::Market,
        TimeInForce::Day,
        0
    )))
    .starts_with("no price seen yet for SPY"));
    // All in: 1,000 × 100 = 100,000.
    x.on_bar(
        &bar("SPY", 0, 100.0, 100.0, 100.0, 100.0, 1e6),
        SessionInfo::close(),
    )
    .unwrap();
    x.submit(req(
        "all",
        "SPY",
        Side::Buy,
        dec!(1000),
        OrderType::Market,
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    x.on_bar(
        &bar("SPY", 1, 100.0, 100.0, 100.0, 100.0, 1e6),
        SessionInfo::close(),
    )
    .unwrap();
    assert_eq!(x.account().buying_power, Money::ZERO);
    // Buying one more is refused, selling everything is not.
    assert!(x
        .submit(req(
            "more",
            "SPY",
            Side::Buy,
            dec!(1),
            OrderType::Market,
            TimeInForce::Day,
            1
        ))
        .is_err());
    x.submit(req(
        "out",
        "SPY",
        Side::Sell,
        dec!(1000),
        OrderType::Market,
        TimeInForce::Day,
        1,
    ))
    .unwrap();
}
