//! Kelly fraction: the bet size that maximises expected log growth.
//!
//! Sizing plugins cap positions at a fraction of it. Discrete bet: f* = p - (1 - p) / b
//! (win probability p, win/loss payoff ratio b). Continuous (lognormal) returns:
//! f* = mu / sigma^2 with mu the expected excess return and sigma^2 its variance per period.

use crate::stats::error::ensure_open_unit;
use crate::stats::StatsError;

/// Kelly fraction of a repeated bet won with probability `win_rate` paying `payoff_ratio` times
/// the stake (a loss costs the stake). Negative means: do not bet.
pub fn kelly_fraction(win_rate: f64, payoff_ratio: f64) -> Result<f64, StatsError> {
    ensure_open_unit("win_rate", win_rate)?;
    if !(payoff_ratio > 0.0 && payoff_ratio.is_finite()) {
        return Err(StatsError::InvalidParameter {
            name: "payoff_ratio",
            reason: format!("must be positive and finite, got {payoff_ratio}"),
        });
    }
    Ok(win_rate - (1.0 - win_rate) / payoff_ratio)
}

/// Continuous-time Kelly leverage mu / sigma^2 for excess-return mean `mu` and variance
/// `variance` (same period).
pub fn kelly_continuous(mu: f64, variance: f64) -> Result<f64, StatsError> {
    if !(variance > 0.0 && variance.is_finite() && mu.is_finite()) {
        return Err(StatsError::InvalidParameter {
            name: "variance",
            reason: format!("must be positive and finite (mu {mu}, variance {variance})"),
        });
    }
    Ok(mu / variance)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Textbook: 60% coin at even odds -> bet 20%; mu 8%, sigma 20% -> leverage 2.
    #[test]
    fn textbook() {
        assert!((kelly_fraction(0.6, 1.0).unwrap() - 0.2).abs() < 1e-15);
        assert!((kelly_continuous(0.08, 0.04).unwrap() - 2.0).abs() < 1e-15);
        assert!(kelly_fraction(1.0, 1.0).is_err());
        assert!(kelly_fraction(0.5, 0.0).is_err());
        assert!(kelly_continuous(0.1, 0.0).is_err());
    }
}
