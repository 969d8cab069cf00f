//! signal::entropy against antropy 0.2.3 (sample/approximate entropy) and numpy histogram +
//! scipy.stats.entropy (Shannon), fixture tests/fixtures/signal/entropy.json from
//! tools/reference/signal_fixtures.py, on 503 daily log returns each of SPY, TLT and GLD.

mod signal_support;

use optifire_ta::signal::{
    approximate_entropy, histogram_counts, sample_entropy, shannon_entropy, EntropyUnit,
};
use serde_json::Value;
use signal_support::*;

const TOL: f64 = 1e-9;

fn tolerance(v: &Value) -> Option<f64> {
    (!v["r"].is_null()).then(|| num(&v["r"]))
}

#[test]
fn shannon_matches_numpy_histogram_and_scipy_entropy() {
    let f = load("entropy.json");
    for c in f["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let x = arr(&c["x"]);
        for s in c["shannon"].as_array().unwrap() {
            let bins = s["bins"].as_u64().unwrap() as usize;
            let counts: Vec<u64> = histogram_counts(&x, bins)
                .unwrap()
                .into_iter()
                .map(|c| c as u64)
                .collect();
            let want: Vec<u64> = s["counts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert_eq!(counts, want, "{name} bins={bins}");
            let nats = shannon_entropy(&x, bins, EntropyUnit::Nats).unwrap();
            close(&format!("{name} nats {bins}"), nats, num(&s["nats"]), TOL);
            let bits = shannon_entropy(&x, bins, EntropyUnit::Bits).unwrap();
            close(&format!("{name} bits {bins}"), bits, num(&s["bits"]), TOL);
        }
    }
}

#[test]
fn sample_entropy_matches_antropy() {
    let f = load("entropy.json");
    for c in f["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let x = arr(&c["x"]);
        for s in c["sampen"].as_array().unwrap() {
            let order = s["order"].as_u64().unwrap() as usize;
            let got = sample_entropy(&x, order, tolerance(s)).unwrap();
            close(
                &format!("{name} m={order} r={}", s["r"]),
                got,
                num(&s["value"]),
                TOL,
            );
        }
    }
}

#[test]
fn approximate_entropy_matches_antropy() {
    let f = load("entropy.json");
    for c in f["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let x = arr(&c["x"]);
        for s in c["apen"].as_array().unwrap() {
            let order = s["order"].as_u64().unwrap() as usize;
            let got = approximate_entropy(&x, order, tolerance(s)).unwrap();
            close(
                &format!("{name} m={order} r={}", s["r"]),
                got,
                num(&s["value"]),
                TOL,
            );
        }
    }
}
