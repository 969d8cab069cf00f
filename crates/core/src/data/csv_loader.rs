//! Reads one CSV file of bars (or a folder of them) into typed bars with their source rows.
//!
//! A bad row never fails the file: it becomes a `Defect` (file, line, date, reason) and stays out
//! of the bars, so one truncated last line cannot hide five years of good data. Only a file that
//! cannot be read or lacks a required column is an error.

use super::bar_time::{intraday_known_at, DailyClose, KnownAtMemo};
use super::defect::{Defect, DefectKind};
use super::fast_row::{plain_number, FastDaily, FastRow};
use super::layout::{detect, parse_local_datetime, parse_time, Columns, Layout};
use crate::domain::{AssetClass, Bar, Instrument, Symbol};
use crate::Timestamp;
use chrono::{DateTime, NaiveDate, TimeDelta};
use chrono_tz::Tz;
use csv::ByteRecord;
use multiversion::multiversion;
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
///
/// Every bar has one, so it is kept to 16 bytes (a 40-byte one was a quarter of a daily
/// load's page faults): the line and the date inline, and the text as written only when it
/// is not simply the date's ISO form (which a daily row's always is) or the line needs more
/// than 32 bits. One value has one form, so the derived equality compares what is meant.
#[derive(Clone, PartialEq, Eq)]
pub struct RowInfo {
    /// The line, unless `odd` holds it (then 0).
    line: u32,
    date: NaiveDate,
    odd: Option<Box<OddRow>>,
}

/// What a `RowInfo` holds apart: the text, and the line with it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct OddRow {
    line: u64,
    text: DateText,
}

impl RowInfo {
    /// The row at 1-based `line` (the header is line 1), its date (or date and time) as
    /// written and the calendar date written in it (the session date of a daily bar).
    pub fn new(line: u64, date_text: &str, date: NaiveDate) -> Self {
        match u32::try_from(line) {
            Ok(short) if iso_text(date).is_some_and(|t| t == date_text) => {
                RowInfo::iso(short, date)
            }
            _ => RowInfo {
                line: 0,
                date,
                odd: Some(Box::new(OddRow {
                    line,
                    text: DateText::from(date_text),
                })),
            },
        }
    }

    /// A row whose text is `date` in ISO form.
    fn iso(line: u32, date: NaiveDate) -> Self {
        RowInfo {
            line,
            date,
            odd: None,
        }
    }

    /// 1-based line in the file (the header is line 1).
    pub fn line(&self) -> u64 {
        self.odd.as_ref().map_or(u64::from(self.line), |o| o.line)
    }

    /// The calendar date written in the row (the session date of a daily bar).
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// The date, or date and time, as written in the row.
    pub fn date_text(&self) -> DateText {
        match &self.odd {
            Some(o) => o.text.clone(),
            // `new` only leaves the text out when this renders it.
            None => iso_text(self.date).unwrap_or_default(),
        }
    }
}

impl std::fmt::Debug for RowInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowInfo")
            .field("line", &self.line())
            .field("date_text", &self.date_text())
            .field("date", &self.date)
            .finish()
    }
}

/// `date` as `YYYY-MM-DD` (chrono's `%Y-%m-%d` for years 0 to 9999), written digit by digit;
/// `None` for other years, which chrono writes with a sign or more digits.
fn iso_text(date: NaiveDate) -> Option<DateText> {
    use chrono::Datelike as _;
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let mut bytes = [0u8; INLINE];
    let digit = |v: u32| b'0' + (v % 10) as u8;
    bytes[..10].copy_from_slice(&[
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(date.month() / 10),
        digit(date.month()),
        b'-',
        digit(date.day() / 10),
        digit(date.day()),
    ]);
    Some(DateText(TextRepr::Inline { len: 10, bytes }))
}

/// Inline room of `DateText`: a date (10 bytes) or a date and time to the second (19).
const INLINE: usize = 22;

/// A row's date (and time) as written: text of up to 22 bytes held inline, longer text on the
/// heap. Every row keeps one for later defect reports, and a heap string per row (an
/// allocation, a copy, a free) was a tenth of the loader's time on a daily file.
#[derive(Clone, Default)]
pub struct DateText(TextRepr);

#[derive(Clone)]
enum TextRepr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Default for TextRepr {
    fn default() -> Self {
        TextRepr::Inline {
            len: 0,
            bytes: [0; INLINE],
        }
    }
}

impl DateText {
    /// The parts one after the other, inline when they fit.
    fn concat(parts: &[&str]) -> Self {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > INLINE {
            return DateText(TextRepr::Heap(parts.concat().into_boxed_str()));
        }
        let mut bytes = [0u8; INLINE];
        let mut at = 0;
        for p in parts {
            bytes[at..at + p.len()].copy_from_slice(p.as_bytes());
            at += p.len();
        }
        DateText(TextRepr::Inline {
            len: len as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Built from whole `&str`s only (see `concat`), so always valid UTF-8.
            TextRepr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            TextRepr::Heap(s) => s,
        }
    }
}

impl From<&str> for DateText {
    fn from(s: &str) -> Self {
        DateText::concat(&[s])
    }
}

impl From<String> for DateText {
    fn from(s: String) -> Self {
        DateText::concat(&[&s])
    }
}

impl std::ops::Deref for DateText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for DateText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for DateText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Equal texts are equal wherever they are held.
impl PartialEq for DateText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for DateText {}

impl PartialEq<str> for DateText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for DateText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
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
    let open_err = |source| LoadError::Open {
        file: file.clone(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(open_err)?;
    let len = f.metadata().map_or(0, |m| m.len() as usize);
    if let Some(series) = load_streamed(path, &file, &mut f, len, opts).map_err(open_err)? {
        return Ok(series);
    }
    // One read of the whole file, and a row count estimate from its size so the bar vectors
    // grow once.
    let bytes = std::fs::read(path).map_err(open_err)?;
    match plain_text(&bytes) {
        Some(text) => load_plain(path, file, text, opts),
        None => load_records(path, file, &bytes, opts),
    }
}

/// Bytes read at a time by `load_streamed`.
const CHUNK: usize = 64 * 1024;

/// `load_plain` of a file read in chunks of whole lines, for the files that are plainest of
/// all: no byte order mark, valid UTF-8, no quote, no carriage return and no empty line at
/// all (not even a trailing one). Such a file is plain (`plain_text`), and its records are
/// exactly its lines, so reading it piece by piece gives what `load_plain` gives on the whole
/// text. The point is memory: a 64 KiB buffer, reused and hot in cache, instead of a fresh
/// buffer the size of the file, whose every page the kernel must fault in and fill.
/// `Ok(None)` when the file is not of that kind, or for any `LoadError` (empty file, missing
/// column): the caller then loads it the general way, which gives the same result or error.
fn load_streamed(
    path: &Path,
    file: &str,
    f: &mut std::fs::File,
    len: usize,
    opts: &LoadOptions,
) -> std::io::Result<Option<LoadedSeries>> {
    use std::io::Read as _;
    // A chunk and the partial line before it; a line longer than 4 KiB grows the buffer.
    // (Every page of the capacity is faulted in below: room for a second chunk was 16 pages
    // mapped and zeroed for nothing.)
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
    crate::prefault::populate_spare(&mut buf);
    let mut line = 0u64;
    let mut header: Option<ByteRecord> = None;
    let mut loading: Option<(LoadedSeries, RowParser)> = None;
    loop {
        let eof = f.by_ref().take(CHUNK as u64).read_to_end(&mut buf)? == 0;
        // Whole lines only; the rest waits for the next chunk.
        let end = match buf.iter().rposition(|&b| b == b'\n') {
            _ if eof => buf.len(),
            Some(p) => p + 1,
            None => continue,
        };
        let piece = &buf[..end];
        if line == 0 && piece.starts_with(b"\xEF\xBB\xBF") {
            return Ok(None);
        }
        // A piece starting with a line feed follows one (or starts the file): an empty line.
        if piece.first() == Some(&b'\n') || has_odd_byte(piece) {
            return Ok(None);
        }
        // Cut after a line feed, so no character is split between pieces.
        let Some(text) = utf8(piece) else {
            return Ok(None);
        };
        let mut records = PlainRecords { text, at: 0, line };
        let mut fields: Vec<&str> = Vec::with_capacity(16);
        // The header, then the first record (which settles the layout).
        while loading.is_none() {
            let Some(n) = records.next_into(&mut fields) else {
                break;
            };
            let Some(h) = &header else {
                header = Some(ByteRecord::from(fields.clone()));
                continue;
            };
            let Ok(cols) = detect(h, Some(&ByteRecord::from(fields.clone()))) else {
                return Ok(None);
            };
            let mut series = new_series(path, file.to_string(), cols, opts, len, h);
            let parser = RowParser::new(cols, series.frequency, opts.intraday_tz);
            series.push_row(
                &parser,
                &PlainRow {
                    fields: &fields,
                    line: n,
                },
            );
            loading = Some((series, parser));
        }
        if let Some((series, parser)) = &mut loading {
            series.push_records(parser, &mut records, &mut fields);
        }
        line = records.line;
        if eof {
            break;
        }
        buf.drain(..end);
    }
    Ok(match (header, loading) {
        (_, Some((series, _))) => Some(series),
        // A header alone: no rows, the layout from the header.
        (Some(h), None) => detect(&h, None)
            .ok()
            .map(|cols| new_series(path, file.to_string(), cols, opts, len, &h)),
        (None, None) => None,
    })
}

/// `std::str::from_utf8(bytes).ok()`, checked with vector instructions (simdutf8): the whole
/// file is checked before its rows are read, and std's byte-wise check was a tenth of a
/// daily file's load.
fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// The file as text when splitting it on line feeds and commas is exactly what the csv reader
/// does: valid UTF-8 (so no field is refused as non-UTF-8), no quote (no quoted field), no
/// carriage return and no empty line before the last record (the csv reader numbers the
/// record after a CRLF or an empty line from the line after the previous record), and no byte
/// order mark. The shared files all are; anything else goes through the csv reader.
fn plain_text(bytes: &[u8]) -> Option<&str> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return None;
    }
    let text = utf8(bytes)?;
    let body = text.trim_end_matches('\n').as_bytes();
    if body.first() == Some(&b'\n') || has_odd_byte(body) {
        return None;
    }
    Some(text)
}

/// Whether `body` has a quote, a carriage return or two line feeds in a row: one pass over
/// blocks of bytes, where a search per byte kind would read the file three times.
fn has_odd_byte(body: &[u8]) -> bool {
    let Some(last) = body.last() else {
        return false;
    };
    if *last == b'"' || *last == b'\r' {
        return true;
    }
    // Each byte with the one after it (the last byte, checked above, has none).
    odd_pair(&body[..body.len() - 1], &body[1..])
}

/// Whether some `now[i]` is a quote or a carriage return, or it and `next[i]` are both line
/// feeds. Fixed-size blocks, each folded without a branch, so the compiler makes each block a
/// few wide compares; built for AVX2 too (32 bytes a compare instead of 16), chosen at run
/// time. Every file the loader reads goes through here whole.
#[multiversion(targets("x86_64+avx2"))]
fn odd_pair(now: &[u8], next: &[u8]) -> bool {
    const BLOCK: usize = 64;
    let odd = |x: u8, y: u8| {
        u8::from(x == b'"') | u8::from(x == b'\r') | u8::from((x == b'\n') & (y == b'\n'))
    };
    let mut blocks = now.chunks_exact(BLOCK).zip(next.chunks_exact(BLOCK));
    let found = blocks.any(|(a, b)| {
        let a: &[u8; BLOCK] = a.try_into().expect("BLOCK bytes");
        let b: &[u8; BLOCK] = b.try_into().expect("BLOCK bytes");
        let mut any = 0u8;
        for k in 0..BLOCK {
            any |= odd(a[k], b[k]);
        }
        any != 0
    });
    let tail = now.len() / BLOCK * BLOCK;
    found
        || now[tail..]
            .iter()
            .zip(&next[tail..])
            .any(|(&x, &y)| odd(x, y) != 0)
}

/// The records of a plain file (`plain_text`), in one pass over its bytes: for each non-empty
/// line (only a last one can be empty), its 1-based line number, with its comma-separated
/// fields put into `fields`.
struct PlainRecords<'a> {
    text: &'a str,
    /// Byte offset of the next line.
    at: usize,
    line: u64,
}

impl<'a> PlainRecords<'a> {
    fn new(text: &'a str) -> Self {
        PlainRecords {
            text,
            at: 0,
            line: 0,
        }
    }

    /// Moves past the record whose line feed (or the text's end) is at `end`, a non-empty line
    /// starting at the current offset; its line number.
    fn skip_line(&mut self, end: usize) -> u64 {
        self.line += 1;
        self.at = end + 1;
        self.line
    }

    /// The next record's line number, its fields in `fields` (cleared first).
    fn next_into(&mut self, fields: &mut Vec<&'a str>) -> Option<u64> {
        let text = self.text;
        let bytes = text.as_bytes();
        loop {
            if self.at >= bytes.len() {
                return None;
            }
            self.line += 1;
            fields.clear();
            let start = self.at;
            let mut field = start;
            let end = 'line: {
                // Eight bytes at a time: a mask of the commas and line feeds among them, then
                // one step per separator found rather than per byte.
                let mut i = start;
                while let Some(word) = bytes.get(i..i + 8) {
                    let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
                    let mut found = zero_bytes(w ^ REPEAT_COMMA) | zero_bytes(w ^ REPEAT_LF);
                    while found != 0 {
                        let p = i + (found.trailing_zeros() / 8) as usize;
                        if bytes[p] == b'\n' {
                            break 'line p;
                        }
                        // Commas and line feeds are ASCII: every cut is on a char boundary.
                        fields.push(&text[field..p]);
                        field = p + 1;
                        found &= found - 1;
                    }
                    i += 8;
                }
                for (p, &b) in bytes.iter().enumerate().skip(i) {
                    if b == b',' {
                        fields.push(&text[field..p]);
                        field = p + 1;
                    } else if b == b'\n' {
                        break 'line p;
                    }
                }
                bytes.len()
            };
            fields.push(&text[field..end]);
            self.at = end + 1;
            if end > start {
                return Some(self.line);
            }
        }
    }
}

const REPEAT_COMMA: u64 = u64::from_le_bytes([b','; 8]);
const REPEAT_LF: u64 = u64::from_le_bytes([b'\n'; 8]);

/// The high bit of each byte of `x` that is zero, and no other bit (exact, unlike the
/// borrow-based test, which can also flag the byte after a zero one).
fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// `load_csv` of a plain file, without the csv reader's per-field work.
fn load_plain(
    path: &Path,
    file: String,
    text: &str,
    opts: &LoadOptions,
) -> Result<LoadedSeries, LoadError> {
    let mut records = PlainRecords::new(text);
    let mut fields: Vec<&str> = Vec::new();
    if records.next_into(&mut fields).is_none() {
        return Err(LoadError::Empty { file });
    }
    let header = ByteRecord::from(fields.clone());
    let first = records.next_into(&mut fields);
    let first_record = first.map(|_| ByteRecord::from(fields.clone()));
    let cols = detect(&header, first_record.as_ref())
        .map_err(|column| missing_column(&file, &header, column))?;
    let mut out = new_series(path, file, cols, opts, text.len(), &header);
    let parser = RowParser::new(cols, out.frequency, opts.intraday_tz);
    if let Some(line) = first {
        out.push_row(
            &parser,
            &PlainRow {
                fields: &fields,
                line,
            },
        );
        out.push_records(&parser, &mut records, &mut fields);
    }
    Ok(out)
}

fn missing_column(file: &str, header: &ByteRecord, column: &'static str) -> LoadError {
    LoadError::MissingColumn {
        file: file.to_string(),
        column,
        header: header
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// An empty series for `file` with its symbol and frequency, its vectors sized from the file's
/// length and the header's (so they grow once).
fn new_series(
    path: &Path,
    file: String,
    cols: Columns,
    opts: &LoadOptions,
    len: usize,
    header: &ByteRecord,
) -> LoadedSeries {
    let symbol = opts
        .symbol
        .clone()
        .unwrap_or_else(|| symbol_from_path(path));
    let frequency = frequency_of(cols.layout, &symbol, opts);
    let line_len = header.as_slice().len() + header.len() + 16;
    let estimate = len / line_len.max(1) + 1;
    let mut bars = Vec::with_capacity(estimate);
    let mut rows = Vec::with_capacity(estimate);
    crate::prefault::populate_spare(&mut bars);
    crate::prefault::populate_spare(&mut rows);
    LoadedSeries {
        symbol,
        file,
        layout: cols.layout,
        frequency,
        bars,
        rows,
        parse_defects: Vec::new(),
    }
}

/// `load_csv` through the csv reader (quoted fields, other line ends, non-UTF-8 bytes).
fn load_records(
    path: &Path,
    file: String,
    bytes: &[u8],
    opts: &LoadOptions,
) -> Result<LoadedSeries, LoadError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
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
    let cols = detect(&header, has_first.then_some(&record))
        .map_err(|column| missing_column(&file, &header, column))?;
    let mut out = new_series(path, file, cols, opts, bytes.len(), &header);
    let parser = RowParser::new(cols, out.frequency, opts.intraday_tz);
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

/// The fields of one row as the parser reads them: from the csv reader, or split by hand
/// (`load_plain`).
trait Fields {
    fn count(&self) -> usize;
    /// Field `i` as text without surrounding spaces; `None` if missing or not UTF-8.
    fn text(&self, i: usize) -> Option<&str>;
    /// 1-based line of the row.
    fn line(&self) -> u64;
}

impl Fields for ByteRecord {
    fn count(&self) -> usize {
        self.len()
    }
    fn text(&self, i: usize) -> Option<&str> {
        text(self, i)
    }
    fn line(&self) -> u64 {
        self.position().map_or(0, |p| p.line())
    }
}

/// A row of a plain file, its fields already split.
struct PlainRow<'a> {
    fields: &'a [&'a str],
    line: u64,
}

impl Fields for PlainRow<'_> {
    fn count(&self) -> usize {
        self.fields.len()
    }
    fn text(&self, i: usize) -> Option<&str> {
        self.fields.get(i).map(|f| trim(f))
    }
    fn line(&self) -> u64 {
        self.line
    }
}

/// What the loop needs to turn a record into a bar.
struct RowParser {
    cols: Columns,
    frequency: Frequency,
    tz: Tz,
    /// Daily close instants, asking the time-zone database about once a month.
    known_at: std::cell::RefCell<KnownAtMemo>,
    /// The one-pass reader of plain daily rows, for daily files.
    fast: Option<FastDaily>,
}

/// A parsed row: session date, instant known, and open, high, low, close, volume.
struct Parsed {
    date: NaiveDate,
    ts: Timestamp,
    ohlcv: [f64; 5],
}

impl LoadedSeries {
    /// Every remaining record of `records`: in one pass over its bytes when the row is a plain
    /// daily one (`FastDaily`), else split into `fields` and parsed the general way.
    fn push_records<'a>(
        &mut self,
        parser: &RowParser,
        records: &mut PlainRecords<'a>,
        fields: &mut Vec<&'a str>,
    ) {
        let text = records.text;
        // The row reader learns each field's shape as it goes (`FastDaily::parse`).
        let mut fast = parser.fast.clone();
        loop {
            if let Some(fast) = &mut fast {
                if let Some(row) = fast.parse(text.as_bytes(), records.at) {
                    let known = parser.known_at.borrow_mut().known_at_day(row.date, row.day);
                    if let Some(ts) = known {
                        let line = records.skip_line(row.end);
                        self.push_fast(text, line, ts, &row);
                        continue;
                    }
                }
            }
            let Some(line) = records.next_into(fields) else {
                break;
            };
            self.push_row(parser, &PlainRow { fields, line });
        }
    }

    /// The bar and row of a row `FastDaily` read: what `push_row` makes of it.
    fn push_fast(&mut self, text: &str, line: u64, ts: Timestamp, row: &FastRow) {
        let [open, high, low, close, volume] = row.ohlcv;
        self.bars.push(Bar {
            symbol: self.symbol.clone(),
            ts,
            open,
            high,
            low,
            close,
            volume,
        });
        // The text is the date's ISO form: `iso_date` read exactly that. One push per arm:
        // a value merged from both arms is built on the stack in pieces and copied in one
        // 16-byte load, which the processor cannot forward from the smaller stores (a stall
        // per row that `perf annotate` showed as a fifth of the row loop's time).
        match u32::try_from(line) {
            Ok(short) => self.rows.push(RowInfo::iso(short, row.date)),
            Err(_) => self.rows.push(RowInfo::new(
                line,
                text.get(row.date_at..row.date_at + 10).unwrap_or("?"),
                row.date,
            )),
        }
    }

    fn push_row(&mut self, parser: &RowParser, record: &impl Fields) {
        let line = record.line();
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
                self.rows
                    .push(RowInfo::new(line, &parser.date_text(record), p.date));
            }
            Err(reason) => self.parse_defects.push(Defect {
                file: self.file.clone(),
                line: Some(line),
                date: parser.date_text(record).as_str().to_string(),
                kind: DefectKind::Unparsable,
                reason,
            }),
        }
    }
}

/// `s.trim()`, returning at once when `s` starts and ends with a printable ASCII byte (no
/// whitespace there, so nothing to trim): the case of nearly every field.
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let printable = |c: Option<&u8>| c.is_some_and(|&c| c > b' ' && c < 0x80);
    if printable(b.first()) && printable(b.last()) {
        s
    } else {
        s.trim()
    }
}

/// Field `i` as text without surrounding spaces.
fn text(record: &ByteRecord, i: usize) -> Option<&str> {
    record
        .get(i)
        .and_then(|b| std::str::from_utf8(b).ok())
        .map(trim)
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

/// `digits` or `digits.digits` as f64, the value `str::parse` gives, for the common case
/// (`plain_number`'s); `None` for anything else, left to `str::parse`.
fn plain_decimal(t: &str) -> Option<f64> {
    plain_number(t.as_bytes(), 0).and_then(|(v, end)| (end == t.len()).then_some(v))
}

impl RowParser {
    fn new(cols: Columns, frequency: Frequency, tz: Tz) -> Self {
        let rule = match frequency {
            Frequency::Daily(rule) => rule,
            Frequency::Intraday { .. } => DailyClose::ExchangeClose,
        };
        RowParser {
            cols,
            frequency,
            tz,
            known_at: std::cell::RefCell::new(KnownAtMemo::new(rule)),
            fast: match frequency {
                Frequency::Daily(_) => FastDaily::new(&cols),
                Frequency::Intraday { .. } => None,
            },
        }
    }

    /// The date (and time) of the row as written, or `?` when the field is missing.
    fn date_text(&self, record: &impl Fields) -> DateText {
        let date = record.text(self.cols.date).unwrap_or("?");
        match self.cols.time.and_then(|i| record.text(i)) {
            Some(time) => DateText::concat(&[date, " ", time]),
            None => DateText::from(date),
        }
    }

    fn parse(&self, record: &impl Fields) -> Result<Parsed, String> {
        let c = &self.cols;
        if record.count() != c.fields {
            return Err(format!(
                "expected {} fields, found {}",
                c.fields,
                record.count()
            ));
        }
        let date_text = record.text(c.date).ok_or("date is not UTF-8")?;
        let (date, ts) = match self.frequency {
            Frequency::Daily(_) => {
                let date = parse_date(date_text)
                    .ok_or_else(|| format!("date `{date_text}` is not YYYY-MM-DD"))?;
                let ts = self
                    .known_at
                    .borrow_mut()
                    .known_at(date)
                    .ok_or_else(|| format!("date `{date_text}` is out of range"))?;
                (date, ts)
            }
            Frequency::Intraday { bar_length } => {
                let local = match c.time {
                    Some(ti) => {
                        let date = parse_date(date_text)
                            .ok_or_else(|| format!("date `{date_text}` is not YYYY-MM-DD"))?;
                        let time_text = record.text(ti).unwrap_or("");
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
            let t = record.text(i).unwrap_or("");
            if t.is_empty() {
                return Err(format!("{name} is empty"));
            }
            let v: f64 = match plain_decimal(t) {
                Some(v) => v,
                None => t
                    .parse()
                    .map_err(|_| format!("{name} `{t}` is not a number"))?,
            };
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

    /// The block scan against a byte-by-byte reading of its rule, on random texts with the
    /// odd bytes (and lone line feeds) at every offset around the 64-byte blocks.
    #[test]
    fn odd_bytes_are_found_wherever_they_are() {
        let reference = |b: &[u8]| {
            b.iter().any(|&c| c == b'"' || c == b'\r') || b.windows(2).any(|w| w == b"\n\n")
        };
        let mut rng = fastrand::Rng::with_seed(5);
        for len in (0..300).chain([1000, 4096, 65_536]) {
            let base: Vec<u8> = (0..len)
                .map(|i| {
                    if i % 17 == 16 {
                        b'\n'
                    } else {
                        b"0123456789,.-"[rng.usize(..13)]
                    }
                })
                .collect();
            assert_eq!(has_odd_byte(&base), reference(&base), "len {len}");
            let spots: Vec<usize> = if len <= 300 {
                (0..len).collect()
            } else {
                (0..64)
                    .map(|_| rng.usize(..len))
                    .chain([0, len - 1, 63, 64, 127, 128])
                    .collect()
            };
            for at in spots {
                for odd in [b'"', b'\r', b'\n'] {
                    let mut t = base.clone();
                    t[at] = odd;
                    assert_eq!(has_odd_byte(&t), reference(&t), "len {len}, {odd} at {at}");
                    if at + 1 < len {
                        t[at + 1] = b'\n';
                        assert_eq!(has_odd_byte(&t), reference(&t), "len {len}, pair at {at}");
                    }
                }
            }
        }
    }

    /// The vector check accepts exactly what std's does: random bytes around the UTF-8
    /// boundaries (continuation bytes, overlong and surrogate leads, 4-byte forms), in
    /// lengths that cross its block sizes.
    #[test]
    fn utf8_check_is_stds() {
        let mut rng = fastrand::Rng::with_seed(43);
        let pool: Vec<u8> = (0u8..=0x7f)
            .step_by(9)
            .chain([
                0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
            ])
            .collect();
        let valid = ["é", "€", "𝄞", "a", ",", "\n"];
        let (mut ok, mut bad) = (0, 0);
        for _ in 0..50_000 {
            let len = rng.usize(0..200);
            let mut b: Vec<u8> = Vec::with_capacity(len + 8);
            while b.len() < len {
                if rng.u8(..4) == 0 {
                    b.push(pool[rng.usize(..pool.len())]);
                } else {
                    b.extend_from_slice(valid[rng.usize(..valid.len())].as_bytes());
                }
            }
            let want = std::str::from_utf8(&b).ok();
            assert_eq!(utf8(&b), want, "{b:?}");
            if want.is_some() {
                ok += 1;
            } else {
                bad += 1;
            }
        }
        assert!(ok > 1000 && bad > 1000, "{ok} {bad}");
    }

    #[test]
    fn plain_decimals_parse_as_std_does() {
        let mut cases: Vec<String> = [
            "0",
            "1",
            "2.179012",
            "36301200",
            "0.1",
            "0.3",
            "123.456",
            "9007199254740992",
            "9007199254740993",
            "1.7976931348623157",
            "99999999999999999999",
            "5.",
            ".5",
            "-1",
            "+1",
            "1e5",
            "1.2.3",
            "",
            "0000.0000",
            "4503599627370496.5",
            "1.0000000000000000000001",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut rng = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
        for _ in 0..100_000 {
            let x = rng.u64(..);
            let int = x % 10u64.pow((x >> 60) as u32 % 12);
            let frac = (x >> 8) % 10u64.pow((x >> 56) as u32 % 10);
            let width = ((x >> 50) % 12) as usize;
            cases.push(format!("{int}.{frac:0width$}"));
            cases.push(format!("{int}"));
        }
        for c in &cases {
            if let Some(v) = plain_decimal(c) {
                assert_eq!(v.to_bits(), c.parse::<f64>().unwrap().to_bits(), "{c}");
            }
        }
        assert_eq!(plain_decimal("2.179012"), Some(2.179012));
        assert_eq!(plain_decimal("-1"), None);
        assert_eq!(plain_decimal("5."), None);
    }

    /// Loads `text` both ways: by hand (it must qualify) and through the csv reader.
    fn both_ways(text: &str) -> (LoadedSeries, LoadedSeries) {
        let path = Path::new("SPY.csv");
        let opts = LoadOptions::default();
        let plain = plain_text(text.as_bytes()).expect("plain");
        (
            load_plain(path, "SPY.csv".into(), plain, &opts).unwrap(),
            load_records(path, "SPY.csv".into(), text.as_bytes(), &opts).unwrap(),
        )
    }

    #[test]
    fn plain_files_load_as_the_csv_reader_loads_them() {
        let header = "Date,Open,High,Low,Close,Adj Close,Volume";
        let rows = [
            "2024-01-02,10.5,11,10,10.75,10.7,1000",
            "2024-01-03, 10.8 ,11.2,10.1,11,11,2000",
            "2024-01-04,10.8,11.2,10.1,11,11",
            "2024-01-05,x,11.2,10.1,11,11,2000",
            "2024-01-08,10.8,11.2,10.1,11,11,2000,7",
            "   ",
            "2024-01-09,10.8,11.2,,11,11,2000",
            "2024-1-10,10.8,11.2,10.1,11,11,2000",
            "2024-01-11,1e2,11.2,10.1,-11,11,inf",
        ];
        {
            let end = "\n";
            for trailing in ["", end, "\n\n"] {
                let text = format!("{header}{end}{}{trailing}", rows.join(end));
                let (a, b) = both_ways(&text);
                assert_eq!(a, b, "{text:?}");
                assert!(a.bars.len() >= 2 && a.parse_defects.len() >= 5, "{a:?}");
            }
        }
        // Minute bars with an unnamed time column, and a header alone.
        let text = "Date,Open,High,Low,Close,Volume,OpenInterest\n2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0\n";
        let (a, b) = both_ways(text);
        assert_eq!(a, b);
        assert_eq!(a.bars.len(), 1);
        let (a, b) = both_ways(header);
        assert_eq!(a, b);
        // Quotes, lone carriage returns, a byte order mark and bad UTF-8 go to the csv reader.
        for odd in [
            &b"Date,Open\n\"2024-01-02\",1"[..],
            b"Date,Open\r2024-01-02,1",
            b"\xEF\xBB\xBFDate,Open",
            b"Date,Open\n2024-01-02,\xFF",
            b"Date,Open\n\n2024-01-02,1",
            b"Date,Open\r\n2024-01-02,1",
            b"\nDate,Open\n2024-01-02,1",
        ] {
            assert!(plain_text(odd).is_none());
        }
    }

    /// The splitting as first written: one line at a time, then its commas.
    fn reference_records(text: &str) -> Vec<(u64, Vec<&str>)> {
        let mut out = Vec::new();
        for (i, l) in text.split('\n').enumerate() {
            if !l.is_empty() {
                out.push((i as u64 + 1, l.split(',').collect()));
            }
        }
        out
    }

    #[test]
    fn word_splitting_is_the_plain_one() {
        let mut rng = fastrand::Rng::with_seed(17);
        let alphabet = b"a,\n,1.5\n2024-01-02, x\xc3\xa9";
        let mut texts: Vec<String> = vec![
            String::new(),
            "\n".into(),
            ",".into(),
            "a".into(),
            "Date,Open\n2024-01-02,1\n".into(),
            "Date,Open\n2024-01-02,1".into(),
            ",,,,,,,,,,,,,,,,,,\n\n\n,".into(),
        ];
        for _ in 0..20_000 {
            let len = rng.usize(0..80);
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            texts.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        for t in &texts {
            let mut records = PlainRecords::new(t);
            let mut fields = Vec::new();
            let mut got = Vec::new();
            while let Some(line) = records.next_into(&mut fields) {
                got.push((line, fields.clone()));
            }
            assert_eq!(got, reference_records(t), "{t:?}");
        }
        for x in [0u64, u64::MAX, 0x0100_0000_0000_0000, 0x0001_0100_ff00_0080] {
            let want = x
                .to_le_bytes()
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == 0)
                .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i));
            assert_eq!(zero_bytes(x), want, "{x:x}");
        }
        for _ in 0..100_000 {
            let mut b = rng.u64(..).to_le_bytes();
            for c in b.iter_mut() {
                if rng.u8(..4) == 0 {
                    *c = 0;
                }
            }
            let x = u64::from_le_bytes(b);
            let want = b
                .iter()
                .enumerate()
                .filter(|(_, &c)| c == 0)
                .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i));
            assert_eq!(zero_bytes(x), want, "{x:x}");
        }
    }

    /// `plain_text` as first written.
    fn reference_plain_text(bytes: &[u8]) -> Option<&str> {
        if bytes.starts_with(b"\xEF\xBB\xBF") || bytes.iter().any(|&b| b == b'"' || b == b'\r') {
            return None;
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let body = text.trim_end_matches('\n');
        let blank_line = body.starts_with('\n') || body.contains("\n\n");
        (!blank_line).then_some(text)
    }

    #[test]
    fn plain_text_check_and_trim_are_the_general_ones() {
        let mut rng = fastrand::Rng::with_seed(23);
        let alphabet = b"ab,\n\n\r\"  \t1.\xEF\xBB\xBF\xc3\xa9\x85";
        for _ in 0..50_000 {
            let len = rng.usize(0..150);
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            assert_eq!(
                plain_text(&bytes),
                reference_plain_text(&bytes),
                "{bytes:?}"
            );
            // Long clean stretches, one odd byte somewhere.
            let mut long = vec![b'7'; rng.usize(0..300)];
            if !long.is_empty() && rng.bool() {
                let at = rng.usize(..long.len());
                long[at] = alphabet[rng.usize(..alphabet.len())];
            }
            assert_eq!(plain_text(&long), reference_plain_text(&long), "{long:?}");
            if let Ok(s) = std::str::from_utf8(&bytes) {
                assert_eq!(trim(s), s.trim(), "{s:?}");
            }
        }
        for s in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{85}a",
            "a\u{a0}",
            "\u{3000}x\u{3000}",
            "é",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn date_text_holds_any_text() {
        for s in [
            "",
            "2024-01-02",
            "2015-09-23T20:57:42.146",
            "x".repeat(22).as_str(),
        ] {
            let t = DateText::from(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(t, DateText::from(s.to_string()));
            assert_eq!(t.to_string(), s);
            assert_eq!(format!("{t:?}"), format!("{s:?}"));
        }
        let joined = DateText::concat(&["2006-01-02", " ", "09:01:00"]);
        assert_eq!(joined, "2006-01-02 09:01:00");
        let long = DateText::concat(&["2006-01-02", " ", "09:01:00.123456789"]);
        assert_eq!(long, "2006-01-02 09:01:00.123456789");
    }

    #[test]
    fn streamed_files_load_as_whole_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("SPY.csv");
        let opts = LoadOptions::default();
        let header = "Date,Open,High,Low,Close,Adj Close,Volume";
        let mut rng = fastrand::Rng::with_seed(31);
        let mut texts: Vec<String> = vec![
            String::new(),
            header.into(),
            format!("{header}\n"),
            format!("{header}\n\n"),
            format!("\n{header}\n2024-01-02,1,1,1,1,1,1"),
            "Date,Open\n2024-01-02,1\n".into(),
            "Day,Open,High,Low,Close,Volume\n2024-01-02,1,1,1,1,1\n".into(),
            "Date,Open,High,Low,Close,Volume,OpenInterest\n2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0\n".into(),
        ];
        // Long files (several chunks), with and without a last line feed, some with a quote,
        // a carriage return, an empty line or a non-ASCII character somewhere.
        for case in 0..24 {
            let rows = 500 + rng.usize(..6000);
            let mut t = String::from(header);
            let mut day = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
            for i in 0..rows {
                t.push('\n');
                let p = 10.0 + (i % 97) as f64 / 8.0;
                let row = match rng.usize(..200) {
                    0 => format!("{day},x,{p},{p},{p},{p},100"),
                    1 => format!("{day},{p},{p},{p},{p},{p}"),
                    _ => format!("{day},{p},{},{p},{p},{p},{}", p + 1.0, 1000 + i),
                };
                t.push_str(&row);
                day = day.succ_opt().unwrap();
            }
            if case % 2 == 0 {
                t.push('\n');
            }
            if case % 4 == 1 {
                let odd = ["\"", "\r", "\n", "\u{e9}", " "][rng.usize(..5)];
                let mut at = rng.usize(1..t.len());
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                t.insert_str(at, odd);
            }
            texts.push(t);
        }
        // Lines longer than the read buffer's slack (4 KiB) across chunk ends.
        for long in [4_000, 5_000, 70_000] {
            let mut t = String::from(header);
            for i in 0..2_500 {
                let volume = if i % 700 == 350 {
                    "7".repeat(long)
                } else {
                    "1000".into()
                };
                t.push_str(&format!(
                    "\n2000-01-{:02},1.5,2,1,1.5,1.5,{volume}",
                    1 + i % 28
                ));
            }
            texts.push(t);
        }
        for t in &texts {
            std::fs::write(&path, t).unwrap();
            let bytes = t.as_bytes();
            let whole = match plain_text(bytes) {
                Some(text) => load_plain(&path, path.display().to_string(), text, &opts),
                None => load_records(&path, path.display().to_string(), bytes, &opts),
            };
            let loaded = load_csv(&path, &opts);
            match (loaded, whole) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("{a:?} vs {b:?}"),
            }
            // The long clean files do take the streamed path.
            let mut f = std::fs::File::open(&path).unwrap();
            let streamed = load_streamed(&path, "SPY.csv", &mut f, t.len(), &opts).unwrap();
            let plainest = !t.contains("\n\n")
                && !t.starts_with('\n')
                && !t.contains(['"', '\r'])
                && !t.is_empty()
                && t.starts_with("Date,Open,High");
            assert_eq!(streamed.is_some(), plainest, "{}", &t[..t.len().min(80)]);
        }
    }

    /// `text` loaded by hand (the fast path where rows allow, if it qualifies as plain) and
    /// streamed from a file, both against the csv reader's load (the general parser only).
    fn check_against_general(text: &[u8], path: &Path) {
        let opts = LoadOptions::default();
        let file = path.display().to_string();
        let general = load_records(path, file.clone(), text, &opts);
        let same = |got: Result<LoadedSeries, LoadError>, how: &str| match (&got, &general) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.bars.len(), b.bars.len(), "{how} {file}");
                for (x, y) in a.bars.iter().zip(&b.bars) {
                    // Bit for bit (`==` would take 0.0 for -0.0).
                    let bits =
                        |b: &Bar| [b.open, b.high, b.low, b.close, b.volume].map(f64::to_bits);
                    assert_eq!((x.ts, bits(x)), (y.ts, bits(y)), "{how} {file}");
                }
                assert_eq!(a, b, "{how} {file}");
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{how}"),
            (a, b) => panic!("{how} {file}: {a:?} vs {b:?}"),
        };
        if let Some(plain) = plain_text(text) {
            same(load_plain(path, file.clone(), plain, &opts), "plain");
        }
        std::fs::write(path, text).unwrap();
        let mut f = std::fs::File::open(path).unwrap();
        if let Some(streamed) = load_streamed(path, &file, &mut f, text.len(), &opts).unwrap() {
            same(Ok(streamed), "streamed");
        }
    }

    #[test]
    fn fast_rows_load_as_the_general_parser_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        // Every shared data file, under its own name (the symbol decides the close rule).
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut todo = vec![root.join("../../data"), root.join("tests/data")];
        let mut files = 0;
        while let Some(p) = todo.pop() {
            if p.is_dir() {
                for e in std::fs::read_dir(&p).unwrap() {
                    todo.push(e.unwrap().path());
                }
            } else if p.extension().is_some_and(|e| e == "csv") {
                let bytes = std::fs::read(&p).unwrap();
                check_against_general(&bytes, &dir.path().join(p.file_name().unwrap()));
                files += 1;
            }
        }
        assert!(files > 20, "{files}");
        // Generated rows: mostly plain, some with one odd field, a bad date or a field too
        // many or too few.
        let header = "Date,Open,High,Low,Close,Adj Close,Volume";
        let odd_fields = [
            "",
            " ",
            "1 ",
            " 1",
            "-1",
            "+1",
            "1e5",
            "1E-3",
            "5.",
            ".5",
            "1.2.3",
            "0",
            "-0",
            "0.0",
            "00012.500",
            "9007199254740992",
            "9007199254740993",
            "9007199254740991.5",
            "4503599627370496.5",
            "12345678901234567890",
            "1234567890123456789",
            "0.1234567890123456789",
            "1.00000000000000000001",
            "99999999999999999999",
            "inf",
            "NaN",
            "1e400",
            "x",
            "\u{e9}",
            "1;5",
            "0x10",
            "1_000",
            "\t1",
        ];
        let odd_dates = [
            "2024-02-29",
            "2023-02-29",
            "2024-2-29",
            "2024/02/29",
            "+024-02-29",
            " 2024-01-02",
            "2024-01-02 ",
            "2024-00-10",
            "2024-13-01",
            "2024-01-00",
            "2024-01-32",
            "2024-04-31",
            "1900-02-29",
            "2000-02-29",
            "2100-02-29",
            "0000-01-01",
            "9999-12-31",
            "2262-04-11",
            "2262-04-12",
            "1677-09-21",
            "1677-09-20",
            "1969-12-31",
            "1970-01-01",
            "",
            "2024-01-02T10:00:00",
            "2024-03-10",
            "2024-11-03",
            "20240102",
            "2024-01-0a",
        ];
        let mut rng = fastrand::Rng::with_seed(0x5EED_F457);
        for case in 0..60 {
            let mut t = String::from(header);
            let mut day = NaiveDate::from_ymd_opt(1900 + rng.i32(0..300), 1, 1).unwrap();
            for i in 0..rng.usize(1..400) {
                t.push('\n');
                let bits = rng.u32(1..54);
                let p = rng.u64(..1 << bits) as f64 / 10f64.powi(rng.i32(0..9));
                let volume_bits = rng.u32(1..60);
                let mut f: Vec<String> = vec![
                    day.to_string(),
                    format!("{p}"),
                    format!("{:.6}", p * 1.01),
                    format!("{:.6}", p * 0.99),
                    format!("{p:.3}"),
                    format!("{:.4}", p / 3.0),
                    format!("{}", rng.u64(..1 << volume_bits)),
                ];
                match rng.usize(..8) {
                    0 => {
                        let at = rng.usize(..7);
                        f[at] = odd_fields[rng.usize(..odd_fields.len())].into();
                    }
                    1 => f[0] = odd_dates[rng.usize(..odd_dates.len())].into(),
                    2 if i % 5 == 0 => {
                        if rng.bool() {
                            f.pop();
                        } else {
                            f.push("7".into());
                        }
                    }
                    _ => {}
                }
                t.push_str(&f.join(","));
                day = day + chrono::Days::new(rng.u64(1..4));
            }
            if case % 2 == 0 {
                t.push('\n');
            }
            check_against_general(t.as_bytes(), &dir.path().join("SPY.csv"));
            check_against_general(t.as_bytes(), &dir.path().join("BTC-USD.csv"));
        }
        // Other column orders and counts, and a file with a header alone.
        for text in [
            "Volume,Close,Low,High,Open,Date\n100,1.5,1,2,1.25,2024-01-02\n7,1.5,1,2,1.25,2024-01-03",
            "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,100\n2024-01-03,1,2,0.5,1.5,",
            "Date,Open,High,Low,Close,Volume,Extra\n2024-01-02,1,2,0.5,1.5,100,\n2024-01-03,1,2,0.5,1.5,100,x,y",
            "x,Date,Open,High,Low,Close,Volume\n,2024-01-02,1,2,0.5,1.5,100\n",
            "Date,Open,High,Low,Close,Volume\n",
        ] {
            check_against_general(text.as_bytes(), &dir.path().join("SPY.csv"));
        }
    }

    #[test]
    fn row_info_keeps_any_line_and_text() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(std::mem::size_of::<RowInfo>(), 16);
        let cases = [
            (2, "2024-01-02", d(2024, 1, 2)),
            (u64::from(u32::MAX), "2024-01-02", d(2024, 1, 2)),
            (u64::from(u32::MAX) + 1, "2024-01-02", d(2024, 1, 2)),
            (u64::MAX, "0000-01-01", d(0, 1, 1)),
            (7, "2024-01-02 09:01:00", d(2024, 1, 2)),
            (7, "2015-09-23T20:57:42.146123456+02:00", d(2015, 9, 23)),
            (7, "2024-01-03", d(2024, 1, 2)),
            (7, "?", d(2024, 1, 2)),
            (7, "", d(2024, 1, 2)),
            (7, "+10000-01-01", d(10000, 1, 1)),
            (7, "-0001-12-31", d(-1, 12, 31)),
            (7, "9999-12-31", d(9999, 12, 31)),
        ];
        for (line, text, date) in cases {
            let r = RowInfo::new(line, text, date);
            assert_eq!(
                (r.line(), r.date_text().as_str(), r.date()),
                (line, text, date)
            );
            assert_eq!(r, r.clone());
            assert_eq!(
                format!("{r:?}"),
                format!("RowInfo {{ line: {line}, date_text: {text:?}, date: {date:?} }}")
            );
        }
        // The ISO form as chrono writes it, for every date of years 0 to 9999.
        let mut day = d(0, 1, 1);
        while day <= d(9999, 12, 31) {
            let want = day.format("%Y-%m-%d").to_string();
            assert_eq!(iso_text(day).unwrap().as_str(), want);
            day = day.succ_opt().unwrap();
        }
        assert!(iso_text(d(10000, 1, 1)).is_none() && iso_text(d(-1, 1, 1)).is_none());
    }

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
