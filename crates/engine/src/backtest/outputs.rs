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
use rust_decimal::Decimal;
use std::collections::HashMap;
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

/// Appends the last `width` decimal digits of `v`, zero-padded.
fn push_digits(out: &mut String, v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut v = v;
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend(buf[..width].iter().map(|&b| char::from(b)));
}

/// Appends `v` in decimal as `Display` writes it (no padding), through itoa rather than the
/// formatting machinery: three of these per equity.csv row.
fn push_uint(out: &mut String, v: u64) {
    out.push_str(itoa::Buffer::new().format(v));
}

/// Appends `YYYY-MM-DD` (chrono's `Display` of the date) without the formatting machinery.
fn push_date(out: &mut String, d: chrono::NaiveDate) {
    match u64::try_from(d.year()) {
        Ok(y) if y <= 9999 => {
            push_digits(out, y, 4);
            out.push('-');
            push_digits(out, u64::from(d.month()), 2);
            out.push('-');
            push_digits(out, u64::from(d.day()), 2);
        }
        _ => {
            let _ = write!(out, "{d}");
        }
    }
}

/// Appends `ts(t)` to `out`, formatted directly for years 0-9999 (the chrono call above costs
/// more than the rest of an equity.csv row).
fn push_ts(out: &mut String, t: Timestamp) {
    let secs = t.0.div_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400) as u64;
    let date =
        optifire_core::time::date_of_epoch_day(days).filter(|d| (0..=9999).contains(&d.year()));
    match date {
        Some(d) => {
            push_date(out, d);
            out.push('T');
            push_digits(out, tod / 3600, 2);
            out.push(':');
            push_digits(out, tod / 60 % 60, 2);
            out.push(':');
            push_digits(out, tod % 60, 2);
            out.push('Z');
        }
        None => out.push_str(&ts(t)),
    }
}

/// Appends `d.normalize()` as `Display` writes it (no trailing zeros, `0` for any zero), by
/// integer arithmetic when the mantissa fits 64 bits: the decimal's own formatting is the
/// costly part of an equity.csv row.
fn push_normalized(out: &mut String, d: Decimal) {
    let m = d.mantissa();
    let Ok(mut abs) = u64::try_from(m.unsigned_abs()) else {
        let _ = write!(out, "{}", d.normalize());
        return;
    };
    if abs == 0 {
        out.push('0');
        return;
    }
    let mut scale = d.scale() as usize;
    while scale > 0 && abs % 10 == 0 {
        abs /= 10;
        scale -= 1;
    }
    if m < 0 {
        out.push('-');
    }
    match 10u64.checked_pow(scale as u32) {
        Some(p) => {
            push_uint(out, abs / p);
            if scale > 0 {
                out.push('.');
                push_digits(out, abs % p, scale);
            }
        }
        // 20 or more decimals of a 64-bit mantissa: an integer part of zero.
        None => {
            out.push_str("0.");
            push_digits(out, 0, scale - 20);
            push_digits(out, abs, 20);
        }
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
        text.push(',');
        push_date(&mut text, e.ts.ny_date());
        for v in [e.equity.0, e.cash.0, e.gross_exposure.0] {
            text.push(',');
            push_normalized(&mut text, v);
        }
        text.push('\n');
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
    // Each fill's closed trade (the first with its fill id), by a map: a search of the whole
    // list per fill was ~1% of a default backtest's CPU.
    let mut trade_of: HashMap<&str, &ClosedTrade> =
        HashMap::with_capacity(result.closed_trades.len());
    for t in result.closed_trades {
        trade_of.entry(&*t.fill_id).or_insert(t);
    }
    for f in result.fills {
        let pnl = trade_of
            .get(&*f.fill_id)
            .map_or_else(String::new, |t| t.pnl.to_string());
        w.write_record([
            ts(f.ts),
            f.symbol.to_string(),
            f.side.as_str().to_string(),
            f.qty.to_string(),
            f.price.to_string(),
            f.commission.to_string(),
            pnl,
            f.client_order_id.0.to_string(),
            f.fill_id.to_string(),
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
            r.client_order_id.0.to_string(),
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
        for (y, m, d) in [
            (0, 1, 1),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 6, 30),
            (1995, 1, 3),
        ] {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let mut s = String::new();
            push_date(&mut s, date);
            assert_eq!(s, date.to_string());
        }
    }

    #[test]
    fn direct_integers_are_display() {
        let mut rng = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
        let mut cases = vec![0, 1, 9, 10, 99, 100, 102_392, u64::MAX, u64::MAX / 10];
        for _ in 0..20_000 {
            let x = rng.u64(..);
            cases.push(x >> (x % 64));
        }
        for v in cases {
            let mut s = String::from("x");
            push_uint(&mut s, v);
            assert_eq!(s, format!("x{v}"));
        }
    }

    #[test]
    fn direct_decimals_are_normalized_display() {
        use std::str::FromStr;
        let mut cases: Vec<Decimal> = [
            "0",
            "-0",
            "0.000",
            "-0.00",
            "1",
            "-1",
            "10",
            "100.00",
            "0.5",
            "-0.5",
            "0.0001000",
            "102392.595200",
            "99999999.99999999",
            "18446744073709551615",
            "18446744073709551616",
            "-18446744073709551616.5",
            "0.0000000000000000000000000001",
            "0.1234567890123456789",
            "1.0000000000000000000000000000",
            "79228162514264337593543950335",
            "-7.9228162514264337593543950335",
        ]
        .iter()
        .map(|s| Decimal::from_str(s).unwrap())
        .collect();
        let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
        for _ in 0..50_000 {
            let x = rng.u64(..);
            let m = i128::from(x >> (x % 40)) * if x & 1 == 0 { 1 } else { -1 };
            cases.push(Decimal::from_i128_with_scale(m, (x >> 58) as u32 % 29));
        }
        for d in cases {
            let mut s = String::new();
            push_normalized(&mut s, d);
            assert_eq!(s, d.normalize().to_string(), "{d:?}");
        }
    }
}
