//! Highest high and lowest low of every window, for the batch forms of WILLR and STOCH.
//!
//! TA-Lib's own trick: keep the index of the current extreme and compare each new bar with it;
//! rescan the window only when that bar leaves it. O(1) per bar on real prices (a rescan is
//! needed only when the extreme is `period` bars old), no allocation. Maximum and minimum are
//! exact, so this gives the same numbers as the streaming forms' scan of their window.

use multiversion::multiversion;

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

use crate::average::window::all_finite;

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

/// `max` and `min` as the single instructions they compile to (callers pass finite values, where
/// every choice of the larger or smaller is exact).
#[inline(always)]
pub(crate) fn larger(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

#[inline(always)]
pub(crate) fn smaller(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

/// One doubling step of the window extremes: `dst[i]` = the larger (`MAX`) or smaller of
/// `src[i]` and `src[i - span]`, for every `i >= span` of `src`. Also returns whether every
/// value of `src` is finite (|x| <= f64::MAX, and-ed without a branch), which the first step
/// checks of the inputs while they pass anyway.
#[inline(always)]
fn double<const MAX: bool>(dst: &mut [f64], src: &[f64], span: usize) -> bool {
    let pairs = src[span..].iter().zip(src);
    let mut finite = src[..span]
        .iter()
        .fold(true, |acc, x| acc & (x.abs() <= f64::MAX));
    for (d, (&a, &b)) in dst[span..].iter_mut().zip(pairs) {
        *d = if MAX { larger(a, b) } else { smaller(a, b) };
        finite &= a.abs() <= f64::MAX;
    }
    finite
}

/// The extremes of one segment's windows, in two halves each (see `finite_window_extremes`):
/// window k's highest high is `larger(high[0][k], high[1][k])`, its lowest low
/// `smaller(low[0][k], low[1][k])`; all four slices are as long as the segment has windows.
pub(crate) struct SegmentExtremes<'a> {
    pub(crate) high: [&'a [f64]; 2],
    pub(crate) low: [&'a [f64]; 2],
}

/// The loops of a segment that WILLR and STOCH's fast %K build for the CPU at hand
/// (`crate::simd`), or in the test of the builds their baseline bodies: the doubling step, and
/// the loop that appends each window's value (`close` from the segment's first window's last
/// bar on).
pub(crate) struct SegmentLoops {
    pub(crate) step: StepFn,
    pub(crate) values: fn(SegmentExtremes<'_>, &[f64], &mut Vec<f64>),
}

/// One doubling step of the highs and the lows (`double_both_body`'s signature).
pub(crate) type StepFn = fn(Step<'_>, usize) -> bool;

/// The slices of one doubling step: (destination, source) of the highs, then of the lows.
pub(crate) type Step<'a> = ((&'a mut [f64], &'a [f64]), (&'a mut [f64], &'a [f64]));

/// `double_both_body` built for the CPU at hand (`crate::simd`): the same numbers either way.
#[multiversion(targets("x86_64+avx2"))]
pub(crate) fn double_both<'a>(slices: Step<'a>, span: usize) -> bool {
    double_both_body(slices, span)
}

/// `double` of the highs (maximum) and of the lows (minimum); whether both sources are finite.
#[inline(always)]
pub(crate) fn double_both_body(((hd, hs), (ld, ls)): Step<'_>, span: usize) -> bool {
    let finite_h = double::<true>(hd, hs, span);
    let finite_l = double::<false>(ld, ls, span);
    finite_h && finite_l
}

/// Highest high and lowest low of every full window of finite bars, without a branch on the
/// data: extremes of 2, 4, 8, .. consecutive bars by doubling (each step one comparison per bar
/// over whole slices, so it vectorises), then a window of `period` bars is two overlapping
/// power-of-two runs. log2(period) + 1 comparisons per bar and extreme, where TA-Lib's rescan of
/// the window when its extreme leaves (`window_ranges`) is a data-dependent branch that real
/// prices mispredict often. Maximum and minimum are exact, so the extremes are the same numbers.
///
/// Goes through the bars in segments and calls `emit(end, extremes)` once per segment for the
/// windows ending at `end`, `end + 1`, .. in order. At the first NaN or infinity among the
/// highs and lows it stops before emitting that segment and returns false (the caller then runs
/// its gap-aware path). `high` and `low` have the same length; `period >= 1`.
///
/// `step` is the doubling step: `double_both`, or in the test of the builds the baseline body.
#[inline(always)]
pub(crate) fn finite_window_extremes(
    high: &[f64],
    low: &[f64],
    period: usize,
    mut emit: impl FnMut(usize, SegmentExtremes<'_>),
    step: StepFn,
) -> bool {
    let n = high.len().min(low.len());
    if period == 0 || n < period {
        return true;
    }
    // Windows per segment: the segment's bars and their extremes stay in cache between steps.
    let segment = 512.max(2 * period);
    let len = segment + period - 1;
    let (mut h0, mut h1) = (vec![0.0; len], vec![0.0; len]);
    let (mut l0, mut l1) = (vec![0.0; len], vec![0.0; len]);
    let mut end = period - 1;
    while end < n {
        let stop = (end + segment).min(n);
        let first = end + 1 - period;
        // Slot i stands for bar first + i and ends up holding the extremes of the `span` bars up
        // to it (slots below span - 1 hold partial runs, never read).
        let m = stop - first;
        let (mut hs, mut ls) = (&high[first..stop], &low[first..stop]);
        if period == 1 && !(all_finite(hs) && all_finite(ls)) {
            return false;
        }
        let mut span = 1;
        while 2 * span <= period {
            let finite = step(((&mut h1[..m], hs), (&mut l1[..m], ls)), span);
            if span == 1 && !finite {
                return false;
            }
            std::mem::swap(&mut h0, &mut h1);
            std::mem::swap(&mut l0, &mut l1);
            (hs, ls) = (&h0[..m], &l0[..m]);
            span *= 2;
        }
        // The window ending at slot j is the runs ending at j and at j - (period - span).
        let windows = m + 1 - period;
        let extremes = SegmentExtremes {
            high: [&hs[period - 1..], &hs[span - 1..span - 1 + windows]],
            low: [&ls[period - 1..], &ls[span - 1..span - 1 + windows]],
        };
        emit(end, extremes);
        end = stop;
    }
    true
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

    #[test]
    fn block_extremes_match_the_scan() {
        // A wiggly series, every period from 1 to 9: each window's extremes as a plain scan.
        let high: Vec<f64> = (0..50)
            .map(|i| ((i * 37 % 23) as f64).sin() + i as f64 * 0.01)
            .collect();
        let low: Vec<f64> = high
            .iter()
            .enumerate()
            .map(|(i, h)| h - 1.0 - (i % 3) as f64)
            .collect();
        for period in 1..10 {
            let (mut his, mut los) = (Vec::new(), Vec::new());
            let emit = |end: usize, x: SegmentExtremes<'_>| {
                assert_eq!(end, period - 1 + his.len());
                let [h0, h1] = x.high;
                let [l0, l1] = x.low;
                his.extend(h0.iter().zip(h1).map(|(&a, &b)| larger(a, b)));
                los.extend(l0.iter().zip(l1).map(|(&a, &b)| smaller(a, b)));
            };
            let done = finite_window_extremes(&high, &low, period, emit, double_both);
            assert!(done);
            assert_eq!(his.len(), high.len() + 1 - period);
            for (k, (h, l)) in his.iter().zip(&los).enumerate() {
                let w = k..k + period;
                assert_eq!(
                    *h,
                    high[w.clone()]
                        .iter()
                        .copied()
                        .fold(f64::NEG_INFINITY, f64::max)
                );
                assert_eq!(*l, low[w].iter().copied().fold(f64::INFINITY, f64::min));
            }
        }
        let mut gap = high.clone();
        gap[30] = f64::NAN;
        assert!(!finite_window_extremes(
            &gap,
            &low,
            3,
            |_, _| {},
            double_both
        ));
        assert!(!finite_window_extremes(
            &gap,
            &low,
            1,
            |_, _| {},
            double_both
        ));
    }
}
