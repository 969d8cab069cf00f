//! NYSE calendar against the exchange's published holiday and early-close calendars.
//!
//! Reference: NYSE Group press releases "NYSE Group Announces 2022, 2023 and 2024 Holiday and
//! Early Closings Calendar" (27 Dec 2021), "... 2025, 2026 and 2027 ..." (8 Nov 2024) and
//! "... 2026, 2027 and 2028 ..." (23 Dec 2025), as reprinted by Mondo Visione; the 2025 day of
//! mourning for President Carter from the NYSE/ICE notice of 30 Dec 2024. Easter dates from the
//! western Easter table 1990-2050 in python-dateutil's test suite (test_easter.py).

use chrono::{NaiveDate, TimeZone, Utc};
use optifire_core::calendar::{easter_sunday, AlwaysOpen, NyseCalendar, TradingCalendar};
use optifire_core::Timestamp;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
    Timestamp::from(Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap())
}

fn dates(cal: &NyseCalendar, year: i32) -> Vec<NaiveDate> {
    cal.holidays(year).into_iter().map(|(d, _)| d).collect()
}

#[test]
fn published_holidays_2024() {
    let cal = NyseCalendar::new();
    let published = vec![
        ymd(2024, 1, 1),
        ymd(2024, 1, 15),
        ymd(2024, 2, 19),
        ymd(2024, 3, 29),
        ymd(2024, 5, 27),
        ymd(2024, 6, 19),
        ymd(2024, 7, 4),
        ymd(2024, 9, 2),
        ymd(2024, 11, 28),
        ymd(2024, 12, 25),
    ];
    assert_eq!(dates(&cal, 2024), published);
    assert_eq!(
        cal.early_closes(2024),
        vec![ymd(2024, 7, 3), ymd(2024, 11, 29), ymd(2024, 12, 24)]
    );
}

#[test]
fn published_holidays_2025_with_carter_day_of_mourning() {
    let cal = NyseCalendar::new();
    let published = vec![
        ymd(2025, 1, 1),
        ymd(2025, 1, 9), // national day of mourning, President Carter (special closure)
        ymd(2025, 1, 20),
        ymd(2025, 2, 17),
        ymd(2025, 4, 18),
        ymd(2025, 5, 26),
        ymd(2025, 6, 19),
        ymd(2025, 7, 4),
        ymd(2025, 9, 1),
        ymd(2025, 11, 27),
        ymd(2025, 12, 25),
    ];
    assert_eq!(dates(&cal, 2025), published);
    assert_eq!(
        cal.early_closes(2025),
        vec![ymd(2025, 7, 3), ymd(2025, 11, 28), ymd(2025, 12, 24)]
    );
    assert!(cal
        .holiday_name(ymd(2025, 1, 9))
        .unwrap()
        .contains("Carter"));
}

#[test]
fn published_holidays_2026() {
    let cal = NyseCalendar::new();
    let published = vec![
        ymd(2026, 1, 1),
        ymd(2026, 1, 19),
        ymd(2026, 2, 16),
        ymd(2026, 4, 3),
        ymd(2026, 5, 25),
        ymd(2026, 6, 19),
        ymd(2026, 7, 3), // Independence Day observed (4 July is a Saturday)
        ymd(2026, 9, 7),
        ymd(2026, 11, 26),
        ymd(2026, 12, 25),
    ];
    assert_eq!(dates(&cal, 2026), published);
    // No early close around 4 July: 3 July is the holiday itself, 2 July is a full day.
    assert_eq!(
        cal.early_closes(2026),
        vec![ymd(2026, 11, 27), ymd(2026, 12, 24)]
    );
    assert_eq!(cal.holiday_name(ymd(2026, 7, 3)), Some("Independence Day"));
    assert!(!cal.is_early_close(ymd(2026, 7, 2)));
}

#[test]
fn published_holidays_2027() {
    let cal = NyseCalendar::new();
    let published = vec![
        ymd(2027, 1, 1),
        ymd(2027, 1, 18),
        ymd(2027, 2, 15),
        ymd(2027, 3, 26),
        ymd(2027, 5, 31),
        ymd(2027, 6, 18), // Juneteenth observed (19 June is a Saturday)
        ymd(2027, 7, 5),  // Independence Day observed (4 July is a Sunday)
        ymd(2027, 9, 6),
        ymd(2027, 11, 25),
        ymd(2027, 12, 24), // Christmas observed (25 December is a Saturday)
    ];
    assert_eq!(dates(&cal, 2027), published);
    // The only published early close of 2027 is the day after Thanksgiving.
    assert_eq!(cal.early_closes(2027), vec![ymd(2027, 11, 26)]);
    assert!(!cal.is_early_close(ymd(2027, 7, 2)));
    assert!(!cal.is_early_close(ymd(2027, 12, 23)));
}

#[test]
fn published_2028_new_year_on_saturday_not_observed() {
    // 2028 release: "Because the holiday falls on Saturday, January 1, 2028, no New Year's Day
    // holiday is observed"; early close Monday 3 July 2028.
    let cal = NyseCalendar::new();
    assert!(cal.is_trading_day(ymd(2027, 12, 31)));
    assert!(!cal.is_early_close(ymd(2027, 12, 31)));
    let h = dates(&cal, 2028);
    assert_eq!(h[0], ymd(2028, 1, 17));
    assert!(h.contains(&ymd(2028, 4, 14)));
    assert!(h.contains(&ymd(2028, 6, 19)));
    assert!(h.contains(&ymd(2028, 7, 4)));
    assert!(cal.is_early_close(ymd(2028, 7, 3)));
}

#[test]
fn published_2022_2023_observances() {
    // 2022-2024 release: 2022 New Year not observed, Juneteenth Mon 20 June 2022, Christmas
    // Mon 26 Dec 2022; 2023 New Year Mon 2 Jan; early close Mon 3 July 2023.
    let cal = NyseCalendar::new();
    assert!(dates(&cal, 2022).contains(&ymd(2022, 6, 20)));
    assert!(dates(&cal, 2022).contains(&ymd(2022, 12, 26)));
    assert!(!dates(&cal, 2022).contains(&ymd(2022, 1, 1)));
    assert_eq!(dates(&cal, 2023)[0], ymd(2023, 1, 2));
    assert!(cal.is_early_close(ymd(2023, 7, 3)));
}

#[test]
fn historical_observances_from_quantconnect_nyse_table() {
    // QuantConnect LEAN US-equity holiday table (taken from the NYSE website), 1998-2007 rows.
    let cal = NyseCalendar::new();
    for d in [
        ymd(1998, 7, 3),   // 4 July on Saturday
        ymd(1999, 7, 5),   // 4 July on Sunday
        ymd(1999, 12, 24), // Christmas on Saturday
        ymd(2004, 12, 24),
        ymd(2005, 12, 26), // Christmas on Sunday
        ymd(2006, 1, 2),   // New Year on Sunday
        ymd(2002, 3, 29),
        ymd(2005, 3, 25),
    ] {
        assert!(!cal.is_trading_day(d), "{d}");
    }
    // 1 January 2005 was a Saturday: Friday 31 December 2004 traded.
    assert!(cal.is_trading_day(ymd(2004, 12, 31)));
}

#[test]
fn historical_special_closures() {
    let cal = NyseCalendar::new();
    for d in [
        ymd(2001, 9, 11),
        ymd(2001, 9, 12),
        ymd(2001, 9, 13),
        ymd(2001, 9, 14),
        ymd(2012, 10, 29),
        ymd(2012, 10, 30),
        ymd(2018, 12, 5),
        ymd(2004, 6, 11),
        ymd(2007, 1, 2),
    ] {
        assert!(!cal.is_trading_day(d), "{d} should be closed");
        assert!(cal.holiday_name(d).is_some());
    }
    assert!(cal.is_trading_day(ymd(2001, 9, 17)));
}

/// Western Easter Sundays 1990-2050, copied from python-dateutil's `test_easter.py` table.
const EASTER_1990_2050: &str = "
1990-04-15 1991-03-31 1992-04-19 1993-04-11 1994-04-03 1995-04-16 1996-04-07 1997-03-30
1998-04-12 1999-04-04 2000-04-23 2001-04-15 2002-03-31 2003-04-20 2004-04-11 2005-03-27
2006-04-16 2007-04-08 2008-03-23 2009-04-12 2010-04-04 2011-04-24 2012-04-08 2013-03-31
2014-04-20 2015-04-05 2016-03-27 2017-04-16 2018-04-01 2019-04-21 2020-04-12 2021-04-04
2022-04-17 2023-04-09 2024-03-31 2025-04-20 2026-04-05 2027-03-28 2028-04-16 2029-04-01
2030-04-21 2031-04-13 2032-03-28 2033-04-17 2034-04-09 2035-03-25 2036-04-13 2037-04-05
2038-04-25 2039-04-10 2040-04-01 2041-04-21 2042-04-06 2043-03-29 2044-04-17 2045-04-09
2046-03-25 2047-04-14 2048-04-05 2049-04-18 2050-04-10";

#[test]
fn good_friday_matches_published_easter_table() {
    let cal = NyseCalendar::new();
    let mut n = 0;
    for text in EASTER_1990_2050.split_whitespace() {
        use chrono::Datelike;
        let e = NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        assert_eq!(easter_sunday(e.year()), Some(e), "{e}");
        let gf = e - chrono::Days::new(2);
        assert_eq!(cal.holiday_name(gf), Some("Good Friday"), "{gf}");
        assert!(cal.holidays(e.year()).contains(&(gf, "Good Friday")));
        n += 1;
    }
    assert_eq!(n, 61);
}

#[test]
fn historical_early_closes() {
    // pandas_market_calendars NYSE early-close rules and lists (from the NYSE closings record):
    // 3 July on Mon/Tue/Thu since 1995 and on Wed since 2013; Friday 5 July 1996-2012;
    // Christmas Eve Mon-Thu since 1999; 14:00 closes on Christmas Eve 1990-1992.
    let cal = NyseCalendar::new();
    for d in [
        ymd(2012, 7, 3),
        ymd(2002, 7, 5),
        ymd(2013, 7, 3),
        ymd(2001, 12, 24),
        ymd(1997, 12, 26),
        ymd(2003, 12, 26),
        ymd(1993, 11, 26),
    ] {
        assert!(cal.is_early_close(d), "{d}");
        assert_eq!(cal.session(d).unwrap().close, new_york(d, 13));
    }
    for d in [
        ymd(2002, 7, 3),
        ymd(2019, 7, 5),
        ymd(2011, 7, 1),
        ymd(2021, 7, 2),
    ] {
        assert!(!cal.is_early_close(d), "{d}");
    }
    let d = ymd(1992, 12, 24);
    assert_eq!(cal.session(d).unwrap().close, new_york(d, 14));
}

fn new_york(d: NaiveDate, hour: u32) -> Timestamp {
    use chrono_tz::America::New_York;
    Timestamp::from_datetime(
        &New_York
            .from_local_datetime(&d.and_hms_opt(hour, 0, 0).unwrap())
            .unwrap(),
    )
}

#[test]
fn session_open_in_utc_across_dst() {
    // US DST (Energy Policy Act 2005): second Sunday of March to first Sunday of November.
    // 2026: DST starts 8 March, ends 1 November. 09:30 EST = 14:30 UTC, 09:30 EDT = 13:30 UTC.
    let cal = NyseCalendar::new();
    let fri = cal.session(ymd(2026, 3, 6)).unwrap();
    assert_eq!(fri.open, utc(2026, 3, 6, 14, 30));
    assert_eq!(fri.close, utc(2026, 3, 6, 21, 0));
    let mon = cal.session(ymd(2026, 3, 9)).unwrap();
    assert_eq!(mon.open, utc(2026, 3, 9, 13, 30));
    assert_eq!(mon.close, utc(2026, 3, 9, 20, 0));
    let fri = cal.session(ymd(2026, 10, 30)).unwrap();
    assert_eq!(fri.open, utc(2026, 10, 30, 13, 30));
    let mon = cal.session(ymd(2026, 11, 2)).unwrap();
    assert_eq!(mon.open, utc(2026, 11, 2, 14, 30));
    // Day after Thanksgiving 2026 closes at 13:00 EST = 18:00 UTC.
    let bf = cal.session(ymd(2026, 11, 27)).unwrap();
    assert!(bf.early_close);
    assert_eq!(bf.close, utc(2026, 11, 27, 18, 0));
    assert!(cal.session(ymd(2026, 11, 26)).is_none());
}

#[test]
fn open_next_and_previous_sessions() {
    let cal = NyseCalendar::new();
    // Wed 24 Dec 2025 early close (13:00 EST = 18:00 UTC); Thu 25 closed; Fri 26 open.
    assert!(cal.is_open_at(utc(2025, 12, 24, 14, 30)));
    assert!(cal.is_open_at(utc(2025, 12, 24, 17, 59)));
    assert!(!cal.is_open_at(utc(2025, 12, 24, 18, 0)));
    assert!(!cal.is_open_at(utc(2025, 12, 24, 14, 29)));
    assert!(!cal.is_open_at(utc(2025, 12, 25, 15, 0)));
    let next = cal.next_session(utc(2025, 12, 24, 14, 30)).unwrap();
    assert_eq!(next.date, ymd(2025, 12, 26));
    assert_eq!(next.open, utc(2025, 12, 26, 14, 30));
    // One nanosecond before the open, the next session is today's.
    let t = utc(2025, 12, 26, 14, 30).plus_nanos(-1);
    assert_eq!(cal.next_session(t).unwrap().date, ymd(2025, 12, 26));
    // During Christmas Day the previous session is 24 Dec; at the 26 Dec open it is 26 Dec.
    let p = cal
        .previous_or_current_session(utc(2025, 12, 25, 15, 0))
        .unwrap();
    assert_eq!(p.date, ymd(2025, 12, 24));
    let p = cal
        .previous_or_current_session(utc(2025, 12, 26, 14, 30))
        .unwrap();
    assert_eq!(p.date, ymd(2025, 12, 26));
    // Easter weekend 2026: Thu 2 April → Mon 6 April.
    assert_eq!(
        cal.trading_days(ymd(2026, 4, 2), ymd(2026, 4, 6)),
        vec![ymd(2026, 4, 2), ymd(2026, 4, 6)]
    );
}

#[test]
fn trading_day_count_2025() {
    // 365 days - 104 weekend days - 10 weekday holidays - Carter day = 250 (NYSE 2025 had 250
    // trading days).
    let cal = NyseCalendar::new();
    assert_eq!(
        cal.trading_days(ymd(2025, 1, 1), ymd(2025, 12, 31)).len(),
        250
    );
}

#[test]
fn dyn_trading_calendar() {
    let cals: Vec<Box<dyn TradingCalendar>> =
        vec![Box::new(NyseCalendar::new()), Box::new(AlwaysOpen)];
    let sat = ymd(2026, 11, 28);
    assert!(!cals[0].is_trading_day(sat));
    assert!(cals[1].is_trading_day(sat));
}

#[test]
fn rules_hold_for_far_years() {
    let cal = NyseCalendar::new();
    for year in 1990..=2200 {
        let h = cal.holidays(year);
        let rules = optifire_core::calendar::rule_holidays(year).len();
        assert!((7..=10).contains(&rules), "{year}: {h:?}");
        for (d, _) in &h {
            assert!(!cal.is_trading_day(*d));
            assert!(!cal.is_early_close(*d));
        }
        assert!(cal.early_closes(year).len() <= 4, "{year}");
    }
}
