//! Annualized volatility of a return series (empyrical `annual_volatility`).
//!
//! Convention: sample std (ddof = 1) times sqrt(periods_per_year).

use super::annual_return::check_periods;
use crate::stats::{std_dev, StatsError};

/// std(returns, ddof = 1) * sqrt(periods_per_year); needs two finite returns; 0 when constant.
pub fn annual_volatility(returns: &[f64], periods_per_year: f64) -> Result<f64, StatsError> {
    check_periods(periods_per_year)?;
    Ok(std_dev(returns, 1)? * periods_per_year.sqrt())
}
