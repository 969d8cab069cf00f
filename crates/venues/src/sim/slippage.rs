//! Slippage models: how far a market-style execution lands from the reference price.
//!
//! A buy pays up and a sell receives less; the adjusted price is rounded to the tick (half away
//! from zero). Limit-style executions are not slipped: their price is bounded by the limit.

use optifire_core::domain::{Price, Quantity, Side};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

const BPS: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

/// How a market-style fill price is moved against the trader.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "model", deny_unknown_fields)]
pub enum SlippageModel {
    /// Fill at the reference price.
    #[default]
    None,
    /// A constant cost of `bps` basis points.
    FixedBps { bps: Decimal },
    /// Half the quoted spread plus square-root market impact:
    /// `bps = half_spread_bps + impact_coef × sqrt(qty / bar_volume) × 10_000`.
    /// With `impact_coef = 0.1`, taking 1% of the bar's volume costs 0.1 × 0.1 × 10,000 = 100 bps
    /// on top of the half spread. A bar without volume counts as taking all of it.
    SpreadImpact {
        half_spread_bps: Decimal,
        impact_coef: f64,
    },
}

impl SlippageModel {
    /// Refuses settings that would pay the trader or push a sell price below zero.
    pub fn validate(&self) -> Result<(), String> {
        let ok_bps = |b: Decimal| b >= Decimal::ZERO && b < BPS;
        match self {
            SlippageModel::None => Ok(()),
            SlippageModel::FixedBps { bps } if ok_bps(*bps) => Ok(()),
            SlippageModel::FixedBps { bps } => {
                Err(format!("slippage bps must be in [0, 10000) (got {bps})"))
            }
            SlippageModel::SpreadImpact {
                half_spread_bps,
                impact_coef,
            } => {
                if !ok_bps(*half_spread_bps) {
                    Err(format!(
                        "slippage half_spread_bps must be in [0, 10000) (got {half_spread_bps})"
                    ))
                } else if !(impact_coef.is_finite() && *impact_coef >= 0.0) {
                    Err(format!(
                        "slippage impact_coef must be a non-negative number (got {impact_coef})"
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Slippage in basis points for trading `qty` in a bar that traded `bar_volume`.
    pub fn bps(&self, qty: Quantity, bar_volume: f64) -> Decimal {
        match self {
            SlippageModel::None => Decimal::ZERO,
            SlippageModel::FixedBps { bps } => *bps,
            SlippageModel::SpreadImpact {
                half_spread_bps,
                impact_coef,
            } => {
                let q = qty.to_f64();
                let participation = if bar_volume > 0.0 && q.is_finite() {
                    (q / bar_volume).max(0.0)
                } else {
                    1.0
                };
                let impact = impact_coef * participation.sqrt() * 10_000.0;
                // Six decimals of a basis point move a $1,000 price by 1e-7: far below a tick.
                let impact = super::matching::round_f64(impact, 6).unwrap_or(Decimal::ZERO);
                half_spread_bps + impact
            }
        }
    }

    /// The fill price for a market-style execution at `reference`, rounded to `price_decimals`.
    /// Never below one tick, so a sell of a penny stock cannot fill at zero.
    pub fn apply(
        &self,
        side: Side,
        reference: Price,
        qty: Quantity,
        bar_volume: f64,
        price_decimals: u32,
    ) -> Price {
        let frac = self.bps(qty, bar_volume) / BPS;
        let raw = match side {
            Side::Buy => reference.0 * (Decimal::ONE + frac),
            Side::Sell => reference.0 * (Decimal::ONE - frac),
        };
        let px = raw.round_dp_with_strategy(price_decimals, RoundingStrategy::MidpointAwayFromZero);
        let tick = Decimal::new(1, price_decimals);
        Price(px.max(tick))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn fixed_bps_moves_buys_up_and_sells_down() {
        let s = SlippageModel::FixedBps { bps: dec!(5) };
        // 100.00 × (1 ± 0.0005) = 100.05 / 99.95.
        let buy = s.apply(Side::Buy, Price(dec!(100.00)), Quantity(dec!(1)), 1e6, 2);
        let sell = s.apply(Side::Sell, Price(dec!(100.00)), Quantity(dec!(1)), 1e6, 2);
        assert_eq!((buy, sell), (Price(dec!(100.05)), Price(dec!(99.95))));
        // 123.45 × 1.0005 = 123.511725 → 123.51.
        let buy = s.apply(Side::Buy, Price(dec!(123.45)), Quantity(dec!(1)), 1e6, 2);
        assert_eq!(buy, Price(dec!(123.51)));
    }

    #[test]
    fn refuses_settings_that_pay_the_trader() {
        assert!(SlippageModel::FixedBps { bps: dec!(-1) }
            .validate()
            .is_err());
        assert!(SlippageModel::FixedBps { bps: dec!(10000) }
            .validate()
            .is_err());
        let nan = SlippageModel::SpreadImpact {
            half_spread_bps: dec!(1),
            impact_coef: f64::NAN,
        };
        assert!(nan.validate().is_err());
        assert!(SlippageModel::FixedBps { bps: dec!(5) }.validate().is_ok());
    }

    #[test]
    fn spread_plus_square_root_impact() {
        let s = SlippageModel::SpreadImpact {
            half_spread_bps: dec!(2),
            impact_coef: 0.1,
        };
        // 10,000 of 1,000,000 = 1%: sqrt(0.01) = 0.1; 0.1 × 0.1 × 10,000 = 100 bps; + 2 = 102.
        assert_eq!(s.bps(Quantity(dec!(10000)), 1_000_000.0), dec!(102));
        // 50.00 × (1 + 0.0102) = 50.51; sell 50.00 × 0.9898 = 49.49.
        let buy = s.apply(Side::Buy, Price(dec!(50)), Quantity(dec!(10000)), 1e6, 2);
        let sell = s.apply(Side::Sell, Price(dec!(50)), Quantity(dec!(10000)), 1e6, 2);
        assert_eq!((buy, sell), (Price(dec!(50.51)), Price(dec!(49.49))));
        // No volume: participation 1 → 0.1 × 1 × 10,000 = 1,000 bps + 2.
        assert_eq!(s.bps(Quantity(dec!(1)), 0.0), dec!(1002));
    }
}
