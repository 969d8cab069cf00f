//! Annualized Sharpe ratio (empyrical `sharpe_ratio` conventions).
//!
//! SR = mean(r - rf) / std(r - rf, ddof = 1) * sqrt(periods_per_year), rf a constant per-period
//! risk-free return. Zero dispersion gives NaN (undefined) where empyrical gives +-inf.

use super::annual_return::check_periods;
use crate::stats::moments::mean_unchecked;
use crate::stats::{std_dev, StatsError};

/// Annualized Sharpe ratio of `returns` (>= 2, finite) over the per-period `risk_free`.
pub fn sharpe_ratio(
    returns: &[f64],
    risk_free: f64,
    periods_per_year: f64,
) -> Result<f64, StatsError> {
    check_periods(periods_per_year)?;
    let adj: Vec<f64> = returns.iter().map(|r| r - risk_free).collect();
    let sd = std_dev(&adj, 1)?;
    if sd == 0.0 {
        return Ok(f64::NAN);
    }
    Ok(mean_unchecked(&adj) / sd * periods_per_year.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges() {
        // mean 0.01, sd 0.01 per period -> 1 * sqrt(4) annualized over 4 periods.
        let sr = sharpe_ratio(&[0.0, 0.01, 0.02], 0.0, 4.0).unwrap();
        assert!((sr - 2.0).abs() < 1e-14);
        assert!(sharpe_ratio(&[0.01; 5], 0.0, 252.0).unwrap().is_nan());
        assert!(sharpe_ratio(&[0.01], 0.0, 252.0).is_err());
        assert!(sharpe_ratio(&[], 0.0, 252.0).is_err());
        assert!(sharpe_ratio(&[0.01, f64::NAN], 0.0, 252.0).is_err());
    }
}
