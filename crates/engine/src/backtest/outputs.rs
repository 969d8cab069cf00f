//! The files a backtest writes: metrics.json, equity.csv, trades.csv, orders.csv, equity.png,
//! drawdown.png and report.html.
//!
//! Only values that follow from the inputs are written (no wall-clock times, no run durations),
//! in a fixed order, and the charts use an embedded font, so two runs on the same inputs give
//! byte-identical files.

use super::charts::{equity_and_drawdown_charts, CHART_SIZE};
use super::metrics::Metrics;
use super::{report_html, BacktestResult};
use crate::cycle::ClosedTrade;
use chrono::Datelike;
use optifire_charts::ChartError;
use optifire_core::domain::{EquityPoint, Fill, Order};
use optifire_core::Timestamp;
use std::fmt::Write as _;
use std::path::Path;

/// What the output files are written from: the parts of a finished backtest they show, so the
/// engine's `BacktestResult` and the sma_cross bar loop's result write the very same files.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    pub metrics: &'a Metrics,
    pub equity: &'a [EquityPoint],
    pub fills: &'a [Fill],
    pub closed_trades: &'a [ClosedTrade],
    /// Final state of every order, by creation time then client id.
    pub orders: &'a [Order],
}

impl<'a> From<&'a BacktestResult> for Report<'a> {
    fn from(r: &'a BacktestResult) -> Self {
        Report {
            metrics: &r.metrics,
            equity: &r.equity,
            fills: &r.fills,
            closed_trades: &r.closed_trades,
            orders: &r.orders,
        }
    }
}

/// Why the outputs could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Csv { path: String, source: csv::Error },
    #[error("metrics.json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{path}: {source}")]
    Chart { path: String, source: ChartError },
}

fn ts(t: Timestamp) -> String {
    t.to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Appends `ts(t)` to `out`, formatted directly for years 0-9999 (the chrono call above costs
/// more than the rest of an equity.csv row).
fn push_ts(out: &mut String, t: Timestamp) {
    let secs = t.0.div_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let date = i32::try_from(days + 719_163)
        .ok()
        .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
        .filter(|d| (0..=9999).contains(&d.year()));
    match date {
        Some(d) => {
            let _ = write!(
                out,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                d.year(),
                d.month(),
                d.day(),
                tod / 3600,
                tod / 60 % 60,
                tod % 60
            );
        }
        None => out.push_str(&ts(t)),
    }
}

/// Writes the seven files of an engine backtest into `dir` (created if missing).
pub fn write_outputs(result: &BacktestResult, dir: &Path) -> Result<(), OutputError> {
    write_report(&Report::from(result), dir)
}

/// Writes the seven files into `dir` (created if missing).
pub fn write_report(result: &Report<'_>, dir: &Path) -> Result<(), OutputError> {
    write_report_with(result, dir, &mut |_| {})
}

/// `write_report`, calling `written(name)` after each file, so a caller can time each one
/// (`optifire backtest --timing`) while this module reads no clock.
pub fn write_report_with(
    result: &Report<'_>,
    dir: &Path,
    written: &mut dyn FnMut(&'static str),
) -> Result<(), OutputError> {
    let io = |p: &Path| {
        let path = p.display().to_string();
        move |source| OutputError::Io {
            path: path.clone(),
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;

    let p = dir.join("metrics.json");
    let mut text = serde_json::to_string_pretty(result.metrics)?;
    text.push('\n');
    std::fs::write(&p, text).map_err(io(&p))?;
    written("metrics.json");

    let csv_err = |p: &Path| {
        let path = p.display().to_string();
        move |source| OutputError::Csv {
            path: path.clone(),
            source,
        }
    };

    // Written by hand into one buffer: no field can need quoting (instants, dates, decimals),
    // so the bytes are what the csv writer gives, without its allocations per field.
    let p = dir.join("equity.csv");
    let mut text = String::with_capacity(64 * (result.equity.len() + 1));
    text.push_str("ts,date,equity,cash,gross_exposure\n");
    for e in result.equity {
        push_ts(&mut text, e.ts);
        let _ = writeln!(
            text,
            ",{},{},{},{}",
            e.ts.ny_date(),
            e.equity.0.normalize(),
            e.cash.0.normalize(),
            e.gross_exposure.0.normalize()
        );
    }
    std::fs::write(&p, text).map_err(io(&p))?;
    written("equity.csv");

    let p = dir.join("trades.csv");
    let mut w = csv::Writer::from_path(&p).map_err(csv_err(&p))?;
    w.write_record([
        "ts",
        "symbol",
        "side",
        "qty",
        "price",
        "commission",
        "realized_pnl",
        "client_order_id",
        "fill_id",
    ])
    .map_err(csv_err(&p))?;
    for f in result.fills {
        let pnl = result
            .closed_trades
            .iter()
            .find(|t| t.fill_id == f.fill_id)
            .map_or_else(String::new, |t| t.pnl.to_string());
        w.write_record([
            ts(f.ts),
            f.symbol.to_string(),
            f.side.as_str().to_string(),
            f.qty.to_string(),
            f.price.to_string(),
            f.commission.to_string(),
            pnl,
            f.client_order_id.0.clone(),
            f.fill_id.clone(),
        ])
        .map_err(csv_err(&p))?;
    }
    w.flush().map_err(io(&p))?;
    written("trades.csv");

    let p = dir.join("orders.csv");
    let mut w = csv::Writer::from_path(&p).map_err(csv_err(&p))?;
    w.write_record([
        "created_at",
        "client_order_id",
        "symbol",
        "side",
        "qty",
        "order_type",
        "tif",
        "status",
        "filled_qty",
        "avg_fill_price",
        "reason",
    ])
    .map_err(csv_err(&p))?;
    for o in result.orders {
        let r = &o.request;
        w.write_record([
            ts(r.created_at),
            r.client_order_id.0.clone(),
            r.symbol.to_string(),
            r.side.as_str().to_string(),
            r.qty.to_string(),
            r.order_type.name().to_string(),
            format!("{:?}", r.tif).to_lowercase(),
            o.status.as_str().to_string(),
            o.filled_qty.to_string(),
            o.avg_fill_price.map_or_else(String::new, |p| p.to_string()),
            o.reason.clone().unwrap_or_default(),
        ])
        .map_err(csv_err(&p))?;
    }
    w.flush().map_err(io(&p))?;
    written("orders.csv");

    let chart_err = |p: &Path| {
        let path = p.display().to_string();
        move |source| OutputError::Chart {
            path: path.clone(),
            source,
        }
    };
    let initial = result.metrics.initial_equity.to_f64();
    let (equity, drawdown) = equity_and_drawdown_charts(initial, result.equity);
    let p = dir.join("equity.png");
    equity.to_png(&p, CHART_SIZE).map_err(chart_err(&p))?;
    written("equity.png");
    let p = dir.join("drawdown.png");
    drawdown.to_png(&p, CHART_SIZE).map_err(chart_err(&p))?;
    written("drawdown.png");

    let p = dir.join("report.html");
    let equity_svg = equity.to_svg(CHART_SIZE).map_err(chart_err(&p))?;
    let drawdown_svg = drawdown.to_svg(CHART_SIZE).map_err(chart_err(&p))?;
    let html = report_html::render(result, &equity_svg, &drawdown_svg);
    std::fs::write(&p, html).map_err(io(&p))?;
    written("report.html");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_timestamps_are_chronos_rfc3339() {
        // Around the epoch, leap days, DST changes, sub-second instants, negative instants.
        let mut t: i64 = -86_400 * 800 * 1_000_000_000 + 123;
        while t < 4_102_444_800 * 1_000_000_000 {
            let mut s = String::new();
            push_ts(&mut s, Timestamp(t));
            assert_eq!(s, ts(Timestamp(t)), "{t}");
            t += 3_599_999_999_937;
        }
        let mut s = String::new();
        push_ts(&mut s, Timestamp(1_704_229_200_000_000_000));
        assert_eq!(s, "2024-01-02T21:00:00Z");
    }
}
