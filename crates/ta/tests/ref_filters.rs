//! filters/ against pykalman `KalmanFilter.filter` with the same matrices, prior and real
//! SPY/TLT closes (fixture tests/fixtures/ref/filters.json from
//! tools/reference/risk_fixtures.py). Tolerance 1e-9 relative (+1e-15 absolute for values that
//! start at zero, e.g. the slope); streaming and batch must agree bit for bit.

use nalgebra::{Matrix2, Vector2};
use optifire_ta::filters::*;
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

fn mat(v: &Value) -> Matrix2<f64> {
    let r0 = arr(&v[0]);
    let r1 = arr(&v[1]);
    Matrix2::new(r0[0], r0[1], r1[0], r1[1])
}

#[track_caller]
fn close(what: &str, i: usize, got: f64, want: f64) {
    let ok = (got - want).abs() <= REL * got.abs().max(want.abs()) + 1e-15;
    assert!(ok, "{what}[{i}]: got {got}, want {want}");
}

#[test]
fn local_level_matches_pykalman() {
    let f = load("filters.json");
    let ll = &f["local_level"];
    let spy = arr(&f["spy"]);
    let params = LocalLevelParams {
        q: num(&ll["q"]),
        r: num(&ll["r"]),
        initial_level: num(&ll["x0"]),
        initial_variance: num(&ll["p0"]),
    };
    let batch = local_level(&spy, params).unwrap();
    let (lv, var) = (arr(&ll["level"]), arr(&ll["variance"]));
    for (i, e) in batch.iter().enumerate() {
        close("level", i, e.level, lv[i]);
        close("variance", i, e.variance, var[i]);
    }
    let mut stream = LocalLevelFilter::new(params).unwrap();
    for (i, &y) in spy.iter().enumerate() {
        assert_eq!(stream.update(y), batch[i], "streaming differs at {i}");
    }
    // Missing observation: pykalman masked value, NaN here.
    let miss = ll["missing_index"].as_u64().unwrap() as usize;
    let mut ys = spy.clone();
    ys[miss] = f64::NAN;
    let est = local_level(&ys, params).unwrap();
    let (lv, var) = (arr(&ll["level_missing"]), arr(&ll["variance_missing"]));
    for (i, e) in est.iter().enumerate() {
        close("level missing", i, e.level, lv[i]);
        close("variance missing", i, e.variance, var[i]);
    }
    assert!(est[miss].innovation.is_nan() && est[miss].variance > est[miss - 1].variance);
}

#[test]
fn local_trend_matches_pykalman() {
    let f = load("filters.json");
    let lt = &f["local_trend"];
    let spy = arr(&f["spy"]);
    let x0 = arr(&lt["x0"]);
    let params = LocalTrendParams {
        q: Matrix2::new(num(&lt["q_level"]), 0.0, 0.0, num(&lt["q_slope"])),
        r: num(&lt["r"]),
        initial_state: Vector2::new(x0[0], x0[1]),
        initial_covariance: mat(&lt["p0"]),
    };
    let batch = local_trend(&spy, params).unwrap();
    let (lv, sl) = (arr(&lt["level"]), arr(&lt["slope"]));
    let covs = lt["covs"].as_array().unwrap();
    for (i, e) in batch.iter().enumerate() {
        close("level", i, e.level, lv[i]);
        close("slope", i, e.slope, sl[i]);
        let c = arr(&covs[i]);
        for (k, (r, col)) in [(0, 0), (0, 1), (1, 0), (1, 1)].into_iter().enumerate() {
            close("cov", i, e.covariance[(r, col)], c[k]);
        }
    }
    let mut stream = LocalTrendFilter::new(params).unwrap();
    for (i, &y) in spy.iter().enumerate() {
        assert_eq!(stream.update(y), batch[i], "streaming differs at {i}");
    }
}

#[test]
fn dynamic_regression_matches_pykalman() {
    let f = load("filters.json");
    let dr = &f["dynamic_regression"];
    let (spy, tlt) = (arr(&f["spy"]), arr(&f["tlt"]));
    let x0 = arr(&dr["x0"]);
    let params = DynamicRegressionParams::with_delta(
        num(&dr["delta"]),
        num(&dr["r"]),
        Vector2::new(x0[0], x0[1]),
        mat(&dr["p0"]),
    )
    .unwrap();
    let batch = dynamic_regression(&spy, &tlt, params).unwrap();
    let (beta, alpha) = (arr(&dr["beta"]), arr(&dr["alpha"]));
    let covs = dr["covs"].as_array().unwrap();
    for (i, e) in batch.iter().enumerate() {
        close("beta", i, e.beta, beta[i]);
        close("alpha", i, e.alpha, alpha[i]);
        let c = arr(&covs[i]);
        for (k, (r, col)) in [(0, 0), (0, 1), (1, 0), (1, 1)].into_iter().enumerate() {
            close("cov", i, e.covariance[(r, col)], c[k]);
        }
    }
    let mut stream = DynamicRegressionFilter::new(params).unwrap();
    for (i, (&x, &y)) in spy.iter().zip(&tlt).enumerate() {
        assert_eq!(stream.update(x, y), batch[i], "streaming differs at {i}");
    }
}
