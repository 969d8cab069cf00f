//! Commission and fee models: what each execution costs in cash.
//!
//! Every model prices a whole order from its cumulative executed quantity and value; a fill's
//! commission is the increase from the previous fill, so minimums and per-trade caps apply
//! once per order however many partial fills it has, and the pieces always sum to the total.

use optifire_core::domain::{AssetClass, Money, Quantity, Side};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// SEC Section 31 fee rate per dollar of sale proceeds: $27.80 per $1,000,000, the rate in
/// Alpaca's published fee table ("SEC Transaction FEE 0.000027800",
/// https://docs.alpaca.markets/docs/regulatory-fees) and the SEC's fiscal-2024 order
/// (Release 34-99973, 89 FR 29402, Apr. 22 2024). The SEC set the rate to $0.00 per million
/// from May 14 2025 (SEC announcement of Apr. 8 2025) and published a fiscal-2026 order
/// (Release 34-104909, Feb. 27 2026) whose rate we could not read; set `sec_fee_rate` to
/// the rate in force. The default errs on the side of charging.
pub const SEC_FEE_RATE_DEFAULT: Decimal = Decimal::from_parts(278, 0, 0, false, 7);
/// FINRA Trading Activity Fee per share sold, covered equity: $0.000166 (FINRA By-Laws
/// Schedule A §1; Alpaca's fee table "TAF Fee Min Rate 0.000166000").
pub const FINRA_TAF_PER_SHARE_DEFAULT: Decimal = Decimal::from_parts(166, 0, 0, false, 6);
/// FINRA TAF cap per trade: $8.30 (= 50,000 shares × $0.000166; Alpaca's table "TAF Fee Max
/// Rate 8.300000000", "Qty Limit 50,000").
pub const FINRA_TAF_MAX_PER_TRADE_DEFAULT: Decimal = Decimal::from_parts(830, 0, 0, false, 2);

/// How the simulated broker charges for an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "model", deny_unknown_fields)]
pub enum CommissionModel {
    /// Free.
    None,
    /// `per_share` × shares, at least `min_per_order` once the order has traded (IBKR-style).
    PerShare {
        per_share: Decimal,
        min_per_order: Decimal,
    },
    /// `rate` × traded value (0.001 = 10 bps).
    PercentOfValue { rate: Decimal },
    /// Alpaca: no commission; on sells only, the SEC fee (`sec_fee_rate` × proceeds) and the
    /// FINRA TAF (`taf_per_share` × shares, at most `taf_max_per_trade`), each rounded up to
    /// the cent as Alpaca does. Alpaca rounds each day's accrued total; we round per order,
    /// which can charge at most one cent more per fee per order. These are equity fees: crypto
    /// trades are not charged by this model (Alpaca's crypto fee schedule is not modelled).
    Alpaca {
        sec_fee_rate: Decimal,
        taf_per_share: Decimal,
        taf_max_per_trade: Decimal,
    },
}

impl Default for CommissionModel {
    fn default() -> Self {
        CommissionModel::alpaca()
    }
}

fn cents(d: Decimal, strategy: RoundingStrategy) -> Decimal {
    d.round_dp_with_strategy(2, strategy)
}

impl CommissionModel {
    /// Alpaca with the default published rates (see the constants' sources).
    pub fn alpaca() -> Self {
        CommissionModel::Alpaca {
            sec_fee_rate: SEC_FEE_RATE_DEFAULT,
            taf_per_share: FINRA_TAF_PER_SHARE_DEFAULT,
            taf_max_per_trade: FINRA_TAF_MAX_PER_TRADE_DEFAULT,
        }
    }

    /// Whether the model charges trades in this asset class at all.
    pub fn applies_to(&self, asset: AssetClass) -> bool {
        !matches!(
            (self, asset),
            (CommissionModel::Alpaca { .. }, AssetClass::Crypto)
        )
    }

    /// Negative rates or minimums would pay the trader; refused with the field's name.
    pub fn validate(&self) -> Result<(), String> {
        let fields: Vec<(&str, Decimal)> = match self {
            CommissionModel::None => vec![],
            CommissionModel::PerShare {
                per_share,
                min_per_order,
            } => vec![("per_share", *per_share), ("min_per_order", *min_per_order)],
            CommissionModel::PercentOfValue { rate } => vec![("rate", *rate)],
            CommissionModel::Alpaca {
                sec_fee_rate,
                taf_per_share,
                taf_max_per_trade,
            } => vec![
                ("sec_fee_rate", *sec_fee_rate),
                ("taf_per_share", *taf_per_share),
                ("taf_max_per_trade", *taf_max_per_trade),
            ],
        };
        match fields
            .into_iter()
            .find(|(_, v)| v.is_sign_negative() && !v.is_zero())
        {
            Some((name, v)) => Err(format!("commission {name} must not be negative (got {v})")),
            None => Ok(()),
        }
    }

    /// Total charge for an order that has executed `qty` shares for `value` (both positive),
    /// to the cent. Zero before anything executed.
    pub fn order_total(&self, side: Side, qty: Quantity, value: Money) -> Money {
        if qty.0 <= Decimal::ZERO {
            return Money::ZERO;
        }
        let half_up = RoundingStrategy::MidpointAwayFromZero;
        let total = match self {
            CommissionModel::None => Decimal::ZERO,
            CommissionModel::PerShare {
                per_share,
                min_per_order,
            } => cents((per_share * qty.0).max(*min_per_order), half_up),
            CommissionModel::PercentOfValue { rate } => cents(rate * value.0, half_up),
            CommissionModel::Alpaca {
                sec_fee_rate,
                taf_per_share,
                taf_max_per_trade,
            } => match side {
                Side::Buy => Decimal::ZERO,
                Side::Sell => {
                    let up = RoundingStrategy::AwayFromZero;
                    let sec = cents(sec_fee_rate * value.0, up);
                    let taf = cents(taf_per_share * qty.0, up).min(*taf_max_per_trade);
                    sec + taf
                }
            },
        };
        Money(total)
    }

    /// Commission of one fill: the order's total after it minus the total before it.
    pub fn fill_charge(
        &self,
        side: Side,
        before: (Quantity, Money),
        after: (Quantity, Money),
    ) -> Money {
        self.order_total(side, after.0, after.1) - self.order_total(side, before.0, before.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn q(d: Decimal) -> Quantity {
        Quantity(d)
    }
    fn m(d: Decimal) -> Money {
        Money(d)
    }

    #[test]
    fn default_rates_match_the_published_table() {
        assert_eq!(SEC_FEE_RATE_DEFAULT, dec!(0.0000278));
        assert_eq!(FINRA_TAF_PER_SHARE_DEFAULT, dec!(0.000166));
        assert_eq!(FINRA_TAF_MAX_PER_TRADE_DEFAULT, dec!(8.30));
        // The cap is the per-share rate at Alpaca's 50,000-share limit.
        assert_eq!(dec!(50000) * dec!(0.000166), dec!(8.30));
    }

    #[test]
    fn per_share_minimum_applies_once_per_order() {
        let c = CommissionModel::PerShare {
            per_share: dec!(0.005),
            min_per_order: dec!(1.00),
        };
        // 100 sh × 0.005 = 0.50 < 1.00 minimum.
        assert_eq!(
            c.order_total(Side::Buy, q(dec!(100)), m(dec!(5000))),
            m(dec!(1.00))
        );
        // 1,000 sh × 0.005 = 5.00.
        assert_eq!(
            c.order_total(Side::Sell, q(dec!(1000)), m(dec!(1))),
            m(dec!(5.00))
        );
        // Partial fills 100 then 300: first pays the 1.00 minimum, second 400×0.005=2.00 − 1.00.
        let first = c.fill_charge(
            Side::Buy,
            (q(dec!(0)), m(dec!(0))),
            (q(dec!(100)), m(dec!(1))),
        );
        let second = c.fill_charge(
            Side::Buy,
            (q(dec!(100)), m(dec!(1))),
            (q(dec!(400)), m(dec!(1))),
        );
        assert_eq!((first, second), (m(dec!(1.00)), m(dec!(1.00))));
    }

    #[test]
    fn alpaca_fees_skip_crypto_and_negative_rates_are_refused() {
        assert!(!CommissionModel::alpaca().applies_to(AssetClass::Crypto));
        assert!(CommissionModel::alpaca().applies_to(AssetClass::Etf));
        assert!(
            CommissionModel::PercentOfValue { rate: dec!(0.001) }.applies_to(AssetClass::Crypto)
        );
        assert!(CommissionModel::alpaca().validate().is_ok());
        assert_eq!(
            CommissionModel::PercentOfValue { rate: dec!(-0.001) }.validate(),
            Err("commission rate must not be negative (got -0.001)".into())
        );
    }

    #[test]
    fn percent_of_value_rounds_to_the_cent() {
        let c = CommissionModel::PercentOfValue { rate: dec!(0.001) };
        // 0.1% of 12,345.67 = 12.34567 → 12.35.
        assert_eq!(
            c.order_total(Side::Buy, q(dec!(1)), m(dec!(12345.67))),
            m(dec!(12.35))
        );
    }

    #[test]
    fn alpaca_charges_sells_only_and_caps_taf() {
        let c = CommissionModel::alpaca();
        assert_eq!(
            c.order_total(Side::Buy, q(dec!(100)), m(dec!(10000))),
            Money::ZERO
        );
        // Sell 100 @ 100.00: SEC 10,000 × 0.0000278 = 0.278 → 0.28; TAF 100 × 0.000166 =
        // 0.0166 → 0.02; total 0.30.
        assert_eq!(
            c.order_total(Side::Sell, q(dec!(100)), m(dec!(10000))),
            m(dec!(0.30))
        );
        // Sell 60,000 @ 10.00: SEC 600,000 × 0.0000278 = 16.68; TAF 60,000 × 0.000166 = 9.96,
        // capped at 8.30; total 24.98.
        assert_eq!(
            c.order_total(Side::Sell, q(dec!(60000)), m(dec!(600000))),
            m(dec!(24.98))
        );
        // Sell 1 @ 5.00: SEC 0.000139 → 0.01; TAF 0.000166 → 0.01; total 0.02.
        assert_eq!(
            c.order_total(Side::Sell, q(dec!(1)), m(dec!(5))),
            m(dec!(0.02))
        );
    }
}
