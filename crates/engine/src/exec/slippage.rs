//! The expected cost of an order: half the spread plus market impact, in basis points.
//!
//! Recorded with every order (in the journal) so `diag_slippage_report` can compare realized
//! fill prices with what the executor expected. The formula is the simulated exchange's own
//! (`optifire_venues::sim::SlippageModel::SpreadImpact`), reused so expectation and simulated
//! fills agree by construction.

use optifire_core::config::SlippageModel as SlippageConfig;
pub use optifire_core::domain::CostEstimate;
use optifire_core::domain::{OrderType, Quantity, Side};
use optifire_venues::sim::SlippageModel;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

/// The simulated exchange's model for the configured costs.
///
/// `config.spread_bps` is already a half spread. `config.impact_bps` is the impact of trading
/// 1% of the bar's volume; the model's impact grows with the square root of participation
/// (`impact_coef × sqrt(qty / volume) × 10 000`), so `impact_coef = impact_bps / 1000` makes the
/// two agree at exactly 1% (0.001 × 0.1 × 10 000 = 1 bp per configured bp). At 4% the impact is
/// 2 × impact_bps, not 4×: the configured number is a calibration point, not a linear slope.
/// `quoted_spread_bps` (the full quoted spread) replaces the configured half spread with its
/// half when a quote is known.
pub fn sim_model(config: &SlippageConfig, quoted_spread_bps: Option<f64>) -> SlippageModel {
    let half = quoted_spread_bps
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| s / 2.0)
        .unwrap_or(config.spread_bps);
    SlippageModel::SpreadImpact {
        half_spread_bps: Decimal::from_f64(half.max(0.0)).unwrap_or(Decimal::ZERO),
        impact_coef: if config.impact_bps.is_finite() {
            config.impact_bps.max(0.0) / 1000.0
        } else {
            0.0
        },
    }
}

/// Expected cost in basis points of trading `qty` in a bar of `bar_volume` (see `sim_model`).
/// A bar without volume counts as taking all of it, as the simulated exchange does.
pub fn estimate_cost_bps(
    config: &SlippageConfig,
    qty: Quantity,
    quoted_spread_bps: Option<f64>,
    bar_volume: f64,
) -> f64 {
    model_cost_bps(&sim_model(config, quoted_spread_bps), qty, bar_volume)
}

/// `estimate_cost_bps` with the model already built (`sim_model`).
fn model_cost_bps(model: &SlippageModel, qty: Quantity, bar_volume: f64) -> f64 {
    model.bps(qty, bar_volume).to_f64().unwrap_or(f64::NAN)
}

/// The estimate for a market-style order at `mid` (analytics, not rounded to the tick).
pub fn estimate(
    config: &SlippageConfig,
    side: Side,
    qty: Quantity,
    mid: f64,
    quoted_spread_bps: Option<f64>,
    bar_volume: f64,
) -> CostEstimate {
    estimate_with(
        &sim_model(config, quoted_spread_bps),
        side,
        qty,
        mid,
        bar_volume,
    )
}

/// `estimate` with the model already built (`sim_model`): a loop pricing many orders under one
/// configuration and no quotes builds it once (the decimal conversion of the half spread was
/// most of an estimate's cost).
pub fn estimate_with(
    model: &SlippageModel,
    side: Side,
    qty: Quantity,
    mid: f64,
    bar_volume: f64,
) -> CostEstimate {
    let cost_bps = model_cost_bps(model, qty, bar_volume);
    let sign = f64::from(side.sign());
    CostEstimate {
        mid,
        cost_bps,
        price: mid * (1.0 + sign * cost_bps / 10_000.0),
    }
}

/// The estimate for an order as routed: a limit order's expected price is its limit (it
/// cannot fill worse) and its cost the limit's distance from `mid` against the trader; every
/// other type is market-style (`estimate`).
pub fn estimate_for_order(
    config: &SlippageConfig,
    order_type: &OrderType,
    side: Side,
    qty: Quantity,
    mid: f64,
    quoted_spread_bps: Option<f64>,
    bar_volume: f64,
) -> CostEstimate {
    match order_type {
        OrderType::Limit { limit } if mid > 0.0 => limit_estimate(side, limit.to_f64(), mid),
        _ => estimate(config, side, qty, mid, quoted_spread_bps, bar_volume),
    }
}

/// `estimate_for_order` with the model already built (`sim_model` of the same configuration
/// and quoted spread); see `estimate_with`.
pub fn estimate_for_order_with(
    model: &SlippageModel,
    order_type: &OrderType,
    side: Side,
    qty: Quantity,
    mid: f64,
    bar_volume: f64,
) -> CostEstimate {
    match order_type {
        OrderType::Limit { limit } if mid > 0.0 => limit_estimate(side, limit.to_f64(), mid),
        _ => estimate_with(model, side, qty, mid, bar_volume),
    }
}

/// A limit order is expected at its limit, `price`.
fn limit_estimate(side: Side, price: f64, mid: f64) -> CostEstimate {
    CostEstimate {
        mid,
        cost_bps: f64::from(side.sign()) * (price - mid) / mid * 10_000.0,
        price,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn cfg() -> SlippageConfig {
        SlippageConfig {
            spread_bps: 1.0,
            impact_bps: 5.0,
        }
    }

    /// The estimate with a prebuilt model is the one that builds it, bit for bit.
    #[test]
    fn prebuilt_model_gives_the_same_estimates() {
        let mut rng = fastrand::Rng::with_seed(61);
        let pick = |rng: &mut fastrand::Rng, xs: &[f64]| xs[rng.usize(..xs.len())];
        let special = [
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            1e-9,
            0.5,
            1.0,
            7.25,
            1e6,
        ];
        for _ in 0..20_000 {
            let config = SlippageConfig {
                spread_bps: if rng.bool() {
                    rng.f64() * 20.0
                } else {
                    pick(&mut rng, &special)
                },
                impact_bps: if rng.bool() {
                    rng.f64() * 20.0
                } else {
                    pick(&mut rng, &special)
                },
            };
            let quoted = match rng.u8(..3) {
                0 => None,
                1 => Some(rng.f64() * 30.0),
                _ => Some(pick(&mut rng, &special)),
            };
            let model = sim_model(&config, quoted);
            let side = if rng.bool() { Side::Buy } else { Side::Sell };
            let qty = Quantity(Decimal::new(rng.i64(0..1_000_000), rng.u32(0..4)));
            let mid = if rng.bool() {
                rng.f64() * 500.0
            } else {
                pick(&mut rng, &special)
            };
            let volume = if rng.bool() {
                rng.f64() * 1e7
            } else {
                pick(&mut rng, &special)
            };
            let order_type = match rng.u8(..3) {
                0 => OrderType::Market,
                1 => OrderType::Limit {
                    limit: optifire_core::domain::Price(Decimal::new(rng.i64(1..100_000), 2)),
                },
                _ => OrderType::MarketOnClose,
            };
            let want = estimate_for_order(&config, &order_type, side, qty, mid, quoted, volume);
            let got = estimate_for_order_with(&model, &order_type, side, qty, mid, volume);
            let bits = |e: CostEstimate| (e.mid.to_bits(), e.cost_bps.to_bits(), e.price.to_bits());
            assert_eq!(
                bits(got),
                bits(want),
                "{config:?} {quoted:?} {order_type:?} {qty:?} {mid} {volume}"
            );
        }
    }

    #[test]
    fn half_spread_plus_square_root_impact() {
        // 1% of volume: 1 + 5 = 6 bps (the calibration point of `impact_bps`).
        let at1 = estimate_cost_bps(&cfg(), Quantity(dec!(10000)), None, 1_000_000.0);
        assert!((at1 - 6.0).abs() < 1e-9, "{at1}");
        // 4%: sqrt(4) = 2 → 1 + 10 = 11 bps.
        let at4 = estimate_cost_bps(&cfg(), Quantity(dec!(40000)), None, 1_000_000.0);
        assert!((at4 - 11.0).abs() < 1e-9, "{at4}");
        // A quoted 8 bps spread replaces the configured half spread with 4: 4 + 5 = 9.
        let quoted = estimate_cost_bps(&cfg(), Quantity(dec!(10000)), Some(8.0), 1_000_000.0);
        assert!((quoted - 9.0).abs() < 1e-9, "{quoted}");
    }

    #[test]
    fn expected_price_moves_against_the_trader() {
        let buy = estimate(&cfg(), Side::Buy, Quantity(dec!(40000)), 100.0, None, 1e6);
        let sell = estimate(&cfg(), Side::Sell, Quantity(dec!(40000)), 100.0, None, 1e6);
        // 100 × (1 ± 0.0011).
        assert!((buy.price - 100.11).abs() < 1e-9, "{}", buy.price);
        assert!((sell.price - 99.89).abs() < 1e-9, "{}", sell.price);
    }

    #[test]
    fn a_limit_is_expected_at_its_limit() {
        let limit = OrderType::Limit {
            limit: optifire_core::domain::Price(dec!(100.05)),
        };
        let e = estimate_for_order(
            &cfg(),
            &limit,
            Side::Buy,
            Quantity(dec!(1)),
            100.0,
            None,
            1e6,
        );
        // (100.05 − 100) / 100 = 5 bps paid.
        assert!((e.cost_bps - 5.0).abs() < 1e-9 && (e.price - 100.05).abs() < 1e-12);
        let sell = OrderType::Limit {
            limit: optifire_core::domain::Price(dec!(99.95)),
        };
        let e = estimate_for_order(
            &cfg(),
            &sell,
            Side::Sell,
            Quantity(dec!(1)),
            100.0,
            None,
            1e6,
        );
        assert!((e.cost_bps - 5.0).abs() < 1e-9);
    }

    #[test]
    fn matches_the_simulated_exchange_fill() {
        // The simulated exchange with the mapped model fills a 1%-of-volume buy at 50.00 at
        // 50 × 1.0006 = 50.03: the same 6 bps the estimate reports.
        let m = sim_model(&cfg(), None);
        let px = m.apply(
            Side::Buy,
            optifire_core::domain::Price(dec!(50)),
            Quantity(dec!(10000)),
            1e6,
            2,
        );
        assert_eq!(px.0, dec!(50.03));
    }
}
