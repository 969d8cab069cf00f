//! Rule-based NYSE full-day holidays, computed for any year.
//!
//! The exchange publishes only three years ahead; deriving the dates from the NYSE Rule 7.2
//! observance rules lets backtests and schedules reach any year without a hand-kept table.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::easter::good_friday;

pub const NEW_YEARS_DAY: &str = "New Year's Day";
pub const MLK_DAY: &str = "Martin Luther King, Jr. Day";
pub const WASHINGTONS_BIRTHDAY: &str = "Washington's Birthday";
pub const GOOD_FRIDAY: &str = "Good Friday";
pub const MEMORIAL_DAY: &str = "Memorial Day";
pub const JUNETEENTH: &str = "Juneteenth National Independence Day";
pub const INDEPENDENCE_DAY: &str = "Independence Day";
pub const LABOR_DAY: &str = "Labor Day";
pub const THANKSGIVING_DAY: &str = "Thanksgiving Day";
pub const CHRISTMAS_DAY: &str = "Christmas Day";

/// First year the NYSE closed for Martin Luther King, Jr. Day.
const MLK_FIRST_YEAR: i32 = 1998;
/// First year the NYSE closed for Juneteenth.
const JUNETEENTH_FIRST_YEAR: i32 = 2022;

/// The `n`-th (1-based) `weekday` of `month` in `year`.
pub fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

/// The last `weekday` of `month` in `year`.
pub fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let mut d = first_next.pred_opt()?;
    while d.weekday() != weekday {
        d = d.pred_opt()?;
    }
    Some(d)
}

/// Saturday moves to the Friday before, Sunday to the Monday after (NYSE Rule 7.2 for fixed-date
/// holidays other than New Year's Day).
fn nearest_weekday(d: NaiveDate) -> Option<NaiveDate> {
    match d.weekday() {
        Weekday::Sat => d.checked_sub_days(Days::new(1)),
        Weekday::Sun => d.checked_add_days(Days::new(1)),
        _ => Some(d),
    }
}

/// New Year's Day: Sunday moves to Monday, but a Saturday New Year's Day is not observed on the
/// previous Friday (that Friday closes the prior year's books), so there is no holiday at all.
fn new_years_day(year: i32) -> Option<NaiveDate> {
    let d = NaiveDate::from_ymd_opt(year, 1, 1)?;
    match d.weekday() {
        Weekday::Sat => None,
        Weekday::Sun => d.checked_add_days(Days::new(1)),
        _ => Some(d),
    }
}

/// The observed rule holidays of `year` (always weekdays), in date order.
///
/// No observed date ever leaves its year: New Year's Day never moves back, and Christmas on a
/// Saturday moves to 24 December.
pub fn rule_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let fixed = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).and_then(nearest_weekday);
    let candidates: [(Option<NaiveDate>, &'static str); 10] = [
        (new_years_day(year), NEW_YEARS_DAY),
        (
            if year >= MLK_FIRST_YEAR {
                nth_weekday(year, 1, Weekday::Mon, 3)
            } else {
                None
            },
            MLK_DAY,
        ),
        (nth_weekday(year, 2, Weekday::Mon, 3), WASHINGTONS_BIRTHDAY),
        (good_friday(year), GOOD_FRIDAY),
        (last_weekday(year, 5, Weekday::Mon), MEMORIAL_DAY),
        (
            if year >= JUNETEENTH_FIRST_YEAR {
                fixed(6, 19)
            } else {
                None
            },
            JUNETEENTH,
        ),
        (fixed(7, 4), INDEPENDENCE_DAY),
        (nth_weekday(year, 9, Weekday::Mon, 1), LABOR_DAY),
        (nth_weekday(year, 11, Weekday::Thu, 4), THANKSGIVING_DAY),
        (fixed(12, 25), CHRISTMAS_DAY),
    ];
    let mut out: Vec<(NaiveDate, &'static str)> = candidates
        .into_iter()
        .filter_map(|(d, name)| d.map(|d| (d, name)))
        .collect();
    out.sort_by_key(|(d, _)| *d);
    out
}

/// The rule holiday observed on `d`, if any.
pub fn rule_holiday(d: NaiveDate) -> Option<&'static str> {
    rule_holidays(d.year())
        .into_iter()
        .find(|(h, _)| *h == d)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn saturday_new_year_is_not_observed() {
        // NYSE 2022 calendar: "New Year's Day — No holiday observed" (1 Jan 2022 was a Saturday;
        // the market traded on Friday 31 Dec 2021).
        assert_eq!(rule_holiday(ymd(2021, 12, 31)), None);
        assert!(rule_holidays(2022).iter().all(|(_, n)| *n != NEW_YEARS_DAY));
        // Sunday 1 Jan 2023 was observed on Monday 2 Jan 2023 (same publication).
        assert_eq!(rule_holiday(ymd(2023, 1, 2)), Some(NEW_YEARS_DAY));
    }

    #[test]
    fn mlk_day_starts_1998_and_juneteenth_2022() {
        // MLK Day 1997 (20 Jan) was a trading day; 1998 (19 Jan) was closed (NYSE history,
        // pandas_market_calendars reference list).
        assert_eq!(rule_holiday(ymd(1997, 1, 20)), None);
        assert_eq!(rule_holiday(ymd(1998, 1, 19)), Some(MLK_DAY));
        // 20 June 2022 (Juneteenth observed) closed; 2021-06-18 open.
        assert_eq!(rule_holiday(ymd(2022, 6, 20)), Some(JUNETEENTH));
        assert_eq!(rule_holiday(ymd(2021, 6, 18)), None);
    }

    #[test]
    fn last_weekday_handles_december() {
        assert_eq!(
            last_weekday(2026, 12, Weekday::Thu),
            Some(ymd(2026, 12, 31))
        );
    }
}
