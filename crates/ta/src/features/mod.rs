//! Named features (`rsi_14`, `bbands_20_2`, `macd_12_26_9`, ...) computed from OHLCV columns.
//!
//! One vocabulary for `optifire features` (the research tool) and anything else that asks for a
//! feature by name, so a number a user checks with the tool is the number the engine computes.

mod spec;

pub use spec::{FeatureSpec, VALID_FEATURES};

use crate::filters::{local_level, LocalLevelParams};
use crate::returns::{log_returns, realized_volatility, TRADING_DAYS_PER_YEAR};
use crate::timeseries::{ffd_weights, frac_diff_ffd};
use crate::{average, momentum, volatility, volume};

/// Columns of bars, oldest first, all the same length.
#[derive(Debug, Clone, Copy)]
pub struct Ohlcv<'a> {
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    pub volume: &'a [f64],
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeatureError {
    #[error("unknown feature {name:?}; valid: {valid}", valid = VALID_FEATURES)]
    Unknown { name: String },
    #[error("feature {name:?}: {reason}")]
    Invalid { name: String, reason: String },
}

/// Computes one feature; returns its output columns (name, values), each as long as the input.
pub fn compute(spec: &FeatureSpec, d: Ohlcv<'_>) -> Result<Vec<(String, Vec<f64>)>, FeatureError> {
    let name = spec.to_string();
    let fail = |e: &dyn std::fmt::Display| FeatureError::Invalid {
        name: name.clone(),
        reason: e.to_string(),
    };
    let one = |v: Vec<f64>| vec![(name.clone(), v)];
    let (h, l, c, v) = (d.high, d.low, d.close, d.volume);
    Ok(match *spec {
        FeatureSpec::Sma(n) => one(average::sma(c, n).map_err(|e| fail(&e))?),
        FeatureSpec::Ema(n) => one(average::ema(c, n).map_err(|e| fail(&e))?),
        FeatureSpec::Wma(n) => one(average::wma(c, n).map_err(|e| fail(&e))?),
        FeatureSpec::Rsi(n) => one(momentum::rsi(c, n).map_err(|e| fail(&e))?),
        FeatureSpec::Atr(n) => one(volatility::atr(h, l, c, n).map_err(|e| fail(&e))?),
        FeatureSpec::Stddev(n) => one(volatility::stddev(c, n, 1.0).map_err(|e| fail(&e))?),
        FeatureSpec::Roc(n) => one(momentum::roc(c, n).map_err(|e| fail(&e))?),
        FeatureSpec::Mom(n) => one(momentum::mom(c, n).map_err(|e| fail(&e))?),
        FeatureSpec::Adx(n) => one(momentum::adx(h, l, c, n).map_err(|e| fail(&e))?),
        FeatureSpec::Cci(n) => one(momentum::cci(h, l, c, n).map_err(|e| fail(&e))?),
        FeatureSpec::Willr(n) => one(momentum::willr(h, l, c, n).map_err(|e| fail(&e))?),
        FeatureSpec::Mfi(n) => one(volume::mfi(h, l, c, v, n).map_err(|e| fail(&e))?),
        FeatureSpec::Obv => one(volume::obv(c, v).map_err(|e| fail(&e))?),
        FeatureSpec::Trange => one(volatility::trange(h, l, c).map_err(|e| fail(&e))?),
        FeatureSpec::Bbands(n, k) => {
            let b = volatility::bbands(c, n, k, k).map_err(|e| fail(&e))?;
            vec![
                (format!("{name}_upper"), b.upper),
                (format!("{name}_middle"), b.middle),
                (format!("{name}_lower"), b.lower),
            ]
        }
        FeatureSpec::Macd(f, s, g) => {
            let m = momentum::macd(c, f, s, g).map_err(|e| fail(&e))?;
            vec![
                (name.clone(), m.macd),
                (format!("{name}_signal"), m.signal),
                (format!("{name}_hist"), m.hist),
            ]
        }
        FeatureSpec::Stoch(k, dp) => {
            let s = momentum::stoch(h, l, c, k, STOCH_SLOWK, dp).map_err(|e| fail(&e))?;
            vec![(format!("{name}_k"), s.k), (format!("{name}_d"), s.d)]
        }
        FeatureSpec::LogRet => one(log_returns(c)),
        FeatureSpec::Vol(n) => {
            one(realized_volatility(c, n, TRADING_DAYS_PER_YEAR).map_err(|e| fail(&e))?)
        }
        FeatureSpec::FracDiff(d) => {
            // FFD of the log close (AFML ch. 5 differences log prices), weights down to 1e-5.
            let logs: Vec<f64> = c.iter().map(|x| x.ln()).collect();
            let width = ffd_weights(d, FRACDIFF_THRESHOLD)
                .map_err(|e| fail(&e))?
                .len()
                - 1;
            let mut v = vec![f64::NAN; c.len()];
            if c.len() > width {
                let fd = frac_diff_ffd(&logs, d, FRACDIFF_THRESHOLD).map_err(|e| fail(&e))?;
                v[width..].copy_from_slice(&fd);
            }
            one(v)
        }
        FeatureSpec::Kalman => {
            let Some(&c0) = c.first() else {
                return Ok(one(Vec::new()));
            };
            one(local_level(c, kalman_params(c0))
                .map_err(|e| fail(&e))?
                .into_iter()
                .map(|e| e.level)
                .collect())
        }
    })
}

/// Weight cut-off of `fracdiff_D`: weights are kept while |w_k| ≥ 1e-5.
pub const FRACDIFF_THRESHOLD: f64 = 1e-5;

/// `stoch_K_D` is TA-Lib's STOCH(fastk=K, slowk=3, slowd=D): the classic slow stochastic, so
/// `stoch_5_3` is TA-Lib's default STOCH(5, 3, 3).
pub const STOCH_SLOWK: usize = 3;

/// `kalman`: local-level filter of the close. Scale-free and free of look-ahead, its variances
/// are set from the first close c0 only: observation noise r = (1% of c0)², level step
/// q = (0.2% of c0)², prior level c0 with variance r.
pub fn kalman_params(c0: f64) -> LocalLevelParams {
    let r = (0.01 * c0).powi(2);
    LocalLevelParams {
        q: (0.002 * c0).powi(2),
        r,
        initial_level: c0,
        initial_variance: r,
    }
}
