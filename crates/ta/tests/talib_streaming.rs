//! Streaming form == batch form, for every indicator: on random series (proptest, also with
//! NaN gaps) and on the real SPY and ORCL bars. Equality is exact (bit for bit, NaN == NaN):
//! the live engine must see the numbers the backtest saw. Also checks that `reset` replays
//! identically and that `is_ready` agrees with the first `Some`.

mod talib_support;

use optifire_ta::average::{ema, sma, wma, Ema, Sma, Wma};
use optifire_ta::momentum::{
    adx, cci, macd, mom, roc, rsi, stoch, willr, Adx, Cci, Macd, Mom, Roc, Rsi, Stoch, Willr,
};
use optifire_ta::volatility::{atr, bbands, stddev, trange, Atr, Bbands, Stddev, Trange};
use optifire_ta::volume::{mfi, obv, Mfi, Obv};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Bars {
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Compares a batch output with a streaming run (None must be NaN in the batch).
fn assert_same(name: &str, batch: &[f64], stream: &[Option<f64>]) {
    assert_eq!(batch.len(), stream.len(), "{name}: length");
    for (i, (b, s)) in batch.iter().zip(stream).enumerate() {
        match s {
            None => assert!(b.is_nan(), "{name}[{i}]: batch {b}, streaming not ready"),
            Some(s) => assert!(same(*b, *s), "{name}[{i}]: batch {b}, streaming {s}"),
        }
    }
    if let Some(first) = stream.iter().position(Option::is_some) {
        assert!(
            stream[first..].iter().all(Option::is_some),
            "{name}: None after warm-up"
        );
    }
}

/// Runs `update` over `n` bars twice (the second time after `reset`) and checks both runs and
/// `is_ready` against each other.
macro_rules! stream {
    ($ind:expr, $n:expr, |$s:ident, $i:ident| $update:expr) => {{
        let mut $s = $ind;
        let first: Vec<_> = (0..$n)
            .map(|$i| {
                let out = $update;
                assert_eq!($s.is_ready(), out.is_some(), "is_ready at {}", $i);
                out
            })
            .collect();
        $s.reset();
        assert!(!$s.is_ready(), "is_ready after reset");
        let second: Vec<_> = (0..$n).map(|$i| $update).collect();
        assert_eq!(
            format!("{first:?}"),
            format!("{second:?}"),
            "replay after reset"
        );
        first
    }};
}

fn check_all(b: &Bars) {
    let (h, l, c, v) = (&b.high[..], &b.low[..], &b.close[..], &b.volume[..]);
    let n = c.len();

    let s = stream!(Sma::new(5).unwrap(), n, |s, i| s.update(c[i]));
    assert_same("SMA", &sma(c, 5).unwrap(), &s);
    let s = stream!(Ema::new(7).unwrap(), n, |s, i| s.update(c[i]));
    assert_same("EMA", &ema(c, 7).unwrap(), &s);
    let s = stream!(Wma::new(4).unwrap(), n, |s, i| s.update(c[i]));
    assert_same("WMA", &wma(c, 4).unwrap(), &s);
    let s = stream!(Rsi::new(6).unwrap(), n, |s, i| s.update(c[i]));
    assert_same("RSI", &rsi(c, 6).unwrap(), &s);
    let s = stream!(Atr::new(5).unwrap(), n, |s, i| s.update(h[i], l[i], c[i]));
    assert_same("ATR", &atr(h, l, c, 5).unwrap(), &s);
    let s = stream!(Trange::new(), n, |s, i| s.update(h[i], l[i], c[i]));
    assert_same("TRANGE", &trange(h, l, c).unwrap(), &s);
    let s = stream!(Stddev::new(6, 1.5).unwrap(), n, |s, i| s.update(c[i]));
    assert_same("STDDEV", &stddev(c, 6, 1.5).unwrap(), &s);
    let s = stream!(Roc::new(3).unwrap(), n, |s, i| s.update(c[i]));
    assert_same("ROC", &roc(c, 3).unwrap(), &s);
    let s = stream!(Mom::new(3).unwrap(), n, |s, i| s.update(c[i]));
    assert_same("MOM", &mom(c, 3).unwrap(), &s);
    let s = stream!(Adx::new(4).unwrap(), n, |s, i| s.update(h[i], l[i], c[i]));
    assert_same("ADX", &adx(h, l, c, 4).unwrap(), &s);
    let s = stream!(Cci::new(5).unwrap(), n, |s, i| s.update(h[i], l[i], c[i]));
    assert_same("CCI", &cci(h, l, c, 5).unwrap(), &s);
    let s = stream!(Willr::new(5).unwrap(), n, |s, i| s.update(h[i], l[i], c[i]));
    assert_same("WILLR", &willr(h, l, c, 5).unwrap(), &s);
    let s = stream!(Obv::new(), n, |s, i| s.update(c[i], v[i]));
    assert_same("OBV", &obv(c, v).unwrap(), &s);
    let s = stream!(Mfi::new(4).unwrap(), n, |s, i| s
        .update(h[i], l[i], c[i], v[i]));
    assert_same("MFI", &mfi(h, l, c, v, 4).unwrap(), &s);

    let s = stream!(Bbands::new(5, 2.0, 1.5).unwrap(), n, |s, i| s.update(c[i]));
    let batch = bbands(c, 5, 2.0, 1.5).unwrap();
    assert_same(
        "BBANDS upper",
        &batch.upper,
        &s.iter().map(|o| o.map(|o| o.upper)).collect::<Vec<_>>(),
    );
    assert_same(
        "BBANDS middle",
        &batch.middle,
        &s.iter().map(|o| o.map(|o| o.middle)).collect::<Vec<_>>(),
    );
    assert_same(
        "BBANDS lower",
        &batch.lower,
        &s.iter().map(|o| o.map(|o| o.lower)).collect::<Vec<_>>(),
    );

    let s = stream!(Macd::new(3, 6, 4).unwrap(), n, |s, i| s.update(c[i]));
    let batch = macd(c, 3, 6, 4).unwrap();
    assert_same(
        "MACD macd",
        &batch.macd,
        &s.iter().map(|o| o.map(|o| o.macd)).collect::<Vec<_>>(),
    );
    assert_same(
        "MACD signal",
        &batch.signal,
        &s.iter().map(|o| o.map(|o| o.signal)).collect::<Vec<_>>(),
    );
    assert_same(
        "MACD hist",
        &batch.hist,
        &s.iter().map(|o| o.map(|o| o.hist)).collect::<Vec<_>>(),
    );

    let s = stream!(Stoch::new(5, 3, 2).unwrap(), n, |s, i| s
        .update(h[i], l[i], c[i]));
    let batch = stoch(h, l, c, 5, 3, 2).unwrap();
    assert_same(
        "STOCH k",
        &batch.k,
        &s.iter().map(|o| o.map(|o| o.k)).collect::<Vec<_>>(),
    );
    assert_same(
        "STOCH d",
        &batch.d,
        &s.iter().map(|o| o.map(|o| o.d)).collect::<Vec<_>>(),
    );
}

fn bars_strategy(with_gaps: bool) -> impl Strategy<Value = Bars> {
    let price = if with_gaps {
        prop_oneof![20 => 1.0f64..500.0, 1 => Just(f64::NAN)].boxed()
    } else {
        (1.0f64..500.0).boxed()
    };
    prop::collection::vec((price, 0.0f64..5.0, 0.0f64..5.0, 0.0f64..1e7), 0..120).prop_map(|rows| {
        Bars {
            high: rows.iter().map(|r| r.0 + r.1).collect(),
            low: rows.iter().map(|r| r.0 - r.2).collect(),
            close: rows.iter().map(|r| r.0).collect(),
            volume: rows.iter().map(|r| r.3.round()).collect(),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn streaming_equals_batch_on_random_series(bars in bars_strategy(false)) {
        check_all(&bars);
    }

    #[test]
    fn streaming_equals_batch_on_random_series_with_gaps(bars in bars_strategy(true)) {
        check_all(&bars);
    }
}

#[test]
fn streaming_equals_batch_on_real_series() {
    for name in ["spy", "orcl"] {
        let f = talib_support::load(name);
        check_all(&Bars {
            high: f.inputs.high,
            low: f.inputs.low,
            close: f.inputs.close,
            volume: f.inputs.volume,
        });
    }
}

/// Series longer than the chunks the batch forms work in (512 bars), with NaN gaps just before,
/// on and after chunk boundaries and runs of them: the fast path for gap-free chunks and the
/// gap-aware one must hand over without a trace.
#[test]
fn streaming_equals_batch_on_long_series_with_gaps() {
    // A deterministic random walk (xorshift), so a failure reproduces.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let n = 3000;
    let mut price = 100.0;
    let mut bars = Bars {
        high: Vec::with_capacity(n),
        low: Vec::with_capacity(n),
        close: Vec::with_capacity(n),
        volume: Vec::with_capacity(n),
    };
    for _ in 0..n {
        price *= 1.0 + (next() - 0.5) * 0.04;
        bars.high.push(price + next() * 2.0);
        bars.low.push(price - next() * 2.0);
        bars.close.push(price);
        bars.volume.push((next() * 1e6).round());
    }
    check_all(&bars);
    for &(at, len) in &[
        (40, 1),
        (509, 3),
        (1023, 1),
        (1024, 2),
        (1600, 40),
        (2990, 1),
    ] {
        for i in at..at + len {
            bars.close[i] = f64::NAN;
        }
    }
    bars.high[700] = f64::INFINITY;
    bars.low[1300] = f64::NAN;
    bars.volume[1800] = f64::NAN;
    check_all(&bars);
}

/// Windows that turn (nearly) flat between two recomputes, where the variance's error guard
/// refuses the running sums and recomputes (~2,300 times here, at each of the 16 positions of
/// the batch form's blocks of bars): a high-priced spike leaving a flat stretch, noise of a
/// millionth of a cent, exact repeats. STDDEV and BBANDS, short and long windows.
#[test]
fn streaming_equals_batch_where_windows_turn_nearly_flat() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut close = Vec::new();
    let mut x = 100.0;
    for i in 0..20_000usize {
        x = match (i / 37) % 5 {
            0 => x + next() - 0.5,
            1 => x,
            2 => x + (next() - 0.5) * 1e-8,
            3 if i % 37 == 11 => 1e7,
            3 => 100.0 + (next() - 0.5) * 1e-6,
            _ => x * (1.0 + (next() - 0.5) * 1e-12),
        };
        close.push(x);
    }
    let n = close.len();
    for period in [2, 5, 17, 30] {
        let s = stream!(Stddev::new(period, 1.5).unwrap(), n, |s, i| s
            .update(close[i]));
        assert_same("STDDEV", &stddev(&close, period, 1.5).unwrap(), &s);
        let s = stream!(Bbands::new(period, 2.0, 1.5).unwrap(), n, |s, i| s
            .update(close[i]));
        let batch = bbands(&close, period, 2.0, 1.5).unwrap();
        assert_same(
            "BBANDS lower",
            &batch.lower,
            &s.iter().map(|o| o.map(|o| o.lower)).collect::<Vec<_>>(),
        );
    }
}
