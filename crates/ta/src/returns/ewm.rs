//! Exponentially weighted mean, variance, std, covariance and correlation, pandas-exact.
//!
//! Matches pandas `Series.ewm(com|span|halflife|alpha, adjust, ignore_na=False).mean()/var()/
//! std()/cov()/corr()` with pandas' defaults (bias=False, min_periods=0), including its
//! handling of NaN: a missing value still ages the weights of earlier observations.

use crate::stats::error::ensure_same_len;
use crate::stats::StatsError;

/// Decay specification. pandas reduces every form to a centre of mass `com` and then uses
/// alpha = 1 / (1 + com); the same path is followed here so results agree to the last bits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EwmSpec {
    com: f64,
    /// adjust=true: weights (1 - alpha)^i normalised over the observations seen (pandas'
    /// default); adjust=false: the recursion y_t = (1 - alpha) y_{t-1} + alpha x_t.
    pub adjust: bool,
}

impl EwmSpec {
    /// Centre of mass, com >= 0: alpha = 1 / (1 + com).
    pub fn com(com: f64, adjust: bool) -> Result<Self, StatsError> {
        if !(com >= 0.0 && com.is_finite()) {
            return Err(invalid("com", format!("must be >= 0, got {com}")));
        }
        Ok(Self { com, adjust })
    }

    /// Span, span >= 1: alpha = 2 / (span + 1).
    pub fn span(span: f64, adjust: bool) -> Result<Self, StatsError> {
        if !(span >= 1.0 && span.is_finite()) {
            return Err(invalid("span", format!("must be >= 1, got {span}")));
        }
        Self::com((span - 1.0) / 2.0, adjust)
    }

    /// Half-life in observations, > 0: alpha = 1 - exp(-ln 2 / halflife).
    pub fn halflife(halflife: f64, adjust: bool) -> Result<Self, StatsError> {
        if !(halflife > 0.0 && halflife.is_finite()) {
            return Err(invalid("halflife", format!("must be > 0, got {halflife}")));
        }
        Self::com(
            1.0 / (1.0 - (-std::f64::consts::LN_2 / halflife).exp()) - 1.0,
            adjust,
        )
    }

    /// Smoothing factor directly, 0 < alpha <= 1.
    pub fn alpha(alpha: f64, adjust: bool) -> Result<Self, StatsError> {
        if !(alpha > 0.0 && alpha <= 1.0) {
            return Err(invalid("alpha", format!("must be in (0, 1], got {alpha}")));
        }
        Self::com(1.0 / alpha - 1.0, adjust)
    }

    /// The smoothing factor in use.
    pub fn smoothing(&self) -> f64 {
        1.0 / (1.0 + self.com)
    }
}

fn invalid(name: &'static str, reason: String) -> StatsError {
    StatsError::InvalidParameter { name, reason }
}

/// Exponentially weighted mean. NaN until the first observation; a NaN input repeats the
/// previous mean.
pub fn ewm_mean(xs: &[f64], spec: EwmSpec) -> Vec<f64> {
    let alpha = spec.smoothing();
    let old_wt_factor = 1.0 - alpha;
    let new_wt = if spec.adjust { 1.0 } else { alpha };
    let mut out = Vec::with_capacity(xs.len());
    let mut weighted = f64::NAN;
    let mut old_wt = 1.0;
    for (i, &cur) in xs.iter().enumerate() {
        let is_obs = !cur.is_nan();
        if i == 0 {
            weighted = cur;
        } else if !weighted.is_nan() {
            old_wt *= old_wt_factor;
            if is_obs {
                if weighted != cur {
                    weighted = (old_wt * weighted + new_wt * cur) / (old_wt + new_wt);
                }
                old_wt = if spec.adjust { old_wt + new_wt } else { 1.0 };
            }
        } else if is_obs {
            weighted = cur;
        }
        out.push(weighted);
    }
    out
}

/// Exponentially weighted covariance with pandas' bias correction (bias=False): the weighted
/// cross-moment times (sum w)^2 / ((sum w)^2 - sum w^2). NaN at the first observation.
pub fn ewm_cov(xs: &[f64], ys: &[f64], spec: EwmSpec) -> Result<Vec<f64>, StatsError> {
    ensure_same_len(xs, ys)?;
    Ok(ewm_cov_kernel(xs, ys, spec, false))
}

/// Exponentially weighted variance (bias=False).
pub fn ewm_var(xs: &[f64], spec: EwmSpec) -> Vec<f64> {
    ewm_cov_kernel(xs, xs, spec, false)
}

/// Exponentially weighted standard deviation (bias=False).
pub fn ewm_std(xs: &[f64], spec: EwmSpec) -> Vec<f64> {
    ewm_var(xs, spec).into_iter().map(f64::sqrt).collect()
}

/// Exponentially weighted correlation: biased covariance over the root of the biased
/// variances (the bias factors cancel). NaN where either variance is zero.
pub fn ewm_corr(xs: &[f64], ys: &[f64], spec: EwmSpec) -> Result<Vec<f64>, StatsError> {
    ensure_same_len(xs, ys)?;
    let cxy = ewm_cov_kernel(xs, ys, spec, true);
    let vx = ewm_cov_kernel(xs, xs, spec, true);
    let vy = ewm_cov_kernel(ys, ys, spec, true);
    Ok(cxy
        .iter()
        .zip(vx.iter().zip(&vy))
        .map(|(c, (a, b))| {
            let d = (a * b).max(0.0).sqrt();
            c / d
        })
        .collect())
}

/// pandas' `ewmcov` recursion (ignore_na=False, min_periods=1).
fn ewm_cov_kernel(xs: &[f64], ys: &[f64], spec: EwmSpec, bias: bool) -> Vec<f64> {
    let alpha = spec.smoothing();
    let old_wt_factor = 1.0 - alpha;
    let new_wt = if spec.adjust { 1.0 } else { alpha };
    let mut out = Vec::with_capacity(xs.len());
    let (mut mean_x, mut mean_y) = (f64::NAN, f64::NAN);
    let mut nobs = 0usize;
    let (mut cov, mut sum_wt, mut sum_wt2, mut old_wt) = (0.0, 1.0, 1.0, 1.0);
    for (i, (&cx, &cy)) in xs.iter().zip(ys).enumerate() {
        let is_obs = !cx.is_nan() && !cy.is_nan();
        nobs += usize::from(is_obs);
        if i == 0 {
            if is_obs {
                mean_x = cx;
                mean_y = cy;
            }
        } else if !mean_x.is_nan() {
            sum_wt *= old_wt_factor;
            sum_wt2 *= old_wt_factor * old_wt_factor;
            old_wt *= old_wt_factor;
            if is_obs {
                let (old_mx, old_my) = (mean_x, mean_y);
                if mean_x != cx {
                    mean_x = (old_wt * old_mx + new_wt * cx) / (old_wt + new_wt);
                }
                if mean_y != cy {
                    mean_y = (old_wt * old_my + new_wt * cy) / (old_wt + new_wt);
                }
                cov = (old_wt * (cov + (old_mx - mean_x) * (old_my - mean_y))
                    + new_wt * ((cx - mean_x) * (cy - mean_y)))
                    / (old_wt + new_wt);
                sum_wt += new_wt;
                sum_wt2 += new_wt * new_wt;
                old_wt += new_wt;
                if !spec.adjust {
                    sum_wt /= old_wt;
                    sum_wt2 /= old_wt * old_wt;
                    old_wt = 1.0;
                }
            }
        } else if is_obs {
            mean_x = cx;
            mean_y = cy;
        }
        let v = if nobs == 0 {
            f64::NAN
        } else if bias {
            cov
        } else {
            let num = sum_wt * sum_wt;
            let den = num - sum_wt2;
            if den > 0.0 {
                num / den * cov
            } else {
                f64::NAN
            }
        };
        out.push(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_validation_and_conversions() {
        assert!(EwmSpec::span(0.5, true).is_err());
        assert!(EwmSpec::alpha(0.0, true).is_err());
        assert!(EwmSpec::alpha(1.5, true).is_err());
        assert!(EwmSpec::halflife(0.0, true).is_err());
        assert!(EwmSpec::com(-1.0, true).is_err());
        assert!((EwmSpec::span(19.0, true).unwrap().smoothing() - 0.1).abs() < 1e-15);
        assert!((EwmSpec::halflife(1.0, true).unwrap().smoothing() - 0.5).abs() < 1e-15);
    }

    // adjust=False with alpha 0.5 on (1, 3): 0.5*1 + 0.5*3 = 2; adjust=True: (0.5*1 + 3)/1.5.
    #[test]
    fn hand_checked_means() {
        let a = EwmSpec::alpha(0.5, false).unwrap();
        assert_eq!(ewm_mean(&[1.0, 3.0], a), vec![1.0, 2.0]);
        let b = EwmSpec::alpha(0.5, true).unwrap();
        assert!((ewm_mean(&[1.0, 3.0], b)[1] - 3.5 / 1.5).abs() < 1e-15);
        assert!(ewm_mean(&[], b).is_empty());
        assert!(ewm_var(&[2.0], b)[0].is_nan());
        let c = ewm_var(&[2.0; 5], b);
        assert_eq!(c[1..], [0.0, 0.0, 0.0, 0.0]);
        assert!(ewm_corr(&[1.0, 2.0, 3.0], &[2.0; 3], b).unwrap()[2].is_nan());
    }
}
