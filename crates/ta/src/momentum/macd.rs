//! MACD, TA-Lib `MACD`: fast EMA - slow EMA, its signal EMA and the histogram; lookback
//! `slow - 1 + signal - 1`, and all three outputs start there (as in TA-Lib).
//!
//! TA-Lib's alignment: the fast EMA is not started at bar `fast - 1` but seeded at the slow EMA's
//! first bar (`slow - 1`) with the SMA of the `fast` values ending there; the signal EMA is seeded
//! with the SMA of the first `signal` MACD values. If `slow < fast` the two are swapped, as in
//! TA-Lib. Recursive: a NaN or infinity makes every later value NaN until `reset`.

use crate::average::ema::{
    block_deviations, block_value, block_weights, ema_blocks, ema_k, finite_or_nan, seed_mean,
};
use crate::average::window::Window;
use crate::average::{check_period, Ema, TaError};

/// One MACD reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdOutput {
    /// Fast EMA minus slow EMA.
    pub macd: f64,
    /// EMA of `macd` over the signal period.
    pub signal: f64,
    /// `macd - signal`.
    pub hist: f64,
}

/// MACD over a whole series; each vector has the input's length.
#[derive(Debug, Clone, PartialEq)]
pub struct MacdSeries {
    /// Fast EMA minus slow EMA.
    pub macd: Vec<f64>,
    /// Signal line.
    pub signal: Vec<f64>,
    /// Histogram.
    pub hist: Vec<f64>,
}

/// Streaming MACD; `update` returns `None` until `slow + signal - 1` prices have been seen.
#[derive(Debug, Clone)]
pub struct Macd {
    fast_period: usize,
    slow_period: usize,
    signal_period: usize,
    recent: Window,
    fast: Option<Ema>,
    slow: Ema,
    signal: Ema,
}

impl Macd {
    /// `fast` and `slow` at least 2, `signal` at least 1 (TA-Lib's ranges; TA-Lib defaults are
    /// 12, 26, 9).
    pub fn new(fast: usize, slow: usize, signal: usize) -> Result<Self, TaError> {
        check_period("MACD", "fast", fast, 2)?;
        check_period("MACD", "slow", slow, 2)?;
        check_period("MACD", "signal", signal, 1)?;
        let (fast, slow) = if slow < fast {
            (slow, fast)
        } else {
            (fast, slow)
        };
        Ok(Self {
            fast_period: fast,
            slow_period: slow,
            signal_period: signal,
            recent: Window::new(fast),
            fast: None,
            slow: Ema::new_unchecked(slow),
            signal: Ema::new_unchecked(signal),
        })
    }

    /// Feeds one price; the MACD reading once the signal line is warm.
    pub fn update(&mut self, price: f64) -> Option<MacdOutput> {
        let slow = self.slow.update(price);
        let fast = match self.fast.as_mut() {
            Some(ema) => ema.update(price),
            None => {
                self.recent.push(price);
                if !self.slow.is_ready() {
                    return None;
                }
                // Seed the fast EMA on the slow EMA's first bar, summing left to right.
                let seed = seed_mean(self.recent.as_slice());
                self.fast = Some(Ema::seeded(self.fast_period, seed));
                Some(seed)
            }
        };
        let macd = fast? - slow?;
        let macd = if macd.is_finite() { macd } else { f64::NAN };
        let signal = self.signal.update(macd)?;
        Some(MacdOutput {
            macd,
            signal,
            hist: macd - signal,
        })
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.signal.is_ready()
    }

    /// Forgets all prices seen.
    pub fn reset(&mut self) {
        self.recent.clear();
        self.fast = None;
        self.slow.reset();
        self.signal.reset();
    }

    /// Number of leading bars without output.
    pub fn lookback(&self) -> usize {
        self.slow_period - 1 + self.signal_period - 1
    }
}

/// MACD over a whole series: each output has the input's length, the first
/// `max(fast, slow) + signal - 2` entries NaN.
pub fn macd(
    prices: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
) -> Result<MacdSeries, TaError> {
    let m = Macd::new(fast, slow, signal)?;
    let (fast, slow) = (m.fast_period, m.slow_period);
    let n = prices.len();
    let lookback = m.lookback();
    let mut macd = vec![f64::NAN; n];
    let mut signal_line = vec![f64::NAN; n];
    if n > lookback {
        // The batch twin of `Macd::update`: the same seeds and the same EMA blocks, one EMA at a
        // time.
        let slow_seed = seed_mean(&prices[..slow]);
        let fast_seed = seed_mean(&prices[slow - fast..slow]);
        macd[slow - 1] = finite_or_nan(fast_seed - finite_or_nan(slow_seed));
        // Fast and slow EMA blocks side by side (both start at bar `slow`), straight into the
        // MACD line: the same values `Ema::update` gives, without temporaries.
        let (cf, cs) = (block_weights(ema_k(fast)), block_weights(ema_k(slow)));
        let (mut vf, mut vs) = (fast_seed, slow_seed);
        let line = |f: f64, s: f64| finite_or_nan(finite_or_nan(f) - finite_or_nan(s));
        let mut chunks = prices[slow..].chunks_exact(4);
        let mut outs = macd[slow..].chunks_exact_mut(4);
        for (x, o) in (&mut chunks).zip(&mut outs) {
            // Both EMAs take the same deviations (from the block's first price).
            let (r, d) = block_deviations(x);
            for (j, oj) in o.iter_mut().take(3).enumerate() {
                *oj = line(
                    block_value(j + 1, &d, r, vf, &cf),
                    block_value(j + 1, &d, r, vs, &cs),
                );
            }
            vf = block_value(4, &d, r, vf, &cf);
            vs = block_value(4, &d, r, vs, &cs);
            o[3] = line(vf, vs);
        }
        let rest = chunks.remainder();
        let r = rest.first().copied().unwrap_or(0.0);
        let mut d = [0.0; 4];
        for (j, (&x, o)) in rest.iter().zip(outs.into_remainder()).enumerate() {
            d[j] = x - r;
            *o = line(
                block_value(j + 1, &d, r, vf, &cf),
                block_value(j + 1, &d, r, vs, &cs),
            );
        }
        // Signal seed: the first `signal` MACD values, summed left to right from 0.0.
        let signal_seed = seed_mean(&macd[slow - 1..=lookback]);
        signal_line[lookback] = finite_or_nan(signal_seed);
        ema_blocks(
            &macd[lookback + 1..],
            signal_seed,
            ema_k(signal),
            &mut signal_line[lookback + 1..],
        );
        for v in &mut macd[slow - 1..lookback] {
            *v = f64::NAN;
        }
    }
    let hist = macd
        .iter()
        .zip(&signal_line)
        .map(|(&m, &s)| m - s)
        .collect();
    Ok(MacdSeries {
        macd,
        signal: signal_line,
        hist,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_ema_is_seeded_at_the_slow_ema_first_bar() {
        // fast 2, slow 3, signal 1: at bar 2 slow = (1+2+4)/3, fast = (2+4)/2 (not an EMA
        // started at bar 1), so macd = 3 - 7/3.
        let out = macd(&[1.0, 2.0, 4.0], 2, 3, 1).unwrap();
        assert!(out.macd[1].is_nan());
        assert!((out.macd[2] - (3.0 - 7.0 / 3.0)).abs() < 1e-15);
        assert_eq!(out.signal[2], out.macd[2]);
        assert_eq!(out.hist[2], 0.0);
    }

    #[test]
    fn swaps_fast_and_slow_like_talib() {
        let a = macd(&[1.0, 3.0, 2.0, 5.0, 4.0, 6.0], 2, 3, 2).unwrap();
        let b = macd(&[1.0, 3.0, 2.0, 5.0, 4.0, 6.0], 3, 2, 2).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(Macd::new(12, 26, 0).is_err());
    }
}
