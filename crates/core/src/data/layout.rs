//! Which column holds what: header names matched case-insensitively, in any order.
//!
//! The shared files disagree on column order and on how time is written; one of them even has a
//! header naming 7 fields over rows of 8 (date and time split). Finding that out once per file,
//! from the header and the first row, keeps the per-row loop a plain index lookup.

use chrono::{DateTime, NaiveDateTime, NaiveTime};
use csv::ByteRecord;

/// How a file writes the time of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A `Date` column (`YYYY-MM-DD`): one row per daily bar.
    Daily,
    /// A `Datetime` (or `Timestamp`) column with date and time in one ISO 8601 field, e.g.
    /// `2015-09-23T20:57:42.146`.
    DateTime,
    /// Date and time in two fields. `time_named` is false when the header names only `Date` and
    /// the rows carry one field more than the header, the time following the date.
    SplitDateTime { time_named: bool },
}

/// Field indices of one file, fixed after looking at its header and first row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Columns {
    pub layout: Layout,
    pub date: usize,
    pub time: Option<usize>,
    pub open: usize,
    pub high: usize,
    pub low: usize,
    pub close: usize,
    pub volume: usize,
    /// The number of fields a well-formed row has.
    pub fields: usize,
}

fn normalized(field: &[u8]) -> String {
    let s = String::from_utf8_lossy(field);
    s.trim_start_matches('\u{feff}').trim().to_ascii_lowercase()
}

/// Parses a time of day `HH:MM[:SS[.fff]]`. Text without a colon is none (both formats need
/// one), answered without chrono's format parser: `detect` asks this of a daily file's first
/// price, and the parser's code is otherwise not run at all, so calling it cost page faults.
pub(crate) fn parse_time(s: &str) -> Option<NaiveTime> {
    if !s.contains(':') {
        return None;
    }
    NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()
}

/// Parses a local date-time written as `YYYY-MM-DDTHH:MM:SS[.fff]` or with a space for `T`.
/// Text without a colon is none (the time needs one), as for `parse_time`.
pub(crate) fn parse_local_datetime(s: &str) -> Option<NaiveDateTime> {
    if !s.contains(':') {
        return None;
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
}

/// Finds the columns from the header, and the layout from the header and the first data row.
/// Returns the name of the first required column the header lacks.
pub(crate) fn detect(
    header: &ByteRecord,
    first_row: Option<&ByteRecord>,
) -> Result<Columns, &'static str> {
    let names: Vec<String> = header.iter().map(normalized).collect();
    let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));

    let date = find(&["date"]);
    let datetime = find(&["datetime", "timestamp"]);
    let named_time = find(&["time"]);
    let (date_col, mut layout) = match (datetime, date) {
        (Some(dt), _) => (dt, Layout::DateTime),
        (None, Some(d)) if named_time.is_some() => (d, Layout::SplitDateTime { time_named: true }),
        (None, Some(d)) => (d, Layout::Daily),
        (None, None) => return Err("Date"),
    };
    let open = find(&["open"]).ok_or("Open")?;
    let high = find(&["high"]).ok_or("High")?;
    let low = find(&["low"]).ok_or("Low")?;
    let close = find(&["close"]).ok_or("Close")?;
    let volume = find(&["volume"]).ok_or("Volume")?;
    let mut cols = Columns {
        layout,
        date: date_col,
        time: named_time.filter(|_| layout != Layout::DateTime),
        open,
        high,
        low,
        close,
        volume,
        fields: names.len(),
    };

    if layout == Layout::Daily {
        if let Some(row) = first_row {
            let field = |i: usize| row.get(i).and_then(|b| std::str::from_utf8(b).ok());
            let time_follows = field(date_col + 1).map(str::trim).and_then(parse_time);
            if row.len() == names.len() + 1 && time_follows.is_some() {
                // The unnamed time field sits right after the date and pushes the rest right.
                layout = Layout::SplitDateTime { time_named: false };
                let shift = |i: usize| if i > date_col { i + 1 } else { i };
                cols = Columns {
                    layout,
                    date: date_col,
                    time: Some(date_col + 1),
                    open: shift(open),
                    high: shift(high),
                    low: shift(low),
                    close: shift(close),
                    volume: shift(volume),
                    fields: names.len() + 1,
                };
            } else if field(date_col).map(str::trim).is_some_and(|t| {
                // RFC 3339 has a time, so a colon, too.
                t.contains(':')
                    && (parse_local_datetime(t).is_some()
                        || DateTime::parse_from_rfc3339(t).is_ok())
            }) {
                // A column named `Date` that holds date and time is read as such.
                cols.layout = Layout::DateTime;
            }
        }
    }
    Ok(cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The colon shortcut answers as chrono's parsers do: text without a colon is refused by
    /// every format these functions try.
    #[test]
    fn colon_free_text_is_no_time() {
        let time = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
                .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
                .ok()
        };
        let datetime = |s: &str| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
                .ok()
        };
        let mut cases: Vec<String> = [
            "",
            "16",
            "1630",
            "16.30",
            "163000",
            "16h30",
            "2.179012",
            "36301200",
            "2024-01-02",
            "2024-01-02T1630",
            "2024-01-02 163000",
            "2024-01-02T16.30.00",
            "20240102T163000Z",
            "16:30",
            "16:30:00",
            "16:30:00.5",
            "2024-01-02T16:30:00",
            "2024-01-02 16:30:00.25",
            "2024-01-02T16:30:00Z",
            "2024-01-02T16:30:00+05:00",
            ":",
            "1:2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every string of up to three characters from a small alphabet.
        let alphabet = ['1', '6', '0', ':', '.', ' ', 'T', '-', 'Z'];
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    cases.push(format!("{a}{b}{c}"));
                    cases.push(format!("2024-01-02{a}{b}{c}"));
                }
            }
        }
        for s in &cases {
            assert_eq!(parse_time(s), time(s), "{s:?}");
            assert_eq!(parse_local_datetime(s), datetime(s), "{s:?}");
            if !s.contains(':') {
                assert!(DateTime::parse_from_rfc3339(s).is_err(), "{s:?}");
            }
        }
    }

    fn rec(s: &str) -> ByteRecord {
        ByteRecord::from(s.split(',').collect::<Vec<_>>())
    }

    #[test]
    fn matches_names_in_any_order_and_case() {
        let c = detect(&rec("date,CLOSE,High,low,Open,Volume"), None).unwrap();
        assert_eq!(c.layout, Layout::Daily);
        assert_eq!(
            (c.date, c.open, c.high, c.low, c.close, c.volume),
            (0, 4, 2, 3, 1, 5)
        );
        let c = detect(&rec("Date,Open,High,Low,Close,Adj Close,Volume"), None).unwrap();
        assert_eq!((c.close, c.volume), (4, 6));
    }

    #[test]
    fn detects_the_unnamed_time_field() {
        let c = detect(
            &rec("Date,Open,High,Low,Close,Volume,OpenInterest"),
            Some(&rec(
                "2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0",
            )),
        )
        .unwrap();
        assert_eq!(c.layout, Layout::SplitDateTime { time_named: false });
        assert_eq!(
            (c.time, c.open, c.close, c.volume, c.fields),
            (Some(1), 2, 5, 6, 8)
        );
    }

    #[test]
    fn datetime_named_or_found_in_a_date_column() {
        let c = detect(
            &rec("Datetime,Open,High,Low,Close,Volume,OpenInterest"),
            None,
        )
        .unwrap();
        assert_eq!(c.layout, Layout::DateTime);
        let c = detect(
            &rec("Date,Open,High,Low,Close,Volume"),
            Some(&rec("2024-01-02 09:30:00,1,1,1,1,1")),
        )
        .unwrap();
        assert_eq!(c.layout, Layout::DateTime);
        let c = detect(
            &rec("Date,Open,High,Low,Close,Volume"),
            Some(&rec("2024-01-02T09:30:00-05:00,1,1,1,1,1")),
        )
        .unwrap();
        assert_eq!(c.layout, Layout::DateTime);
        let c = detect(&rec("Date,Time,Open,High,Low,Close,Volume"), None).unwrap();
        assert_eq!(c.layout, Layout::SplitDateTime { time_named: true });
    }

    #[test]
    fn names_the_missing_column() {
        assert_eq!(
            detect(&rec("Date,Open,High,Low,Volume"), None),
            Err("Close")
        );
        assert_eq!(
            detect(&rec("Day,Open,High,Low,Close,Volume"), None),
            Err("Date")
        );
    }
}
