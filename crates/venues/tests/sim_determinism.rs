//! Same script in, same updates out: two runs of a mixed script produce identical updates,
//! books and ids, byte for byte once serialized.

mod common;

use common::*;
use optifire_core::domain::{OrderType, Price, Side, TimeInForce};
use optifire_core::venue::{Account, Broker, VenueUpdate};
use optifire_venues::sim::{CommissionModel, SlippageModel};
use optifire_venues::SessionInfo;
use rust_decimal_macros::dec;

fn run() -> (Vec<VenueUpdate>, Account, String) {
    let mut cfg = plain();
    cfg.commission = CommissionModel::alpaca();
    cfg.slippage = SlippageModel::SpreadImpact {
        half_spread_bps: dec!(1.5),
        impact_coef: 0.05,
    };
    cfg.fill.participation = Some(0.02);
    let mut x = exchange(cfg);
    let mut updates = Vec::new();
    let syms = ["SPY", "QQQ", "IWM"];
    for d in 0..12i64 {
        // A deterministic zig-zag per symbol: no randomness.
        for (k, s) in syms.iter().enumerate() {
            let base = 100.0 + 10.0 * k as f64 + ((d * 7 + k as i64 * 3) % 5) as f64 - 2.0;
            let b = bar(
                s,
                d,
                base,
                base + 1.5,
                base - 1.25,
                base + 0.5,
                20_000.0 + 1_000.0 * d as f64,
            );
            x.on_bar(&b, SessionInfo::close()).unwrap();
        }
        let id = |s: &str, n: &str| format!("{s}-{d}-{n}");
        let side = if d % 3 == 2 { Side::Sell } else { Side::Buy };
        for s in syms {
            let r =
                |n: &str, t: OrderType, tif: TimeInForce, q| req(&id(s, n), s, side, q, t, tif, d);
            let _ = x.submit(r("m", OrderType::Market, TimeInForce::Day, dec!(500)));
            let _ = x.submit(r("l", limit(dec!(101)), TimeInForce::Gtc, dec!(40)));
            let _ = x.submit(r("s", stop(dec!(104)), TimeInForce::Gtc, dec!(25)));
            let _ = x.submit(r(
                "sl",
                OrderType::StopLimit {
                    stop: Price(dec!(103)),
                    limit: Price(dec!(103.5)),
                },
                TimeInForce::Gtc,
                dec!(15),
            ));
            let _ = x.submit(r("c", OrderType::MarketOnClose, TimeInForce::Day, dec!(10)));
            let _ = x.submit(r("i", OrderType::Market, TimeInForce::Ioc, dec!(900)));
        }
        if d == 5 {
            let _ = x.cancel(&cid("SPY-4-l"));
        }
        updates.extend(x.drain_updates());
    }
    let books = serde_json::to_string(&(x.positions(), x.open_orders())).unwrap();
    (updates, x.account(), books)
}

#[test]
fn two_runs_of_the_same_script_are_identical() {
    let (u1, a1, b1) = run();
    let (u2, a2, b2) = run();
    assert!(fills(&u1).len() > 20, "the script exercises fills");
    assert!(fills(&u1)
        .iter()
        .any(|f| f.qty.0 < dec!(500) && f.fill_id.ends_with("-m-1")));
    assert_eq!(u1, u2);
    assert_eq!(a1, a2);
    assert_eq!(b1, b2);
    assert_eq!(
        serde_json::to_string(&u1).unwrap(),
        serde_json::to_string(&u2).unwrap()
    );
}
