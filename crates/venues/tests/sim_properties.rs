//! Properties of the simulated exchange on generated markets and order flows:
//! no fill outside its bar's range, and money is conserved — the final equity equals the
//! starting cash minus commissions plus each fill's signed quantity times (last close − fill
//! price), an identity computed from the fill list alone, independently of the exchange's ledger.

mod common;

use common::{bar, day, fills, limit, req, stop};
use optifire_core::domain::{Money, OrderType, Price, Side, TimeInForce};
use optifire_core::venue::Broker;
use optifire_venues::sim::{CommissionModel, FillRules, SessionInfo, SimConfig, SlippageModel};
use optifire_venues::SimExchange;
use proptest::prelude::*;
use rust_decimal::prelude::*;

/// Rounds to the cent, as quoted equity prices are.
fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[derive(Debug, Clone)]
struct Step {
    gap: f64,
    ret: f64,
    up: f64,
    down: f64,
    order: Option<(bool, u8, u32, f64)>, // (buy?, kind 0 market/1 limit/2 stop, qty, price offset)
}

fn step() -> impl Strategy<Value = Step> {
    (
        -0.02f64..0.02,
        -0.03f64..0.03,
        0.0f64..0.02,
        0.0f64..0.02,
        proptest::option::of((any::<bool>(), 0u8..3, 1u32..40, -0.03f64..0.03)),
    )
        .prop_map(|(gap, ret, up, down, order)| Step {
            gap,
            ret,
            up,
            down,
            order,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fills_stay_in_range_and_money_is_conserved(steps in proptest::collection::vec(step(), 5..60), pct in 0u32..20) {
        let rate = Decimal::new(pct as i64, 4); // 0 to 0.19% of traded value
        let mut ex = SimExchange::new(SimConfig {
            starting_cash: Money(Decimal::from(100_000)),
            fill: FillRules::default(),
            commission: CommissionModel::PercentOfValue { rate },
            slippage: SlippageModel::None,
        }).unwrap();
        let mut close = 100.0;
        let mut bars = Vec::new();
        let mut all_fills = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            let d = i as i64 + 1;
            // An order placed after the close of day d-1 meets the bar of day d.
            if let Some((buy, kind, qty, off)) = s.order {
                let side = if buy { Side::Buy } else { Side::Sell };
                let p = Decimal::from_f64(cents(close * (1.0 + off))).unwrap().round_dp(2);
                let ot = match kind { 0 => OrderType::Market, 1 => limit(p), _ => stop(p) };
                let _accepted_or_refused = ex.submit(req(&format!("o{i}"), "SPY", side, Decimal::from(qty), ot, TimeInForce::Gtc, d - 1));
            }
            let open = cents(close * s.gap.exp());
            let c = cents(open * s.ret.exp());
            let high = cents(open.max(c) * (1.0 + s.up));
            let low = cents(open.min(c) * (1.0 - s.down));
            let b = bar("SPY", d, open, high, low, c, 1e6);
            ex.on_bar(&b, SessionInfo::close()).unwrap();
            let f = fills(&ex.drain_updates());
            for fill in &f {
                let px = fill.price.0.to_f64().unwrap();
                prop_assert!(px >= low - 1e-9 && px <= high + 1e-9, "fill {} at {px} outside [{low}, {high}] of day {d}", fill.fill_id);
                prop_assert_eq!(fill.ts, day(d));
            }
            all_fills.extend(f);
            bars.push(b);
            close = c;
        }
        let last = Decimal::from_f64(close).unwrap().round_dp(2);
        ex.set_mark(&"SPY".into(), Price(last));
        let mut expected = Decimal::from(100_000);
        for f in &all_fills {
            expected -= f.commission.0;
            expected += f.signed_qty().0 * (last - f.price.0);
        }
        let pf = ex.portfolio();
        let equity = pf.equity(|_| Some(Price(last))).unwrap();
        prop_assert_eq!(equity.0, expected);
        // Commission is exactly the rate times traded value, rounded to the cent per order at most.
        let traded: Decimal = all_fills.iter().map(|f| f.notional().0).sum();
        let paid: Decimal = all_fills.iter().map(|f| f.commission.0).sum();
        prop_assert!((paid - traded * rate).abs() <= Decimal::new(1, 2) * Decimal::from(all_fills.len().max(1)));
    }
}
