//! Whole-sample z-scores, (x - mean) / std (scipy `stats.zscore`).
//!
//! Standardises a feature vector before it is combined or compared; `ddof` chooses population
//! (0, scipy's default) or sample (1) standard deviation.

use super::error::{ensure_finite, ensure_len};
use super::moments::{all_equal, mean_unchecked, sum_sq_dev};
use super::StatsError;

/// z_i = (x_i - mean) / std(x, ddof). Needs more than `ddof` finite values; a constant
/// sample has undefined z-scores: all NaN (scipy gives NaN too).
pub fn zscore(xs: &[f64], ddof: usize) -> Result<Vec<f64>, StatsError> {
    ensure_len(xs, ddof + 1)?;
    ensure_finite(xs)?;
    if all_equal(xs) {
        return Ok(vec![f64::NAN; xs.len()]);
    }
    let m = mean_unchecked(xs);
    let sd = (sum_sq_dev(xs, m) / (xs.len() - ddof) as f64).sqrt();
    Ok(xs.iter().map(|x| (x - m) / sd).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked() {
        // (1, 2, 3): mean 2, population std sqrt(2/3).
        let z = zscore(&[1.0, 2.0, 3.0], 0).unwrap();
        assert!((z[2] - 1.5f64.sqrt()).abs() < 1e-15 && z[1] == 0.0);
        assert_eq!(zscore(&[1.0, 2.0, 3.0], 1).unwrap(), vec![-1.0, 0.0, 1.0]);
        assert!(zscore(&[4.0; 3], 0).unwrap().iter().all(|v| v.is_nan()));
        assert!(zscore(&[], 0).is_err());
        assert!(zscore(&[1.0], 1).is_err());
    }
}
