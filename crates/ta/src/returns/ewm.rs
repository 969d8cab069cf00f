//! Exponentially weighted mean, variance, std, covariance and correlation, pandas-exact.
//!
//! Matches pandas `Series.ewm(com|span|halflife|alpha, adjust, ignore_na=False).mean()/var()/
//! std()/cov()/corr()` with pandas' defaults (bias=False, min_periods=0), including its
//! handling of NaN: a missing value still ages the weights of earlier observations. The
//! streaming states `EwmMean`/`EwmCov` drive the batch functions, so live and batch agree bit
//! for bit.

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
    let mut state = EwmMean::new(spec);
    xs.iter().map(|&x| state.update(x)).collect()
}

/// Exponentially weighted covariance with pandas' bias correction (bias=False): the weighted
/// cross-moment times (sum w)^2 / ((sum w)^2 - sum w^2). NaN at the first observation.
pub fn ewm_cov(xs: &[f64], ys: &[f64], spec: EwmSpec) -> Result<Vec<f64>, StatsError> {
    ensure_same_len(xs, ys)?;
    Ok(cov_series(xs, ys, spec, false))
}

/// Exponentially weighted variance (bias=False).
pub fn ewm_var(xs: &[f64], spec: EwmSpec) -> Vec<f64> {
    cov_series(xs, xs, spec, false)
}

/// Exponentially weighted standard deviation (bias=False).
pub fn ewm_std(xs: &[f64], spec: EwmSpec) -> Vec<f64> {
    ewm_var(xs, spec).into_iter().map(f64::sqrt).collect()
}

/// Exponentially weighted correlation: biased covariance over the root of the biased
/// variances (the bias factors cancel). NaN where either variance is zero.
pub fn ewm_corr(xs: &[f64], ys: &[f64], spec: EwmSpec) -> Result<Vec<f64>, StatsError> {
    ensure_same_len(xs, ys)?;
    let cxy = cov_series(xs, ys, spec, true);
    let vx = cov_series(xs, xs, spec, true);
    let vy = cov_series(ys, ys, spec, true);
    Ok(cxy
        .iter()
        .zip(vx.iter().zip(&vy))
        .map(|(c, (a, b))| c / (a * b).max(0.0).sqrt())
        .collect())
}

fn cov_series(xs: &[f64], ys: &[f64], spec: EwmSpec, bias: bool) -> Vec<f64> {
    let mut state = EwmCov::new(spec, bias);
    xs.iter()
        .zip(ys)
        .map(|(&x, &y)| state.update(x, y))
        .collect()
}

/// Streaming exponentially weighted mean: `update` returns what [`ewm_mean`] gives at that
/// position (pandas `ewma`, ignore_na=False).
#[derive(Debug, Clone)]
pub struct EwmMean {
    old_wt_factor: f64,
    new_wt: f64,
    adjust: bool,
    weighted: f64,
    old_wt: f64,
    started: bool,
}

impl EwmMean {
    pub fn new(spec: EwmSpec) -> Self {
        let alpha = spec.smoothing();
        Self {
            old_wt_factor: 1.0 - alpha,
            new_wt: if spec.adjust { 1.0 } else { alpha },
            adjust: spec.adjust,
            weighted: f64::NAN,
            old_wt: 1.0,
            started: false,
        }
    }

    /// Absorbs `x` (NaN = missing) and returns the current mean.
    pub fn update(&mut self, x: f64) -> f64 {
        let is_obs = !x.is_nan();
        if !self.started {
            self.started = true;
            self.weighted = x;
        } else if !self.weighted.is_nan() {
            self.old_wt *= self.old_wt_factor;
            if is_obs {
                if self.weighted != x {
                    self.weighted = (self.old_wt * self.weighted + self.new_wt * x)
                        / (self.old_wt + self.new_wt);
                }
                self.old_wt = if self.adjust {
                    self.old_wt + self.new_wt
                } else {
                    1.0
                };
            }
        } else if is_obs {
            self.weighted = x;
        }
        self.weighted
    }
}

/// Streaming exponentially weighted covariance (pandas `ewmcov`, ignore_na=False,
/// min_periods=1); with `bias = false` it is [`ewm_cov`], with x = y [`ewm_var`].
#[derive(Debug, Clone)]
pub struct EwmCov {
    old_wt_factor: f64,
    new_wt: f64,
    adjust: bool,
    bias: bool,
    mean_x: f64,
    mean_y: f64,
    nobs: usize,
    cov: f64,
    sum_wt: f64,
    sum_wt2: f64,
    old_wt: f64,
    started: bool,
}

impl EwmCov {
    pub fn new(spec: EwmSpec, bias: bool) -> Self {
        let alpha = spec.smoothing();
        Self {
            old_wt_factor: 1.0 - alpha,
            new_wt: if spec.adjust { 1.0 } else { alpha },
            adjust: spec.adjust,
            bias,
            mean_x: f64::NAN,
            mean_y: f64::NAN,
            nobs: 0,
            cov: 0.0,
            sum_wt: 1.0,
            sum_wt2: 1.0,
            old_wt: 1.0,
            started: false,
        }
    }

    /// Absorbs the pair (x, y) (either NaN = missing) and returns the current covariance.
    pub fn update(&mut self, x: f64, y: f64) -> f64 {
        let is_obs = !x.is_nan() && !y.is_nan();
        self.nobs += usize::from(is_obs);
        if !self.started {
            self.started = true;
            if is_obs {
                self.mean_x = x;
                self.mean_y = y;
            }
        } else if !self.mean_x.is_nan() {
            let f = self.old_wt_factor;
            self.sum_wt *= f;
            self.sum_wt2 *= f * f;
            self.old_wt *= f;
            if is_obs {
                let (old_mx, old_my) = (self.mean_x, self.mean_y);
                let (ow, nw) = (self.old_wt, self.new_wt);
                if self.mean_x != x {
                    self.mean_x = (ow * old_mx + nw * x) / (ow + nw);
                }
                if self.mean_y != y {
                    self.mean_y = (ow * old_my + nw * y) / (ow + nw);
                }
                self.cov = (ow * (self.cov + (old_mx - self.mean_x) * (old_my - self.mean_y))
                    + nw * ((x - self.mean_x) * (y - self.mean_y)))
                    / (ow + nw);
                self.sum_wt += nw;
                self.sum_wt2 += nw * nw;
                self.old_wt += nw;
                if !self.adjust {
                    self.sum_wt /= self.old_wt;
                    self.sum_wt2 /= self.old_wt * self.old_wt;
                    self.old_wt = 1.0;
                }
            }
        } else if is_obs {
            self.mean_x = x;
            self.mean_y = y;
        }
        if self.nobs == 0 {
            f64::NAN
        } else if self.bias {
            self.cov
        } else {
            let num = self.sum_wt * self.sum_wt;
            let den = num - self.sum_wt2;
            if den > 0.0 {
                num / den * self.cov
            } else {
                f64::NAN
            }
        }
    }
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

    #[test]
    fn streaming_equals_batch() {
        let xs = [f64::NAN, 1.0, 2.5, f64::NAN, -0.5, 3.0, 3.0, 0.25];
        for spec in [EwmSpec::span(3.0, true), EwmSpec::alpha(0.3, false)] {
            let spec = spec.unwrap();
            let mut m = EwmMean::new(spec);
            let mut v = EwmCov::new(spec, false);
            let (bm, bv) = (ewm_mean(&xs, spec), ewm_var(&xs, spec));
            for (i, &x) in xs.iter().enumerate() {
                assert_eq!(m.update(x).to_bits(), bm[i].to_bits());
                assert_eq!(v.update(x, x).to_bits(), bv[i].to_bits());
            }
        }
    }
}
