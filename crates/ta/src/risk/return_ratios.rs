//! The annual return, annual volatility, Sharpe and Sortino ratios of one return series, read
//! together (zero risk-free rate and zero required return, the backtest report's).
//!
//! Why: a report asks all four of the same daily returns, and each function alone walks the
//! series two to five times (finiteness, equality, the mean, the squared deviations, the
//! downside, the growth product): sixteen walks in all, each a chain of dependent additions or
//! products. Every sum that does not need the mean is formed here in one loop (the chains run
//! side by side), the mean and the squared deviations once for all: three walks. Each result
//! has the bits and the error of the function it stands for: the same operations on the same
//! values in the same order (a test compares them on many series).

use super::annual_return::check_periods;
use crate::stats::StatsError;

/// The four ratios `return_ratios` works out, each as its own function would give it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnRatios {
    /// `annual_return(returns, ppy)`.
    pub annual_return: Result<f64, StatsError>,
    /// `annual_volatility(returns, ppy)`.
    pub annual_volatility: Result<f64, StatsError>,
    /// `sharpe_ratio(returns, 0.0, ppy)`.
    pub sharpe: Result<f64, StatsError>,
    /// `sortino_ratio(returns, 0.0, ppy)`.
    pub sortino: Result<f64, StatsError>,
}

/// The sums of the first walk.
struct Sums {
    /// Index of the first value that is not finite.
    non_finite: Option<usize>,
    /// Whether every value equals the one before it.
    all_equal: bool,
    /// `returns.iter().sum()`.
    sum: f64,
    /// `Σ min(r - 0, 0)²`, as `downside_risk` adds it.
    downside: f64,
    /// `Π (1 + r)`, as `annual_return` multiplies it.
    growth: f64,
}

fn first_walk(returns: &[f64]) -> Sums {
    // Each sum starts where the standard library's `sum` and `product` start (`-0.0` for an
    // empty f64 sum, not `0.0`), taken from the library itself rather than assumed.
    let mut s = Sums {
        non_finite: None,
        all_equal: true,
        sum: std::iter::empty::<f64>().sum(),
        downside: std::iter::empty::<f64>().sum(),
        growth: std::iter::empty::<f64>().product(),
    };
    let mut prev: Option<f64> = None;
    for (i, &r) in returns.iter().enumerate() {
        if s.non_finite.is_none() && !r.is_finite() {
            s.non_finite = Some(i);
        }
        if let Some(p) = prev {
            s.all_equal &= p == r;
        }
        prev = Some(r);
        s.sum += r;
        let below = (r - 0.0).min(0.0);
        s.downside += below.powi(2);
        s.growth *= 1.0 + r;
    }
    s
}

/// `annual_return`, `annual_volatility`, `sharpe_ratio` and `sortino_ratio` of `returns` with
/// a zero risk-free rate and a zero required return, in three walks of the series.
pub fn return_ratios(returns: &[f64], periods_per_year: f64) -> ReturnRatios {
    let n = returns.len();
    let s = first_walk(returns);
    let too_short = |needed: usize| StatsError::TooShort { needed, got: n };
    let finite = || match s.non_finite {
        Some(index) => Err(StatsError::NonFinite { index }),
        None => Ok(()),
    };
    let mean = s.sum / n as f64;

    // `std_dev(returns, 1)`: length, finiteness, then zero for equal values.
    let std_dev = (|| {
        if n < 2 {
            return Err(too_short(2));
        }
        finite()?;
        if s.all_equal {
            return Ok(0.0f64.sqrt());
        }
        let sq: f64 = returns.iter().map(|x| (x - mean) * (x - mean)).sum();
        Ok((sq / (n - 1) as f64).sqrt())
    })();

    let annual_return = (|| {
        if n < 1 {
            return Err(too_short(1));
        }
        finite()?;
        check_periods(periods_per_year)?;
        let years = n as f64 / periods_per_year;
        Ok(s.growth.powf(1.0 / years) - 1.0)
    })();

    let annual_volatility = check_periods(periods_per_year)
        .and_then(|()| std_dev.clone())
        .map(|sd| sd * periods_per_year.sqrt());

    let sharpe = check_periods(periods_per_year)
        .and_then(|()| std_dev.clone())
        .map(|sd| {
            if sd == 0.0 {
                f64::NAN
            } else {
                mean / sd * periods_per_year.sqrt()
            }
        });

    let sortino = (|| {
        if n < 2 {
            return Err(too_short(2));
        }
        // `downside_risk`: periods, length (one), finiteness.
        check_periods(periods_per_year)?;
        finite()?;
        let dr = (s.downside / n as f64).sqrt() * periods_per_year.sqrt();
        if dr == 0.0 {
            return Ok(f64::NAN);
        }
        Ok(mean * periods_per_year / dr)
    })();

    ReturnRatios {
        annual_return,
        annual_volatility,
        sharpe,
        sortino,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::{annual_return, annual_volatility, sharpe_ratio, sortino_ratio};

    fn same(got: &Result<f64, StatsError>, want: &Result<f64, StatsError>, what: &str) {
        match (got, want) {
            (Ok(a), Ok(b)) => assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{what}: {a:e} vs {b:e}"
            ),
            _ => assert_eq!(got, want, "{what}"),
        }
    }

    fn check(returns: &[f64], ppy: f64) {
        let got = return_ratios(returns, ppy);
        let what = |name: &str| format!("{name} of {} returns, ppy {ppy}", returns.len());
        same(
            &got.annual_return,
            &annual_return(returns, ppy),
            &what("annual_return"),
        );
        same(
            &got.annual_volatility,
            &annual_volatility(returns, ppy),
            &what("annual_volatility"),
        );
        same(
            &got.sharpe,
            &sharpe_ratio(returns, 0.0, ppy),
            &what("sharpe"),
        );
        same(
            &got.sortino,
            &sortino_ratio(returns, 0.0, ppy),
            &what("sortino"),
        );
    }

    /// The four functions' results, bit for bit and error for error, on series of every kind:
    /// empty to long, constant, all positive (no downside), signed zeros, tiny and huge values,
    /// NaN and infinities at random places, and bad periods per year.
    #[test]
    fn each_ratio_is_its_functions() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let ppys = [
            252.0,
            365.0,
            12.0,
            1.0,
            0.5,
            0.0,
            -252.0,
            f64::NAN,
            f64::INFINITY,
        ];
        for case in 0..4000u64 {
            let len = match case % 5 {
                0 => (next() % 4) as usize,
                1 => (next() % 40) as usize,
                _ => (next() % 1500) as usize,
            };
            let kind = next() % 9;
            let mut r: Vec<f64> = (0..len)
                .map(|_| {
                    let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
                    match kind {
                        0 => 0.001,
                        1 => u * 0.02,
                        2 => [0.0, -0.0][(next() % 2) as usize],
                        3 => (u - 0.5) * 1e-300,
                        4 => (u - 0.5) * 1e300,
                        5 => f64::from_bits(next()),
                        _ => (u - 0.5) * 0.04,
                    }
                })
                .collect();
            if len > 0 && next() % 6 == 0 {
                for _ in 0..1 + next() % 3 {
                    let at = (next() % len as u64) as usize;
                    r[at] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][(next() % 3) as usize];
                }
            }
            let ppy = if case % 7 == 0 {
                ppys[(next() % ppys.len() as u64) as usize]
            } else {
                252.0
            };
            check(&r, ppy);
        }
        // A real-looking series: the daily returns of a compounding walk.
        let r: Vec<f64> = (0..5000)
            .map(|i| ((i as f64) * 0.37).sin() * 0.015 + 0.0002)
            .collect();
        check(&r, 252.0);
        check(&r, 365.0);
    }
}
