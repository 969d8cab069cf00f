//! Annualized Sharpe ratio (empyrical `sharpe_ratio` conventions).
//!
//! SR = mean(r - rf) / std(r - rf, ddof = 1) * sqrt(periods_per_year), rf a constant per-period
//! risk-free return. Zero dispersion gives NaN (undefined) where empyrical gives +-inf.

use super::annual_return::check_periods;
use crate::stats::moments::mean_unchecked;
use crate::stats::{std_dev, StatsError};
use std::borrow::Cow;

/// Annualized Sharpe ratio of `returns` (>= 2, finite) over the per-period `risk_free`.
pub fn sharpe_ratio(
    returns: &[f64],
    risk_free: f64,
    periods_per_year: f64,
) -> Result<f64, StatsError> {
    check_periods(periods_per_year)?;
    let adj = excess(returns, risk_free);
    let sd = std_dev(&adj, 1)?;
    if sd == 0.0 {
        return Ok(f64::NAN);
    }
    Ok(mean_unchecked(&adj) / sd * periods_per_year.sqrt())
}

/// `returns - rate`, borrowed when the rate is +0.0: `r - 0.0` is `r` bit for bit for every
/// number `r` (-0.0 included) and NaN for NaN, so the usual zero rate needs no copy of the
/// series.
pub(crate) fn excess(returns: &[f64], rate: f64) -> Cow<'_, [f64]> {
    if rate == 0.0 && rate.is_sign_positive() {
        Cow::Borrowed(returns)
    } else {
        Cow::Owned(returns.iter().map(|r| r - rate).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_rate_excess_is_the_subtraction() {
        let xs = [0.0, -0.0, 1.5e-300, -2.25, f64::NAN, f64::INFINITY, 5e-324];
        for rate in [0.0, -0.0, 1e-3] {
            let got = excess(&xs, rate);
            let want: Vec<f64> = xs.iter().map(|r| r - rate).collect();
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.to_bits(), w.to_bits(), "{rate}");
            }
        }
    }

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
