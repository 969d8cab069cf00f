//! The non-indicator kernels (returns, risk, statistics, filters, signal) on real data (criterion).
//!
//! Input: the real SPY and ORCL daily closes of tests/fixtures/talib, each chained end to end
//! (every copy rescaled to continue from the previous close) to the size a kernel is used at:
//! 1,000,000 points for the O(n) kernels, fewer where the kernel is an iterative fit or O(n²)
//! (the size is in each benchmark's name). Each sample is a single call (flat sampling, 10
//! samples, as in kernels.rs), timed in thread CPU time (support/cpu_time.rs) so that waiting for
//! a core on a shared machine does not count (tools/bench/criterion_table.py prints the fastest
//! and the median call).

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use nalgebra::{DMatrix, Matrix2, Vector2};
use optifire_ta::filters::{
    dynamic_regression, local_level, local_trend, DynamicRegressionParams, LocalLevelParams,
    LocalTrendParams,
};
use optifire_ta::returns::{
    ewm_cov, ewm_mean, ewm_var, log_returns, realized_volatility, rolling_beta, simple_returns,
    EwmSpec,
};
use optifire_ta::risk::{
    cornish_fisher_var, drawdown_series, historical_cvar, historical_var, max_drawdown,
    parametric_cvar, parametric_var, sharpe_ratio, sortino_ratio,
};
use optifire_ta::signal::{
    approximate_entropy, dtw_distance, isotonic_regression, sample_entropy, shannon_entropy,
    wavedec, wavelet_denoise, EntropyUnit, IncrementalPca, Pca,
};
use optifire_ta::stats::{ks_two_sample, ols, population_stability_index_of};
use optifire_ta::timeseries::{adf, engle_granger, fit_garch11, frac_diff_ffd, AdfOptions};
use optifire_ta::timeseries::{CointOptions, GarchMean};
use std::hint::black_box;

#[path = "support/cpu_time.rs"]
mod cpu_time;
use cpu_time::ThreadCpuTime;
use std::time::Duration;

const M: usize = 1_000_000;

/// A kernel's result; an error (say, an input the kernel refuses) fails the bench instead of
/// timing the error path.
fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.expect("kernel failed on the bench input")
}

/// Closes of a fixture (column `Close`), oldest first.
fn closes(file: &str) -> Vec<f64> {
    let path = format!("{}/tests/fixtures/talib/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("fixture");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = header.iter().position(|h| *h == "Close").expect("Close");
    lines
        .map(|l| {
            l.split(',')
                .nth(col)
                .expect("field")
                .parse()
                .expect("number")
        })
        .collect()
}

/// `base` chained end to end to `n` prices, each copy continuing from the previous close.
fn chained(base: &[f64], n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    let mut scale = 1.0;
    while out.len() < n {
        for &c in base {
            if out.len() == n {
                break;
            }
            out.push(c * scale);
        }
        scale = out[out.len() - 1] / base[0];
    }
    out
}

fn quick<'a>(c: &'a mut Criterion<ThreadCpuTime>, name: &str) -> BenchmarkGroup<'a, ThreadCpuTime> {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(100));
    // Far below what 10 samples need, so criterion runs one call per sample.
    g.measurement_time(Duration::from_millis(1));
    g
}

fn analytics(c: &mut Criterion<ThreadCpuTime>) {
    let (spy, orcl) = (closes("SPY.csv"), closes("ORCL.csv"));
    let px = chained(&spy, M + 1);
    let py = chained(&orcl, M + 1);
    let rx = log_returns(&px)[1..].to_vec();
    let ry = log_returns(&py)[1..].to_vec();

    let mut g = quick(c, "returns 1M");
    g.bench_function("simple_returns", |b| {
        b.iter(|| simple_returns(black_box(&px)))
    });
    g.bench_function("log_returns", |b| b.iter(|| log_returns(black_box(&px))));
    g.bench_function("realized_volatility(21)", |b| {
        b.iter(|| ok(realized_volatility(black_box(&px), 21, 252.0)))
    });
    g.bench_function("rolling_beta(60)", |b| {
        b.iter(|| ok(rolling_beta(black_box(&rx), &ry, 60)))
    });
    let spec = EwmSpec::span(30.0, true).expect("span");
    g.bench_function("ewm_mean(span 30)", |b| {
        b.iter(|| ewm_mean(black_box(&rx), spec))
    });
    g.bench_function("ewm_var(span 30)", |b| {
        b.iter(|| ewm_var(black_box(&rx), spec))
    });
    g.bench_function("ewm_cov(span 30)", |b| {
        b.iter(|| ok(ewm_cov(black_box(&rx), &ry, spec)))
    });
    g.finish();

    let mut g = quick(c, "risk 1M");
    g.bench_function("historical_var(0.95)", |b| {
        b.iter(|| ok(historical_var(black_box(&rx), 0.95)))
    });
    g.bench_function("historical_cvar(0.95)", |b| {
        b.iter(|| ok(historical_cvar(black_box(&rx), 0.95)))
    });
    g.bench_function("parametric_var(0.95)", |b| {
        b.iter(|| ok(parametric_var(black_box(&rx), 0.95)))
    });
    g.bench_function("parametric_cvar(0.95)", |b| {
        b.iter(|| ok(parametric_cvar(black_box(&rx), 0.95)))
    });
    g.bench_function("cornish_fisher_var(0.95)", |b| {
        b.iter(|| ok(cornish_fisher_var(black_box(&rx), 0.95)))
    });
    g.bench_function("sharpe_ratio", |b| {
        b.iter(|| ok(sharpe_ratio(black_box(&rx), 0.0, 252.0)))
    });
    g.bench_function("sortino_ratio", |b| {
        b.iter(|| ok(sortino_ratio(black_box(&rx), 0.0, 252.0)))
    });
    g.bench_function("drawdown_series", |b| {
        b.iter(|| drawdown_series(black_box(&px)))
    });
    g.bench_function("max_drawdown", |b| {
        b.iter(|| ok(max_drawdown(black_box(&rx))))
    });
    g.finish();

    let mut g = quick(c, "statistics");
    let n = 100_000;
    let (x1, x2) = (&rx[..n], &ry[..n]);
    let x3: Vec<f64> = rx[n..2 * n].to_vec();
    let y: Vec<f64> = (0..n)
        .map(|i| 0.5 * x1[i] - 0.2 * x2[i] + ry[n + i])
        .collect();
    g.bench_function("ols 100k x 3 + intercept", |b| {
        b.iter(|| ok(ols(black_box(&y), &[x1, x2, &x3], true)))
    });
    let (lx, ly): (Vec<f64>, Vec<f64>) = (
        px[..5_000].iter().map(|p| p.ln()).collect(),
        py[..5_000].iter().map(|p| p.ln()).collect(),
    );
    g.bench_function("adf 5k autolag AIC", |b| {
        b.iter(|| ok(adf(black_box(&lx), &AdfOptions::default())))
    });
    g.bench_function("engle_granger 5k autolag AIC", |b| {
        b.iter(|| ok(engle_granger(black_box(&lx), &ly, &CointOptions::default())))
    });
    let pct: Vec<f64> = rx[..2_000].iter().map(|r| 100.0 * r).collect();
    g.bench_function("garch11 fit 2k", |b| {
        b.iter(|| ok(fit_garch11(black_box(&pct), GarchMean::Constant)))
    });
    // The exact p-value (the only one implemented) takes samples of up to 10,000.
    g.bench_function("ks_two_sample 10k x 10k", |b| {
        b.iter(|| ok(ks_two_sample(black_box(&x1[..10_000]), &x2[..10_000])))
    });
    g.bench_function("psi 1M vs 1M, 10 bins", |b| {
        b.iter(|| ok(population_stability_index_of(black_box(&rx), &ry, 10)))
    });
    g.finish();

    let mut g = quick(c, "filters 1M");
    let level = LocalLevelParams {
        q: 1e-4,
        r: 1e-2,
        initial_level: px[0],
        initial_variance: 1.0,
    };
    g.bench_function("kalman local_level", |b| {
        b.iter(|| ok(local_level(black_box(&px[..M]), level)))
    });
    let trend = LocalTrendParams {
        q: Matrix2::new(1e-4, 0.0, 0.0, 1e-6),
        r: 1e-2,
        initial_state: Vector2::new(px[0], 0.0),
        initial_covariance: Matrix2::identity(),
    };
    g.bench_function("kalman local_trend", |b| {
        b.iter(|| ok(local_trend(black_box(&px[..M]), trend)))
    });
    let regression =
        DynamicRegressionParams::with_delta(1e-4, 1e-3, Vector2::zeros(), Matrix2::identity())
            .expect("params");
    g.bench_function("kalman dynamic_regression", |b| {
        b.iter(|| {
            ok(dynamic_regression(
                black_box(&px[..M]),
                &py[..M],
                regression,
            ))
        })
    });
    g.finish();

    let mut g = quick(c, "signal");
    let logs: Vec<f64> = px[..100_000].iter().map(|p| p.ln()).collect();
    g.bench_function("frac_diff_ffd 100k d=0.4 1e-5", |b| {
        b.iter(|| ok(frac_diff_ffd(black_box(&logs), 0.4, 1e-5)))
    });
    g.bench_function("wavedec db4 1M level 5", |b| {
        b.iter(|| ok(wavedec(black_box(&rx), 5)))
    });
    g.bench_function("wavelet_denoise db4 1M level 5", |b| {
        b.iter(|| ok(wavelet_denoise(black_box(&rx), 5)))
    });
    let rows = 10_000;
    let cols = 20;
    let data = DMatrix::from_fn(rows, cols, |i, j| rx[j * rows + i]);
    g.bench_function("pca 10k x 20", |b| {
        b.iter(|| ok(Pca::fit(black_box(&data), Some(5))))
    });
    g.bench_function("incremental_pca 10k x 20 batch 1k", |b| {
        b.iter(|| ok(IncrementalPca::fit(black_box(&data), Some(5), 1_000)))
    });
    g.bench_function("shannon_entropy 1M 50 bins", |b| {
        b.iter(|| ok(shannon_entropy(black_box(&rx), 50, EntropyUnit::Nats)))
    });
    let short = &rx[..2_000];
    g.bench_function("sample_entropy 2k m=2", |b| {
        b.iter(|| ok(sample_entropy(black_box(short), 2, None)))
    });
    g.bench_function("approximate_entropy 2k m=2", |b| {
        b.iter(|| ok(approximate_entropy(black_box(short), 2, None)))
    });
    g.bench_function("dtw 2k x 2k", |b| {
        b.iter(|| ok(dtw_distance(black_box(short), &ry[..2_000], None)))
    });
    g.bench_function("isotonic_regression 1M", |b| {
        b.iter(|| ok(isotonic_regression(black_box(&rx), None)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = analytics
}
criterion_main!(benches);
