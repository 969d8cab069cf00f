//! The two outputs every chart has: an SVG document in memory and a PNG file.
//!
//! Each chart only knows how to draw on a plotters area; creating the backend, presenting it and
//! mapping its errors is the same for all of them and lives here once. PNGs are encoded here
//! rather than by plotters (which asks the image crate for its default: every row tried with
//! all five filters, then zlib at its default level): one filter and the fast deflate give the
//! same pixels several times faster, and the same bytes on every run.

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
    write_png(path, size, &pixels(size, 0, draw)?)
}

/// `png` on a bitmap that starts white, for a chart whose first step would be to paint it
/// white: plotters fills a rectangle pixel by pixel, a white buffer is one memset.
pub(crate) fn png_on_white(
    path: &Path,
    size: Size,
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), ChartError>,
) -> Result<(), ChartError> {
    write_png(path, size, &pixels(size, 255, draw)?)
}

/// The RGB pixels `draw` leaves on a bitmap whose bytes all start as `background`.
pub(crate) fn pixels(
    size: Size,
    background: u8,
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), ChartError>,
) -> Result<Vec<u8>, ChartError> {
    let mut rgb = vec![background; size.width as usize * size.height as usize * 3];
    {
        let root =
            BitMapBackend::with_buffer(&mut rgb, (size.width, size.height)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(ChartError::draw)?;
    }
    Ok(rgb)
}

pub(crate) fn write_png(path: &Path, size: Size, rgb: &[u8]) -> Result<(), ChartError> {
    let io = |e: std::io::Error| ChartError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let bytes = encode_png(rgb, size).map_err(|e| io(std::io::Error::other(e.to_string())))?;
    std::fs::write(path, bytes).map_err(io)
}

/// RGB pixels as a PNG file's bytes: 8-bit RGB, the Sub filter on every row, fast deflate.
pub(crate) fn encode_png(rgb: &[u8], size: Size) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::with_capacity(rgb.len() / 16);
    {
        let mut enc = png::Encoder::new(&mut out, size.width, size.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        enc.set_filter(png::FilterType::Sub);
        enc.set_adaptive_filter(png::AdaptiveFilterType::NonAdaptive);
        let mut w = enc.write_header()?;
        w.write_image_data(rgb)?;
        w.finish()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trips_to_the_same_pixels() {
        // A 3x2 image with distinct pixels, decoded by the png crate's own decoder.
        let size = Size::new(3, 2);
        let rgb: Vec<u8> = (0u8..18).map(|i| i.wrapping_mul(37)).collect();
        let bytes = encode_png(&rgb, size).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let mut reader = png::Decoder::new(bytes.as_slice()).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (3, 2));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(&buf[..info.buffer_size()], rgb.as_slice());
    }
}
