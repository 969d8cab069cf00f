#!/usr/bin/env python3
"""Speed of optifire-ta's kernels against TA-Lib (C), measured in the same run.

Builds the same 1,000,000-bar input as crates/ta/benches/kernels.rs (the SPY fixture played
forwards then backwards in time, over and over, so prices keep their real level: the earlier
input rescaled every copy to continue from the previous close, which compounded to ~1e218 by
the last bar, where squares overflow and both sides computed infinities), compiles the criterion
bench, times each TA-Lib function on that input around each kernel's criterion run (see
Interleaving below) and prints ours/TA-Lib per kernel (< 1 means we are faster): best against
best (the least disturbed call of each, the robust figure on a shared, noisy machine) and median
against median. Both sides are timed in thread CPU time (criterion through
crates/ta/benches/support/cpu_time.rs, TA-Lib through time.thread_time), call by call, so time
spent waiting for a core does not count.

Memory pages: the same policy on both sides, chosen with --pages and checked. With transparent
huge pages (THP) in `madvise` mode (this machine's setting), NumPy madvises every array of 4 MB
or more onto 2 MB pages, so TA-Lib's inputs and outputs sit on huge pages, while a Rust Vec from
glibc's malloc sits on 4 KB pages unless glibc is told otherwise; the 4 KB side then pays TLB
misses the other does not (measured here: TRANGE and MOM 20-40% slower on 4 KB pages, either
side). So:
  --pages 4k (default): THP disabled for this process and, inherited, for the criterion run
    (prctl PR_SET_THP_DISABLE, whatever the system's THP mode) and NumPy's madvise off: both
    sides on 4 KB pages, as a plain Rust program and a NumPy without THP get.
  --pages 2m: NumPy as it comes (madvise) and glibc.malloc.hugetlb=1 for the criterion run,
    which makes glibc madvise its heap the same way: both sides on 2 MB pages where the kernel
    can supply them.
The output states each side's AnonHugePages (from /proc/self/smaps_rollup; the bench prints
its own), so a mismatch shows.

Heap: both sides run under the same GLIBC_TUNABLES (this script re-executes itself with them,
as glibc reads them at start-up, and passes them to the criterion run), which keep freed
buffers of up to 1 GiB in the heap. With glibc's defaults, a call whose outputs and temporaries
together pass the trim threshold hands them back to the OS on return and faults them in again
on the next call: TA-Lib's BBANDS, MACD and STOCH took ~5,800 page faults a call that way on
4 KB pages (BBANDS 22 ms instead of 6, MACD 19 instead of 2.5), and so would our multi-output
kernels. Until 2026-11-26 only the criterion side got these tunables, which flattered those
three ratios by 2-7x. The output states page faults per call on both sides (ours: the bench's
faults after loading its input, over all its calls). Each call on both sides allocates its
outputs and frees them inside the timing.

Usage (from the repo root):
    python3 -m venv /tmp/talib-venv
    /tmp/talib-venv/bin/pip install -r tools/reference/requirements-talib.txt
    /tmp/talib-venv/bin/python tools/bench/talib_ratio.py [--rounds N] [--pages 4k|2m] [NAME ...]

With NAMEs (e.g. ATR STDDEV), only the kernels whose name starts with one of them are timed;
without, all kernels.

Interleaving: each kernel gets a criterion run of its own (an exact-name filter, 30 single-call
samples), with 10 TA-Lib calls of the same kernel right before and right after it, so both
sides of a ratio are measured within about a second of each other. --rounds N (default 1)
repeats the whole sequence N times, every round on fresh copies of TA-Lib's inputs (each
criterion run is a new process with its inputs on other physical pages, which moves
memory-bound kernels by up to ~1.4x here, so TA-Lib gets a new placement per round too).
"best" is the fastest call over all rounds, "med" the median of all calls, and "rounds" the
range of the per-round best/best ratios: on a shared machine a neighbour's burst can slow all of
one window's calls, and the range shows how much a single round can be trusted.
"""
import csv
import ctypes
import json
import os
import pathlib
import re
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import talib

try:
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:  # NumPy < 2
    from numpy.core.multiarray import _set_madvise_hugepage

ROOT = pathlib.Path(__file__).resolve().parents[2]
N = 1_000_000
PR_SET_THP_DISABLE = 41


KEEP_HEAP = "glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=1073741824"
TUNABLES = {"4k": KEEP_HEAP, "2m": "glibc.malloc.hugetlb=1:" + KEEP_HEAP}


def set_pages(pages):
    """Puts this process (and, inherited, the criterion runs it starts) under the page policy;
    must run before NumPy allocates the inputs."""
    if pages == "4k":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0:
            sys.exit(f"prctl(PR_SET_THP_DISABLE) failed: errno {ctypes.get_errno()}")
        _set_madvise_hugepage(False)
    else:
        _set_madvise_hugepage(True)


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def huge_kb(text):
    """AnonHugePages and Rss (kB) of a smaps_rollup text, or of the bench's `pages` lines."""
    get = lambda key: int(re.search(key + r":\s+(\d+) kB", text).group(1))
    return get("AnonHugePages"), get("Rss")


def bench_faults(text):
    """Page faults the criterion run took after loading its input (its `pages` line)."""
    return int(re.search(r"pages faults after loading: (\d+)", text).group(1))


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
    args = sys.argv[1:]
    rounds, pages = 1, "4k"
    while args[:1] in (["--rounds"], ["--pages"]):
        if args[0] == "--rounds":
            rounds = int(args[1])
        else:
            pages = args[1]
            if pages not in ("4k", "2m"):
                sys.exit("--pages takes 4k or 2m")
        args = args[2:]
    if os.environ.get("GLIBC_TUNABLES") != TUNABLES[pages]:
        # glibc reads its tunables at start-up: run again under them, so TA-Lib's calls see
        # the same heap policy as the criterion run.
        env = dict(os.environ, GLIBC_TUNABLES=TUNABLES[pages])
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    set_pages(pages)
    series = load()
    ta = talib_calls(*series[1:])
    wanted = args
    if wanted:
        ta = {k: f for k, f in ta.items() if any(k.startswith(w) for w in wanted)}
        if not ta:
            sys.exit(f"no kernel starts with any of {wanted}")
    bench = ["cargo", "bench", "-p", "optifire-ta", "--bench", "kernels"]
    subprocess.run(bench + ["--no-run"], cwd=ROOT, check=True, stderr=subprocess.DEVNULL)
    env = dict(os.environ, GLIBC_TUNABLES=TUNABLES[pages])
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    runs = {k: [] for k in ta}
    talib_t = {k: [] for k in ta}
    round_ratios = {k: [] for k in ta}
    ours_pages = []
    ours_faults = {k: 0 for k in ta}
    talib_faults = {k: 0 for k in ta}
    kept = []
    for r in range(rounds):
        if r > 0:
            # Fresh copies of the inputs (the old ones kept alive, so the copies get other
            # memory): every criterion run is a new process with its inputs on other physical
            # pages, so TA-Lib gets a new placement per round too.
            kept.append(series)
            series = [x.copy() for x in series]
            ta = {k: f for k, f in talib_calls(*series[1:]).items() if k in runs}
        for k, f in ta.items():
            faults = minor_faults()
            window = times(f)
            faults = minor_faults() - faults
            only = ["--", "^1M/" + re.escape(k) + "$"]
            out = subprocess.run(bench + only, cwd=ROOT, check=True, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, env=env, text=True).stdout
            ours_pages.append(huge_kb(out))
            ours_faults[k] = max(ours_faults[k], bench_faults(out))
            runs[k].append(ours(target, k))
            faults -= minor_faults()
            window += times(f)
            faults += minor_faults()
            talib_faults[k] = max(talib_faults[k], faults / len(window))
            talib_t[k] += window
            round_ratios[k].append(runs[k][-1][1] / min(window))
    ta_pages = huge_kb(pathlib.Path("/proc/self/smaps_rollup").read_text())
    print(f"pages {pages}: TA-Lib side {ta_pages[0] // 1024} MB of {ta_pages[1] // 1024} MB "
          f"resident on huge pages; ours (criterion) "
          f"{min(p[0] for p in ours_pages) // 1024}-{max(p[0] for p in ours_pages) // 1024} MB "
          f"of {max(p[1] for p in ours_pages) // 1024} MB")
    worst_ta = max(talib_faults, key=talib_faults.get)
    worst_ours = max(ours_faults, key=ours_faults.get)
    print(f"page faults: TA-Lib at most {talib_faults[worst_ta]:.1f} a call ({worst_ta}); ours at "
          f"most {ours_faults[worst_ours]} in a whole criterion run after loading, 30+ calls "
          f"({worst_ours}); heap: GLIBC_TUNABLES={TUNABLES[pages]} on both sides")
    print(f"{'kernel':<16}{'ours best':>10}{'TA-Lib best':>12}{'ratio':>7}"
          f"{'ours med':>10}{'TA-Lib med':>11}{'ratio':>7}{'rounds':>12}   (ms)")
    worst = 0.0
    for k, t in talib_t.items():
        calls = [x for _, _, per_call in runs[k] for x in per_call]
        med, fastest = statistics.median(calls), min(calls)
        t_best, t_med = min(t), statistics.median(t)
        ratio = fastest / t_best
        worst = max(worst, ratio)
        lo, hi = min(round_ratios[k]), max(round_ratios[k])
        print(f"{k:<16}{fastest * 1e3:>10.2f}{t_best * 1e3:>12.2f}{ratio:>7.2f}"
              f"{med * 1e3:>10.2f}{t_med * 1e3:>11.2f}{med / t_med:>7.2f}"
              f"{lo:>7.2f}-{hi:.2f}")
    print(f"worst best/best ratio {worst:.2f} "
          f"({'no kernel slower than TA-Lib' if worst <= 1 else 'some kernels slower than TA-Lib'})")


if __name__ == "__main__":
    main()
