//! Rolling realized volatility: annualized sample std of log returns over a trailing window.
//!
//! Volatility targeting and regime plugins size positions with it. Window n counts returns, so
//! the first value appears at price index n (n + 1 prices), as pandas
//! `log_returns.rolling(n).std() * sqrt(252)` gives.

use super::rolling::window_std;
use super::simple::log_returns;
use super::window::rolling_map;
use crate::stats::StatsError;

/// Trading days per year used to annualize daily statistics throughout the crate.
pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

/// Annualized realized volatility from prices: std(log returns, ddof=1) over `window` returns
/// times sqrt(`periods_per_year`). Same length as `prices`; constant prices give 0.
pub fn realized_volatility(
    prices: &[f64],
    window: usize,
    periods_per_year: f64,
) -> Result<Vec<f64>, StatsError> {
    if !(periods_per_year > 0.0 && periods_per_year.is_finite()) {
        return Err(StatsError::InvalidParameter {
            name: "periods_per_year",
            reason: format!("must be positive and finite, got {periods_per_year}"),
        });
    }
    let scale = periods_per_year.sqrt();
    rolling_map(&log_returns(prices), window, 2, |w| window_std(w) * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_prices_have_zero_vol() {
        let v = realized_volatility(&[10.0; 6], 3, 252.0).unwrap();
        assert!(v[..3].iter().all(|x| x.is_nan()));
        assert_eq!(v[3..], [0.0, 0.0, 0.0]);
        assert!(realized_volatility(&[1.0, 2.0], 3, 0.0).is_err());
        assert!(realized_volatility(&[], 3, 252.0).unwrap().is_empty());
        assert!(realized_volatility(&[1.0, 2.0], 5, 252.0)
            .unwrap()
            .iter()
            .all(|v| v.is_nan()));
        // A NaN price poisons the two returns next to it, hence every window holding them.
        let v = realized_volatility(&[1.0, 1.1, f64::NAN, 1.2, 1.3, 1.2, 1.1], 2, 252.0).unwrap();
        assert!(v[2].is_nan() && v[3].is_nan() && v[4].is_nan() && v[5].is_finite());
    }
}
