//! Fixed-length window of the latest values with O(1) running sums, and the batch twin of it
//! that the indicators' slice forms run.
//!
//! The sums are of deviations from a shift K, a value of the window chosen when they were last
//! recomputed: sum = Σ(x - K), squares = Σ(x - K)². Each bar updates them in O(1) (TA-Lib's
//! running-sum speed), and they are recomputed afresh from the window every `len` bars, so
//! rounding never piles up over a long series: between recomputes the error is at most a few
//! `len` ulps of the deviations |x - K|, which are far smaller than the values themselves. A flat
//! window gives exactly its value and exactly zero variance. The variance is also recomputed
//! whenever a bound on the rounding error of the running form exceeds 2^-32 of it (this happens
//! when a window turns (nearly) flat between two recomputes), so it is accurate to better than
//! 1e-9 relative in the worst case and to a few ulps typically. Non-finite values are counted,
//! not summed, so a gap leaves the window cleanly.

use super::lanes;
use super::output::{with_lookback, CHUNK_SLOTS};
use multiversion::multiversion;

/// The deviation `x - shift` a value contributes; NaN or infinity contributes nothing (gaps are
/// counted separately, and a window with a gap is never read).
#[inline(always)]
fn deviation<const GAPS: bool>(x: f64, shift: f64) -> f64 {
    if !GAPS || x.is_finite() {
        x - shift
    } else {
        0.0
    }
}

/// The running variance is used only while `var * n >= GUARD * (stale + 1) * m2`, m2 bounding
/// every partial sum and term since the last recompute: the rounding error of s2 and of the
/// squared mean is below 8 * ulp * (stale + 1) * m2 / n, so this keeps it below 2^-32 * var.
const GUARD: f64 = 8.0 * f64::EPSILON * 4_294_967_296.0;

/// Running sums of a window's deviations from a shift (see the module doc).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShiftedSums {
    shift: f64,
    s1: f64,
    s2: f64,
    /// s2 at the last recompute plus every square added or removed since.
    m2: f64,
    /// Bars since the last recompute; a window length or more forces one at the next read.
    stale: usize,
}

impl ShiftedSums {
    /// Sums that will be recomputed at their first read.
    pub(crate) fn new(len: usize) -> Self {
        Self {
            shift: 0.0,
            s1: 0.0,
            s2: 0.0,
            m2: 0.0,
            stale: len,
        }
    }

    /// `new` enters the window and `old` leaves it (NaN while the window fills: nothing left).
    /// `SQ` also updates the squares (only the variance reads them; the sum never depends on
    /// them). `GAPS` false promises that both values are finite.
    #[inline(always)]
    pub(crate) fn slide<const SQ: bool, const GAPS: bool>(&mut self, new: f64, old: f64) {
        let a = deviation::<GAPS>(new, self.shift);
        let b = deviation::<GAPS>(old, self.shift);
        self.s1 += a - b;
        if SQ {
            let (aa, bb) = (a * a, b * b);
            self.s2 += aa - bb;
            self.m2 += aa + bb;
        }
        self.stale += 1;
    }

    /// The sums of the full, gap-free `window` (oldest first) computed afresh, shifted by its
    /// newest value; the squares only if `SQ` (the mean and the sum never read them: without,
    /// `m2` is infinite, which makes the next variance recompute). The two sums come back in
    /// registers from a function kept out of line: a whole `Self` would be returned through
    /// memory, which makes the compiler keep the caller's running sums in memory too, putting a
    /// store and a load on every bar's chain.
    #[inline(always)]
    fn recompute<const SQ: bool>(&mut self, window: &[f64]) {
        let shift = window[window.len() - 1];
        let (s1, s2) = fresh_sums::<SQ>(window, shift);
        *self = Self {
            shift,
            s1,
            s2,
            m2: if SQ { s2 } else { f64::INFINITY },
            stale: 0,
        };
    }

    #[inline(always)]
    fn refresh(&mut self, window: &[f64]) {
        if self.stale >= window.len() {
            self.recompute::<false>(window);
        }
    }

    /// Mean of the full, gap-free `window`. (Divisions by the window length are multiplications
    /// by its reciprocal: computed once per series, they keep a division off every bar.)
    #[inline(always)]
    pub(crate) fn mean(&mut self, window: &[f64]) -> f64 {
        self.refresh(window);
        self.mean_now(window.len())
    }

    /// The mean of a window of `len` from the sums as they are.
    #[inline(always)]
    fn mean_now(&self, len: usize) -> f64 {
        self.shift + self.s1 * (1.0 / len as f64)
    }

    /// Sum of the full, gap-free `window`.
    #[inline(always)]
    pub(crate) fn sum(&mut self, window: &[f64]) -> f64 {
        self.refresh(window);
        self.sum_now(window.len())
    }

    /// The sum of a window of `len` from the sums as they are.
    #[inline(always)]
    fn sum_now(&self, len: usize) -> f64 {
        self.s1 + self.shift * len as f64
    }

    /// Population variance of the full, gap-free `window` (may be a rounding error below 0).
    #[inline(always)]
    pub(crate) fn variance(&mut self, window: &[f64]) -> f64 {
        if self.stale < window.len() {
            return self.young_variance(window);
        }
        self.recompute::<true>(window);
        let inv = 1.0 / window.len() as f64;
        let mean = self.s1 * inv;
        self.s2 * inv - mean * mean
    }

    /// `variance` where no recompute by age is due (`stale < window.len()`): the running
    /// variance, or the recomputed one where the error guard refuses it.
    #[inline(always)]
    fn young_variance(&mut self, window: &[f64]) -> f64 {
        let len = window.len();
        self.aged_variance((self.stale + 1) as f64, window, 0, len)
    }

    /// `young_variance` of the window `values[start..start + len]`, given `age` = `stale + 1` as
    /// a float (the batch loop counts it in floats, exactly, instead of converting the count on
    /// every bar); the window is sliced only where the guard asks for a recompute.
    #[inline(always)]
    fn aged_variance(&mut self, age: f64, values: &[f64], start: usize, len: usize) -> f64 {
        let n = len as f64;
        let inv = 1.0 / n;
        let mean = self.s1 * inv;
        let var = self.s2 * inv - mean * mean;
        // Also refuses NaN.
        if var * n >= GUARD * age * self.m2 {
            return var;
        }
        self.recompute::<true>(&values[start..start + len]);
        let mean = self.s1 * inv;
        self.s2 * inv - mean * mean
    }
}

/// What a batch run of `ShiftedSums` reads from each window (`ShiftedSums::run`).
pub(crate) const MEAN: u8 = 0;
pub(crate) const SUM: u8 = 1;
pub(crate) const VARIANCE: u8 = 2;

impl ShiftedSums {
    /// The batch twin of sliding and reading once per window: for every k, slides
    /// `values[len + k]` in and `values[k]` out, then writes the read of the window
    /// `values[k + 1..=k + len]` to `out[k]` (`READ`: its mean, sum or variance; `values` is
    /// `len` longer than `out`). The same slides, reads and recomputes in the same order as
    /// `slide` (without gap bookkeeping) then `mean`, `sum` or `variance`, so the same numbers.
    /// Returns whether every value that entered was finite: if not, the caller runs its
    /// gap-aware path instead, from a copy of the sums it kept (checking while computing lets
    /// the loads of a first pass over memory overlap the arithmetic: checking first in a loop of
    /// its own made SMA a fifth slower; STDDEV's variance, whose loop is longer, checks first).
    ///
    /// Inlined into the callers' chunk loops, which are kept out of line (and built for each
    /// instruction set, `crate::simd`) and call nothing, so the running sums stay in registers:
    /// in a loop that also calls out, the compiler kept them in memory, a store and a load on
    /// every bar's dependency chain.
    #[inline(always)]
    pub(crate) fn run<const READ: u8>(
        &mut self,
        values: &[f64],
        len: usize,
        out: &mut [f64],
    ) -> bool {
        const { assert!(READ <= VARIANCE) };
        let m = out.len();
        if values.len() != len + m {
            return false;
        }
        // The variance's loop is long enough for a check of its own to cost less (a loop that
        // vectorises) than checking on every bar; the mean's and sum's are not.
        if READ == VARIANCE
            && !values[len..]
                .iter()
                .fold(true, |acc, x| acc & (x.abs() <= f64::MAX))
        {
            return false;
        }
        let mut sums = *self;
        let mut finite = true;
        let mut terms = VarianceTerms {
            d1: [0.0; VARIANCE_BLOCK],
            d2: [0.0; VARIANCE_BLOCK],
            dm: [0.0; VARIANCE_BLOCK],
            guard: [0.0; VARIANCE_BLOCK],
        };
        let mut k = 0;
        while k < m {
            // The bars after whose slide the sums are still young enough (`stale < len`): no
            // recompute by age is due there, so their loop leaves that check (and its branch)
            // out; the bar where one is due takes the general step below. A variance recompute
            // by the error guard only makes the sums younger, so the count stays valid.
            let end = k + (len - 1).saturating_sub(sums.stale).min(m - k);
            if READ == VARIANCE {
                sums.young_variances(values, len, k..end, out, &mut terms);
            } else {
                let slides = values[len + k..len + end].iter().zip(&values[k..end]);
                for (o, (&x, &old)) in out[k..end].iter_mut().zip(slides) {
                    finite &= x.abs() <= f64::MAX;
                    sums.slide::<false, false>(x, old);
                    *o = if READ == MEAN {
                        sums.mean_now(len)
                    } else {
                        sums.sum_now(len)
                    };
                }
            }
            k = end;
            if k < m {
                let (x, old) = (values[len + k], values[k]);
                finite &= READ == VARIANCE || x.abs() <= f64::MAX;
                let w = &values[k + 1..=k + len];
                out[k] = if READ == VARIANCE {
                    sums.slide::<true, false>(x, old);
                    sums.variance(w)
                } else {
                    sums.slide::<false, false>(x, old);
                    if READ == MEAN {
                        sums.mean(w)
                    } else {
                        sums.sum(w)
                    }
                };
                k += 1;
            }
        }
        *self = sums;
        finite
    }
}

/// Bars per block of `ShiftedSums::young_variances`: a window of up to 33 values (STDDEV's and
/// BBANDS' usual periods) has all the young bars between two recomputes by age in one block.
const VARIANCE_BLOCK: usize = 32;

/// 1.0, 2.0, .. VARIANCE_BLOCK as floats.
const STEPS: [f64; VARIANCE_BLOCK] = {
    let mut steps = [0.0; VARIANCE_BLOCK];
    let mut i = 0;
    while i < VARIANCE_BLOCK {
        steps[i] = (i + 1) as f64;
        i += 1;
    }
    steps
};

/// The per-bar terms of a block of `young_variances`, one array each (so their loop
/// vectorises without shuffles); zeroed once per `run`, not per block.
struct VarianceTerms {
    /// a - b, a² - b², a² + b² of `slide` (a and b the deviations entering and leaving).
    d1: [f64; VARIANCE_BLOCK],
    d2: [f64; VARIANCE_BLOCK],
    dm: [f64; VARIANCE_BLOCK],
    /// GUARD * age of each bar (exact: an integer times a power of two).
    guard: [f64; VARIANCE_BLOCK],
}

impl ShiftedSums {
    /// `run::<VARIANCE>` over bars `bars` (where no recompute by age is due): for each bar the
    /// slide, then `aged_variance`, the very operations in the same order, so the same numbers,
    /// but taken apart so most of them leave the chain from bar to bar. A bar's slide adds to
    /// the three running sums three terms that depend on the shift alone (a - b, a² - b²,
    /// a² + b²), so a block computes all its terms first, in a loop that vectorises; then one
    /// loop runs the three additions per bar and reads the variance and its error guard from
    /// the sums. Where the guard refuses a variance (rare: a window turning nearly flat), that
    /// bar takes `aged_variance`'s recompute with the sums as they stand after its slide, and
    /// the next block starts after it from the new shift. The one loop did ~10 additions and
    /// 8 multiplications a bar on this CPU's two adders and two multipliers; the chain's
    /// latency (one addition a bar) is now the floor of the second loop. STDDEV(20) on the
    /// bench's 1M bars: 3.58 -> 3.11 ms (fastest of 30 calls, three alternating runs of each
    /// build; the square roots, a loop of their own, are ~0.6 ms of it).
    #[inline(always)]
    fn young_variances(
        &mut self,
        values: &[f64],
        len: usize,
        bars: std::ops::Range<usize>,
        out: &mut [f64],
        t: &mut VarianceTerms,
    ) {
        let n = len as f64;
        let inv = 1.0 / n;
        let mut j = bars.start;
        while j < bars.end {
            let b = (bars.end - j).min(VARIANCE_BLOCK);
            let shift = self.shift;
            // Bar i's age is `stale + 1` after its slide.
            let age0 = (self.stale + 1) as f64;
            let (new, old) = (&values[len + j..len + j + b], &values[j..j + b]);
            for i in 0..b {
                // `slide::<true, false>`'s terms.
                let (a, o) = (new[i] - shift, old[i] - shift);
                let (aa, oo) = (a * a, o * o);
                t.d1[i] = a - o;
                t.d2[i] = aa - oo;
                t.dm[i] = aa + oo;
                t.guard[i] = GUARD * (age0 + STEPS[i]);
            }
            let (mut s1, mut s2, mut m2) = (self.s1, self.s2, self.m2);
            let (mut taken, mut refused) = (b, false);
            for (i, o) in out[j..j + b].iter_mut().enumerate() {
                s1 += t.d1[i];
                s2 += t.d2[i];
                m2 += t.dm[i];
                // `aged_variance`.
                let mean = s1 * inv;
                let var = s2 * inv - mean * mean;
                if var * n >= t.guard[i] * m2 {
                    *o = var;
                    continue;
                }
                // Refused: the recompute, from the sums as they stand after this bar's slide;
                // the next block starts after this bar, from the new shift.
                (self.s1, self.s2, self.m2) = (s1, s2, m2);
                self.stale += i + 1;
                *o = self.aged_variance(age0 + STEPS[i], values, j + i + 1, len);
                (taken, refused) = (i + 1, true);
                break;
            }
            if !refused {
                (self.s1, self.s2, self.m2) = (s1, s2, m2);
                self.stale += b;
            }
            j += taken;
        }
    }
}

/// Two series' values side by side, `[first, second]` (MFI's positive and negative flows).
pub(crate) type Pair = [f64; 2];

/// `[a[0] op b[0], a[1] op b[1]]`: the same operation on both lanes of a pair, written so the
/// compiler packs it into one two-lane instruction (each lane rounds exactly as its scalar
/// operation would, so the numbers are those of two separate runs).
#[inline(always)]
fn lanewise(a: Pair, b: Pair, op: impl Fn(f64, f64) -> f64) -> Pair {
    [op(a[0], b[0]), op(a[1], b[1])]
}

/// `lanes::sum_dev` of two interleaved series at once: the same four lanes by position,
/// combined as (0 + 1) + (2 + 3), so each half is bit for bit that series' `sum_dev`.
#[inline(always)]
fn sum_dev_pairs(w: &[Pair], shift: Pair) -> Pair {
    let mut acc = [[0.0f64; 2]; 4];
    let chunks = w.chunks_exact(4);
    let rest = chunks.remainder();
    for chunk in chunks {
        for lane in 0..4 {
            let d = lanewise(chunk[lane], shift, |x, s| x - s);
            acc[lane] = lanewise(acc[lane], d, |a, d| a + d);
        }
    }
    for (lane, &x) in rest.iter().enumerate() {
        let d = lanewise(x, shift, |x, s| x - s);
        acc[lane] = lanewise(acc[lane], d, |a, d| a + d);
    }
    let lo = lanewise(acc[0], acc[1], |a, b| a + b);
    let hi = lanewise(acc[2], acc[3], |a, b| a + b);
    lanewise(lo, hi, |a, b| a + b)
}

/// `ShiftedSums::run::<SUM>` of two series side by side, interleaved (`values[k]` holds both
/// series' value k, `out[k]` gets both window sums): the same slides, recomputes and reads in
/// the same order as two runs (or two streaming `Window`s), so the same numbers, but one chain
/// of two-lane instructions instead of two scalar chains, which halves the instructions per bar
/// (the loop was bound by issuing them, not by the chains' latency). Returns whether every
/// value that entered either series was finite. Built for the CPU at hand (`crate::simd`): the
/// same numbers either way.
#[multiversion(targets("x86_64+avx2"))]
pub(crate) fn run_sums_pairs(
    sums: (&mut ShiftedSums, &mut ShiftedSums),
    values: &[Pair],
    len: usize,
    out: &mut [Pair],
) -> bool {
    run_sums_pairs_body(sums, values, len, out)
}

/// `run_sums_pairs` for the build it is inlined into.
#[inline(always)]
pub(crate) fn run_sums_pairs_body(
    sums: (&mut ShiftedSums, &mut ShiftedSums),
    values: &[Pair],
    len: usize,
    out: &mut [Pair],
) -> bool {
    let m = out.len();
    // The two sums slide and recompute together, so they are as old as each other; if not
    // (never from `ShiftedSums::new`), the caller's per-bar path runs instead.
    if values.len() != len + m || sums.0.stale != sums.1.stale {
        return false;
    }
    let mut shift = [sums.0.shift, sums.1.shift];
    let mut s1 = [sums.0.s1, sums.1.s1];
    let mut stale = sums.0.stale;
    let mut recomputed = false;
    let n = len as f64;
    let mut finite = true;
    let mut k = 0;
    while k < m {
        // As in `ShiftedSums::run`: the bars where no recompute is due, then the bar where
        // one is.
        let end = k + (len - 1).saturating_sub(stale).min(m - k);
        let slides = values[len + k..len + end].iter().zip(&values[k..end]);
        for (o, (&x, &old)) in out[k..end].iter_mut().zip(slides) {
            finite &= x[0].abs() <= f64::MAX && x[1].abs() <= f64::MAX;
            let a = lanewise(x, shift, |x, s| x - s);
            let b = lanewise(old, shift, |x, s| x - s);
            s1 = lanewise(s1, lanewise(a, b, |a, b| a - b), |s, d| s + d);
            *o = lanewise(s1, shift, |s, sh| s + sh * n);
        }
        stale += end - k;
        k = end;
        if k < m {
            let (x, old) = (values[len + k], values[k]);
            finite &= x[0].abs() <= f64::MAX && x[1].abs() <= f64::MAX;
            let a = lanewise(x, shift, |x, s| x - s);
            let b = lanewise(old, shift, |x, s| x - s);
            s1 = lanewise(s1, lanewise(a, b, |a, b| a - b), |s, d| s + d);
            stale += 1;
            if stale >= len {
                // `ShiftedSums::recompute::<false>` of both windows.
                let w = &values[k + 1..=k + len];
                shift = w[len - 1];
                s1 = sum_dev_pairs(w, shift);
                stale = 0;
                recomputed = true;
            }
            out[k] = lanewise(s1, shift, |s, sh| s + sh * n);
            k += 1;
        }
    }
    for (sums, lane) in [sums.0, sums.1].into_iter().zip(0..) {
        if recomputed {
            // What `recompute::<false>` leaves, then the slides since.
            *sums = ShiftedSums {
                shift: shift[lane],
                s1: s1[lane],
                s2: 0.0,
                m2: f64::INFINITY,
                stale,
            };
        } else {
            sums.s1 = s1[lane];
            sums.shift = shift[lane];
            sums.stale = stale;
        }
    }
    finite
}

/// Σ(x - shift) and, if `SQ`, Σ(x - shift)² of `window` (else 0), in the fixed lane order.
#[inline(always)]
fn fresh_sums<const SQ: bool>(window: &[f64], shift: f64) -> (f64, f64) {
    (
        lanes::sum_dev(window, shift),
        if SQ {
            lanes::sum_sq_dev(window, shift)
        } else {
            0.0
        },
    )
}

/// True when every value is finite: |x| <= f64::MAX fails only for NaN and infinities. The
/// comparisons are and-ed without a branch (they vectorise), so checking first and then running
/// a gap-free loop costs far less than per-value gap bookkeeping.
pub(crate) fn all_finite(values: &[f64]) -> bool {
    values
        .chunks(256)
        .all(|c| c.iter().fold(true, |acc, x| acc & (x.abs() <= f64::MAX)))
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
    sums: ShiftedSums,
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
            sums: ShiftedSums::new(len),
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
        self.sums.slide::<true, true>(x, old.unwrap_or(f64::NAN));
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

    /// The window's slice and its sums, borrowed apart.
    fn parts(&mut self) -> (&[f64], &mut ShiftedSums) {
        let window = if self.count == self.len {
            &self.buf[self.head..self.head + self.len]
        } else {
            &self.buf[..self.count]
        };
        (window, &mut self.sums)
    }

    /// Sum of the values (full, gap-free window: check `is_full` and `has_gap` first).
    pub(crate) fn sum(&mut self) -> f64 {
        let (w, sums) = self.parts();
        sums.sum(w)
    }

    /// Mean of the values (full, gap-free window).
    pub(crate) fn mean(&mut self) -> f64 {
        let (w, sums) = self.parts();
        sums.mean(w)
    }

    /// Population variance of the values (full, gap-free window).
    pub(crate) fn variance(&mut self) -> f64 {
        let (w, sums) = self.parts();
        sums.variance(w)
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
        self.sums = ShiftedSums::new(self.len);
    }
}

/// Batch twin of pushing every value of `values` through a `Window` of `len` and reading it
/// (`READ`: its mean, sum or variance) once full: returns `emit(read)` for every full window
/// free of gaps (the same reads in the same order as the streaming form), NaN for the others
/// and the first `len - 1` values. Goes in chunks: a chunk whose windows are free of gaps (the
/// usual case) runs `ShiftedSums::run`; one with a gap the per-bar gap bookkeeping. Each output
/// value is written once (not filled with NaN first).
///
/// `clean` runs a chunk free of gaps: `ShiftedSums::run::<READ>` over `span` into the chunk's
/// slots, then `emit` of each (the callers' loops built for the CPU at hand).
#[inline(always)]
pub(crate) fn window_map<const READ: u8>(
    values: &[f64],
    len: usize,
    emit: impl Fn(f64) -> f64,
    clean: impl Fn(&mut ShiftedSums, &[f64], usize, &mut [f64]) -> bool,
) -> Vec<f64> {
    const CHUNK: usize = CHUNK_SLOTS;
    let n = values.len();
    let len = len.max(1);
    let mut out = with_lookback(n, len - 1);
    if n < len {
        return out;
    }
    let read = |sums: &mut ShiftedSums, w: &[f64]| match READ {
        MEAN => sums.mean(w),
        SUM => sums.sum(w),
        _ => sums.variance(w),
    };
    let mut sums = ShiftedSums::new(len);
    // The window ending at `i` is free of gaps once `i >= clean_from`.
    let mut clean_from = 0;
    for (i, x) in values[..len].iter().enumerate() {
        if !x.is_finite() {
            clean_from = i + len;
        }
    }
    out.push(if len - 1 < clean_from {
        f64::NAN
    } else {
        emit(read(&mut sums, &values[..len]))
    });
    let mut start = len;
    while start < n {
        let end = (start + CHUNK).min(n);
        // Values start - len .. end: those leaving, and the windows of the chunk. A chunk whose
        // windows are free of gaps (the usual case) runs without the gap bookkeeping.
        let kept = sums;
        let span = &values[start - len..end];
        // Zeroing the chunk's slots first brings them into cache for the writes that follow
        // (a NaN fill of the whole output up front was a pass over memory of its own).
        out.resize(end, 0.0);
        if start >= clean_from && clean(&mut sums, span, len, &mut out[start..]) {
            start = end;
            continue;
        }
        sums = kept;
        out.truncate(start);
        for i in start..end {
            let x = values[i];
            if READ == VARIANCE {
                sums.slide::<true, true>(x, values[i - len]);
            } else {
                sums.slide::<false, true>(x, values[i - len]);
            }
            if !x.is_finite() {
                clean_from = i + len;
            }
            out.push(if i < clean_from {
                f64::NAN
            } else {
                emit(read(&mut sums, &values[i + 1 - len..=i]))
            });
        }
        start = end;
    }
    out
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
        assert_eq!(w.mean(), 5.0);
        // Population variance of 4, 5, 6 is 2/3 (to rounding: 5/3 - 1 here).
        assert!((w.variance() - 2.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn pair_sums_are_each_series_own_bit_for_bit() {
        // Every window length from 1 to 13 (whole lane groups and each remainder), values of
        // mixed magnitude so that the order of the additions shows in the last bits.
        let a: Vec<f64> = (0..13)
            .map(|i| (i as f64 * 0.37).sin() * 1e3 + 0.1)
            .collect();
        let b: Vec<f64> = (0..13).map(|i| 1.0 / (i as f64 + 0.3)).collect();
        for len in 1..=13 {
            let pairs: Vec<Pair> = a[..len]
                .iter()
                .zip(&b[..len])
                .map(|(&x, &y)| [x, y])
                .collect();
            let shift = [a[len - 1], b[len - 1]];
            let [sa, sb] = sum_dev_pairs(&pairs, shift);
            assert_eq!(sa.to_bits(), lanes::sum_dev(&a[..len], shift[0]).to_bits());
            assert_eq!(sb.to_bits(), lanes::sum_dev(&b[..len], shift[1]).to_bits());
        }
    }

    #[test]
    fn recompute_repairs_a_large_value_leaving_the_window() {
        // A plain running sum loses the 1.0s added while 1e16 was in the window and ends at 0.0
        // once 1e16 leaves (checked in Python); the sums here are recomputed every 3 bars, so
        // the window of three 1.0s sums to exactly 3 and has exactly zero variance.
        let mut w = Window::new(3);
        let mut plain = 0.0;
        for x in [1e16, 1.0, 1.0, 1.0, 1.0, 1.0] {
            if let Some(old) = w.push(x) {
                plain -= old;
            }
            plain += x;
            if w.is_full() {
                w.sum();
            }
        }
        assert_eq!(w.sum(), 3.0);
        assert_eq!(w.mean(), 1.0);
        assert_eq!(w.variance(), 0.0);
        assert_ne!(plain, 3.0, "the failure mode the recompute exists to avoid");
    }
}
