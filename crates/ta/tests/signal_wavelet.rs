//! signal::wavelet and signal::denoise against PyWavelets 1.9.0 (fixture
//! tests/fixtures/signal/wavelet.json from tools/reference/signal_fixtures.py) on SPY/TLT/GLD
//! closes and log returns: coefficients, reconstruction and the universal-threshold denoiser.

mod signal_support;

use optifire_ta::signal::wavelet::DB4_DEC_LO;
use optifire_ta::signal::{dwt, wavedec, wavelet_denoise, waverec};
use signal_support::*;

const TOL: f64 = 1e-9;

#[test]
fn filter_is_pywavelets_db4() {
    let f = load("wavelet.json");
    close_all("dec_lo", &DB4_DEC_LO, &arr(&f["dec_lo"]), 0.0);
}

#[test]
fn wavedec_matches_pywt() {
    let f = load("wavelet.json");
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    for c in cases {
        let name = format!("{} L{}", c["name"].as_str().unwrap(), c["level"]);
        let level = c["level"].as_u64().unwrap() as usize;
        let coeffs = wavedec(&arr(&c["x"]), level).unwrap();
        close_all(
            &format!("{name} cA"),
            &coeffs.approx,
            &arr(&c["approx"]),
            TOL,
        );
        let details = mat(&c["details"]);
        assert_eq!(coeffs.details.len(), details.len(), "{name} levels");
        for (k, (got, want)) in coeffs.details.iter().zip(&details).enumerate() {
            close_all(&format!("{name} cD[{k}]"), got, want, TOL);
        }
    }
}

#[test]
fn waverec_matches_pywt_including_odd_length_padding() {
    let f = load("wavelet.json");
    for c in f["cases"].as_array().unwrap() {
        let name = format!("{} L{}", c["name"].as_str().unwrap(), c["level"]);
        let x = arr(&c["x"]);
        let coeffs = wavedec(&x, c["level"].as_u64().unwrap() as usize).unwrap();
        let rec = waverec(&coeffs).unwrap();
        close_all(&name, &rec, &arr(&c["reconstruction"]), TOL);
        // Perfect reconstruction: the first n values give back the input.
        close_all(&format!("{name} vs x"), &rec[..x.len()], &x, 1e-10);
    }
}

#[test]
fn denoise_matches_pywt_recipe() {
    let f = load("wavelet.json");
    for c in f["cases"].as_array().unwrap() {
        let name = format!("{} L{}", c["name"].as_str().unwrap(), c["level"]);
        let level = c["level"].as_u64().unwrap() as usize;
        let d = wavelet_denoise(&arr(&c["x"]), level).unwrap();
        close(&format!("{name} sigma"), d.sigma, num(&c["sigma"]), TOL);
        close(
            &format!("{name} threshold"),
            d.threshold,
            num(&c["threshold"]),
            TOL,
        );
        close_all(&name, &d.signal, &arr(&c["denoised"]), TOL);
    }
}

#[test]
fn dwt_of_series_shorter_than_filter_matches_pywt() {
    let f = load("wavelet.json");
    let s = &f["short_dwt"];
    let (a, d) = dwt(&arr(&s["x"])).unwrap();
    close_all("cA", &a, &arr(&s["approx"]), TOL);
    close_all("cD", &d, &arr(&s["detail"]), TOL);
}
