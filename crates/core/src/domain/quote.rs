//! Top-of-book quotes and trade prints.

use crate::domain::Symbol;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    pub symbol: Symbol,
    pub ts: Timestamp,
    pub bid: f64,
    pub bid_size: f64,
    pub ask: f64,
    pub ask_size: f64,
}

impl Quote {
    pub fn mid(&self) -> f64 {
        (self.bid + self.ask) / 2.0
    }
    /// Quoted spread in basis points of the mid; NaN when the book is empty or crossed.
    pub fn spread_bps(&self) -> f64 {
        let mid = self.mid();
        if self.bid <= 0.0 || self.ask < self.bid || mid <= 0.0 {
            return f64::NAN;
        }
        (self.ask - self.bid) / mid * 10_000.0
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TradeTick {
    pub symbol: Symbol,
    pub ts: Timestamp,
    pub price: f64,
    pub size: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_in_bps_of_mid() {
        let q = Quote {
            symbol: "X".into(),
            ts: Timestamp(0),
            bid: 99.0,
            bid_size: 1.0,
            ask: 101.0,
            ask_size: 1.0,
        };
        assert!((q.spread_bps() - 200.0).abs() < 1e-12);
        let crossed = Quote {
            bid: 101.0,
            ask: 99.0,
            ..q
        };
        assert!(crossed.spread_bps().is_nan());
    }
}
