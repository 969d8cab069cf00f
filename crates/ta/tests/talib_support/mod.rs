//! Shared loader for the TA-Lib fixtures written by tools/reference/talib_fixtures.py, and the
//! dispatch from a fixture case (TA-Lib function name and parameters) to our batch functions.

#![allow(dead_code)]

use std::collections::BTreeMap;

use optifire_ta::{average, momentum, volatility, volume};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Fixture {
    pub series: String,
    pub inputs: Inputs,
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
pub struct Inputs {
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: String,
    pub function: String,
    pub params: BTreeMap<String, f64>,
    /// TA-Lib's outputs by name; `None` where TA-Lib has no value (its lookback).
    pub outputs: BTreeMap<String, Vec<Option<f64>>>,
}

pub fn load(name: &str) -> Fixture {
    let path = format!(
        "{}/tests/fixtures/talib/talib_{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn period(case: &Case, name: &str) -> usize {
    let v = case.params[name];
    assert!(v.fract() == 0.0 && v >= 0.0, "{}: {name} = {v}", case.id);
    v as usize
}

/// Runs our batch implementation of the case's TA-Lib function on `inp`.
pub fn compute(case: &Case, inp: &Inputs) -> BTreeMap<String, Vec<f64>> {
    let (h, l, c, v) = (&inp.high[..], &inp.low[..], &inp.close[..], &inp.volume[..]);
    let one = |x: Vec<f64>| BTreeMap::from([("real".to_string(), x)]);
    match case.function.as_str() {
        "SMA" => one(average::sma(c, period(case, "timeperiod")).unwrap()),
        "EMA" => one(average::ema(c, period(case, "timeperiod")).unwrap()),
        "WMA" => one(average::wma(c, period(case, "timeperiod")).unwrap()),
        "RSI" => one(momentum::rsi(c, period(case, "timeperiod")).unwrap()),
        "ATR" => one(volatility::atr(h, l, c, period(case, "timeperiod")).unwrap()),
        "TRANGE" => one(volatility::trange(h, l, c).unwrap()),
        "BBANDS" => {
            assert_eq!(
                case.params["matype"], 0.0,
                "only the SMA middle band exists"
            );
            let b = volatility::bbands(
                c,
                period(case, "timeperiod"),
                case.params["nbdevup"],
                case.params["nbdevdn"],
            )
            .unwrap();
            BTreeMap::from([
                ("upper".to_string(), b.upper),
                ("middle".to_string(), b.middle),
                ("lower".to_string(), b.lower),
            ])
        }
        "MACD" => {
            let m = momentum::macd(
                c,
                period(case, "fastperiod"),
                period(case, "slowperiod"),
                period(case, "signalperiod"),
            )
            .unwrap();
            BTreeMap::from([
                ("macd".to_string(), m.macd),
                ("signal".to_string(), m.signal),
                ("hist".to_string(), m.hist),
            ])
        }
        "STDDEV" => {
            one(volatility::stddev(c, period(case, "timeperiod"), case.params["nbdev"]).unwrap())
        }
        "ROC" => one(momentum::roc(c, period(case, "timeperiod")).unwrap()),
        "MOM" => one(momentum::mom(c, period(case, "timeperiod")).unwrap()),
        "ADX" => one(momentum::adx(h, l, c, period(case, "timeperiod")).unwrap()),
        "CCI" => one(momentum::cci(h, l, c, period(case, "timeperiod")).unwrap()),
        "STOCH" => {
            assert_eq!(
                case.params["slowk_matype"], 0.0,
                "only SMA smoothing exists"
            );
            assert_eq!(
                case.params["slowd_matype"], 0.0,
                "only SMA smoothing exists"
            );
            let s = momentum::stoch(
                h,
                l,
                c,
                period(case, "fastk_period"),
                period(case, "slowk_period"),
                period(case, "slowd_period"),
            )
            .unwrap();
            BTreeMap::from([("slowk".to_string(), s.k), ("slowd".to_string(), s.d)])
        }
        "OBV" => one(volume::obv(c, v).unwrap()),
        "MFI" => one(volume::mfi(h, l, c, v, period(case, "timeperiod")).unwrap()),
        "WILLR" => one(momentum::willr(h, l, c, period(case, "timeperiod")).unwrap()),
        other => panic!("no implementation mapped for TA-Lib function {other}"),
    }
}
