"""Record TA-Lib outputs as fixtures for the optifire-ta indicator tests.

How to regenerate
-----------------
    python3 -m venv /tmp/talib-venv
    /tmp/talib-venv/bin/pip install -r tools/reference/requirements-talib.txt
    /tmp/talib-venv/bin/python tools/reference/talib_fixtures.py

Run from the repository root. It reads the bar files committed next to the fixtures
(crates/ta/tests/fixtures/talib/SPY.csv, Yahoo daily 2021-2026, adjusted; ORCL.csv, Yahoo daily
1995-2014, unadjusted, copied from the shared data set) and writes one JSON file per series,
crates/ta/tests/fixtures/talib/talib_<series>.json, holding the parsed inputs and, for every
indicator, TA-Lib's output with its default parameters and with one non-default set. It also
writes talib_edge_<name>.json for a few series derived deterministically from those bars, chosen
to reach TA-Lib's division guards and dead zones (a constant series, a trend that goes flat, the
SPY bars scaled by 1e-9 and by 1e6, and a flat series with 1e-13 float noise). Numbers are
written with Python's repr (shortest round-trip form, i.e. full double precision); TA-Lib's
leading NaNs are written as null. The Rust tests in crates/ta/tests/talib_*.rs read these files;
nothing reads the shared data directory at test time.
"""

import csv
import json
import pathlib

import numpy as np
import talib

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "crates" / "ta" / "tests" / "fixtures" / "talib"
SERIES = ["SPY", "ORCL"]

# (function, inputs, params). Each function appears with TA-Lib's defaults and at least one
# non-default parameter set; BBANDS also with asymmetric deviations.
CASES = [
    ("SMA", ["close"], {"timeperiod": 30}),
    ("SMA", ["close"], {"timeperiod": 200}),
    ("EMA", ["close"], {"timeperiod": 30}),
    ("EMA", ["close"], {"timeperiod": 10}),
    ("WMA", ["close"], {"timeperiod": 30}),
    ("WMA", ["close"], {"timeperiod": 7}),
    ("RSI", ["close"], {"timeperiod": 14}),
    ("RSI", ["close"], {"timeperiod": 5}),
    ("ATR", ["high", "low", "close"], {"timeperiod": 14}),
    ("ATR", ["high", "low", "close"], {"timeperiod": 1}),
    ("ATR", ["high", "low", "close"], {"timeperiod": 20}),
    ("TRANGE", ["high", "low", "close"], {}),
    ("BBANDS", ["close"], {"timeperiod": 5, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0}),
    ("BBANDS", ["close"], {"timeperiod": 20, "nbdevup": 2.5, "nbdevdn": 1.5, "matype": 0}),
    ("MACD", ["close"], {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}),
    ("MACD", ["close"], {"fastperiod": 5, "slowperiod": 35, "signalperiod": 5}),
    ("STDDEV", ["close"], {"timeperiod": 5, "nbdev": 1.0}),
    ("STDDEV", ["close"], {"timeperiod": 20, "nbdev": 2.0}),
    ("ROC", ["close"], {"timeperiod": 10}),
    ("ROC", ["close"], {"timeperiod": 3}),
    ("MOM", ["close"], {"timeperiod": 10}),
    ("MOM", ["close"], {"timeperiod": 1}),
    ("ADX", ["high", "low", "close"], {"timeperiod": 14}),
    ("ADX", ["high", "low", "close"], {"timeperiod": 7}),
    ("CCI", ["high", "low", "close"], {"timeperiod": 14}),
    ("CCI", ["high", "low", "close"], {"timeperiod": 20}),
    ("STOCH", ["high", "low", "close"],
     {"fastk_period": 5, "slowk_period": 3, "slowk_matype": 0, "slowd_period": 3,
      "slowd_matype": 0}),
    ("STOCH", ["high", "low", "close"],
     {"fastk_period": 14, "slowk_period": 1, "slowk_matype": 0, "slowd_period": 5,
      "slowd_matype": 0}),
    ("OBV", ["close", "volume"], {}),
    ("MFI", ["high", "low", "close", "volume"], {"timeperiod": 14}),
    ("MFI", ["high", "low", "close", "volume"], {"timeperiod": 5}),
    ("WILLR", ["high", "low", "close"], {"timeperiod": 14}),
    ("WILLR", ["high", "low", "close"], {"timeperiod": 30}),
    # Parameter corners: TA-Lib's smallest periods, and MACD with fast > slow (TA-Lib swaps).
    ("RSI", ["close"], {"timeperiod": 2}),
    ("MACD", ["close"], {"fastperiod": 26, "slowperiod": 12, "signalperiod": 1}),
    ("STOCH", ["high", "low", "close"],
     {"fastk_period": 1, "slowk_period": 1, "slowk_matype": 0, "slowd_period": 1,
      "slowd_matype": 0}),
]

OUTPUT_NAMES = {
    "BBANDS": ["upper", "middle", "lower"],
    "MACD": ["macd", "signal", "hist"],
    "STOCH": ["slowk", "slowd"],
}


def read_bars(path):
    """Read a Yahoo CSV by header name (the two sources order their columns differently)."""
    cols = {"open": [], "high": [], "low": [], "close": [], "volume": []}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            cols["open"].append(float(row["Open"]))
            cols["high"].append(float(row["High"]))
            cols["low"].append(float(row["Low"]))
            cols["close"].append(float(row["Close"]))
            cols["volume"].append(float(row["Volume"]))
    return {k: np.asarray(v, dtype=np.float64) for k, v in cols.items()}


def edge_series(spy):
    """Deterministic edge-case series (name -> bars), derived from SPY's first bars."""
    n = 80
    const = np.full(n, 5.0)
    trend_flat = np.concatenate([np.linspace(10.0, 20.0, 20), np.full(n - 20, 20.0)])
    noise = 100.0 + 1e-13 * (np.arange(n) % 3)
    out = {
        "constant": {"open": const, "high": const, "low": const, "close": const,
                     "volume": np.full(n, 100.0)},
        "trend_flat": {"open": trend_flat, "high": trend_flat + 0.5, "low": trend_flat - 0.5,
                       "close": trend_flat, "volume": np.full(n, 1000.0)},
        "noise": {"open": noise, "high": noise, "low": noise, "close": noise,
                  "volume": np.full(n, 1000.0)},
    }
    for name, scale in [("tiny", 1e-9), ("huge", 1e6)]:
        out[name] = {k: (v[:200] * scale if k != "volume" else v[:200])
                     for k, v in spy.items()}
    return out


def to_json_list(arr):
    return [None if np.isnan(x) else float(x) for x in arr]


def case_id(func, params):
    inner = ",".join(f"{k}={v!r}" for k, v in params.items())
    return f"{func}({inner})"


def write(series, bars):
    cases = []
    for func, inputs, params in CASES:
        fn = getattr(talib, func)
        out = fn(*[bars[name] for name in inputs], **params)
        if not isinstance(out, tuple):
            out = (out,)
        names = OUTPUT_NAMES.get(func, ["real"])
        assert len(names) == len(out), func
        cases.append({
            "id": case_id(func, params),
            "function": func,
            "params": params,
            "outputs": {n: to_json_list(o) for n, o in zip(names, out)},
        })
    doc = {
        "generator": "tools/reference/talib_fixtures.py",
        "talib_python": talib.__version__,
        "talib_c": talib.__ta_version__.decode() if isinstance(talib.__ta_version__, bytes)
        else str(talib.__ta_version__),
        "series": series,
        "inputs": {k: [float(x) for x in v] for k, v in bars.items()},
        "cases": cases,
    }
    out_path = FIXTURES / f"talib_{series.lower()}.json"
    with open(out_path, "w") as f:
        json.dump(doc, f, allow_nan=False)
    print(f"wrote {out_path.relative_to(ROOT)}: {len(cases)} cases")


def main():
    loaded = {series: read_bars(FIXTURES / f"{series}.csv") for series in SERIES}
    for series, bars in loaded.items():
        write(series, bars)
    for name, bars in edge_series(loaded["SPY"]).items():
        write(f"edge_{name}", bars)


if __name__ == "__main__":
    main()
