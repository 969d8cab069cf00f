//! Probabilistic and deflated Sharpe ratios (Bailey & Lopez de Prado 2012, 2014).
//!
//! They turn a backtest Sharpe into the probability that the true Sharpe beats a benchmark,
//! allowing for non-normal returns and for the number of strategies tried. All Sharpe ratios
//! here are per period (not annualized); `skew` is the moment skewness and `kurtosis` the
//! moment (non-excess, normal = 3) kurtosis of the returns, as in the papers.
//!
//! PSR(SR*) = Phi( (SR - SR*) sqrt(T - 1) / sqrt(1 - skew SR + (kurtosis - 1) / 4 SR^2) ).
//! DSR = PSR(SR0), SR0 = sqrt(V) ((1 - g) Phi^{-1}(1 - 1/N) + g Phi^{-1}(1 - 1/(N e))), with
//! V the variance of the Sharpe ratios across the N trials and g the Euler-Mascheroni constant.

use crate::stats::error::{ensure_finite, ensure_len};
use crate::stats::moments::{kurtosis_biased, mean_unchecked, skewness_biased};
use crate::stats::normal::{norm_cdf, norm_ppf};
use crate::stats::{std_dev, StatsError};

const EULER_MASCHERONI: f64 = 0.577_215_664_901_532_9;

/// PSR of an observed per-period `sr` from `t` returns against the benchmark `sr_benchmark`.
pub fn probabilistic_sharpe_ratio(
    sr: f64,
    sr_benchmark: f64,
    t: usize,
    skew: f64,
    kurtosis: f64,
) -> Result<f64, StatsError> {
    if t < 2 {
        return Err(StatsError::TooShort { needed: 2, got: t });
    }
    let var = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr;
    if var.is_nan() || var <= 0.0 {
        return Err(StatsError::InvalidParameter {
            name: "kurtosis",
            reason: format!("skew/kurtosis give a non-positive Sharpe variance ({var})"),
        });
    }
    Ok(norm_cdf(
        (sr - sr_benchmark) * ((t - 1) as f64).sqrt() / var.sqrt(),
    ))
}

/// PSR computed from a return sample: SR = mean / std (ddof = 1), moment skew and kurtosis.
pub fn probabilistic_sharpe_ratio_of(
    returns: &[f64],
    sr_benchmark: f64,
) -> Result<f64, StatsError> {
    ensure_len(returns, 2)?;
    ensure_finite(returns)?;
    let sd = std_dev(returns, 1)?;
    if sd == 0.0 {
        return Ok(f64::NAN);
    }
    let sr = mean_unchecked(returns) / sd;
    probabilistic_sharpe_ratio(
        sr,
        sr_benchmark,
        returns.len(),
        skewness_biased(returns)?,
        kurtosis_biased(returns)?,
    )
}

/// Expected maximum Sharpe ratio of `trials` (>= 2) unskilled strategies whose Sharpe ratios
/// have variance `sr_variance` (the SR0 benchmark of the deflated Sharpe ratio).
pub fn expected_max_sharpe(trials: usize, sr_variance: f64) -> Result<f64, StatsError> {
    if trials < 2 {
        return Err(StatsError::InvalidParameter {
            name: "trials",
            reason: format!("must be at least 2, got {trials}"),
        });
    }
    if !(sr_variance >= 0.0 && sr_variance.is_finite()) {
        return Err(StatsError::InvalidParameter {
            name: "sr_variance",
            reason: format!("must be >= 0 and finite, got {sr_variance}"),
        });
    }
    let n = trials as f64;
    let g = EULER_MASCHERONI;
    Ok(sr_variance.sqrt()
        * ((1.0 - g) * norm_ppf(1.0 - 1.0 / n)
            + g * norm_ppf(1.0 - 1.0 / (n * std::f64::consts::E))))
}

/// Deflated Sharpe ratio: PSR against the expected maximum Sharpe of `trials` strategies.
pub fn deflated_sharpe_ratio(
    sr: f64,
    t: usize,
    skew: f64,
    kurtosis: f64,
    trials: usize,
    sr_variance: f64,
) -> Result<f64, StatsError> {
    let sr0 = expected_max_sharpe(trials, sr_variance)?;
    probabilistic_sharpe_ratio(sr, sr0, t, skew, kurtosis)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Numeric example of Bailey & Lopez de Prado (2014, "The Deflated Sharpe Ratio"): annualized
    // SR 2.5 over T = 1250 daily returns (250 a year), skew -3, kurtosis 10, N = 100 trials with
    // annualized variance of Sharpe ratios 0.5 -> SR0 = 0.1132 (per day) and DSR = 0.9004.
    #[test]
    fn paper_example() {
        let sr = 2.5 / 250f64.sqrt();
        let v = 0.5 / 250.0;
        let sr0 = expected_max_sharpe(100, v).unwrap();
        assert!((sr0 - 0.1132).abs() < 5e-5, "{sr0}");
        let dsr = deflated_sharpe_ratio(sr, 1250, -3.0, 10.0, 100, v).unwrap();
        assert!((dsr - 0.9004).abs() < 5e-5, "{dsr}");
    }

    #[test]
    fn edges() {
        // Normal returns, SR equal to the benchmark: probability one half.
        assert_eq!(
            probabilistic_sharpe_ratio(0.1, 0.1, 100, 0.0, 3.0).unwrap(),
            0.5
        );
        assert!(probabilistic_sharpe_ratio(0.1, 0.0, 1, 0.0, 3.0).is_err());
        assert!(expected_max_sharpe(1, 0.1).is_err());
        assert!(probabilistic_sharpe_ratio_of(&[0.01; 4], 0.0)
            .unwrap()
            .is_nan());
    }
}
