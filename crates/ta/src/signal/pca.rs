//! Principal component analysis of a sample matrix (rows = observations, columns = series),
//! matching scikit-learn's `PCA(svd_solver='full')`.
//!
//! The factor and regime features decompose the cross-asset return matrix into uncorrelated
//! drivers; reproducing sklearn, including its sign convention (`svd_flip` on the rows of Vt),
//! keeps loadings identical between research and the live engine.

use nalgebra::DMatrix;

use crate::stats::StatsError;

/// Iteration cap for nalgebra's SVD: far above what a well-posed return matrix needs, so
/// hitting it means the input is pathological and is reported instead of looping forever.
const SVD_MAX_ITERATIONS: usize = 100_000;

/// Convergence tolerance: nalgebra's own default (5 machine epsilons). Passing 1 epsilon to
/// nalgebra 0.35's `try_svd` silently returned wrong singular values on a rank-1 matrix
/// (7.26 instead of 5 for the y = 2x example in the tests), hence also the energy check below.
const SVD_EPS: f64 = 5.0 * f64::EPSILON;

/// Relative tolerance of the check sum(S^2) = ||X||_F^2 that guards against a wrong SVD.
const SVD_ENERGY_TOL: f64 = 1e-10;

/// A fitted PCA. `components` holds one component per row (sklearn's `components_`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Per-column mean removed before the decomposition (`mean_`).
    pub mean: Vec<f64>,
    /// k x p loadings, rows orthonormal, sorted by decreasing variance (`components_`).
    pub components: DMatrix<f64>,
    /// Variance along each component, S^2 / (n - 1) (`explained_variance_`).
    pub explained_variance: Vec<f64>,
    /// Share of the total sample variance (all components, not only the k kept)
    /// (`explained_variance_ratio_`).
    pub explained_variance_ratio: Vec<f64>,
    /// Singular values of the centred data (`singular_values_`).
    pub singular_values: Vec<f64>,
    /// Observations the fit used.
    pub n_samples: usize,
}

impl Pca {
    /// Fits on `data` (n x p, n >= 2, finite). `n_components` None keeps min(n, p) components
    /// (sklearn's default); Some(k) needs 1 <= k <= min(n, p). Refuses data whose columns are
    /// all constant (no variance to explain: sklearn would return NaN ratios).
    pub fn fit(data: &DMatrix<f64>, n_components: Option<usize>) -> Result<Self, StatsError> {
        let (n, p) = data.shape();
        if n < 2 {
            return Err(StatsError::TooShort { needed: 2, got: n });
        }
        ensure_matrix_finite(data)?;
        let k = check_n_components(n_components, n.min(p), "min(n_samples, n_features)")?;
        let mean: Vec<f64> = (0..p).map(|j| data.column(j).mean()).collect();
        let mut centred = data.clone();
        for (j, m) in mean.iter().enumerate() {
            centred.column_mut(j).add_scalar_mut(-m);
        }
        let (s, vt) = thin_svd_flipped(centred)?;
        let denom = (n - 1) as f64;
        let all_variance: Vec<f64> = s.iter().map(|v| v * v / denom).collect();
        let total: f64 = all_variance.iter().sum();
        let all_constant = data.column_iter().all(|c| c.iter().all(|v| *v == c[0]));
        if all_constant || total <= 0.0 {
            return Err(StatsError::InvalidParameter {
                name: "data",
                reason: "every column is constant: there is no variance to decompose".into(),
            });
        }
        Ok(Pca {
            mean,
            components: vt.rows(0, k).into_owned(),
            explained_variance: all_variance[..k].to_vec(),
            explained_variance_ratio: all_variance[..k].iter().map(|v| v / total).collect(),
            singular_values: s[..k].to_vec(),
            n_samples: n,
        })
    }

    /// Fits on aligned series given as columns (each the same length), the layout the rest of
    /// the crate uses (`correlation_matrix`).
    pub fn fit_columns(
        columns: &[&[f64]],
        n_components: Option<usize>,
    ) -> Result<Self, StatsError> {
        Self::fit(&columns_to_matrix(columns)?, n_components)
    }

    /// Scores (X - mean) C^T, n x k (sklearn `transform` without whitening).
    pub fn transform(&self, data: &DMatrix<f64>) -> Result<DMatrix<f64>, StatsError> {
        project(data, &self.mean, &self.components)
    }
}

/// Checks every entry is finite, naming the first bad one by its row-major position.
pub(crate) fn ensure_matrix_finite(data: &DMatrix<f64>) -> Result<(), StatsError> {
    let p = data.ncols();
    for i in 0..data.nrows() {
        for j in 0..p {
            if !data[(i, j)].is_finite() {
                return Err(StatsError::NonFinite { index: i * p + j });
            }
        }
    }
    Ok(())
}

/// Resolves the requested component count against its upper bound.
pub(crate) fn check_n_components(
    requested: Option<usize>,
    max: usize,
    bound: &str,
) -> Result<usize, StatsError> {
    match requested {
        None => Ok(max),
        Some(k) if k >= 1 && k <= max => Ok(k),
        Some(k) => Err(StatsError::InvalidParameter {
            name: "n_components",
            reason: format!("must lie in 1..={max} ({bound}), got {k}"),
        }),
    }
}

/// Builds an n x p matrix from p equal-length columns.
pub(crate) fn columns_to_matrix(columns: &[&[f64]]) -> Result<DMatrix<f64>, StatsError> {
    let n = columns.first().map_or(0, |c| c.len());
    for c in columns {
        if c.len() != n {
            return Err(StatsError::LengthMismatch {
                left: n,
                right: c.len(),
            });
        }
    }
    Ok(DMatrix::from_fn(n, columns.len(), |i, j| columns[j][i]))
}

/// (X - mean) C^T after checking shape and finiteness.
pub(crate) fn project(
    data: &DMatrix<f64>,
    mean: &[f64],
    components: &DMatrix<f64>,
) -> Result<DMatrix<f64>, StatsError> {
    if data.ncols() != mean.len() {
        return Err(StatsError::LengthMismatch {
            left: mean.len(),
            right: data.ncols(),
        });
    }
    ensure_matrix_finite(data)?;
    let mut centred = data.clone();
    for (j, m) in mean.iter().enumerate() {
        centred.column_mut(j).add_scalar_mut(-m);
    }
    Ok(centred * components.transpose())
}

/// Thin SVD with singular values descending and each row of Vt signed so that its largest
/// absolute entry is positive (sklearn `svd_flip(u, vt, u_based_decision=False)`; on exact ties
/// the first largest entry decides, as numpy's argmax does).
pub(crate) fn thin_svd_flipped(m: DMatrix<f64>) -> Result<(Vec<f64>, DMatrix<f64>), StatsError> {
    let energy = m.norm_squared();
    let svd = m
        .try_svd(false, true, SVD_EPS, SVD_MAX_ITERATIONS)
        .ok_or(StatsError::Singular("SVD did not converge"))?;
    let captured: f64 = svd.singular_values.iter().map(|v| v * v).sum();
    if (captured - energy).abs() > SVD_ENERGY_TOL * energy {
        return Err(StatsError::Singular(
            "SVD singular values do not account for the data's energy",
        ));
    }
    let mut vt = svd.v_t.ok_or(StatsError::Singular(
        "SVD returned no right singular vectors",
    ))?;
    let s: Vec<f64> = svd.singular_values.iter().copied().collect();
    for r in 0..vt.nrows() {
        let mut best = 0;
        for c in 1..vt.ncols() {
            if vt[(r, c)].abs() > vt[(r, best)].abs() {
                best = c;
            }
        }
        if vt[(r, best)] < 0.0 {
            vt.row_mut(r).neg_mut();
        }
    }
    Ok((s, vt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_example_two_perfectly_correlated_columns() {
        // y = 2x: one component along (1, 2)/sqrt(5) carrying all variance. x = 1..4 has sample
        // variance 5/3, so the component's variance is 5/3 * (1 + 4) = 25/3.
        let data = DMatrix::from_row_slice(4, 2, &[1.0, 2.0, 2.0, 4.0, 3.0, 6.0, 4.0, 8.0]);
        let p = Pca::fit(&data, None).unwrap();
        let r5 = 5f64.sqrt();
        assert!((p.components[(0, 0)] - 1.0 / r5).abs() < 1e-14);
        assert!((p.components[(0, 1)] - 2.0 / r5).abs() < 1e-14);
        assert!((p.explained_variance[0] - 25.0 / 3.0).abs() < 1e-12);
        assert!((p.explained_variance_ratio[0] - 1.0).abs() < 1e-14);
        assert!(p.explained_variance[1].abs() < 1e-12);
        assert_eq!(p.mean, vec![2.5, 5.0]);
        // Score of the first row: ((1, 2) - (2.5, 5)) . (1, 2)/sqrt(5) = -7.5/sqrt(5).
        let t = p.transform(&data).unwrap();
        assert!((t[(0, 0)] + 7.5 / r5).abs() < 1e-12);
    }

    #[test]
    fn edge_cases() {
        let one = DMatrix::from_row_slice(1, 2, &[1.0, 2.0]);
        assert!(matches!(
            Pca::fit(&one, None),
            Err(StatsError::TooShort { needed: 2, got: 1 })
        ));
        let constant = DMatrix::from_element(5, 3, 4.0);
        assert!(matches!(
            Pca::fit(&constant, None),
            Err(StatsError::InvalidParameter { .. })
        ));
        let mut nan = DMatrix::from_fn(5, 2, |i, j| (i * 2 + j * j) as f64);
        nan[(2, 1)] = f64::NAN;
        assert!(matches!(
            Pca::fit(&nan, None),
            Err(StatsError::NonFinite { index: 5 })
        ));
        let ok = DMatrix::from_fn(5, 2, |i, j| (i * i + 3 * j * i) as f64);
        assert!(matches!(
            Pca::fit(&ok, Some(3)),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            Pca::fit(&ok, Some(0)),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            Pca::fit_columns(&[&[1.0, 2.0], &[1.0]], None),
            Err(StatsError::LengthMismatch { .. })
        ));
        let p = Pca::fit(&ok, Some(1)).unwrap();
        assert!(matches!(
            p.transform(&DMatrix::from_element(2, 3, 1.0)),
            Err(StatsError::LengthMismatch { .. })
        ));
    }
}
