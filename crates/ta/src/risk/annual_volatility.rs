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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges() {
        assert_eq!(annual_volatility(&[0.01; 4], 252.0).unwrap(), 0.0);
        // sd of (0, 0.02) = sqrt(2) * 0.01; times sqrt(4) = 2.
        let v = annual_volatility(&[0.0, 0.02], 4.0).unwrap();
        assert!((v - 0.02 * 2f64.sqrt()).abs() < 1e-16);
        assert!(annual_volatility(&[0.01], 252.0).is_err());
    }
}
