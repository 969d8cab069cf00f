//! signal::isotonic against scikit-learn 1.9.1 (fixture tests/fixtures/signal/isotonic.json
//! from tools/reference/signal_fixtures.py): `isotonic_regression` on 150 SPY closes with and
//! without weights, and `IsotonicRegression().fit_transform` of SPY returns on TLT returns
//! rounded to 0.001 (many tied x), with and without weights.

mod signal_support;

use optifire_ta::signal::{isotonic_fit, isotonic_regression};
use signal_support::*;

const TOL: f64 = 1e-9;

#[test]
fn sequence_fit_matches_sklearn() {
    let f = load("isotonic.json");
    let s = &f["sequence"];
    let (y, w) = (arr(&s["y"]), arr(&s["w"]));
    close_all(
        "unweighted",
        &isotonic_regression(&y, None).unwrap(),
        &arr(&s["unweighted"]),
        TOL,
    );
    close_all(
        "weighted",
        &isotonic_regression(&y, Some(&w)).unwrap(),
        &arr(&s["weighted"]),
        TOL,
    );
}

#[test]
fn fit_transform_with_tied_x_matches_sklearn() {
    let f = load("isotonic.json");
    let s = &f["xy"];
    let (x, y, w) = (arr(&s["x"]), arr(&s["y"]), arr(&s["w"]));
    close_all(
        "unweighted",
        &isotonic_fit(&x, &y, None).unwrap(),
        &arr(&s["unweighted"]),
        TOL,
    );
    close_all(
        "weighted",
        &isotonic_fit(&x, &y, Some(&w)).unwrap(),
        &arr(&s["weighted"]),
        TOL,
    );
}
