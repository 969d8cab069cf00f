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
}
