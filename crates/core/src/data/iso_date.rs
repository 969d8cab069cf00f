//! Strict ISO dates (`YYYY-MM-DD`) of daily rows, read without chrono's parser.
//!
//! Why a memo of the month: consecutive rows of a daily file are mostly in the same month,
//! and the year, month, leap-year and day-count arithmetic of a date is the same for all of
//! them; only the day changes. `MonthMemo` keeps that work from the last full read and checks
//! the rest of a date against it.

use chrono::{Datelike, NaiveDate};

/// Days before the first of each month in a common year.
const MONTH_START: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/// Strict `YYYY-MM-DD` as a date and its day since 1970-01-01, without chrono's month-day
/// conversion: `None` for anything else or a day the month does not have.
pub(super) fn iso_date(b: &[u8]) -> Option<(NaiveDate, i64)> {
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = b else {
        return None;
    };
    let digit = |c: u8| c.is_ascii_digit().then(|| u32::from(c - b'0'));
    let year = digit(y0)? * 1000 + digit(y1)? * 100 + digit(y2)? * 10 + digit(y3)?;
    let month = digit(m0)? * 10 + digit(m1)?;
    let day = digit(d0)? * 10 + digit(d1)?;
    let leap = is_leap(year);
    let month_len = month_len(leap, month)?;
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

fn is_leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1 to 12; `None` for any other) of a year that is `leap` or not.
fn month_len(leap: bool, month: u32) -> Option<u32> {
    match month {
        2 if leap => Some(29),
        2 => Some(28),
        4 | 6 | 9 | 11 => Some(30),
        1..=12 => Some(31),
        _ => None,
    }
}

/// The month of the last date `MonthMemo::read` read in full: its `YYYY-MM-` bytes, and what
/// a day of it needs to become a date and a day number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct MonthMemo {
    /// The 8 bytes `YYYY-MM-` as a little-endian word; 0 (which has no `-`) until a read.
    prefix: u64,
    /// A date of the month (any: only its year is used).
    some_day: NaiveDate,
    /// Ordinal (day of the year, from 1) and day number of the day before the 1st.
    ordinal_before: u32,
    day_before: i64,
    /// Days in the month.
    len: u32,
}

impl Default for MonthMemo {
    fn default() -> Self {
        MonthMemo {
            prefix: 0,
            some_day: NaiveDate::MIN,
            ordinal_before: 0,
            day_before: 0,
            len: 0,
        }
    }
}

impl MonthMemo {
    /// `iso_date(b)`, the same answer for every `b`. A date in the month of the last full
    /// read only has its day checked: every other byte is that date's, so the year and month
    /// are the same valid ones and `iso_date` would only check the day's digits and range.
    #[inline]
    pub(super) fn read(&mut self, b: &[u8]) -> Option<(NaiveDate, i64)> {
        let (prefix, day) = b.split_first_chunk::<8>()?;
        let &[d0, d1] = day else {
            return None;
        };
        if u64::from_le_bytes(*prefix) == self.prefix {
            let (d0, d1) = (d0.wrapping_sub(b'0'), d1.wrapping_sub(b'0'));
            let day = u32::from(d0) * 10 + u32::from(d1);
            if (d0 < 10) & (d1 < 10) & (day >= 1) & (day <= self.len) {
                let date = self.some_day.with_ordinal(self.ordinal_before + day)?;
                return Some((date, self.day_before + i64::from(day)));
            }
            return None;
        }
        self.learn(b)
    }

    /// `read` of a date outside the memo's month, which the memo then holds.
    #[cold]
    #[inline(never)]
    fn learn(&mut self, b: &[u8]) -> Option<(NaiveDate, i64)> {
        let prefix: [u8; 8] = b.get(..8)?.try_into().ok()?;
        let (date, day_number) = iso_date(b)?;
        let day = date.day();
        let leap = is_leap(date.year() as u32);
        *self = MonthMemo {
            prefix: u64::from_le_bytes(prefix),
            some_day: date,
            ordinal_before: date.ordinal() - day,
            day_before: day_number - i64::from(day),
            len: month_len(leap, date.month())?,
        };
        Some((date, day_number))
    }
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

    /// Every text `iso_dates_are_chronos` reads, and variants of their day bytes, through one
    /// memo: in order (months run on), and in a shuffled order (a new month nearly every time).
    #[test]
    fn month_memo_reads_are_iso_dates() {
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for year in (0..=9999u32).step_by(7).chain([1900, 2000, 2024, 2100]) {
            for month in 0..=13u32 {
                for day in 0..=32u32 {
                    texts.push(format!("{year:04}-{month:02}-{day:02}").into_bytes());
                }
                // Day bytes that are not two digits, after a valid date of the month.
                for bad in ["0x", "x1", "1:", "/1", "  ", "99"] {
                    texts.push(format!("{year:04}-{month:02}-{bad}").into_bytes());
                }
            }
        }
        texts.push(b"2024-01-1".to_vec());
        texts.push(b"2024-01-011".to_vec());
        let mut memo = MonthMemo::default();
        for t in &texts {
            assert_eq!(memo.read(t), iso_date(t), "{}", String::from_utf8_lossy(t));
        }
        let mut rng = fastrand::Rng::with_seed(19);
        let mut memo = MonthMemo::default();
        for _ in 0..200_000 {
            let t = &texts[rng.usize(..texts.len())];
            assert_eq!(memo.read(t), iso_date(t), "{}", String::from_utf8_lossy(t));
        }
    }
}
