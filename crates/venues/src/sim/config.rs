//! Settings of the simulated exchange: starting cash, fill rules, commission and slippage.
//!
//! Everything that changes a simulated fill is here and serializable, so a backtest report can
//! record exactly which rules produced its numbers.

use crate::sim::commission::CommissionModel;
use crate::sim::slippage::SlippageModel;
use optifire_core::domain::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Rules deciding how much of an order fills and at what precision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FillRules {
    /// Largest fraction of a bar's volume the exchange fills per symbol per bar (0.1 = 10%);
    /// the rest stays working. `None` fills every order in full.
    pub participation: Option<f64>,
    /// Decimals of a price tick (2 = cents). Limit and stop prices finer than this are refused.
    pub price_decimals: u32,
}

impl Default for FillRules {
    fn default() -> Self {
        FillRules {
            participation: None,
            price_decimals: 2,
        }
    }
}

/// The whole configuration of a `SimExchange`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    pub starting_cash: Money,
    pub fill: FillRules,
    pub commission: CommissionModel,
    pub slippage: SlippageModel,
}

impl Default for SimConfig {
    /// $100,000, full fills, Alpaca's fees, no slippage.
    fn default() -> Self {
        SimConfig {
            starting_cash: Money(Decimal::from(100_000)),
            fill: FillRules::default(),
            commission: CommissionModel::default(),
            slippage: SlippageModel::default(),
        }
    }
}

impl SimConfig {
    /// Checks every setting; the message names the field and the value.
    pub fn validate(&self) -> Result<(), String> {
        if self.starting_cash.0.is_sign_negative() && !self.starting_cash.is_zero() {
            return Err(format!(
                "starting_cash must not be negative (got {})",
                self.starting_cash
            ));
        }
        if let Some(p) = self.fill.participation {
            if !(p.is_finite() && p > 0.0 && p <= 1.0) {
                return Err(format!("fill.participation must be in (0, 1] (got {p})"));
            }
        }
        if self.fill.price_decimals > 8 {
            return Err(format!(
                "fill.price_decimals must be at most 8 (got {})",
                self.fill.price_decimals
            ));
        }
        self.commission.validate()?;
        self.slippage.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_and_fills_defaults() {
        let c = SimConfig {
            fill: FillRules {
                participation: Some(0.1),
                price_decimals: 2,
            },
            slippage: SlippageModel::FixedBps {
                bps: Decimal::from(3),
            },
            ..SimConfig::default()
        };
        let json = serde_json::to_string(&c).unwrap();
        let back: SimConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        let partial: SimConfig =
            serde_json::from_str(r#"{"commission":{"model":"none"}}"#).unwrap();
        assert_eq!(partial.commission, CommissionModel::None);
        assert_eq!(partial.fill, FillRules::default());
        assert!(serde_json::from_str::<SimConfig>(r#"{"colour":1}"#).is_err());
    }

    #[test]
    fn validation_names_the_bad_field() {
        assert!(SimConfig::default().validate().is_ok());
        let mut c = SimConfig::default();
        c.fill.participation = Some(0.0);
        assert_eq!(
            c.validate(),
            Err("fill.participation must be in (0, 1] (got 0)".into())
        );
        c.fill.participation = Some(f64::NAN);
        assert!(c.validate().is_err());
        let mut c = SimConfig::default();
        c.fill.price_decimals = 9;
        assert!(c.validate().is_err());
    }
}
