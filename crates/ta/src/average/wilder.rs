//! Wilder's smoothing (RSI, ATR, ADX) in the form the recursions run.
//!
//! TA-Lib writes it (avg * (period - 1) + new) / period; a division on every step's dependency
//! chain makes those loops about three times slower, so the factors are taken out once.

use super::ema::{block_value, block_weights};

/// Wilder's smoothing as `avg * keep + new * take`, keep = (period - 1) / period and
/// take = 1 / period (shared by RSI, ATR and ADX).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wilder {
    pub(crate) keep: f64,
    pub(crate) take: f64,
}

impl Wilder {
    pub(crate) fn new(period: usize) -> Self {
        let p = period as f64;
        Self {
            keep: (p - 1.0) / p,
            take: 1.0 / p,
        }
    }

    #[inline(always)]
    pub(crate) fn step(&self, avg: f64, new: f64) -> f64 {
        avg * self.keep + new * self.take
    }
}

/// Wilder's smoothing is an EMA with k = 1 / period, so RSI and ATR run it in the EMA's blocks
/// of four (`ema::block_value`): four values depend on the value before the block through one
/// subtraction, one multiplication and two additions, instead of four chained multiply-adds.
/// Both forms use the same blocks from the seed on, so they give identical numbers; against
/// TA-Lib's (avg * (period - 1) + new) / period they differ by rounding (~1e-16 relative).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Smoother {
    /// The value before the current block.
    value: f64,
    weights: [f64; 4],
    /// Deviations x_i - value of the current block, and how many there are.
    block: [f64; 4],
    in_block: usize,
}

impl Smoother {
    /// Starts from `seed` at a block boundary.
    pub(crate) fn new(period: usize, seed: f64) -> Self {
        Self {
            value: seed,
            weights: block_weights(1.0 / period as f64),
            block: [0.0; 4],
            in_block: 0,
        }
    }

    /// Feeds one value; the smoothed value after it.
    #[inline(always)]
    pub(crate) fn update(&mut self, x: f64) -> f64 {
        self.block[self.in_block] = x - self.value;
        self.in_block += 1;
        let out = block_value(self.in_block, &self.block, self.value, &self.weights);
        if self.in_block == 4 {
            self.value = out;
            self.in_block = 0;
        }
        out
    }
}

/// The batch twin of a `Smoother` started at `seed` and fed `input(0)`, `input(1)`, ..:
/// writes `emit(value)` for each to `out` (one per slot). Writing into a slice, not pushing,
/// keeps the running value in a register: a push's rarely taken grow path made the compiler
/// keep it in memory, a store and a load on every step of the recursion.
#[inline(always)]
pub(crate) fn smooth_into(
    period: usize,
    seed: f64,
    mut input: impl FnMut(usize) -> f64,
    emit: impl Fn(f64) -> f64,
    out: &mut [f64],
) {
    let c = block_weights(1.0 / period as f64);
    let mut v = seed;
    let mut blocks = out.chunks_exact_mut(4);
    let mut j = 0;
    for o in &mut blocks {
        let d = [
            input(j) - v,
            input(j + 1) - v,
            input(j + 2) - v,
            input(j + 3) - v,
        ];
        o[0] = emit(block_value(1, &d, v, &c));
        o[1] = emit(block_value(2, &d, v, &c));
        o[2] = emit(block_value(3, &d, v, &c));
        v = block_value(4, &d, v, &c);
        o[3] = emit(v);
        j += 4;
    }
    let mut d = [0.0; 4];
    for (k, o) in blocks.into_remainder().iter_mut().enumerate() {
        d[k] = input(j + k) - v;
        *o = emit(block_value(k + 1, &d, v, &c));
    }
}
