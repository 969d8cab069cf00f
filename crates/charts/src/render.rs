//! The two outputs every chart has: an SVG document in memory and a PNG file.
//!
//! Each chart only knows how to draw on a plotters area; creating the backend, presenting it and
//! mapping its errors is the same for all of them and lives here once.

use crate::{ChartError, Size};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Draws with `draw` onto an SVG backend and returns the document.
pub(crate) fn svg(
    size: Size,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (size.width, size.height)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(ChartError::draw)?;
    }
    Ok(out)
}

/// Draws with `draw` onto a bitmap and writes it to `path` as PNG.
pub(crate) fn png(
    path: &Path,
    size: Size,
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), ChartError>,
) -> Result<(), ChartError> {
    let root = BitMapBackend::new(path, (size.width, size.height)).into_drawing_area();
    draw(&root)?;
    root.present().map_err(|e| ChartError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })
}
