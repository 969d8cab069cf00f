#!/usr/bin/env python3
"""Fastest and median call of every criterion benchmark under a group prefix, as a table.

The benches in crates/ta/benches sample one call per sample, so the fastest sample is the
undisturbed time of one call on a shared machine and the median shows the spread.

Usage (after `cargo bench -p optifire-ta --bench analytics`):
    python3 tools/bench/criterion_table.py [group ...]
reads $CARGO_TARGET_DIR/criterion (or ./target/criterion); no groups: all of them.
"""
import json
import os
import pathlib
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
base = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "criterion"
groups = sys.argv[1:] or sorted(p.name for p in base.iterdir() if p.is_dir() and p.name != "report")


def fmt(s):
    return f"{s * 1e3:.3f} ms" if s < 1 else f"{s:.3f} s"


print(f"{'benchmark':<48}{'fastest':>14}{'median':>14}")
for g in groups:
    gdir = base / g
    for b in sorted(p for p in gdir.iterdir() if (p / "new" / "sample.json").exists()):
        sample = json.loads((b / "new" / "sample.json").read_text())
        per_call = [t / n / 1e9 for t, n in zip(sample["times"], sample["iters"])]
        bench = json.loads((b / "new" / "benchmark.json").read_text())
        print(f"{g + ' / ' + bench['function_id']:<48}{fmt(min(per_call)):>14}{fmt(statistics.median(per_call)):>14}")
