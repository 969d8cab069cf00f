//! Engle-Granger test against statsmodels 0.15 `coint` (trend c/ct/ctt/n, AIC/BIC/fixed lag)
//! and the spread half-life against a statsmodels OLS of ds_t on (1, s_{t-1}), on log
//! SPY/QQQ, log GLD/SPY and the last 500 SPY/QQQ closes (fixture tests/fixtures/ts/coint.json).

mod ts_support;

use optifire_ta::timeseries::{engle_granger, half_life, CointOptions, InfoCriterion, Regression};
use ts_support::*;

#[test]
fn coint_matches_statsmodels() {
    let f = load("coint.json");
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 18);
    for c in cases {
        let name = c["pair"].as_str().unwrap();
        let (y0, y1) = (arr(&f["pairs"][name][0]), arr(&f["pairs"][name][1]));
        let opts = CointOptions {
            trend: regression(c["trend"].as_str().unwrap()),
            max_lag: c["maxlag"].as_u64().map(|v| v as usize),
            autolag: match c["autolag"].as_str() {
                Some("aic") => Some(InfoCriterion::Aic),
                Some("bic") => Some(InfoCriterion::Bic),
                None => None,
                Some(o) => panic!("{o}"),
            },
        };
        let what = format!("{name} {opts:?}");
        let r = engle_granger(&y0, &y1, &opts).unwrap();
        assert_eq!(
            r.used_lag.map(|v| v as u64),
            c["usedlag"].as_u64(),
            "{what}: lag"
        );
        assert_eq!(
            r.adf_nobs.map(|v| v as u64),
            c["nobs_adf"].as_u64(),
            "{what}: nobs"
        );
        // As in ts_adf.rs: statsmodels' pseudo-inverse keeps ~8 digits with the raw t^2
        // column of trend "ctt"; that case is also checked against a refit on scaled trends.
        let rel = if opts.trend == Regression::ConstantTrendSquared {
            1e-8
        } else {
            1e-9
        };
        close_rel(
            &format!("{what}: stat"),
            r.statistic,
            num(&c["statistic"]),
            rel,
        );
        let check = num(&c["statistic_scaled_check"]);
        close_rel(&format!("{what}: stat (scaled)"), r.statistic, check, 1e-10);
        let check = num(&c["hedge_ratio_scaled_check"]);
        close_rel(
            &format!("{what}: beta (scaled)"),
            r.hedge_ratio,
            check,
            1e-10,
        );
        close_abs(&format!("{what}: p"), r.p_value, num(&c["pvalue"]), 1e-6);
        let crit = arr(&c["crit"]);
        match r.critical_values {
            Some(cv) => {
                close_rel(&format!("{what}: 1%"), cv.one, crit[0], 1e-12);
                close_rel(&format!("{what}: 5%"), cv.five, crit[1], 1e-12);
                close_rel(&format!("{what}: 10%"), cv.ten, crit[2], 1e-12);
            }
            None => assert!(crit.iter().all(|v| v.is_nan()), "{what}: crit"),
        }
        // Coefficients of the ill-conditioned raw "ctt" fit agree with statsmodels to ~1e-9
        // absolute only; the scaled refit above pins beta to 1e-10.
        let coef_rel = if rel < 1e-8 { rel } else { 1e-6 };
        let beta_want = num(&c["hedge_ratio"]);
        close_rel(&format!("{what}: beta"), r.hedge_ratio, beta_want, coef_rel);
        let det = arr(&c["deterministic"]);
        assert_eq!(r.deterministic.len(), det.len(), "{what}");
        for (i, (g, w)) in r.deterministic.iter().zip(&det).enumerate() {
            close_rel(&format!("{what}: det[{i}]"), *g, *w, coef_rel);
        }
        for (i, w) in arr(&c["resid_head"]).iter().enumerate() {
            close_abs(&format!("{what}: resid[{i}]"), r.residuals[i], *w, rel);
        }
        let h = half_life(&r.residuals).unwrap();
        close_rel(&format!("{what}: b"), h.b, num(&c["ar_b"]), coef_rel);
        let hl_want = num(&c["half_life"]);
        close_rel(
            &format!("{what}: half-life"),
            h.half_life,
            hl_want,
            coef_rel,
        );
    }
}
