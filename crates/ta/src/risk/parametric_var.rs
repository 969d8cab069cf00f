//! Parametric VaR/CVaR: normal (Gaussian) and Cornish-Fisher (skew/kurtosis adjusted) VaR.
//!
//! Used where the historical sample is short or a smooth limit is wanted. All results are
//! positive loss fractions; mu and sigma are the sample mean and std (ddof = 1).
//!
//! Normal:  VaR_c = -(mu + sigma z),  CVaR_c = -(mu - sigma phi(z) / (1 - c)),  z = Phi^{-1}(1 - c).
//! Cornish-Fisher: VaR_c = -(mu + sigma z_cf) with S the bias-corrected sample skewness G1 and K
//! the bias-corrected excess kurtosis G2 (pandas `.skew()`/`.kurt()`):
//!   z_cf = z + (z^2 - 1) S / 6 + (z^3 - 3z) K / 24 - (2 z^3 - 5 z) S^2 / 36.
//! The expansion is only monotone for moderate S and K; with heavy tails (K above ~6-8) it can
//! even give a smaller VaR than the normal one, so check it against the historical VaR.

use crate::stats::error::{ensure_finite, ensure_len, ensure_open_unit};
use crate::stats::moments::{excess_kurtosis_unbiased, mean_unchecked, skewness_unbiased};
use crate::stats::normal::{norm_pdf, norm_ppf};
use crate::stats::{std_dev, StatsError};

/// Normal VaR at `confidence` from the sample mean and std of `returns` (n >= 2).
pub fn parametric_var(returns: &[f64], confidence: f64) -> Result<f64, StatsError> {
    let (mu, sigma) = mean_std(returns, confidence)?;
    Ok(normal_var(mu, sigma, confidence))
}

/// Normal CVaR (expected shortfall) at `confidence` from the sample mean and std (n >= 2).
pub fn parametric_cvar(returns: &[f64], confidence: f64) -> Result<f64, StatsError> {
    let (mu, sigma) = mean_std(returns, confidence)?;
    Ok(normal_cvar(mu, sigma, confidence))
}

/// Cornish-Fisher VaR at `confidence` (n >= 4). A constant sample has undefined skewness: the
/// result is then NaN.
pub fn cornish_fisher_var(returns: &[f64], confidence: f64) -> Result<f64, StatsError> {
    ensure_len(returns, 4)?;
    let (mu, sigma) = mean_std(returns, confidence)?;
    let s = skewness_unbiased(returns)?;
    let k = excess_kurtosis_unbiased(returns)?;
    let z = norm_ppf(1.0 - confidence);
    let z_cf = z + (z * z - 1.0) * s / 6.0 + (z.powi(3) - 3.0 * z) * k / 24.0
        - (2.0 * z.powi(3) - 5.0 * z) * s * s / 36.0;
    Ok(-(mu + sigma * z_cf))
}

/// Normal VaR for known mean and standard deviation of the period return.
pub fn normal_var(mu: f64, sigma: f64, confidence: f64) -> f64 {
    -(mu + sigma * norm_ppf(1.0 - confidence))
}

/// Normal CVaR for known mean and standard deviation of the period return.
pub fn normal_cvar(mu: f64, sigma: f64, confidence: f64) -> f64 {
    let a = 1.0 - confidence;
    -(mu - sigma * norm_pdf(norm_ppf(a)) / a)
}

fn mean_std(returns: &[f64], confidence: f64) -> Result<(f64, f64), StatsError> {
    ensure_open_unit("confidence", confidence)?;
    ensure_len(returns, 2)?;
    ensure_finite(returns)?;
    Ok((mean_unchecked(returns), std_dev(returns, 1)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Textbook: mu = 0, sigma = 1%: 95% VaR = 1.6449%, 99% VaR = 2.3263%; 95% ES = 2.0627%.
    #[test]
    fn textbook_normal() {
        assert!((normal_var(0.0, 0.01, 0.95) - 0.01644853626951473).abs() < 1e-15);
        assert!((normal_var(0.0, 0.01, 0.99) - 0.02326347874040841).abs() < 1e-15);
        assert!((normal_cvar(0.0, 0.01, 0.95) - 0.020627128075074257).abs() < 1e-15);
        assert!(parametric_var(&[0.01], 0.95).is_err());
        assert!(parametric_var(&[0.01, 0.02], 0.0).is_err());
        assert!(cornish_fisher_var(&[0.01; 5], 0.95).unwrap().is_nan());
    }
}
