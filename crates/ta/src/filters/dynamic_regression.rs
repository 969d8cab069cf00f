//! Kalman filter for a regression with random-walk coefficients: a time-varying hedge ratio.
//!
//! Pairs/hedge plugins track y_t = beta_t x_t + alpha_t + e_t (var r), where (beta, alpha)
//! follow a random walk with covariance delta / (1 - delta) I (the usual `delta` knob: larger
//! delta = faster-moving coefficients). Conventions as pykalman with observation matrix
//! [x_t, 1] per step; a NaN y or x is a missing observation (predict only).

use nalgebra::{Matrix2, RowVector2, Vector2};

use super::check::two_state;
use crate::stats::StatsError;

/// Model and prior of the dynamic regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DynamicRegressionParams {
    /// Coefficient random-walk covariance (of (beta, alpha)).
    pub q: Matrix2<f64>,
    /// Observation noise variance (> 0).
    pub r: f64,
    /// Prior mean of (beta, alpha) at the first observation.
    pub initial_state: Vector2<f64>,
    /// Prior covariance of (beta, alpha) at the first observation.
    pub initial_covariance: Matrix2<f64>,
}

impl DynamicRegressionParams {
    /// The common parametrisation: Q = delta / (1 - delta) I with 0 < delta < 1.
    pub fn with_delta(
        delta: f64,
        r: f64,
        initial_state: Vector2<f64>,
        initial_covariance: Matrix2<f64>,
    ) -> Result<Self, StatsError> {
        crate::stats::error::ensure_open_unit("delta", delta)?;
        Ok(Self {
            q: Matrix2::identity() * (delta / (1.0 - delta)),
            r,
            initial_state,
            initial_covariance,
        })
    }
}

/// Filtered coefficients after one observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegressionEstimate {
    /// Hedge ratio (slope on x).
    pub beta: f64,
    /// Intercept.
    pub alpha: f64,
    /// Posterior covariance of (beta, alpha).
    pub covariance: Matrix2<f64>,
    /// y_t - (beta x_t + alpha) with the predicted coefficients: the spread (NaN if missing).
    pub innovation: f64,
    /// Variance of that prediction error; innovation / sqrt(it) is the spread z-score.
    pub innovation_variance: f64,
}

/// Streaming dynamic regression filter.
#[derive(Debug, Clone)]
pub struct DynamicRegressionFilter {
    params: DynamicRegressionParams,
    x: Vector2<f64>,
    p: Matrix2<f64>,
    primed: bool,
}

impl DynamicRegressionFilter {
    /// Validates the parameters and starts at the prior.
    pub fn new(params: DynamicRegressionParams) -> Result<Self, StatsError> {
        two_state(
            &params.q,
            params.r,
            &params.initial_state,
            &params.initial_covariance,
        )?;
        Ok(Self {
            params,
            x: params.initial_state,
            p: params.initial_covariance,
            primed: false,
        })
    }

    /// Advances one step and absorbs the pair (x, y) (either NaN = missing).
    pub fn update(&mut self, x: f64, y: f64) -> RegressionEstimate {
        if self.primed {
            self.p += self.params.q;
        }
        self.primed = true;
        let (mut innovation, mut s) = (f64::NAN, f64::NAN);
        if x.is_finite() && y.is_finite() {
            let h = RowVector2::new(x, 1.0);
            let ph = self.p * h.transpose();
            s = (h * ph)[(0, 0)] + self.params.r;
            let gain = ph / s;
            innovation = y - (h * self.x)[(0, 0)];
            self.x += gain * innovation;
            self.p -= gain * (h * self.p);
        }
        RegressionEstimate {
            beta: self.x[0],
            alpha: self.x[1],
            covariance: self.p,
            innovation,
            innovation_variance: s,
        }
    }
}

/// Batch form over aligned `xs` and `ys`: one estimate per pair.
pub fn dynamic_regression(
    xs: &[f64],
    ys: &[f64],
    params: DynamicRegressionParams,
) -> Result<Vec<RegressionEstimate>, StatsError> {
    crate::stats::error::ensure_same_len(xs, ys)?;
    let mut f = DynamicRegressionFilter::new(params)?;
    Ok(xs.iter().zip(ys).map(|(&x, &y)| f.update(x, y)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Exact relation y = 3x + 1 with tiny noise and static coefficients: converges to (3, 1).
    #[test]
    fn recovers_static_coefficients() {
        let p = DynamicRegressionParams {
            q: Matrix2::zeros(),
            r: 1e-8,
            initial_state: Vector2::zeros(),
            initial_covariance: Matrix2::identity() * 1e4,
        };
        let xs: Vec<f64> = (0..40).map(|i| (i as f64 * 0.7).sin() * 5.0).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 3.0 * x + 1.0).collect();
        let e = dynamic_regression(&xs, &ys, p).unwrap();
        assert!((e[39].beta - 3.0).abs() < 1e-6 && (e[39].alpha - 1.0).abs() < 1e-6);
        assert!(dynamic_regression(&xs, &ys[1..], p).is_err());
        let mut f = DynamicRegressionFilter::new(p).unwrap();
        let a = f.update(1.0, 4.0);
        let b = f.update(f64::NAN, 5.0);
        assert!(b.innovation.is_nan() && (b.beta, b.alpha) == (a.beta, a.alpha));
        let z = Vector2::zeros();
        assert!(DynamicRegressionParams::with_delta(1.0, 1.0, z, Matrix2::identity()).is_err());
    }
}
