#!/usr/bin/env python3
"""Independent replay of the SMA-cross reference strategy, for the backtester's cross-check.

Uses only the standard library (csv, decimal, json): no code shared with the Rust engine.
Rules (the same the Rust test asks the engine for):
  * at the close of bar t, with SMA_F and SMA_S the means of the last F and S closes (summed
    left to right as floats): if SMA_F[t-1] < SMA_S[t-1] and SMA_F[t] > SMA_S[t] and flat,
    buy SIZE shares; if SMA_F[t-1] > SMA_S[t-1] and SMA_F[t] < SMA_S[t] and long, sell all;
  * a market order fills at the open of bar t+1, the open rounded to 8 decimals (half even)
    and then to the cent (half up), as the simulated exchange prices fills; no slippage;
  * commission = RATE x traded value, rounded to the cent half up; cash is exact Decimal;
  * equity at each close = cash + shares x close (close rounded to 8 decimals, half even);
  * an order decided on the last bar never fills.
Rows on or after --stop (the file's defect rows at the end) are not used.

Usage: sma_cross_reference.py CSV --fast F --slow S --cash C --size N --rate P --stop DATE OUT
"""
import argparse
import csv
import json
import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal


def d8(x):
    return Decimal(x).quantize(Decimal("1e-8"), rounding=ROUND_HALF_EVEN)


def tick(x):
    return d8(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def mean(xs):
    s = 0.0
    for x in xs:
        s += x
    return s / len(xs)


def metrics(initial, equity, gross, trades, realized):
    """empyrical's conventions, written out: 252 periods a year, ddof 1, simple returns."""
    values = [float(initial)] + [float(e) for e in equity]
    r = [b / a - 1.0 for a, b in zip(values, values[1:])]
    n = len(r)
    mean = sum(r) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in r) / (n - 1))
    growth = 1.0
    for x in r:
        growth *= 1.0 + x
    cagr = growth ** (252.0 / n) - 1.0
    downside = math.sqrt(sum(min(x, 0.0) ** 2 for x in r) / n) * math.sqrt(252.0)
    peak, mdd, level = 1.0, 0.0, 1.0
    for x in r:
        level *= 1.0 + x
        peak = max(peak, level)
        mdd = min(mdd, level / peak - 1.0)
    wins = [p for p in realized if p > 0]
    losses = [p for p in realized if p < 0]
    traded = sum(Decimal(t["price"]) * t["qty"] for t in trades)
    mean_equity = sum(values[1:]) / len(equity)
    return {
        "total_return": values[-1] / values[0] - 1.0,
        "cagr": cagr,
        "annual_volatility": sd * math.sqrt(252.0),
        "sharpe": mean / sd * math.sqrt(252.0),
        "sortino": mean * 252.0 / downside,
        "calmar": cagr / abs(mdd),
        "max_drawdown": -mdd,
        "trades": len(realized),
        "win_rate": len(wins) / len(realized),
        "profit_factor": float(sum(wins)) / float(-sum(losses)),
        "exposure": sum(float(g) / float(e) for g, e in zip(gross, equity)) / len(equity),
        "turnover": float(traded) / mean_equity,
        "commissions": str(sum(Decimal(t["commission"]) for t in trades)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--fast", type=int, required=True)
    ap.add_argument("--slow", type=int, required=True)
    ap.add_argument("--cash", required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--rate", required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("out")
    a = ap.parse_args()

    rows = []
    with open(a.csv, newline="") as f:
        for r in csv.DictReader(f):
            if r["Date"] >= a.stop:
                break
            rows.append((r["Date"], float(r["Open"]), float(r["Close"])))

    cash = Decimal(a.cash)
    rate = Decimal(a.rate)
    shares = 0
    avg_cost = Decimal(0)
    realized = []
    gross = []
    pending = None  # ("buy"|"sell", qty)
    trades = []
    equity = []
    closes = []
    for date, open_, close in rows:
        if pending is not None:
            side, qty = pending
            price = tick(open_)
            value = price * qty
            commission = (rate * value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if side == "buy":
                cash -= value + commission
                avg_cost = (avg_cost * shares + value) / (shares + qty)
                shares += qty
            else:
                cash += value - commission
                realized.append((price - avg_cost) * qty)
                shares -= qty
            trades.append(
                {"date": date, "side": side, "qty": qty, "price": str(price),
                 "commission": str(commission)}
            )
            pending = None
        closes.append(close)
        equity.append({"date": date, "equity": str(cash + shares * d8(close))})
        gross.append(shares * d8(close))
        n = len(closes)
        if n >= a.slow + 1:
            f_now = mean(closes[n - a.fast:])
            s_now = mean(closes[n - a.slow:])
            f_prev = mean(closes[n - 1 - a.fast:n - 1])
            s_prev = mean(closes[n - 1 - a.slow:n - 1])
            if f_prev < s_prev and f_now > s_now and shares == 0:
                pending = ("buy", a.size)
            elif f_prev > s_prev and f_now < s_now and shares > 0:
                pending = ("sell", shares)

    out = {
        "rules": "see tools/reference/sma_cross_reference.py",
        "args": {"fast": a.fast, "slow": a.slow, "cash": a.cash, "size": a.size,
                 "rate": a.rate, "stop": a.stop},
        "bars": len(rows),
        "trades": trades,
        "final_cash": str(cash),
        "final_shares": shares,
        "final_equity": equity[-1]["equity"],
        "metrics": metrics(
            Decimal(a.cash), [Decimal(e["equity"]) for e in equity], gross, trades, realized
        ),
        "equity": [e["equity"] for e in equity],
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main()
