//! Output vectors that the batch forms write exactly once.
//!
//! Filling a 1M-value output with NaN and then overwriting it costs a whole extra pass over
//! 8 MB, as much as a cheap kernel itself (MOM, ROC, TRANGE). The batch forms instead reserve
//! the output, push the lookback's NaNs and extend it with the values as they are computed.

/// Values per chunk of the batch forms that write their output a chunk at a time (zeroing the
/// chunk's slots just before computing into them, or appending a chunk computed into a
/// buffer): 1 KB, below the 2 KB from which glibc's memset and memmove switch to `rep stosb` /
/// `rep movsb`, which cost several times more per byte here (AMD Zen 3) than its vector loops.
pub(crate) const CHUNK_SLOTS: usize = 128;

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
