#!/usr/bin/env python3
"""Speed of optifire-ta's kernels against TA-Lib (C), measured in the same run.

Builds the same 1,000,000-bar input as crates/ta/benches/kernels.rs (the SPY fixture played
forwards then backwards in time, over and over, so prices keep their real level: the earlier
input rescaled every copy to continue from the previous close, which compounded to ~1e218 by
the last bar, where squares overflow and both sides computed infinities), compiles the criterion bench, times each TA-Lib function on that input (10 runs)
right before and right after the criterion run, and prints ours/TA-Lib per kernel (< 1 means we
are faster): best against best (the least disturbed call of each, the robust figure on a shared,
noisy machine) and median against median. Both sides are timed in thread CPU time (criterion
through crates/ta/benches/support/cpu_time.rs, TA-Lib through time.thread_time), call by call,
so time spent waiting for a core does not count; building first and timing TA-Lib on both
sides of the criterion run keeps both measured under the same conditions.

The criterion run gets GLIBC_TUNABLES that keep freed buffers of up to 1 GiB in the heap:
with glibc's defaults, a kernel whose outputs and temporaries together pass the trim threshold
(MACD, BBANDS, STOCH, MFI: several 8 MB vectors) hands them back to the OS on every call and
faults them in again on the next, so the figure would be page faults, not the kernel. NumPy
puts every array of TA-Lib's side (inputs and outputs) on transparent huge pages
(madvise), so glibc.malloc.hugetlb=1 gives the criterion side's vectors the same.

Usage (from the repo root):
    python3 -m venv /tmp/talib-venv
    /tmp/talib-venv/bin/pip install -r tools/reference/requirements-talib.txt
    /tmp/talib-venv/bin/python tools/bench/talib_ratio.py [--rounds N] [NAME ...]

With NAMEs (e.g. ATR STDDEV), only the kernels whose name starts with one of them are timed
on both sides (criterion gets them as an exact-name filter), for quicker iteration on a few
kernels; without, all kernels.

--rounds N (default 1) runs the criterion bench N times, timing TA-Lib before the first run
and after each: on a shared machine a neighbour's burst can slow every one of a kernel's 30
criterion samples (they fall within ~0.1 s) while TA-Lib's calls are spread over two windows a
run apart, so one round can report a kernel 1.5x slower than it is; and each criterion
process has its inputs on other physical pages, which alone moves ATR by up to ~1.4x. With
N > 1 both sides get N + 1 windows and TA-Lib fresh copies of its inputs for each of the later
N: "best" is the fastest call over all of them and "med" the median of all calls.
"""
import csv
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import talib

ROOT = pathlib.Path(__file__).resolve().parents[2]
N = 1_000_000


def load():
    with open(ROOT / "crates/ta/tests/fixtures/talib/SPY.csv") as f:
        rows = [(float(r["Open"]), float(r["High"]), float(r["Low"]), float(r["Close"]), float(r["Volume"]))
                for r in csv.DictReader(f)]
    # Forwards, then backwards in time, and so on (as crates/ta/benches/kernels.rs): every copy
    # starts where the previous one ended and prices keep the real series' level.
    cols = [[], [], [], [], []]
    forwards = True
    while len(cols[3]) < N:
        for r in (rows if forwards else rows[::-1]):
            if len(cols[3]) == N:
                break
            for k in range(5):
                cols[k].append(r[k])
        forwards = not forwards
    return [np.array(c, dtype=np.float64) for c in cols]


def times(fn, reps=10):
    t = []
    for _ in range(reps):
        s = time.thread_time()
        fn()
        t.append(time.thread_time() - s)
    return t


def ours(target, kernel):
    """Criterion's median, its fastest sample and all samples (per iteration), in seconds."""
    d = target / "criterion" / "1M" / kernel / "new"
    est = json.loads((d / "estimates.json").read_text())
    sample = json.loads((d / "sample.json").read_text())
    per_call = [t / n / 1e9 for t, n in zip(sample["times"], sample["iters"])]
    return est["median"]["point_estimate"] / 1e9, min(per_call), per_call


def talib_calls(h, l, c, v):
    """The TA-Lib call of each kernel on the given arrays."""
    return {
        "SMA(30)": lambda: talib.SMA(c, 30),
        "EMA(30)": lambda: talib.EMA(c, 30),
        "WMA(30)": lambda: talib.WMA(c, 30),
        "RSI(14)": lambda: talib.RSI(c, 14),
        "ATR(14)": lambda: talib.ATR(h, l, c, 14),
        "TRANGE": lambda: talib.TRANGE(h, l, c),
        "BBANDS(20,2)": lambda: talib.BBANDS(c, 20, 2.0, 2.0),
        "MACD(12,26,9)": lambda: talib.MACD(c, 12, 26, 9),
        "STDDEV(20)": lambda: talib.STDDEV(c, 20, 1.0),
        "ROC(10)": lambda: talib.ROC(c, 10),
        "MOM(10)": lambda: talib.MOM(c, 10),
        "ADX(14)": lambda: talib.ADX(h, l, c, 14),
        "CCI(14)": lambda: talib.CCI(h, l, c, 14),
        "STOCH(5,3,3)": lambda: talib.STOCH(h, l, c, 5, 3, 0, 3, 0),
        "OBV": lambda: talib.OBV(c, v),
        "MFI(14)": lambda: talib.MFI(h, l, c, v, 14),
        "WILLR(14)": lambda: talib.WILLR(h, l, c, 14),
    }


def main():
    series = load()
    o, h, l, c, v = series
    ta = talib_calls(h, l, c, v)
    args = sys.argv[1:]
    rounds = 1
    if args[:1] == ["--rounds"]:
        rounds, args = int(args[1]), args[2:]
    wanted = args
    if wanted:
        ta = {k: f for k, f in ta.items() if any(k.startswith(w) for w in wanted)}
        if not ta:
            sys.exit(f"no kernel starts with any of {wanted}")
    bench = ["cargo", "bench", "-p", "optifire-ta", "--bench", "kernels"]
    subprocess.run(bench + ["--no-run"], cwd=ROOT, check=True, stderr=subprocess.DEVNULL)
    talib_t = {k: times(f) for k, f in ta.items()}
    env = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.hugetlb=1:"
                                          "glibc.malloc.trim_threshold=1073741824:"
                                          "glibc.malloc.mmap_threshold=1073741824")
    only = ["--", "^1M/(" + "|".join(re.escape(k) for k in ta) + ")$"] if wanted else []
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    runs = {k: [] for k in ta}
    kept = []
    for _ in range(rounds):
        subprocess.run(bench + only, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=env)
        for k in ta:
            runs[k].append(ours(target, k))
        if rounds > 1:
            # Fresh copies of the inputs (the old ones kept alive, so the copies get other
            # memory): every criterion run is a new process with its inputs on other physical
            # pages, which moves memory-bound kernels by up to ~1.4x on this machine, so TA-Lib
            # gets a new placement per window too.
            kept.append(series)
            series = [x.copy() for x in series]
            ta = {k: f for k, f in talib_calls(*series[1:]).items() if k in runs}
        for k, f in ta.items():
            talib_t[k] += times(f)
    print(f"{'kernel':<16}{'ours best':>10}{'TA-Lib best':>12}{'ratio':>7}"
          f"{'ours med':>10}{'TA-Lib med':>11}{'ratio':>7}   (ms)")
    worst = 0.0
    for k, t in talib_t.items():
        if rounds == 1:
            med, fastest, _ = runs[k][0]
        else:
            calls = [x for _, _, per_call in runs[k] for x in per_call]
            med, fastest = statistics.median(calls), min(calls)
        t_best, t_med = min(t), statistics.median(t)
        ratio = fastest / t_best
        worst = max(worst, ratio)
        print(f"{k:<16}{fastest * 1e3:>10.2f}{t_best * 1e3:>12.2f}{ratio:>7.2f}"
              f"{med * 1e3:>10.2f}{t_med * 1e3:>11.2f}{med / t_med:>7.2f}")
    print(f"worst best/best ratio {worst:.2f} "
          f"({'no kernel slower than TA-Lib' if worst <= 1 else 'some kernels slower than TA-Lib'})")


if __name__ == "__main__":
    main()
