//! Parsing feature names such as `bbands_20_2` into typed specifications.

use super::FeatureError;
use std::fmt;

/// Every accepted name pattern, shown when a name is not understood.
pub const VALID_FEATURES: &str =
    "sma_N, ema_N, wma_N, rsi_N, atr_N, stddev_N, roc_N, mom_N, adx_N, cci_N, willr_N, mfi_N, \
obv, trange, bbands_N_K, macd_F_S_G, stoch_K_D, logret, vol_N, kalman, fracdiff_D";

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FeatureSpec {
    Sma(usize),
    Ema(usize),
    Wma(usize),
    Rsi(usize),
    Atr(usize),
    Stddev(usize),
    Roc(usize),
    Mom(usize),
    Adx(usize),
    Cci(usize),
    Willr(usize),
    Mfi(usize),
    Obv,
    Trange,
    /// Period and the number of standard deviations (both bands).
    Bbands(usize, f64),
    Macd(usize, usize, usize),
    Stoch(usize, usize),
    LogRet,
    Vol(usize),
    Kalman,
    /// Fractional-differencing order d (fixed-width window).
    FracDiff(f64),
}

impl FeatureSpec {
    pub fn parse(name: &str) -> Result<FeatureSpec, FeatureError> {
        let unknown = || FeatureError::Unknown {
            name: name.to_string(),
        };
        let parts: Vec<&str> = name.trim().split('_').collect();
        let int = |s: &str| s.parse::<usize>().map_err(|_| unknown());
        use FeatureSpec::*;
        let spec = match parts.as_slice() {
            ["obv"] => Obv,
            ["trange"] => Trange,
            ["logret"] => LogRet,
            ["kalman"] => Kalman,
            ["sma", n] => Sma(int(n)?),
            ["ema", n] => Ema(int(n)?),
            ["wma", n] => Wma(int(n)?),
            ["rsi", n] => Rsi(int(n)?),
            ["atr", n] => Atr(int(n)?),
            ["stddev", n] => Stddev(int(n)?),
            ["roc", n] => Roc(int(n)?),
            ["mom", n] => Mom(int(n)?),
            ["adx", n] => Adx(int(n)?),
            ["cci", n] => Cci(int(n)?),
            ["willr", n] => Willr(int(n)?),
            ["mfi", n] => Mfi(int(n)?),
            ["vol", n] => Vol(int(n)?),
            ["bbands", n, k] => {
                let k: f64 = k.parse().map_err(|_| unknown())?;
                if !(k.is_finite() && k >= 0.0) {
                    return Err(unknown());
                }
                Bbands(int(n)?, k)
            }
            ["macd", f, s, g] => Macd(int(f)?, int(s)?, int(g)?),
            ["fracdiff", d] => {
                let d: f64 = d.parse().map_err(|_| unknown())?;
                if !(d.is_finite() && d >= 0.0) {
                    return Err(unknown());
                }
                FracDiff(d)
            }
            ["stoch", k, d] => Stoch(int(k)?, int(d)?),
            _ => return Err(unknown()),
        };
        // The name round-trips exactly, so output columns are "named exactly as requested".
        if spec.to_string() != name.trim() {
            return Err(unknown());
        }
        Ok(spec)
    }
}

impl fmt::Display for FeatureSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use FeatureSpec::*;
        match self {
            Sma(n) => write!(f, "sma_{n}"),
            Ema(n) => write!(f, "ema_{n}"),
            Wma(n) => write!(f, "wma_{n}"),
            Rsi(n) => write!(f, "rsi_{n}"),
            Atr(n) => write!(f, "atr_{n}"),
            Stddev(n) => write!(f, "stddev_{n}"),
            Roc(n) => write!(f, "roc_{n}"),
            Mom(n) => write!(f, "mom_{n}"),
            Adx(n) => write!(f, "adx_{n}"),
            Cci(n) => write!(f, "cci_{n}"),
            Willr(n) => write!(f, "willr_{n}"),
            Mfi(n) => write!(f, "mfi_{n}"),
            Obv => f.write_str("obv"),
            Trange => f.write_str("trange"),
            Bbands(n, k) => write!(f, "bbands_{n}_{k}"),
            Macd(a, b, c) => write!(f, "macd_{a}_{b}_{c}"),
            Stoch(k, d) => write!(f, "stoch_{k}_{d}"),
            LogRet => f.write_str("logret"),
            Vol(n) => write!(f, "vol_{n}"),
            Kalman => f.write_str("kalman"),
            FracDiff(d) => write!(f, "fracdiff_{d}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_pattern_and_round_trips_the_name() {
        for name in [
            "sma_20",
            "obv",
            "bbands_20_2",
            "bbands_20_2.5",
            "macd_12_26_9",
            "stoch_5_3",
            "vol_20",
            "kalman",
            "logret",
        ] {
            assert_eq!(FeatureSpec::parse(name).unwrap().to_string(), name);
        }
        assert_eq!(
            FeatureSpec::parse("bbands_20_2.5").unwrap(),
            FeatureSpec::Bbands(20, 2.5)
        );
    }

    #[test]
    fn unknown_and_malformed_names_list_the_valid_ones() {
        for bad in [
            "sma",
            "sma_x",
            "foo_3",
            "macd_12_26",
            "bbands_20_2.50",
            "sma_020",
            "rsi_-1",
        ] {
            let e = FeatureSpec::parse(bad).unwrap_err().to_string();
            assert!(e.contains("valid: sma_N"), "{bad}: {e}");
        }
    }
}
