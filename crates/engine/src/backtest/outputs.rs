//! The files a backtest writes: metrics.json, equity.csv, trades.csv, orders.csv, equity.png,
//! drawdown.png and report.html.
//!
//! Only values that follow from the inputs are written (no wall-clock times, no run durations),
//! in a fixed order, and the charts use an embedded font, so two runs on the same inputs give
//! byte-identical files.

use super::charts::{drawdown_chart, equity_chart, CHART_SIZE};
use super::metrics::Metrics;
use super::{report_html, BacktestResult};
use crate::cycle::ClosedTrade;
use optifire_charts::ChartError;
use optifire_core::domain::{EquityPoint, Fill, Order};
use optifire_core::Timestamp;
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

/// Writes the seven files of an engine backtest into `dir` (created if missing).
pub fn write_outputs(result: &BacktestResult, dir: &Path) -> Result<(), OutputError> {
    write_report(&Report::from(result), dir)
}

/// Writes the seven files into `dir` (created if missing).
pub fn write_report(result: &Report<'_>, dir: &Path) -> Result<(), OutputError> {
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

    let csv_err = |p: &Path| {
        let path = p.display().to_string();
        move |source| OutputError::Csv {
            path: path.clone(),
            source,
        }
    };

    let p = dir.join("equity.csv");
    let mut w = csv::Writer::from_path(&p).map_err(csv_err(&p))?;
    w.write_record(["ts", "date", "equity", "cash", "gross_exposure"])
        .map_err(csv_err(&p))?;
    for e in result.equity {
        w.write_record([
            ts(e.ts),
            e.ts.ny_date().to_string(),
            e.equity.0.normalize().to_string(),
            e.cash.0.normalize().to_string(),
            e.gross_exposure.0.normalize().to_string(),
        ])
        .map_err(csv_err(&p))?;
    }
    w.flush().map_err(io(&p))?;

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

    let chart_err = |p: &Path| {
        let path = p.display().to_string();
        move |source| OutputError::Chart {
            path: path.clone(),
            source,
        }
    };
    let initial = result.metrics.initial_equity.to_f64();
    let equity = equity_chart(result.equity);
    let drawdown = drawdown_chart(initial, result.equity);
    let p = dir.join("equity.png");
    equity.to_png(&p, CHART_SIZE).map_err(chart_err(&p))?;
    let p = dir.join("drawdown.png");
    drawdown.to_png(&p, CHART_SIZE).map_err(chart_err(&p))?;

    let p = dir.join("report.html");
    let equity_svg = equity.to_svg(CHART_SIZE).map_err(chart_err(&p))?;
    let drawdown_svg = drawdown.to_svg(CHART_SIZE).map_err(chart_err(&p))?;
    let html = report_html::render(result, &equity_svg, &drawdown_svg);
    std::fs::write(&p, html).map_err(io(&p))?;
    Ok(())
}
