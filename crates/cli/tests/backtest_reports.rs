//! The backtest's reports and research commands end to end: the seven output files are
//! byte-identical between runs, report.html is self-contained, a sweep cell is exactly the
//! single backtest with the same settings, a sweep does not depend on its thread count, and
//! nothing is drawn on stderr when it is not a terminal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn optifire(args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_optifire"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "optifire {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

const SMA: [&str; 14] = [
    "backtest",
    "--strategy",
    "sma_cross",
    "--data",
    "data/sample/SPY.csv",
    "--fast",
    "10",
    "--slow",
    "30",
    "--size",
    "100",
    "--commission",
    "0.001",
    "--out",
];

const FILES: [&str; 7] = [
    "metrics.json",
    "equity.csv",
    "trades.csv",
    "orders.csv",
    "equity.png",
    "drawdown.png",
    "report.html",
];

#[test]
fn sma_cross_outputs_are_identical_between_runs_and_quiet_off_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let oa = optifire(&[&SMA[..], &[a.to_str().unwrap()]].concat());
    optifire(&[&SMA[..], &[b.to_str().unwrap()]].concat());
    for f in FILES {
        let x = std::fs::read(a.join(f)).unwrap();
        let y = std::fs::read(b.join(f)).unwrap();
        assert!(x.len() > 100, "{f} is nearly empty");
        assert_eq!(x, y, "{f} differs between two runs");
    }
    for png in ["equity.png", "drawdown.png"] {
        assert_eq!(
            &std::fs::read(a.join(png)).unwrap()[..8],
            b"\x89PNG\r\n\x1a\n"
        );
    }
    // Stderr is a pipe here: no progress bar, no escape codes.
    assert!(
        oa.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&oa.stderr)
    );
}

#[test]
fn report_html_is_self_contained_and_shows_the_metrics_and_trades() {
    let dir = tempfile::tempdir().unwrap();
    optifire(&[&SMA[..], &[dir.path().to_str().unwrap()]].concat());
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("metrics.json")).unwrap())
            .unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Two inline charts and nothing fetched or run.
    assert_eq!(html.matches("<svg").count(), 2);
    for banned in [
        "<script", "<link", "<img", "<iframe", "src=", "url(", "@import",
    ] {
        assert!(!html.contains(banned), "report.html contains {banned}");
    }
    // The metrics table shows the final equity of metrics.json; the trades table every fill.
    let final_equity = metrics["final_equity"].as_str().unwrap();
    assert!(html.contains(&format!("<td>Final equity</td><td>{final_equity}</td>")));
    let fills = metrics["fills"].as_u64().unwrap() as usize;
    assert!(fills > 0);
    assert_eq!(
        html.matches("<td>SPY</td>").count(),
        fills + 1,
        "fills + summary row"
    );
}

fn csv_rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

fn metrics_of(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap()
}

/// The sweep row's numbers, written in the same shortest form as metrics.json's.
fn assert_row_is_backtest(row: &std::collections::BTreeMap<String, String>, m: &serde_json::Value) {
    assert_eq!(row["final_equity"], m["final_equity"].as_str().unwrap());
    assert_eq!(row["commissions"], m["commissions"].as_str().unwrap());
    assert_eq!(row["trades"], m["trades"].to_string());
    assert_eq!(row["days"], m["days"].to_string());
    for k in ["total_return", "sharpe", "max_drawdown", "cagr"] {
        assert_eq!(
            row[k].parse::<f64>().unwrap(),
            m[k].as_f64().unwrap(),
            "{k}"
        );
    }
}

#[test]
fn a_sweep_cell_is_the_single_backtest_with_the_same_settings() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("sweep");
    let common = [
        "--data",
        "data/sample/SPY.csv",
        "--size",
        "100",
        "--commission",
        "0.001",
    ];
    let o = optifire(
        &[
            &["sweep", "--fast", "10:20:10", "--slow", "30:40:10"][..],
            &common,
            &["--out", sweep.to_str().unwrap()],
        ]
        .concat(),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.starts_with("4 backtests (1 fold(s) x 1 phase(s) x 4 window pairs)"),
        "{stdout}"
    );
    let rows = csv_rows(&sweep.join("sweep.csv"));
    assert_eq!(rows.len(), 4);
    // Sorted by fast then slow, whatever thread finished first.
    let pairs: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r["fast"].clone(), r["slow"].clone()))
        .collect();
    assert_eq!(
        pairs,
        [("10", "30"), ("10", "40"), ("20", "30"), ("20", "40")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert!(sweep.join("heatmap.png").exists());

    let single = dir.path().join("single");
    optifire(&[&SMA[..], &[single.to_str().unwrap()]].concat());
    assert_row_is_backtest(&rows[0], &metrics_of(&single));

    // Walk-forward: an out-of-sample row is the backtest restricted to its dates.
    let wf = dir.path().join("wf");
    optifire(
        &[
            &["sweep", "--fast", "10", "--slow", "30", "--folds", "2"][..],
            &common,
            &["--out", wf.to_str().unwrap()],
        ]
        .concat(),
    );
    let rows = csv_rows(&wf.join("sweep.csv"));
    let phases: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["fold"].as_str(), r["phase"].as_str()))
        .collect();
    assert_eq!(
        phases,
        [
            ("0", "in_sample"),
            ("0", "out_of_sample"),
            ("1", "in_sample"),
            ("1", "out_of_sample")
        ]
    );
    // Consecutive windows: fold 0 tests where fold 1 trains.
    assert_eq!(rows[1]["from"], rows[2]["from"]);
    let oos = &rows[3];
    let part = dir.path().join("part");
    optifire(
        &[
            &SMA[..],
            &[
                part.to_str().unwrap(),
                "--from",
                &oos["from"],
                "--to",
                &oos["to"],
            ],
        ]
        .concat(),
    );
    let m = metrics_of(&part);
    assert_eq!(m["start"].as_str().unwrap(), oos["from"]);
    assert_eq!(m["end"].as_str().unwrap(), oos["to"]);
    assert_row_is_backtest(oos, &m);
}

#[test]
fn sweep_files_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str, out: &Path| {
        optifire(&[
            "sweep",
            "--data",
            "data/sample/QQQ.csv",
            "--fast",
            "5:15:5",
            "--slow",
            "20:40:10",
            "--folds",
            "2",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run("1", &a);
    run("3", &b);
    for f in ["sweep.csv", "heatmap.png"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between 1 and 3 threads"
        );
    }
    // 3 x 3 windows, all fast < slow, 2 folds x 2 phases; one best pair per fold, on both
    // of its rows.
    let rows = csv_rows(&a.join("sweep.csv"));
    assert_eq!(rows.len(), 36);
    assert_eq!(
        rows.iter()
            .filter(|r| r["best_in_sample"] == "true")
            .count(),
        4
    );
}

#[test]
fn bench_prints_throughput_and_memory_for_both_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    for s in ["SPY", "QQQ"] {
        std::fs::copy(
            repo().join(format!("data/sample/{s}.csv")),
            dir.path().join(format!("{s}.csv")),
        )
        .unwrap();
    }
    let o = optifire(&[
        "bench",
        "--runs",
        "1",
        "--long",
        "data/sample/SPY.csv",
        "--sample",
        dir.path().to_str().unwrap(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.matches("bars/s").count(), 2, "{out}");
    assert_eq!(out.matches("peak memory:").count(), 2, "{out}");
    assert!(
        out.contains("sma_cross 10/30 on data/sample/SPY.csv"),
        "{out}"
    );
}
