//! signal::dtw against dtaidistance 2.5.1 (`dtw.distance(a, b, window=w, use_c=False)`),
//! fixture tests/fixtures/signal/dtw.json from tools/reference/signal_fixtures.py: z-scored SPY
//! closes (120) against z-scored QQQ (100, unequal lengths) and GLD (120), several windows.

mod signal_support;

use optifire_ta::signal::dtw_distance;
use signal_support::*;

#[test]
fn dtw_matches_dtaidistance() {
    let f = load("dtw.json");
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for c in cases {
        let (an, bn) = (c["a"].as_str().unwrap(), c["b"].as_str().unwrap());
        let a = arr(&f["series"][an]);
        let b = arr(&f["series"][bn]);
        let window = c["window"].as_u64().map(|w| w as usize);
        let got = dtw_distance(&a, &b, window).unwrap();
        close(
            &format!("{an} vs {bn} window {window:?}"),
            got,
            num(&c["distance"]),
            1e-9,
        );
        // Swapping the series mirrors the band and leaves the distance unchanged.
        let swapped = dtw_distance(&b, &a, window).unwrap();
        close(
            &format!("{bn} vs {an} window {window:?}"),
            swapped,
            num(&c["distance"]),
            1e-9,
        );
    }
}
