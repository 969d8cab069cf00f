//! stats/ against statsmodels OLS on real TLT/SPY/GLD data (fixture tests/fixtures/ref/
//! stats.json from tools/reference/risk_fixtures.py). statsmodels solves by pseudo-inverse,
//! this crate by QR: closed forms agreeing to 1e-9 relative.

use optifire_ta::stats::*;
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

#[track_caller]
fn close_all(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what} length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = (g - w).abs() <= REL * g.abs().max(w.abs());
        assert!(ok, "{what}[{i}]: got {g}, want {w}");
    }
}

#[test]
fn ols_on_returns_matches_statsmodels() {
    let f = load("stats.json");
    let (y, x1, x2) = (arr(&f["y"]), arr(&f["x1"]), arr(&f["x2"]));
    let fit = ols(&y, &[&x1, &x2], true).unwrap();
    let o = &f["ols"];
    close_all("params", &fit.params, &arr(&o["params"]));
    close_all("bse", &fit.standard_errors, &arr(&o["bse"]));
    close_all("tvalues", &fit.t_values, &arr(&o["tvalues"]));
    close_all("scale", &[fit.sigma2], &[num(&o["scale"])]);
    close_all("rsquared", &[fit.r_squared], &[num(&o["rsquared"])]);
    // Residuals are differences of nearly equal numbers: compare on the scale of y.
    let resid = arr(&o["resid"]);
    for (i, (g, w)) in fit.residuals.iter().zip(&resid).enumerate() {
        assert!((g - w).abs() <= 1e-12, "resid[{i}]: {g} vs {w}");
    }
}

#[test]
fn ols_on_price_levels_matches_statsmodels() {
    let f = load("stats.json");
    let o = &f["ols_levels"];
    let fit = ols(&arr(&o["y"]), &[&arr(&o["x"])], true).unwrap();
    close_all("params", &fit.params, &arr(&o["params"]));
    close_all("bse", &fit.standard_errors, &arr(&o["bse"]));
    close_all("rsquared", &[fit.r_squared], &[num(&o["rsquared"])]);
}

#[test]
fn ks_two_sample_matches_scipy() {
    let f = load("stats.json");
    for (i, c) in f["ks_2samp"].as_array().unwrap().iter().enumerate() {
        let t = ks_two_sample(&arr(&c["a"]), &arr(&c["b"])).unwrap();
        close_all(
            &format!("ks[{i}] statistic"),
            &[t.statistic],
            &[num(&c["statistic"])],
        );
        close_all(
            &format!("ks[{i}] p-value"),
            &[t.p_value],
            &[num(&c["pvalue"])],
        );
    }
}

#[test]
fn psi_matches_numpy_binning() {
    let f = load("stats.json");
    for (i, c) in f["psi"].as_array().unwrap().iter().enumerate() {
        let (e, a) = (arr(&c["expected"]), arr(&c["actual"]));
        let bins = c["bins"].as_u64().unwrap() as usize;
        let (ef, af) = psi_bin_fractions(&e, &a, bins).unwrap();
        close_all(
            &format!("psi[{i}] expected"),
            &ef,
            &arr(&c["expected_fractions"]),
        );
        close_all(
            &format!("psi[{i}] actual"),
            &af,
            &arr(&c["actual_fractions"]),
        );
        let p = population_stability_index_of(&e, &a, bins).unwrap();
        close_all(&format!("psi[{i}]"), &[p], &[num(&c["psi"])]);
    }
}

#[test]
fn zscore_matches_scipy() {
    let f = load("stats.json");
    let z = &f["zscore"];
    let x = arr(&z["x"]);
    close_all("zscore ddof0", &zscore(&x, 0).unwrap(), &arr(&z["ddof0"]));
    close_all("zscore ddof1", &zscore(&x, 1).unwrap(), &arr(&z["ddof1"]));
}
