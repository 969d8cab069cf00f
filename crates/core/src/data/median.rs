//! The median of a series, exactly, at a fraction of a full selection's cost.
//!
//! Why: the validator's spike test takes two medians of every series it loads (of the log
//! returns, then of their deviations: `outlier::robust_sigma`), and a selection over all the
//! values was a visible part of loading a daily file. A sample of the values brackets the
//! middle; one pass counts what lies below the bracket and keeps what lies in it, and only
//! those are selected among. The answer is the selection's to the bit whatever the sample; a
//! sample that misses costs time, not exactness.

use multiversion::multiversion;

/// The median of `v` (NaN when empty), bit for bit the value of `median_by_selection`, which
/// `robust_sigma` paid for twice per series: usually found by `middle_pair` at a fraction of
/// the cost, else by that selection. `v`'s order may change, its values do not.
pub(super) fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    match middle_pair(v) {
        Some((lo, hi)) if n % 2 == 0 => (lo + hi) / 2.0,
        Some((_, hi)) => hi,
        None => median_by_selection(v),
    }
}

/// The median by selecting rank n / 2 of all of `v` in `total_cmp` order and, for even n, the
/// largest value below it: the definition `median` keeps to, and its fallback.
pub(super) fn median_by_selection(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = *hi;
    if n % 2 == 1 {
        hi
    } else {
        let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo + hi) / 2.0
    }
}

/// Below this many values `middle_pair` leaves the median to the selection.
const SAMPLED_FROM: usize = 256;

/// The values at ranks (n − 1) / 2 and n / 2 of `v` in `total_cmp` order (one rank twice for
/// odd n), or None to leave them to the selection: `v` is short, holds a NaN, or two windows
/// missed them. When the first window misses, the second runs from its bound on that side to
/// the sampled value three times as far from the middle. One buffer holds the sample, then the
/// kept values.
///
/// For even n the selection takes the `f64::max` fold of the values before rank n / 2, this
/// function the value at rank n / 2 − 1. Without NaN these are the same value, so the same bits
/// unless it is a zero (the fold may return either sign), and then `lo + hi` is the same: if hi
/// is not a zero, ±0 + hi = hi; if hi = +0, −0 + +0 = +0 + +0 = +0; if hi = −0, every zero at or
/// below it is −0.
fn middle_pair(v: &[f64]) -> Option<(f64, f64)> {
    let n = v.len();
    if n < SAMPLED_FROM {
        return None;
    }
    let ranks = ((n - 1) / 2, n / 2);
    // The sample (about n^⅔, at most n / 4) and the kept values (at most n): it never grows.
    let mut buffer = Vec::with_capacity(n + n / 4);
    let (p1, p2) = match sample_window(v, &mut buffer) {
        Window::At(p) => return pair_at(v, p, ranks),
        Window::Between(p1, p2) => (p1, p2),
    };
    let (p1, p2) = match pair_between(v, p1, p2, ranks, &mut buffer) {
        Ok(pair) => return Some(pair),
        Err(Miss::Below) => (sampled(&mut buffer, -3), p1),
        Err(Miss::Above) => (p2, sampled(&mut buffer, 3)),
        Err(Miss::Nan) => return None,
    };
    pair_between(v, p1, p2, ranks, &mut buffer).ok()
}

/// Where a sample of `v` puts ranks (n − 1) / 2 and n / 2.
enum Window {
    /// Above the first value, at most the second.
    Between(f64, f64),
    /// At this value, repeated across the whole window of the sample (a run of equal values,
    /// such as the zero returns of minute bars, spans the median).
    At(f64),
}

/// A window around the median from a sample of `v` (at `sample_places`), drawn into `buffer`.
///
/// The sample has s = 2^⌊(2·log₂ n + 1) / 3⌋ values, about n^⅔ (32 for 256 values, 256 for
/// 5,000): the sample's selection grows with s, the kept values' with n / √s. The median's rank
/// in the sample has a standard deviation of √s / 2, so the window's bounds at sample ranks
/// s / 2 ∓ √s miss it in about one series in 20 of independent values (a miss costs a second
/// window, rarely the selection, never a wrong value), and it holds about 2 / √s of the values
/// (1/8 for 5,000).
///
/// Values equal to the lower bound are counted, not kept (a run of them would otherwise all be
/// kept), so when the sample's middle value repeats down to the lower bound, the bound moves
/// below that run; if the run covers the whole window, the median is most likely its value.
fn sample_window(v: &[f64], buffer: &mut Vec<u64>) -> Window {
    buffer.extend(sample_places(v.len()).map(|i| key(v[i])));
    let s = buffer.len();
    let (under, &mut high, _) = buffer.select_nth_unstable(sample_rank(s, 1));
    let (under, &mut middle, _) = under.select_nth_unstable(sample_rank(s, 0));
    let (_, &mut low, _) = under.select_nth_unstable(sample_rank(s, -1));
    let (low, middle, high) = (from_key(low), from_key(middle), from_key(high));
    // Compared as floats, so that a run of zeros of both signs is one run.
    if low == high {
        Window::At(low)
    } else if low < middle {
        Window::Between(low, high)
    } else {
        // The largest sampled value below the middle one's run, if any.
        let below_run = buffer.iter().map(|&k| from_key(k)).filter(|&x| x < middle);
        Window::Between(below_run.fold(f64::NEG_INFINITY, f64::max), high)
    }
}

/// The sampled value at `sample_rank(s, reaches)` of the s in `sample`.
fn sampled(sample: &mut [u64], reaches: isize) -> f64 {
    let rank = sample_rank(sample.len(), reaches);
    from_key(*sample.select_nth_unstable(rank).1)
}

/// The rank `reaches` times √s from the middle of a sample of s values (within it).
fn sample_rank(s: usize, reaches: isize) -> usize {
    (s / 2)
        .saturating_add_signed(reaches * s.isqrt() as isize)
        .min(s - 1)
}

/// Where `sample_window` samples n values: one place in each of s even steps (every stretch of
/// a series has its say), at an offset that varies from step to step. At a fixed offset, a step
/// of a whole number of weeks samples one weekday only (BTC's 1,910 daily returns, 14 to a
/// step, would all be from one weekday, a quieter one). i · 2³² / φ (mod 2³²) spreads the
/// offsets evenly and with no period.
fn sample_places(n: usize) -> impl Iterator<Item = usize> {
    let size = 1 << ((2 * n.ilog2() + 1) / 3);
    let step = n / size;
    let offset = move |i: usize| {
        let spread = u64::from((i as u32).wrapping_mul(0x9e37_79b9));
        ((spread * step as u64) >> 32) as usize
    };
    (0..size).map(move |i| i * step + offset(i))
}

/// The pair for a window (p1, p2]: one pass counts the values up to p1 and keeps the others up
/// to p2, and only the kept ones are searched. This is exact whatever the window: apart from
/// NaN, a value up to p1 precedes every kept value in `total_cmp` order, and each kept value
/// precedes every value above p2 (`<` between floats implies `total_cmp`'s order; ±0 compare
/// equal, so both signs of a zero bound fall on the same side), so a kept value's rank in `v`
/// is its rank among the kept plus the count up to p1. NaN compares false both ways, so every
/// NaN is kept, and finding none among the kept means `v` has none.
fn pair_between(
    v: &[f64],
    p1: f64,
    p2: f64,
    (lo, hi): (usize, usize),
    buffer: &mut Vec<u64>,
) -> Result<(f64, f64), Miss> {
    let sample = buffer.len();
    let below = keys_between(v, p1, p2, buffer);
    let kept = &mut buffer[sample..];
    let pair = if kept.iter().any(|&k| from_key(k).is_nan()) {
        Err(Miss::Nan)
    } else if lo < below {
        Err(Miss::Below)
    } else if hi >= below + kept.len() {
        Err(Miss::Above)
    } else {
        let (under, &mut k_hi, _) = kept.select_nth_unstable(hi - below);
        // For even n, `under` holds rank lo (below <= lo = hi - 1).
        let k_lo = if lo < hi {
            *under.iter().max().expect("rank lo under rank hi")
        } else {
            k_hi
        };
        Ok((from_key(k_lo), from_key(k_hi)))
    };
    buffer.truncate(sample);
    pair
}

/// Why a window did not give the pair.
enum Miss {
    /// A rank lies at or below the window's lower bound.
    Below,
    /// A rank lies above the window.
    Above,
    /// `v` holds a NaN.
    Nan,
}

/// The pair when both ranks fall on copies of `p`, counted without keeping any value. Every
/// non-NaN value is either at most `p` or above it, so the two counts add up to n unless there
/// is a NaN. Equal floats have equal bits except ±0: of a run of zeros, the −0s come first.
fn pair_at(v: &[f64], p: f64, (lo, hi): (usize, usize)) -> Option<(f64, f64)> {
    let (mut less, mut at_most, mut more) = (0, 0, 0);
    for &x in v {
        less += usize::from(x < p);
        at_most += usize::from(x <= p);
        more += usize::from(x > p);
    }
    if at_most + more != v.len() || lo < less || hi >= at_most {
        return None;
    }
    if p != 0.0 {
        return Some((p, p));
    }
    let negative_zeros = v
        .iter()
        .filter(|x| x.to_bits() == (-0.0f64).to_bits())
        .count();
    let zero_at = |rank| {
        if rank < less + negative_zeros {
            -0.0
        } else {
            0.0
        }
    };
    Some((zero_at(lo), zero_at(hi)))
}

/// Appends to `kept` the keys of the values of `v` above `p1` and at most `p2` (NaN included),
/// in order, and returns how many values are at most `p1`. Each block of 64 values is first
/// marked without branches, which vectorises, four lanes wide where the CPU has AVX2 (picked at
/// run time, as `optifire_ta`'s hot loops are; comparisons only, so the same result). A
/// multiply packs eight 0/1 marks into eight bits, and the kept values are picked by their
/// bits: an `if` per value would mispredict on every eighth value or so.
#[multiversion(targets("x86_64+avx2"))]
fn keys_between(v: &[f64], p1: f64, p2: f64, kept: &mut Vec<u64>) -> usize {
    keys_between_body(v, p1, p2, kept)
}

/// `keys_between` for any CPU, inlined into each of its builds.
#[inline(always)]
fn keys_between_body(v: &[f64], p1: f64, p2: f64, kept: &mut Vec<u64>) -> usize {
    let mut below = 0;
    for block in v.chunks(64) {
        let mut inside = [0u8; 64];
        let mut block_below = 0u64;
        for (mark, &x) in inside.iter_mut().zip(block) {
            let low = x <= p1;
            block_below += u64::from(low);
            *mark = u8::from(!(low || x > p2));
        }
        below += block_below as usize;
        let mut bits = 0;
        for (g, marks) in inside.chunks_exact(8).enumerate() {
            let eight = u64::from_le_bytes(marks.try_into().expect("eight marks"));
            bits |= (eight.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * g);
        }
        while bits != 0 {
            kept.push(key(block[bits.trailing_zeros() as usize]));
            bits &= bits - 1;
        }
    }
    below
}

/// `x`'s place in `f64::total_cmp` order as an unsigned integer (negative values have every bit
/// flipped, the others the sign bit), so the kept values are selected among by integer
/// comparisons.
fn key(x: f64) -> u64 {
    let bits = x.to_bits();
    bits ^ (((bits as i64 >> 63) as u64) | 1 << 63)
}

/// The value whose `key` is `k`.
fn from_key(k: u64) -> f64 {
    f64::from_bits(k ^ (((!k as i64 >> 63) as u64) | 1 << 63))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::outlier::{reference_sigma, robust_sigma};

    /// Kinds of input for the median: `values(kind, n, rng)`.
    const KINDS: usize = 11;

    /// `n` values of one kind: 0 daily log returns (small, near 0, a few jumps), 1 returns of
    /// prices moving by whole ticks (mostly 0), 2 a few distinct values, 3 all equal, 4 mostly
    /// ±0, 5 subnormals and zeros, 6 any finite value (huge and tiny), 7 integers, 8 and 9
    /// returns sorted up and down, 10 a run of one value across the middle.
    fn values(kind: usize, n: usize, rng: &mut fastrand::Rng) -> Vec<f64> {
        let signed = |negative: bool, x: f64| if negative { -x } else { x };
        let ret = |rng: &mut fastrand::Rng| {
            let x = (rng.f64() + rng.f64() + rng.f64() - 1.5) * 0.02;
            if rng.usize(..100) == 0 {
                x * 20.0
            } else {
                x
            }
        };
        let constant = [0.0, -0.0, 1.0, -2.5, 1e-310, 7e300][rng.usize(..6)];
        let run = [0.0, -0.0, 0.01, -3.0][rng.usize(..4)];
        let share = rng.usize(30..70);
        let mut v: Vec<f64> = (0..n)
            .map(|_| match kind {
                0 | 8 | 9 => ret(rng),
                1 => {
                    let p = rng.i64(2000..10_000) as f64;
                    ((p + [0.0, 0.0, 0.0, 1.0, -1.0, 2.0, -3.0][rng.usize(..7)]) / p).ln()
                }
                2 => f64::from(rng.i32(-3..=3)) * 0.5,
                3 => constant,
                4 => match rng.usize(..10) {
                    0..=3 => -0.0,
                    4..=7 => 0.0,
                    _ => signed(rng.bool(), rng.f64()),
                },
                5 => match rng.usize(..4) {
                    0 => signed(rng.bool(), 0.0),
                    _ => signed(rng.bool(), f64::from_bits(rng.u64(1..1 << 52))),
                },
                6 => signed(rng.bool(), f64::from_bits(rng.u64(..0x7ff0 << 48))),
                7 => rng.i64(-1000..1000) as f64,
                _ if rng.usize(..100) < share => run,
                _ => signed(rng.bool(), rng.f64() * 4.0),
            })
            .collect();
        match kind {
            8 => v.sort_by(f64::total_cmp),
            9 => v.sort_by(|a, b| b.total_cmp(a)),
            _ => {}
        }
        v
    }

    /// Asserts that `median` and `robust_sigma` give the selection's bits on `v`; whether the
    /// window found the pair.
    fn same_as_selection(v: &[f64]) -> bool {
        let want = median_by_selection(&mut v.to_vec());
        let got = median(&mut v.to_vec());
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "{got} != {want}, n = {}",
            v.len()
        );
        let (sigma, reference) = (robust_sigma(v), reference_sigma(v));
        assert_eq!(sigma.to_bits(), reference.to_bits(), "n = {}", v.len());
        middle_pair(v).is_some()
    }

    #[test]
    fn median_is_the_selections_to_the_bit() {
        let mut rng = fastrand::Rng::with_seed(3);
        let (mut cases, mut windowed) = (0, 0);
        for kind in 0..KINDS {
            let lengths: Vec<usize> = (0..40).map(|_| rng.usize(0..3000)).collect();
            for n in lengths
                .into_iter()
                .chain([255, 256, 257, 4999, 5000, 5035, 8192, 10_001])
            {
                let v = values(kind, n, &mut rng);
                windowed += usize::from(same_as_selection(&v));
                cases += usize::from(n >= SAMPLED_FROM);
            }
        }
        // Most long inputs are served by the window, so the comparison above tests it.
        assert!(windowed * 10 > cases * 9, "{windowed} of {cases}");
    }

    /// The closes of a shared data file, as `find_spikes` reads them.
    fn closes(path: &std::path::Path) -> Vec<f64> {
        // A missing close (a defect some files have) reads as NaN, as a bad row.
        let text = std::fs::read_to_string(path).expect("data file");
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("header").split(',').collect();
        let close = header.iter().position(|h| *h == "Close").expect("Close");
        lines
            .map(|line| {
                let fields: Vec<&str> = line.split(',').collect();
                // Minute bars name 7 fields and hold 8 (date and time apart).
                let at = close + fields.len() - header.len();
                fields[at].parse().unwrap_or(f64::NAN)
            })
            .collect()
    }

    #[test]
    fn median_of_real_returns_and_their_deviations_is_the_selections() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs = [
            "../../data/sample",
            "../../data/long",
            "tests/data/daily-long",
        ];
        let dirs = dirs.iter().chain(&["tests/data/intraday"]);
        let mut rng = fastrand::Rng::with_seed(5);
        let (mut series, mut windowed) = (0, 0);
        for dir in dirs {
            for entry in std::fs::read_dir(root.join(dir)).expect("data dir") {
                let c = closes(&entry.expect("entry").path());
                let r: Vec<f64> = c.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
                let r: Vec<f64> = r.into_iter().filter(|x| x.is_finite()).collect();
                let m = median_by_selection(&mut r.clone());
                let dev: Vec<f64> = r.iter().map(|x| (x - m).abs()).collect();
                let mut shuffled = r.clone();
                rng.shuffle(&mut shuffled);
                for v in [&r, &dev, &shuffled, &r[..r.len() / 3]] {
                    windowed += usize::from(same_as_selection(v));
                    series += usize::from(v.len() >= SAMPLED_FROM);
                }
            }
        }
        assert!(series > 60, "{series}");
        assert!(windowed * 10 > series * 8, "{windowed} of {series}");
    }

    #[test]
    fn nan_is_left_to_the_selection_and_infinities_are_not() {
        let mut rng = fastrand::Rng::with_seed(11);
        let nans = [f64::NAN, -f64::NAN, f64::from_bits(0x7ff0_0000_0000_0001)];
        for kind in 0..KINDS {
            for _ in 0..6 {
                let n = rng.usize(0..2000);
                let mut v = values(kind, n, &mut rng);
                let mut with_inf = v.clone();
                for _ in 0..rng.usize(1..4).min(n) {
                    let at = rng.usize(..n);
                    with_inf[at] = if rng.bool() {
                        f64::INFINITY
                    } else {
                        -f64::INFINITY
                    };
                    v[rng.usize(..n)] = nans[rng.usize(..nans.len())];
                }
                same_as_selection(&with_inf);
                if n > 0 {
                    assert!(!same_as_selection(&v), "a NaN in the window's pair");
                }
            }
        }
        // Mostly NaN: the sample's window is NaN itself.
        let v: Vec<f64> = (0..1000)
            .map(|i| if i % 3 == 0 { 1.0 } else { -f64::NAN })
            .collect();
        assert!(!same_as_selection(&v));
    }

    #[test]
    fn a_run_across_the_middle_is_counted_not_kept() {
        // 20 % below, 30 % −0, 30 % +0, 20 % above: the sample's window is all zeros.
        for n in [5000, 5001, 6000, 6001] {
            let share = |i: usize| i * 10 / n;
            let v: Vec<f64> = (0..n)
                .map(|i| match share(i) {
                    0 | 1 => -1.0 - i as f64,
                    2..=4 => -0.0,
                    5..=7 => 0.0,
                    _ => 1.0 + i as f64,
                })
                .collect();
            assert!(matches!(sample_window(&v, &mut Vec::new()), Window::At(p) if p == 0.0));
            assert!(same_as_selection(&v));
        }
        // One more −0 moves rank n / 2 (odd n) onto it.
        let mut v: Vec<f64> = (0..5001)
            .map(|i| if i < 2501 { -0.0 } else { 0.0 })
            .collect();
        assert!(same_as_selection(&v));
        assert_eq!(median(&mut v).to_bits(), (-0.0f64).to_bits());
    }

    /// 5,000 values, per hundred: `below` under 1, then 1s up to `ones_end`, the rest above.
    fn with_a_run_of_ones(below: usize, ones_end: usize) -> Vec<f64> {
        (0..5000)
            .map(|i| match i % 100 {
                k if k < below => i as f64 / 5000.0,
                k if k < ones_end => 1.0,
                _ => 2.0 + i as f64,
            })
            .collect()
    }

    #[test]
    fn a_run_from_the_lower_bound_to_the_middle_moves_the_bound_below_it() {
        // 40 % below 1, 12 % at 1, the rest above: the window's lower bound and its middle
        // fall on the run of 1s, its upper bound above it.
        let v = with_a_run_of_ones(40, 52);
        let window = sample_window(&v, &mut Vec::new());
        assert!(matches!(window, Window::Between(p1, p2) if p1 < 1.0 && p2 > 1.0));
        assert!(same_as_selection(&v));
    }

    #[test]
    fn a_run_from_the_middle_to_the_upper_bound_is_kept() {
        // 45 % below 1, 15 % at 1, the rest above: the window's middle and upper bound fall
        // on the run of 1s, which holds the median.
        let v = with_a_run_of_ones(45, 60);
        let window = sample_window(&v, &mut Vec::new());
        assert!(matches!(window, Window::Between(p1, p2) if p1 < 1.0 && p2 == 1.0));
        assert!(same_as_selection(&v));
    }

    #[test]
    fn keys_between_counts_up_to_p1_and_keeps_the_rest_up_to_p2() {
        // Long enough for a full block and a partial one; NaN is kept, ±0 sit on one side.
        let pattern = [3.0, 1.0, f64::NAN, 2.0, -0.0, 0.0, 2.5, 1.0, 4.0, 2.0];
        let v: Vec<f64> = pattern.iter().cycle().take(97).copied().collect();
        for (p1, p2) in [(1.0, 2.5), (0.0, 1.0), (-0.0, 0.0), (2.0, 2.0), (-1.0, 0.0)] {
            let mut kept = Vec::new();
            let below = keys_between(&v, p1, p2, &mut kept);
            assert_eq!(below, v.iter().filter(|&&x| x <= p1).count());
            let want: Vec<u64> = v
                .iter()
                .filter(|&&x| x.is_nan() || (x > p1 && x <= p2))
                .map(|&x| key(x))
                .collect();
            assert_eq!(kept, want, "({p1}, {p2}]");
            // The build for this CPU (AVX2 here, usually) and the baseline one agree.
            let mut baseline = Vec::new();
            assert_eq!(keys_between_body(&v, p1, p2, &mut baseline), below);
            assert_eq!(baseline, kept);
        }
    }

    #[test]
    fn sample_places_are_one_a_step_and_not_one_weekday() {
        for n in [256, 1312, 1910, 5035, 30_888] {
            let places: Vec<usize> = sample_places(n).collect();
            let step = n / places.len();
            for (i, &p) in places.iter().enumerate() {
                assert_eq!(p / step, i, "n = {n}");
            }
        }
        // BTC's 1,910 returns, 14 days to a step: every weekday is sampled, about as often.
        let mut days = [0; 7];
        for p in sample_places(1910) {
            days[p % 7] += 1;
        }
        assert!(days.iter().all(|&d| d >= 12), "{days:?}");
    }

    /// 0..n in an order that puts `sample(r)` at the sampled place of rank r (for `sample`
    /// increasing).
    fn with_sample(n: usize, sample: impl Fn(usize) -> usize) -> Vec<f64> {
        let places: Vec<usize> = sample_places(n).collect();
        let mut sampled = vec![false; n];
        for r in 0..places.len() {
            sampled[sample(r)] = true;
        }
        let mut rest = (0..n).filter(|&x| !sampled[x]);
        let mut v = vec![0.0; n];
        for (i, x) in v.iter_mut().enumerate() {
            *x = match places.binary_search(&i) {
                Ok(r) => sample(r) as f64,
                Err(_) => rest.next().expect("value") as f64,
            };
        }
        v
    }

    #[test]
    fn a_window_that_misses_is_followed_by_a_wider_one() {
        // 0..5000 (ranks lo, hi = 2499, 2500); the sample has 256 values, so the window spans
        // sample ranks 112..=144 and the second one reaches to rank 80 or 176.
        let n = 5000;
        let wider = |v: &[f64]| {
            let mut buffer = Vec::new();
            let first = sample_window(v, &mut buffer);
            (first, sampled(&mut buffer, -3), sampled(&mut buffer, 3))
        };
        // The first window ends below 2499, the second holds the pair.
        let v = with_sample(n, |r| if r <= 144 { 2256 + r } else { 2600 + r });
        assert!(
            matches!(wider(&v), (Window::Between(_, p2), _, p3) if p2 == 2400.0 && p3 == 2776.0)
        );
        assert_eq!(middle_pair(&v), Some((2499.0, 2500.0)));
        // The first window starts above 2500, the second holds the pair.
        let v = with_sample(n, |r| if r < 112 { 2300 + r } else { 2600 + r });
        assert!(
            matches!(wider(&v), (Window::Between(p1, _), p0, _) if p0 == 2380.0 && p1 == 2712.0)
        );
        assert_eq!(middle_pair(&v), Some((2499.0, 2500.0)));
        // The first window ends right at rank lo = 2499 (one rank short) and the second starts
        // there: the pair straddles them and is left to the selection.
        let mut v = with_sample(n, |r| 2355 + r);
        assert!(matches!(wider(&v).0, Window::Between(_, p2) if p2 == 2499.0));
        assert!(middle_pair(&v).is_none());
        assert_eq!(median(&mut v), 2499.5);
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }
}
