//! Augmented Dickey-Fuller unit-root test, matching statsmodels `adfuller`.
//!
//! Mean-reversion strategies must first know whether a price, spread or feature is stationary;
//! the same regression also drives the Engle-Granger test and the minimum fractional-
//! differencing order. Regression: `dx_t = (deterministic) + gamma x_{t-1} + sum_j phi_j dx_{t-j}`;
//! the statistic is gamma's t-value, with MacKinnon p-values and critical values.

use nalgebra::{DMatrix, DVector};

use super::mackinnon::{mackinnon_crit, mackinnon_p, CriticalValues, Regression};
use crate::stats::error::{ensure_finite, ensure_len};
use crate::stats::{ols, StatsError};

/// Information criterion for choosing the number of lagged differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfoCriterion {
    /// Akaike: -2 llf + 2 k.
    Aic,
    /// Schwarz/Bayes: -2 llf + ln(nobs) k.
    Bic,
}

/// Options of [`adf`], with statsmodels' defaults (`regression="c"`, `maxlag=None`,
/// `autolag="AIC"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdfOptions {
    pub regression: Regression,
    /// Largest lag considered (with `autolag`) or used (without). `None`: Schwert's
    /// ceil(12 (n/100)^(1/4)), capped at n/2 - ntrend - 1.
    pub max_lag: Option<usize>,
    /// `Some`: choose the lag in 0..=max_lag minimising the criterion, all candidates fitted on
    /// the same nobs = n - 1 - max_lag rows (ties go to the smaller lag), then refit on all
    /// rows the chosen lag allows. `None`: use max_lag lags.
    pub autolag: Option<InfoCriterion>,
}

impl Default for AdfOptions {
    fn default() -> Self {
        AdfOptions {
            regression: Regression::Constant,
            max_lag: None,
            autolag: Some(InfoCriterion::Aic),
        }
    }
}

/// Outcome of the ADF test. H0: unit root; small p-values reject it (stationary).
#[derive(Debug, Clone, PartialEq)]
pub struct AdfResult {
    /// t-value of the lagged level's coefficient.
    pub statistic: f64,
    /// MacKinnon (1994) approximate asymptotic p-value.
    pub p_value: f64,
    /// Number of lagged differences in the final regression.
    pub used_lag: usize,
    /// Rows of the final regression (used for the critical values).
    pub nobs: usize,
    /// MacKinnon (2010) critical values for `nobs`.
    pub critical_values: CriticalValues,
    /// The largest lag that was considered.
    pub max_lag: usize,
    /// Best information criterion value when `autolag` was set.
    pub ic_best: Option<f64>,
}

/// Runs the ADF test on `x` (oldest first).
///
/// Errors: non-finite values; a constant series (`InvalidParameter`, the regression is
/// degenerate, as statsmodels refuses it); fewer than max(2 ntrend + 2, ntrend + 3)
/// observations (`TooShort`; ntrend = number of deterministic terms); an explicit `max_lag`
/// above n/2 - ntrend - 1; a collinear regression (`Singular`).
pub fn adf(x: &[f64], opts: &AdfOptions) -> Result<AdfResult, StatsError> {
    let fit = adf_regression(x, opts)?;
    Ok(AdfResult {
        statistic: fit.statistic,
        p_value: mackinnon_p(fit.statistic, opts.regression, 1)?,
        used_lag: fit.used_lag,
        nobs: fit.nobs,
        critical_values: mackinnon_crit(1, opts.regression, Some(fit.nobs))?,
        max_lag: fit.max_lag,
        ic_best: fit.ic_best,
    })
}

/// The ADF regression alone (statistic and lag choice), for Engle-Granger, which reads the
/// statistic against the N = 2 surfaces.
pub(crate) struct AdfRegression {
    pub statistic: f64,
    pub used_lag: usize,
    pub nobs: usize,
    pub max_lag: usize,
    pub ic_best: Option<f64>,
}

pub(crate) fn adf_regression(x: &[f64], opts: &AdfOptions) -> Result<AdfRegression, StatsError> {
    ensure_finite(x)?;
    let ntrend = opts.regression.n_deterministic();
    ensure_len(x, (2 * ntrend + 2).max(ntrend + 3))?;
    let (lo, hi) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if lo == hi {
        return Err(StatsError::InvalidParameter {
            name: "x",
            reason: "series is constant; the ADF regression is degenerate".into(),
        });
    }
    let n = x.len();
    let cap = n / 2 - ntrend - 1; // >= 0 by the length check
    let max_lag = match opts.max_lag {
        None => {
            let schwert = (12.0 * (n as f64 / 100.0).powf(0.25)).ceil() as usize;
            schwert.min(cap)
        }
        Some(m) if m > cap => {
            return Err(StatsError::InvalidParameter {
                name: "max_lag",
                reason: format!("must be at most n/2 - ntrend - 1 = {cap}, got {m}"),
            })
        }
        Some(m) => m,
    };
    let xdiff: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();

    let (used_lag, ic_best) = match opts.autolag {
        None => (max_lag, None),
        Some(ic) => {
            let (v, lag) = select_lag(x, &xdiff, opts.regression, max_lag, ic)?;
            (lag, Some(v))
        }
    };
    let fit = fit_lags(x, &xdiff, opts.regression, used_lag, used_lag)?;
    Ok(AdfRegression {
        statistic: fit.statistic,
        used_lag,
        nobs: fit.nobs,
        max_lag,
        ic_best,
    })
}

/// Information criterion of a regression with `k` coefficients (statsmodels `OLS.aic`/`bic`
/// with the Gaussian log-likelihood -n/2 (ln 2 pi + ln(SSR/n) + 1)).
fn criterion(ic: InfoCriterion, ssr: f64, nobs: usize, k: usize) -> f64 {
    let n = nobs as f64;
    let llf = -n / 2.0 * ((2.0 * std::f64::consts::PI).ln() + (ssr / n).ln() + 1.0);
    let penalty = match ic {
        InfoCriterion::Aic => 2.0,
        InfoCriterion::Bic => n.ln(),
    };
    -2.0 * llf + penalty * k as f64
}

/// Chooses the number of lags in 0..=max_lag minimising `ic`, every candidate on the rows left
/// by max_lag. The candidates are nested column prefixes of [deterministic, level, lag 1, ...,
/// lag max_lag], so one Householder QR gives them all: with h = H y (H the product of the
/// reflections), SSR of the first k columns is the sum of h_i^2 for i >= k.
fn select_lag(
    x: &[f64],
    xdiff: &[f64],
    regression: Regression,
    max_lag: usize,
    ic: InfoCriterion,
) -> Result<(f64, usize), StatsError> {
    let (y, cols) = design(x, xdiff, regression, max_lag, max_lag);
    let nobs = y.len();
    let k_full = cols.len();
    if nobs <= k_full {
        return Err(StatsError::TooShort {
            needed: k_full + 1,
            got: nobs,
        });
    }
    let xm = DMatrix::from_fn(nobs, k_full, |i, j| cols[j][i]);
    let qr = xm.qr();
    let r = qr.r();
    // A column is collinear with the ones before it when its orthogonal remainder |R_ii| is
    // negligible against its own norm (scale-invariant, unlike a test against max |R_jj|).
    let collinear = (0..k_full).any(|i| {
        let norm = cols[i].iter().map(|v| v * v).sum::<f64>().sqrt();
        r[(i, i)].abs() <= norm * 1e-12 * nobs as f64
    });
    if collinear {
        return Err(StatsError::Singular("ADF lag regressors are collinear"));
    }
    let mut h = DVector::from_column_slice(&y);
    qr.q_tr_mul(&mut h);
    let tail: f64 = h.iter().skip(k_full).map(|v| v * v).sum();
    let k0 = regression.n_deterministic() + 1;
    let mut best: Option<(f64, usize)> = None;
    for lag in 0..=max_lag {
        let k = k0 + lag;
        let ssr = tail + h.iter().take(k_full).skip(k).map(|v| v * v).sum::<f64>();
        let v = criterion(ic, ssr, nobs, k);
        if best.is_none_or(|(b, _)| v < b) {
            best = Some((v, lag));
        }
    }
    best.ok_or(StatsError::Singular("no lag candidate"))
}

/// The ADF regression's response and columns [constant, trend, trend^2 as the regression
/// asks, level x_{t-1}, `lags` lagged differences] on the rows left after dropping the first
/// `trim` differences (statsmodels' `lagmat` with trim="both" and `add_trend(prepend=True)`).
fn design(
    x: &[f64],
    xdiff: &[f64],
    regression: Regression,
    lags: usize,
    trim: usize,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let rows = trim..xdiff.len();
    let nobs = rows.len();
    let mut cols: Vec<Vec<f64>> = Vec::with_capacity(lags + 4);
    if regression != Regression::NoConstant {
        cols.push(vec![1.0; nobs]);
    }
    cols.extend(trend_columns(regression, nobs));
    cols.push(x[trim..trim + nobs].to_vec());
    for j in 1..=lags {
        cols.push(rows.clone().map(|t| xdiff[t - j]).collect());
    }
    (xdiff[trim..].to_vec(), cols)
}

/// Trend columns t/n and (t/n)^2 (t = 1..=n) as `regression` includes them. statsmodels uses
/// t and t^2 themselves; the scaled columns span the same space, so the level's t-value,
/// SSR and information criteria are the same, but [1, t, t^2] on 1,000+ rows has condition
/// number ~1e13 (statsmodels' "ctt" statistics keep only ~8 digits) and the scaled ones do not.
pub(crate) fn trend_columns(regression: Regression, n: usize) -> Vec<Vec<f64>> {
    let scale = n as f64;
    let mut cols = Vec::new();
    if matches!(
        regression,
        Regression::ConstantTrend | Regression::ConstantTrendSquared
    ) {
        cols.push((1..=n).map(|t| t as f64 / scale).collect());
    }
    if regression == Regression::ConstantTrendSquared {
        cols.push((1..=n).map(|t| (t as f64 / scale).powi(2)).collect());
    }
    cols
}

struct LagFit {
    statistic: f64,
    nobs: usize,
}

/// Fits the ADF regression with `lags` lagged differences on the rows left by `trim` and
/// returns the lagged level's t-value.
fn fit_lags(
    x: &[f64],
    xdiff: &[f64],
    regression: Regression,
    lags: usize,
    trim: usize,
) -> Result<LagFit, StatsError> {
    let (y, cols) = design(x, xdiff, regression, lags, trim);
    // The constant column is passed as `ols`' own intercept.
    let skip = usize::from(regression != Regression::NoConstant);
    let refs: Vec<&[f64]> = cols.iter().skip(skip).map(Vec::as_slice).collect();
    let fit = ols(&y, &refs, skip == 1)?;
    let level = regression.n_deterministic();
    Ok(LagFit {
        statistic: fit.t_values[level],
        nobs: y.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Without lags or deterministic terms the DF regression is dx_t = g x_{t-1}, by hand:
    // x = (1, 2, 1, 3): dx = (1, -1, 2), x_lag = (1, 2, 1); g = (1 - 2 + 2) / 6 = 1/6,
    // resid = (5/6, -4/3, 11/6), SSR = (25 + 64 + 121) / 36 = 35/6, s^2 = SSR / 2 = 35/12,
    // se = sqrt(s^2 / 6), t = g / se.
    #[test]
    fn hand_computed_dickey_fuller() {
        let opts = AdfOptions {
            regression: Regression::NoConstant,
            max_lag: Some(0),
            autolag: None,
        };
        let r = adf(&[1.0, 2.0, 1.0, 3.0], &opts).unwrap();
        let want = (1.0 / 6.0) / ((35.0f64 / 12.0) / 6.0).sqrt();
        assert!(
            (r.statistic - want).abs() < 1e-14,
            "{} vs {want}",
            r.statistic
        );
        assert_eq!((r.used_lag, r.nobs), (0, 3));
    }

    #[test]
    fn edge_cases() {
        let d = AdfOptions::default();
        assert!(matches!(adf(&[], &d), Err(StatsError::TooShort { .. })));
        assert!(matches!(
            adf(&[1.0, 2.0, 3.0], &d),
            Err(StatsError::TooShort { .. })
        ));
        assert!(matches!(
            adf(&[2.0; 50], &d),
            Err(StatsError::InvalidParameter { name: "x", .. })
        ));
        let mut x: Vec<f64> = (0..50).map(|i| ((i * 7) % 11) as f64).collect();
        let too_many = AdfOptions {
            max_lag: Some(24),
            ..d
        };
        assert!(matches!(
            adf(&x, &too_many),
            Err(StatsError::InvalidParameter {
                name: "max_lag",
                ..
            })
        ));
        x[3] = f64::NAN;
        assert!(matches!(
            adf(&x, &d),
            Err(StatsError::NonFinite { index: 3 })
        ));
    }
}
