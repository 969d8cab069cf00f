//! Builds of the batch kernels' hot loops for the instruction set at hand.
//!
//! The crate is compiled for baseline x86-64 (SSE2), so its loops vectorise two lanes wide. The
//! hottest loops are also built with AVX2 (`multiversion`) and the build the CPU supports is
//! picked at run time. Only the instruction set changes, never the arithmetic: Rust neither
//! contracts a multiplication and an addition into an FMA nor reorders floating-point
//! operations, and every operation used is correctly rounded by IEEE 754 whatever the
//! instructions, so both builds give the same bits on every machine (a backtest run on one
//! machine and replayed on another must agree). MACD's loop asks for fused multiply-adds
//! explicitly (`f64::mul_add`, one rounding): its build is for AVX2 with FMA, and elsewhere the
//! same fused operation comes from libm's `fma`, correctly rounded too, so the bits again
//! agree. Each dispatched loop's unit test checks that on the real fixture series, calling the
//! baseline body and the dispatched function side by side.

/// The real fixture bars (SPY and ORCL daily), each played forwards then backwards to 20,000
/// bars as in the benches, so the loops see long runs, every chunk boundary and real prices.
#[cfg(test)]
pub(crate) struct Series {
    pub(crate) high: Vec<f64>,
    pub(crate) low: Vec<f64>,
    pub(crate) close: Vec<f64>,
    pub(crate) volume: Vec<f64>,
}

#[cfg(test)]
pub(crate) fn real_series() -> Vec<Series> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/talib/");
    ["SPY.csv", "ORCL.csv"]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(format!("{dir}{name}")).expect("fixture");
            let mut lines = text.lines();
            let header: Vec<&str> = lines.next().expect("header").split(',').collect();
            let col = |n: &str| header.iter().position(|h| *h == n).expect("column");
            let cols = [col("High"), col("Low"), col("Close"), col("Volume")];
            let rows: Vec<[f64; 4]> = lines
                .map(|line| {
                    let f: Vec<&str> = line.split(',').collect();
                    cols.map(|c| f[c].parse().expect("number"))
                })
                .collect();
            let mut s = Series {
                high: vec![],
                low: vec![],
                close: vec![],
                volume: vec![],
            };
            let mut forwards = true;
            while s.close.len() < 20_000 {
                let copy: Vec<&[f64; 4]> = if forwards {
                    rows.iter().collect()
                } else {
                    rows.iter().rev().collect()
                };
                for r in copy.into_iter().take(20_000 - s.close.len()) {
                    s.high.push(r[0]);
                    s.low.push(r[1]);
                    s.close.push(r[2]);
                    s.volume.push(r[3]);
                }
                forwards = !forwards;
            }
            s
        })
        .collect()
}

/// Asserts that two outputs are the same bits (NaN included).
#[cfg(test)]
pub(crate) fn assert_bits_eq(name: &str, a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{name}: length");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.to_bits(), y.to_bits(), "{name}[{i}]: {x} vs {y}");
    }
    // A machine without AVX2 runs the baseline twice: say so rather than pass silently.
    #[cfg(target_arch = "x86_64")]
    if !std::is_x86_feature_detected!("avx2") {
        eprintln!("{name}: no AVX2 on this CPU, both runs were the baseline build");
    }
}
