//! Population stability index (PSI) between an expected and an actual distribution.
//!
//! A drift alarm for model inputs: PSI = sum_i (a_i - e_i) ln(a_i / e_i) over bin fractions.
//! Bins come from the expected sample's quantiles (numpy `quantile(method="linear")` at
//! 1/b, ..., (b-1)/b as inner edges; outer bins open; a value equal to an edge falls in the
//! bin above it). A bin empty in exactly one sample makes PSI infinite: no smoothing is
//! applied, so the caller decides how to treat an empty bin.

use super::error::{ensure_finite, ensure_len, ensure_same_len};
use super::StatsError;
use crate::risk::historical_var::quantile_linear;

/// PSI from bin fractions (each non-negative, same number of bins). Bins empty in both are
/// skipped.
pub fn population_stability_index(expected: &[f64], actual: &[f64]) -> Result<f64, StatsError> {
    ensure_same_len(expected, actual)?;
    ensure_finite(expected)?;
    ensure_finite(actual)?;
    if expected.iter().chain(actual).any(|v| *v < 0.0) {
        return Err(StatsError::InvalidParameter {
            name: "fractions",
            reason: "must be non-negative".into(),
        });
    }
    Ok(expected
        .iter()
        .zip(actual)
        .filter(|(e, a)| **e > 0.0 || **a > 0.0)
        .map(|(e, a)| {
            if *e == 0.0 || *a == 0.0 {
                f64::INFINITY
            } else {
                (a - e) * (a / e).ln()
            }
        })
        .sum())
}

/// Binned PSI of two samples with `bins` (>= 2) quantile bins of `expected`.
pub fn population_stability_index_of(
    expected: &[f64],
    actual: &[f64],
    bins: usize,
) -> Result<f64, StatsError> {
    let (e, a) = psi_bin_fractions(expected, actual, bins)?;
    population_stability_index(&e, &a)
}

/// Fractions of `expected` and `actual` in the quantile bins of `expected`.
pub fn psi_bin_fractions(
    expected: &[f64],
    actual: &[f64],
    bins: usize,
) -> Result<(Vec<f64>, Vec<f64>), StatsError> {
    if bins < 2 {
        return Err(StatsError::InvalidParameter {
            name: "bins",
            reason: format!("must be at least 2, got {bins}"),
        });
    }
    ensure_len(expected, 1)?;
    ensure_len(actual, 1)?;
    ensure_finite(expected)?;
    ensure_finite(actual)?;
    let mut sorted = expected.to_vec();
    sorted.sort_by(f64::total_cmp);
    let edges: Vec<f64> = (1..bins)
        .map(|i| quantile_linear(&sorted, i as f64 / bins as f64))
        .collect();
    let fractions = |xs: &[f64]| {
        let mut counts = vec![0usize; bins];
        for x in xs {
            counts[edges.partition_point(|e| e <= x)] += 1;
        }
        counts
            .into_iter()
            .map(|c| c as f64 / xs.len() as f64)
            .collect::<Vec<f64>>()
    };
    Ok((fractions(expected), fractions(actual)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked() {
        // (0.5, 0.5) -> (0.25, 0.75): -0.25 ln 0.5 + 0.25 ln 1.5.
        let p = population_stability_index(&[0.5, 0.5], &[0.25, 0.75]).unwrap();
        assert!((p - (0.25 * 2f64.ln() + 0.25 * 1.5f64.ln())).abs() < 1e-15);
        assert_eq!(
            population_stability_index(&[0.5, 0.5], &[0.5, 0.5]).unwrap(),
            0.0
        );
        assert!(population_stability_index(&[0.5, 0.5], &[0.0, 1.0])
            .unwrap()
            .is_infinite());
        assert!(population_stability_index(&[0.5], &[0.5, 0.5]).is_err());
        assert!(population_stability_index_of(&[1.0], &[1.0], 1).is_err());
    }
}
