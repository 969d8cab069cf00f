//! Shared loaders for the timeseries/ reference tests (fixtures from
//! tools/reference/ts_fixtures.py).
#![allow(dead_code)]

use optifire_ta::timeseries::Regression;
use serde_json::Value;

pub fn load(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/ts/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// JSON null is NaN; the script writes +-inf as +-1e308.
pub fn num(v: &Value) -> f64 {
    match v.as_f64() {
        None => f64::NAN,
        Some(x) if x >= 1e308 => f64::INFINITY,
        Some(x) if x <= -1e308 => f64::NEG_INFINITY,
        Some(x) => x,
    }
}

pub fn arr(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(num).collect()
}

pub fn regression(s: &str) -> Regression {
    match s {
        "n" => Regression::NoConstant,
        "c" => Regression::Constant,
        "ct" => Regression::ConstantTrend,
        "ctt" => Regression::ConstantTrendSquared,
        other => panic!("unknown regression {other}"),
    }
}

#[track_caller]
pub fn close_rel(what: &str, got: f64, want: f64, rel: f64) {
    let ok = got == want || (got - want).abs() <= rel * got.abs().max(want.abs());
    assert!(ok, "{what}: got {got}, want {want} (rel {rel:e})");
}

#[track_caller]
pub fn close_abs(what: &str, got: f64, want: f64, tol: f64) {
    let ok = got == want || (got - want).abs() <= tol;
    assert!(ok, "{what}: got {got}, want {want} (abs {tol:e})");
}
