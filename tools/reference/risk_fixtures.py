"""Reference fixtures for optifire-ta returns/, risk/, stats/ and filters/.

Every number the Rust tests in crates/ta/tests/ref_*.rs compare against is produced here by an
independent reference library (numpy, pandas, scipy, statsmodels, empyrical-reloaded, pykalman, cross-checked
with filterpy)
or, where no library implements a published formula, by that formula written out with scipy.stats.

Regenerate (from the repository root, CPython 3.11):

    python3 -m venv /tmp/refenv
    /tmp/refenv/bin/pip install -r tools/reference/requirements-risk.txt
    /tmp/refenv/bin/python tools/reference/risk_fixtures.py

The price excerpt crates/ta/tests/fixtures/ref/prices_spy_tlt_gld.csv (last 504 daily closes of
SPY, TLT and GLD up to 2026-03-25) is committed; to re-cut it from a folder of <SYMBOL>.csv files with columns
Date,Close,... pass `--source DIR`. Outputs: crates/ta/tests/fixtures/ref/{returns,risk,filters,
stats}.json. NaN is written as JSON null.
"""

import argparse
import csv
import json
import math
import os

import empyrical
import numpy as np
import pandas as pd
import scipy
import scipy.stats as st
import statsmodels
import statsmodels.api as sm
from filterpy.kalman import KalmanFilter as FilterpyKF
from pykalman import KalmanFilter
from statsmodels.tsa.stattools import acf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "crates", "ta", "tests", "fixtures", "ref")
EXCERPT = os.path.join(OUT, "prices_spy_tlt_gld.csv")
SYMBOLS = ["SPY", "TLT", "GLD"]
EXCERPT_ROWS = 504


def cut_excerpt(source):
    cols = {}
    dates = None
    for s in SYMBOLS:
        with open(os.path.join(source, f"{s}.csv")) as f:
            # The last row of the shared files is a partial session (TLT closes at 27.17 after
            # 86.84 on 2026-03-26), so the excerpt ends one row earlier.
            rows = list(csv.DictReader(f))[-EXCERPT_ROWS - 1 : -1]
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
    """Recursively turn numpy values into JSON values, NaN into None."""
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return clean(x.tolist())
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return None if math.isnan(x) else x
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


def dump(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(clean(obj), f, indent=None, separators=(",", ":"), allow_nan=False)
        f.write("\n")


def versions():
    return {
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
        "empyrical": empyrical.__version__,
    }


# ---------------------------------------------------------------- returns/
def returns_fixture(p):
    spy, tlt, gld = p["spy"], p["tlt"], p["gld"]
    s_spy = pd.Series(spy)
    simple = (s_spy / s_spy.shift(1) - 1.0).to_numpy()
    log = np.log(s_spy / s_spy.shift(1)).to_numpy()
    lr_spy = pd.Series(log)
    lr_tlt = pd.Series(np.log(pd.Series(tlt) / pd.Series(tlt).shift(1)).to_numpy())
    lr_gld = pd.Series(np.log(pd.Series(gld) / pd.Series(gld).shift(1)).to_numpy())

    with_nan = spy.copy()
    with_nan[100] = np.nan
    s_nan = pd.Series(with_nan)

    window = 20
    out = {
        "versions": versions(),
        "spy": spy,
        "tlt": tlt,
        "gld": gld,
        "spy_with_nan": with_nan,
        "nan_index": 100,
        "window": window,
        "simple_returns": simple,
        "log_returns": log,
        "simple_returns_with_nan": (s_nan / s_nan.shift(1) - 1.0).to_numpy(),
        "realized_vol": (lr_spy.rolling(window).std(ddof=1) * math.sqrt(252.0)).to_numpy(),
        "rolling_mean": s_spy.rolling(window).mean().to_numpy(),
        "rolling_std": s_spy.rolling(window).std(ddof=1).to_numpy(),
        "rolling_zscore": (
            (s_spy - s_spy.rolling(window).mean()) / s_spy.rolling(window).std(ddof=1)
        ).to_numpy(),
        "rolling_mean_with_nan": s_nan.rolling(window).mean().to_numpy(),
        "rolling_std_with_nan": s_nan.rolling(window).std(ddof=1).to_numpy(),
        # y = TLT log returns regressed on x = SPY log returns.
        "rolling_cov": lr_spy.rolling(window).cov(lr_tlt).to_numpy(),
        "rolling_corr": lr_spy.rolling(window).corr(lr_tlt).to_numpy(),
        "rolling_beta": (
            lr_spy.rolling(window).cov(lr_tlt) / lr_spy.rolling(window).var(ddof=1)
        ).to_numpy(),
        "corrcoef": np.corrcoef(
            np.vstack([lr_spy.to_numpy()[1:], lr_tlt.to_numpy()[1:], lr_gld.to_numpy()[1:]])
        ),
        "ewm": [],
    }
    # Exponentially weighted moments: input is the SPY/TLT log-return series with its leading NaN,
    # and the price series with one NaN inside, so pandas' missing-value path is pinned too.
    specs = [
        {"kind": "span", "value": 20.0, "adjust": True},
        {"kind": "span", "value": 20.0, "adjust": False},
        {"kind": "alpha", "value": 0.1, "adjust": True},
        {"kind": "alpha", "value": 0.1, "adjust": False},
        {"kind": "com", "value": 5.0, "adjust": True},
        {"kind": "halflife", "value": 10.0, "adjust": False},
    ]
    for spec in specs:
        kw = {spec["kind"]: spec["value"], "adjust": spec["adjust"]}
        e = lr_spy.ewm(**kw)
        en = s_nan.ewm(**kw)
        out["ewm"].append(
            {
                **spec,
                "mean": e.mean().to_numpy(),
                "var": e.var().to_numpy(),
                "std": e.std().to_numpy(),
                "cov": e.cov(lr_tlt).to_numpy(),
                "corr": e.corr(lr_tlt).to_numpy(),
                "mean_prices_with_nan": en.mean().to_numpy(),
                "var_prices_with_nan": en.var().to_numpy(),
            }
        )
    dump("returns.json", out)


# ---------------------------------------------------------------- risk/
def drawdown_episode(returns):
    """Deepest drawdown of the compounded equity curve (start 1.0 before the first return):
    peak index, trough index and first recovery index in return bars; -1 = before the first bar."""
    equity = np.concatenate([[1.0], np.cumprod(1.0 + returns)])
    running = np.maximum.accumulate(equity)
    dd = equity / running - 1.0
    trough = int(np.argmin(dd))
    peak = int(np.argmax(equity[: trough + 1]))
    rec = None
    for i in range(trough + 1, len(equity)):
        if equity[i] >= equity[peak]:
            rec = i
            break
    # Longest stretch of consecutive bars strictly below the running peak.
    longest = cur = 0
    for v in dd:
        cur = cur + 1 if v < 0 else 0
        longest = max(longest, cur)
    # Duration: bars from the peak to the recovery, or to the last bar when not recovered.
    end = rec if rec is not None else len(equity) - 1
    # Shift by one: equity index i corresponds to return bar i - 1.
    return {
        "duration_bars": end - peak,
        "max_drawdown": float(dd.min()),
        "peak": peak - 1,
        "trough": trough - 1,
        "recovery": None if rec is None else rec - 1,
        "longest_underwater_bars": longest,
    }


def risk_metrics(r, name):
    out = {"name": name, "returns": r}
    out["drawdown_series"] = empyrical.stats.drawdown_series(r)
    out["max_drawdown"] = empyrical.max_drawdown(r)
    out["episode"] = drawdown_episode(r)
    out["annual_return"] = empyrical.annual_return(r)
    out["cagr"] = empyrical.cagr(r)
    out["annual_volatility"] = empyrical.annual_volatility(r)
    out["sharpe"] = empyrical.sharpe_ratio(r)
    out["sharpe_rf"] = empyrical.sharpe_ratio(r, risk_free=0.0001)
    out["sortino"] = empyrical.sortino_ratio(r)
    out["sortino_req"] = empyrical.sortino_ratio(r, required_return=0.0002)
    out["downside_risk"] = empyrical.downside_risk(r)
    out["calmar"] = empyrical.calmar_ratio(r)
    out["var"] = []
    mu = float(np.mean(r))
    sd = float(np.std(r, ddof=1))
    skew_g1 = float(st.skew(r, bias=False))
    exkurt_g2 = float(st.kurtosis(r, fisher=True, bias=False))
    out["mean"] = mu
    out["std"] = sd
    out["skew_unbiased"] = skew_g1
    out["excess_kurtosis_unbiased"] = exkurt_g2
    out["skew_biased"] = float(st.skew(r, bias=True))
    out["kurtosis_biased"] = float(st.kurtosis(r, fisher=False, bias=True))
    for c in [0.9, 0.95, 0.99]:
        a = 1.0 - c
        z = st.norm.ppf(a)
        zcf = (
            z
            + (z**2 - 1) * skew_g1 / 6
            + (z**3 - 3 * z) * exkurt_g2 / 24
            - (2 * z**3 - 5 * z) * skew_g1**2 / 36
        )
        out["var"].append(
            {
                "confidence": c,
                "historical_var": -empyrical.value_at_risk(r, cutoff=a),
                "historical_var_numpy": -np.percentile(r, 100 * a, method="linear"),
                "historical_cvar": -empyrical.conditional_value_at_risk(r, cutoff=a),
                "parametric_var": -st.norm.ppf(a, loc=mu, scale=sd),
                "parametric_cvar": -(mu - sd * st.norm.pdf(z) / a),
                "cornish_fisher_var": -(mu + sd * zcf),
            }
        )
    # Sharpe inference. SR is per period (not annualized), as in Lo (2002) and Bailey & LdP.
    T = len(r)
    sr = mu / sd
    se_iid = math.sqrt((1 + 0.5 * sr**2) / T)
    zc = st.norm.ppf(0.975)
    q = 252
    nlags = 10
    rho = acf(r, nlags=nlags, adjusted=False, fft=False)[1:]
    rho_full = np.zeros(q - 1)
    rho_full[:nlags] = rho
    eta = q / math.sqrt(q + 2 * sum((q - k) * rho_full[k - 1] for k in range(1, q)))
    g3 = out["skew_biased"]
    g4 = out["kurtosis_biased"]
    psr_den = math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
    out["inference"] = {
        "sr": sr,
        "se_iid": se_iid,
        "ci95_iid": [sr - zc * se_iid, sr + zc * se_iid],
        "acf_nlags": nlags,
        "acf": rho,
        "q": q,
        "eta": eta,
        "sr_q_iid": math.sqrt(q) * sr,
        "sr_q": eta * sr,
        "se_q": eta * se_iid,
        "psr_0": st.norm.cdf((sr - 0.0) * math.sqrt(T - 1) / psr_den),
        "psr_005": st.norm.cdf((sr - 0.05) * math.sqrt(T - 1) / psr_den),
    }
    return out


def risk_fixture(p):
    spy, tlt = p["spy"], p["tlt"]
    r_spy = spy[1:] / spy[:-1] - 1.0
    r_tlt = tlt[1:] / tlt[:-1] - 1.0
    emc = 0.5772156649015329
    dsr_cases = []
    for sr, T, g3, g4, n_trials, v in [
        (0.08, 504, -0.5, 6.0, 10, 0.002),
        (0.12, 1000, 0.3, 4.0, 100, 0.001),
        (0.158113883008419, 1250, -3.0, 10.0, 100, 0.5 / 250.0),
    ]:
        sr0 = math.sqrt(v) * (
            (1 - emc) * st.norm.ppf(1 - 1.0 / n_trials)
            + emc * st.norm.ppf(1 - 1.0 / (n_trials * math.e))
        )
        den = math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
        dsr_cases.append(
            {
                "sr": sr,
                "t": T,
                "skew": g3,
                "kurtosis": g4,
                "trials": n_trials,
                "sr_variance": v,
                "sr0": sr0,
                "dsr": st.norm.cdf((sr - sr0) * math.sqrt(T - 1) / den),
            }
        )
    kelly = []
    for pw, b in [(0.6, 1.0), (0.55, 1.5), (0.4, 2.0), (0.3, 1.0)]:
        kelly.append({"win_rate": pw, "payoff": b, "fraction": pw - (1 - pw) / b})
    dump(
        "risk.json",
        {
            "versions": versions(),
            "series": [risk_metrics(r_spy, "spy"), risk_metrics(r_tlt, "tlt")],
            "dsr": dsr_cases,
            "kelly": kelly,
        },
    )


# ---------------------------------------------------------------- filters/
def kf_out(means, covs):
    return {"means": means, "covs": covs}


def filters_fixture(p):
    spy, tlt = p["spy"], p["tlt"]
    n = len(spy)
    # Local level on SPY closes; pykalman treats the initial state as the prior for observation 0.
    ll = {"q": 0.5, "r": 4.0, "x0": spy[0], "p0": 10.0}
    kf = KalmanFilter(
        transition_matrices=[[1.0]],
        observation_matrices=[[1.0]],
        transition_covariance=[[ll["q"]]],
        observation_covariance=[[ll["r"]]],
        initial_state_mean=[ll["x0"]],
        initial_state_covariance=[[ll["p0"]]],
    )
    m, c = kf.filter(spy.reshape(-1, 1))
    ll["level"] = m[:, 0]
    ll["variance"] = c[:, 0, 0]
    # Second, independent reference: filterpy, update-first then predict, must agree.
    fk = FilterpyKF(dim_x=1, dim_z=1)
    fk.x = np.array([[ll["x0"]]])
    fk.P = np.array([[ll["p0"]]])
    fk.F = np.array([[1.0]])
    fk.H = np.array([[1.0]])
    fk.Q = np.array([[ll["q"]]])
    fk.R = np.array([[ll["r"]]])
    fp_level, fp_var = [], []
    for i, y in enumerate(spy):
        if i > 0:
            fk.predict()
        fk.update(np.array([[y]]))
        fp_level.append(fk.x[0, 0])
        fp_var.append(fk.P[0, 0])
    if not (np.allclose(fp_level, ll["level"], rtol=1e-12, atol=0) and np.allclose(fp_var, ll["variance"], rtol=1e-12, atol=0)):
        raise SystemExit("pykalman and filterpy disagree on the local level filter")
    # The same with observation 200 missing (masked): predict only at that step.
    masked = np.ma.masked_array(spy.reshape(-1, 1), mask=np.zeros((n, 1), dtype=bool))
    masked[200] = np.ma.masked
    m2, c2 = kf.filter(masked)
    ll["missing_index"] = 200
    ll["level_missing"] = m2[:, 0]
    ll["variance_missing"] = c2[:, 0, 0]

    # Local linear trend on SPY closes.
    lt = {"q_level": 0.5, "q_slope": 0.01, "r": 4.0, "x0": [spy[0], 0.0], "p0": [[10.0, 0.0], [0.0, 1.0]]}
    kf = KalmanFilter(
        transition_matrices=[[1.0, 1.0], [0.0, 1.0]],
        observation_matrices=[[1.0, 0.0]],
        transition_covariance=[[lt["q_level"], 0.0], [0.0, lt["q_slope"]]],
        observation_covariance=[[lt["r"]]],
        initial_state_mean=lt["x0"],
        initial_state_covariance=lt["p0"],
    )
    m, c = kf.filter(spy.reshape(-1, 1))
    lt["level"] = m[:, 0]
    lt["slope"] = m[:, 1]
    lt["covs"] = c.reshape(n, 4)

    # Dynamic regression (hedge ratio) TLT_t = beta_t SPY_t + alpha_t + e_t, random-walk state,
    # transition covariance delta/(1-delta) I.
    dr = {"delta": 1e-4, "r": 1.0, "x0": [0.0, 0.0], "p0": [[1.0, 1.0], [1.0, 1.0]]}
    obs_mat = np.vstack([spy, np.ones(n)]).T[:, np.newaxis, :]
    trans_cov = dr["delta"] / (1 - dr["delta"]) * np.eye(2)
    kf = KalmanFilter(
        n_dim_obs=1,
        n_dim_state=2,
        initial_state_mean=dr["x0"],
        initial_state_covariance=dr["p0"],
        transition_matrices=np.eye(2),
        observation_matrices=obs_mat,
        observation_covariance=dr["r"],
        transition_covariance=trans_cov,
    )
    m, c = kf.filter(tlt)
    dr["beta"] = m[:, 0]
    dr["alpha"] = m[:, 1]
    dr["covs"] = c.reshape(n, 4)
    dump("filters.json", {"versions": versions(), "spy": spy, "tlt": tlt, "local_level": ll, "local_trend": lt, "dynamic_regression": dr})


# ---------------------------------------------------------------- stats/
def stats_fixture(p):
    spy, tlt, gld = p["spy"], p["tlt"], p["gld"]
    r = {k: np.log(v[1:] / v[:-1]) for k, v in p.items()}
    X = sm.add_constant(np.column_stack([r["spy"], r["gld"]]))
    fit = sm.OLS(r["tlt"], X).fit()
    fit_levels = sm.OLS(tlt, sm.add_constant(spy)).fit()
    # Kolmogorov-Smirnov two-sample test, scipy's default (two-sided, method="auto", which is
    # exact for these sizes): unequal sizes, equal sizes, and tied (rounded) data.
    ks = []
    rounded_spy = np.round(r["spy"] * 200.0) / 200.0
    rounded_tlt = np.round(r["tlt"] * 200.0) / 200.0
    for a, b in [
        (r["spy"][:200], r["tlt"][:150]),
        (r["spy"][:120], r["gld"][:120]),
        (r["spy"][:251], r["spy"][251:]),
        (r["spy"][:37], r["tlt"][100:160]),
        (rounded_spy[:90], rounded_tlt[:130]),
        (r["gld"][:300], r["gld"][300:]),
    ]:
        res = st.ks_2samp(a, b)
        ks.append({"a": a, "b": b, "statistic": res.statistic, "pvalue": res.pvalue})
    # Population stability index over deciles of the expected sample (numpy linear quantiles as
    # inner edges, outer bins open), PSI = sum (a - e) ln(a / e) over bin fractions.
    psi = []
    for e_s, a_s, bins in [(r["spy"][:250], r["spy"][250:], 10), (r["spy"], r["tlt"], 10), (r["gld"][:250], r["gld"][250:], 5)]:
        edges = np.quantile(e_s, np.linspace(0, 1, bins + 1)[1:-1], method="linear")
        e_frac = np.bincount(np.searchsorted(edges, e_s, side="right"), minlength=bins) / len(e_s)
        a_frac = np.bincount(np.searchsorted(edges, a_s, side="right"), minlength=bins) / len(a_s)
        psi.append(
            {
                "expected": e_s,
                "actual": a_s,
                "bins": bins,
                "edges": edges,
                "expected_fractions": e_frac,
                "actual_fractions": a_frac,
                "psi": float(np.sum((a_frac - e_frac) * np.log(a_frac / e_frac))),
            }
        )
    dump(
        "stats.json",
        {
            "versions": versions(),
            "y": r["tlt"],
            "x1": r["spy"],
            "x2": r["gld"],
            "ols": {
                "params": fit.params,
                "bse": fit.bse,
                "rsquared": fit.rsquared,
                "scale": fit.scale,
                "resid": fit.resid,
                "tvalues": fit.tvalues,
            },
            "zscore": {
                "x": r["spy"],
                "ddof0": st.zscore(r["spy"]),
                "ddof1": st.zscore(r["spy"], ddof=1),
            },
            "ks_2samp": ks,
            "psi": psi,
            "ols_levels": {
                "y": tlt,
                "x": spy,
                "params": fit_levels.params,
                "bse": fit_levels.bse,
                "rsquared": fit_levels.rsquared,
            },
        },
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", help="folder with SPY.csv, TLT.csv, GLD.csv to re-cut the excerpt")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if args.source:
        cut_excerpt(args.source)
    p = load_prices()
    returns_fixture(p)
    risk_fixture(p)
    filters_fixture(p)
    stats_fixture(p)


if __name__ == "__main__":
    main()
