//! risk/ against empyrical-reloaded, numpy, scipy.stats and statsmodels outputs recorded by
//! tools/reference/risk_fixtures.py (fixture tests/fixtures/ref/risk.json; real SPY and TLT
//! daily simple returns). Tolerance: 1e-9 relative for every closed form.

use optifire_ta::risk::*;
use optifire_ta::stats::{
    autocorrelations, excess_kurtosis_unbiased, kurtosis_biased, skewness_biased, skewness_unbiased,
};
use serde_json::Value;

const REL: f64 = 1e-9;
const PPY: f64 = 252.0;

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
fn check(what: &str, got: f64, want: &Value) {
    let w = num(want);
    let ok = (got.is_nan() && w.is_nan()) || (got - w).abs() <= REL * got.abs().max(w.abs());
    assert!(ok, "{what}: got {got}, want {w}");
}

fn idx(v: &Value) -> Option<usize> {
    v.as_u64().map(|u| u as usize)
}

#[test]
fn performance_ratios_match_empyrical() {
    let f = load("risk.json");
    for s in f["series"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let r = arr(&s["returns"]);
        let tag = |m: &str| format!("{name} {m}");
        check(
            &tag("sharpe"),
            sharpe_ratio(&r, 0.0, PPY).unwrap(),
            &s["sharpe"],
        );
        check(
            &tag("sharpe rf"),
            sharpe_ratio(&r, 1e-4, PPY).unwrap(),
            &s["sharpe_rf"],
        );
        check(
            &tag("sortino"),
            sortino_ratio(&r, 0.0, PPY).unwrap(),
            &s["sortino"],
        );
        let so = sortino_ratio(&r, 2e-4, PPY).unwrap();
        check(&tag("sortino req"), so, &s["sortino_req"]);
        check(
            &tag("downside"),
            downside_risk(&r, 0.0, PPY).unwrap(),
            &s["downside_risk"],
        );
        check(&tag("calmar"), calmar_ratio(&r, PPY).unwrap(), &s["calmar"]);
        check(
            &tag("annual return"),
            annual_return(&r, PPY).unwrap(),
            &s["annual_return"],
        );
        check(&tag("cagr"), cagr(&r, PPY).unwrap(), &s["cagr"]);
        let vol = annual_volatility(&r, PPY).unwrap();
        check(&tag("annual vol"), vol, &s["annual_volatility"]);
    }
}

#[test]
fn drawdowns_match_empyrical() {
    let f = load("risk.json");
    for s in f["series"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let r = arr(&s["returns"]);
        let dd = drawdown_from_returns(&r).unwrap();
        let want = arr(&s["drawdown_series"]);
        assert_eq!(dd.len(), want.len());
        for (i, (g, w)) in dd.iter().zip(&want).enumerate() {
            let ok = (g - w).abs() <= REL * g.abs().max(w.abs()) + 1e-15;
            assert!(ok, "{name} drawdown[{i}]: {g} vs {w}");
        }
        let m = max_drawdown(&r).unwrap();
        check(&format!("{name} max dd"), m.depth, &s["max_drawdown"]);
        let ep = &s["episode"];
        let peak = ep["peak"].as_i64().unwrap();
        assert_eq!(m.peak, usize::try_from(peak).ok(), "{name} peak");
        assert_eq!(m.trough, idx(&ep["trough"]), "{name} trough");
        assert_eq!(m.recovery, idx(&ep["recovery"]), "{name} recovery");
        assert_eq!(
            Some(m.duration_bars),
            idx(&ep["duration_bars"]),
            "{name} duration"
        );
        let longest = idx(&ep["longest_underwater_bars"]);
        assert_eq!(
            Some(m.longest_underwater_bars),
            longest,
            "{name} underwater"
        );
    }
    // The SPY sample recovers, the TLT one does not: both branches are exercised.
    let s = &f["series"];
    assert!(s[0]["episode"]["recovery"].is_u64() && s[1]["episode"]["recovery"].is_null());
}

#[test]
fn var_and_cvar() {
    let f = load("risk.json");
    for s in f["series"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let r = arr(&s["returns"]);
        check(
            &format!("{name} skew G1"),
            skewness_unbiased(&r).unwrap(),
            &s["skew_unbiased"],
        );
        let k = excess_kurtosis_unbiased(&r).unwrap();
        check(
            &format!("{name} kurt G2"),
            k,
            &s["excess_kurtosis_unbiased"],
        );
        check(
            &format!("{name} skew g1"),
            skewness_biased(&r).unwrap(),
            &s["skew_biased"],
        );
        check(
            &format!("{name} kurt b2"),
            kurtosis_biased(&r).unwrap(),
            &s["kurtosis_biased"],
        );
        for v in s["var"].as_array().unwrap() {
            let c = num(&v["confidence"]);
            let tag = |m: &str| format!("{name} {m} c={c}");
            let hv = historical_var(&r, c).unwrap();
            check(&tag("historical var"), hv, &v["historical_var"]);
            check(&tag("historical var numpy"), hv, &v["historical_var_numpy"]);
            let hc = historical_cvar(&r, c).unwrap();
            check(&tag("historical cvar"), hc, &v["historical_cvar"]);
            check(
                &tag("normal var"),
                parametric_var(&r, c).unwrap(),
                &v["parametric_var"],
            );
            check(
                &tag("normal cvar"),
                parametric_cvar(&r, c).unwrap(),
                &v["parametric_cvar"],
            );
            let cf = cornish_fisher_var(&r, c).unwrap();
            check(&tag("cornish-fisher"), cf, &v["cornish_fisher_var"]);
        }
    }
}

#[test]
fn sharpe_inference_and_psr() {
    let f = load("risk.json");
    for s in f["series"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let r = arr(&s["returns"]);
        let inf = &s["inference"];
        let t = r.len();
        let sr = num(&inf["sr"]);
        check(
            &format!("{name} sr"),
            sharpe_ratio(&r, 0.0, 1.0).unwrap(),
            &inf["sr"],
        );
        let se = sharpe_standard_error_iid(sr, t).unwrap();
        check(&format!("{name} se iid"), se, &inf["se_iid"]);
        let ci = sharpe_confidence_interval_iid(sr, t, 0.95).unwrap();
        check(&format!("{name} ci lo"), ci.lower, &inf["ci95_iid"][0]);
        check(&format!("{name} ci hi"), ci.upper, &inf["ci95_iid"][1]);
        let nlags = inf["acf_nlags"].as_u64().unwrap() as usize;
        let rho = autocorrelations(&r, nlags).unwrap();
        for (k, (g, w)) in rho.iter().zip(inf["acf"].as_array().unwrap()).enumerate() {
            check(&format!("{name} acf lag {}", k + 1), *g, w);
        }
        let q = inf["q"].as_u64().unwrap() as usize;
        let scaled = scale_sharpe(sr, t, q, &rho).unwrap();
        check(&format!("{name} eta"), scaled.eta, &inf["eta"]);
        check(&format!("{name} sr(q)"), scaled.sharpe, &inf["sr_q"]);
        check(
            &format!("{name} se(q)"),
            scaled.standard_error,
            &inf["se_q"],
        );
        let iid = scale_sharpe(sr, t, q, &[]).unwrap();
        check(&format!("{name} sr(q) iid"), iid.sharpe, &inf["sr_q_iid"]);
        let (g3, g4) = (skewness_biased(&r).unwrap(), kurtosis_biased(&r).unwrap());
        let psr0 = probabilistic_sharpe_ratio(sr, 0.0, t, g3, g4).unwrap();
        check(&format!("{name} psr(0)"), psr0, &inf["psr_0"]);
        check(
            &format!("{name} psr_of(0)"),
            probabilistic_sharpe_ratio_of(&r, 0.0).unwrap(),
            &inf["psr_0"],
        );
        let psr = probabilistic_sharpe_ratio(sr, 0.05, t, g3, g4).unwrap();
        check(&format!("{name} psr(0.05)"), psr, &inf["psr_005"]);
    }
}

#[test]
fn deflated_sharpe_and_kelly() {
    let f = load("risk.json");
    for d in f["dsr"].as_array().unwrap() {
        let trials = d["trials"].as_u64().unwrap() as usize;
        let v = num(&d["sr_variance"]);
        check("sr0", expected_max_sharpe(trials, v).unwrap(), &d["sr0"]);
        let dsr = deflated_sharpe_ratio(
            num(&d["sr"]),
            d["t"].as_u64().unwrap() as usize,
            num(&d["skew"]),
            num(&d["kurtosis"]),
            trials,
            v,
        )
        .unwrap();
        check("dsr", dsr, &d["dsr"]);
    }
    for k in f["kelly"].as_array().unwrap() {
        let got = kelly_fraction(num(&k["win_rate"]), num(&k["payoff"])).unwrap();
        check("kelly", got, &k["fraction"]);
    }
}
