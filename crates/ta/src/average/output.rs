//! Output vectors that the batch forms write exactly once.
//!
//! Filling a 1M-value output with NaN and then overwriting it costs a whole extra pass over
//! 8 MB, as much as a cheap kernel itself (MOM, ROC, TRANGE). The batch forms instead reserve
//! the output, push the lookback's NaNs and extend it with the values as they are computed.

/// An empty vector with room for `n` values, holding the first `min(lookback, n)` NaNs.
pub(crate) fn with_lookback(n: usize, lookback: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    out.resize(lookback.min(n), f64::NAN);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookback_is_nan_and_capacity_reserved() {
        let out = with_lookback(5, 2);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|v| v.is_nan()));
        assert!(out.capacity() >= 5);
        assert_eq!(with_lookback(1, 3).len(), 1);
    }
}
