//! Equity over time, with the high-water mark the drawdown controls read.

use crate::domain::Money;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EquityPoint {
    pub ts: Timestamp,
    pub equity: Money,
    pub cash: Money,
    pub gross_exposure: Money,
}

/// Append-only equity series in time order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EquityHistory {
    points: Vec<EquityPoint>,
    high_water: Option<Money>,
}

impl EquityHistory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a point; a point at or before the last one replaces nothing and is refused, so the
    /// series stays strictly increasing in time.
    pub fn push(&mut self, p: EquityPoint) -> bool {
        if let Some(last) = self.points.last() {
            if p.ts <= last.ts {
                return false;
            }
        }
        self.high_water = Some(match self.high_water {
            Some(h) if h >= p.equity => h,
            _ => p.equity,
        });
        self.points.push(p);
        true
    }

    pub fn points(&self) -> &[EquityPoint] {
        &self.points
    }
    pub fn last(&self) -> Option<&EquityPoint> {
        self.points.last()
    }
    pub fn high_water_mark(&self) -> Option<Money> {
        self.high_water
    }

    /// Current drawdown from the high-water mark as a positive fraction (0.05 = 5% below peak).
    pub fn drawdown(&self) -> f64 {
        match (self.high_water, self.points.last()) {
            (Some(h), Some(last)) if h.to_f64() > 0.0 => {
                (1.0 - last.equity.to_f64() / h.to_f64()).max(0.0)
            }
            _ => 0.0,
        }
    }

    /// Equity values as f64 for analytics.
    pub fn values(&self) -> Vec<f64> {
        self.points.iter().map(|p| p.equity.to_f64()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn pt(t: i64, e: rust_decimal::Decimal) -> EquityPoint {
        EquityPoint {
            ts: Timestamp(t),
            equity: Money(e),
            cash: Money(e),
            gross_exposure: Money::ZERO,
        }
    }

    #[test]
    fn tracks_high_water_and_drawdown() {
        let mut h = EquityHistory::new();
        assert!(h.push(pt(1, dec!(100))));
        assert!(h.push(pt(2, dec!(120))));
        assert!(h.push(pt(3, dec!(90))));
        assert!(!h.push(pt(3, dec!(95))), "same timestamp is refused");
        assert_eq!(h.high_water_mark(), Some(Money(dec!(120))));
        assert!((h.drawdown() - 0.25).abs() < 1e-12);
    }
}
