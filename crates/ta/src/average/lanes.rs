//! Sums over a window slice in four fixed lanes: CCI's per-bar sums and the recomputes of the
//! running window sums.
//!
//! Four independent accumulators (by position in the window, combined as (0 + 1) + (2 + 3)) let
//! the loop vectorise and shorten its dependency chain fourfold, while the order, and so every
//! bit of the result, stays fixed: the streaming and batch forms call these on the same slice.

/// Folds `f(x)` over `w` into four lanes by position and combines them.
#[inline(always)]
fn lanes(w: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = w.chunks_exact(4);
    let rest = chunks.remainder();
    for chunk in chunks {
        for lane in 0..4 {
            acc[lane] += f(chunk[lane]);
        }
    }
    for (lane, &x) in rest.iter().enumerate() {
        acc[lane] += f(x);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Sum of the window.
#[inline(always)]
pub(crate) fn sum(w: &[f64]) -> f64 {
    lanes(w, |x| x)
}

/// Sum of deviations from `shift`.
#[inline(always)]
pub(crate) fn sum_dev(w: &[f64], shift: f64) -> f64 {
    lanes(w, |x| x - shift)
}

/// Sum of squared deviations from `mean`.
#[inline(always)]
pub(crate) fn sum_sq_dev(w: &[f64], mean: f64) -> f64 {
    lanes(w, |x| {
        let d = x - mean;
        d * d
    })
}

/// Sum of absolute deviations from `mean`.
#[inline(always)]
pub(crate) fn sum_abs_dev(w: &[f64], mean: f64) -> f64 {
    lanes(w, |x| (x - mean).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_by_hand() {
        let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(sum(&w), 21.0);
        // Deviations from 3.5: 2.5, 1.5, 0.5 twice each.
        assert_eq!(sum_abs_dev(&w, 3.5), 9.0);
        assert_eq!(sum_sq_dev(&w, 3.5), 17.5);
        assert_eq!(sum(&[]), 0.0);
    }
}
