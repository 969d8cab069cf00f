//! returns/ against pandas/numpy outputs recorded by tools/reference/risk_fixtures.py
//! (fixture crates/ta/tests/fixtures/ref/returns.json, real SPY/TLT/GLD daily closes).
//! Tolerance: 1e-9 relative (plus 1e-15 absolute for values at zero); NaN must match NaN.

use optifire_ta::returns::*;
use serde_json::Value;

const REL: f64 = 1e-9;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/ref/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn arr(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(num).collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * a.abs().max(b.abs()) + 1e-15
}

fn assert_vec(what: &str, got: &[f64], want: &[f64], rel: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, *w, rel), "{what}[{i}]: got {g}, want {w}");
    }
}

#[test]
fn simple_and_log_returns() {
    let f = load("returns.json");
    let spy = arr(&f["spy"]);
    assert_vec(
        "simple",
        &simple_returns(&spy),
        &arr(&f["simple_returns"]),
        REL,
    );
    assert_vec("log", &log_returns(&spy), &arr(&f["log_returns"]), REL);
    let nan = arr(&f["spy_with_nan"]);
    let want = arr(&f["simple_returns_with_nan"]);
    assert_vec("simple with NaN", &simple_returns(&nan), &want, REL);
    let i = f["nan_index"].as_u64().unwrap() as usize;
    assert!(want[i].is_nan() && want[i + 1].is_nan());
}

#[test]
fn rolling_statistics() {
    let f = load("returns.json");
    let spy = arr(&f["spy"]);
    let w = f["window"].as_u64().unwrap() as usize;
    let rv = realized_volatility(&spy, w, TRADING_DAYS_PER_YEAR).unwrap();
    assert_vec("realized vol", &rv, &arr(&f["realized_vol"]), REL);
    assert!(rv[w - 1].is_nan() && rv[w].is_finite());
    assert_vec(
        "mean",
        &rolling_mean(&spy, w).unwrap(),
        &arr(&f["rolling_mean"]),
        REL,
    );
    assert_vec(
        "std",
        &rolling_std(&spy, w).unwrap(),
        &arr(&f["rolling_std"]),
        REL,
    );
    let z = rolling_zscore(&spy, w).unwrap();
    assert_vec("zscore", &z, &arr(&f["rolling_zscore"]), REL);
    let nan = arr(&f["spy_with_nan"]);
    let m = rolling_mean(&nan, w).unwrap();
    assert_vec("mean with NaN", &m, &arr(&f["rolling_mean_with_nan"]), REL);
    let s = rolling_std(&nan, w).unwrap();
    assert_vec("std with NaN", &s, &arr(&f["rolling_std_with_nan"]), REL);
}

#[test]
fn rolling_pair_statistics() {
    let f = load("returns.json");
    let x = log_returns(&arr(&f["spy"]));
    let y = log_returns(&arr(&f["tlt"]));
    let w = f["window"].as_u64().unwrap() as usize;
    let cov = rolling_covariance(&x, &y, w).unwrap();
    assert_vec("cov", &cov, &arr(&f["rolling_cov"]), REL);
    let corr = rolling_correlation(&x, &y, w).unwrap();
    assert_vec("corr", &corr, &arr(&f["rolling_corr"]), REL);
    let beta = rolling_beta(&x, &y, w).unwrap();
    assert_vec("beta", &beta, &arr(&f["rolling_beta"]), REL);
}

#[test]
fn correlation_matrix_matches_numpy_corrcoef() {
    let f = load("returns.json");
    let r: Vec<Vec<f64>> = ["spy", "tlt", "gld"]
        .iter()
        .map(|k| log_returns(&arr(&f[*k]))[1..].to_vec())
        .collect();
    let m = correlation_matrix(&[&r[0], &r[1], &r[2]]).unwrap();
    let want = f["corrcoef"].as_array().unwrap();
    for i in 0..3 {
        let row = arr(&want[i]);
        for j in 0..3 {
            assert!(close(m[(i, j)], row[j], REL), "corrcoef[{i}][{j}]");
        }
    }
}

#[test]
fn ewm_matches_pandas() {
    let f = load("returns.json");
    let x = log_returns(&arr(&f["spy"]));
    let y = log_returns(&arr(&f["tlt"]));
    let nan = arr(&f["spy_with_nan"]);
    for case in f["ewm"].as_array().unwrap() {
        let value = num(&case["value"]);
        let adjust = case["adjust"].as_bool().unwrap();
        let kind = case["kind"].as_str().unwrap();
        let spec = match kind {
            "span" => EwmSpec::span(value, adjust),
            "alpha" => EwmSpec::alpha(value, adjust),
            "com" => EwmSpec::com(value, adjust),
            "halflife" => EwmSpec::halflife(value, adjust),
            other => panic!("unknown spec {other}"),
        }
        .unwrap();
        let tag = format!("{kind}={value} adjust={adjust}");
        assert_vec(
            &format!("mean {tag}"),
            &ewm_mean(&x, spec),
            &arr(&case["mean"]),
            REL,
        );
        assert_vec(
            &format!("var {tag}"),
            &ewm_var(&x, spec),
            &arr(&case["var"]),
            REL,
        );
        assert_vec(
            &format!("std {tag}"),
            &ewm_std(&x, spec),
            &arr(&case["std"]),
            REL,
        );
        let cov = ewm_cov(&x, &y, spec).unwrap();
        assert_vec(&format!("cov {tag}"), &cov, &arr(&case["cov"]), REL);
        let corr = ewm_corr(&x, &y, spec).unwrap();
        assert_vec(&format!("corr {tag}"), &corr, &arr(&case["corr"]), REL);
        let m = ewm_mean(&nan, spec);
        let want = arr(&case["mean_prices_with_nan"]);
        assert_vec(&format!("mean NaN {tag}"), &m, &want, REL);
        let v = ewm_var(&nan, spec);
        let want = arr(&case["var_prices_with_nan"]);
        assert_vec(&format!("var NaN {tag}"), &v, &want, REL);
    }
}
