//! optifire-charts: the charts of reports and the dashboard, drawn in Rust with plotters.
//!
//! Series in, PNG files or SVG text out; no engine types, so the backtest reports and the server
//! draw the same picture from the same numbers. The font is embedded so the bytes do not depend
//! on the fonts installed on the machine (backtest outputs must be byte-identical between runs).

mod contributions;
mod distribution;
mod error;
mod font;
mod heatmap;
mod line;
mod pie;
mod render;

pub use contributions::{Bar, ContributionChart};
pub use distribution::{histogram, DistributionChart, Histogram};
pub use error::ChartError;
pub use heatmap::HeatMap;
pub use line::{LineChart, Series};
pub use pie::{slice_angles, PieChart, Slice, SliceAngles};

/// Font family every chart uses; registered from the embedded DejaVu Sans on first use.
pub const FONT: &str = "sans-serif";

/// Pixel size of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl Size {
    pub const fn new(width: u32, height: u32) -> Self {
        Size { width, height }
    }
}
