//! Fixture loading and comparison helpers shared by the signal_*.rs reference tests.

#![allow(dead_code)]

use serde_json::Value;

pub fn load(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/signal/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A JSON number, or the strings "nan"/"inf"/"-inf" the script writes for non-finite values.
pub fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        _ => v.as_f64().unwrap(),
    }
}

pub fn arr(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(num).collect()
}

pub fn mat(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(arr).collect()
}

/// |got - want| <= tol * max(1, |want|): absolute near zero, relative for large values.
#[track_caller]
pub fn close(what: &str, got: f64, want: f64, tol: f64) {
    let ok = (got - want).abs() <= tol * want.abs().max(1.0) || (got.is_infinite() && got == want);
    assert!(
        ok,
        "{what}: got {got:e}, want {want:e}, diff {:e}",
        got - want
    );
}

#[track_caller]
pub fn close_all(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what} length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(&format!("{what}[{i}]"), *g, *w, tol);
    }
}
