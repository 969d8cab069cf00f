//! Ordinary least squares with classical (non-robust) standard errors.
//!
//! Static hedge ratios, factor betas and diagnostics need coefficients with their uncertainty;
//! results match statsmodels `OLS(y, X).fit()` `.params`, `.bse`, `.tvalues`, `.rsquared`,
//! `.scale`. Solved by Householder QR (nalgebra), which avoids squaring the condition number.

use nalgebra::{DMatrix, DVector};

use super::error::{ensure_finite, ensure_same_len};
use super::moments::mean_unchecked;
use super::StatsError;

/// A fitted OLS model. With `intercept`, index 0 of every vector is the intercept, then the
/// regressors in the order given (statsmodels' `add_constant` layout).
#[derive(Debug, Clone, PartialEq)]
pub struct OlsFit {
    pub params: Vec<f64>,
    /// sqrt(diag(sigma^2 (X'X)^-1)).
    pub standard_errors: Vec<f64>,
    /// params / standard_errors.
    pub t_values: Vec<f64>,
    /// y - X params.
    pub residuals: Vec<f64>,
    /// Residual variance SSR / (n - k) (statsmodels `scale`).
    pub sigma2: f64,
    /// 1 - SSR / TSS; TSS centred with an intercept, uncentred without (as statsmodels).
    pub r_squared: f64,
    /// n - k.
    pub df_resid: usize,
}

/// Regresses `y` on `regressors` (each as long as `y`), with an intercept column first when
/// `intercept`. Needs more observations than coefficients, finite data and full column rank.
pub fn ols(y: &[f64], regressors: &[&[f64]], intercept: bool) -> Result<OlsFit, StatsError> {
    ensure_finite(y)?;
    for r in regressors {
        ensure_same_len(y, r)?;
        ensure_finite(r)?;
    }
    let n = y.len();
    let k = regressors.len() + usize::from(intercept);
    if k == 0 {
        return Err(StatsError::InvalidParameter {
            name: "regressors",
            reason: "need at least one regressor or the intercept".into(),
        });
    }
    if n <= k {
        return Err(StatsError::TooShort {
            needed: k + 1,
            got: n,
        });
    }
    let off = usize::from(intercept);
    let x = DMatrix::from_fn(n, k, |i, j| {
        if intercept && j == 0 {
            1.0
        } else {
            regressors[j - off][i]
        }
    });
    let yv = DVector::from_column_slice(y);
    let qr = x.clone().qr();
    let r = qr.r();
    let max_diag = (0..k).map(|i| r[(i, i)].abs()).fold(0.0, f64::max);
    if (0..k).any(|i| r[(i, i)].abs() <= max_diag * 1e-12 * n as f64) {
        return Err(StatsError::Singular("regressors are collinear"));
    }
    let qty = qr.q().transpose() * &yv;
    let beta = r
        .solve_upper_triangular(&qty)
        .ok_or(StatsError::Singular("triangular solve failed"))?;
    let r_inv = r
        .solve_upper_triangular(&DMatrix::identity(k, k))
        .ok_or(StatsError::Singular("triangular solve failed"))?;
    let xtx_inv = &r_inv * r_inv.transpose();
    let resid = &yv - &x * &beta;
    let ssr = resid.dot(&resid);
    let df_resid = n - k;
    let sigma2 = ssr / df_resid as f64;
    let tss = if intercept {
        let m = mean_unchecked(y);
        y.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
    } else {
        y.iter().map(|v| v * v).sum::<f64>()
    };
    let params: Vec<f64> = beta.iter().copied().collect();
    let standard_errors: Vec<f64> = (0..k).map(|i| (sigma2 * xtx_inv[(i, i)]).sqrt()).collect();
    let t_values = params
        .iter()
        .zip(&standard_errors)
        .map(|(p, s)| p / s)
        .collect();
    Ok(OlsFit {
        params,
        standard_errors,
        t_values,
        residuals: resid.iter().copied().collect(),
        sigma2,
        r_squared: 1.0 - ssr / tss,
        df_resid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Hand-computed: x = (0, 1, 2, 3), y = (1, 3, 2, 5): Sxx = 5, Sxy = 5.5 -> slope 1.1,
    // intercept 2.75 - 1.65 = 1.1, residuals (-0.1, 0.8, -1.3, 0.6), SSR = 2.7, sigma^2 = 1.35,
    // se(slope) = sqrt(1.35 / 5), se(intercept) = sqrt(1.35 (1/4 + 1.5^2 / 5)).
    #[test]
    fn hand_computed_line() {
        let fit = ols(&[1.0, 3.0, 2.0, 5.0], &[&[0.0, 1.0, 2.0, 3.0]], true).unwrap();
        assert!((fit.params[0] - 1.1).abs() < 1e-14 && (fit.params[1] - 1.1).abs() < 1e-14);
        assert!((fit.sigma2 - 1.35).abs() < 1e-14);
        assert!((fit.standard_errors[1] - (1.35f64 / 5.0).sqrt()).abs() < 1e-14);
        assert!((fit.standard_errors[0] - (1.35f64 * 0.7).sqrt()).abs() < 1e-14);
        assert_eq!(fit.df_resid, 2);
    }

    #[test]
    fn edges() {
        let x = [1.0, 2.0, 3.0];
        assert!(matches!(
            ols(&[1.0, 2.0], &[&[1.0, 2.0]], true),
            Err(StatsError::TooShort { .. })
        ));
        let two_x = [2.0, 4.0, 6.0];
        assert!(matches!(
            ols(&[1.0, 0.0, 2.0], &[&x, &two_x], false),
            Err(StatsError::Singular(_))
        ));
        assert!(matches!(
            ols(&[1.0, 1.0, 1.0], &[&[5.0; 3]], true),
            Err(StatsError::Singular(_))
        ));
        assert!(ols(&[1.0, f64::NAN, 2.0], &[&x], true).is_err());
        assert!(ols(&[1.0, 2.0, 3.0], &[], false).is_err());
    }
}
