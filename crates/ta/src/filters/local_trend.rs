//! Kalman filter for the local linear trend model (level and slope).
//!
//! Gives a smoothed level and a slope (trend speed) per bar for trend features:
//! level_t = level_{t-1} + slope_{t-1} + w1, slope_t = slope_{t-1} + w2 (covariance Q),
//! y_t = level_t + v_t (var r). Same conventions as the local level filter (pykalman's).

use nalgebra::{Matrix2, Vector2};

use super::check::two_state;
use crate::stats::StatsError;

/// Model and prior of a local linear trend filter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalTrendParams {
    /// State noise covariance of (level, slope).
    pub q: Matrix2<f64>,
    /// Observation noise variance (> 0).
    pub r: f64,
    /// Prior mean of (level, slope) at the first observation.
    pub initial_state: Vector2<f64>,
    /// Prior covariance at the first observation.
    pub initial_covariance: Matrix2<f64>,
}

/// Filtered estimate after one observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendEstimate {
    pub level: f64,
    pub slope: f64,
    /// Posterior covariance of (level, slope).
    pub covariance: Matrix2<f64>,
    /// y_t minus its prediction (NaN when y_t is missing).
    pub innovation: f64,
    /// Variance of that prediction error (NaN when y_t is missing).
    pub innovation_variance: f64,
}

/// Streaming local linear trend filter.
#[derive(Debug, Clone)]
pub struct LocalTrendFilter {
    params: LocalTrendParams,
    x: Vector2<f64>,
    p: Matrix2<f64>,
    primed: bool,
}

impl LocalTrendFilter {
    /// Validates the parameters and starts at the prior.
    pub fn new(params: LocalTrendParams) -> Result<Self, StatsError> {
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

    /// Advances one step and absorbs `y` (NaN = missing).
    pub fn update(&mut self, y: f64) -> TrendEstimate {
        if self.primed {
            let f = Matrix2::new(1.0, 1.0, 0.0, 1.0);
            self.x = f * self.x;
            self.p = f * self.p * f.transpose() + self.params.q;
        }
        self.primed = true;
        let (mut innovation, mut s) = (f64::NAN, f64::NAN);
        if y.is_finite() {
            // H = [1, 0]: H P H' = P00, P H' = first column, H P = first row.
            s = self.p[(0, 0)] + self.params.r;
            let gain = self.p.column(0) / s;
            innovation = y - self.x[0];
            self.x += gain * innovation;
            self.p -= gain * self.p.row(0);
        }
        TrendEstimate {
            level: self.x[0],
            slope: self.x[1],
            covariance: self.p,
            innovation,
            innovation_variance: s,
        }
    }
}

/// Batch form: one estimate per observation, identical to streaming them one by one.
pub fn local_trend(ys: &[f64], params: LocalTrendParams) -> Result<Vec<TrendEstimate>, StatsError> {
    let mut f = LocalTrendFilter::new(params)?;
    Ok(ys.iter().map(|&y| f.update(y)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Noise-free line y = 2t with a diffuse-ish prior: the slope estimate converges to 2.
    #[test]
    fn recovers_a_straight_line() {
        let p = LocalTrendParams {
            q: Matrix2::zeros(),
            r: 1e-6,
            initial_state: Vector2::zeros(),
            initial_covariance: Matrix2::identity() * 1e6,
        };
        let ys: Vec<f64> = (0..50).map(|t| 2.0 * t as f64).collect();
        let e = local_trend(&ys, p).unwrap();
        assert!((e[49].slope - 2.0).abs() < 1e-6 && (e[49].level - 98.0).abs() < 1e-6);
        let bad = LocalTrendParams {
            q: Matrix2::new(1.0, 0.5, 0.0, 1.0),
            ..p
        };
        assert!(LocalTrendFilter::new(bad).is_err());
        // A missing observation only predicts: level moves by the slope, variance grows.
        let mut f = LocalTrendFilter::new(p).unwrap();
        let a = f.update(0.0);
        let a = [a, f.update(2.0)][1];
        let b = f.update(f64::NAN);
        assert!(b.innovation.is_nan() && (b.level - (a.level + a.slope)).abs() < 1e-12);
        assert!(b.covariance[(0, 0)] > a.covariance[(0, 0)]);
        assert!(local_trend(&[], p).unwrap().is_empty());
    }
}
