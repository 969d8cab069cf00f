"""Reference fixtures for optifire-ta signal/ (wavelets, denoising, PCA, IncrementalPCA,
entropy, DTW, isotonic regression).

Every number crates/ta/tests/signal_*.rs compares against is produced here by an independent
reference library: PyWavelets (wavedec/waverec/threshold), scikit-learn (PCA, IncrementalPCA,
IsotonicRegression), antropy (sample/approximate entropy), scipy.stats.entropy on numpy
histogram counts (Shannon entropy) and dtaidistance (DTW, pure-Python path).

Regenerate (from the repository root, CPython 3.11):

    python3 -m venv /tmp/sigenv
    /tmp/sigenv/bin/pip install -r tools/reference/requirements-signal.txt
    /tmp/sigenv/bin/python tools/reference/signal_fixtures.py

Inputs: crates/ta/tests/fixtures/ref/prices_spy_tlt_gld.csv (committed by risk_fixtures.py) and
crates/ta/tests/fixtures/signal/prices_qqq_uup_aapl.csv (the closes of QQQ, UUP and AAPL on the
same 504 dates); to re-cut the latter from a folder of <SYMBOL>.csv files with columns
Date,Close,... pass `--source DIR`. Outputs: crates/ta/tests/fixtures/signal/*.json.

Wavelet denoising recipe (the usual PyWavelets one, Donoho & Johnstone universal threshold):

    coeffs = pywt.wavedec(x, 'db4', mode='symmetric', level=L)
    sigma = np.median(np.abs(coeffs[-1])) / 0.6745          # MAD of the finest detail cD_1
    thr = sigma * np.sqrt(2 * np.log(len(x)))               # universal threshold, n = len(x)
    coeffs[1:] = [pywt.threshold(c, thr, mode='soft') for c in coeffs[1:]]   # details only
    denoised = pywt.waverec(coeffs, 'db4', mode='symmetric')[:len(x)]
"""

import argparse
import csv
import json
import math
import os

import antropy
import numpy as np
import pywt
import scipy.stats as st
from dtaidistance import dtw
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.isotonic import IsotonicRegression, isotonic_regression

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REF = os.path.join(ROOT, "crates", "ta", "tests", "fixtures", "ref", "prices_spy_tlt_gld.csv")
OUT = os.path.join(ROOT, "crates", "ta", "tests", "fixtures", "signal")
EXTRA = os.path.join(OUT, "prices_qqq_uup_aapl.csv")
EXTRA_SYMBOLS = ["QQQ", "UUP", "AAPL"]


def read_columns(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    cols = {k: np.array([float(r[k]) for r in rows]) for k in rows[0] if k != "date"}
    return [r["date"] for r in rows], cols


def cut_extra(source):
    dates, _ = read_columns(REF)
    cols = {}
    for s in EXTRA_SYMBOLS:
        with open(os.path.join(source, f"{s}.csv")) as f:
            by_date = {r["Date"]: r["Close"] for r in csv.DictReader(f)}
        cols[s] = [by_date[d] for d in dates]
    with open(EXTRA, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date"] + [s.lower() for s in EXTRA_SYMBOLS])
        for i, d in enumerate(dates):
            w.writerow([d] + [cols[s][i] for s in EXTRA_SYMBOLS])


def clean(x):
    """Recursively turn numpy values into JSON values; NaN/inf are written as strings."""
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return clean(x.tolist())
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if math.isfinite(x) else str(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def dump(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(clean(obj), f, indent=1)
        f.write("\n")


def log_returns(p):
    return np.diff(np.log(p))


def wavelet_cases(prices):
    cases = []
    series = {
        "spy_close": prices["spy"],
        "spy_logret": log_returns(prices["spy"]),
        "gld_close_odd_101": prices["gld"][:101],
        "tlt_close_14": prices["tlt"][:14],
    }
    levels = {"spy_close": [1, 3, 6], "spy_logret": [1, 4], "gld_close_odd_101": [1, 2, 3], "tlt_close_14": [1]}
    for name, x in series.items():
        for level in levels[name]:
            assert level <= pywt.dwt_max_level(len(x), 8)
            coeffs = pywt.wavedec(x, "db4", mode="symmetric", level=level)
            rec = pywt.waverec(coeffs, "db4", mode="symmetric")
            sigma = np.median(np.abs(coeffs[-1])) / 0.6745
            thr = sigma * np.sqrt(2 * np.log(len(x)))
            shrunk = [coeffs[0]] + [pywt.threshold(c, thr, mode="soft") for c in coeffs[1:]]
            den = pywt.waverec(shrunk, "db4", mode="symmetric")[: len(x)]
            cases.append({
                "name": name, "level": level, "x": x,
                "approx": coeffs[0], "details": coeffs[1:], "reconstruction": rec,
                "sigma": sigma, "threshold": thr, "denoised": den,
            })
    single = prices["spy"][:5]
    ca, cd = pywt.dwt(single, "db4", mode="symmetric")
    return {
        "pywt_version": pywt.__version__,
        "dec_lo": pywt.Wavelet("db4").dec_lo,
        "cases": cases,
        "short_dwt": {"x": single, "approx": ca, "detail": cd},
    }


def pca_case(x, n_components):
    p = PCA(n_components=n_components, svd_solver="full").fit(x)
    return {
        "n_components": n_components, "n_rows": x.shape[0],
        "mean": p.mean_, "components": p.components_,
        "explained_variance": p.explained_variance_,
        "explained_variance_ratio": p.explained_variance_ratio_,
        "singular_values": p.singular_values_,
        "transform_head": p.transform(x[:60]),
    }


def ipca_case(x, n_components, batch_size):
    p = IncrementalPCA(n_components=n_components, batch_size=batch_size).fit(x)
    return {
        "n_components": n_components, "batch_size": batch_size,
        "mean": p.mean_, "var": p.var_, "components": p.components_,
        "explained_variance": p.explained_variance_,
        "explained_variance_ratio": p.explained_variance_ratio_,
        "singular_values": p.singular_values_,
        "n_samples_seen": p.n_samples_seen_,
        "transform_head": p.transform(x[:60]),
    }


def pca_fixture(prices):
    x3 = np.column_stack([log_returns(prices[s]) for s in ["spy", "tlt", "gld"]])
    x6 = np.column_stack([log_returns(prices[s]) for s in ["spy", "tlt", "gld", "qqq", "uup", "aapl"]])
    return {
        "sklearn_note": "PCA(svd_solver='full'); IncrementalPCA default solver; svd_flip u_based_decision=False",
        "x3": x3, "x6": x6,
        # x6[:4]: fewer samples than features; centred, its rank is 3, so the 4th component
        # would be an arbitrary null-space vector: keep 3.
        "pca": [pca_case(x3, None), pca_case(x6, None), pca_case(x6, 3), pca_case(x6[:4], 3)],
        # 503 = 10 * 50 + 3: with n_components=4 the 3-row tail is merged into the last batch,
        # with n_components=None it is fitted as a batch of its own (sklearn's gen_batches).
        # Keeping all components loses nothing, so those cases must equal batch PCA whatever
        # the batching; the truncated (k < 6) cases are the ones that test the update itself.
        "ipca": [ipca_case(x3, None, 50), ipca_case(x6, 4, 40), ipca_case(x6, 6, 100), ipca_case(x6, 2, 7),
                 ipca_case(x6, 4, 50), ipca_case(x6, None, 50)],
    }


def shannon(x, bins):
    counts, _ = np.histogram(x, bins=bins, range=(x.min(), x.max()))
    return counts, st.entropy(counts), st.entropy(counts, base=2)


def entropy_fixture(prices):
    out = {"antropy_version": antropy.__version__, "cases": []}
    for sym in ["spy", "tlt", "gld"]:
        r = log_returns(prices[sym])
        case = {"name": f"{sym}_logret", "x": r, "r_default": 0.2 * np.std(r, ddof=0), "shannon": [], "sampen": [], "apen": []}
        for bins in [5, 10, 20]:
            counts, nats, bits = shannon(r, bins)
            case["shannon"].append({"bins": bins, "counts": counts, "nats": nats, "bits": bits})
        for order in [2, 3]:
            case["sampen"].append({"order": order, "r": None, "value": antropy.sample_entropy(r, order=order)})
            case["apen"].append({"order": order, "r": None, "value": antropy.app_entropy(r, order=order)})
        tol = 0.5 * float(np.std(r, ddof=0))
        case["sampen"].append({"order": 2, "r": tol, "value": antropy.sample_entropy(r, order=2, tolerance=tol)})
        case["apen"].append({"order": 2, "r": tol, "value": antropy.app_entropy(r, order=2, tolerance=tol)})
        out["cases"].append(case)
    return out


def zscore(x):
    return (x - x.mean()) / x.std()


def dtw_fixture(prices):
    s1 = zscore(prices["spy"][:120])
    s2 = zscore(prices["qqq"][10:110])
    s3 = zscore(prices["gld"][:120])
    cases = []
    for a_name, a, b_name, b in [("spy120", s1, "qqq100", s2), ("spy120", s1, "gld120", s3)]:
        for window in [None, 1, 5, 20, 30]:
            d = dtw.distance(a, b, window=window, use_c=False)
            cases.append({"a": a_name, "b": b_name, "window": window, "distance": d})
    return {"series": {"spy120": s1, "qqq100": s2, "gld120": s3}, "cases": cases}


def isotonic_fixture(prices):
    spy = prices["spy"][:150]
    gld_ret = log_returns(prices["gld"])[:150]
    w = 1.0 + 100.0 * np.abs(gld_ret)
    seq_unweighted = isotonic_regression(spy)
    seq_weighted = isotonic_regression(spy, sample_weight=w)
    # x with ties: TLT returns rounded to 0.1 % steps; y: SPY returns on the same days.
    x = np.round(log_returns(prices["tlt"]), 3)
    y = log_returns(prices["spy"])
    w2 = 1.0 + 100.0 * np.abs(log_returns(prices["gld"]))
    fit_unweighted = IsotonicRegression(increasing=True).fit_transform(x, y)
    fit_weighted = IsotonicRegression(increasing=True).fit_transform(x, y, sample_weight=w2)
    return {
        "sequence": {"y": spy, "w": w, "unweighted": seq_unweighted, "weighted": seq_weighted},
        "xy": {"x": x, "y": y, "w": w2, "unweighted": fit_unweighted, "weighted": fit_weighted},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", help="folder of <SYMBOL>.csv to re-cut the QQQ/UUP/AAPL excerpt")
    args = ap.parse_args()
    if args.source:
        cut_extra(args.source)
    dates, prices = read_columns(REF)
    dates2, extra = read_columns(EXTRA)
    assert dates == dates2
    prices.update(extra)
    dump("wavelet.json", wavelet_cases(prices))
    dump("pca.json", pca_fixture(prices))
    dump("entropy.json", entropy_fixture(prices))
    dump("dtw.json", dtw_fixture(prices))
    dump("isotonic.json", isotonic_fixture(prices))


if __name__ == "__main__":
    main()
