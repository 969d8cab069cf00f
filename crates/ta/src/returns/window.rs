//! Shared driver for trailing-window batch statistics.
//!
//! Gives every rolling function the same contract: same length as the input, NaN until the
//! window is full, NaN for any window that holds a NaN (pandas' default `min_periods=window`).

use crate::stats::StatsError;

/// Checks the window and applies `f` to each full window of `xs`.
pub(crate) fn rolling_map(
    xs: &[f64],
    window: usize,
    min_window: usize,
    f: impl Fn(&[f64]) -> f64,
) -> Result<Vec<f64>, StatsError> {
    check_window(window, min_window)?;
    let mut out = vec![f64::NAN; xs.len()];
    if window > xs.len() {
        return Ok(out);
    }
    for (end, slot) in out.iter_mut().enumerate().skip(window - 1) {
        let w = &xs[end + 1 - window..=end];
        if w.iter().all(|v| v.is_finite()) {
            *slot = f(w);
        }
    }
    Ok(out)
}

/// Paired version of [`rolling_map`] for two aligned series.
pub(crate) fn rolling_map2(
    xs: &[f64],
    ys: &[f64],
    window: usize,
    min_window: usize,
    f: impl Fn(&[f64], &[f64]) -> f64,
) -> Result<Vec<f64>, StatsError> {
    check_window(window, min_window)?;
    crate::stats::error::ensure_same_len(xs, ys)?;
    let mut out = vec![f64::NAN; xs.len()];
    if window > xs.len() {
        return Ok(out);
    }
    for (end, slot) in out.iter_mut().enumerate().skip(window - 1) {
        let wx = &xs[end + 1 - window..=end];
        let wy = &ys[end + 1 - window..=end];
        if wx.iter().chain(wy).all(|v| v.is_finite()) {
            *slot = f(wx, wy);
        }
    }
    Ok(out)
}

pub(crate) fn check_window(window: usize, min: usize) -> Result<(), StatsError> {
    if window < min {
        Err(StatsError::InvalidWindow { got: window, min })
    } else {
        Ok(())
    }
}
