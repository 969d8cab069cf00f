//! Bars for a backtest: loaded, validated, and cut to what may enter the engine.
//!
//! The validator only reports; here is where its findings are acted on. Every row it flags
//! (OHLC nonsense, zero volume on a traded series, a one-day spike, a non-session date) is left
//! out, because a simulated fill at a broken price would be a fiction. Rows the loader could not
//! parse never became bars. Each dropped row is returned with its reason for the report.

use optifire_core::calendar::NyseCalendar;
use optifire_core::data::{
    calendar_for, load_csv, load_dir, validate, Defect, Frequency, LoadError, LoadOptions,
    LoadedSeries, ValidateOptions,
};
use optifire_core::domain::Symbol;
use optifire_core::plugin::MarketData;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The bars a backtest runs on and what was left out.
#[derive(Debug, Clone)]
pub struct BacktestData {
    pub market: MarketData,
    pub frequency: BTreeMap<Symbol, Frequency>,
    /// Every defect found (parse and validation), in file then row order.
    pub defects: Vec<Defect>,
    /// Rows dropped because a defect names them.
    pub dropped_rows: usize,
}

/// Why the data could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The loader's message already names the file and the cause; not chained as a source, so
    /// it is printed once.
    #[error("{0}")]
    Load(LoadError),
    #[error("{0}")]
    Order(String),
    #[error("no bars in {0}")]
    Empty(String),
}

impl From<LoadError> for DataError {
    fn from(e: LoadError) -> Self {
        DataError::Load(e)
    }
}

/// Loads a CSV file or every CSV file of a directory, validates each series against the NYSE
/// calendar (crypto: every day) and drops the flagged rows.
pub fn load_backtest_data(path: &Path) -> Result<BacktestData, DataError> {
    let opts = LoadOptions::default();
    let series: Vec<LoadedSeries> = if path.is_dir() {
        load_dir(path, &opts)?
    } else {
        vec![load_csv(path, &opts)?]
    };
    let nyse = NyseCalendar::new();
    let vopts = ValidateOptions::default();
    let mut out = BacktestData {
        market: MarketData::new(),
        frequency: BTreeMap::new(),
        defects: Vec::new(),
        dropped_rows: 0,
    };
    for mut s in series {
        // The calendar keeps each year's closures once worked out, so asking about every row's
        // date and every day between them is a table lookup.
        let found = validate(&s, calendar_for(&s.symbol, &nyse), &vopts);
        let bad: BTreeSet<u64> = found.iter().filter_map(|d| d.line).collect();
        let total = s.bars.len();
        // Most files have nothing to drop: their bars are moved, not copied.
        let bars: Vec<_> = if bad.is_empty() {
            std::mem::take(&mut s.bars)
        } else {
            s.bars
                .iter()
                .zip(&s.rows)
                .filter(|(_, r)| !bad.contains(&r.line()))
                .map(|(b, _)| b.clone())
                .collect()
        };
        out.dropped_rows += total - bars.len();
        out.defects.append(&mut s.parse_defects);
        out.defects.extend(found);
        out.frequency.insert(s.symbol.clone(), s.frequency);
        if !bars.is_empty() {
            out.market
                .insert(s.symbol.clone(), bars)
                .map_err(DataError::Order)?;
        }
    }
    if out.market.symbols().next().is_none() {
        return Err(DataError::Empty(path.display().to_string()));
    }
    Ok(out)
}
