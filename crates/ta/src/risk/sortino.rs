//! Sortino ratio and downside risk (empyrical `sortino_ratio`/`downside_risk` conventions).
//!
//! Downside deviation = sqrt(mean(min(r - MAR, 0)^2)) * sqrt(periods_per_year): the mean runs
//! over ALL observations (returns above the target count as zero), not only the negative
//! ones. Sortino = mean(r - MAR) * periods_per_year / downside deviation. No return below the
//! target gives NaN (undefined) where empyrical gives inf.

use super::annual_return::check_periods;
use crate::stats::error::{ensure_finite, ensure_len};
use crate::stats::moments::mean_unchecked;
use crate::stats::StatsError;

/// Annualized downside deviation below `required_return` (per period); needs one return.
pub fn downside_risk(
    returns: &[f64],
    required_return: f64,
    periods_per_year: f64,
) -> Result<f64, StatsError> {
    check_periods(periods_per_year)?;
    ensure_len(returns, 1)?;
    ensure_finite(returns)?;
    let sq: f64 = returns
        .iter()
        .map(|r| (r - required_return).min(0.0).powi(2))
        .sum();
    Ok((sq / returns.len() as f64).sqrt() * periods_per_year.sqrt())
}

/// Annualized Sortino ratio (>= 2 returns).
pub fn sortino_ratio(
    returns: &[f64],
    required_return: f64,
    periods_per_year: f64,
) -> Result<f64, StatsError> {
    ensure_len(returns, 2)?;
    let dr = downside_risk(returns, required_return, periods_per_year)?;
    if dr == 0.0 {
        return Ok(f64::NAN);
    }
    let adj = super::sharpe::excess(returns, required_return);
    Ok(mean_unchecked(&adj) * periods_per_year / dr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked() {
        // r = (0.02, -0.02), MAR 0: downside = sqrt(0.0004 / 2) = 0.014142..., mean 0 -> 0.
        let d = downside_risk(&[0.02, -0.02], 0.0, 1.0).unwrap();
        assert!((d - 0.0002f64.sqrt()).abs() < 1e-16);
        assert_eq!(sortino_ratio(&[0.02, -0.02], 0.0, 1.0).unwrap(), 0.0);
        assert!(sortino_ratio(&[0.01, 0.02], 0.0, 252.0).unwrap().is_nan());
        assert!(sortino_ratio(&[0.01], 0.0, 252.0).is_err());
    }
}
