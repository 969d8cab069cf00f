//! Documented behaviour at the edges, for every indicator: empty input, a window longer than
//! the input, a single value, NaN inside the input, a constant series, refused parameters and
//! mismatched lengths, and drift of the windowed sums over a long series.
//!
//! The constant-series values are the ones TA-Lib 0.8 gives (also checked against its recorded
//! output in talib_reference.rs, series `edge_constant`); the NaN rules are ours (TA-Lib has no
//! NaN contract) and are stated in each module's doc comment.

use optifire_ta::average::{ema, sma, wma, TaError};
use optifire_ta::momentum::{adx, cci, macd, mom, roc, rsi, stoch, willr};
use optifire_ta::volatility::{atr, bbands, stddev, trange};
use optifire_ta::volume::{mfi, obv};

/// Every single-output indicator with small periods, as (name, lookback, output).
fn all(h: &[f64], l: &[f64], c: &[f64], v: &[f64]) -> Vec<(&'static str, usize, Vec<f64>)> {
    let b = bbands(c, 3, 2.0, 2.0).unwrap();
    let m = macd(c, 2, 4, 3).unwrap();
    let s = stoch(h, l, c, 3, 2, 2).unwrap();
    vec![
        ("SMA", 2, sma(c, 3).unwrap()),
        ("EMA", 2, ema(c, 3).unwrap()),
        ("WMA", 2, wma(c, 3).unwrap()),
        ("RSI", 3, rsi(c, 3).unwrap()),
        ("ATR", 3, atr(h, l, c, 3).unwrap()),
        ("TRANGE", 1, trange(h, l, c).unwrap()),
        ("BBANDS upper", 2, b.upper),
        ("BBANDS middle", 2, b.middle),
        ("BBANDS lower", 2, b.lower),
        ("MACD", 5, m.macd),
        ("MACD signal", 5, m.signal),
        ("MACD hist", 5, m.hist),
        ("STDDEV", 2, stddev(c, 3, 1.0).unwrap()),
        ("ROC", 3, roc(c, 3).unwrap()),
        ("MOM", 3, mom(c, 3).unwrap()),
        ("ADX", 5, adx(h, l, c, 3).unwrap()),
        ("CCI", 2, cci(h, l, c, 3).unwrap()),
        ("STOCH k", 4, s.k),
        ("STOCH d", 4, s.d),
        ("OBV", 0, obv(c, v).unwrap()),
        ("MFI", 3, mfi(h, l, c, v, 3).unwrap()),
        ("WILLR", 2, willr(h, l, c, 3).unwrap()),
    ]
}

#[test]
fn empty_input_gives_empty_output() {
    for (name, _, out) in all(&[], &[], &[], &[]) {
        assert!(out.is_empty(), "{name}");
    }
}

#[test]
fn output_has_input_length_and_exactly_lookback_leading_nans() {
    // A gently oscillating series so that no indicator hits a zero guard.
    let c: Vec<f64> = (0..30)
        .map(|i| 100.0 + (i as f64 * 0.7).sin() * 5.0)
        .collect();
    let h: Vec<f64> = c.iter().map(|x| x + 1.0).collect();
    let l: Vec<f64> = c.iter().map(|x| x - 1.5).collect();
    let v: Vec<f64> = (0..30).map(|i| 1000.0 + i as f64).collect();
    for (name, lookback, out) in all(&h, &l, &c, &v) {
        assert_eq!(out.len(), 30, "{name}");
        assert!(
            out[..lookback].iter().all(|x| x.is_nan()),
            "{name}: {out:?}"
        );
        assert!(
            out[lookback..].iter().all(|x| x.is_finite()),
            "{name}: {out:?}"
        );
    }
}

#[test]
fn window_longer_than_input_is_all_nan() {
    let c = [1.0, 2.0];
    for (name, lookback, out) in all(&c, &c, &c, &c) {
        assert_eq!(out.len(), 2, "{name}");
        if lookback >= 2 {
            assert!(out.iter().all(|x| x.is_nan()), "{name}: {out:?}");
        }
    }
}

#[test]
fn single_value_is_nan_except_obv() {
    for (name, _, out) in all(&[2.0], &[1.0], &[1.5], &[10.0]) {
        if name == "OBV" {
            assert_eq!(out, vec![10.0]);
        } else {
            assert_eq!(out.len(), 1, "{name}");
            assert!(out[0].is_nan(), "{name}: {out:?}");
        }
    }
}

#[test]
fn constant_series_values_match_talib() {
    let c = [7.0; 20];
    for (name, lookback, out) in all(&c, &c, &c, &[100.0; 20]) {
        let expected = match name {
            "SMA" | "EMA" | "WMA" | "BBANDS upper" | "BBANDS middle" | "BBANDS lower" => 7.0,
            "OBV" => 100.0,
            // RSI, ATR, TRANGE, MACD, STDDEV, ROC, MOM, ADX, CCI, STOCH, MFI, WILLR: TA-Lib 0.8
            // answers 0 where gains, ranges or flows are all zero.
            _ => 0.0,
        };
        for (i, x) in out[lookback..].iter().enumerate() {
            assert_eq!(*x, expected, "{name}[{}]", i + lookback);
        }
    }
}

#[test]
fn nan_propagation_rules() {
    // Twenty bars of a gentle wave with a NaN close (and high/low/volume) at index 8.
    let mut c: Vec<f64> = (0..20)
        .map(|i| 100.0 + (i as f64 * 0.9).sin() * 3.0)
        .collect();
    let mut h: Vec<f64> = c.iter().map(|x| x + 1.0).collect();
    let mut l: Vec<f64> = c.iter().map(|x| x - 1.0).collect();
    let mut v: Vec<f64> = (0..20).map(|i| 500.0 + i as f64).collect();
    for s in [&mut c, &mut h, &mut l, &mut v] {
        s[8] = f64::NAN;
    }
    // Windowed indicators: NaN while the NaN is inside the window, finite again after.
    // (name, last NaN index)
    let recovers = [
        ("SMA", 10),
        ("WMA", 10),
        ("BBANDS upper", 10),
        ("BBANDS middle", 10),
        ("BBANDS lower", 10),
        ("STDDEV", 10),
        ("CCI", 10),
        ("WILLR", 10),
        ("TRANGE", 9),
        ("STOCH k", 11),
        ("STOCH d", 12),
        // A NaN price spoils the flow of its bar and of the next one.
        ("MFI", 11),
    ];
    // Pointwise: NaN only where one of the two prices compared is the NaN.
    let pointwise = ["ROC", "MOM"];
    let sticky = [
        "EMA",
        "RSI",
        "ATR",
        "ADX",
        "MACD",
        "MACD signal",
        "MACD hist",
        "OBV",
    ];
    for (name, lookback, out) in all(&h, &l, &c, &v) {
        let first_nan = 8.max(lookback);
        assert!(
            out[..8].iter().skip(lookback).all(|x| x.is_finite()),
            "{name}"
        );
        if pointwise.contains(&name) {
            for (i, x) in out.iter().enumerate().skip(lookback) {
                assert_eq!(
                    x.is_nan(),
                    i == 8 || i == 8 + lookback,
                    "{name}[{i}]: {out:?}"
                );
            }
        } else if let Some(&(_, last)) = recovers.iter().find(|(n, _)| *n == name) {
            assert!(
                out[first_nan..=last].iter().all(|x| x.is_nan()),
                "{name}: {out:?}"
            );
            assert!(
                out[last + 1..].iter().all(|x| x.is_finite()),
                "{name}: {out:?}"
            );
        } else {
            assert!(
                sticky.contains(&name),
                "{name} has no NaN rule in this test"
            );
            assert!(
                out[first_nan..].iter().all(|x| x.is_nan()),
                "{name}: {out:?}"
            );
        }
    }
}

#[test]
fn refuses_invalid_parameters() {
    let x = [1.0; 10];
    let period = |r: Result<Vec<f64>, TaError>| matches!(r, Err(TaError::InvalidPeriod { .. }));
    assert!(period(sma(&x, 1)));
    assert!(period(sma(&x, 0)));
    assert!(period(ema(&x, 1)));
    assert!(period(wma(&x, 0)));
    assert!(period(rsi(&x, 1)));
    assert!(period(atr(&x, &x, &x, 0)));
    assert!(period(stddev(&x, 1, 1.0)));
    assert!(period(roc(&x, 0)));
    assert!(period(mom(&x, 0)));
    assert!(period(adx(&x, &x, &x, 1)));
    assert!(period(cci(&x, &x, &x, 1)));
    assert!(period(willr(&x, &x, &x, 1)));
    assert!(period(mfi(&x, &x, &x, &x, 1)));
    assert!(matches!(
        macd(&x, 12, 26, 0),
        Err(TaError::InvalidPeriod { .. })
    ));
    assert!(matches!(
        macd(&x, 1, 26, 9),
        Err(TaError::InvalidPeriod { .. })
    ));
    assert!(matches!(
        stoch(&x, &x, &x, 5, 0, 3),
        Err(TaError::InvalidPeriod { .. })
    ));
    assert!(matches!(
        bbands(&x, 1, 2.0, 2.0),
        Err(TaError::InvalidPeriod { .. })
    ));
    assert!(matches!(
        bbands(&x, 5, f64::INFINITY, 2.0),
        Err(TaError::InvalidParameter { .. })
    ));
    assert!(matches!(
        stddev(&x, 5, f64::NAN),
        Err(TaError::InvalidParameter { .. })
    ));
    // The error says which indicator and parameter, and the accepted range.
    let msg = rsi(&x, 1).unwrap_err().to_string();
    assert_eq!(msg, "RSI: `period` = 1 is invalid, it must be at least 2");
}

#[test]
fn refuses_mismatched_lengths() {
    let a = [1.0; 10];
    let b = [1.0; 9];
    let mismatch = |r: Result<Vec<f64>, TaError>| matches!(r, Err(TaError::LengthMismatch { .. }));
    assert!(mismatch(atr(&a, &b, &a, 3)));
    assert!(mismatch(trange(&a, &a, &b)));
    assert!(mismatch(adx(&b, &a, &a, 3)));
    assert!(mismatch(cci(&a, &b, &a, 3)));
    assert!(mismatch(willr(&a, &a, &b, 3)));
    assert!(mismatch(obv(&a, &b)));
    assert!(mismatch(mfi(&a, &a, &a, &b, 3)));
    assert!(stoch(&a, &b, &a, 3, 3, 3).is_err());
    let msg = obv(&a, &b).unwrap_err().to_string();
    assert_eq!(msg, "OBV: input `volume` has 9 values but `close` has 10");
}

#[test]
fn windowed_sums_do_not_drift_over_a_long_series() {
    // 200,000 bars around 1e6 with cent-sized steps: a plain add/subtract running sum drifts;
    // every SMA must stay within 1e-12 relative of the window mean summed afresh.
    let n = 200_000;
    let c: Vec<f64> = (0..n)
        .map(|i| 1e6 + ((i * 7919) % 1000) as f64 * 0.01 + (i as f64 * 1e-3).sin())
        .collect();
    let out = sma(&c, 50).unwrap();
    let mut worst = 0.0f64;
    for i in 49..n {
        let exact = c[i - 49..=i].iter().sum::<f64>() / 50.0;
        worst = worst.max((out[i] - exact).abs() / exact);
    }
    assert!(worst < 1e-12, "worst relative error {worst:e}");
}
