//! Kalman filter for the local level (random walk plus noise) model.
//!
//! fe_kalman smooths prices with it: level_t = level_{t-1} + w_t (var q), y_t = level_t + v_t
//! (var r). Like pykalman's `KalmanFilter.filter`, the initial state is the prior for the FIRST
//! observation (no transition before it), and a NaN observation is treated as missing: the
//! filter only predicts at that step.

use super::check::{non_negative, positive};
use crate::stats::StatsError;

/// Model and prior of a local level filter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalLevelParams {
    /// Variance of the level's random-walk step (q >= 0).
    pub q: f64,
    /// Observation noise variance (r > 0).
    pub r: f64,
    /// Prior mean of the level at the first observation.
    pub initial_level: f64,
    /// Prior variance of the level at the first observation (>= 0).
    pub initial_variance: f64,
}

/// Filtered estimate after one observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelEstimate {
    /// E[level_t | y_0..=y_t].
    pub level: f64,
    /// Var[level_t | y_0..=y_t].
    pub variance: f64,
    /// y_t minus its prediction (NaN when y_t is missing).
    pub innovation: f64,
    /// Variance of that prediction error (NaN when y_t is missing).
    pub innovation_variance: f64,
}

/// Streaming local level filter: feed one observation at a time.
#[derive(Debug, Clone)]
pub struct LocalLevelFilter {
    params: LocalLevelParams,
    level: f64,
    variance: f64,
    primed: bool,
}

impl LocalLevelFilter {
    /// Validates the parameters and starts at the prior.
    pub fn new(params: LocalLevelParams) -> Result<Self, StatsError> {
        non_negative("q", params.q)?;
        positive("r", params.r)?;
        non_negative("initial_variance", params.initial_variance)?;
        if !params.initial_level.is_finite() {
            return Err(StatsError::InvalidParameter {
                name: "initial_level",
                reason: format!("must be finite, got {}", params.initial_level),
            });
        }
        Ok(Self {
            params,
            level: params.initial_level,
            variance: params.initial_variance,
            primed: false,
        })
    }

    /// Advances one step and absorbs `y` (NaN = missing).
    pub fn update(&mut self, y: f64) -> LevelEstimate {
        if self.primed {
            self.variance += self.params.q;
        }
        self.primed = true;
        if !y.is_finite() {
            return LevelEstimate {
                level: self.level,
                variance: self.variance,
                innovation: f64::NAN,
                innovation_variance: f64::NAN,
            };
        }
        let s = self.variance + self.params.r;
        let gain = self.variance / s;
        let innovation = y - self.level;
        self.level += gain * innovation;
        self.variance -= gain * self.variance;
        LevelEstimate {
            level: self.level,
            variance: self.variance,
            innovation,
            innovation_variance: s,
        }
    }
}

/// Batch form: one estimate per observation, identical to streaming them one by one.
pub fn local_level(ys: &[f64], params: LocalLevelParams) -> Result<Vec<LevelEstimate>, StatsError> {
    let mut f = LocalLevelFilter::new(params)?;
    Ok(ys.iter().map(|&y| f.update(y)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Hand-computed: prior N(0, 1), r = 1, q = 1. y0 = 2: gain 1/2 -> level 1, var 1/2.
    // y1 = 4: predicted var 3/2, gain 3/5 -> level 1 + 3/5 * 3 = 2.8, var 3/5.
    #[test]
    fn hand_computed_steps() {
        let p = LocalLevelParams {
            q: 1.0,
            r: 1.0,
            initial_level: 0.0,
            initial_variance: 1.0,
        };
        let e = local_level(&[2.0, 4.0], p).unwrap();
        assert_eq!((e[0].level, e[0].variance), (1.0, 0.5));
        assert!((e[1].level - 2.8).abs() < 1e-15 && (e[1].variance - 0.6).abs() < 1e-15);
        assert!(local_level(&[], p).unwrap().is_empty());
        assert!(LocalLevelFilter::new(LocalLevelParams { r: 0.0, ..p }).is_err());
        assert!(LocalLevelFilter::new(LocalLevelParams { q: -1.0, ..p }).is_err());
    }
}
