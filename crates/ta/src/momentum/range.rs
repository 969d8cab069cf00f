//! Highest high and lowest low of every window, for the batch forms of WILLR and STOCH.
//!
//! TA-Lib's own trick: keep the index of the current extreme and compare each new bar with it;
//! rescan the window only when that bar leaves it. O(1) per bar on real prices (a rescan is
//! needed only when the extreme is `period` bars old), no allocation. Maximum and minimum are
//! exact, so this gives the same numbers as the streaming forms' scan of their window.

/// Writes `out[i + 1 - period] = f(i, highest, lowest, gap)` for every `i >= period - 1` in
/// order, `gap` telling that a NaN or infinity is among the window's highs or lows (the extremes
/// are then meaningless). `high` and `low` have the same length, `out` one slot per full window;
/// `period >= 1`. (Slots rather than pushes: a push's grow path made the compiler keep the
/// extremes in memory.)
#[inline(always)]
pub(crate) fn window_ranges(
    high: &[f64],
    low: &[f64],
    period: usize,
    out: &mut [f64],
    f: impl FnMut(usize, f64, f64, bool) -> f64,
) {
    // Gaps are tracked in the one pass (an always-predicted branch per bar): a separate
    // all-finite pass over both inputs would cost more.
    ranges_impl::<true>(high, low, period, out, f);
}

/// Index and value of the last largest (`MAX`) or smallest value of `w`, offset by `base`.
#[inline(always)]
fn scan<const MAX: bool>(w: &[f64], base: usize) -> (usize, f64) {
    let (mut at, mut best) = (base, w[0]);
    for (j, &x) in w.iter().enumerate().skip(1) {
        if (MAX && x >= best) || (!MAX && x <= best) {
            (at, best) = (base + j, x);
        }
    }
    (at, best)
}

#[inline(always)]
fn ranges_impl<const GAPS: bool>(
    high: &[f64],
    low: &[f64],
    period: usize,
    out: &mut [f64],
    mut f: impl FnMut(usize, f64, f64, bool) -> f64,
) {
    let n = high.len().min(low.len()).min(out.len() + period.max(1) - 1);
    if n < period || period == 0 {
        return;
    }
    // The window ending at `i` is free of gaps once `i >= clean_from`.
    let mut clean_from = 0usize;
    if GAPS {
        for i in 0..period {
            if !(high[i].is_finite() && low[i].is_finite()) {
                clean_from = i + period;
            }
        }
    }
    let (mut hi_at, mut highest) = scan::<true>(&high[..period], 0);
    let (mut lo_at, mut lowest) = scan::<false>(&low[..period], 0);
    out[0] = f(period - 1, highest, lowest, GAPS && period - 1 < clean_from);
    for today in period..n {
        let trailing = today + 1 - period;
        if GAPS && !(high[today].is_finite() && low[today].is_finite()) {
            clean_from = today + period;
        }
        let h = high[today];
        if hi_at < trailing {
            (hi_at, highest) = scan::<true>(&high[trailing..=today], trailing);
        } else if h >= highest {
            (hi_at, highest) = (today, h);
        }
        let l = low[today];
        if lo_at < trailing {
            (lo_at, lowest) = scan::<false>(&low[trailing..=today], trailing);
        } else if l <= lowest {
            (lo_at, lowest) = (today, l);
        }
        out[today + 1 - period] = f(today, highest, lowest, GAPS && today < clean_from);
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
        let mut out = vec![0.0; 4];
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
        let mut out = vec![0.0; 4];
        window_ranges(&high, &low, 2, &mut out, |i, h, l, gap| {
            got.push((i, gap, h, l));
            0.0
        });
        assert!(got[0].1 && got[1].1, "{got:?}");
        assert_eq!(&got[2..], &[(3, false, 4.0, 0.7), (4, false, 2.0, 0.7)]);
    }
}
