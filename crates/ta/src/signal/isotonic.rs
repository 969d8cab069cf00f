//! Isotonic (monotone increasing) least-squares regression by pool adjacent violators,
//! matching scikit-learn's `isotonic_regression` and `IsotonicRegression.fit_transform`.
//!
//! Calibration of signal scores into probabilities or expected returns must be monotone in the
//! score; this is the standard non-parametric way to impose that.

use crate::stats::error::{ensure_finite, ensure_len, ensure_same_len};
use crate::stats::StatsError;

/// Ties in x closer than this are merged, as sklearn's `_make_unique`
/// (`np.finfo(float64).resolution`).
const X_TIE_RESOLUTION: f64 = 1e-15;

/// Weighted least-squares non-decreasing fit to `y` in the given order
/// (`sklearn.isotonic.isotonic_regression(y, sample_weight=w, increasing=True)`, which calls
/// scipy's PAVA). `weights` None means all 1; given weights must have y's length and be finite
/// and strictly positive (sklearn drops zero-weight points; here they are refused so the
/// output keeps one value per input). Needs at least one finite value.
pub fn isotonic_regression(y: &[f64], weights: Option<&[f64]>) -> Result<Vec<f64>, StatsError> {
    ensure_len(y, 1)?;
    ensure_finite(y)?;
    let w = checked_weights(y, weights)?;
    Ok(pava(y, &w))
}

/// `IsotonicRegression(increasing=True).fit_transform(x, y, sample_weight=w)`: sorts by x
/// (ties by y), replaces points with equal x (within 1e-15) by one point at their weighted mean
/// y and summed weight, fits PAVA, and returns the fitted value at each input point in input
/// order (points sharing an x get the same value). Same weight rules as
/// [`isotonic_regression`].
pub fn isotonic_fit(x: &[f64], y: &[f64], weights: Option<&[f64]>) -> Result<Vec<f64>, StatsError> {
    ensure_same_len(x, y)?;
    ensure_len(y, 1)?;
    ensure_finite(x)?;
    ensure_finite(y)?;
    let w = checked_weights(y, weights)?;
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&i, &j| x[i].total_cmp(&x[j]).then(y[i].total_cmp(&y[j])));

    // Unique x groups: weighted mean of y, summed weight; group[k] is the group of order[k].
    let (mut ys, mut ws, mut group) = (Vec::new(), Vec::new(), Vec::with_capacity(x.len()));
    let mut current_x = x[order[0]];
    let (mut sum_wy, mut sum_w) = (0.0, 0.0);
    for &i in &order {
        if x[i] - current_x >= X_TIE_RESOLUTION {
            ys.push(sum_wy / sum_w);
            ws.push(sum_w);
            current_x = x[i];
            sum_wy = 0.0;
            sum_w = 0.0;
        }
        sum_wy += y[i] * w[i];
        sum_w += w[i];
        group.push(ys.len());
    }
    ys.push(sum_wy / sum_w);
    ws.push(sum_w);

    let fitted = pava(&ys, &ws);
    let mut out = vec![0.0; x.len()];
    for (k, &i) in order.iter().enumerate() {
        out[i] = fitted[group[k]];
    }
    Ok(out)
}

fn checked_weights(y: &[f64], weights: Option<&[f64]>) -> Result<Vec<f64>, StatsError> {
    match weights {
        None => Ok(vec![1.0; y.len()]),
        Some(w) => {
            ensure_same_len(y, w)?;
            ensure_finite(w)?;
            if let Some(i) = w.iter().position(|v| *v <= 0.0) {
                return Err(StatsError::InvalidParameter {
                    name: "weights",
                    reason: format!("must be strictly positive, got {} at index {i}", w[i]),
                });
            }
            Ok(w.to_vec())
        }
    }
}

/// Pool adjacent violators: a stack of blocks (weighted mean, weight, length); a new point
/// merges with the blocks before it while their mean exceeds its own.
fn pava(y: &[f64], w: &[f64]) -> Vec<f64> {
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(y.len());
    for (&v, &wt) in y.iter().zip(w) {
        let (mut mean, mut weight, mut len) = (v, wt, 1);
        while let Some(&(pm, pw, pl)) = blocks.last() {
            if pm <= mean {
                break;
            }
            blocks.pop();
            mean = (pm * pw + mean * weight) / (pw + weight);
            weight += pw;
            len += pl;
        }
        blocks.push((mean, weight, len));
    }
    blocks
        .into_iter()
        .flat_map(|(mean, _, len)| std::iter::repeat_n(mean, len))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sklearn_docstring_example() {
        // sklearn.isotonic.isotonic_regression docstring: [5, 3, 1, 2, 8, 10, 7, 9, 6, 4] ->
        // 2.75 (mean of 5 3 1 2) four times, then 7.33.. (mean of 8 10 7 9 6 4 = 44/6) six times.
        let got = isotonic_regression(&[5.0, 3.0, 1.0, 2.0, 8.0, 10.0, 7.0, 9.0, 6.0, 4.0], None)
            .unwrap();
        for v in &got[..4] {
            assert!((v - 2.75).abs() < 1e-15);
        }
        for v in &got[4..] {
            assert!((v - 44.0 / 6.0).abs() < 1e-14);
        }
    }

    #[test]
    fn weighted_pool_hand_example() {
        // y = 3, 1 with weights 1, 3 violate order: pooled (3 + 3) / 4 = 1.5.
        assert_eq!(
            isotonic_regression(&[3.0, 1.0, 4.0], Some(&[1.0, 3.0, 2.0])).unwrap(),
            vec![1.5, 1.5, 4.0]
        );
    }

    #[test]
    fn fit_merges_tied_x_and_restores_input_order() {
        // x = 2, 1, 2, 0 ; y = 0, 5, 4, 1. Unique x: 0 -> 1, 1 -> 5, 2 -> mean(0, 4) = 2 (w 2).
        // PAVA on (1, 5 [w1], 2 [w2]) pools the last two: (5 + 4) / 3 = 3.
        let got = isotonic_fit(&[2.0, 1.0, 2.0, 0.0], &[0.0, 5.0, 4.0, 1.0], None).unwrap();
        assert_eq!(got, vec![3.0, 3.0, 3.0, 1.0]);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(isotonic_regression(&[4.0], None).unwrap(), vec![4.0]);
        assert_eq!(isotonic_regression(&[2.0; 3], None).unwrap(), vec![2.0; 3]);
        assert_eq!(isotonic_fit(&[1.0], &[4.0], None).unwrap(), vec![4.0]);
        assert!(matches!(
            isotonic_regression(&[], None),
            Err(StatsError::TooShort { .. })
        ));
        assert!(matches!(
            isotonic_regression(&[1.0, f64::NAN], None),
            Err(StatsError::NonFinite { index: 1 })
        ));
        assert!(matches!(
            isotonic_regression(&[1.0, 2.0], Some(&[1.0, 0.0])),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            isotonic_regression(&[1.0, 2.0], Some(&[1.0])),
            Err(StatsError::LengthMismatch { .. })
        ));
        assert!(matches!(
            isotonic_fit(&[1.0, 2.0], &[1.0], None),
            Err(StatsError::LengthMismatch { .. })
        ));
        assert!(matches!(
            isotonic_fit(&[f64::INFINITY], &[1.0], None),
            Err(StatsError::NonFinite { index: 0 })
        ));
    }
}
