//! Drawdown series and the maximum drawdown episode (depth, peak, trough, recovery, duration).
//!
//! The drawdown de-risking plugin and the risk engine's 8% limit read these; the depth matches
//! empyrical `max_drawdown` (equity anchored at the starting capital before the first return).

use crate::stats::error::ensure_finite;
use crate::stats::StatsError;

/// Drawdown of an equity (or price) curve: e_t / max_{s<=t} e_s - 1, <= 0. A NaN value gives
/// NaN at that bar and is ignored for the running peak (numpy `fmax.accumulate`).
pub fn drawdown_series(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::NAN;
    equity
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            (e - peak) / peak
        })
        .collect()
}

/// Drawdown after each simple return, the equity starting at 1 before the first return
/// (empyrical `drawdown_series`). Errors on non-finite returns.
pub fn drawdown_from_returns(returns: &[f64]) -> Result<Vec<f64>, StatsError> {
    ensure_finite(returns)?;
    let mut dd = drawdown_series(&equity_curve(returns));
    dd.remove(0);
    Ok(dd)
}

/// The deepest drawdown of a return series. Bar indices refer to `returns`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxDrawdown {
    /// Deepest drawdown as a fraction, <= 0 (e.g. -0.19 for a 19% fall; 0 without a fall).
    pub depth: f64,
    /// Bar after which the peak equity was reached; `None` = the starting capital (before bar 0)
    /// or no drawdown at all.
    pub peak: Option<usize>,
    /// Bar of the lowest equity relative to the peak; `None` when there is no drawdown.
    pub trough: Option<usize>,
    /// First bar after the trough at which equity is back at (or above) the peak.
    pub recovery: Option<usize>,
    /// Bars from the peak to the recovery, or to the last bar while still under water.
    pub duration_bars: usize,
    /// Longest run of consecutive bars below the running peak, over the whole series.
    pub longest_underwater_bars: usize,
}

/// Maximum drawdown of simple `returns` (at least one, all finite). Ties resolve to the first
/// occurrence, as numpy `argmin`/`argmax` do.
///
/// One pass without allocating: the equity curve, its drawdowns, the deepest point, the peak
/// before it and the recovery after it are followed as the returns are read (a backtest's
/// metrics read thousands of returns, twice with the Calmar ratio). The values and tie rules
/// are those of `drawdown_series` on `equity_curve`; a test holds it to that two-array form.
pub fn max_drawdown(returns: &[f64]) -> Result<MaxDrawdown, StatsError> {
    if returns.is_empty() {
        return Err(StatsError::TooShort { needed: 1, got: 0 });
    }
    ensure_finite(returns)?;
    // Equity index i: 0 is the starting capital, i is after return i - 1.
    let mut equity = 1.0f64;
    let mut running_peak = f64::NAN;
    let mut underwater = 0usize;
    let mut longest = 0usize;
    // First index of the highest equity so far, and that equity.
    let (mut top, mut top_value) = (0usize, equity);
    // The deepest drawdown so far (first occurrence), the peak before it and its recovery.
    let (mut trough, mut depth) = (0usize, 0.0f64);
    let (mut peak, mut peak_value) = (0usize, equity);
    let mut recovery: Option<usize> = None;
    for i in 0..=returns.len() {
        if i > 0 {
            equity *= 1.0 + returns[i - 1];
        }
        running_peak = running_peak.max(equity);
        let dd = (equity - running_peak) / running_peak;
        underwater = if dd < 0.0 { underwater + 1 } else { 0 };
        longest = longest.max(underwater);
        if equity > top_value {
            (top, top_value) = (i, equity);
        }
        if i == 0 {
            depth = dd;
        } else if dd < depth {
            (trough, depth) = (i, dd);
            (peak, peak_value) = (top, top_value);
            recovery = None;
        } else if recovery.is_none() && i > trough && equity >= peak_value {
            recovery = Some(i);
        }
    }
    if depth >= 0.0 {
        return Ok(MaxDrawdown {
            depth: 0.0,
            peak: None,
            trough: None,
            recovery: None,
            duration_bars: 0,
            longest_underwater_bars: longest,
        });
    }
    let end = recovery.unwrap_or(returns.len());
    Ok(MaxDrawdown {
        depth,
        peak: peak.checked_sub(1),
        trough: Some(trough - 1),
        recovery: recovery.map(|r| r - 1),
        duration_bars: end - peak,
        longest_underwater_bars: longest,
    })
}

/// Equity 1, 1 + r_0, (1 + r_0)(1 + r_1), ...: one longer than `returns`.
pub(crate) fn equity_curve(returns: &[f64]) -> Vec<f64> {
    let mut e = Vec::with_capacity(returns.len() + 1);
    let mut v = 1.0;
    e.push(v);
    for r in returns {
        v *= 1.0 + r;
        e.push(v);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_checked_episode() {
        // Equity 1, 2, 1, 1.5, 2.25 (peak after bar 0, trough bar 1 at -50%, recovered bar 3).
        let m = max_drawdown(&[1.0, -0.5, 0.5, 0.5]).unwrap();
        assert_eq!(m.depth, -0.5);
        assert_eq!((m.peak, m.trough), (Some(0), Some(1)));
        assert_eq!(m.recovery, Some(3));
        assert_eq!(m.duration_bars, 3);
        assert_eq!(m.longest_underwater_bars, 2);
    }

    /// `max_drawdown` as first written: the equity curve and the drawdown series as arrays,
    /// then one scan per answer.
    fn two_array_max_drawdown(returns: &[f64]) -> MaxDrawdown {
        let equity = equity_curve(returns);
        let dd = drawdown_series(&equity);
        let mut longest = 0usize;
        let mut run = 0usize;
        for &v in &dd {
            run = if v < 0.0 { run + 1 } else { 0 };
            longest = longest.max(run);
        }
        let mut trough = 0usize;
        for (i, &v) in dd.iter().enumerate() {
            if v < dd[trough] {
                trough = i;
            }
        }
        let depth = dd[trough];
        if depth >= 0.0 {
            return MaxDrawdown {
                depth: 0.0,
                peak: None,
                trough: None,
                recovery: None,
                duration_bars: 0,
                longest_underwater_bars: longest,
            };
        }
        let mut peak = 0usize;
        for i in 0..=trough {
            if equity[i] > equity[peak] {
                peak = i;
            }
        }
        let recovery = (trough + 1..equity.len()).find(|&i| equity[i] >= equity[peak]);
        let end = recovery.unwrap_or(equity.len() - 1);
        MaxDrawdown {
            depth,
            peak: peak.checked_sub(1),
            trough: Some(trough - 1),
            recovery: recovery.map(|r| r - 1),
            duration_bars: end - peak,
            longest_underwater_bars: longest,
        }
    }

    /// A return that makes ties, repeated peaks, total losses or an overflow to infinity
    /// likely, or an ordinary one.
    fn awkward_return() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(0.0),
            Just(-1.0),
            Just(1e300),
            (-4i8..=4).prop_map(|k| f64::from(k) * 0.25),
            -0.1f64..0.1,
            -0.1f64..0.1,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn one_pass_is_the_two_array_form(
            returns in proptest::collection::vec(awkward_return(), 1..60)
        ) {
            let got = max_drawdown(&returns).unwrap();
            let want = two_array_max_drawdown(&returns);
            prop_assert_eq!(got.depth.to_bits(), want.depth.to_bits());
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn edges() {
        assert!(max_drawdown(&[]).is_err());
        assert_eq!(
            max_drawdown(&[0.1, f64::NAN]),
            Err(StatsError::NonFinite { index: 1 })
        );
        let up = max_drawdown(&[0.01, 0.0, 0.02]).unwrap();
        assert_eq!((up.depth, up.trough, up.duration_bars), (0.0, None, 0));
        // A loss on the first bar: the peak is the starting capital.
        let first = max_drawdown(&[-0.5]).unwrap();
        assert_eq!(
            (first.peak, first.trough, first.recovery),
            (None, Some(0), None)
        );
        assert_eq!(first.duration_bars, 1);
        assert!(drawdown_series(&[]).is_empty());
        let d = drawdown_series(&[2.0, f64::NAN, 1.0]);
        assert!(d[1].is_nan() && d[2] == -0.5);
    }
}
