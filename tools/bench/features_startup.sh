#!/usr/bin/env bash
# `optifire features` on a 5,000-row file with 20 features, against process start.
#
# Input: the first 5,000 rows of the real ORCL daily bars in crates/ta/tests/fixtures/talib
# (1995-2014, consecutive trading days, read by header name). Baseline: `optifire plugins list`,
# a command that does no work beyond starting the process and printing a table. Both run under
# `perf stat -r 20` in the same invocation, so the two figures are comparable on a noisy machine.
#
# Finding (2026-11-25, shared 2-core VM): plugins list ~4.6 ms CPU, features ~31 ms CPU. perf
# record puts ~40% of the features run in std's shortest float formatting (grisu/dragon through
# `write!(w, ",{v}")`, 130,000 values), ~5% in CSV parsing and ~3% in the kernels themselves.
# After (same day): values through zmij laid out as std's `{}` (byte-identical text), rows
# built in a byte buffer: plugins list ~6.0 ms, features ~19-24 ms CPU; formatting is now ~24%
# of the run (zmij + layout), the rest CSV reading, the kernels and page faults.
#
# Usage (from the repo root): tools/bench/features_startup.sh
# Builds the release binary first (into $CARGO_TARGET_DIR or ./target).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build --release -p optifire-cli --manifest-path "$ROOT/Cargo.toml" >&2
BIN="$TARGET/release/optifire"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
head -n 5001 "$ROOT/crates/ta/tests/fixtures/talib/ORCL.csv" > "$WORK/orcl5000.csv"
FEATURES="sma_20,ema_20,wma_20,rsi_14,atr_14,stddev_20,roc_10,mom_10,adx_14,cci_14,willr_14,mfi_14,obv,trange,bbands_20_2,macd_12_26_9,stoch_5_3,logret,vol_20,kalman"
echo "rows: $(($(wc -l < "$WORK/orcl5000.csv") - 1)), features: $(echo "$FEATURES" | tr ',' '\n' | wc -l)"
run_stat() {
    local label="$1"; shift
    local secs
    secs=$(perf stat -r 20 -x, -e task-clock "$@" 2>&1 >/dev/null | awk -F, '/task-clock/ {print $1}')
    printf '%-28s %8.2f ms task-clock (mean of 20)\n' "$label" "$secs"
}
# Warm the page cache and check that the command works.
"$BIN" features --input "$WORK/orcl5000.csv" --features "$FEATURES" --output "$WORK/out.csv"
echo "output: $(wc -l < "$WORK/out.csv") lines, $(head -1 "$WORK/out.csv" | tr ',' '\n' | wc -l) columns"
run_stat "plugins list (baseline)" "$BIN" plugins list
run_stat "features (5,000 x 20)" "$BIN" features --input "$WORK/orcl5000.csv" --features "$FEATURES" --output "$WORK/out.csv"
echo "wall-clock detail:"
perf stat -r 20 "$BIN" plugins list 2>&1 >/dev/null | grep -E "elapsed|task-clock"
perf stat -r 20 "$BIN" features --input "$WORK/orcl5000.csv" --features "$FEATURES" --output "$WORK/out.csv" 2>&1 >/dev/null | grep -E "elapsed|task-clock"
