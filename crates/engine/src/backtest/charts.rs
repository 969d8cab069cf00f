//! The equity and drawdown charts of a backtest, built from its daily equity points.
//!
//! Kept apart from the writers so equity.png, drawdown.png and the SVGs inlined in report.html
//! are drawn from the same series and cannot disagree.

use super::metrics::{daily_points, money_f64};
use optifire_charts::{LineChart, Series, Size};
use optifire_core::domain::EquityPoint;
use plotters::style::RGBColor;

/// Pixel size of the PNG files and of the SVGs in the report.
pub const CHART_SIZE: Size = Size::new(960, 360);

/// Unix seconds of an equity point (the chart's x axis).
fn secs(p: &EquityPoint) -> i64 {
    p.ts.0.div_euclid(1_000_000_000)
}

/// Equity at the last point of each New York date.
pub fn equity_series(points: &[EquityPoint]) -> Vec<(i64, f64)> {
    equity_of_days(&daily_points(points))
}

fn equity_of_days(daily: &[&EquityPoint]) -> Vec<(i64, f64)> {
    daily
        .iter()
        .map(|p| (secs(p), money_f64(p.equity)))
        .collect()
}

/// Fall from the running peak at each daily point, as a fraction ≤ 0 (-0.1 = 10% under the
/// peak). The peak starts at `initial`, the equity before the first point, the same convention
/// as the max-drawdown metric, so the chart's lowest value is minus that metric.
pub fn drawdown_series(initial: f64, points: &[EquityPoint]) -> Vec<(i64, f64)> {
    drawdown_of_days(initial, &daily_points(points))
}

fn drawdown_of_days(initial: f64, daily: &[&EquityPoint]) -> Vec<(i64, f64)> {
    let mut peak = initial;
    daily
        .iter()
        .map(|p| {
            let e = money_f64(p.equity);
            peak = peak.max(e);
            let dd = if peak > 0.0 { e / peak - 1.0 } else { 0.0 };
            // An exact peak gives 0.0, never -0.0, so the SVG text is stable.
            (secs(p), dd + 0.0)
        })
        .collect()
}

/// The equity curve chart.
pub fn equity_chart(points: &[EquityPoint]) -> LineChart {
    equity_chart_of_days(&daily_points(points))
}

fn equity_chart_of_days(daily: &[&EquityPoint]) -> LineChart {
    LineChart::new("Equity", vec![Series::new("equity", equity_of_days(daily))])
}

/// The drawdown chart: filled down to zero, percent axis.
pub fn drawdown_chart(initial: f64, points: &[EquityPoint]) -> LineChart {
    drawdown_chart_of_days(initial, &daily_points(points))
}

fn drawdown_chart_of_days(initial: f64, daily: &[&EquityPoint]) -> LineChart {
    LineChart::new(
        "Drawdown",
        vec![Series::new("drawdown", drawdown_of_days(initial, daily))
            .with_color(RGBColor(214, 39, 40))],
    )
    .filled()
    .percent()
}

/// Both charts from one pass over the points (`equity_chart`, `drawdown_chart`).
pub fn equity_and_drawdown_charts(initial: f64, points: &[EquityPoint]) -> (LineChart, LineChart) {
    let daily = daily_points(points);
    (
        equity_chart_of_days(&daily),
        drawdown_chart_of_days(initial, &daily),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::Money;
    use optifire_core::Timestamp;
    use rust_decimal::Decimal;

    fn pt(day: i64, eq: i64) -> EquityPoint {
        EquityPoint {
            ts: Timestamp::from_secs(1_704_229_200 + day * 86_400),
            equity: Money(Decimal::from(eq)),
            cash: Money(Decimal::from(eq)),
            gross_exposure: Money::ZERO,
        }
    }

    #[test]
    fn drawdown_is_measured_from_the_running_peak_including_the_start() {
        // Start 100; 90 is 10% under the start; 120 is a new peak; 96 is 20% under it.
        let pts = [pt(0, 90), pt(1, 120), pt(2, 96), pt(3, 120)];
        let dd: Vec<f64> = drawdown_series(100.0, &pts).iter().map(|x| x.1).collect();
        assert_eq!(dd.len(), 4);
        assert!((dd[0] + 0.1).abs() < 1e-12);
        assert_eq!(dd[1], 0.0);
        assert!((dd[2] + 0.2).abs() < 1e-12);
        assert_eq!(dd[3], 0.0);
        assert!(dd[3].is_sign_positive());
    }
}
