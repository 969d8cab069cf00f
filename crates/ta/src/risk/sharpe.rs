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
