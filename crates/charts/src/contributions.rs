//! Signal contributions: one horizontal bar per (plugin, symbol) part of a target weight,
//! positive to the right and negative to the left of zero (`ux_signal_contrib`).
//!
//! Bars are drawn in the order given, so the caller decides the grouping (by symbol, then
//! plugin) and the picture matches the table next to it.

use crate::{font, ChartError, Size, FONT};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

impl Bar {
    pub fn new(label: impl Into<String>, value: f64) -> Self {
        Bar {
            label: label.into(),
            value,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContributionChart {
    pub title: String,
    pub bars: Vec<Bar>,
}

/// The x range: symmetric around zero so the sign of a bar reads at a glance, and never empty.
pub fn value_range(bars: &[Bar]) -> Result<(f64, f64), ChartError> {
    let m = bars
        .iter()
        .map(|b| b.value)
        .filter(|v| v.is_finite())
        .map(f64::abs)
        .fold(None, |acc: Option<f64>, v| {
            Some(acc.map_or(v, |a| a.max(v)))
        });
    match m {
        None => Err(ChartError::NoData("no finite contribution".into())),
        Some(0.0) => Ok((-1.0, 1.0)),
        Some(m) => Ok((-m * 1.1, m * 1.1)),
    }
}

impl ContributionChart {
    pub fn new(title: impl Into<String>, bars: Vec<Bar>) -> Self {
        ContributionChart {
            title: title.into(),
            bars,
        }
    }

    pub fn to_svg(&self, size: Size) -> Result<String, ChartError> {
        crate::render::svg(size, |root| self.draw(root))
    }

    pub fn to_png(&self, path: &Path, size: Size) -> Result<(), ChartError> {
        crate::render::png(path, size, |root| self.draw(root))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        font::ensure_registered();
        let (x0, x1) = value_range(&self.bars)?;
        let n = self.bars.len();
        let longest = self.bars.iter().map(|b| b.label.len()).max().unwrap_or(0);
        let label_w = u32::try_from(longest * 7 + 10).unwrap_or(200).min(260);
        root.fill(&WHITE).map_err(ChartError::draw)?;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(label_w)
            .build_cartesian_2d(x0..x1, 0.0..n as f64)
            .map_err(ChartError::draw)?;
        let labels: Vec<&str> = self.bars.iter().map(|b| b.label.as_str()).collect();
        // Bar i occupies [n-1-i, n-i] so the first bar is on top; its label sits at the middle.
        let label_of = |y: &f64| {
            let k = (n as f64 - y - 0.5).round();
            if (n as f64 - y - 0.5 - k).abs() < 1e-9 && k >= 0.0 && (k as usize) < n {
                labels[k as usize].to_string()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels(5)
            .y_labels(n * 2 + 1)
            .disable_y_mesh()
            .light_line_style(WHITE.mix(0.0))
            .label_style((FONT, 12))
            .x_label_formatter(&|x| {
                // -0.00 reads like a loss; zero is zero.
                let s = format!("{x:.2}");
                if s == "-0.00" {
                    "0.00".to_string()
                } else {
                    s
                }
            })
            .y_label_formatter(&label_of)
            .draw()
            .map_err(ChartError::draw)?;
        let pos = RGBColor(44, 160, 44);
        let neg = RGBColor(214, 39, 40);
        chart
            .draw_series(self.bars.iter().enumerate().filter_map(|(i, b)| {
                if !b.value.is_finite() {
                    return None;
                }
                let top = (n - i) as f64 - 0.15;
                let bottom = (n - 1 - i) as f64 + 0.15;
                let color = if b.value >= 0.0 { pos } else { neg };
                Some(Rectangle::new(
                    [(0.0, bottom), (b.value, top)],
                    color.filled(),
                ))
            }))
            .map_err(ChartError::draw)?;
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (0.0, n as f64)], BLACK))
            .map_err(ChartError::draw)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_is_symmetric_and_padded() {
        let bars = vec![
            Bar::new("a", 0.2),
            Bar::new("b", -0.5),
            Bar::new("c", f64::NAN),
        ];
        let (lo, hi) = value_range(&bars).unwrap();
        assert!((lo + 0.55).abs() < 1e-12 && (hi - 0.55).abs() < 1e-12);
        assert_eq!(value_range(&[Bar::new("z", 0.0)]).unwrap(), (-1.0, 1.0));
        assert!(value_range(&[]).is_err());
    }

    #[test]
    fn svg_has_one_rect_per_finite_bar_and_the_labels() {
        let bars = vec![
            Bar::new("SPY alpha_vix_regime", 0.3),
            Bar::new("SPY alpha_cross_asset_corr", -0.1),
        ];
        let base = ContributionChart::new("Contributions", vec![])
            .to_svg(Size::new(500, 200))
            .is_err();
        assert!(base, "no bars is no data, not an empty frame");
        let svg = ContributionChart::new("Contributions", bars)
            .to_svg(Size::new(500, 200))
            .unwrap();
        assert!(svg.contains("SPY alpha_vix_regime"));
        assert!(svg.contains("SPY alpha_cross_asset_corr"));
        // Colours of a positive and a negative bar.
        assert!(svg.contains("#2CA02C") && svg.contains("#D62728"), "{svg}");
    }
}
