//! One-bar price jumps that do not fit the series they are in.
//!
//! A fixed threshold cannot serve both the dollar index (0.3 % a day) and a chip stock (3 %), so
//! each series is measured against its own robust spread (median absolute deviation of log
//! returns). Size alone still flags real earnings moves, so a jump is only reported when it also
//! looks like a bad row: it reverses at the next bar, or it is a several-fold change of price.

use super::median::median;

/// Thresholds of the spike test. The defaults were tuned on the shared data (see
/// `tests/data/EXPECTED_DEFECTS.md`): they flag its foreign rows and none of its real moves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutlierOptions {
    /// A jump must exceed `k` robust sigmas (1.4826 · MAD of the log returns). 12 leaves room
    /// above genuine moves seen in the data (META −26 % on 2022-02-03 is 16 sigma, so size alone
    /// is not enough, hence the two shape tests below).
    pub k: f64,
    /// The next return must take back at least this share of the jump, in the other direction,
    /// for the jump to count as a spike that reverts.
    pub reversal: f64,
    /// A jump by at least this factor (either way) counts without reverting: no real instrument
    /// halves or doubles in one bar as often as bad rows do.
    pub several_fold: f64,
    /// With fewer returns than this the spread is not trusted and nothing is flagged.
    pub min_returns: usize,
}

impl Default for OutlierOptions {
    fn default() -> Self {
        OutlierOptions {
            k: 12.0,
            reversal: 0.5,
            several_fold: 2.0,
            min_returns: 20,
        }
    }
}

/// A flagged bar: `index` into the closes, its log return from the previous close, how many
/// robust sigmas that is, and whether the next bar reverted it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    pub index: usize,
    pub log_return: f64,
    pub sigmas: f64,
    pub reverted: bool,
}

/// The robust standard deviation of `r`: 1.4826 · MAD, or, when more than half the returns are
/// identical (MAD = 0, common in tick data), 1.2533 · mean absolute deviation from the median.
/// Both constants make the estimate equal σ for normal data.
pub(crate) fn robust_sigma(r: &[f64]) -> f64 {
    let mut v = r.to_vec();
    let med = median(&mut v);
    // The deviations, in `r`'s order, into the same buffer (one allocation, not two).
    for (d, x) in v.iter_mut().zip(r) {
        *d = (x - med).abs();
    }
    let dev = &mut v;
    let mean_dev = dev.iter().sum::<f64>() / dev.len().max(1) as f64;
    let mad = median(dev);
    if mad > 0.0 {
        1.4826 * mad
    } else {
        1.2533 * mean_dev
    }
}

/// Finds the bars whose close jumps away from the series. A spike that reverts flags the spike
/// bar only, not the bar that comes back. A several-fold level change is flagged at the first
/// bar of the new level.
pub fn find_spikes(closes: &[f64], opts: &OutlierOptions) -> Vec<Spike> {
    // r[i] is the return into bar i + 1.
    let r: Vec<f64> = closes
        .windows(2)
        .map(|w| {
            if w[0] > 0.0 && w[1] > 0.0 {
                (w[1] / w[0]).ln()
            } else {
                f64::NAN
            }
        })
        .collect();
    // Usually every return is finite: then they are the finite ones, no copy needed.
    let kept: Vec<f64>;
    let finite: &[f64] = if r.iter().all(|x| x.is_finite()) {
        &r
    } else {
        kept = r.iter().copied().filter(|x| x.is_finite()).collect();
        &kept
    };
    if finite.len() < opts.min_returns {
        return Vec::new();
    }
    let sigma = robust_sigma(finite);
    if sigma.is_nan() || sigma <= 0.0 {
        return Vec::new();
    }
    let fold = opts.several_fold.ln();
    let mut out = Vec::new();
    let mut skip = false;
    for (i, &x) in r.iter().enumerate() {
        if std::mem::take(&mut skip) || !x.is_finite() {
            continue;
        }
        let sigmas = x.abs() / sigma;
        if sigmas <= opts.k {
            continue;
        }
        let reverted = r.get(i + 1).is_some_and(|&next| {
            next.is_finite()
                && next.signum() == -x.signum()
                && next.abs() >= opts.reversal * x.abs()
        });
        if reverted || x.abs() >= fold {
            out.push(Spike {
                index: i + 1,
                log_return: x,
                sigmas,
                reverted,
            });
            skip = reverted;
        }
    }
    out
}

/// `robust_sigma` as first written, with a second buffer for the deviations and the plain
/// selection for the medians: the tests' reference, here and in `median`'s.
#[cfg(test)]
pub(crate) fn reference_sigma(r: &[f64]) -> f64 {
    let mut v = r.to_vec();
    let med = super::median::median_by_selection(&mut v);
    let mut dev: Vec<f64> = r.iter().map(|x| (x - med).abs()).collect();
    let mean_dev = dev.iter().sum::<f64>() / dev.len().max(1) as f64;
    let mad = super::median::median_by_selection(&mut dev);
    if mad > 0.0 {
        1.4826 * mad
    } else {
        1.2533 * mean_dev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_buffer_sigma_is_the_two_buffer_one() {
        let mut rng = fastrand::Rng::with_seed(41);
        for case in 0..2000 {
            let n = rng.usize(0..300);
            let mut p = 100.0;
            let closes: Vec<f64> = (0..n)
                .map(|_| {
                    p *= 1.0 + (rng.f64() - 0.5) * 0.02;
                    match (case % 3, rng.usize(..100)) {
                        (1, 0) => 0.0,
                        (1, 1) => f64::NAN,
                        (2, k) if k < 60 => 100.0,
                        (_, 2) => p * 3.0,
                        _ => p,
                    }
                })
                .collect();
            let r: Vec<f64> = closes.iter().map(|c| c / 100.0 - 1.0).collect();
            assert_eq!(robust_sigma(&r).to_bits(), reference_sigma(&r).to_bits());
            // The spread `find_spikes` takes: the finite returns' (no copy when all are).
            let finite: Vec<f64> = closes
                .windows(2)
                .filter(|w| w[0] > 0.0 && w[1] > 0.0)
                .map(|w| (w[1] / w[0]).ln())
                .filter(|x| x.is_finite())
                .collect();
            assert_eq!(
                robust_sigma(&finite).to_bits(),
                reference_sigma(&finite).to_bits()
            );
        }
    }

    /// A calm series: daily moves of up to ±1 %, all different, so the MAD is positive.
    fn calm(n: usize) -> Vec<f64> {
        let mut p = 100.0;
        (0..n)
            .map(|i| {
                p *= 1.0 + 0.01 * (i as f64 * 1.7).sin();
                p
            })
            .collect()
    }

    #[test]
    fn robust_sigma_of_a_textbook_sample() {
        // Values 1,2,3,4,100: median 3, absolute deviations 2,1,0,1,97 → MAD 1 → 1.4826.
        assert!((robust_sigma(&[1.0, 2.0, 3.0, 4.0, 100.0]) - 1.4826).abs() < 1e-12);
    }

    #[test]
    fn flags_a_spike_that_reverts_once() {
        let mut c = calm(60);
        c[30] *= 6.0;
        let s = find_spikes(&c, &OutlierOptions::default());
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].index, 30);
        assert!(s[0].reverted);
    }

    #[test]
    fn flags_a_several_fold_last_bar_but_not_a_large_real_move() {
        let mut c = calm(60);
        c[59] = c[58] / 3.3;
        let s = find_spikes(&c, &OutlierOptions::default());
        assert_eq!(s.iter().map(|s| s.index).collect::<Vec<_>>(), vec![59]);
        // A −26 % move that stays: large in sigmas, but neither reverting nor several-fold.
        let mut c = calm(60);
        for p in &mut c[30..] {
            *p *= 0.74;
        }
        assert!(find_spikes(&c, &OutlierOptions::default()).is_empty());
    }

    #[test]
    fn too_short_or_flat_series_flag_nothing() {
        assert!(find_spikes(&[1.0, 5.0, 1.0], &OutlierOptions::default()).is_empty());
        assert!(find_spikes(&[2.0; 50], &OutlierOptions::default()).is_empty());
    }
}
