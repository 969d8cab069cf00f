//! Heat maps: one value per cell of a two-parameter grid (a sweep's fast × slow windows).
//!
//! A grid of results is read at a glance as colour: a lone bright cell among dark neighbours is
//! a fluke, a bright plateau is a robust setting. Values around zero get a diverging scale (red
//! below, green above, white at zero) so losing settings never look like winning ones.

use crate::{font, ChartError, Size, FONT};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// A grid of values: `values[row][column]`, `None` (or NaN) where there is no value (a cell
/// the grid skips, a metric that is undefined); such cells are drawn grey.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    pub title: String,
    /// Axis names, e.g. "fast SMA" and "slow SMA".
    pub x_label: String,
    pub y_label: String,
    /// One label per column and per row.
    pub columns: Vec<String>,
    pub rows: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
    /// Show values as percentages of 1.0 (0.05 → "5.0%").
    pub percent: bool,
}

/// Colour of a missing value.
pub const MISSING: RGBColor = RGBColor(200, 200, 200);

impl HeatMap {
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
        columns: Vec<String>,
        rows: Vec<String>,
        values: Vec<Vec<Option<f64>>>,
    ) -> Self {
        HeatMap {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            columns,
            rows,
            values,
            percent: false,
        }
    }

    pub fn percent(mut self) -> Self {
        self.percent = true;
        self
    }

    /// The chart as an SVG document.
    pub fn to_svg(&self, size: Size) -> Result<String, ChartError> {
        crate::render::svg(size, |root| self.draw(root))
    }

    /// Writes the chart as a PNG file.
    pub fn to_png(&self, path: &Path, size: Size) -> Result<(), ChartError> {
        crate::render::png(path, size, |root| self.draw(root))
    }

    /// The value at a cell, if it is a finite number.
    fn at(&self, row: usize, col: usize) -> Option<f64> {
        self.values
            .get(row)
            .and_then(|r| r.get(col))
            .copied()
            .flatten()
            .filter(|v| v.is_finite())
    }

    /// Smallest and largest finite value.
    pub fn range(&self) -> Result<(f64, f64), ChartError> {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for v in self.values.iter().flatten().flatten() {
            if v.is_finite() {
                lo = lo.min(*v);
                hi = hi.max(*v);
            }
        }
        if lo > hi {
            return Err(ChartError::NoData(self.title.clone()));
        }
        Ok((lo, hi))
    }

    fn check_shape(&self) -> Result<(), ChartError> {
        let ok = !self.columns.is_empty()
            && !self.rows.is_empty()
            && self.values.len() == self.rows.len()
            && self.values.iter().all(|r| r.len() == self.columns.len());
        if ok {
            Ok(())
        } else {
            Err(ChartError::Draw(format!(
                "{}: {} row labels and {} column labels for a {}-row grid",
                self.title,
                self.rows.len(),
                self.columns.len(),
                self.values.len()
            )))
        }
    }

    fn label(&self, v: f64) -> String {
        let s = self.label_raw(v);
        // A small negative value rounds to "-0.00"; zero has no sign.
        if s.starts_with('-') && s[1..].chars().all(|c| matches!(c, '0' | '.' | '%')) {
            s[1..].to_string()
        } else {
            s
        }
    }

    fn label_raw(&self, v: f64) -> String {
        if self.percent {
            format!("{:.1}%", v * 100.0)
        } else if v.abs() >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        font::ensure_registered();
        self.check_shape()?;
        let (lo, hi) = self.range()?;
        root.fill(&WHITE).map_err(ChartError::draw)?;
        let (w, _) = root.dim_in_pixel();
        let (main, bar) = root.split_horizontally(w.saturating_sub(110));
        let (nc, nr) = (self.columns.len(), self.rows.len());

        let mut chart = ChartBuilder::on(&main)
            .caption(&self.title, (FONT, 18))
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(
                // Discrete ranges include their end: 0..n-1 is n segments.
                (0..nc - 1).into_segmented(),
                (0..nr - 1).into_segmented(),
            )
            .map_err(ChartError::draw)?;
        let col_label = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => self.columns.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let row_label = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => self.rows.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nc.min(25))
            .y_labels(nr.min(25))
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .x_label_formatter(&col_label)
            .y_label_formatter(&row_label)
            .draw()
            .map_err(ChartError::draw)?;

        let cells = (0..nr).flat_map(|r| (0..nc).map(move |c| (r, c)));
        let rects = cells.clone().map(|(r, c)| {
            let color = self.at(r, c).map_or(MISSING, |v| color_of(v, lo, hi));
            Rectangle::new(
                [
                    (SegmentValue::Exact(c), SegmentValue::Exact(r)),
                    (SegmentValue::Exact(c + 1), SegmentValue::Exact(r + 1)),
                ],
                color.filled(),
            )
        });
        chart.draw_series(rects).map_err(ChartError::draw)?;

        // Numbers in the cells only where they fit.
        let (pw, ph) = chart.plotting_area().dim_in_pixel();
        if pw as usize / nc >= 44 && ph as usize / nr >= 16 {
            let texts = cells.filter_map(|(r, c)| {
                self.at(r, c).map(|v| {
                    Text::new(
                        self.label(v),
                        (SegmentValue::CenterOf(c), SegmentValue::CenterOf(r)),
                        TextStyle::from((FONT, 11).into_font())
                            .color(&BLACK)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    )
                })
            });
            chart.draw_series(texts).map_err(ChartError::draw)?;
        }
        self.draw_scale(&bar, lo, hi)
    }

    /// The colour scale beside the grid.
    fn draw_scale<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        lo: f64,
        hi: f64,
    ) -> Result<(), ChartError> {
        let (lo_axis, hi_axis) = if hi > lo {
            (lo, hi)
        } else {
            (lo - 1.0, hi + 1.0)
        };
        let mut scale = ChartBuilder::on(area)
            .margin_top(40)
            .margin_bottom(55)
            .margin_right(10)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..1.0, lo_axis..hi_axis)
            .map_err(ChartError::draw)?;
        scale
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(6)
            .label_style((FONT, 11))
            .y_label_formatter(&|v| self.label(*v))
            .draw()
            .map_err(ChartError::draw)?;
        const STEPS: usize = 64;
        let step = (hi_axis - lo_axis) / STEPS as f64;
        scale
            .draw_series((0..STEPS).map(|i| {
                let a = lo_axis + step * i as f64;
                let mid = a + step / 2.0;
                Rectangle::new(
                    [(0.0, a), (1.0, a + step)],
                    color_of(mid.clamp(lo, hi), lo, hi).filled(),
                )
            }))
            .map_err(ChartError::draw)?;
        Ok(())
    }
}

/// Linear blend of two colours, `t` in [0, 1].
fn blend(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

const RED: RGBColor = RGBColor(178, 24, 43);
const GREEN: RGBColor = RGBColor(27, 120, 55);
const PALE: RGBColor = RGBColor(247, 251, 255);
const BLUE: RGBColor = RGBColor(8, 48, 107);

/// The colour of `v` on a scale from `lo` to `hi`. When the range holds both signs the scale
/// diverges at zero: white at 0, full red at the most negative value, full green at the most
/// positive (each side scaled by its own extreme, so the sign is never misread). Otherwise a
/// sequential scale, pale at `lo` to dark blue at `hi`.
pub fn color_of(v: f64, lo: f64, hi: f64) -> RGBColor {
    if lo < 0.0 && hi > 0.0 {
        if v < 0.0 {
            blend(WHITE, RED, v / lo)
        } else {
            blend(WHITE, GREEN, v / hi)
        }
    } else if hi > lo {
        blend(PALE, BLUE, (v - lo) / (hi - lo))
    } else {
        blend(PALE, BLUE, 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> HeatMap {
        HeatMap::new(
            "Sharpe by window",
            "fast SMA",
            "slow SMA",
            vec!["5".into(), "10".into(), "15".into()],
            vec!["20".into(), "30".into()],
            vec![
                vec![Some(-0.5), Some(0.25), Some(1.0)],
                vec![Some(0.0), None, Some(0.5)],
            ],
        )
    }

    #[test]
    fn diverging_scale_is_white_at_zero_and_full_at_each_extreme() {
        assert_eq!(color_of(0.0, -0.5, 1.0), WHITE);
        assert_eq!(color_of(-0.5, -0.5, 1.0), RED);
        assert_eq!(color_of(1.0, -0.5, 1.0), GREEN);
        // Halfway to the positive extreme: each channel halfway from 255 (round half away).
        assert_eq!(color_of(0.5, -0.5, 1.0), RGBColor(141, 188, 155));
    }

    #[test]
    fn labels_never_show_a_negative_zero() {
        assert_eq!(grid().label(-0.001), "0.00");
        assert_eq!(grid().label(-0.01), "-0.01");
        assert_eq!(grid().percent().label(-0.0001), "0.0%");
    }

    #[test]
    fn one_signed_range_uses_the_sequential_scale() {
        assert_eq!(color_of(1.0, 1.0, 3.0), PALE);
        assert_eq!(color_of(3.0, 1.0, 3.0), BLUE);
    }

    #[test]
    fn svg_has_title_axis_names_and_labels() {
        let svg = grid().to_svg(Size::new(640, 400)).unwrap();
        for s in [
            "Sharpe by window",
            "fast SMA",
            "slow SMA",
            "\n15\n",
            "\n30\n",
        ] {
            assert!(svg.contains(s), "no {s:?} in the SVG");
        }
        // The missing cell is grey, the most negative one full red.
        assert!(svg.contains("#C8C8C8") || svg.contains("rgb(200,200,200)"));
        assert!(svg.contains("#B2182B") || svg.contains("rgb(178,24,43)"));
    }

    #[test]
    fn png_is_identical_twice() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
        grid().to_png(&a, Size::new(500, 300)).unwrap();
        grid().to_png(&b, Size::new(500, 300)).unwrap();
        let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
        assert_eq!(&a[1..4], b"PNG");
        assert_eq!(a, b);
    }

    #[test]
    fn empty_grid_or_bad_shape_is_an_error() {
        let mut g = grid();
        g.values = vec![vec![None, None, None], vec![Some(f64::NAN), None, None]];
        assert!(matches!(g.range(), Err(ChartError::NoData(_))));
        let mut g = grid();
        g.rows.pop();
        assert!(g.to_svg(Size::new(300, 200)).is_err());
    }
}
