//! Reads one CSV file of bars (or a folder of them) into typed bars with their source rows.
//!
//! A bad row never fails the file: it becomes a `Defect` (file, line, date, reason) and stays out
//! of the bars, so one truncated last line cannot hide five years of good data. Only a file that
//! cannot be read or lacks a required column is an error.

use super::bar_time::{intraday_known_at, DailyClose};
use super::defect::{Defect, DefectKind};
use super::layout::{detect, parse_local_datetime, parse_time, Columns, Layout};
use crate::domain::{AssetClass, Bar, Instrument, Symbol};
use crate::Timestamp;
use chrono::{DateTime, NaiveDate, TimeDelta};
use chrono_tz::Tz;
use csv::ByteRecord;
use std::path::{Path, PathBuf};

/// How to read a file. The defaults fit the shared data: symbol from the file name, daily close
/// rule from the symbol, intraday times in UTC.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadOptions {
    /// The symbol of the bars; `None` takes the file stem (`BTC-USD.csv` → `BTC-USD`).
    pub symbol: Option<Symbol>,
    /// When a daily bar became known; `None` infers it from the symbol: the end of the UTC day for
    /// crypto (`-USD`), 16:00 New York otherwise.
    pub daily_close: Option<DailyClose>,
    /// The time zone intraday times are written in. The shared intraday files carry no zone; UTC
    /// is the default because it is the only choice that needs no guess about the source.
    pub intraday_tz: Tz,
    /// The length of one intraday row, added to its time to get the instant it became known.
    /// `None`: one minute for split date/time files (the minute-bar file), zero for one-field
    /// date-times (ticks, known the instant they print).
    pub bar_length: Option<TimeDelta>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            symbol: None,
            daily_close: None,
            intraday_tz: chrono_tz::UTC,
            bar_length: None,
        }
    }
}

/// How often the series has a row, as read from its layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frequency {
    Daily(DailyClose),
    /// Bars of `bar_length` (zero for ticks).
    Intraday {
        bar_length: TimeDelta,
    },
}

/// Where a bar came from, so every later defect can name its line and date as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowInfo {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// The date, or date and time, as written in the row.
    pub date_text: String,
    /// The calendar date written in the row (the session date of a daily bar).
    pub date: NaiveDate,
}

/// One file's bars in file order, their source rows (parallel to `bars`), and the rows that could
/// not be parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedSeries {
    pub symbol: Symbol,
    /// The path as given to the loader, used in every defect.
    pub file: String,
    pub layout: Layout,
    pub frequency: Frequency,
    pub bars: Vec<Bar>,
    pub rows: Vec<RowInfo>,
    pub parse_defects: Vec<Defect>,
}

/// Why a whole file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: cannot open: {source}")]
    Open {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        #[source]
        source: csv::Error,
    },
    #[error("{file}: empty file, expected a header line")]
    Empty { file: String },
    #[error("{file}: required column `{column}` missing from header `{header}`")]
    MissingColumn {
        file: String,
        column: &'static str,
        header: String,
    },
    #[error("{dir}: cannot list directory: {source}")]
    ReadDir {
        dir: String,
        #[source]
        source: std::io::Error,
    },
}

/// Loads one CSV file. See `LoadOptions` for how timestamps are made.
pub fn load_csv(path: &Path, opts: &LoadOptions) -> Result<LoadedSeries, LoadError> {
    let file = path.display().to_string();
    // One read of the whole file (the daily files are ~120 KB) instead of buffered chunks, and a
    // row count estimate from its size so the bar vectors grow once.
    let bytes = std::fs::read(path).map_err(|source| LoadError::Open {
        file: file.clone(),
        source,
    })?;
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let read_err = |source| LoadError::Read {
        file: file.clone(),
        source,
    };

    let mut header = ByteRecord::new();
    if !csv.read_byte_record(&mut header).map_err(read_err)? {
        return Err(LoadError::Empty { file });
    }
    let mut record = ByteRecord::new();
    let has_first = csv.read_byte_record(&mut record).map_err(read_err)?;
    let cols = detect(&header, has_first.then_some(&record)).map_err(|column| {
        LoadError::MissingColumn {
            file: file.clone(),
            column,
            header: header
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect::<Vec<_>>()
                .join(","),
        }
    })?;

    let symbol = opts
        .symbol
        .clone()
        .unwrap_or_else(|| symbol_from_path(path));
    let frequency = frequency_of(cols.layout, &symbol, opts);
    let parser = RowParser {
        cols,
        frequency,
        tz: opts.intraday_tz,
    };
    let mut out = LoadedSeries {
        symbol,
        file,
        layout: cols.layout,
        frequency,
        bars: Vec::new(),
        rows: Vec::new(),
        parse_defects: Vec::new(),
    };
    let line_len = header.as_slice().len() + header.len() + 16;
    let estimate = bytes.len() / line_len.max(1) + 1;
    out.bars.reserve(estimate);
    out.rows.reserve(estimate);
    let mut more = has_first;
    while more {
        out.push_row(&parser, &record);
        more = csv
            .read_byte_record(&mut record)
            .map_err(|source| LoadError::Read {
                file: out.file.clone(),
                source,
            })?;
    }
    Ok(out)
}

/// Loads every `*.csv` file of `dir` in file-name order. `opts.symbol` is ignored: each file
/// takes its own stem, since one symbol for a whole folder is never right.
pub fn load_dir(dir: &Path, opts: &LoadOptions) -> Result<Vec<LoadedSeries>, LoadError> {
    let read_dir_err = |source| LoadError::ReadDir {
        dir: dir.display().to_string(),
        source,
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_dir_err)? {
        let path = entry.map_err(read_dir_err)?.path();
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if is_csv && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let per_file = LoadOptions {
        symbol: None,
        ..opts.clone()
    };
    paths.iter().map(|p| load_csv(p, &per_file)).collect()
}

fn symbol_from_path(path: &Path) -> Symbol {
    let stem = path.file_stem().map(|s| s.to_string_lossy());
    Symbol::new(stem.as_deref().unwrap_or(""))
}

fn frequency_of(layout: Layout, symbol: &Symbol, opts: &LoadOptions) -> Frequency {
    match layout {
        Layout::Daily => Frequency::Daily(opts.daily_close.unwrap_or_else(|| {
            if Instrument::infer(symbol).asset_class == AssetClass::Crypto {
                DailyClose::UtcDayEnd
            } else {
                DailyClose::ExchangeClose
            }
        })),
        Layout::DateTime => Frequency::Intraday {
            bar_length: opts.bar_length.unwrap_or_else(TimeDelta::zero),
        },
        Layout::SplitDateTime { .. } => Frequency::Intraday {
            bar_length: opts.bar_length.unwrap_or_else(|| TimeDelta::minutes(1)),
        },
    }
}

/// What the loop needs to turn a record into a bar.
struct RowParser {
    cols: Columns,
    frequency: Frequency,
    tz: Tz,
}

/// A parsed row: session date, instant known, and open, high, low, close, volume.
struct Parsed {
    date: NaiveDate,
    ts: Timestamp,
    ohlcv: [f64; 5],
}

impl LoadedSeries {
    fn push_row(&mut self, parser: &RowParser, record: &ByteRecord) {
        let line = record.position().map_or(0, |p| p.line());
        match parser.parse(record) {
            Ok(p) => {
                let [open, high, low, close, volume] = p.ohlcv;
                self.bars.push(Bar {
                    symbol: self.symbol.clone(),
                    ts: p.ts,
                    open,
                    high,
                    low,
                    close,
                    volume,
                });
                self.rows.push(RowInfo {
                    line,
                    date_text: parser.date_text(record),
                    date: p.date,
                });
            }
            Err(reason) => self.parse_defects.push(Defect {
                file: self.file.clone(),
                line: Some(line),
                date: parser.date_text(record),
                kind: DefectKind::Unparsable,
                reason,
            }),
        }
    }
}

/// Field `i` as text without surrounding spaces.
fn text(record: &ByteRecord, i: usize) -> Option<&str> {
    record
        .get(i)
        .and_then(|b| std::str::from_utf8(b).ok())
        .map(str::trim)
}

/// `YYYY-MM-DD` without going through a format string: this runs once per row.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let digits_at = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if !(digits_at(0..4) && digits_at(5..7) && digits_at(8..10)) {
        return None;
    }
    let y: i32 = s.get(0..4)?.parse().ok()?;
    let m: u32 = s.get(5..7)?.parse().ok()?;
    let d: u32 = s.get(8..10)?.parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

impl RowParser {
    /// The date (and time) of the row as written, or `?` when the field is missing.
    fn date_text(&self, record: &ByteRecord) -> String {
        let date = text(record, self.cols.date).unwrap_or("?");
        match self.cols.time.and_then(|i| text(record, i)) {
            Some(time) => format!("{date} {time}"),
            None => date.to_string(),
        }
    }

    fn parse(&self, record: &ByteRecord) -> Result<Parsed, String> {
        let c = &self.cols;
        if record.len() != c.fields {
            return Err(format!(
                "expected {} fields, found {}",
                c.fields,
                record.len()
            ));
        }
        let date_text = text(record, c.date).ok_or("date is not UTF-8")?;
        let (date, ts) = match self.frequency {
            Frequency::Daily(rule) => {
                let date = parse_date(date_text)
                    .ok_or_else(|| format!("date `{date_text}` is not YYYY-MM-DD"))?;
                let ts = rule
                    .known_at(date)
                    .ok_or_else(|| format!("date `{date_text}` is out of range"))?;
                (date, ts)
            }
            Frequency::Intraday { bar_length } => {
                let local = match c.time {
                    Some(ti) => {
                        let date = parse_date(date_text)
                            .ok_or_else(|| format!("date `{date_text}` is not YYYY-MM-DD"))?;
                        let time_text = text(record, ti).unwrap_or("");
                        let time = parse_time(time_text)
                            .ok_or_else(|| format!("time `{time_text}` is not HH:MM:SS"))?;
                        Some(date.and_time(time))
                    }
                    None => parse_local_datetime(date_text),
                };
                match local {
                    Some(start) => {
                        let ts = intraday_known_at(start, self.tz, bar_length).map_err(|_| {
                            format!("local time `{start}` does not exist in {}", self.tz)
                        })?;
                        (start.date(), ts)
                    }
                    // A time with an explicit offset names its instant: the zone option only
                    // decides which calendar date it is reported under.
                    None => {
                        let start = DateTime::parse_from_rfc3339(date_text)
                            .map_err(|_| format!("date-time `{date_text}` is not ISO 8601"))?;
                        let ts = Timestamp::from_datetime(&start)
                            .plus_nanos(bar_length.num_nanoseconds().unwrap_or(i64::MAX));
                        (start.with_timezone(&self.tz).date_naive(), ts)
                    }
                }
            }
        };
        let mut ohlcv = [0.0; 5];
        let fields = [
            ("open", c.open),
            ("high", c.high),
            ("low", c.low),
            ("close", c.close),
            ("volume", c.volume),
        ];
        for (slot, (name, i)) in ohlcv.iter_mut().zip(fields) {
            let t = text(record, i).unwrap_or("");
            if t.is_empty() {
                return Err(format!("{name} is empty"));
            }
            let v: f64 = t
                .parse()
                .map_err(|_| format!("{name} `{t}` is not a number"))?;
            if !v.is_finite() {
                return Err(format!("{name} `{t}` is not a finite number"));
            }
            *slot = v;
        }
        Ok(Parsed { date, ts, ohlcv })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iso_dates_strictly() {
        assert_eq!(
            parse_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-2-29"), None);
        assert_eq!(parse_date("2024/02/29"), None);
        assert_eq!(parse_date("+024-02-29"), None);
    }
}
