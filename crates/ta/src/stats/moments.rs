//! Sample moments (mean, variance, skewness, kurtosis) in the conventions the risk formulas cite.
//!
//! Two skew/kurtosis conventions exist and the papers differ: Cornish-Fisher uses the
//! bias-corrected G1/G2 (pandas `.skew()`/`.kurt()`), PSR/DSR use the plain moment ratios
//! (scipy `skew(bias=True)`, `kurtosis(fisher=False)`). Both are here, named by convention.

use super::error::{ensure_finite, ensure_len, StatsError};

/// Arithmetic mean; NaN for an empty slice (callers that need data check length first).
pub(crate) fn mean_unchecked(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sum of squared deviations from the mean (two-pass, the numerically safe form).
pub(crate) fn sum_sq_dev(xs: &[f64], mean: f64) -> f64 {
    xs.iter().map(|x| (x - mean) * (x - mean)).sum()
}

/// Arithmetic mean of finite values.
pub fn mean(xs: &[f64]) -> Result<f64, StatsError> {
    ensure_len(xs, 1)?;
    ensure_finite(xs)?;
    Ok(mean_unchecked(xs))
}

/// Variance with `ddof` delta degrees of freedom (1 = sample variance, as pandas/numpy ddof=1).
pub fn variance(xs: &[f64], ddof: usize) -> Result<f64, StatsError> {
    ensure_len(xs, ddof + 1)?;
    ensure_finite(xs)?;
    if all_equal(xs) {
        return Ok(0.0);
    }
    let m = mean_unchecked(xs);
    Ok(sum_sq_dev(xs, m) / (xs.len() - ddof) as f64)
}

/// Standard deviation with `ddof` delta degrees of freedom.
pub fn std_dev(xs: &[f64], ddof: usize) -> Result<f64, StatsError> {
    variance(xs, ddof).map(f64::sqrt)
}

/// True when every value equals the first: the floating mean of such values can differ from
/// them in the last bit, so zero dispersion is detected exactly instead.
pub(crate) fn all_equal(xs: &[f64]) -> bool {
    xs.windows(2).all(|w| w[0] == w[1])
}

/// Central moments m2, m3, m4 (divided by n).
fn central_moments(xs: &[f64]) -> (f64, f64, f64) {
    let n = xs.len() as f64;
    let m = mean_unchecked(xs);
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for x in xs {
        let d = x - m;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    (m2 / n, m3 / n, m4 / n)
}

/// Moment skewness g1 = m3 / m2^1.5 (scipy `skew(bias=True)`); NaN for zero variance.
pub fn skewness_biased(xs: &[f64]) -> Result<f64, StatsError> {
    ensure_len(xs, 1)?;
    ensure_finite(xs)?;
    if all_equal(xs) {
        return Ok(f64::NAN);
    }
    let (m2, m3, _) = central_moments(xs);
    Ok(m3 / m2.powf(1.5))
}

/// Bias-corrected skewness G1 = g1 sqrt(n(n-1))/(n-2) (scipy `skew(bias=False)`, pandas
/// `.skew()`); needs n >= 3.
pub fn skewness_unbiased(xs: &[f64]) -> Result<f64, StatsError> {
    ensure_len(xs, 3)?;
    let g1 = skewness_biased(xs)?;
    let n = xs.len() as f64;
    Ok(g1 * (n * (n - 1.0)).sqrt() / (n - 2.0))
}

/// Moment kurtosis m4 / m2^2, NOT excess (scipy `kurtosis(fisher=False, bias=True)`; 3 for a
/// normal). This is the gamma_4 of Bailey & Lopez de Prado.
pub fn kurtosis_biased(xs: &[f64]) -> Result<f64, StatsError> {
    ensure_len(xs, 1)?;
    ensure_finite(xs)?;
    if all_equal(xs) {
        return Ok(f64::NAN);
    }
    let (m2, _, m4) = central_moments(xs);
    Ok(m4 / (m2 * m2))
}

/// Bias-corrected excess kurtosis G2 (scipy `kurtosis(fisher=True, bias=False)`, pandas
/// `.kurt()`); needs n >= 4. G2 = ((n+1) g2 + 6) (n-1) / ((n-2)(n-3)), g2 = m4/m2^2 - 3.
pub fn excess_kurtosis_unbiased(xs: &[f64]) -> Result<f64, StatsError> {
    ensure_len(xs, 4)?;
    let g2 = kurtosis_biased(xs)? - 3.0;
    let n = xs.len() as f64;
    Ok(((n + 1.0) * g2 + 6.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Hand-checked textbook values for x = 1..=5: mean 3, sample variance 2.5, skew 0.
    #[test]
    fn small_sample() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(mean(&x).unwrap(), 3.0);
        assert_eq!(variance(&x, 1).unwrap(), 2.5);
        assert_eq!(variance(&x, 0).unwrap(), 2.0);
        assert_eq!(skewness_biased(&x).unwrap(), 0.0);
        // m4 = (16+1+0+1+16)/5 = 6.8, m2 = 2 -> 1.7
        assert!((kurtosis_biased(&x).unwrap() - 1.7).abs() < 1e-15);
        // G2 = ((6)(-1.3) + 6) * 4 / (3*2) = -1.2
        assert!((excess_kurtosis_unbiased(&x).unwrap() + 1.2).abs() < 1e-14);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(mean(&[]), Err(StatsError::TooShort { needed: 1, got: 0 }));
        assert_eq!(
            variance(&[1.0], 1),
            Err(StatsError::TooShort { needed: 2, got: 1 })
        );
        assert_eq!(
            mean(&[1.0, f64::NAN]),
            Err(StatsError::NonFinite { index: 1 })
        );
        assert_eq!(variance(&[0.1, 0.1, 0.1], 1).unwrap(), 0.0);
        assert!(skewness_biased(&[2.0, 2.0]).unwrap().is_nan());
    }
}
