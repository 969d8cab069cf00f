//! The common daily row (`2024-01-02,10.5,11,10,10.75,10.7,1000`) read in one pass over its
//! bytes: fields found, date and numbers parsed as the scan goes, with no list of fields and no
//! trimming. Anything unusual (spaces, signs, exponents, long mantissas, a bad date, a wrong
//! field count) makes it give up on the row, which the general parser then reads: so a row
//! read here is one the general parser reads the same way, and every other row is left to it.

use super::layout::{Columns, Layout};
use chrono::NaiveDate;

/// What the parser does with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Skip,
    Date,
    /// Index into open, high, low, close, volume.
    Value(usize),
}

/// The one-pass reader of a daily file's rows, one slot per field of a well-formed row.
#[derive(Clone, Debug)]
pub(crate) struct FastDaily {
    slots: Vec<Slot>,
}

/// A row read by `FastDaily`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct FastRow {
    /// Offset of the row's line feed (or of the end of the text).
    pub end: usize,
    /// Offset of the 10 bytes of the date.
    pub date_at: usize,
    pub date: NaiveDate,
    /// `date` as days since 1970-01-01.
    pub day: i64,
    pub ohlcv: [f64; 5],
}

impl FastDaily {
    /// The reader for daily files with these columns; `None` for other layouts, or when two
    /// roles share a field (the general parser reads such files).
    pub(crate) fn new(cols: &Columns) -> Option<Self> {
        if cols.layout != Layout::Daily || cols.time.is_some() {
            return None;
        }
        let mut slots = vec![Slot::Skip; cols.fields];
        let roles = [
            (cols.date, Slot::Date),
            (cols.open, Slot::Value(0)),
            (cols.high, Slot::Value(1)),
            (cols.low, Slot::Value(2)),
            (cols.close, Slot::Value(3)),
            (cols.volume, Slot::Value(4)),
        ];
        for (i, role) in roles {
            let slot = slots.get_mut(i)?;
            if *slot != Slot::Skip {
                return None;
            }
            *slot = role;
        }
        Some(FastDaily { slots })
    }

    /// The row of `text` starting at `start`, if it is a plain one: exactly the expected number
    /// of comma-separated fields up to the next line feed, an ISO date, and numbers of digits
    /// with at most one inner point that `plain_number` takes.
    pub(crate) fn parse(&self, text: &[u8], start: usize) -> Option<FastRow> {
        let mut p = start;
        let mut row = FastRow {
            end: 0,
            date_at: 0,
            date: NaiveDate::MIN,
            day: 0,
            ohlcv: [0.0; 5],
        };
        let last = self.slots.len() - 1;
        for (i, slot) in self.slots.iter().enumerate() {
            match *slot {
                Slot::Date => {
                    (row.date, row.day) = iso_date(text.get(p..p + 10)?)?;
                    row.date_at = p;
                    p += 10;
                }
                Slot::Value(k) => {
                    let (v, end) = plain_number(text, p)?;
                    row.ohlcv[k] = v;
                    p = end;
                }
                Slot::Skip => {
                    while text.get(p).is_some_and(|&c| c != b',' && c != b'\n') {
                        p += 1;
                    }
                }
            }
            // A comma after every field but the last; a line feed or the end after that one.
            let sep = text.get(p).copied();
            if i < last {
                if sep != Some(b',') {
                    return None;
                }
                p += 1;
            } else if sep.is_some_and(|c| c != b'\n') {
                return None;
            }
        }
        row.end = p;
        Some(row)
    }
}

/// Powers of ten exactly representable as f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `digits` or `digits.digits` from `text[start..]` up to the next comma, line feed or the end,
/// as f64 (the value `str::parse` gives), with that stop's offset. Only the common case: at
/// most 19 digits with a mantissa of at most 2^53, so the integer and the power of ten are
/// both exact and one division rounds correctly (the fast path of every correct parser).
/// `None` for anything else (signs, exponents, spaces, long mantissas, `5.`, `.5`, empty).
pub(crate) fn plain_number(text: &[u8], start: usize) -> Option<(f64, usize)> {
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    // Digits before the point, once one is seen.
    let mut point: Option<usize> = None;
    let mut p = start;
    while let Some(&c) = text.get(p) {
        match c {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 19 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(c - b'0');
            }
            b'.' if point.is_none() && digits > 0 => point = Some(digits),
            b',' | b'\n' => break,
            _ => return None,
        }
        p += 1;
    }
    let decimals = point.map_or(0, |at| digits - at);
    if digits == 0 || point.is_some() && decimals == 0 || mantissa > 1 << 53 {
        return None;
    }
    Some((mantissa as f64 / POW10[decimals], p))
}

/// Days before the first of each month in a common year.
const MONTH_START: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/// Strict `YYYY-MM-DD` as a date and its day since 1970-01-01, without chrono's month-day
/// conversion: `None` for anything else or a day the month does not have.
pub(crate) fn iso_date(b: &[u8]) -> Option<(NaiveDate, i64)> {
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = b else {
        return None;
    };
    let digit = |c: u8| c.is_ascii_digit().then(|| u32::from(c - b'0'));
    let year = digit(y0)? * 1000 + digit(y1)? * 100 + digit(y2)? * 10 + digit(y3)?;
    let month = digit(m0)? * 10 + digit(m1)?;
    let day = digit(d0)? * 10 + digit(d1)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_len = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if day == 0 || day > month_len {
        return None;
    }
    let ordinal = MONTH_START[month as usize - 1] + u32::from(leap && month > 2) + day;
    let date = NaiveDate::from_yo_opt(year as i32, ordinal)?;
    Some((date, days_from_civil(i64::from(year), month, day)))
}

/// Days from 1970-01-01 to a valid proleptic Gregorian date (H. Hinnant's `days_from_civil`:
/// years counted from March, so the leap day ends the year).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::bar_time::epoch_day;

    #[test]
    fn iso_dates_are_chronos() {
        // Every year, month and day a 4-2-2 digit text can name, valid or not.
        for year in 0..=9999u32 {
            for month in 0..=13u32 {
                for day in 0..=32u32 {
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    let want = NaiveDate::from_ymd_opt(year as i32, month, day);
                    let got = iso_date(text.as_bytes());
                    assert_eq!(got.map(|g| g.0), want, "{text}");
                    if let (Some((_, got_day)), Some(date)) = (got, want) {
                        assert_eq!(got_day, epoch_day(date), "{text}");
                    }
                }
            }
        }
        for bad in [
            "2024-1-02",
            "2024/01/02",
            "+024-01-02",
            " 2024-01-0",
            "2024-01-02 ",
            "2024-01-0x",
            "",
            "2024-01-002",
            "\u{ff12}024-01-02",
        ] {
            assert_eq!(iso_date(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn plain_numbers_stop_at_separators() {
        assert_eq!(plain_number(b"12.5,3", 0), Some((12.5, 4)));
        assert_eq!(plain_number(b"1,12.5\n", 2), Some((12.5, 6)));
        assert_eq!(plain_number(b"7", 0), Some((7.0, 1)));
        for bad in [
            "",
            ",",
            "5.,",
            ".5",
            "-1",
            "1e3",
            "1 ",
            "1.2.3",
            "12345678901234567890",
        ] {
            assert_eq!(plain_number(bad.as_bytes(), 0), None, "{bad}");
        }
    }
}
