//! Session calendars for the data tests, written independently of the crate's NYSE calendar.
//!
//! `Nyse2021To2026` is the published NYSE holiday list typed in by hand; `NyseByRule` derives
//! holidays from the exchange's rules (for the 1995-2015 files). A test checks that the two agree.
#![allow(dead_code)]

use chrono::{Datelike, NaiveDate, Weekday};
use optifire_core::calendar::TradingCalendar;
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

impl TradingCalendar for Nyse2021To2026 {
    fn is_trading_day(&self, day: NaiveDate) -> bool {
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

impl TradingCalendar for AllDays {
    fn is_trading_day(&self, _d: NaiveDate) -> bool {
        true
    }
}

/// The production NYSE calendar (rule-based; checked against published calendars in
/// tests/nyse_calendar.rs) — used for the long histories where no hand-typed list exists.
pub type NyseByRule = optifire_core::calendar::NyseCalendar;

/// NYSE full-day closures of year `y` from the production calendar.
pub fn nyse_holidays_by_rule(y: i32) -> Vec<NaiveDate> {
    optifire_core::calendar::NyseCalendar::new()
        .holidays(y)
        .into_iter()
        .map(|(d, _)| d)
        .collect()
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
