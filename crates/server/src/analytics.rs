//! Numbers the API and the dashboard derive from the store: PnL, drawdown, exposure and VaR/ES
//! from the stored equity (with optifire-ta's kernels), the allocation of the engine's
//! recorded signal contributions, and the slippage report (expected cost from the journal against realized fill prices).
//!
//! Pure functions over store records, so each is checked against hand-computed numbers; an
//! empty store gives `None`/empty, never a made-up value.

use optifire_core::domain::{EquityPoint, Order, Side, Symbol};
use optifire_core::event::{Event, SignalContribution};
use optifire_core::store::JournalEntry;
use optifire_core::Timestamp;
use optifire_ta::risk::{drawdown_series, historical_cvar, historical_var};
use serde::Serialize;
use std::collections::BTreeMap;

/// Fewer daily returns than this give no VaR/ES: a tail quantile of a handful of days would be
/// noise presented as a risk number.
pub const MIN_VAR_RETURNS: usize = 20;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RiskMetrics {
    pub as_of: Timestamp,
    pub points: usize,
    pub start_equity: f64,
    pub equity: f64,
    pub cash: f64,
    /// equity − first stored equity.
    pub pnl: f64,
    pub pnl_pct: f64,
    pub gross_exposure: f64,
    /// Gross exposure over equity.
    pub exposure_pct: f64,
    /// Current drawdown from the running peak, a positive fraction.
    pub drawdown: f64,
    pub max_drawdown: f64,
    pub var: VarEs,
}

/// Historical VaR and expected shortfall of daily returns (positive loss fractions).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VarEs {
    pub confidence: f64,
    /// Daily returns used (the last `lookback_days` at most).
    pub returns_used: usize,
    pub var: Option<f64>,
    pub es: Option<f64>,
    /// Why `var`/`es` are absent, when they are.
    pub note: Option<String>,
}

/// Last equity point of each New York date, in time order: daily closes from a curve that may be
/// sampled every cycle.
pub fn daily_closes(points: &[EquityPoint]) -> Vec<EquityPoint> {
    let mut out: Vec<EquityPoint> = Vec::new();
    for p in points {
        match out.last_mut() {
            Some(last) if last.ts.ny_date() == p.ts.ny_date() => *last = *p,
            _ => out.push(*p),
        }
    }
    out
}

/// Simple daily returns of the daily closes.
pub fn daily_returns(points: &[EquityPoint]) -> Vec<f64> {
    let closes: Vec<f64> = daily_closes(points)
        .iter()
        .map(|p| p.equity.to_f64())
        .collect();
    closes.windows(2).map(|w| w[1] / w[0] - 1.0).collect()
}

/// `None` for an empty curve.
pub fn risk_metrics(
    points: &[EquityPoint],
    confidence: f64,
    lookback_days: usize,
) -> Option<RiskMetrics> {
    let first = points.first()?;
    let last = points.last()?;
    let values: Vec<f64> = points.iter().map(|p| p.equity.to_f64()).collect();
    let dd = drawdown_series(&values);
    let current_dd = dd.last().copied().filter(|d| d.is_finite()).unwrap_or(0.0);
    let max_dd = dd
        .iter()
        .copied()
        .filter(|d| d.is_finite())
        .fold(0.0_f64, f64::min);
    let start = first.equity.to_f64();
    let equity = last.equity.to_f64();
    let gross = last.gross_exposure.to_f64();
    let returns = daily_returns(points);
    let tail = &returns[returns.len().saturating_sub(lookback_days)..];
    let var = if tail.len() < MIN_VAR_RETURNS {
        VarEs {
            confidence,
            returns_used: tail.len(),
            var: None,
            es: None,
            note: Some(format!(
                "needs at least {MIN_VAR_RETURNS} daily returns, have {}",
                tail.len()
            )),
        }
    } else {
        match (
            historical_var(tail, confidence),
            historical_cvar(tail, confidence),
        ) {
            (Ok(v), Ok(e)) => VarEs {
                confidence,
                returns_used: tail.len(),
                var: Some(v),
                es: Some(e),
                note: None,
            },
            (Err(e), _) | (_, Err(e)) => VarEs {
                confidence,
                returns_used: tail.len(),
                var: None,
                es: None,
                note: Some(e.to_string()),
            },
        }
    };
    Some(RiskMetrics {
        as_of: last.ts,
        points: points.len(),
        start_equity: start,
        equity,
        cash: last.cash.to_f64(),
        pnl: equity - start,
        pnl_pct: if start > 0.0 {
            equity / start - 1.0
        } else {
            f64::NAN
        },
        gross_exposure: gross,
        exposure_pct: if equity > 0.0 {
            gross / equity
        } else {
            f64::NAN
        },
        // As positive fractions; a zero drawdown stays 0, not -0.
        drawdown: if current_dd < 0.0 { -current_dd } else { 0.0 },
        max_drawdown: if max_dd < 0.0 { -max_dd } else { 0.0 },
        var,
    })
}

/// Drawdown of each point as a negative fraction (for the chart), with its time.
pub fn drawdown_points(points: &[EquityPoint]) -> Vec<(Timestamp, f64)> {
    let values: Vec<f64> = points.iter().map(|p| p.equity.to_f64()).collect();
    points
        .iter()
        .zip(drawdown_series(&values))
        .map(|(p, d)| (p.ts, d))
        .collect()
}

/// The contributions of the engine's latest recorded cycle (`Event::Contributions`, newest
/// first as `ServerDb::events_of_kind` gives them) with that cycle's instant; `None` before
/// the engine recorded any.
pub fn latest_contributions(
    newest_first: &[(i64, Event)],
) -> Option<(Timestamp, Vec<SignalContribution>)> {
    newest_first.iter().find_map(|(_, e)| match e {
        Event::Contributions { ts, contributions } => Some((*ts, contributions.clone())),
        _ => None,
    })
}

/// Each plugin's share of the combined gross target: the sum of the magnitudes of its
/// contributions. Plugins with nothing at stake are left out.
pub fn allocation_by_plugin(contribs: &[SignalContribution]) -> Vec<(String, f64)> {
    let mut by: BTreeMap<&str, f64> = BTreeMap::new();
    for c in contribs {
        if c.weight.is_finite() {
            *by.entry(c.plugin.as_str()).or_default() += c.weight.abs();
        }
    }
    by.into_iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// One filled order's cost: what the executor expected against what the fills paid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlippageRow {
    pub client_order_id: String,
    pub symbol: Symbol,
    pub side: Side,
    pub filled_qty: f64,
    /// The reference price the estimate was measured from.
    pub mid: f64,
    pub avg_fill_price: f64,
    pub expected_bps: f64,
    /// side × (fill − mid) / mid in basis points: positive is a cost.
    pub realized_bps: f64,
}

/// `None` when the order has no fill or its journal carries no expected cost.
pub fn slippage_row(order: &Order, journal: &[JournalEntry]) -> Option<SlippageRow> {
    let fill = order.avg_fill_price?.to_f64();
    let expected = journal
        .iter()
        .rev()
        .find_map(|j| j.payload.get("expected").filter(|e| !e.is_null()))?;
    let mid = expected.get("mid")?.as_f64()?;
    let expected_bps = expected.get("cost_bps")?.as_f64()?;
    if !(mid.is_finite() && mid > 0.0 && fill.is_finite()) {
        return None;
    }
    let sign = f64::from(order.request.side.sign());
    Some(SlippageRow {
        client_order_id: order.request.client_order_id.0.to_string(),
        symbol: order.request.symbol.clone(),
        side: order.request.side,
        filled_qty: order.filled_qty.to_f64(),
        mid,
        avg_fill_price: fill,
        expected_bps,
        realized_bps: sign * (fill - mid) / mid * 10_000.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::{
        ClientOrderId, Money, OrderRequest, OrderType, Price, Quantity, TimeInForce,
    };
    use optifire_core::store::JournalAction;
    use rust_decimal::Decimal;
    use serde_json::json;

    const DAY: i64 = 86_400;
    /// 2023-11-14 21:00 UTC = 16:00 New York (a close).
    const T0: i64 = 1_699_995_600;

    fn pt(day: i64, equity: &str, gross: &str) -> EquityPoint {
        let m = |s: &str| Money(s.parse::<Decimal>().unwrap());
        EquityPoint {
            ts: Timestamp::from_secs(T0 + day * DAY),
            equity: m(equity),
            cash: m("1000"),
            gross_exposure: m(gross),
        }
    }

    #[test]
    fn pnl_drawdown_and_exposure_by_hand() {
        let pts = vec![
            pt(0, "100", "0"),
            pt(1, "110", "50"),
            pt(2, "99", "40"),
            pt(3, "108.9", "54.45"),
        ];
        let m = risk_metrics(&pts, 0.95, 252).unwrap();
        assert!((m.pnl - 8.9).abs() < 1e-12);
        assert!((m.pnl_pct - 0.089).abs() < 1e-12);
        // Peak 110: now 108.9 → 1% down; worst 99 → 10% down.
        assert!((m.drawdown - 0.01).abs() < 1e-12);
        assert!((m.max_drawdown - 0.10).abs() < 1e-12);
        assert!((m.exposure_pct - 0.5).abs() < 1e-12);
        assert_eq!(m.var.var, None, "3 returns are too few");
        assert_eq!(m.var.returns_used, 3);
        assert!(m.var.note.is_some());
        assert!(risk_metrics(&[], 0.95, 252).is_none());
    }

    #[test]
    fn var_es_of_daily_returns_by_hand() {
        // Returns -5%, -4%, ..., +15% (21 days) after a start of 100.
        let mut pts = vec![pt(0, "100", "0")];
        let mut e = Decimal::from(100);
        for (k, r) in (-5..=15).enumerate() {
            e *= Decimal::ONE + Decimal::new(r, 2);
            pts.push(pt(k as i64 + 1, &e.to_string(), "0"));
        }
        let m = risk_metrics(&pts, 0.95, 252).unwrap();
        assert_eq!(m.var.returns_used, 21);
        // numpy percentile(linear) at 5%: h = 20 × 0.05 = 1 → second smallest, -4%.
        assert!((m.var.var.unwrap() - 0.04).abs() < 1e-9, "{:?}", m.var);
        // ES: k = floor(20 × 0.05) = 1 → mean of the two smallest, -4.5%.
        assert!((m.var.es.unwrap() - 0.045).abs() < 1e-9);
        // A 10-day lookback keeps the last 10 returns (+6% .. +15%): smallest +6%, +7%.
        let m = risk_metrics(&pts, 0.95, 10).unwrap();
        assert_eq!(m.var.var, None);
        assert_eq!(m.var.returns_used, 10);
    }

    #[test]
    fn intraday_points_collapse_to_the_last_of_each_new_york_day() {
        let mut a = pt(0, "100", "0");
        a.ts = Timestamp::from_secs(T0 - 3600); // 15:00 NY, same day
        let pts = vec![a, pt(0, "101", "0"), pt(1, "90.9", "0")];
        let closes = daily_closes(&pts);
        assert_eq!(closes.len(), 2);
        assert_eq!(closes[0].equity.to_f64(), 101.0);
        let r = daily_returns(&pts);
        assert!((r[0] + 0.1).abs() < 1e-12);
    }

    #[test]
    fn allocation_sums_the_recorded_contributions_of_the_latest_cycle() {
        let c = |p: &str, sym: &str, w: f64| SignalContribution {
            plugin: p.into(),
            symbol: Symbol::new(sym),
            weight: w,
        };
        let old = Event::Contributions {
            ts: Timestamp::from_secs(T0),
            contributions: vec![c("a", "SPY", 0.9)],
        };
        let new = Event::Contributions {
            ts: Timestamp::from_secs(T0 + 60),
            contributions: vec![c("a", "SPY", 0.3), c("b", "SPY", -0.1), c("a", "TLT", 0.5)],
        };
        assert_eq!(latest_contributions(&[]), None);
        let (at, c) = latest_contributions(&[(2, new), (1, old)]).unwrap();
        assert_eq!(at, Timestamp::from_secs(T0 + 60));
        // a: |0.3| + |0.5| = 0.8; b: |-0.1| = 0.1.
        let alloc = allocation_by_plugin(&c);
        assert_eq!(alloc.len(), 2);
        assert!((alloc[0].1 - 0.8).abs() < 1e-12 && (alloc[1].1 - 0.1).abs() < 1e-12);
    }

    #[test]
    fn slippage_is_signed_cost_against_the_journaled_mid() {
        let req = OrderRequest {
            client_order_id: ClientOrderId("o1".into()),
            symbol: Symbol::new("SPY"),
            side: Side::Sell,
            qty: Quantity(Decimal::from(10)),
            order_type: OrderType::Market,
            tif: TimeInForce::Day,
            created_at: Timestamp::from_secs(T0),
        };
        let mut o = Order::new(req);
        o.filled_qty = Quantity(Decimal::from(10));
        o.avg_fill_price = Some(Price("399.8".parse().unwrap()));
        let j = |payload| JournalEntry {
            seq: 1,
            ts: Timestamp::from_secs(T0),
            client_order_id: ClientOrderId("o1".into()),
            action: JournalAction::Submitted,
            payload,
        };
        let journal = vec![j(
            json!({"expected": {"mid": 400.0, "cost_bps": 3.0, "price": 399.88}}),
        )];
        let row = slippage_row(&o, &journal).unwrap();
        // Selling 0.2 below a 400 mid costs 5 bp.
        assert!((row.realized_bps - 5.0).abs() < 1e-9, "{row:?}");
        assert_eq!(row.expected_bps, 3.0);
        assert!(slippage_row(&o, &[j(json!({"expected": null}))]).is_none());
    }
}
