"""Reference fixtures for optifire-ta timeseries/ (ADF, Engle-Granger, GARCH(1,1), FFD).

Every number the Rust tests crates/ta/tests/ts_*.rs compare against is produced here by an
independent reference: statsmodels (adfuller, mackinnonp, mackinnoncrit, coint, OLS), arch
(arch_model GARCH(1,1) normal), and, for fractional differencing, the fixed-width-window
algorithm of M. Lopez de Prado, "Advances in Financial Machine Learning" (Wiley 2018), ch. 5,
snippets 5.3 (getWeights_FFD / fracDiff_FFD) and 5.4 (plotMinFFD), written out plainly in numpy.

Regenerate (from the repository root, CPython 3.11):

    python3 -m venv /tmp/tsenv
    /tmp/tsenv/bin/pip install -r tools/reference/requirements-ts.txt
    /tmp/tsenv/bin/python tools/reference/ts_fixtures.py

The price excerpt crates/ta/tests/fixtures/ts/prices_spy_qqq_gld.csv (daily closes of SPY, QQQ
and GLD from 2021-01-04 to 2026-03-25) is committed; to re-cut it from a folder of <SYMBOL>.csv
files with columns Date,Close,... pass `--source DIR`. Outputs crates/ta/tests/fixtures/ts/
{adf,mackinnon,coint,garch,fracdiff}.json. NaN is written as JSON null, +-inf as +-1e308.
"""

import argparse
import csv
import json
import math
import os
import warnings

import arch
import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
from arch import arch_model
from statsmodels.tsa.adfvalues import mackinnoncrit, mackinnonp
from statsmodels.tsa.stattools import adfuller, coint
from statsmodels.tsa.tsatools import add_trend, lagmat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "crates", "ta", "tests", "fixtures", "ts")
EXCERPT = os.path.join(OUT, "prices_spy_qqq_gld.csv")
SYMBOLS = ["SPY", "QQQ", "GLD"]


def cut_excerpt(source):
    cols = {}
    dates = None
    for s in SYMBOLS:
        with open(os.path.join(source, f"{s}.csv")) as f:
            # The last row of the shared files is a partial session, so it is dropped.
            rows = list(csv.DictReader(f))[:-1]
        d = [r["Date"] for r in rows]
        if dates is not None and d != dates:
            raise SystemExit(f"dates of {s} differ from {SYMBOLS[0]}")
        dates = d
        cols[s] = [r["Close"] for r in rows]
    with open(EXCERPT, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date"] + [s.lower() for s in SYMBOLS])
        for i, d in enumerate(dates):
            w.writerow([d] + [cols[s][i] for s in SYMBOLS])


def load_prices():
    df = pd.read_csv(EXCERPT)
    return {s.lower(): df[s.lower()].to_numpy(dtype=float) for s in SYMBOLS}


def clean(x):
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return clean(x.tolist())
    if isinstance(x, (np.floating, float)):
        x = float(x)
        if math.isnan(x):
            return None
        if math.isinf(x):
            return 1e308 if x > 0 else -1e308
        return x
    if isinstance(x, np.integer):
        return int(x)
    return x


def dump(name, obj):
    obj = dict(obj)
    obj["_generated_by"] = "tools/reference/ts_fixtures.py"
    obj["_versions"] = {
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "statsmodels": statsmodels.__version__,
        "arch": arch.__version__,
    }
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(clean(obj), f, indent=1)
        f.write("\n")


def adf_scaled_check(x, regression, lag):
    """The final ADF regression refitted with the trend columns scaled to (0, 1]: the same
    t-value in exact arithmetic, but well conditioned. adfuller's pseudo-inverse of the raw
    [1, t, t^2] columns (condition number ~1e13 for 'ctt' on 1300 rows) loses ~9 digits."""
    xd = np.diff(x)
    xdall = lagmat(xd[:, None], lag, trim="both", original="in")
    n = xdall.shape[0]
    xdall[:, 0] = x[-n - 1 : -1]
    y = xd[-n:]
    t = np.arange(1, n + 1) / n
    det = {"n": [], "c": [np.ones(n)], "ct": [np.ones(n), t], "ctt": [np.ones(n), t, t**2]}
    X = np.column_stack([xdall] + det[regression])
    return sm.OLS(y, X).fit().tvalues[0]


def adf_case(name, x, regression, autolag, maxlag):
    r = adfuller(x, maxlag=maxlag, regression=regression, autolag=autolag, result_object=True)
    return {
        "statistic_scaled_check": adf_scaled_check(x, regression, r.lags),
        "series": name,
        "regression": regression,
        "autolag": autolag,
        "maxlag": maxlag,
        "statistic": r.statistic,
        "pvalue": r.pvalue,
        "usedlag": r.lags,
        "nobs": r.nobs,
        "crit": [r.critical_values["1%"], r.critical_values["5%"], r.critical_values["10%"]],
        "icbest": r.icbest,
    }


def series_set(p):
    ls, lq = np.log(p["spy"]), np.log(p["qqq"])
    beta = sm.OLS(ls, sm.add_constant(lq)).fit().params
    return {
        "spy_log": ls,
        "spy_ret": np.diff(ls),
        "spread_spy_qqq": ls - beta[0] - beta[1] * lq,
        # A short series exercises the default-maxlag cap nobs // 2 - ntrend - 1.
        "spy_log_short": ls[:40],
    }


def make_adf(p):
    s = series_set(p)
    cases = []
    for name in ["spy_log", "spy_ret", "spread_spy_qqq", "spy_log_short"]:
        for reg in ["c", "ct", "ctt", "n"]:
            for autolag, maxlag in [("AIC", None), ("BIC", None), (None, 3), ("AIC", 8)]:
                cases.append(adf_case(name, s[name], reg, autolag, maxlag))
    dump("adf.json", {"series": {k: v for k, v in s.items()}, "cases": cases})


def make_mackinnon():
    pcases = []
    for reg in ["c", "n", "ct", "ctt"]:
        for n in range(1, 7):
            for t in np.arange(-30.0, 4.01, 0.37):
                pcases.append({"stat": t, "regression": reg, "n": n, "p": mackinnonp(t, reg, n)})
    ccases = []
    for reg in ["c", "n", "ct", "ctt"]:
        for n in range(1, 13 if reg != "n" else 2):
            for nobs in [25, 100, 503, 1311, math.inf]:
                ccases.append(
                    {"regression": reg, "n": n, "nobs": nobs if nobs != math.inf else None,
                     "crit": mackinnoncrit(n, reg, nobs)}
                )
    dump("mackinnon.json", {"pvalue": pcases, "crit": ccases})


def half_life(spread):
    # Delta s_t = a + b s_{t-1} + e_t;  half-life = -ln 2 / ln(1 + b) for -1 < b < 0,
    # +inf for b >= 0 (no reversion), NaN for b <= -1 (overshooting: no half-life).
    ds = np.diff(spread)
    fit = sm.OLS(ds, sm.add_constant(spread[:-1])).fit()
    b = fit.params[1]
    if b >= 0.0:
        return fit.params[0], b, math.inf
    if b <= -1.0:
        return fit.params[0], b, math.nan
    return fit.params[0], b, -math.log(2.0) / math.log(1.0 + b)


def make_coint(p):
    pairs = {
        "log_spy_on_log_qqq": (np.log(p["spy"]), np.log(p["qqq"])),
        "log_gld_on_log_spy": (np.log(p["gld"]), np.log(p["spy"])),
        "spy_on_qqq_last500": (p["spy"][-500:], p["qqq"][-500:]),
    }
    cases = []
    runs = [("c", "aic", None), ("c", "bic", None), ("c", None, 2), ("ct", "aic", None),
            ("ctt", "aic", None), ("n", "aic", None)]
    for name, (y0, y1) in pairs.items():
        for trend, autolag, maxlag in runs:
            t, pv, crit = coint(y0, y1, trend=trend, autolag=autolag, maxlag=maxlag)
            xx = y1[:, None] if trend == "n" else add_trend(y1[:, None], trend, prepend=False)
            ols = sm.OLS(y0, xx).fit()
            resid = ols.resid
            adf = adfuller(resid, maxlag=maxlag, regression="n", autolag=autolag,
                           result_object=True)
            a, b, hl = half_life(resid)
            # The same two steps on trend columns scaled to (0, 1] (see adf_scaled_check).
            n = len(y0)
            ts = np.arange(1, n + 1) / n
            det = {"n": [], "c": [np.ones(n)], "ct": [np.ones(n), ts],
                   "ctt": [np.ones(n), ts, ts**2]}[trend]
            scaled = sm.OLS(y0, np.column_stack([y1] + det)).fit()
            adf_s = adfuller(scaled.resid, maxlag=maxlag, regression="n", autolag=autolag,
                             result_object=True)
            cases.append({
                "pair": name, "trend": trend, "autolag": autolag, "maxlag": maxlag,
                "statistic": t, "pvalue": pv, "crit": crit,
                "statistic_scaled_check": adf_s.statistic,
                "hedge_ratio_scaled_check": scaled.params[0],
                "usedlag": adf.lags, "nobs_adf": adf.nobs,
                "hedge_ratio": ols.params[0], "deterministic": ols.params[1:],
                "resid_head": resid[:5],
                "ar_a": a, "ar_b": b, "half_life": hl,
            })
    series = {k: [v[0].tolist(), v[1].tolist()] for k, v in pairs.items()}
    dump("coint.json", {"pairs": series, "cases": cases})


def make_garch(p):
    scale = 100.0
    series = {s: np.diff(np.log(p[s])) * scale for s in ["spy", "qqq", "gld"]}
    cases = []
    for sym, mean in [(s, m) for s in ["spy", "qqq", "gld"] for m in ["Constant", "Zero"]]:
        y = series[sym]
        am = arch_model(y, mean=mean, vol="GARCH", p=1, q=1, dist="normal", rescale=False)
        res = am.fit(disp="off")
        # The same fit with the optimizer's tolerance tightened, to tell optimizer noise
        # from model differences.
        tight = am.fit(disp="off", options={"ftol": 1e-14, "maxiter": 1000})
        f = res.forecast(horizon=10, reindex=False)
        ft = tight.forecast(horizon=10, reindex=False)
        resid0 = y - (y.mean() if mean == "Constant" else 0.0)
        cases.append({
            "series": sym,
            "mean": mean,
            "params": res.params.to_numpy(),
            "param_names": list(res.params.index),
            "loglikelihood": res.loglikelihood,
            "forecast_variance": f.variance.to_numpy()[-1],
            "conditional_volatility_tail": res.conditional_volatility[-5:],
            "tight_params": tight.params.to_numpy(),
            "tight_loglikelihood": tight.loglikelihood,
            "tight_forecast_variance": ft.variance.to_numpy()[-1],
            "tight_conditional_volatility_tail": tight.conditional_volatility[-5:],
            "tight_convergence_flag": int(tight.convergence_flag),
            "backcast": am.volatility.backcast(resid0),
            "convergence_flag": int(res.convergence_flag),
        })
    dump("garch.json", {
        "returns": "100 * diff(log(close)) of each symbol in prices_spy_qqq_gld.csv",
        "scale": scale,
        "series": series,
        "cases": cases,
    })


def ffd_weights(d, thres):
    # AFML snippet 5.3 getWeights_FFD: w_k = -w_{k-1} (d - k + 1) / k while |w_k| >= thres.
    w, k = [1.0], 1
    while True:
        w_ = -w[-1] / k * (d - k + 1)
        if abs(w_) < thres:
            break
        w.append(w_)
        k += 1
    return np.array(w)  # w[0] multiplies the newest observation


def ffd(x, d, thres):
    # AFML snippet 5.3 fracDiff_FFD on one gap-free column: value at t (t >= width) is
    # sum_k w_k x_{t-k}; the book's np.dot(w.T, window) with w stored oldest-first.
    w = ffd_weights(d, thres)
    width = len(w) - 1
    out = np.array([np.dot(w[::-1], x[t - width : t + 1]) for t in range(width, len(x))])
    return w, out


def make_fracdiff(p):
    x = np.log(p["spy"])
    cases = []
    runs = [(0.1, 1e-3), (0.35, 1e-2), (0.35, 1e-4), (0.5, 1e-3), (0.5, 1e-5), (0.8, 1e-2),
            (0.8, 1e-5), (1.0, 1e-5), (1.5, 1e-4)]
    for d, thres in runs:
        w, out = ffd(x, d, thres)
        cases.append({"d": d, "threshold": thres, "weights": w, "values": out})
    # AFML snippet 5.4 plotMinFFD: ADF (maxlag=1, regression 'c', autolag None) on the FFD
    # series for each d of a grid; the smallest d whose p-value is below 5%.
    grid = [round(v, 2) for v in np.linspace(0.0, 1.0, 11)]
    min_d = []
    for thres in [1e-2, 1e-4]:
        rows = []
        for d in grid:
            _, out = ffd(x, d, thres)
            a = adfuller(out, maxlag=1, regression="c", autolag=None, result_object=True)
            rows.append({"d": d, "statistic": a.statistic, "pvalue": a.pvalue,
                         "ffd_len": len(out), "adf_nobs": a.nobs})
        best = next((r["d"] for r in rows if r["pvalue"] < 0.05), None)
        min_d.append({"grid": grid, "threshold": thres, "p_max": 0.05, "rows": rows,
                      "min_d": best})
    dump("fracdiff.json", {
        "series": "log(spy close) from prices_spy_qqq_gld.csv",
        "x": x,
        "cases": cases,
        "min_d": min_d,
    })


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", help="folder of <SYMBOL>.csv to re-cut the excerpt from")
    a = ap.parse_args()
    if a.source:
        cut_excerpt(a.source)
    warnings.simplefilter("ignore")
    p = load_prices()
    make_mackinnon()
    make_adf(p)
    make_coint(p)
    make_garch(p)
    make_fracdiff(p)


if __name__ == "__main__":
    main()
