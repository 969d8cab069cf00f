//! One-off NYSE closures and early closes that no rule predicts.
//!
//! These are historical facts (days of mourning, storms, attacks), kept as data so the rules stay
//! clean. Source: the NYSE's own closing announcements as collected in pandas_market_calendars'
//! `holidays_nyse.py` ("Stocks.NYSE-Closings" reference), plus the NYSE/ICE release of
//! 30 Dec 2024 for the national day of mourning for President Carter (9 Jan 2025).
//! Intraday halts and late opens are not modelled: sessions always open at 09:30.

use chrono::NaiveDate;

/// A full-day closure that is not a rule holiday.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpecialClosure {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub name: &'static str,
}

/// A scheduled early close that is not produced by the early-close rules, with its close time
/// in New York (hour, minute).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpecialEarlyClose {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub close_hour: u32,
    pub close_minute: u32,
}

const fn closure(year: i32, month: u32, day: u32, name: &'static str) -> SpecialClosure {
    SpecialClosure {
        year,
        month,
        day,
        name,
    }
}

const fn early(year: i32, month: u32, day: u32, h: u32, m: u32) -> SpecialEarlyClose {
    SpecialEarlyClose {
        year,
        month,
        day,
        close_hour: h,
        close_minute: m,
    }
}

/// Full-day closures since 1990 that no rule predicts.
pub const SPECIAL_CLOSURES: &[SpecialClosure] = &[
    closure(1994, 4, 27, "Funeral of President Richard Nixon"),
    closure(2001, 9, 11, "September 11 attacks"),
    closure(2001, 9, 12, "September 11 attacks"),
    closure(2001, 9, 13, "September 11 attacks"),
    closure(2001, 9, 14, "September 11 attacks"),
    closure(2004, 6, 11, "Day of mourning for President Ronald Reagan"),
    closure(2007, 1, 2, "Day of mourning for President Gerald Ford"),
    closure(2012, 10, 29, "Hurricane Sandy"),
    closure(2012, 10, 30, "Hurricane Sandy"),
    closure(
        2018,
        12,
        5,
        "Day of mourning for President George H. W. Bush",
    ),
    closure(2025, 1, 9, "Day of mourning for President Jimmy Carter"),
];

/// Holiday-related early closes since 1990 that the rules in `early_close.rs` do not produce
/// (before the rules settled, the exchange decided year by year).
pub const SPECIAL_EARLY_CLOSES: &[SpecialEarlyClose] = &[
    early(1990, 12, 24, 14, 0),
    early(1991, 12, 24, 14, 0),
    early(1992, 11, 27, 14, 0),
    early(1992, 12, 24, 14, 0),
    early(1996, 12, 24, 13, 0),
    early(1997, 12, 24, 13, 0),
    early(1997, 12, 26, 13, 0),
    early(1998, 12, 24, 13, 0),
    early(2003, 12, 26, 13, 0),
];

fn same_day(year: i32, month: u32, day: u32, d: NaiveDate) -> bool {
    use chrono::Datelike;
    d.year() == year && d.month() == month && d.day() == day
}

/// The special closure on `d`, if any.
pub fn special_closure(d: NaiveDate) -> Option<&'static str> {
    SPECIAL_CLOSURES
        .iter()
        .find(|c| same_day(c.year, c.month, c.day, d))
        .map(|c| c.name)
}

/// Special closures falling in `year`.
pub fn special_closures_in(year: i32) -> impl Iterator<Item = (NaiveDate, &'static str)> {
    SPECIAL_CLOSURES
        .iter()
        .filter(move |c| c.year == year)
        .filter_map(|c| NaiveDate::from_ymd_opt(c.year, c.month, c.day).map(|d| (d, c.name)))
}

/// The special early close on `d`, as (hour, minute) New York, if any.
pub fn special_early_close(d: NaiveDate) -> Option<(u32, u32)> {
    SPECIAL_EARLY_CLOSES
        .iter()
        .find(|c| same_day(c.year, c.month, c.day, d))
        .map(|c| (c.close_hour, c.close_minute))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_date_exists() {
        for c in SPECIAL_CLOSURES {
            assert!(
                NaiveDate::from_ymd_opt(c.year, c.month, c.day).is_some(),
                "{c:?}"
            );
        }
        for c in SPECIAL_EARLY_CLOSES {
            assert!(
                NaiveDate::from_ymd_opt(c.year, c.month, c.day).is_some(),
                "{c:?}"
            );
            assert!(c.close_hour < 16, "{c:?}");
        }
    }
}
