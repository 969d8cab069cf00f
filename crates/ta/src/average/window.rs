//! Fixed-length window of the latest values with an error-free running sum, and the batch twins
//! of it that the indicators' slice forms run.
//!
//! Windowed indicators over thousands of bars would drift with a plain add/subtract running sum;
//! the sum here carries its exact rounding error (Knuth's TwoSum, branch-free), so it stays
//! within an ulp or two of the exact window sum at O(1) per bar. Non-finite values are counted
//! instead of summed, so a gap leaves the window cleanly. The batch helpers do the very same
//! arithmetic over a slice without the ring buffer, so batch == streaming bit for bit.

/// `a + b` and its exact rounding error (Knuth's TwoSum: no branch, valid for any finite order).
#[inline(always)]
pub(crate) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// Running sum of a sliding window that carries its rounding error.
///
/// Each step adds `new - old` (one addition on the dependency chain, so a step costs one add's
/// latency), with the errors of both the difference and the addition kept exactly by TwoSum.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RollingSum {
    sum: f64,
    compensation: f64,
}

impl RollingSum {
    /// Adds `new` and removes `old` (0.0 while the window fills).
    #[inline(always)]
    pub(crate) fn replace(&mut self, new: f64, old: f64) {
        let (d, e1) = two_sum(new, -old);
        let (s, e2) = two_sum(self.sum, d);
        self.sum = s;
        self.compensation += e1 + e2;
    }

    #[inline(always)]
    pub(crate) fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// The value a window sums: non-finite values count as gaps and add nothing.
#[inline(always)]
pub(crate) fn summand(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

/// True when every value is finite; a vectorised bit test, so checking first and then running a
/// gap-free loop costs far less than per-value gap bookkeeping.
pub(crate) fn all_finite(values: &[f64]) -> bool {
    const EXPONENT: u64 = 0x7ff0_0000_0000_0000;
    values.chunks(1024).all(|c| {
        c.iter().fold(0u64, |acc, x| {
            acc | u64::from(x.to_bits() & EXPONENT == EXPONENT)
        }) == 0
    })
}

/// The last `len` values, oldest first, each stored twice (at `slot` and `slot + len`) so the
/// window is always one contiguous slice: the batch forms see the same slice of their input.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    buf: Vec<f64>,
    len: usize,
    count: usize,
    head: usize,
    non_finite: usize,
    sum: RollingSum,
}

impl Window {
    /// `len` must be at least 1 (callers validate their periods first).
    pub(crate) fn new(len: usize) -> Self {
        let len = len.max(1);
        Self {
            buf: vec![0.0; 2 * len],
            len,
            count: 0,
            head: 0,
            non_finite: 0,
            sum: RollingSum::default(),
        }
    }

    /// Appends `x`, dropping the oldest value once full; returns the dropped value.
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        let old = (self.count == self.len).then(|| self.buf[self.head]);
        self.buf[self.head] = x;
        self.buf[self.head + self.len] = x;
        self.head += 1;
        if self.head == self.len {
            self.head = 0;
        }
        self.count = (self.count + 1).min(self.len);
        self.sum.replace(summand(x), old.map_or(0.0, summand));
        self.non_finite += usize::from(!x.is_finite());
        self.non_finite -= usize::from(old.is_some_and(|o| !o.is_finite()));
        old
    }

    pub(crate) fn is_full(&self) -> bool {
        self.count == self.len
    }

    /// True when a NaN or infinity is inside the window.
    pub(crate) fn has_gap(&self) -> bool {
        self.non_finite > 0
    }

    /// Sum of the values in the window (finite values only; check `has_gap` first).
    pub(crate) fn sum(&self) -> f64 {
        self.sum.value()
    }

    /// The oldest value held (the one `len - 1` pushes ago once full).
    pub(crate) fn oldest(&self) -> Option<f64> {
        self.as_slice().first().copied()
    }

    /// Values from oldest to newest, contiguous.
    pub(crate) fn as_slice(&self) -> &[f64] {
        if self.is_full() {
            &self.buf[self.head..self.head + self.len]
        } else {
            &self.buf[..self.count]
        }
    }

    /// Values from oldest to newest.
    pub(crate) fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        self.as_slice().iter().copied()
    }

    pub(crate) fn clear(&mut self) {
        self.count = 0;
        self.head = 0;
        self.non_finite = 0;
        self.sum = RollingSum::default();
    }
}

/// Batch twin of pushing every value of `values` through a `Window` of `len`: calls
/// `emit(i, sum, gap)` for every `i >= len - 1` in order, with the window's `sum()` and
/// `has_gap()` after the push of `values[i]`.
#[inline(always)]
pub(crate) fn window_sums(values: &[f64], len: usize, emit: impl FnMut(usize, f64, bool)) {
    if all_finite(values) {
        window_sums_impl::<false>(values, len, emit);
    } else {
        window_sums_impl::<true>(values, len, emit);
    }
}

#[inline(always)]
fn window_sums_impl<const GAPS: bool>(
    values: &[f64],
    len: usize,
    mut emit: impl FnMut(usize, f64, bool),
) {
    let len = len.max(1);
    let clean = |x: f64| if GAPS { summand(x) } else { x };
    let bad = |x: f64| GAPS && !x.is_finite();
    let mut sum = RollingSum::default();
    let mut gaps = 0usize;
    for (i, &x) in values.iter().enumerate().take(len) {
        sum.replace(clean(x), 0.0);
        gaps += usize::from(bad(x));
        if i + 1 == len {
            emit(i, sum.value(), gaps > 0);
        }
    }
    for (i, (&x, &old)) in values.iter().skip(len).zip(values).enumerate() {
        sum.replace(clean(x), clean(old));
        gaps += usize::from(bad(x));
        gaps -= usize::from(bad(old));
        emit(i + len, sum.value(), gaps > 0);
    }
}

/// TA-Lib 0.8's relative dead zone: a difference no larger than 1e-14 of the magnitudes it was
/// taken from is float noise and counts as zero. Found by probing TA-Lib 0.8 (see the edge
/// fixtures); older TA-Lib used an absolute 1e-8, which broke low-priced instruments.
pub(crate) fn within_dead_zone(diff: f64, scale: f64) -> bool {
    diff.abs() <= 1e-14 * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_iterates_oldest_first_and_tracks_gaps() {
        let mut w = Window::new(3);
        for x in [1.0, 2.0, f64::NAN, 4.0] {
            w.push(x);
        }
        let v: Vec<f64> = w.iter().collect();
        assert_eq!(v[0], 2.0);
        assert!(v[1].is_nan());
        assert_eq!(v[2], 4.0);
        assert!(w.has_gap());
        assert_eq!(w.oldest(), Some(2.0));
        w.push(5.0);
        w.push(6.0);
        assert!(!w.has_gap());
        assert_eq!(w.sum(), 15.0);
    }

    #[test]
    fn compensated_sum_survives_a_large_value_leaving_the_window() {
        // A plain running sum loses the three 1.0s added while 1e16 was in the window and ends
        // at 0.0 once 1e16 leaves (checked in Python); the compensated sum gives the exact 3.
        let mut w = Window::new(3);
        let mut plain = 0.0;
        for x in [1e16, 1.0, 1.0, 1.0, 1.0, 1.0] {
            if let Some(old) = w.push(x) {
                plain -= old;
            }
            plain += x;
        }
        assert_eq!(w.sum(), 3.0);
        assert_ne!(
            plain, 3.0,
            "the failure mode the compensation exists to avoid"
        );
    }
}
