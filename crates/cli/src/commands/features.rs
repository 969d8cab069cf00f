//! `optifire features`: named indicator columns for every bar of a CSV, for research and for
//! checking our numbers against another tool.

use anyhow::{bail, Context as _, Result};
use optifire_core::data::{load_csv, LoadOptions};
use optifire_ta::features::{compute, FeatureSpec, Ohlcv};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn run(input: &Path, features: &str, output: &Path) -> Result<ExitCode> {
    let specs: Vec<FeatureSpec> = features
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(FeatureSpec::parse)
        .collect::<Result<_, _>>()?;
    if specs.is_empty() {
        bail!(
            "--features is empty; valid: {}",
            optifire_ta::features::VALID_FEATURES
        );
    }
    let series = load_csv(input, &LoadOptions::default())?;
    for d in &series.parse_defects {
        eprintln!("warning: row left out: {d}");
    }
    let col =
        |f: fn(&optifire_core::domain::Bar) -> f64| series.bars.iter().map(f).collect::<Vec<f64>>();
    let (open, high, low, close, volume) = (
        col(|b| b.open),
        col(|b| b.high),
        col(|b| b.low),
        col(|b| b.close),
        col(|b| b.volume),
    );
    let data = Ohlcv {
        open: &open,
        high: &high,
        low: &low,
        close: &close,
        volume: &volume,
    };
    let mut columns: Vec<(String, Vec<f64>)> = Vec::new();
    for s in &specs {
        columns.extend(compute(s, data)?);
    }

    let file = std::fs::File::create(output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    let mut w = std::io::BufWriter::new(file);
    write!(w, "date")?;
    for (name, _) in &columns {
        write!(w, ",{name}")?;
    }
    writeln!(w)?;
    for (i, row) in series.rows.iter().enumerate() {
        write!(w, "{}", row.date_text)?;
        for (_, values) in &columns {
            let v = values[i];
            // Shortest representation that parses back to the same f64: nothing is lost.
            if v.is_finite() {
                write!(w, ",{v}")?;
            } else {
                write!(w, ",")?;
            }
        }
        writeln!(w)?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}
