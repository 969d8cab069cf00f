//! Wilder's smoothing (RSI, ATR, ADX) in the form the recursions run.
//!
//! TA-Lib writes it (avg * (period - 1) + new) / period; a division on every step's dependency
//! chain makes those loops about three times slower, so the factors are taken out once.

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

/// Weights of Wilder's smoothing in blocks of four: the j-th value (1..=4) of a block starting
/// from v is v * keep^j + Σ_{i<j} take * keep^(j-1-i) * x_i (TA-Lib's recursion applied j
/// times, multiplied out).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockWeights {
    /// keep^1 .. keep^4.
    keep: [f64; 4],
    /// take * keep^0 .. take * keep^3.
    take: [f64; 4],
}

impl BlockWeights {
    pub(crate) fn new(period: usize) -> Self {
        let w = Wilder::new(period);
        let k2 = w.keep * w.keep;
        let k3 = k2 * w.keep;
        Self {
            keep: [w.keep, k2, k3, k3 * w.keep],
            take: [w.take, w.take * w.keep, w.take * k2, w.take * k3],
        }
    }

    /// The `j`-th value (1..=4) of a block starting from `v`, given the block's inputs so far.
    /// Only the product with `v` and one addition depend on `v`: the block's four steps cost
    /// the recursion 6 cycles of latency instead of TA-Lib's four chained steps.
    #[inline(always)]
    pub(crate) fn value(&self, j: usize, x: &[f64; 4], v: f64) -> f64 {
        let t = &self.take;
        let inputs = match j {
            1 => t[0] * x[0],
            2 => t[1] * x[0] + t[0] * x[1],
            3 => (t[2] * x[0] + t[1] * x[1]) + t[0] * x[2],
            _ => (t[3] * x[0] + t[2] * x[1]) + (t[1] * x[2] + t[0] * x[3]),
        };
        v * self.keep[j - 1] + inputs
    }
}

/// Wilder's smoothing in blocks of four (`BlockWeights`), for RSI and ATR: both forms use the
/// same blocks from the seed on, so they give identical numbers; against TA-Lib's
/// (avg * (period - 1) + new) / period they differ by rounding (~1e-16 relative).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Smoother {
    /// The value before the current block.
    value: f64,
    weights: BlockWeights,
    /// Inputs of the current block, and how many there are.
    block: [f64; 4],
    in_block: usize,
}

impl Smoother {
    /// Starts from `seed` at a block boundary.
    pub(crate) fn new(period: usize, seed: f64) -> Self {
        Self {
            value: seed,
            weights: BlockWeights::new(period),
            block: [0.0; 4],
            in_block: 0,
        }
    }

    /// Feeds one value; the smoothed value after it.
    #[inline(always)]
    pub(crate) fn update(&mut self, x: f64) -> f64 {
        self.block[self.in_block] = x;
        self.in_block += 1;
        let out = self.weights.value(self.in_block, &self.block, self.value);
        if self.in_block == 4 {
            self.value = out;
            self.in_block = 0;
        }
        out
    }
}

/// The batch twin of a `Smoother` at a block boundary with value `v`, fed `inputs` four at a
/// time (`inputs` and `out` as long, a multiple of four except at the very end): writes
/// `emit(value)` for each to `out` and returns the value after the last whole block.
#[inline(always)]
pub(crate) fn smooth_blocks(
    w: &BlockWeights,
    mut v: f64,
    inputs: &[f64],
    out: &mut [f64],
    emit: impl Fn(f64) -> f64,
) -> f64 {
    // The recursion runs through the last value of each block only (kept in the block's last
    // slot); then each block's first three values from the value before it, a loop without a
    // dependency from block to block. (Computing all four together, the compiler built them in
    // one vector and put extracting the last one on the recursion's chain.)
    let start = v;
    for (x, o) in inputs.chunks_exact(4).zip(out.chunks_exact_mut(4)) {
        v = w.value(4, &[x[0], x[1], x[2], x[3]], v);
        o[3] = v;
    }
    let mut before = start;
    for (x, o) in inputs.chunks_exact(4).zip(out.chunks_exact_mut(4)) {
        let x = [x[0], x[1], x[2], 0.0];
        o[0] = emit(w.value(1, &x, before));
        o[1] = emit(w.value(2, &x, before));
        o[2] = emit(w.value(3, &x, before));
        before = o[3];
        o[3] = emit(before);
    }
    let mut x = [0.0; 4];
    let rest = inputs
        .chunks_exact(4)
        .remainder()
        .iter()
        .zip(out.chunks_exact_mut(4).into_remainder());
    for (j, (&xj, o)) in rest.enumerate() {
        x[j] = xj;
        *o = emit(w.value(j + 1, &x, v));
    }
    v
}
