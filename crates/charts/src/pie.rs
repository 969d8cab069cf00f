//! Pie charts: shares of a whole (the dashboard's allocation by strategy, `ux_strategy_pie`).
//!
//! Slices are drawn as polygons from angles computed here, not by plotters' `Pie`, so the
//! geometry is a plain function that tests can check against hand-computed angles.

use crate::{font, ChartError, Size, FONT};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Colours cycled over the slices (matplotlib's tab10, readable on white).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// One named share. Values are magnitudes: negative, zero and non-finite values draw nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    pub label: String,
    pub value: f64,
}

impl Slice {
    pub fn new(label: impl Into<String>, value: f64) -> Self {
        Slice {
            label: label.into(),
            value,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PieChart {
    pub title: String,
    pub slices: Vec<Slice>,
}

/// A slice's angular extent in degrees, clockwise from 12 o'clock, and its share of the total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SliceAngles {
    pub start_deg: f64,
    pub end_deg: f64,
    pub share: f64,
}

/// Angles of each slice in order; a slice that draws nothing gets `None`. Errors when no slice
/// has a positive finite value (a pie of nothing would be an invented picture).
pub fn slice_angles(slices: &[Slice]) -> Result<Vec<Option<SliceAngles>>, ChartError> {
    let usable = |v: f64| v.is_finite() && v > 0.0;
    let total: f64 = slices.iter().map(|s| s.value).filter(|v| usable(*v)).sum();
    if total <= 0.0 {
        return Err(ChartError::NoData("pie has no positive values".into()));
    }
    let mut at = 0.0;
    Ok(slices
        .iter()
        .map(|s| {
            if !usable(s.value) {
                return None;
            }
            let share = s.value / total;
            let start = at;
            at += share * 360.0;
            Some(SliceAngles {
                start_deg: start,
                end_deg: at,
                share,
            })
        })
        .collect())
}

impl PieChart {
    pub fn new(title: impl Into<String>, slices: Vec<Slice>) -> Self {
        PieChart {
            title: title.into(),
            slices,
        }
    }

    pub fn to_svg(&self, size: Size) -> Result<String, ChartError> {
        crate::render::svg(size, |root| self.draw(root, size))
    }

    pub fn to_png(&self, path: &Path, size: Size) -> Result<(), ChartError> {
        crate::render::png(path, size, |root| self.draw(root, size))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        size: Size,
    ) -> Result<(), ChartError> {
        font::ensure_registered();
        let angles = slice_angles(&self.slices)?;
        root.fill(&WHITE).map_err(ChartError::draw)?;
        let title_h = 30;
        root.draw(&Text::new(
            self.title.clone(),
            (10, 6),
            (FONT, 18).into_font().color(&BLACK),
        ))
        .map_err(ChartError::draw)?;
        // The pie on the left square, the legend on the right.
        let w = i32::try_from(size.width).unwrap_or(i32::MAX);
        let h = i32::try_from(size.height).unwrap_or(i32::MAX);
        let diameter = (h - title_h - 10).min(w / 2).max(10);
        let r = f64::from(diameter) / 2.0;
        let cx = 10.0 + r;
        let cy = f64::from(title_h) + r;
        let mut legend_y = title_h + 4;
        let legend_x = 10 + diameter + 20;
        for (i, (slice, a)) in self.slices.iter().zip(&angles).enumerate() {
            let Some(a) = a else { continue };
            let color = PALETTE[i % PALETTE.len()];
            root.draw(&Polygon::new(
                wedge(cx, cy, r, a.start_deg, a.end_deg),
                color.filled(),
            ))
            .map_err(ChartError::draw)?;
            root.draw(&Rectangle::new(
                [(legend_x, legend_y + 2), (legend_x + 12, legend_y + 14)],
                color.filled(),
            ))
            .map_err(ChartError::draw)?;
            root.draw(&Text::new(
                format!("{} {:.1}%", slice.label, a.share * 100.0),
                (legend_x + 18, legend_y),
                (FONT, 12).into_font().color(&BLACK),
            ))
            .map_err(ChartError::draw)?;
            legend_y += 18;
        }
        Ok(())
    }
}

/// The wedge as a polygon: the centre and points along the arc, at most 2 degrees apart.
fn wedge(cx: f64, cy: f64, r: f64, start_deg: f64, end_deg: f64) -> Vec<(i32, i32)> {
    let steps = (((end_deg - start_deg) / 2.0).ceil() as usize).max(1);
    let mut pts = vec![(cx.round() as i32, cy.round() as i32)];
    for k in 0..=steps {
        let deg = start_deg + (end_deg - start_deg) * k as f64 / steps as f64;
        // Clockwise from 12 o'clock; screen y grows downwards.
        let rad = deg.to_radians();
        pts.push((
            (cx + r * rad.sin()).round() as i32,
            (cy - r * rad.cos()).round() as i32,
        ));
    }
    pts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_are_shares_of_360_in_order() {
        // 1 : 1 : 2 → a quarter, a quarter, a half (by hand).
        let s = vec![
            Slice::new("a", 1.0),
            Slice::new("b", 1.0),
            Slice::new("c", 2.0),
        ];
        let a = slice_angles(&s).unwrap();
        let a: Vec<_> = a.into_iter().map(Option::unwrap).collect();
        assert_eq!((a[0].start_deg, a[0].end_deg), (0.0, 90.0));
        assert_eq!((a[1].start_deg, a[1].end_deg), (90.0, 180.0));
        assert_eq!((a[2].start_deg, a[2].end_deg), (180.0, 360.0));
        assert_eq!(a[2].share, 0.5);
    }

    #[test]
    fn unusable_values_are_skipped_and_all_unusable_is_an_error() {
        let s = vec![
            Slice::new("neg", -1.0),
            Slice::new("x", 3.0),
            Slice::new("nan", f64::NAN),
        ];
        let a = slice_angles(&s).unwrap();
        assert!(a[0].is_none() && a[2].is_none());
        assert_eq!(a[1].unwrap().end_deg, 360.0);
        assert!(slice_angles(&[Slice::new("z", 0.0)]).is_err());
        assert!(slice_angles(&[]).is_err());
    }

    #[test]
    fn wedge_of_a_quarter_starts_at_noon_and_ends_at_three() {
        let w = wedge(100.0, 100.0, 50.0, 0.0, 90.0);
        assert_eq!(w[0], (100, 100));
        assert_eq!(w[1], (100, 50), "12 o'clock");
        assert_eq!(*w.last().unwrap(), (150, 100), "3 o'clock");
    }

    #[test]
    fn svg_has_title_legend_and_shapes() {
        let c = PieChart::new(
            "Allocation",
            vec![Slice::new("alpha_a", 3.0), Slice::new("alpha_b", 1.0)],
        );
        let svg = c.to_svg(Size::new(400, 220)).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Allocation"));
        assert!(svg.contains("alpha_a 75.0%") && svg.contains("alpha_b 25.0%"));
        assert!(svg.contains("<polygon"));
    }
}
