//! Every indicator kernel on 1,000,000 bars (criterion).
//!
//! Input: the real SPY daily bars of tests/fixtures/talib/SPY.csv, played forwards then backwards
//! in time, over and over, to 1M bars: real price dynamics and levels at scale, deterministic,
//! and the exact input tools/bench/talib_ratio.py feeds TA-Lib for the ratio.
//!
//! Timed in thread CPU time (support/cpu_time.rs; the ratio script times TA-Lib with the same
//! clock), so waiting for a core on a shared machine does not count. Every sample is a single
//! call (flat sampling, 30 samples), as TA-Lib is timed call by call.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use optifire_ta::{average, momentum, volatility, volume};
use std::hint::black_box;

#[path = "support/cpu_time.rs"]
mod cpu_time;
use cpu_time::ThreadCpuTime;
use std::time::Duration;

pub const N: usize = 1_000_000;

struct Bars {
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

fn load() -> Bars {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/talib/SPY.csv");
    let text = std::fs::read_to_string(path).expect("SPY fixture");
    let mut rows: Vec<[f64; 5]> = Vec::new();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).expect("column");
    let (o, h, l, c, v) = (
        col("Open"),
        col("High"),
        col("Low"),
        col("Close"),
        col("Volume"),
    );
    for line in lines {
        let f: Vec<f64> = line
            .split(',')
            .skip(1)
            .map(|x| x.parse().expect("number"))
            .collect();
        // `f` skips Date, so column k of the header is f[k - 1].
        rows.push([f[o - 1], f[h - 1], f[l - 1], f[c - 1], f[v - 1]]);
    }
    let mut b = Bars {
        open: vec![],
        high: vec![],
        low: vec![],
        close: vec![],
        volume: vec![],
    };
    // Forwards, then backwards in time, and so on: each copy starts at the close the previous
    // one ended with, and the level stays that of the real series. (Rescaling every copy to
    // continue from the previous close instead compounds SPY's growth to ~1e218 by bar 1M, where
    // squares overflow and variance kernels on both sides compute infinities.)
    let mut forwards = true;
    while b.close.len() < N {
        let copy: Vec<&[f64; 5]> = if forwards {
            rows.iter().collect()
        } else {
            rows.iter().rev().collect()
        };
        for r in copy {
            if b.close.len() == N {
                break;
            }
            b.open.push(r[0]);
            b.high.push(r[1]);
            b.low.push(r[2]);
            b.close.push(r[3]);
            b.volume.push(r[4]);
        }
        forwards = !forwards;
    }
    b
}

fn kernels(c: &mut Criterion<ThreadCpuTime>) {
    let b = load();
    let faults_after_load = minor_faults();
    let (h, l, cl, v) = (&b.high[..], &b.low[..], &b.close[..], &b.volume[..]);
    let _ = &b.open;
    let mut g = c.benchmark_group("1M");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(30);
    // Far below what 30 samples need, so criterion runs one call per sample.
    g.measurement_time(Duration::from_millis(1));
    g.warm_up_time(Duration::from_millis(200));
    g.bench_function("SMA(30)", |x| x.iter(|| average::sma(black_box(cl), 30)));
    g.bench_function("EMA(30)", |x| x.iter(|| average::ema(black_box(cl), 30)));
    g.bench_function("WMA(30)", |x| x.iter(|| average::wma(black_box(cl), 30)));
    g.bench_function("RSI(14)", |x| x.iter(|| momentum::rsi(black_box(cl), 14)));
    g.bench_function("ATR(14)", |x| {
        x.iter(|| volatility::atr(black_box(h), l, cl, 14))
    });
    g.bench_function("TRANGE", |x| {
        x.iter(|| volatility::trange(black_box(h), l, cl))
    });
    g.bench_function("BBANDS(20,2)", |x| {
        x.iter(|| volatility::bbands(black_box(cl), 20, 2.0, 2.0))
    });
    g.bench_function("MACD(12,26,9)", |x| {
        x.iter(|| momentum::macd(black_box(cl), 12, 26, 9))
    });
    g.bench_function("STDDEV(20)", |x| {
        x.iter(|| volatility::stddev(black_box(cl), 20, 1.0))
    });
    g.bench_function("ROC(10)", |x| x.iter(|| momentum::roc(black_box(cl), 10)));
    g.bench_function("MOM(10)", |x| x.iter(|| momentum::mom(black_box(cl), 10)));
    g.bench_function("ADX(14)", |x| {
        x.iter(|| momentum::adx(black_box(h), l, cl, 14))
    });
    g.bench_function("CCI(14)", |x| {
        x.iter(|| momentum::cci(black_box(h), l, cl, 14))
    });
    g.bench_function("STOCH(5,3,3)", |x| {
        x.iter(|| momentum::stoch(black_box(h), l, cl, 5, 3, 3))
    });
    g.bench_function("OBV", |x| x.iter(|| volume::obv(black_box(cl), v)));
    g.bench_function("MFI(14)", |x| {
        x.iter(|| volume::mfi(black_box(h), l, cl, v, 14))
    });
    g.bench_function("WILLR(14)", |x| {
        x.iter(|| momentum::willr(black_box(h), l, cl, 14))
    });
    g.finish();
    report_pages(faults_after_load);
}

/// This process's minor page faults so far (Linux; 0 elsewhere): field 10 of /proc/self/stat,
/// the 8th after the command name's closing parenthesis.
fn minor_faults() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.to_owned();
            rest.split_whitespace().nth(7)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Prints how much of this process's memory sat on transparent huge pages (Linux only) and the
/// page faults taken by all the calls, for tools/bench/talib_ratio.py, which checks that both
/// sides ran under the same page policy: with THP in `madvise` mode NumPy puts TA-Lib's arrays
/// on 2 MB pages and glibc's malloc puts ours on 4 KB pages unless told otherwise, and TLB
/// misses then differ between the sides; and a heap that returns freed outputs to the OS
/// faults them in again on every call.
fn report_pages(faults_after_load: u64) {
    use std::io::Write;
    let Ok(rollup) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return;
    };
    let mut stdout = std::io::stdout().lock();
    // A closed stdout only loses the report.
    let _ = writeln!(
        stdout,
        "pages faults after loading: {}",
        minor_faults() - faults_after_load
    );
    for line in rollup.lines() {
        if line.starts_with("Rss:") || line.starts_with("AnonHugePages:") {
            let _ = writeln!(stdout, "pages {line}");
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = kernels
}
criterion_main!(benches);
