//! Incremental PCA over batches of observations, matching scikit-learn's `IncrementalPCA`
//! (Ross et al. 2008 update with sklearn's mean correction).
//!
//! Lets the live engine update factor loadings one batch of bars at a time without keeping the
//! whole history; following sklearn's update exactly means a research fit with the same
//! batch_size gives the same components.

use nalgebra::DMatrix;

use super::pca::{check_n_components, ensure_matrix_finite, project, thin_svd_flipped};
use crate::stats::StatsError;

/// Incremental PCA state after zero or more `partial_fit` calls.
#[derive(Debug, Clone, PartialEq)]
pub struct IncrementalPca {
    n_features: usize,
    n_components: usize,
    n_samples_seen: usize,
    mean: Vec<f64>,
    var: Vec<f64>,
    components: DMatrix<f64>,
    singular_values: Vec<f64>,
    explained_variance: Vec<f64>,
    explained_variance_ratio: Vec<f64>,
}

impl IncrementalPca {
    /// An empty model for `n_features` columns keeping `n_components` (1..=n_features).
    pub fn new(n_features: usize, n_components: usize) -> Result<Self, StatsError> {
        let k = check_n_components(Some(n_components), n_features, "n_features")?;
        Ok(IncrementalPca {
            n_features,
            n_components: k,
            n_samples_seen: 0,
            mean: vec![0.0; n_features],
            var: vec![0.0; n_features],
            components: DMatrix::zeros(0, n_features),
            singular_values: Vec::new(),
            explained_variance: Vec::new(),
            explained_variance_ratio: Vec::new(),
        })
    }

    /// `IncrementalPCA(n_components, batch_size).fit(data)`: splits the rows like sklearn's
    /// `gen_batches(n, batch_size, min_batch_size=n_components or 0)` (a tail shorter than
    /// n_components is merged into the previous batch) and feeds them to `partial_fit`.
    /// `n_components` None keeps all n_features components; then only the first batch must hold
    /// n_features rows and a short tail is fitted on its own, as in sklearn.
    pub fn fit(
        data: &DMatrix<f64>,
        n_components: Option<usize>,
        batch_size: usize,
    ) -> Result<Self, StatsError> {
        if batch_size == 0 {
            return Err(StatsError::InvalidWindow { got: 0, min: 1 });
        }
        let p = data.ncols();
        let mut model = Self::new(p, n_components.unwrap_or(p))?;
        // sklearn passes `min_batch_size=self.n_components or 0`: no merging when None.
        for (start, len) in gen_batches(data.nrows(), batch_size, n_components.unwrap_or(0)) {
            model.partial_fit(&data.rows(start, len).into_owned())?;
        }
        Ok(model)
    }

    /// Folds one batch (rows = observations) into the model. The first batch needs at least
    /// n_components rows (sklearn's rule); every batch needs at least one row.
    pub fn partial_fit(&mut self, batch: &DMatrix<f64>) -> Result<(), StatsError> {
        let (b, p) = batch.shape();
        if p != self.n_features {
            return Err(StatsError::LengthMismatch {
                left: self.n_features,
                right: p,
            });
        }
        let needed = if self.n_samples_seen == 0 {
            self.n_components
        } else {
            1
        };
        if b < needed {
            return Err(StatsError::TooShort { needed, got: b });
        }
        ensure_matrix_finite(batch)?;

        let (col_mean, col_var, total) = self.updated_mean_and_var(batch);
        let batch_mean: Vec<f64> = (0..p).map(|j| batch.column(j).sum() / b as f64).collect();
        let stacked = if self.n_samples_seen == 0 {
            let mut x = batch.clone();
            for (j, m) in col_mean.iter().enumerate() {
                x.column_mut(j).add_scalar_mut(-m);
            }
            x
        } else {
            // [diag(S) Vt ; X - batch mean ; sqrt(seen / total * b) (old mean - batch mean)]
            let k = self.singular_values.len();
            let scale = ((self.n_samples_seen as f64 / total as f64) * b as f64).sqrt();
            let mut x = DMatrix::zeros(k + b + 1, p);
            for r in 0..k {
                for j in 0..p {
                    x[(r, j)] = self.singular_values[r] * self.components[(r, j)];
                }
            }
            for i in 0..b {
                for j in 0..p {
                    x[(k + i, j)] = batch[(i, j)] - batch_mean[j];
                }
            }
            for j in 0..p {
                x[(k + b, j)] = scale * (self.mean[j] - batch_mean[j]);
            }
            x
        };
        let (s, vt) = thin_svd_flipped(stacked)?;
        let k = self.n_components.min(s.len());
        let total_f = total as f64;
        let total_ss: f64 = col_var.iter().map(|v| v * total_f).sum();
        self.n_samples_seen = total;
        self.components = vt.rows(0, k).into_owned();
        self.singular_values = s[..k].to_vec();
        self.explained_variance = s[..k].iter().map(|v| v * v / (total_f - 1.0)).collect();
        self.explained_variance_ratio = s[..k].iter().map(|v| v * v / total_ss).collect();
        self.mean = col_mean;
        self.var = col_var;
        Ok(())
    }

    /// sklearn `_incremental_mean_and_var` (Chan, Golub & LeVeque pairwise update) for the
    /// population variance (divided by the count).
    fn updated_mean_and_var(&self, batch: &DMatrix<f64>) -> (Vec<f64>, Vec<f64>, usize) {
        let b = batch.nrows();
        let bf = b as f64;
        let last = self.n_samples_seen as f64;
        let total = self.n_samples_seen + b;
        let tf = total as f64;
        let mut means = Vec::with_capacity(self.n_features);
        let mut vars = Vec::with_capacity(self.n_features);
        for j in 0..self.n_features {
            let col = batch.column(j);
            let last_sum = self.mean[j] * last;
            let new_sum = col.sum();
            means.push((last_sum + new_sum) / tf);
            let t = new_sum / bf;
            let correction: f64 = col.iter().map(|v| v - t).sum();
            let new_ss: f64 =
                col.iter().map(|v| (v - t) * (v - t)).sum::<f64>() - correction * correction / bf;
            let ss = if self.n_samples_seen == 0 {
                new_ss
            } else {
                let last_over_new = last / bf;
                let d = last_sum / last_over_new - new_sum;
                self.var[j] * last + new_ss + last_over_new / tf * d * d
            };
            vars.push(ss / tf);
        }
        (means, vars, total)
    }

    /// Scores (X - mean) C^T, n x k; refuses a model that has seen no data.
    pub fn transform(&self, data: &DMatrix<f64>) -> Result<DMatrix<f64>, StatsError> {
        if self.n_samples_seen == 0 {
            return Err(StatsError::TooShort { needed: 1, got: 0 });
        }
        project(data, &self.mean, &self.components)
    }

    /// k x p loadings, one component per row (`components_`).
    pub fn components(&self) -> &DMatrix<f64> {
        &self.components
    }
    /// Running per-column mean (`mean_`).
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }
    /// Running per-column population variance (`var_`).
    pub fn var(&self) -> &[f64] {
        &self.var
    }
    /// `singular_values_`.
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }
    /// S^2 / (n_seen - 1) (`explained_variance_`).
    pub fn explained_variance(&self) -> &[f64] {
        &self.explained_variance
    }
    /// S^2 / (n_seen * sum of var) (`explained_variance_ratio_`).
    pub fn explained_variance_ratio(&self) -> &[f64] {
        &self.explained_variance_ratio
    }
    /// Observations folded in so far (`n_samples_seen_`).
    pub fn n_samples_seen(&self) -> usize {
        self.n_samples_seen
    }
}

/// sklearn `gen_batches(n, batch_size, min_batch_size)` as (start, len) pairs.
fn gen_batches(n: usize, batch_size: usize, min_batch_size: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for _ in 0..n / batch_size {
        let end = start + batch_size;
        if end + min_batch_size > n {
            continue;
        }
        out.push((start, batch_size));
        start = end;
    }
    if start < n {
        out.push((start, n - start));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_follow_sklearn_gen_batches() {
        // list(gen_batches(7, 3)) = [0:3, 3:6, 6:7]; gen_batches(7, 3, min_batch_size=2)
        // = [0:3, 3:7].
        assert_eq!(gen_batches(7, 3, 0), vec![(0, 3), (3, 3), (6, 1)]);
        assert_eq!(gen_batches(7, 3, 2), vec![(0, 3), (3, 4)]);
        assert_eq!(gen_batches(6, 3, 0), vec![(0, 3), (3, 3)]);
        assert_eq!(gen_batches(2, 5, 0), vec![(0, 2)]);
    }

    #[test]
    fn one_batch_equals_batch_pca() {
        // With a single batch the update is plain PCA of the centred data (independent path:
        // the closed-form example of pca.rs, y = 2x).
        let data = DMatrix::from_row_slice(4, 2, &[1.0, 2.0, 2.0, 4.0, 3.0, 6.0, 4.0, 8.0]);
        let m = IncrementalPca::fit(&data, Some(1), 10).unwrap();
        let r5 = 5f64.sqrt();
        assert!((m.components()[(0, 0)] - 1.0 / r5).abs() < 1e-14);
        assert!((m.explained_variance()[0] - 25.0 / 3.0).abs() < 1e-12);
        // var_ is the population variance: x = 1..4 gives 1.25, y = 2x gives 5.
        assert!((m.var()[0] - 1.25).abs() < 1e-14 && (m.var()[1] - 5.0).abs() < 1e-14);
    }

    #[test]
    fn edge_cases() {
        assert!(matches!(
            IncrementalPca::new(3, 0),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            IncrementalPca::new(3, 4),
            Err(StatsError::InvalidParameter { .. })
        ));
        let mut m = IncrementalPca::new(3, 2).unwrap();
        assert!(m.transform(&DMatrix::zeros(1, 3)).is_err());
        assert!(matches!(
            m.partial_fit(&DMatrix::zeros(1, 3)),
            Err(StatsError::TooShort { needed: 2, got: 1 })
        ));
        assert!(matches!(
            m.partial_fit(&DMatrix::zeros(4, 2)),
            Err(StatsError::LengthMismatch { .. })
        ));
        let mut bad = DMatrix::from_fn(4, 3, |i, j| (i + j) as f64);
        bad[(1, 0)] = f64::NAN;
        assert!(matches!(
            m.partial_fit(&bad),
            Err(StatsError::NonFinite { index: 3 })
        ));
        assert!(matches!(
            IncrementalPca::fit(&DMatrix::zeros(4, 3), None, 0),
            Err(StatsError::InvalidWindow { .. })
        ));
    }
}
