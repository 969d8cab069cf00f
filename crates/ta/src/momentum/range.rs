//! Highest high and lowest low of every window, for the batch forms of WILLR and STOCH.
//!
//! TA-Lib's own trick: keep the index of the current extreme and compare each new bar with it;
//! rescan the window only when that bar leaves it. O(1) per bar on real prices (a rescan is
//! needed only when the extreme is `period` bars old), no allocation. Maximum and minimum are
//! exact, so this gives the same numbers as the streaming forms' scan of their window.

use crate::average::window::all_finite;

/// Writes `out[i] = f(i, highest, lowest, gap)` for every `i >= period - 1` in order, `gap`
/// telling that a NaN or infinity is among the window's highs or lows (the extremes are then
/// meaningless). `high`, `low` and `out` have the same length; `period >= 1`.
#[inline(always)]
pub(crate) fn window_ranges(
    high: &[f64],
    low: &[f64],
    period: usize,
    out: &mut [f64],
    f: impl FnMut(usize, f64, f64, bool) -> f64,
) {
    if all_finite(high) && all_finite(low) {
        ranges_impl::<false>(high, low, period, out, f);
    } else {
        ranges_impl::<true>(high, low, period, out, f);
    }
}

#[inline(always)]
fn ranges_impl<const GAPS: bool>(
    high: &[f64],
    low: &[f64],
    period: usize,
    out: &mut [f64],
    mut f: impl FnMut(usize, f64, f64, bool) -> f64,
) {
    let n = high.len().min(low.len()).min(out.len());
    if n < period {
        return;
    }
    // Index + 1 of the current extreme (0: none yet), and its value.
    let (mut hi_at, mut highest) = (0usize, f64::NAN);
    let (mut lo_at, mut lowest) = (0usize, f64::NAN);
    // The window ending at `i` is free of gaps once `i >= clean_from`.
    let mut clean_from = 0usize;
    if GAPS {
        for i in 0..period - 1 {
            if !(high[i].is_finite() && low[i].is_finite()) {
                clean_from = i + period;
            }
        }
    }
    for today in period - 1..n {
        let trailing = today + 1 - period;
        if GAPS && !(high[today].is_finite() && low[today].is_finite()) {
            clean_from = today + period;
        }
        let h = high[today];
        if hi_at <= trailing {
            (hi_at, highest) = (trailing + 1, high[trailing]);
            for (j, &x) in high.iter().enumerate().take(today + 1).skip(trailing + 1) {
                if x >= highest {
                    (hi_at, highest) = (j + 1, x);
                }
            }
        } else if h >= highest {
            (hi_at, highest) = (today + 1, h);
        }
        let l = low[today];
        if lo_at <= trailing {
            (lo_at, lowest) = (trailing + 1, low[trailing]);
            for (j, &x) in low.iter().enumerate().take(today + 1).skip(trailing + 1) {
                if x <= lowest {
                    (lo_at, lowest) = (j + 1, x);
                }
            }
        } else if l <= lowest {
            (lo_at, lowest) = (today + 1, l);
        }
        out[today] = f(today, highest, lowest, GAPS && today < clean_from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_of_each_window_by_hand() {
        let high = [5.0, 3.0, 4.0, 1.0, 2.0, 6.0];
        let low = [1.0, 0.5, 2.0, 0.7, 1.5, 3.0];
        let mut got = Vec::new();
        let mut out = vec![0.0; 6];
        window_ranges(&high, &low, 3, &mut out, |i, h, l, gap| {
            got.push((i, h, l, gap));
            0.0
        });
        assert_eq!(
            got,
            vec![
                (2, 5.0, 0.5, false),
                (3, 4.0, 0.5, false),
                (4, 4.0, 0.7, false),
                (5, 6.0, 0.7, false),
            ]
        );
    }

    #[test]
    fn gaps_mark_every_window_that_holds_them() {
        let high = [5.0, f64::NAN, 4.0, 1.0, 2.0];
        let low = [1.0, 0.5, 2.0, 0.7, 1.5];
        let mut got = Vec::new();
        let mut out = vec![0.0; 5];
        window_ranges(&high, &low, 2, &mut out, |i, h, l, gap| {
            got.push((i, gap, h, l));
            0.0
        });
        assert!(got[0].1 && got[1].1, "{got:?}");
        assert_eq!(&got[2..], &[(3, false, 4.0, 0.7), (4, false, 2.0, 0.7)]);
    }
}
