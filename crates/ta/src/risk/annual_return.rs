//! Compound annual growth rate of a simple-return series (empyrical `annual_return`/`cagr`).
//!
//! Convention: the years covered are n / periods_per_year (252 for daily bars), and
//! CAGR = (prod(1 + r))^(1 / years) - 1.

use crate::stats::error::{ensure_finite, ensure_len};
use crate::stats::StatsError;

/// CAGR of `returns` (at least one, finite).
pub fn annual_return(returns: &[f64], periods_per_year: f64) -> Result<f64, StatsError> {
    ensure_len(returns, 1)?;
    ensure_finite(returns)?;
    check_periods(periods_per_year)?;
    let years = returns.len() as f64 / periods_per_year;
    let ending: f64 = returns.iter().map(|r| 1.0 + r).product();
    Ok(ending.powf(1.0 / years) - 1.0)
}

/// Alias of [`annual_return`], the name most people search for.
pub fn cagr(returns: &[f64], periods_per_year: f64) -> Result<f64, StatsError> {
    annual_return(returns, periods_per_year)
}

pub(crate) fn check_periods(periods_per_year: f64) -> Result<(), StatsError> {
    if periods_per_year > 0.0 && periods_per_year.is_finite() {
        Ok(())
    } else {
        Err(StatsError::InvalidParameter {
            name: "periods_per_year",
            reason: format!("must be positive and finite, got {periods_per_year}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_in_two_years() {
        // Two yearly returns of +100% and 0%: equity x2 over two years -> sqrt(2) - 1.
        let g = annual_return(&[1.0, 0.0], 1.0).unwrap();
        assert!((g - (2f64.sqrt() - 1.0)).abs() < 1e-15);
        assert!(annual_return(&[], 252.0).is_err());
        assert!(annual_return(&[0.1], 0.0).is_err());
    }
}
