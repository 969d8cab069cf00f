//! Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
//!
//! Good Friday is the one NYSE holiday tied to the lunar calendar, so it is computed here
//! rather than looked up, which keeps the calendar valid for any Gregorian year.

use chrono::NaiveDate;

/// Easter Sunday of `year` in the Gregorian calendar; `None` before 1583 (no Gregorian Easter)
/// or when chrono cannot represent the date.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    if year < 1583 {
        return None;
    }
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Good Friday, two days before Easter Sunday.
pub fn good_friday(year: i32) -> Option<NaiveDate> {
    easter_sunday(year)?.checked_sub_days(chrono::Days::new(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn extreme_dates_of_easter() {
        // Earliest and latest possible Easter dates (22 March 2285, 25 April 2038), from the
        // published table of Easter dates (e.g. Wikipedia "List of dates for Easter").
        assert_eq!(easter_sunday(2285), Some(ymd(2285, 3, 22)));
        assert_eq!(easter_sunday(2038), Some(ymd(2038, 4, 25)));
        assert_eq!(good_friday(2038), Some(ymd(2038, 4, 23)));
    }

    #[test]
    fn no_gregorian_easter_before_1583() {
        assert_eq!(easter_sunday(1582), None);
    }
}
