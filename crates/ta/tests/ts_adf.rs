//! ADF test and MacKinnon surfaces against statsmodels 0.15 (`adfuller`, `mackinnonp`,
//! `mackinnoncrit`) on SPY log prices, SPY log returns, a SPY/QQQ spread and a 40-day excerpt
//! (fixtures tests/fixtures/ts/{adf,mackinnon}.json).

mod ts_support;

use optifire_ta::timeseries::{
    adf, mackinnon_crit, mackinnon_p, AdfOptions, InfoCriterion, Regression,
};
use ts_support::*;

#[test]
fn mackinnon_p_matches_statsmodels() {
    let f = load("mackinnon.json");
    let cases = f["pvalue"].as_array().unwrap();
    assert!(cases.len() > 1000);
    for c in cases {
        let reg = regression(c["regression"].as_str().unwrap());
        let n = c["n"].as_u64().unwrap() as usize;
        let stat = num(&c["stat"]);
        let got = mackinnon_p(stat, reg, n).unwrap();
        close_abs(
            &format!("p({stat}, {reg:?}, N={n})"),
            got,
            num(&c["p"]),
            1e-12,
        );
    }
}

#[test]
fn mackinnon_crit_matches_statsmodels() {
    let f = load("mackinnon.json");
    for c in f["crit"].as_array().unwrap() {
        let reg = regression(c["regression"].as_str().unwrap());
        let n = c["n"].as_u64().unwrap() as usize;
        let nobs = c["nobs"].as_u64().map(|v| v as usize);
        let got = mackinnon_crit(n, reg, nobs).unwrap();
        let want = arr(&c["crit"]);
        let what = format!("crit({reg:?}, N={n}, nobs={nobs:?})");
        close_rel(&what, got.one, want[0], 1e-13);
        close_rel(&what, got.five, want[1], 1e-13);
        close_rel(&what, got.ten, want[2], 1e-13);
    }
}

#[test]
fn adfuller_matches_statsmodels_on_real_series() {
    let f = load("adf.json");
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 64);
    for c in cases {
        let name = c["series"].as_str().unwrap();
        let x = arr(&f["series"][name]);
        let opts = AdfOptions {
            regression: regression(c["regression"].as_str().unwrap()),
            max_lag: c["maxlag"].as_u64().map(|v| v as usize),
            autolag: match c["autolag"].as_str() {
                Some("AIC") => Some(InfoCriterion::Aic),
                Some("BIC") => Some(InfoCriterion::Bic),
                None => None,
                Some(o) => panic!("{o}"),
            },
        };
        let what = format!("{name} {opts:?}");
        let r = adf(&x, &opts).unwrap();
        assert_eq!(
            r.used_lag as u64,
            c["usedlag"].as_u64().unwrap(),
            "{what}: lag"
        );
        assert_eq!(r.nobs as u64, c["nobs"].as_u64().unwrap(), "{what}: nobs");
        // adfuller solves by pseudo-inverse; with the raw [1, t, t^2] columns of "ctt"
        // (condition ~1e13) it keeps only ~8 digits, so that case is held to 1e-8 against
        // adfuller and to 1e-11 against the same regression refitted on scaled trend columns.
        let stat_rel = if opts.regression == Regression::ConstantTrendSquared {
            1e-8
        } else {
            1e-9
        };
        close_rel(
            &format!("{what}: stat"),
            r.statistic,
            num(&c["statistic"]),
            stat_rel,
        );
        let check = num(&c["statistic_scaled_check"]);
        close_rel(&format!("{what}: stat (scaled)"), r.statistic, check, 1e-11);
        close_abs(&format!("{what}: p"), r.p_value, num(&c["pvalue"]), 1e-6);
        let crit = arr(&c["crit"]);
        close_rel(
            &format!("{what}: 1%"),
            r.critical_values.one,
            crit[0],
            1e-12,
        );
        close_rel(
            &format!("{what}: 5%"),
            r.critical_values.five,
            crit[1],
            1e-12,
        );
        close_rel(
            &format!("{what}: 10%"),
            r.critical_values.ten,
            crit[2],
            1e-12,
        );
        match r.ic_best {
            Some(ic) => close_rel(&format!("{what}: icbest"), ic, num(&c["icbest"]), 1e-9),
            None => assert!(c["icbest"].is_null(), "{what}: icbest"),
        }
    }
}
