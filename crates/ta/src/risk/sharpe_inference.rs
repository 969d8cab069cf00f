//! Standard error, confidence interval and time scaling of a Sharpe ratio (Lo, 2002).
//!
//! A Sharpe estimate from a short backtest is noisy; these say how noisy. `sr` is the
//! per-period (not annualized) ratio mean / std and `t` the number of returns.
//!
//! - iid returns: SE(SR) = sqrt((1 + SR^2 / 2) / T)  (Lo 2002, eq. 9).
//! - q-period scaling with serial correlation: SR(q) = eta(q) SR, with
//!   eta(q) = q / sqrt(q + 2 sum_{k=1}^{q-1} (q - k) rho_k)  (Lo 2002, eq. 13); under iid
//!   eta(q) = sqrt(q). The standard error is scaled by the same eta(q), i.e. the delta method
//!   with the autocorrelations taken as known: Lo's full GMM variance, which also accounts for
//!   estimating rho_k, is NOT implemented.

use crate::stats::normal::norm_ppf;
use crate::stats::StatsError;

/// A two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfidenceInterval {
    pub lower: f64,
    pub upper: f64,
}

/// iid standard error of a per-period Sharpe ratio estimated from `t` returns.
pub fn sharpe_standard_error_iid(sr: f64, t: usize) -> Result<f64, StatsError> {
    if t == 0 {
        return Err(StatsError::TooShort { needed: 1, got: 0 });
    }
    Ok(((1.0 + 0.5 * sr * sr) / t as f64).sqrt())
}

/// Two-sided iid confidence interval SR -+ z_{(1+c)/2} SE at `confidence` (e.g. 0.95).
pub fn sharpe_confidence_interval_iid(
    sr: f64,
    t: usize,
    confidence: f64,
) -> Result<ConfidenceInterval, StatsError> {
    crate::stats::error::ensure_open_unit("confidence", confidence)?;
    let se = sharpe_standard_error_iid(sr, t)?;
    let z = norm_ppf(0.5 + confidence / 2.0);
    Ok(ConfidenceInterval {
        lower: sr - z * se,
        upper: sr + z * se,
    })
}

/// Lo's eta(q) from autocorrelations rho_1, rho_2, ... (`autocorrelations[k - 1]` = rho_k);
/// lags beyond the slice count as zero. Errors when the variance ratio is not positive.
pub fn lo_eta(q: usize, autocorrelations: &[f64]) -> Result<f64, StatsError> {
    if q == 0 {
        return Err(StatsError::InvalidParameter {
            name: "q",
            reason: "must be at least 1".into(),
        });
    }
    let qf = q as f64;
    let s: f64 = (1..q)
        .map(|k| (qf - k as f64) * autocorrelations.get(k - 1).copied().unwrap_or(0.0))
        .sum();
    let denom = qf + 2.0 * s;
    if denom.is_nan() || denom <= 0.0 {
        return Err(StatsError::InvalidParameter {
            name: "autocorrelations",
            reason: format!("imply a non-positive q-period variance ({denom})"),
        });
    }
    Ok(qf / denom.sqrt())
}

/// A Sharpe ratio scaled to q periods (e.g. q = 252 for annual from daily).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaledSharpe {
    /// eta(q) * SR.
    pub sharpe: f64,
    /// eta(q) * SE_iid(SR) (see the module note on what this leaves out).
    pub standard_error: f64,
    /// The scale factor eta(q) (sqrt(q) for uncorrelated returns).
    pub eta: f64,
}

/// Scales a per-period Sharpe ratio from `t` returns to `q` periods with Lo's eta(q).
pub fn scale_sharpe(
    sr: f64,
    t: usize,
    q: usize,
    autocorrelations: &[f64],
) -> Result<ScaledSharpe, StatsError> {
    let eta = lo_eta(q, autocorrelations)?;
    Ok(ScaledSharpe {
        sharpe: eta * sr,
        standard_error: eta * sharpe_standard_error_iid(sr, t)?,
        eta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iid_cases() {
        // No autocorrelation: eta(q) = sqrt(q).
        assert!((lo_eta(12, &[]).unwrap() - 12f64.sqrt()).abs() < 1e-15);
        // Lo (2002) eq. 9 at SR = 0, T = 100: SE = 0.1.
        assert!((sharpe_standard_error_iid(0.0, 100).unwrap() - 0.1).abs() < 1e-16);
        // Perfect negative lag-1 autocorrelation over 2 periods: 2 + 2(1)(-1) = 0 -> refused.
        assert!(lo_eta(2, &[-1.0]).is_err());
        assert!(sharpe_standard_error_iid(0.1, 0).is_err());
    }
}
