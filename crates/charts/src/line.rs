//! Time-series line charts: equity, drawdown (filled down to zero), any value over dates.
//!
//! One drawing routine serves both backends so the PNG in a report and the SVG on the dashboard
//! cannot disagree.

use crate::{font, ChartError, Size, FONT};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The x range (seconds) and y range of a chart.
type Bounds = ((i64, i64), (f64, f64));

/// One named line; `points` are (Unix seconds, value) in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(i64, f64)>,
    pub color: RGBColor,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(i64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            color: RGBColor(31, 119, 180),
        }
    }

    pub fn with_color(mut self, color: RGBColor) -> Self {
        self.color = color;
        self
    }
}

/// A chart of one or more series against dates (New York dates are the caller's business: the
/// x values are instants and the axis shows their UTC date, which for daily closes is the
/// trading date).
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub series: Vec<Series>,
    /// Fill the area between each line and zero (drawdown charts).
    pub fill_to_zero: bool,
    /// Show y labels as percentages of 1.0 (0.05 → "5.0%").
    pub percent: bool,
}

impl LineChart {
    pub fn new(title: impl Into<String>, series: Vec<Series>) -> Self {
        LineChart {
            title: title.into(),
            series,
            fill_to_zero: false,
            percent: false,
        }
    }

    pub fn filled(mut self) -> Self {
        self.fill_to_zero = true;
        self
    }

    pub fn percent(mut self) -> Self {
        self.percent = true;
        self
    }

    /// The chart as an SVG document (for pages: embed it inline).
    pub fn to_svg(&self, size: Size) -> Result<String, ChartError> {
        crate::render::svg(size, |root| self.draw(root, true, None))
    }

    /// Writes the chart as a PNG file.
    ///
    /// A one-series chart gets its line (and filled area) painted straight onto the pixels
    /// after plotters has drawn the frame (`paint`): plotters draws a 2-pixel line and a half
    /// transparent area by filling polygons scanline by scanline, blending each run, which
    /// cost more than the rest of the chart; the direct painting gives the same picture
    /// (tests compare both). Charts with a legend (drawn over the lines) keep plotters' way.
    pub fn to_png(&self, path: &Path, size: Size) -> Result<(), ChartError> {
        // The bitmap starts white: the same pixels as painting it white first.
        if self.series.len() != 1 {
            return crate::render::png_on_white(path, size, |root| self.draw(root, false, None));
        }
        let rgb = self.direct_pixels(size)?;
        crate::render::write_png(path, size, &rgb)
    }

    /// The PNG's pixels of a one-series chart: the frame by plotters, then `paint`.
    fn direct_pixels(&self, size: Size) -> Result<Vec<u8>, ChartError> {
        let mut lines = Vec::new();
        let mut rgb =
            crate::render::pixels(size, 255, |root| self.draw(root, false, Some(&mut lines)))?;
        for line in &lines {
            paint(&mut rgb, size, line)?;
        }
        Ok(rgb)
    }

    fn bounds(&self) -> Result<Bounds, ChartError> {
        let finite = self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(_, y)| y.is_finite());
        let mut x = (i64::MAX, i64::MIN);
        let mut y = (f64::INFINITY, f64::NEG_INFINITY);
        for &(px, py) in finite {
            x = (x.0.min(px), x.1.max(px));
            y = (y.0.min(py), y.1.max(py));
        }
        if x.0 > x.1 {
            return Err(ChartError::NoData(self.title.clone()));
        }
        if self.fill_to_zero {
            y = (y.0.min(0.0), y.1.max(0.0));
        }
        if x.0 == x.1 {
            x = (x.0 - 43_200, x.1 + 43_200);
        }
        let span = y.1 - y.0;
        let pad = if span > 0.0 {
            span * 0.05
        } else {
            y.0.abs().max(1.0) * 0.01
        };
        Ok((x, (y.0 - pad, y.1 + pad)))
    }

    /// Draws the chart; `background`: paint the area white first (a backend that is not
    /// already white). With `direct`, the series are not drawn but handed back in backend
    /// pixels for `paint`.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        background: bool,
        mut direct: Option<&mut Vec<PixelLine>>,
    ) -> Result<(), ChartError> {
        font::ensure_registered();
        let ((x0, x1), (y0, y1)) = self.bounds()?;
        if background {
            root.fill(&WHITE).map_err(ChartError::draw)?;
        }
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(ChartError::draw)?;
        let percent = self.percent;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(6)
            .light_line_style(WHITE.mix(0.0))
            .label_style((FONT, 12))
            .x_label_formatter(&|x| date_label(*x))
            .y_label_formatter(&|y| value_label(*y, percent, y1 - y0))
            .draw()
            .map_err(ChartError::draw)?;
        for s in &self.series {
            let finite = s.points.iter().copied().filter(|(_, y)| y.is_finite());
            let pts = thin(finite, |x| chart.backend_coord(&(x, y0)).0);
            if let Some(out) = direct.as_deref_mut() {
                out.push(PixelLine {
                    points: pts.iter().map(|p| chart.backend_coord(p)).collect(),
                    baseline: self.fill_to_zero.then(|| chart.backend_coord(&(x0, 0.0)).1),
                    color: s.color,
                    width: if self.fill_to_zero { 1 } else { LINE_WIDTH },
                });
                continue;
            }
            if self.fill_to_zero {
                chart
                    .draw_series(
                        AreaSeries::new(pts, 0.0, s.color.mix(FILL_ALPHA)).border_style(s.color),
                    )
                    .map_err(ChartError::draw)?
                    .label(&s.name);
            } else {
                chart
                    .draw_series(LineSeries::new(pts, s.color.stroke_width(LINE_WIDTH)))
                    .map_err(ChartError::draw)?
                    .label(&s.name);
            }
        }
        if self.series.len() > 1 {
            chart
                .configure_series_labels()
                .label_font((FONT, 12))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(ChartError::draw)?;
        }
        Ok(())
    }
}

/// Stroke width of an unfilled series, in pixels.
const LINE_WIDTH: u32 = 2;
/// Opacity of a filled series' area.
const FILL_ALPHA: f64 = 0.3;

/// A series in backend pixels, as `draw` would have drawn it.
#[derive(Debug)]
struct PixelLine {
    points: Vec<(i32, i32)>,
    /// The pixel row of zero, for a series filled down to it.
    baseline: Option<i32>,
    color: RGBColor,
    width: u32,
}

/// Paints `line` onto the RGB pixels as plotters' `AreaSeries` (area, then a 1-pixel border)
/// or 2-pixel `LineSeries` would, without its polygon filler:
/// * the area: in each pixel column, the rows between the baseline and the farthest point of
///   the line in that column (a segment's interpolated row, both ends of a vertical run) are
///   blended with the colour at alpha `FILL_ALPHA` by `blend`; the border drawn over it
///   covers the edge;
/// * a 2-pixel line: plotters' 1-pixel (anti-aliased) line drawn with a 2 by 2 pixel brush
///   (four copies one pixel apart), which covers the same 2-pixel band.
fn paint(rgb: &mut [u8], size: Size, line: &PixelLine) -> Result<(), ChartError> {
    let (w, h) = (size.width as i32, size.height as i32);
    if let Some(base) = line.baseline {
        // Per column: the lowest and highest row the line reaches.
        let mut span: Vec<Option<(i32, i32)>> = vec![None; size.width as usize];
        let mut reach = |x: i32, y: i32| {
            if let Some(c) = usize::try_from(x).ok().and_then(|x| span.get_mut(x)) {
                *c = Some(c.map_or((y, y), |(lo, hi)| (lo.min(y), hi.max(y))));
            }
        };
        for seg in line.points.windows(2) {
            let ((xa, ya), (xb, yb)) = (seg[0], seg[1]);
            reach(xa, ya);
            reach(xb, yb);
            let (lo, hi) = (xa.min(xb), xa.max(xb));
            for x in lo + 1..hi {
                let t = f64::from(x - xa) / f64::from(xb - xa);
                reach(x, (f64::from(ya) + t * f64::from(yb - ya)).round() as i32);
            }
        }
        if let [only] = line.points[..] {
            reach(only.0, only.1);
        }
        let a = (256.0 * FILL_ALPHA).floor() as u64;
        let RGBColor(r, g, b) = line.color;
        for (x, c) in span.iter().enumerate() {
            let Some((lo, hi)) = *c else { continue };
            let (top, bottom) = (lo.min(base).max(0), hi.max(base).min(h - 1));
            for y in top..=bottom {
                let i = (y as usize * size.width as usize + x) * 3;
                for (d, s) in rgb[i..i + 3].iter_mut().zip([r, g, b]) {
                    *d = blend(*d, s, a);
                }
            }
        }
    }
    let root = BitMapBackend::with_buffer(rgb, (size.width, size.height)).into_drawing_area();
    let brush: &[(i32, i32)] = if line.width >= 2 {
        &[(0, 0), (1, 0), (0, 1), (1, 1)]
    } else {
        &[(0, 0)]
    };
    for &(dx, dy) in brush {
        let pts: Vec<(i32, i32)> = line
            .points
            .iter()
            .map(|&(x, y)| ((x + dx).min(w - 1), (y + dy).min(h - 1)))
            .collect();
        root.draw(&PathElement::new(pts, line.color.stroke_width(1)))
            .map_err(ChartError::draw)?;
    }
    root.present().map_err(ChartError::draw)?;
    Ok(())
}

/// plotters-bitmap's blend of one channel (`pixel_format::blend`, private there), with `a` the
/// alpha in 256ths: what its polygon filler leaves on the columns it fills one at a time.
fn blend(prev: u8, new: u8, a: u64) -> u8 {
    if new > prev {
        prev + (u64::from(new - prev) * a / 256) as u8
    } else {
        prev - (u64::from(prev - new) * a / 256) as u8
    }
}

/// The points that decide what a line through `points` covers, column by column: where many
/// points fall on one pixel column (`column` maps x to it), the segments between them are
/// vertical runs in that column whose union is the run from the lowest to the highest, so the
/// first, lowest, highest and last point of each column (in time order) draw the same line
/// and the same filled area with a fraction of the points. Columns with at most four points
/// are kept whole.
fn thin(points: impl Iterator<Item = (i64, f64)>, column: impl Fn(i64) -> i32) -> Vec<(i64, f64)> {
    let mut out: Vec<(i64, f64)> = Vec::new();
    let mut group: Vec<(i64, f64)> = Vec::new();
    let mut col = None;
    let flush = |group: &mut Vec<(i64, f64)>, out: &mut Vec<(i64, f64)>| {
        if group.len() <= 4 {
            out.append(group);
            return;
        }
        let lo = (0..group.len()).fold(0, |a, i| if group[i].1 < group[a].1 { i } else { a });
        let hi = (0..group.len()).fold(0, |a, i| if group[i].1 > group[a].1 { i } else { a });
        let mut keep = vec![0, lo, hi, group.len() - 1];
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|i| group[i]));
        group.clear();
    };
    for p in points {
        let c = column(p.0);
        if col != Some(c) {
            flush(&mut group, &mut out);
            col = Some(c);
        }
        group.push(p);
    }
    flush(&mut group, &mut out);
    out
}

fn date_label(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.date_naive().to_string())
        .unwrap_or_default()
}

/// `span` is the axis range: percent labels get enough decimals that the ~6 ticks differ
/// (a 0.1% drawdown axis must not read "0.0%, -0.0%, -0.0%, -0.1%").
fn value_label(y: f64, percent: bool, span: f64) -> String {
    if percent {
        let step = span * 100.0 / 6.0;
        let decimals = if step.is_finite() && step > 0.0 {
            (-step.log10()).ceil().clamp(1.0, 4.0) as usize
        } else {
            1
        };
        // `+ 0.0` turns -0.0 into 0.0, so the top of a drawdown axis reads "0.0%".
        format!("{:.*}%", decimals, y * 100.0 + 0.0)
    } else if y.abs() >= 1000.0 {
        format!("{y:.0}")
    } else {
        format!("{y:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn a_white_bitmap_gives_the_pixels_of_painting_it_white() {
        // Line, filled and two-series charts (the legend box is drawn half transparent over
        // the background), over many points and a percent axis.
        let pts: Vec<(i64, f64)> = (0..3000)
            .map(|i| {
                (
                    1_000_000_000 + i * DAY,
                    -0.3 * ((i as f64) / 97.0).sin().abs(),
                )
            })
            .collect();
        let two = LineChart::new(
            "Two",
            vec![
                Series::new("a", pts.clone()),
                Series::new("b", pts.iter().map(|&(x, y)| (x, y * 0.5)).collect()),
            ],
        );
        let charts = [
            equity(),
            LineChart::new("Drawdown", vec![Series::new("dd", pts.clone())])
                .filled()
                .percent(),
            two,
        ];
        let size = Size::new(960, 360);
        for chart in charts {
            let painted =
                crate::render::pixels(size, 0, |root| chart.draw(root, true, None)).unwrap();
            let white =
                crate::render::pixels(size, 255, |root| chart.draw(root, false, None)).unwrap();
            assert!(painted == white, "{}", chart.title);
        }
    }

    /// What the direct painting of `to_png` changes against plotters drawing the same series:
    /// the same frame, the same area colour, and ink only near the line.
    #[test]
    fn direct_painting_draws_what_plotters_draws() {
        // A random walk over 5,000 days (the size of a 20-year daily backtest) as an equity
        // line, and its drawdown as a filled percent chart.
        let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
        let mut v = 100_000.0;
        let walk: Vec<(i64, f64)> = (0..5000)
            .map(|i| {
                let x = rng.u64(..);
                v += (x % 2001) as f64 - 1000.0;
                (788_918_400 + i * DAY, v)
            })
            .collect();
        let mut peak = f64::MIN;
        let dd: Vec<(i64, f64)> = walk
            .iter()
            .map(|&(t, e)| {
                peak = peak.max(e);
                (t, e / peak - 1.0)
            })
            .collect();
        let size = Size::new(960, 360);
        let line = LineChart::new("Equity", vec![Series::new("equity", walk)]);
        let area = LineChart::new(
            "Drawdown",
            vec![Series::new("drawdown", dd).with_color(RGBColor(214, 39, 40))],
        )
        .filled()
        .percent();
        for chart in [line, area] {
            let direct = chart.direct_pixels(size).unwrap();
            let plotters =
                crate::render::pixels(size, 255, |root| chart.draw(root, false, None)).unwrap();
            let px = |img: &[u8], i: usize| (img[3 * i], img[3 * i + 1], img[3 * i + 2]);
            let n = (size.width * size.height) as usize;
            let white = (255, 255, 255);
            let ink = |img: &[u8]| (0..n).filter(|&i| px(img, i) != white).count();
            let (ink_direct, ink_plotters) = (ink(&direct), ink(&plotters));
            // Ink (a channel under 192) with no ink within a pixel in the other picture: the
            // brush and plotters' polygon may put a 2-pixel line one pixel apart, which no
            // reader sees; a missing or extra stroke is a run of such pixels.
            let dark = |img: &[u8], x: i64, y: i64| {
                (0..size.width as i64).contains(&x) && (0..size.height as i64).contains(&y) && {
                    let p = px(img, (y * size.width as i64 + x) as usize);
                    p.0.min(p.1).min(p.2) < 192
                }
            };
            let stray = |a: &[u8], b: &[u8]| {
                let mut k = 0;
                for y in 0..size.height as i64 {
                    for x in 0..size.width as i64 {
                        let near = (-1..=1).any(|dy| (-1..=1).any(|dx| dark(b, x + dx, y + dy)));
                        k += usize::from(dark(a, x, y) && !near);
                    }
                }
                k
            };
            // Measured: equity 71 extra and 45 missing of 16,452 inked pixels (plotters' polygon
            // leaves gaps in steep runs that the brush fills), drawdown none of either.
            let (extra, missing) = (stray(&direct, &plotters), stray(&plotters, &direct));
            eprintln!(
                "{}: ink {ink_direct} vs {ink_plotters}, extra {extra}, missing {missing}",
                chart.title
            );
            assert!(
                extra * 100 < ink_plotters && missing * 100 < ink_plotters,
                "{}: {extra} extra and {missing} missing of {ink_plotters} inked pixels",
                chart.title
            );
            assert!(
                ink_direct.abs_diff(ink_plotters) * 100 < ink_plotters * 25,
                "{}: ink {ink_direct} vs {ink_plotters}",
                chart.title
            );
            // The frame (title, axes, labels, grid: everything left of and above the plot
            // area's first column and row of data) is plotters' own, pixel for pixel.
            for y in 0..size.height as usize {
                for x in 0..75 {
                    let i = y * size.width as usize + x;
                    assert_eq!(px(&direct, i), px(&plotters, i), "{}", chart.title);
                }
            }
            // The area is blended to the very colour plotters gives it: the commonest colour
            // other than white is the same in both pictures.
            let commonest = |img: &[u8]| {
                let mut count = std::collections::HashMap::new();
                for i in 0..n {
                    *count.entry(px(img, i)).or_insert(0usize) += 1;
                }
                count.remove(&white);
                count
                    .into_iter()
                    .max_by_key(|&(c, k)| (k, c))
                    .map(|(c, _)| c)
            };
            assert_eq!(commonest(&direct), commonest(&plotters), "{}", chart.title);
        }
    }

    fn equity() -> LineChart {
        let pts = (0..30)
            .map(|i| (1_700_000_000 + i * DAY, 100_000.0 + (i as f64) * 50.0))
            .collect();
        LineChart::new("Equity", vec![Series::new("equity", pts)])
    }

    #[test]
    fn svg_has_title_dates_and_a_path() {
        let svg = equity().to_svg(Size::new(640, 320)).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("Equity"));
        // First point 2023-11-14 (1_700_000_000 s); the axis labels dates, not raw seconds.
        assert!(svg.contains("2023-11-"), "no date label");
        assert!(svg.contains("<polyline") || svg.contains("<path"));
    }

    #[test]
    fn png_is_written_and_identical_twice() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
        let chart = equity();
        chart.to_png(&a, Size::new(400, 200)).unwrap();
        chart.to_png(&b, Size::new(400, 200)).unwrap();
        let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
        assert_eq!(&a[1..4], b"PNG");
        assert_eq!(a, b);
    }

    #[test]
    fn thinning_keeps_first_lowest_highest_last_of_each_column() {
        // Columns of 10 x units: column 0 has six points, column 1 has two.
        let pts = vec![
            (0, 5.0),
            (1, 9.0),
            (2, 1.0),
            (3, 7.0),
            (4, 3.0),
            (5, 4.0),
            (10, 2.0),
            (11, 8.0),
        ];
        let got = thin(pts.into_iter(), |x| (x / 10) as i32);
        assert_eq!(
            got,
            vec![(0, 5.0), (1, 9.0), (2, 1.0), (5, 4.0), (10, 2.0), (11, 8.0)]
        );
    }

    #[test]
    fn empty_or_all_nan_is_an_error_not_a_blank_chart() {
        let c = LineChart::new("x", vec![Series::new("s", vec![(0, f64::NAN)])]);
        assert!(matches!(
            c.to_svg(Size::new(100, 100)),
            Err(ChartError::NoData(_))
        ));
    }

    #[test]
    fn percent_labels_resolve_small_axes_and_drop_negative_zero() {
        // A 0.12% deep axis: ticks 0.02% apart need two decimals.
        assert_eq!(value_label(-0.0005, true, 0.0012), "-0.05%");
        assert_eq!(value_label(-0.0, true, 0.0012), "0.00%");
        // A 30% deep axis keeps one decimal.
        assert_eq!(value_label(-0.25, true, 0.3), "-25.0%");
        assert_eq!(value_label(-0.0, true, 0.3), "0.0%");
    }

    #[test]
    fn drawdown_axis_includes_zero_and_shows_percent() {
        let pts = vec![(0, -0.01), (DAY, -0.05), (2 * DAY, -0.02)];
        let c = LineChart::new("Drawdown", vec![Series::new("dd", pts)])
            .filled()
            .percent();
        let ((_, _), (lo, hi)) = c.bounds().unwrap();
        assert!(lo < -0.05 && hi >= 0.0);
        assert!(c.to_svg(Size::new(300, 200)).unwrap().contains('%'));
    }
}
