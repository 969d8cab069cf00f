//! report.html: one self-contained page a person opens to judge a backtest.
//!
//! Inline SVG charts, the metrics table and a trades summary; no scripts, no stylesheets or
//! fonts from elsewhere, so it opens offline and from an e-mail attachment. Every value comes
//! from the result (no run time or date of writing), so the page is byte-identical between runs.

use super::metrics::Metrics;
use super::outputs::Report;
use optifire_core::domain::{Money, Side};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Fills listed one by one; beyond this the page points to trades.csv.
pub const MAX_LISTED_FILLS: usize = 200;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{:.2}%", v * 100.0))
}

fn num(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{v:.3}"))
}

/// The metrics as (label, value) rows, in the order metrics.json has them.
pub fn metric_rows(m: &Metrics) -> Vec<(&'static str, String)> {
    vec![
        ("Start", m.start.clone()),
        ("End", m.end.clone()),
        ("Trading days", m.days.to_string()),
        ("Initial equity", m.initial_equity.to_string()),
        ("Final equity", m.final_equity.to_string()),
        (
            "Total return",
            pct(Some(m.total_return).filter(|x| x.is_finite())),
        ),
        ("CAGR", pct(m.cagr)),
        ("Annual volatility", pct(m.annual_volatility)),
        ("Sharpe", num(m.sharpe)),
        ("Sortino", num(m.sortino)),
        ("Calmar", num(m.calmar)),
        ("Max drawdown", pct(m.max_drawdown)),
        (
            "Max drawdown duration (days)",
            m.max_drawdown_duration_days
                .map_or_else(|| "n/a".into(), |d| d.to_string()),
        ),
        ("Fills", m.fills.to_string()),
        ("Closed trades", m.trades.to_string()),
        ("Win rate", pct(m.win_rate)),
        ("Profit factor", num(m.profit_factor)),
        ("Exposure", pct(m.exposure)),
        ("Turnover", num(m.turnover)),
        ("Commissions", m.commissions.to_string()),
    ]
}

/// Per-symbol totals of the fills and closed trades.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SymbolSummary {
    pub buys: usize,
    pub sells: usize,
    pub closed: usize,
    pub wins: usize,
    pub realized: Money,
    pub commissions: Money,
}

/// Totals per symbol, in symbol order.
pub fn summarize(result: &Report<'_>) -> BTreeMap<String, SymbolSummary> {
    let mut out: BTreeMap<String, SymbolSummary> = BTreeMap::new();
    for f in result.fills {
        let s = out.entry(f.symbol.to_string()).or_default();
        match f.side {
            Side::Buy => s.buys += 1,
            Side::Sell => s.sells += 1,
        }
        s.commissions += f.commission;
    }
    for t in result.closed_trades {
        let s = out.entry(t.symbol.to_string()).or_default();
        s.closed += 1;
        if t.pnl.0.is_sign_positive() && !t.pnl.0.is_zero() {
            s.wins += 1;
        }
        s.realized += t.pnl;
    }
    out
}

/// Drops an XML prolog, which has no place inside an HTML body.
fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}\
td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}\
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}\
figure{margin:1em 0}svg{max-width:100%;height:auto}";

/// The whole page. `equity_svg` and `drawdown_svg` are the charts as SVG documents.
pub fn render(result: &Report<'_>, equity_svg: &str, drawdown_svg: &str) -> String {
    let m = result.metrics;
    let mut h = String::new();
    // Writing to a String cannot fail; the results are ignored for that reason only.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Backtest {} to {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Backtest {} to {}</h1>\n",
        escape(&m.start),
        escape(&m.end),
        escape(&m.start),
        escape(&m.end)
    );
    h.push_str("<h2>Equity</h2>\n<figure>\n");
    h.push_str(inline_svg(equity_svg));
    h.push_str("\n</figure>\n<h2>Drawdown</h2>\n<figure>\n");
    h.push_str(inline_svg(drawdown_svg));
    h.push_str("\n</figure>\n");

    h.push_str("<h2>Metrics</h2>\n<table>\n<tr><th>Metric</th><th>Value</th></tr>\n");
    for (k, v) in metric_rows(m) {
        let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", k, escape(&v));
    }
    h.push_str("</table>\n");

    h.push_str(
        "<h2>Trades by symbol</h2>\n<table>\n<tr><th>Symbol</th><th>Buys</th><th>Sells</th>\
         <th>Closed trades</th><th>Winners</th><th>Realized P&amp;L</th><th>Commissions</th></tr>\n",
    );
    let summary = summarize(result);
    if summary.is_empty() {
        h.push_str("<tr><td colspan=\"7\">no fills</td></tr>\n");
    }
    for (sym, s) in &summary {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(sym),
            s.buys,
            s.sells,
            s.closed,
            s.wins,
            s.realized,
            s.commissions
        );
    }
    h.push_str("</table>\n");

    let _ = writeln!(
        h,
        "<h2>Fills</h2>\n<p>{} fill(s){}.</p>",
        result.fills.len(),
        if result.fills.len() > MAX_LISTED_FILLS {
            format!(", the first {MAX_LISTED_FILLS} listed; all are in trades.csv")
        } else {
            String::new()
        }
    );
    if !result.fills.is_empty() {
        h.push_str(
            "<table>\n<tr><th>Date</th><th>Symbol</th><th>Side</th><th>Qty</th><th>Price</th>\
             <th>Commission</th><th>Realized P&amp;L</th></tr>\n",
        );
        let pnl: BTreeMap<&str, Money> = result
            .closed_trades
            .iter()
            .map(|t| (&*t.fill_id, t.pnl))
            .collect();
        for f in result.fills.iter().take(MAX_LISTED_FILLS) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                f.ts.ny_date(),
                escape(f.symbol.as_str()),
                f.side.as_str(),
                f.qty,
                f.price,
                f.commission,
                pnl.get(&*f.fill_id)
                    .map_or_else(String::new, |p| p.to_string())
            );
        }
        h.push_str("</table>\n");
    }

    if !m.notes.is_empty() {
        h.push_str("<h2>Notes</h2>\n<ul>\n");
        for n in &m.notes {
            let _ = writeln!(h, "<li>{}</li>", escape(n));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;"
        );
    }

    #[test]
    fn prolog_is_dropped_from_inline_svg() {
        assert_eq!(inline_svg("<?xml version=\"1.0\"?>\n<svg x>"), "<svg x>");
        assert_eq!(inline_svg("<svg y>"), "<svg y>");
    }
}
