//! Calmar ratio (empyrical `calmar_ratio`): CAGR over the absolute maximum drawdown.
//!
//! Uses the whole sample (not the classic trailing 36 months). No drawdown gives NaN.

use super::annual_return::annual_return;
use super::drawdown::max_drawdown;
use crate::stats::StatsError;

/// annual_return(returns) / |max_drawdown(returns)|; NaN when there is no drawdown.
pub fn calmar_ratio(returns: &[f64], periods_per_year: f64) -> Result<f64, StatsError> {
    let dd = max_drawdown(returns)?.depth;
    let ar = annual_return(returns, periods_per_year)?;
    Ok(calmar_from(ar, dd))
}

/// The Calmar ratio from an annual return and a maximum drawdown depth (<= 0) already worked
/// out, for callers that report both and need not compute them twice.
pub fn calmar_from(annual_return: f64, max_drawdown_depth: f64) -> f64 {
    if max_drawdown_depth >= 0.0 {
        return f64::NAN;
    }
    let c = annual_return / max_drawdown_depth.abs();
    if c.is_infinite() {
        f64::NAN
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_drawdown_is_nan() {
        assert!(calmar_ratio(&[0.01, 0.02], 252.0).unwrap().is_nan());
        // Yearly returns +100%, -50%, +100%: CAGR = 2^(1/3) - 1, max drawdown -50%.
        let c = calmar_ratio(&[1.0, -0.5, 1.0], 1.0).unwrap();
        assert!((c - (2f64.powf(1.0 / 3.0) - 1.0) / 0.5).abs() < 1e-15);
    }
}
