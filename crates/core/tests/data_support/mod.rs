//! Session calendars for the data tests, written independently of the crate's NYSE calendar.
//!
//! `Nyse2021To2026` is the published NYSE holiday list typed in by hand; `NyseByRule` derives
//! holidays from the exchange's rules (for the 1995-2015 files). A test checks that the two agree.
#![allow(dead_code)]

use chrono::{Datelike, NaiveDate, Weekday};
use optifire_core::data::SessionCalendar;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::LazyLock;

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// NYSE full-day closures 2021-2026 as published by the exchange (including the national day of
/// mourning for President Carter, 2025-01-09).
pub const NYSE_HOLIDAYS_2021_2026: &[&str] = &[
    "2021-01-01",
    "2021-01-18",
    "2021-02-15",
    "2021-04-02",
    "2021-05-31",
    "2021-07-05",
    "2021-09-06",
    "2021-11-25",
    "2021-12-24", //
    "2022-01-17",
    "2022-02-21",
    "2022-04-15",
    "2022-05-30",
    "2022-06-20",
    "2022-07-04",
    "2022-09-05",
    "2022-11-24",
    "2022-12-26", //
    "2023-01-02",
    "2023-01-16",
    "2023-02-20",
    "2023-04-07",
    "2023-05-29",
    "2023-06-19",
    "2023-07-04",
    "2023-09-04",
    "2023-11-23",
    "2023-12-25", //
    "2024-01-01",
    "2024-01-15",
    "2024-02-19",
    "2024-03-29",
    "2024-05-27",
    "2024-06-19",
    "2024-07-04",
    "2024-09-02",
    "2024-11-28",
    "2024-12-25", //
    "2025-01-01",
    "2025-01-09",
    "2025-01-20",
    "2025-02-17",
    "2025-04-18",
    "2025-05-26",
    "2025-06-19",
    "2025-07-04",
    "2025-09-01",
    "2025-11-27",
    "2025-12-25", //
    "2026-01-01",
    "2026-01-19",
    "2026-02-16",
    "2026-04-03",
    "2026-05-25",
    "2026-06-19",
    "2026-07-03",
    "2026-09-07",
    "2026-11-26",
    "2026-12-25",
];

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Weekdays minus the hand-typed holiday list; panics outside 2021-2026 so it is never used
/// where it does not know the holidays.
#[derive(Debug)]
pub struct Nyse2021To2026;

impl SessionCalendar for Nyse2021To2026 {
    fn is_session(&self, day: NaiveDate) -> bool {
        static HOLIDAYS: LazyLock<HashSet<NaiveDate>> =
            LazyLock::new(|| NYSE_HOLIDAYS_2021_2026.iter().map(|h| d(h)).collect());
        assert!(
            (2021..=2026).contains(&day.year()),
            "no holiday list for {day}"
        );
        is_weekday(day) && !HOLIDAYS.contains(&day)
    }
}

/// Every calendar day (crypto).
#[derive(Debug)]
pub struct AllDays;

impl SessionCalendar for AllDays {
    fn is_session(&self, _d: NaiveDate) -> bool {
        true
    }
}

/// Easter Sunday, anonymous Gregorian algorithm (Meeus/Jones/Butcher).
fn easter(y: i32) -> NaiveDate {
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let dd = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - dd - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(y, month as u32, day as u32).unwrap()
}

fn nth_weekday(y: i32, m: u32, wd: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(y, m, wd, n).unwrap()
}

fn last_monday_of_may(y: i32) -> NaiveDate {
    let mut day = NaiveDate::from_ymd_opt(y, 5, 31).unwrap();
    while day.weekday() != Weekday::Mon {
        day = day.pred_opt().unwrap();
    }
    day
}

/// Saturday holidays move to Friday, Sunday holidays to Monday.
fn observed(day: NaiveDate) -> NaiveDate {
    match day.weekday() {
        Weekday::Sat => day.pred_opt().unwrap(),
        Weekday::Sun => day.succ_opt().unwrap(),
        _ => day,
    }
}

/// Unscheduled full-day closures (national mourning, 9/11, hurricane Sandy).
const SPECIAL_CLOSURES: &[&str] = &[
    "1994-04-27",
    "2001-09-11",
    "2001-09-12",
    "2001-09-13",
    "2001-09-14",
    "2004-06-11",
    "2007-01-02",
    "2012-10-29",
    "2012-10-30",
    "2018-12-05",
    "2025-01-09",
];

/// NYSE holidays of year `y` from the exchange's rules (valid from 1993 on).
pub fn nyse_holidays_by_rule(y: i32) -> Vec<NaiveDate> {
    let ymd = |m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let mut out = Vec::new();
    // New Year's Day on a Saturday is not moved to the previous Friday.
    let ny = ymd(1, 1);
    if ny.weekday() != Weekday::Sat {
        out.push(observed(ny));
    }
    if y >= 1998 {
        out.push(nth_weekday(y, 1, Weekday::Mon, 3));
    }
    out.push(nth_weekday(y, 2, Weekday::Mon, 3));
    out.push(easter(y) - chrono::Days::new(2));
    out.push(last_monday_of_may(y));
    if y >= 2022 {
        out.push(observed(ymd(6, 19)));
    }
    out.push(observed(ymd(7, 4)));
    out.push(nth_weekday(y, 9, Weekday::Mon, 1));
    out.push(nth_weekday(y, 11, Weekday::Thu, 4));
    out.push(observed(ymd(12, 25)));
    out.extend(
        SPECIAL_CLOSURES
            .iter()
            .map(|s| d(s))
            .filter(|h| h.year() == y),
    );
    out.sort();
    out
}

#[derive(Debug)]
pub struct NyseByRule;

impl SessionCalendar for NyseByRule {
    fn is_session(&self, day: NaiveDate) -> bool {
        static HOLIDAYS: LazyLock<HashSet<NaiveDate>> =
            LazyLock::new(|| (1993..=2030).flat_map(nyse_holidays_by_rule).collect());
        assert!((1993..=2030).contains(&day.year()), "no holidays for {day}");
        is_weekday(day) && !HOLIDAYS.contains(&day)
    }
}

/// `crates/core/tests/data/<name>`.
pub fn test_data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The repository's bundled daily bars, `data/sample/`.
pub fn sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/sample")
}
