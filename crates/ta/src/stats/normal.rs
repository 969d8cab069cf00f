//! Standard normal cdf, pdf and quantile as plain functions, to full double precision.
//!
//! The risk formulas (parametric VaR, Cornish-Fisher, Lo, PSR/DSR) need them. statrs 0.19's
//! erfc is only ~1e-10 accurate (truncated interval constants, fixed upstream after 0.19.1), so
//! the cdf uses libm's erfc (musl, < 1 ulp) and the quantile polishes statrs' erfc_inv with one
//! Newton step against that cdf.

use statrs::function::erf::erfc_inv;

/// Phi(x) = P(Z <= x), computed as erfc(-x / sqrt 2) / 2 so the left tail keeps its digits.
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Phi^{-1}(p) for p in [0, 1] (-inf at 0, +inf at 1, NaN outside).
pub fn norm_ppf(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let x = -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p);
    if !x.is_finite() {
        return x;
    }
    // One Newton step on the upper or lower tail, whichever keeps relative precision.
    let pdf = norm_pdf(x);
    if pdf == 0.0 {
        return x;
    }
    let resid = if x > 0.0 {
        (1.0 - p) - norm_cdf(-x)
    } else {
        norm_cdf(x) - p
    };
    x - resid / pdf
}

#[cfg(test)]
mod tests {
    use super::*;

    // Published table values (also scipy.stats.norm): Phi^{-1}(0.975) = 1.959963984540054,
    // Phi^{-1}(0.05) = -1.6448536269514729, Phi(1) = 0.8413447460685429,
    // Phi(-5) = 2.866515718791939e-7.
    #[test]
    fn table_values() {
        assert!((norm_ppf(0.975) - 1.959963984540054).abs() < 1e-15);
        assert!((norm_ppf(0.05) + 1.6448536269514729).abs() < 1e-15);
        let c = norm_cdf(1.0);
        assert!((c - 0.8413447460685429).abs() < 2e-16, "{c:e}");
        let t = norm_cdf(-5.0);
        assert!((t / 2.866515718791939e-7 - 1.0).abs() < 1e-14, "{t:e}");
        assert!((norm_pdf(0.0) - 0.3989422804014327).abs() < 1e-16);
        assert!(norm_ppf(1.5).is_nan());
        assert_eq!(norm_ppf(0.0), f64::NEG_INFINITY);
    }
}
