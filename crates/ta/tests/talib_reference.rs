//! Every indicator against TA-Lib's own output (TA-Lib 0.8.x, recorded by
//! tools/reference/talib_fixtures.py), default and non-default parameters, on real daily bars
//! (SPY 2021-2026, ORCL 1995-2014) and on edge series that reach TA-Lib's guards (constant, trend
//! then flat, float noise, prices scaled by 1e-9 and 1e6; windows longer than the series).
//!
//! Tolerance: |ours - talib| <= 1e-9 * max(|talib|, floor), floor = min(1, mean |close|) for
//! outputs in price units (averages, ATR, TRANGE, BBANDS, MACD, STDDEV, MOM) and 1 for the rest
//! (oscillators in 0..100, ROC in percent, OBV in shares).
//! Values above the floor are compared at 1e-9 relative; values near zero (oscillators at 0,
//! MACD at a crossing) at 1e-9 * floor absolute, because there a relative bound would only
//! measure TA-Lib's running-sum rounding. NaN positions (TA-Lib's lookback) must match exactly.

mod talib_support;

use talib_support::{compute, load};

const TOLERANCE: f64 = 1e-9;

fn check_series(name: &str) -> usize {
    let fixture = load(name);
    let n = fixture.inputs.close.len();
    let price_floor =
        (fixture.inputs.close.iter().map(|c| c.abs()).sum::<f64>() / n as f64).min(1.0);
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for case in &fixture.cases {
        let ours = compute(case, &fixture.inputs);
        // Outputs in price units scale with the prices; oscillators and OBV do not.
        let floor = match case.function.as_str() {
            "SMA" | "EMA" | "WMA" | "ATR" | "TRANGE" | "BBANDS" | "MACD" | "STDDEV" | "MOM" => {
                price_floor
            }
            _ => 1.0,
        };
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            case.outputs.keys().collect::<Vec<_>>(),
            "{}",
            case.id
        );
        for (output, expected) in &case.outputs {
            let got = &ours[output];
            assert_eq!(got.len(), n, "{} {output}: output length", case.id);
            assert_eq!(expected.len(), n, "{} {output}: fixture length", case.id);
            let mut worst = (0.0f64, 0usize);
            for (i, (g, e)) in got.iter().zip(expected).enumerate() {
                match e {
                    None => assert!(
                        g.is_nan(),
                        "{} {} {output}[{i}]: TA-Lib has no value, we have {g}",
                        fixture.series,
                        case.id
                    ),
                    Some(e) => {
                        assert!(
                            !g.is_nan(),
                            "{} {} {output}[{i}]: TA-Lib has {e}, we have NaN",
                            fixture.series,
                            case.id
                        );
                        let err = (g - e).abs() / e.abs().max(floor);
                        if err > worst.0 {
                            worst = (err, i);
                        }
                        checked += 1;
                    }
                }
            }
            if worst.0 > TOLERANCE {
                let i = worst.1;
                failures.push(format!(
                    "{} {} {output}: worst scaled error {:.3e} at [{i}]: ours {:?}, TA-Lib {:?}",
                    fixture.series, case.id, worst.0, got[i], expected[i]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}

#[test]
fn matches_talib_on_spy_daily() {
    assert!(check_series("spy") > 30_000);
}

#[test]
fn matches_talib_on_orcl_daily_long() {
    assert!(check_series("orcl") > 150_000);
}

#[test]
fn matches_talib_on_a_constant_series() {
    assert!(check_series("edge_constant") > 1000);
}

#[test]
fn matches_talib_on_a_trend_that_goes_flat() {
    assert!(check_series("edge_trend_flat") > 1000);
}

#[test]
fn matches_talib_on_float_noise_around_a_flat_price() {
    assert!(check_series("edge_noise") > 1000);
}

#[test]
fn matches_talib_on_prices_scaled_to_1e_minus_9() {
    assert!(check_series("edge_tiny") > 3000);
}

#[test]
fn matches_talib_on_prices_scaled_to_1e6() {
    assert!(check_series("edge_huge") > 3000);
}
