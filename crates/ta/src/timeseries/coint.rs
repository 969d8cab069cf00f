//! Engle-Granger two-step cointegration test and the half-life of a spread.
//!
//! Pair trading needs a static hedge ratio and evidence that the hedged spread reverts
//! (statsmodels `coint`, method "aeg"), and the reversion speed sizes holding periods and
//! stop-outs. Step 1: OLS of y0 on y1 and the deterministic terms; step 2: ADF without
//! deterministic terms on the residuals, judged on MacKinnon's N = 2 surfaces.

use super::adf::{adf_regression, trend_columns, AdfOptions, InfoCriterion};
use super::mackinnon::{mackinnon_crit, mackinnon_p, CriticalValues, Regression};
use crate::stats::error::ensure_same_len;
use crate::stats::{ols, StatsError};

/// Options of [`engle_granger`], with statsmodels' defaults (trend "c", maxlag None,
/// autolag "aic").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CointOptions {
    /// Deterministic terms of the cointegrating (first-stage) regression.
    pub trend: Regression,
    /// Passed to the residual ADF ([`AdfOptions::max_lag`]).
    pub max_lag: Option<usize>,
    /// Passed to the residual ADF ([`AdfOptions::autolag`]).
    pub autolag: Option<InfoCriterion>,
}

impl Default for CointOptions {
    fn default() -> Self {
        CointOptions {
            trend: Regression::Constant,
            max_lag: None,
            autolag: Some(InfoCriterion::Aic),
        }
    }
}

/// Outcome of the Engle-Granger test. H0: no cointegration; small p-values reject it.
#[derive(Debug, Clone, PartialEq)]
pub struct CointResult {
    /// ADF t-statistic on the residuals; -inf when y0 and y1 are (almost) perfectly collinear
    /// (R^2 >= 1 - 100 sqrt(eps)), where statsmodels also declares cointegration.
    pub statistic: f64,
    /// MacKinnon (1994) asymptotic p-value, N = 2, surface of `trend`.
    pub p_value: f64,
    /// MacKinnon (2010) critical values for N = 2 and n - 1 observations (Stata's `egranger`
    /// convention, as statsmodels); `None` for trend "n", which MacKinnon does not tabulate.
    pub critical_values: Option<CriticalValues>,
    /// Coefficient of y1: the spread is y0 - hedge_ratio * y1 - deterministic part.
    pub hedge_ratio: f64,
    /// Constant, trend, trend^2 coefficients as `trend` includes them (trend counts 1..=n).
    pub deterministic: Vec<f64>,
    /// The first-stage residuals, i.e. the spread (oldest first).
    pub residuals: Vec<f64>,
    /// Lags of the residual ADF; `None` in the collinear case.
    pub used_lag: Option<usize>,
    /// Rows of the residual ADF regression; `None` in the collinear case.
    pub adf_nobs: Option<usize>,
}

/// Runs the augmented Engle-Granger test of y0 on y1 (equal lengths, oldest first).
///
/// Errors: length mismatch, non-finite values, too few observations for the first-stage OLS
/// or the residual ADF (`TooShort`), y1 collinear with the deterministic terms (e.g.
/// constant y1 with trend "c": `Singular`), and the residual-ADF errors of [`super::adf::adf`].
pub fn engle_granger(
    y0: &[f64],
    y1: &[f64],
    opts: &CointOptions,
) -> Result<CointResult, StatsError> {
    ensure_same_len(y0, y1)?;
    let n = y0.len();
    // Trends enter as t/n and (t/n)^2 for conditioning (see adf::trend_columns); their
    // coefficients are mapped back to t and t^2 below.
    let mut regressors: Vec<Vec<f64>> = vec![y1.to_vec()];
    regressors.extend(trend_columns(opts.trend, n));
    let intercept = opts.trend != Regression::NoConstant;
    let refs: Vec<&[f64]> = regressors.iter().map(Vec::as_slice).collect();
    let fit = ols(y0, &refs, intercept)?;
    // ols orders [constant, y1, trend, trend^2]; report y1's coefficient apart.
    let off = usize::from(intercept);
    let hedge_ratio = fit.params[off];
    let mut deterministic = fit.params[..off].to_vec();
    let nf = n as f64;
    deterministic.extend(
        fit.params[off + 1..]
            .iter()
            .zip([nf, nf * nf])
            .map(|(c, scale)| c / scale),
    );

    let critical_values = match opts.trend {
        Regression::NoConstant => None,
        trend => Some(mackinnon_crit(2, trend, Some(n - 1))?),
    };
    let collinear = fit.r_squared >= 1.0 - 100.0 * f64::EPSILON.sqrt();
    let (statistic, used_lag, adf_nobs) = if collinear {
        (f64::NEG_INFINITY, None, None)
    } else {
        let adf_opts = AdfOptions {
            regression: Regression::NoConstant,
            max_lag: opts.max_lag,
            autolag: opts.autolag,
        };
        let a = adf_regression(&fit.residuals, &adf_opts)?;
        (a.statistic, Some(a.used_lag), Some(a.nobs))
    };
    Ok(CointResult {
        statistic,
        p_value: mackinnon_p(statistic, opts.trend, 2)?,
        critical_values,
        hedge_ratio,
        deterministic,
        residuals: fit.residuals,
        used_lag,
        adf_nobs,
    })
}

/// Mean-reversion speed of a spread from the AR(1) regression
/// ds_t = a + b s_{t-1} + e_t (OLS with intercept).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HalfLife {
    pub intercept: f64,
    pub b: f64,
    /// Periods for a deviation to halve: -ln 2 / ln(1 + b), the discrete-time convention
    /// (s_t - m = (1 + b)^t (s_0 - m)); +inf when b >= 0 (no reversion), NaN when b <= -1
    /// (the deviation overshoots and flips sign each period, so it has no half-life).
    /// The continuous-time approximation -ln 2 / b is not used.
    pub half_life: f64,
}

/// Half-life of `spread` (oldest first). Errors: fewer than 3 values, non-finite values, a
/// constant spread (`Singular`).
pub fn half_life(spread: &[f64]) -> Result<HalfLife, StatsError> {
    if spread.len() < 3 {
        return Err(StatsError::TooShort {
            needed: 3,
            got: spread.len(),
        });
    }
    let ds: Vec<f64> = spread.windows(2).map(|w| w[1] - w[0]).collect();
    let lagged = &spread[..spread.len() - 1];
    let fit = ols(&ds, &[lagged], true)?;
    let (intercept, b) = (fit.params[0], fit.params[1]);
    let half_life = if b >= 0.0 {
        f64::INFINITY
    } else if b <= -1.0 {
        f64::NAN
    } else {
        -std::f64::consts::LN_2 / b.ln_1p()
    };
    Ok(HalfLife {
        intercept,
        b,
        half_life,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // A spread that halves its distance to 2 each period: s_t - 2 = 8 * 0.5^t, so
    // ds_t = -0.5 (s_{t-1} - 2) exactly: b = -0.5, a = 1, half-life = ln 2 / ln 2 = 1.
    #[test]
    fn exact_geometric_reversion() {
        let s: Vec<f64> = (0..8).map(|t| 2.0 + 8.0 * 0.5f64.powi(t)).collect();
        let h = half_life(&s).unwrap();
        assert!((h.b + 0.5).abs() < 1e-12 && (h.intercept - 1.0).abs() < 1e-12);
        assert!((h.half_life - 1.0).abs() < 1e-12);
    }

    #[test]
    fn half_life_edges() {
        // A trending spread: b >= 0, no reversion.
        let s: Vec<f64> = (0..10).map(|t| 1.1f64.powi(t)).collect();
        assert_eq!(half_life(&s).unwrap().half_life, f64::INFINITY);
        // Alternating around 0 with growing amplitude: b < -1.
        let s: Vec<f64> = (0..10).map(|t| (-1.5f64).powi(t)).collect();
        assert!(half_life(&s).unwrap().half_life.is_nan());
        assert!(matches!(
            half_life(&[1.0, 2.0]),
            Err(StatsError::TooShort { .. })
        ));
        assert!(matches!(
            half_life(&[3.0; 10]),
            Err(StatsError::Singular(_))
        ));
    }

    // y0 = 1 + 2 y1 exactly: R^2 = 1, statistic -inf, p 0 (statsmodels' collinear branch).
    #[test]
    fn collinear_pair() {
        let y1: Vec<f64> = (0..60)
            .map(|i| ((i * 13) % 17) as f64 + 0.1 * i as f64)
            .collect();
        let y0: Vec<f64> = y1.iter().map(|v| 1.0 + 2.0 * v).collect();
        let r = engle_granger(&y0, &y1, &CointOptions::default()).unwrap();
        assert_eq!(r.statistic, f64::NEG_INFINITY);
        assert_eq!(r.p_value, 0.0);
        assert!((r.hedge_ratio - 2.0).abs() < 1e-12);
        assert!(r.used_lag.is_none());
        assert!(matches!(
            engle_granger(&y0, &y1[..10], &CointOptions::default()),
            Err(StatsError::LengthMismatch { .. })
        ));
    }
}
