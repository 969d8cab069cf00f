//! Money flow index, TA-Lib `MFI`: 100 * positive flow / (positive + negative flow) over `period`
//! bars, where a bar's flow is typical price (H + L + C) / 3 times volume, positive when the
//! typical price rose and negative when it fell; lookback `period`. A change of at most 1e-14 of
//! the two typical prices is float noise and counts as no change (TA-Lib 0.8's dead zone).
//!
//! Where total flow is below 1.0 the value is 0, as in TA-Lib (e.g. zero volume). Flow sums are
//! running window sums recomputed every `period` bars (`average::window`), so they do not drift. A NaN or infinity spoils the flows of its bar
//! and the next; every window containing those is NaN, then it recovers.

use crate::average::window::{within_dead_zone, ShiftedSums, Window};
use crate::average::{check_lengths, check_period, TaError};

/// Typical price (high + low + close) / 3.
#[inline(always)]
fn typical(high: f64, low: f64, close: f64) -> f64 {
    (high + low + close) / 3.0
}

/// A bar's (positive, negative) money flow given the previous typical price.
#[inline(always)]
fn flows(typical: f64, prev: f64, volume: f64) -> (f64, f64) {
    let flow = typical * volume;
    if !(flow.is_finite() && prev.is_finite()) {
        (f64::NAN, f64::NAN)
    } else if within_dead_zone(typical - prev, typical.abs() + prev.abs()) {
        (0.0, 0.0)
    } else if typical < prev {
        (0.0, flow)
    } else {
        (flow, 0.0)
    }
}

/// MFI from the window's flow sums: 0 where the total is below 1.0, as in TA-Lib.
#[inline(always)]
fn mfi_value(positive: f64, negative: f64) -> f64 {
    let total = positive + negative;
    if total < 1.0 {
        0.0
    } else {
        100.0 * (positive / total)
    }
}

/// Streaming MFI; `update` returns `None` until `period + 1` bars have been seen.
#[derive(Debug, Clone)]
pub struct Mfi {
    prev_typical: Option<f64>,
    positive: Window,
    negative: Window,
}

impl Mfi {
    /// `period` must be at least 2 (TA-Lib's range; its default is 14).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("MFI", "period", period, 2)?;
        Ok(Self {
            prev_typical: None,
            positive: Window::new(period),
            negative: Window::new(period),
        })
    }

    /// Feeds one bar; the MFI once `period` flows have been seen.
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        let typical = typical(high, low, close);
        let prev = self.prev_typical.replace(typical)?;
        let (pos, neg) = flows(typical, prev, volume);
        self.positive.push(pos);
        self.negative.push(neg);
        if !self.positive.is_full() {
            return None;
        }
        if self.positive.has_gap() {
            return Some(f64::NAN);
        }
        Some(mfi_value(self.positive.sum(), self.negative.sum()))
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.positive.is_full()
    }

    /// Forgets all bars seen.
    pub fn reset(&mut self) {
        self.prev_typical = None;
        self.positive.clear();
        self.negative.clear();
    }
}

/// MFI over whole series (equal lengths): same length, the first `period` entries NaN.
pub fn mfi(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    period: usize,
) -> Result<Vec<f64>, TaError> {
    let n = check_lengths(
        "MFI",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
            ("volume", volume.len()),
        ],
    )?;
    check_period("MFI", "period", period, 2)?;
    let mut out = vec![f64::NAN; n];
    if n <= period {
        return Ok(out);
    }
    // The batch twin of `Mfi::update`: the same flows, then the same window sums read in the same
    // order. Flow j belongs to bar j + 1.
    let flows: Vec<(f64, f64)> = (1..n)
        .map(|j| {
            let t = typical(high[j], low[j], close[j]);
            flows(t, typical(high[j - 1], low[j - 1], close[j - 1]), volume[j])
        })
        .collect();
    let pos: Vec<f64> = flows.iter().map(|f| f.0).collect();
    let neg: Vec<f64> = flows.iter().map(|f| f.1).collect();
    let (mut pos_sums, mut neg_sums) = (ShiftedSums::new(period), ShiftedSums::new(period));
    // The window of flows ending at `j` is free of gaps once `j >= clean_from`.
    let mut clean_from = 0;
    for (j, x) in pos[..period - 1].iter().enumerate() {
        if !x.is_finite() {
            clean_from = j + period;
        }
    }
    for j in period - 1..pos.len() {
        if j >= period {
            pos_sums.slide::<false, true>(pos[j], pos[j - period]);
            neg_sums.slide::<false, true>(neg[j], neg[j - period]);
        }
        if !pos[j].is_finite() {
            clean_from = j + period;
        }
        if j >= clean_from {
            let w = j + 1 - period..=j;
            out[j + 1] = mfi_value(pos_sums.sum(&pos[w.clone()]), neg_sums.sum(&neg[w]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_of_positive_flow() {
        // Typical prices 10, 11, 10.5 with volumes 1, 2, 4: flows +22, -42 -> 100 * 22 / 64.
        let tp = [10.0, 11.0, 10.5];
        let out = mfi(&tp, &tp, &tp, &[1.0, 2.0, 4.0], 2).unwrap();
        assert!(out[1].is_nan());
        assert!((out[2] - 100.0 * 22.0 / 64.0).abs() < 1e-12);
    }
}
