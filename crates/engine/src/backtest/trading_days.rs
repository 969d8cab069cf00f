//! The NYSE calendar with each year's closures worked out once, for code that asks about
//! thousands of dates (validating a 20-year file, the metrics' check of every daily point).
//!
//! `NyseCalendar::is_trading_day` recomputes the year's rule holidays on every call; this gives
//! the same answers (a weekday is a trading day unless it is among `NyseCalendar::holidays` of
//! its year: the rule holidays and special closures `is_trading_day` checks) from a table.

use chrono::{Datelike, NaiveDate, Weekday};
use optifire_core::calendar::{NyseCalendar, TradingCalendar};

/// NYSE trading days from a table of closures for `first_year..=last_year`; dates outside it
/// are asked of `NyseCalendar` directly.
#[derive(Debug, Clone)]
pub struct NyseYears {
    first_year: i32,
    /// Closures of each year, in date order.
    closed: Vec<Vec<NaiveDate>>,
}

impl NyseYears {
    /// The table for the years of `first..=last`.
    pub fn covering(first: NaiveDate, last: NaiveDate) -> Self {
        let nyse = NyseCalendar::new();
        let (a, b) = (first.year(), last.year().max(first.year()));
        NyseYears {
            first_year: a,
            closed: (a..=b)
                .map(|y| nyse.holidays(y).into_iter().map(|(d, _)| d).collect())
                .collect(),
        }
    }
}

impl TradingCalendar for NyseYears {
    fn is_trading_day(&self, d: NaiveDate) -> bool {
        if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            return false;
        }
        let year = usize::try_from(d.year() - self.first_year)
            .ok()
            .and_then(|i| self.closed.get(i));
        match year {
            Some(closed) => !closed.contains(&d),
            None => NyseCalendar::new().is_trading_day(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_calendar_inside_and_outside_its_years() {
        // Every day of 1985-2035 against a table for 1990-2030: weekends, rule holidays,
        // special closures (2001-09-11, 2012-10-29), observed-day shifts around New Year.
        let nyse = NyseCalendar::new();
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let table = NyseYears::covering(ymd(1990, 3, 1), ymd(2030, 6, 30));
        let mut closed_weekdays = 0;
        for d in ymd(1985, 1, 1)
            .iter_days()
            .take_while(|d| *d <= ymd(2035, 12, 31))
        {
            assert_eq!(table.is_trading_day(d), nyse.is_trading_day(d), "{d}");
            if !nyse.is_trading_day(d) && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                closed_weekdays += 1;
            }
        }
        // About nine holidays a year, plus the special closures.
        assert!(closed_weekdays > 450, "{closed_weekdays}");
        assert!(!table.is_trading_day(ymd(2001, 9, 11)));
        assert!(!table.is_trading_day(ymd(2012, 10, 29)));
    }
}
