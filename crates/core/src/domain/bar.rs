//! OHLCV bars. Validation at construction keeps NaN and inconsistent bars out of the engine.

use crate::domain::Symbol;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// One OHLCV bar. `ts` is the instant the bar became known, i.e. its close (for daily bars of
/// exchange instruments, the session date at 16:00 New York; for intraday bars, start plus bar
/// length). Stamping by the close makes "visible at `now`" the same as `ts <= now`, which is what
/// keeps backtests free of look-ahead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    pub symbol: Symbol,
    pub ts: Timestamp,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BarError {
    #[error("{field} is not a finite number ({value})")]
    NotFinite { field: &'static str, value: f64 },
    #[error("{field} is negative ({value})")]
    Negative { field: &'static str, value: f64 },
    #[error("OHLC inconsistent: low {low} open {open} close {close} high {high}")]
    Inconsistent {
        open: f64,
        high: f64,
        low: f64,
        close: f64,
    },
}

impl Bar {
    /// Checks the invariants every consumer relies on: finite, non-negative, low ≤ open, close ≤
    /// high. Returns every defect, not only the first, so a validator can report them all.
    pub fn defects(&self) -> Vec<BarError> {
        let mut out = Vec::new();
        let fields = [
            ("open", self.open),
            ("high", self.high),
            ("low", self.low),
            ("close", self.close),
            ("volume", self.volume),
        ];
        for (field, value) in fields {
            if !value.is_finite() {
                out.push(BarError::NotFinite { field, value });
            } else if value < 0.0 {
                out.push(BarError::Negative { field, value });
            }
        }
        if out.is_empty() {
            let (o, h, l, c) = (self.open, self.high, self.low, self.close);
            if l > o || l > c || h < o || h < c || l > h {
                out.push(BarError::Inconsistent {
                    open: o,
                    high: h,
                    low: l,
                    close: c,
                });
            }
        }
        out
    }

    /// `defects().is_empty()` without building the list: called for every bar the simulated
    /// exchange and the validator see. Every test is evaluated (`&`, `|`, no short circuit):
    /// they are pure comparisons, and one combined answer costs one branch instead of ten.
    ///
    /// Eight comparisons stand for the twenty of the definition: with `0 <= low <= open, close
    /// <= high < inf` every price is finite and non-negative (a NaN fails every comparison)
    /// and the bar is consistent (`low <= high` follows), and `0 <= volume < inf` is a sound
    /// volume. `is_valid_is_no_defects` checks the two agree.
    pub fn is_valid(&self) -> bool {
        let (o, h, l, c, v) = (self.open, self.high, self.low, self.close, self.volume);
        (l >= 0.0)
            & (o >= l)
            & (c >= l)
            & (o <= h)
            & (c <= h)
            & (h < f64::INFINITY)
            & (0.0..f64::INFINITY).contains(&v)
    }

    /// Typical price (H+L+C)/3, used by CCI and MFI.
    pub fn typical_price(&self) -> f64 {
        (self.high + self.low + self.close) / 3.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(o: f64, h: f64, l: f64, c: f64, v: f64) -> Bar {
        Bar {
            symbol: "SPY".into(),
            ts: Timestamp(0),
            open: o,
            high: h,
            low: l,
            close: c,
            volume: v,
        }
    }

    #[test]
    fn is_valid_is_no_defects() {
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            2.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            1e300,
        ];
        let mut rng = fastrand::Rng::with_seed(11);
        let pick = |rng: &mut fastrand::Rng| {
            if rng.bool() {
                specials[rng.usize(..specials.len())]
            } else {
                rng.f64() * 20.0 - 2.0
            }
        };
        for _ in 0..200_000 {
            let b = bar(
                pick(&mut rng),
                pick(&mut rng),
                pick(&mut rng),
                pick(&mut rng),
                pick(&mut rng),
            );
            assert_eq!(b.is_valid(), b.defects().is_empty(), "{b:?}");
        }
        // Ordered prices around ties.
        for o in [1.0, 2.0, 3.0] {
            for h in [1.0, 2.0, 3.0] {
                for l in [1.0, 2.0, 3.0] {
                    for c in [1.0, 2.0, 3.0] {
                        let b = bar(o, h, l, c, 0.0);
                        assert_eq!(b.is_valid(), b.defects().is_empty(), "{b:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn finds_each_kind_of_defect() {
        assert!(bar(10.0, 11.0, 9.0, 10.5, 100.0).is_valid());
        assert!(matches!(
            bar(f64::NAN, 11.0, 9.0, 10.5, 1.0).defects()[0],
            BarError::NotFinite { field: "open", .. }
        ));
        assert!(matches!(
            bar(10.0, 11.0, 9.0, 10.5, -1.0).defects()[0],
            BarError::Negative {
                field: "volume",
                ..
            }
        ));
        // The last SPY row of the shared data: open above high.
        assert!(matches!(
            bar(658.67, 652.45, 650.73, 652.34, 7e6).defects()[0],
            BarError::Inconsistent { .. }
        ));
    }
}
