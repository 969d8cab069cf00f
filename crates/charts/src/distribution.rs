//! Return distribution: a histogram of period returns with the VaR and expected-shortfall
//! levels drawn as vertical lines (`ux_var_es_plot`).
//!
//! The binning follows numpy's `histogram` (equal-width bins over [min, max], the last bin
//! closed), so a report's figure can be checked against numpy.

use crate::{font, ChartError, Size, FONT};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Equal-width bins and their counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// `counts.len() + 1` ascending edges.
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

/// numpy `histogram(values, bins)` over the finite values: bins `[e_k, e_{k+1})`, the last one
/// `[e_{n-1}, e_n]`; when all values are equal the range is value ± 0.5, as numpy does.
pub fn histogram(values: &[f64], bins: usize) -> Result<Histogram, ChartError> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() || bins == 0 {
        return Err(ChartError::NoData("histogram has no finite values".into()));
    }
    let mut lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo == hi {
        lo -= 0.5;
        hi += 0.5;
    }
    let edges: Vec<f64> = (0..=bins)
        .map(|k| lo + (hi - lo) * k as f64 / bins as f64)
        .collect();
    let mut counts = vec![0u64; bins];
    for v in finite {
        let mut i = (((v - lo) / (hi - lo)) * bins as f64).floor() as usize;
        i = i.min(bins - 1);
        // Rounding in the division can land a value next to its bin; the edges decide.
        if i > 0 && v < edges[i] {
            i -= 1;
        } else if i + 1 < bins && v >= edges[i + 1] {
            i += 1;
        }
        counts[i] += 1;
    }
    Ok(Histogram { edges, counts })
}

/// A histogram of returns (fractions: 0.01 = 1%) with optional VaR and ES marks. `var` and
/// `es` are losses as positive fractions (optifire-ta's convention); they are drawn at
/// `-var` and `-es` on the return axis.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionChart {
    pub title: String,
    pub returns: Vec<f64>,
    pub bins: usize,
    pub var: Option<f64>,
    pub es: Option<f64>,
    /// Shown in the legend, e.g. 0.95.
    pub confidence: f64,
}

impl DistributionChart {
    pub fn new(title: impl Into<String>, returns: Vec<f64>, bins: usize) -> Self {
        DistributionChart {
            title: title.into(),
            returns,
            bins,
            var: None,
            es: None,
            confidence: 0.95,
        }
    }

    pub fn with_var_es(mut self, confidence: f64, var: Option<f64>, es: Option<f64>) -> Self {
        self.confidence = confidence;
        self.var = var;
        self.es = es;
        self
    }

    pub fn to_svg(&self, size: Size) -> Result<String, ChartError> {
        crate::render::svg(size, |root| self.draw(root))
    }

    pub fn to_png(&self, path: &Path, size: Size) -> Result<(), ChartError> {
        crate::render::png(path, size, |root| self.draw(root))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        font::ensure_registered();
        let h = histogram(&self.returns, self.bins)?;
        let marks: Vec<(String, f64, RGBColor)> = [
            (
                format!("VaR {:.0}%", self.confidence * 100.0),
                self.var,
                RGBColor(214, 39, 40),
            ),
            (
                format!("ES {:.0}%", self.confidence * 100.0),
                self.es,
                RGBColor(148, 103, 189),
            ),
        ]
        .into_iter()
        .filter_map(|(name, v, c)| v.filter(|v| v.is_finite()).map(|v| (name, -v, c)))
        .collect();
        let mut x0 = h.edges[0];
        let mut x1 = h.edges[h.edges.len() - 1];
        for (_, x, _) in &marks {
            x0 = x0.min(*x);
            x1 = x1.max(*x);
        }
        let pad = (x1 - x0) * 0.03;
        let top = h.counts.iter().copied().max().unwrap_or(0) as f64 * 1.1 + 1.0;
        root.fill(&WHITE).map_err(ChartError::draw)?;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d((x0 - pad)..(x1 + pad), 0.0..top)
            .map_err(ChartError::draw)?;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(5)
            .light_line_style(WHITE.mix(0.0))
            .label_style((FONT, 12))
            .x_label_formatter(&|x| format!("{:.1}%", x * 100.0))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(ChartError::draw)?;
        let bar = RGBColor(31, 119, 180);
        chart
            .draw_series(h.counts.iter().enumerate().map(|(i, &c)| {
                Rectangle::new(
                    [(h.edges[i], 0.0), (h.edges[i + 1], c as f64)],
                    bar.mix(0.7).filled(),
                )
            }))
            .map_err(ChartError::draw)?
            .label("returns")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], bar.filled()));
        for (name, x, color) in marks {
            chart
                .draw_series(LineSeries::new([(x, 0.0), (x, top)], color.stroke_width(2)))
                .map_err(ChartError::draw)?
                .label(format!("{name} = {:.2}%", -x * 100.0))
                .legend(move |(lx, ly)| {
                    PathElement::new([(lx, ly), (lx + 12, ly)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 12))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(ChartError::draw)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_histogram() {
        // numpy.histogram([1, 2, 2, 3, 4], bins=3) -> ([1, 2, 2], [1., 2., 3., 4.])
        let h = histogram(&[1.0, 2.0, 2.0, 3.0, 4.0], 3).unwrap();
        assert_eq!(h.counts, vec![1, 2, 2]);
        assert_eq!(h.edges, vec![1.0, 2.0, 3.0, 4.0]);
        // numpy.histogram([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], bins=10)
        // -> counts [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
        let v: Vec<f64> = (0..=10).map(|i| f64::from(i) / 10.0).collect();
        let h = histogram(&v, 10).unwrap();
        assert_eq!(h.counts, vec![1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
    }

    #[test]
    fn constant_values_use_half_unit_range_like_numpy() {
        // numpy.histogram([5, 5], bins=2) -> ([0, 2], [4.5, 5., 5.5])
        let h = histogram(&[5.0, 5.0], 2).unwrap();
        assert_eq!(h.edges, vec![4.5, 5.0, 5.5]);
        assert_eq!(h.counts, vec![0, 2]);
    }

    #[test]
    fn nothing_finite_is_an_error() {
        assert!(histogram(&[f64::NAN], 4).is_err());
        assert!(histogram(&[], 4).is_err());
        assert!(histogram(&[1.0], 0).is_err());
    }

    #[test]
    fn svg_shows_var_and_es_lines_with_their_values() {
        let r = vec![-0.03, -0.01, 0.0, 0.005, 0.01, 0.02, -0.02, 0.015];
        let c = DistributionChart::new("Daily returns", r, 6).with_var_es(
            0.95,
            Some(0.025),
            Some(0.03),
        );
        let svg = c.to_svg(Size::new(500, 260)).unwrap();
        assert!(svg.contains("Daily returns"));
        assert!(svg.contains("VaR 95% = 2.50%"), "legend names the VaR");
        assert!(svg.contains("ES 95% = 3.00%"));
        assert!(svg.contains("<rect"));
    }
}
