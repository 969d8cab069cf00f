//! signal::pca and signal::incremental_pca against scikit-learn 1.9.1 (fixture
//! tests/fixtures/signal/pca.json from tools/reference/signal_fixtures.py) on daily log returns
//! of SPY/TLT/GLD (3 columns) and SPY/TLT/GLD/QQQ/UUP/AAPL (6 columns), 503 rows.
//! Tolerance 1e-9 relative (absolute below 1) for both, sign convention included.

mod signal_support;

use nalgebra::DMatrix;
use optifire_ta::signal::{IncrementalPca, Pca};
use serde_json::Value;
use signal_support::*;

const TOL: f64 = 1e-9;

fn matrix(v: &Value) -> DMatrix<f64> {
    let rows = mat(v);
    DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

#[track_caller]
fn close_matrix(what: &str, got: &DMatrix<f64>, want: &Value) {
    let want = matrix(want);
    assert_eq!(got.shape(), want.shape(), "{what} shape");
    for i in 0..got.nrows() {
        for j in 0..got.ncols() {
            close(&format!("{what}[{i},{j}]"), got[(i, j)], want[(i, j)], TOL);
        }
    }
}

/// The case's input: the 3- or 6-column return matrix, cut to `n_rows` when the case says so.
fn data_for(f: &Value, c: &Value) -> DMatrix<f64> {
    let n_features = c["mean"].as_array().unwrap().len();
    let x = matrix(&f[if n_features == 3 { "x3" } else { "x6" }]);
    match c["n_rows"].as_u64() {
        Some(n) => x.rows(0, n as usize).into_owned(),
        None => x,
    }
}

fn head(x: &DMatrix<f64>) -> DMatrix<f64> {
    x.rows(0, x.nrows().min(60)).into_owned()
}

#[test]
fn pca_matches_sklearn() {
    let f = load("pca.json");
    let cases = f["pca"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for c in cases {
        let n_features = c["mean"].as_array().unwrap().len();
        let k = c["n_components"].as_u64().map(|k| k as usize);
        let what = format!("p={n_features} k={k:?}");
        let x = data_for(&f, c);
        let p = Pca::fit(&x, k).unwrap();
        close_all(&format!("{what} mean"), &p.mean, &arr(&c["mean"]), TOL);
        close_matrix(
            &format!("{what} components"),
            &p.components,
            &c["components"],
        );
        close_all(
            &format!("{what} explained_variance"),
            &p.explained_variance,
            &arr(&c["explained_variance"]),
            TOL,
        );
        close_all(
            &format!("{what} ratio"),
            &p.explained_variance_ratio,
            &arr(&c["explained_variance_ratio"]),
            TOL,
        );
        close_all(
            &format!("{what} singular"),
            &p.singular_values,
            &arr(&c["singular_values"]),
            TOL,
        );
        close_matrix(
            &format!("{what} transform"),
            &p.transform(&head(&x)).unwrap(),
            &c["transform_head"],
        );
    }
}

#[test]
fn pca_from_columns_equals_pca_from_matrix() {
    let f = load("pca.json");
    let x = data_for(&f, &f["pca"][0]);
    let cols: Vec<Vec<f64>> = (0..3)
        .map(|j| x.column(j).iter().copied().collect())
        .collect();
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let a = Pca::fit_columns(&refs, None).unwrap();
    close_matrix("components", &a.components, &f["pca"][0]["components"]);
}

#[test]
fn incremental_pca_matches_sklearn() {
    let f = load("pca.json");
    let cases = f["ipca"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for c in cases {
        let n_features = c["mean"].as_array().unwrap().len();
        let k = c["n_components"].as_u64().map(|k| k as usize);
        let batch = c["batch_size"].as_u64().unwrap() as usize;
        let what = format!("p={n_features} k={k:?} batch={batch}");
        let x = data_for(&f, c);
        let m = IncrementalPca::fit(&x, k, batch).unwrap();
        assert_eq!(m.n_samples_seen() as f64, num(&c["n_samples_seen"]));
        close_all(&format!("{what} mean"), m.mean(), &arr(&c["mean"]), TOL);
        close_all(&format!("{what} var"), m.var(), &arr(&c["var"]), TOL);
        close_matrix(
            &format!("{what} components"),
            m.components(),
            &c["components"],
        );
        close_all(
            &format!("{what} explained_variance"),
            m.explained_variance(),
            &arr(&c["explained_variance"]),
            TOL,
        );
        close_all(
            &format!("{what} ratio"),
            m.explained_variance_ratio(),
            &arr(&c["explained_variance_ratio"]),
            TOL,
        );
        close_all(
            &format!("{what} singular"),
            m.singular_values(),
            &arr(&c["singular_values"]),
            TOL,
        );
        close_matrix(
            &format!("{what} transform"),
            &m.transform(&head(&x)).unwrap(),
            &c["transform_head"],
        );
    }
}
