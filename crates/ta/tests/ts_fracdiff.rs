//! Fixed-width fractional differencing against the AFML ch. 5 algorithm (snippets 5.3/5.4)
//! written in numpy, and the minimum stationary order against statsmodels `adfuller` on the
//! numpy FFD series, on SPY log prices (fixture tests/fixtures/ts/fracdiff.json).

mod ts_support;

use optifire_ta::timeseries::{ffd_weights, frac_diff_ffd, min_d_stationary};
use ts_support::*;

#[test]
fn ffd_matches_the_book_algorithm() {
    let f = load("fracdiff.json");
    let x = arr(&f["x"]);
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    for c in cases {
        let (d, thres) = (num(&c["d"]), num(&c["threshold"]));
        let what = format!("d={d} thres={thres}");
        let w = ffd_weights(d, thres).unwrap();
        let want_w = arr(&c["weights"]);
        assert_eq!(w.len(), want_w.len(), "{what}: window");
        for (k, (g, e)) in w.iter().zip(&want_w).enumerate() {
            close_rel(&format!("{what}: w[{k}]"), *g, *e, 1e-13);
        }
        let got = frac_diff_ffd(&x, d, thres).unwrap();
        let want = arr(&c["values"]);
        assert_eq!(got.len(), want.len(), "{what}: length");
        // Values are O(1) to O(5) (log prices and their fractional differences).
        for (i, (g, e)) in got.iter().zip(&want).enumerate() {
            close_abs(&format!("{what}: out[{i}]"), *g, *e, 1e-9);
        }
    }
}

#[test]
fn min_d_matches_adfuller_on_book_ffd() {
    let f = load("fracdiff.json");
    let x = arr(&f["x"]);
    for m in f["min_d"].as_array().unwrap() {
        let grid = arr(&m["grid"]);
        let thres = num(&m["threshold"]);
        let r = min_d_stationary(&x, &grid, thres, num(&m["p_max"])).unwrap();
        let rows = m["rows"].as_array().unwrap();
        assert_eq!(r.rows.len(), rows.len());
        for (g, w) in r.rows.iter().zip(rows) {
            let what = format!("thres={thres} d={}", g.d);
            assert_eq!(g.ffd_len as u64, w["ffd_len"].as_u64().unwrap(), "{what}");
            close_rel(
                &format!("{what}: stat"),
                g.adf_statistic,
                num(&w["statistic"]),
                1e-9,
            );
            close_abs(
                &format!("{what}: p"),
                g.adf_p_value,
                num(&w["pvalue"]),
                1e-6,
            );
        }
        assert_eq!(r.min_d, m["min_d"].as_f64(), "thres={thres}");
    }
}
