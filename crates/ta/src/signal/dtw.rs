//! Dynamic time warping distance between two series, matching `dtaidistance.dtw.distance`.
//!
//! Pattern-matching features compare the recent price path with templates that may run faster
//! or slower; DTW aligns them before measuring. O(n m) time and O(m) memory (two rows), with an
//! optional Sakoe-Chiba band in dtaidistance's convention.

use crate::stats::error::{ensure_finite, ensure_len};
use crate::stats::StatsError;

/// DTW distance sqrt(min over warping paths of sum (a_i - b_j)^2): dtaidistance accumulates
/// squared differences and returns the square root (so with `window` 1 on equal lengths it is
/// the Euclidean distance).
///
/// `window` (dtaidistance's `window`): cell (i, j) is allowed when
/// i - w - max(0, n - m) < j < i + w + max(0, m - n) for n = a.len(), m = b.len(), i.e. shifts
/// of at most w - 1 from the diagonal, widened by the length difference so the end stays
/// reachable. None means unconstrained. Window 0 is refused (no cell would be allowed).
/// Both series must be non-empty and finite.
pub fn dtw_distance(a: &[f64], b: &[f64], window: Option<usize>) -> Result<f64, StatsError> {
    ensure_len(a, 1)?;
    ensure_len(b, 1)?;
    ensure_finite(a)?;
    ensure_finite(b)?;
    let (n, m) = (a.len(), b.len());
    let w = window.unwrap_or(n.max(m));
    if w == 0 {
        return Err(StatsError::InvalidWindow { got: 0, min: 1 });
    }
    // prev[j + 1] / cur[j + 1] hold the cost of the best path ending at (i - 1, j) / (i, j);
    // index 0 is the virtual column before b starts.
    let mut prev = vec![f64::INFINITY; m + 1];
    let mut cur = vec![f64::INFINITY; m + 1];
    prev[0] = 0.0;
    for (i, &ai) in a.iter().enumerate() {
        cur.fill(f64::INFINITY);
        let j_start = (i + 1).saturating_sub(n.saturating_sub(m) + w);
        let j_end = (i + m.saturating_sub(n) + w).min(m);
        for j in j_start..j_end {
            let d = ai - b[j];
            let best = prev[j].min(prev[j + 1]).min(cur[j]);
            cur[j + 1] = d * d + best;
        }
        std::mem::swap(&mut prev, &mut cur);
        // Only the first row may start from the virtual corner.
        prev[0] = f64::INFINITY;
    }
    Ok(prev[m].sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtaidistance_readme_example() {
        // dtaidistance README: these two series are at distance sqrt(2) = 1.4142135623730951;
        // with window 1 (no warping) it is the Euclidean distance sqrt(8).
        let s1 = [0.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 0.0, 0.0];
        let s2 = [0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert!((dtw_distance(&s1, &s2, None).unwrap() - 2f64.sqrt()).abs() < 1e-15);
        assert!((dtw_distance(&s1, &s2, Some(2)).unwrap() - 2f64.sqrt()).abs() < 1e-15);
        assert!((dtw_distance(&s1, &s2, Some(1)).unwrap() - 8f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn unequal_lengths_hand_example() {
        // 1 2 3 against 1 2 2 2 3 5: 1-1, 2-2 (x3), 3-3, 3-5 costs 0 + 0 + 0 + 4 -> 2, and the
        // band for window 1 (j in i..=i+3) still allows that path.
        let a = [1.0, 2.0, 3.0];
        let b = [1.0, 2.0, 2.0, 2.0, 3.0, 5.0];
        assert_eq!(dtw_distance(&a, &b, None).unwrap(), 2.0);
        assert_eq!(dtw_distance(&a, &b, Some(1)).unwrap(), 2.0);
        assert_eq!(dtw_distance(&b, &a, Some(1)).unwrap(), 2.0);
        // Every point of [0, 2] pairs with the single 1: sqrt(1 + 1).
        assert_eq!(
            dtw_distance(&[0.0, 2.0], &[1.0], None).unwrap(),
            2f64.sqrt()
        );
    }

    #[test]
    fn edge_cases() {
        assert_eq!(dtw_distance(&[3.0], &[-1.0], None).unwrap(), 4.0);
        assert_eq!(dtw_distance(&[2.0; 5], &[2.0; 3], Some(1)).unwrap(), 0.0);
        assert!(matches!(
            dtw_distance(&[], &[1.0], None),
            Err(StatsError::TooShort { .. })
        ));
        assert!(matches!(
            dtw_distance(&[1.0], &[], None),
            Err(StatsError::TooShort { .. })
        ));
        assert!(matches!(
            dtw_distance(&[1.0, f64::NAN], &[1.0], None),
            Err(StatsError::NonFinite { index: 1 })
        ));
        assert!(matches!(
            dtw_distance(&[1.0], &[1.0], Some(0)),
            Err(StatsError::InvalidWindow { .. })
        ));
    }
}
