//! Simple and log returns of a price series, aligned to the prices.
//!
//! Output has the input's length with NaN at index 0 (no previous price), so return `t` sits
//! next to price `t` like every other batch series in this crate.

/// r_t = p_t / p_{t-1} - 1; NaN at index 0 and wherever either price is NaN.
pub fn simple_returns(prices: &[f64]) -> Vec<f64> {
    pairwise(prices, |prev, cur| cur / prev - 1.0)
}

/// r_t = ln(p_t / p_{t-1}); NaN at index 0 and wherever either price is NaN.
pub fn log_returns(prices: &[f64]) -> Vec<f64> {
    pairwise(prices, |prev, cur| (cur / prev).ln())
}

fn pairwise(prices: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(prices.len());
    if prices.is_empty() {
        return out;
    }
    out.push(f64::NAN);
    out.extend(prices.windows(2).map(|w| f(w[0], w[1])));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges() {
        assert!(simple_returns(&[]).is_empty());
        assert!(simple_returns(&[5.0])[0].is_nan());
        let r = simple_returns(&[100.0, 110.0, 99.0]);
        assert!(r[0].is_nan());
        assert!((r[1] - 0.1).abs() < 1e-15 && (r[2] + 0.1).abs() < 1e-15);
        let l = log_returns(&[100.0, 100.0 * std::f64::consts::E]);
        assert!((l[1] - 1.0).abs() < 1e-15);
        assert_eq!(log_returns(&[3.0, 3.0, 3.0])[1..], [0.0, 0.0]);
    }
}
