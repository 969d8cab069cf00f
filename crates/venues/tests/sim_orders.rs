//! Order types and time in force through the whole exchange: submit, bars, fills, books.
//! Prices are worked by hand in the comments from the module-doc rules.

mod common;

use common::*;
use optifire_core::domain::{Money, OrderStatus, OrderType, Price, Quantity, Side, TimeInForce};
use optifire_core::venue::{Broker, BrokerError};
use optifire_venues::sim::FillRules;
use optifire_venues::{SessionInfo, SimError};
use rust_decimal_macros::dec;

const CLOSE: SessionInfo = SessionInfo {
    is_session_close: true,
};
const INTRADAY: SessionInfo = SessionInfo {
    is_session_close: false,
};

#[test]
fn market_order_fills_at_the_next_bars_open_never_the_current_one() {
    let mut x = exchange(plain());
    x.on_bar(&bar("SPY", 0, 99.0, 100.5, 98.5, 100.0, 1e6), CLOSE)
        .unwrap();
    let o = x
        .submit(req(
            "m1",
            "SPY",
            Side::Buy,
            dec!(10),
            OrderType::Market,
            TimeInForce::Day,
            0,
        ))
        .unwrap();
    assert_eq!(o.status, OrderStatus::New);
    assert_eq!(o.broker_order_id.as_deref(), Some("sim-1"));
    // The bar the decision was made on cannot be fed again: no look-ahead.
    let err = x
        .on_bar(&bar("SPY", 0, 99.0, 100.5, 98.5, 100.0, 1e6), CLOSE)
        .unwrap_err();
    assert!(matches!(err, SimError::OutOfOrder { .. }), "{err}");
    assert_eq!(x.order(&cid("m1")).unwrap().status, OrderStatus::New);
    // A bar of another symbol at a later time does not touch SPY orders.
    x.on_bar(&bar("QQQ", 1, 300.0, 301.0, 299.0, 300.0, 1e6), CLOSE)
        .unwrap();
    assert_eq!(x.order(&cid("m1")).unwrap().status, OrderStatus::New);
    x.on_bar(&bar("SPY", 1, 101.0, 103.0, 100.0, 102.0, 1e6), CLOSE)
        .unwrap();
    let up = x.drain_updates();
    let f = fills(&up);
    assert_eq!(f.len(), 1);
    assert_eq!(&*f[0].fill_id, "sim-m1-1");
    assert_eq!(
        (f[0].qty, f[0].price),
        (Quantity(dec!(10)), Price(dec!(101.00)))
    );
    assert_eq!(f[0].ts, day(1));
    assert_eq!(
        statuses(&up),
        vec![OrderStatus::New, OrderStatus::Filled],
        "acknowledged, then filled"
    );
    // Cash 100,000 − 10 × 101 = 98,990; equity marks 10 sh at the close 102: 100,010.
    let a = x.account();
    assert_eq!(a.cash, Money(dec!(98990)));
    assert_eq!(a.equity, Money(dec!(100010)));
    assert_eq!(a.buying_power, Money(dec!(98990)));
    let pos = x.positions();
    assert_eq!(pos.len(), 1);
    assert_eq!(
        (pos[0].qty, pos[0].avg_price),
        (Quantity(dec!(10)), Price(dec!(101)))
    );
    assert!(x.open_orders().is_empty());
}

#[test]
fn limit_buy_waits_for_the_range_and_a_gap_down_fills_at_the_open() {
    let mut x = exchange(plain());
    x.submit(req(
        "l1",
        "SPY",
        Side::Buy,
        dec!(5),
        limit(dec!(98)),
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    // Day 1: low 99 > 98: nothing.
    x.on_bar(&bar("SPY", 1, 100.0, 101.0, 99.0, 100.5, 1e6), CLOSE)
        .unwrap();
    assert_eq!(x.open_orders().len(), 1, "GTC survives the close");
    // Day 2 opens at 97.50, below the limit: fills at the better open, 97.50.
    x.on_bar(&bar("SPY", 2, 97.5, 99.0, 97.0, 98.5, 1e6), CLOSE)
        .unwrap();
    let f = fills(&x.drain_updates());
    assert_eq!(f.len(), 1);
    assert_eq!(px(&f[0]), dec!(97.50));
    // 100,000 − 5 × 97.50 = 99,512.50.
    assert_eq!(x.account().cash, Money(dec!(99512.50)));
}

#[test]
fn limit_sell_fills_at_the_limit_inside_the_range_and_at_the_open_on_a_gap_up() {
    let mut x = exchange(plain());
    x.on_bar(&bar("SPY", 0, 100.0, 101.0, 99.0, 100.0, 1e6), CLOSE)
        .unwrap();
    x.submit(req(
        "s1",
        "SPY",
        Side::Sell,
        dec!(3),
        limit(dec!(104)),
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    x.submit(req(
        "s2",
        "SPY",
        Side::Sell,
        dec!(2),
        limit(dec!(106)),
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    // Day 1: high 105 reaches 104 (open 101 below it) → 104.00; 106 is not reached.
    x.on_bar(&bar("SPY", 1, 101.0, 105.0, 100.0, 104.0, 1e6), CLOSE)
        .unwrap();
    // Day 2 gaps up to 108 through 106 → the open, 108.00.
    x.on_bar(&bar("SPY", 2, 108.0, 109.0, 107.0, 108.0, 1e6), CLOSE)
        .unwrap();
    let f = fills(&x.drain_updates());
    assert_eq!(
        f.iter().map(|f| (&*f.fill_id, px(f))).collect::<Vec<_>>(),
        vec![("sim-s1-1", dec!(104.00)), ("sim-s2-1", dec!(108.00))]
    );
    // Short 5: cash 100,000 + 312 + 216 = 100,528; marked at 108: −540 → equity 99,988.
    let a = x.account();
    assert_eq!(a.cash, Money(dec!(100528)));
    assert_eq!(a.equity, Money(dec!(99988)));
    assert_eq!(x.positions()[0].qty, Quantity(dec!(-5)));
}

#[test]
fn stops_trigger_through_the_range_and_gaps_fill_at_the_open() {
    let mut x = exchange(plain());
    x.on_bar(&bar("SPY", 0, 100.0, 101.0, 99.0, 100.0, 1e6), CLOSE)
        .unwrap();
    x.submit(req(
        "b1",
        "SPY",
        Side::Buy,
        dec!(1),
        stop(dec!(103)),
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    x.submit(req(
        "b2",
        "SPY",
        Side::Buy,
        dec!(1),
        stop(dec!(110)),
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    // Day 1 high 104 ≥ 103, open 101 < 103 → fills at the stop, 103.00. 110 untouched.
    x.on_bar(&bar("SPY", 1, 101.0, 104.0, 100.0, 102.0, 1e6), CLOSE)
        .unwrap();
    // Day 2 opens 112, through 110 → the open, 112.00.
    x.on_bar(&bar("SPY", 2, 112.0, 113.0, 111.0, 112.0, 1e6), CLOSE)
        .unwrap();
    // Sell stop 105 on the 2 shares; day 3 gaps down to 100 → fills at 100.00.
    x.submit(req(
        "s1",
        "SPY",
        Side::Sell,
        dec!(2),
        stop(dec!(105)),
        TimeInForce::Gtc,
        2,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 3, 100.0, 101.0, 99.0, 100.0, 1e6), CLOSE)
        .unwrap();
    let f = fills(&x.drain_updates());
    assert_eq!(
        f.iter().map(px).collect::<Vec<_>>(),
        vec![dec!(103.00), dec!(112.00), dec!(100.00)]
    );
    // Bought 103 + 112 = 215, sold 2 × 100 = 200: cash 99,985, flat.
    assert_eq!(x.account().cash, Money(dec!(99985)));
    assert!(x.positions().is_empty());
}

#[test]
fn stop_limit_rests_as_a_limit_when_the_trigger_bar_cannot_fill_it() {
    let mut x = exchange(plain());
    x.on_bar(&bar("SPY", 0, 100.0, 101.0, 99.0, 100.0, 1e6), CLOSE)
        .unwrap();
    let sl = OrderType::StopLimit {
        stop: Price(dec!(103)),
        limit: Price(dec!(102)),
    };
    x.submit(req(
        "sl",
        "SPY",
        Side::Buy,
        dec!(4),
        sl,
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    // Day 1: trades through 103 from below (open 101): triggered at 103 > limit 102; the
    // return to 102 after the trigger is unknowable → rests.
    x.on_bar(&bar("SPY", 1, 101.0, 104.0, 100.5, 103.5, 1e6), CLOSE)
        .unwrap();
    assert!(fills(&x.drain_updates()).is_empty());
    // Day 2: opens 102.40 (above 102), low 101.80 reaches the resting limit → 102.00, even
    // though this bar never trades at the stop again.
    x.on_bar(&bar("SPY", 2, 102.4, 102.9, 101.8, 102.2, 1e6), CLOSE)
        .unwrap();
    let f = fills(&x.drain_updates());
    assert_eq!(f.len(), 1);
    assert_eq!(px(&f[0]), dec!(102.00));
}

#[test]
fn market_on_close_fills_at_the_closing_bar_only() {
    let mut x = exchange(plain());
    x.on_bar(&bar("SPY", 0, 100.0, 101.0, 99.0, 100.0, 1e6), CLOSE)
        .unwrap();
    x.submit(req(
        "moc",
        "SPY",
        Side::Buy,
        dec!(2),
        OrderType::MarketOnClose,
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    // `Cls` with a market order is MOC as well.
    x.submit(req(
        "cls",
        "SPY",
        Side::Buy,
        dec!(1),
        OrderType::Market,
        TimeInForce::Cls,
        0,
    ))
    .unwrap();
    // Limit on close at 100.50: the close 101.25 is above it, so it expires unfilled.
    x.submit(req(
        "loc",
        "SPY",
        Side::Buy,
        dec!(1),
        limit(dec!(100.50)),
        TimeInForce::Cls,
        0,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 1, 100.0, 101.0, 99.5, 100.8, 1e5), INTRADAY)
        .unwrap();
    assert!(fills(&x.drain_updates()).is_empty(), "not before the close");
    x.on_bar(&bar("SPY", 2, 100.8, 101.5, 100.6, 101.25, 1e5), CLOSE)
        .unwrap();
    let up = x.drain_updates();
    let f = fills(&up);
    assert_eq!(
        f.iter().map(|f| (&*f.fill_id, px(f))).collect::<Vec<_>>(),
        vec![("sim-moc-1", dec!(101.25)), ("sim-cls-1", dec!(101.25))]
    );
    let loc = x.order(&cid("loc")).unwrap();
    assert_eq!(loc.status, OrderStatus::Expired);
    assert_eq!(
        loc.reason.as_deref(),
        Some("not filled in the closing auction")
    );
}

#[test]
fn day_orders_expire_at_the_close_and_gtc_orders_stay() {
    let mut x = exchange(plain());
    x.submit(req(
        "day",
        "SPY",
        Side::Buy,
        dec!(1),
        limit(dec!(90)),
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    x.submit(req(
        "gtc",
        "SPY",
        Side::Buy,
        dec!(1),
        limit(dec!(90)),
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 1, 100.0, 101.0, 99.0, 100.0, 1e6), INTRADAY)
        .unwrap();
    assert_eq!(x.open_orders().len(), 2, "an intraday bar expires nothing");
    x.on_bar(&bar("SPY", 2, 100.0, 101.0, 99.0, 100.0, 1e6), CLOSE)
        .unwrap();
    let day_order = x.order(&cid("day")).unwrap();
    assert_eq!(day_order.status, OrderStatus::Expired);
    assert_eq!(day_order.updated_at, day(2));
    assert_eq!(
        day_order.reason.as_deref(),
        Some("day order expired at the session close")
    );
    let open = x.open_orders();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].request.client_order_id, cid("gtc"));
}

#[test]
fn end_of_session_expires_day_orders_of_symbols_without_a_closing_bar() {
    let mut x = exchange(plain());
    x.submit(req(
        "d",
        "QQQ",
        Side::Buy,
        dec!(1),
        limit(dec!(90)),
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    // A SPY closing bar does not touch QQQ orders.
    x.on_bar(&bar("SPY", 1, 100.0, 101.0, 99.0, 100.0, 1e6), CLOSE)
        .unwrap();
    assert_eq!(x.open_orders().len(), 1);
    x.end_of_session(day(1));
    assert_eq!(x.order(&cid("d")).unwrap().status, OrderStatus::Expired);
    assert!(x.open_orders().is_empty());
}

#[test]
fn ioc_cancels_what_the_first_bar_does_not_fill() {
    let mut x = exchange(plain());
    x.submit(req(
        "ioc",
        "SPY",
        Side::Buy,
        dec!(1),
        limit(dec!(95)),
        TimeInForce::Ioc,
        0,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 1, 100.0, 101.0, 99.0, 100.0, 1e6), INTRADAY)
        .unwrap();
    let o = x.order(&cid("ioc")).unwrap();
    assert_eq!(o.status, OrderStatus::Canceled);
    assert_eq!(o.reason.as_deref(), Some("ioc: unfilled quantity canceled"));
    // Reached on the first bar: fills.
    x.submit(req(
        "ioc2",
        "SPY",
        Side::Buy,
        dec!(1),
        limit(dec!(99.5)),
        TimeInForce::Ioc,
        1,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 2, 100.0, 101.0, 99.0, 100.0, 1e6), INTRADAY)
        .unwrap();
    assert_eq!(x.order(&cid("ioc2")).unwrap().status, OrderStatus::Filled);
}

#[test]
fn volume_cap_gives_partial_fills_ioc_keeps_part_and_fok_all_or_nothing() {
    let mut cfg = plain();
    cfg.fill = FillRules {
        participation: Some(0.1),
        price_decimals: 2,
    };
    let mut x = exchange(cfg);
    x.on_bar(&bar("SPY", 0, 50.0, 50.0, 50.0, 50.0, 1000.0), CLOSE)
        .unwrap();
    // Cap 10% × 500 = 50 shares per bar.
    x.submit(req(
        "fok",
        "SPY",
        Side::Buy,
        dec!(60),
        OrderType::Market,
        TimeInForce::Fok,
        0,
    ))
    .unwrap();
    x.submit(req(
        "ioc",
        "SPY",
        Side::Buy,
        dec!(80),
        OrderType::Market,
        TimeInForce::Ioc,
        0,
    ))
    .unwrap();
    x.on_bar(&bar("SPY", 1, 50.0, 51.0, 49.0, 50.0, 500.0), INTRADAY)
        .unwrap();
    let fok = x.order(&cid("fok")).unwrap();
    assert_eq!(
        (fok.status, fok.filled_qty),
        (OrderStatus::Canceled, Quantity::ZERO)
    );
    let ioc = x.order(&cid("ioc")).unwrap();
    // FOK took nothing, so IOC gets all 50 of the cap; the other 30 are canceled.
    assert_eq!(
        (ioc.status, ioc.filled_qty),
        (OrderStatus::Canceled, Quantity(dec!(50)))
    );
    assert_eq!(x.positions()[0].qty, Quantity(dec!(50)));
}

#[test]
fn partial_fills_across_bars_share_the_cap_in_submission_order() {
    let mut cfg = plain();
    cfg.fill.participation = Some(0.1);
    let mut x = exchange(cfg);
    x.on_bar(&bar("SPY", 0, 20.0, 20.0, 20.0, 20.0, 1000.0), CLOSE)
        .unwrap();
    x.submit(req(
        "a",
        "SPY",
        Side::Buy,
        dec!(250),
        OrderType::Market,
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    x.submit(req(
        "b",
        "SPY",
        Side::Buy,
        dec!(30),
        OrderType::Market,
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    // Volume 1,005 → cap floor(100.5) = 100 whole shares per bar, all to `a` first.
    x.on_bar(&bar("SPY", 1, 20.0, 21.0, 19.0, 20.5, 1005.0), CLOSE)
        .unwrap();
    x.on_bar(&bar("SPY", 2, 21.0, 22.0, 20.0, 21.5, 1000.0), CLOSE)
        .unwrap();
    // Day 3 cap 100: `a` takes its last 50, `b` its 30.
    x.on_bar(&bar("SPY", 3, 22.0, 23.0, 21.0, 22.5, 1000.0), CLOSE)
        .unwrap();
    let up = x.drain_updates();
    let f = fills(&up);
    assert_eq!(
        f.iter()
            .map(|f| (&*f.fill_id, f.qty.0, px(f)))
            .collect::<Vec<_>>(),
        vec![
            ("sim-a-1", dec!(100), dec!(20)),
            ("sim-a-2", dec!(100), dec!(21)),
            ("sim-a-3", dec!(50), dec!(22)),
            ("sim-b-1", dec!(30), dec!(22)),
        ]
    );
    let a_statuses: Vec<OrderStatus> = up
        .iter()
        .filter_map(|u| match u {
            optifire_core::venue::VenueUpdate::Order(o)
                if o.request.client_order_id == cid("a") =>
            {
                Some(o.status)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        a_statuses,
        vec![
            OrderStatus::New,
            OrderStatus::PartiallyFilled,
            OrderStatus::PartiallyFilled,
            OrderStatus::Filled
        ]
    );
    // Average of `a`: (100×20 + 100×21 + 50×22) / 250 = 5,200 / 250 = 20.80.
    assert_eq!(
        x.order(&cid("a")).unwrap().avg_fill_price,
        Some(Price(dec!(20.8)))
    );
}

#[test]
fn cancel_and_duplicate_client_ids() {
    let mut x = exchange(plain());
    x.submit(req(
        "c1",
        "SPY",
        Side::Buy,
        dec!(1),
        limit(dec!(90)),
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    assert_eq!(
        x.submit(req(
            "c1",
            "SPY",
            Side::Buy,
            dec!(1),
            limit(dec!(91)),
            TimeInForce::Gtc,
            0
        )),
        Err(BrokerError::DuplicateClientOrderId)
    );
    let o = x.cancel(&cid("c1")).unwrap();
    assert_eq!(o.status, OrderStatus::Canceled);
    assert_eq!(o.reason.as_deref(), Some("canceled by client"));
    assert!(x.open_orders().is_empty());
    // A canceled order cannot be canceled again, and its id stays used.
    assert!(matches!(
        x.cancel(&cid("c1")),
        Err(BrokerError::Rejected { .. })
    ));
    assert_eq!(
        x.submit(req(
            "c1",
            "SPY",
            Side::Buy,
            dec!(1),
            limit(dec!(90)),
            TimeInForce::Gtc,
            1
        )),
        Err(BrokerError::DuplicateClientOrderId)
    );
    assert_eq!(x.cancel(&cid("nope")), Err(BrokerError::UnknownOrder));
    // The canceled order never fills.
    x.on_bar(&bar("SPY", 1, 85.0, 86.0, 84.0, 85.0, 1e6), CLOSE)
        .unwrap();
    assert!(fills(&x.drain_updates()).is_empty());
}

#[test]
fn invalid_bars_are_refused_not_matched() {
    let mut x = exchange(plain());
    let err = x
        .on_bar(&bar("SPY", 1, 100.0, 99.0, 98.0, 98.5, 1e6), CLOSE)
        .unwrap_err();
    assert!(err.to_string().contains("inconsistent"), "{err}");
    assert!(x
        .on_bar(&bar("SPY", 1, f64::NAN, 99.0, 98.0, 98.5, 1e6), CLOSE)
        .is_err());
}

#[test]
fn a_zero_price_bar_and_a_bad_config_are_refused() {
    let mut x = exchange(plain());
    let err = x
        .on_bar(&bar("SPY", 1, 0.0, 0.0, 0.0, 0.0, 0.0), CLOSE)
        .unwrap_err();
    assert!(err.to_string().contains("rounds to zero"), "{err}");
    let mut cfg = plain();
    cfg.fill.participation = Some(1.5);
    assert!(optifire_venues::SimExchange::new(cfg).is_err());
}

#[test]
fn closing_auction_under_a_volume_cap_fills_part_and_expires_the_rest() {
    let mut cfg = plain();
    cfg.fill.participation = Some(0.05);
    let mut x = exchange(cfg);
    x.on_bar(&bar("SPY", 0, 40.0, 40.0, 40.0, 40.0, 1e6), CLOSE)
        .unwrap();
    x.submit(req(
        "moc",
        "SPY",
        Side::Buy,
        dec!(300),
        OrderType::MarketOnClose,
        TimeInForce::Day,
        0,
    ))
    .unwrap();
    // 5% of 4,000 = 200 shares at the close 41.10; the other 100 expire.
    x.on_bar(&bar("SPY", 1, 40.0, 41.5, 39.5, 41.1, 4000.0), CLOSE)
        .unwrap();
    let up = x.drain_updates();
    let f = fills(&up);
    assert_eq!(
        (f.len(), f[0].qty.0, px(&f[0])),
        (1, dec!(200), dec!(41.10))
    );
    assert_eq!(
        statuses(&up),
        vec![
            OrderStatus::New,
            OrderStatus::PartiallyFilled,
            OrderStatus::Expired
        ]
    );
    let o = x.order(&cid("moc")).unwrap();
    assert_eq!(o.filled_qty, Quantity(dec!(200)));
    // 100,000 − 200 × 41.10 = 91,780.
    assert_eq!(x.account().cash, Money(dec!(91780)));
}

#[test]
fn a_short_sale_reserves_buying_power_at_the_higher_of_mark_and_limit() {
    let mut cfg = plain();
    cfg.starting_cash = Money(dec!(10000));
    let mut x = exchange(cfg);
    x.on_bar(&bar("SPY", 0, 50.0, 50.0, 50.0, 50.0, 1e6), CLOSE)
        .unwrap();
    // Sell short 100 at limit 55: reserves 100 × max(50, 55) = 5,500 of 10,000.
    x.submit(req(
        "ss",
        "SPY",
        Side::Sell,
        dec!(100),
        limit(dec!(55)),
        TimeInForce::Gtc,
        0,
    ))
    .unwrap();
    assert_eq!(x.account().buying_power, Money(dec!(4500)));
    // Fills at 55 on a bar that reaches it, closing at 54: cash 15,500, position −5,400,
    // equity 10,100, gross 5,400 → buying power 4,700.
    x.on_bar(&bar("SPY", 1, 52.0, 56.0, 51.0, 54.0, 1e6), CLOSE)
        .unwrap();
    let a = x.account();
    assert_eq!(
        (a.cash, a.equity, a.buying_power),
        (Money(dec!(15500)), Money(dec!(10100)), Money(dec!(4700)))
    );
}
