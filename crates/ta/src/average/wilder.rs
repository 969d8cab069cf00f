//! Wilder's smoothing (RSI, ATR, ADX) in the form the recursions run.
//!
//! TA-Lib writes it (avg * (period - 1) + new) / period; a division on every step's dependency
//! chain makes those loops about three times slower, so the factors are taken out once.

/// Wilder's smoothing as `avg * keep + new * take`, keep = (period - 1) / period and
/// take = 1 / period (shared by RSI, ATR and ADX).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wilder {
    pub(crate) keep: f64,
    pub(crate) take: f64,
}

impl Wilder {
    pub(crate) fn new(period: usize) -> Self {
        let p = period as f64;
        Self {
            keep: (p - 1.0) / p,
            take: 1.0 / p,
        }
    }

    #[inline(always)]
    pub(crate) fn step(&self, avg: f64, new: f64) -> f64 {
        avg * self.keep + new * self.take
    }
}
