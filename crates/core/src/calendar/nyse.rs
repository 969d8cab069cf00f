//! The NYSE calendar: which days trade, which are holidays, which close early.
//!
//! Combines the rule holidays, the rule early closes and the one-off special days into one
//! cheap value that the scheduler, the backtester and the data layer can all share.

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use std::sync::OnceLock;

use super::early_close::{rule_early_close, RULE_EARLY_CLOSE};
use super::holidays::{rule_holiday, rule_holidays};
use super::special::{special_closure, special_closures_in, special_early_close};
use super::TradingCalendar;

/// Regular session open, New York time.
pub const REGULAR_OPEN: (u32, u32) = (9, 30);
/// Regular session close, New York time.
pub const REGULAR_CLOSE: (u32, u32) = (16, 0);

/// The New York Stock Exchange calendar (America/New_York). Stateless: every answer is
/// computed from the rules and the special-day data, so it is free to clone and share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NyseCalendar;

impl NyseCalendar {
    pub fn new() -> Self {
        NyseCalendar
    }

    /// Weekdays that are neither a holiday nor a special closure.
    pub fn is_trading_day(&self, d: NaiveDate) -> bool {
        if is_weekend(d) {
            return false;
        }
        match closed_days(d.year()) {
            Some(closed) => {
                let day = d.ordinal0() as usize;
                closed[day / 64] & (1 << (day % 64)) == 0
            }
            None => self.holiday_name(d).is_none(),
        }
    }

    /// The name of the full-day closure observed on `d` (rule holiday or special closure), or
    /// `None` for trading days and plain weekends.
    pub fn holiday_name(&self, d: NaiveDate) -> Option<&'static str> {
        if is_weekend(d) {
            return None;
        }
        rule_holiday(d).or_else(|| special_closure(d))
    }

    /// Whether `d` is a trading day that closes before 16:00.
    pub fn is_early_close(&self, d: NaiveDate) -> bool {
        self.early_close_time(d).is_some()
    }

    /// The early close time (New York) of trading day `d`, or `None` for a full day or a
    /// non-trading day.
    pub fn early_close_time(&self, d: NaiveDate) -> Option<NaiveTime> {
        if !self.is_trading_day(d) {
            return None;
        }
        let (h, m) =
            special_early_close(d).or_else(|| rule_early_close(d).then_some(RULE_EARLY_CLOSE))?;
        NaiveTime::from_hms_opt(h, m, 0)
    }

    /// The session close time (New York) of trading day `d`; `None` if `d` does not trade.
    pub fn close_time(&self, d: NaiveDate) -> Option<NaiveTime> {
        if !self.is_trading_day(d) {
            return None;
        }
        match self.early_close_time(d) {
            Some(t) => Some(t),
            None => NaiveTime::from_hms_opt(REGULAR_CLOSE.0, REGULAR_CLOSE.1, 0),
        }
    }

    /// Trading days from `from` to `to`, both inclusive; empty when `from > to`.
    pub fn trading_days(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        from.iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| self.is_trading_day(*d))
            .collect()
    }

    /// All full-day closures on weekdays in `year` (rule holidays and special closures), in
    /// date order.
    pub fn holidays(&self, year: i32) -> Vec<(NaiveDate, &'static str)> {
        let mut out = rule_holidays(year);
        for (d, name) in special_closures_in(year) {
            if !is_weekend(d) && !out.iter().any(|(h, _)| *h == d) {
                out.push((d, name));
            }
        }
        out.sort_by_key(|(d, _)| *d);
        out
    }

    /// All early-close trading days of `year`, in date order.
    pub fn early_closes(&self, year: i32) -> Vec<NaiveDate> {
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return Vec::new();
        };
        first
            .iter_days()
            .take_while(|d| *d <= last)
            .filter(|d| self.is_early_close(*d))
            .collect()
    }

    /// The next trading day strictly after `d` (searches at most a year ahead).
    pub fn next_trading_day(&self, d: NaiveDate) -> Option<NaiveDate> {
        d.iter_days()
            .skip(1)
            .take(366)
            .find(|x| self.is_trading_day(*x))
    }

    /// The last trading day strictly before `d` (searches at most a year back).
    pub fn previous_trading_day(&self, d: NaiveDate) -> Option<NaiveDate> {
        let mut x = d;
        for _ in 0..366 {
            x = x.pred_opt()?;
            if self.is_trading_day(x) {
                return Some(x);
            }
        }
        None
    }
}

impl TradingCalendar for NyseCalendar {
    fn is_trading_day(&self, d: NaiveDate) -> bool {
        NyseCalendar::is_trading_day(self, d)
    }

    /// A year at a time, 64 days to a word: the year's weekdays (a seven-day pattern) without
    /// its closures, copied into place; a day-by-day answer only for years outside the table.
    fn session_bits(&self, first: NaiveDate, len: usize) -> Vec<u64> {
        let mut bits = vec![0u64; len.div_ceil(64)];
        let mut k = 0;
        let mut from = Some(first);
        while let Some(start) = from.filter(|_| k < len) {
            let year = start.year();
            let days_in_year = if start.leap_year() { 366 } else { 365 };
            let ordinal0 = start.ordinal0() as usize;
            let n = (days_in_year - ordinal0).min(len - k);
            match closed_days(year) {
                Some(closed) => {
                    // Weekday of January 1st, from Monday.
                    let jan1 =
                        (start.weekday().num_days_from_monday() as usize + 7 * 53 - ordinal0) % 7;
                    let mut open = [0u64; 6];
                    for (w, word) in open.iter_mut().enumerate() {
                        *word = WEEKDAYS[(jan1 + 64 * w) % 7] & !closed[w];
                    }
                    copy_bits(&open, ordinal0, n, &mut bits, k);
                }
                None => {
                    for j in 0..n {
                        let open = start
                            .with_ordinal0((ordinal0 + j) as u32)
                            .is_some_and(|d| self.is_trading_day(d));
                        bits[(k + j) / 64] |= u64::from(open) << ((k + j) % 64);
                    }
                }
            }
            k += n;
            from = NaiveDate::from_yo_opt(year + 1, 1);
        }
        bits
    }
}

/// `WEEKDAYS[p]`: bit `j` set when day `j` of a run whose day 0 is `p` days after a Monday
/// falls on Monday to Friday.
const WEEKDAYS: [u64; 7] = {
    let mut table = [0u64; 7];
    let mut p = 0;
    while p < 7 {
        let mut j = 0;
        while j < 64 {
            if (p + j) % 7 < 5 {
                table[p] |= 1 << j;
            }
            j += 1;
        }
        p += 1;
    }
    table
};

/// Bits `from..from + n` of `src` into bits `at..at + n` of `dst` (OR'd; the rest of `dst`
/// is left as it is). Bits past `src`'s end read as zero.
fn copy_bits(src: &[u64], from: usize, n: usize, dst: &mut [u64], at: usize) {
    let bits_at = |p: usize| -> u64 {
        let (w, b) = (p / 64, p % 64);
        let low = src.get(w).map_or(0, |x| x >> b);
        let high = if b == 0 {
            0
        } else {
            src.get(w + 1).map_or(0, |x| x << (64 - b))
        };
        low | high
    };
    let mut done = 0;
    while done < n {
        // Up to the end of the destination word.
        let d = at + done;
        let take = (64 - d % 64).min(n - done);
        let chunk = bits_at(from + done) & (u64::MAX >> (64 - take));
        dst[d / 64] |= chunk << (d % 64);
        done += take;
    }
}

/// First year of the closure table; years outside it are worked out on every call.
const TABLE_FIRST_YEAR: i32 = 1900;
/// Years in the closure table (1900-2199).
const TABLE_YEARS: usize = 300;

/// Each year's full-day closures as a bit per day of the year (bit `ordinal0`), worked out on
/// the first question about that year: the backtester, the validator and the metrics ask about
/// every day of a 20-year file, and the rule holidays of a year cost far more than a lookup.
static CLOSED: [OnceLock<[u64; 6]>; TABLE_YEARS] = [const { OnceLock::new() }; TABLE_YEARS];

/// The closures of `year` (`NyseCalendar::holidays`), or `None` outside the table.
fn closed_days(year: i32) -> Option<&'static [u64; 6]> {
    let i = usize::try_from(year.checked_sub(TABLE_FIRST_YEAR)?).ok()?;
    let cell = CLOSED.get(i)?;
    Some(cell.get_or_init(|| {
        let mut bits = [0u64; 6];
        for (d, _) in NyseCalendar.holidays(year) {
            let day = d.ordinal0() as usize;
            bits[day / 64] |= 1 << (day % 64);
        }
        bits
    }))
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_table_gives_the_rules_answers() {
        // Every day of 1850-2250: before, across and after the table, against the rules and
        // special days themselves.
        let cal = NyseCalendar::new();
        let start = NaiveDate::from_ymd_opt(1850, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2250, 12, 31).unwrap();
        let mut closed_weekdays = 0;
        for d in start.iter_days().take_while(|d| *d <= end) {
            let by_rule = !is_weekend(d) && cal.holiday_name(d).is_none();
            assert_eq!(cal.is_trading_day(d), by_rule, "{d}");
            if !is_weekend(d) && !by_rule {
                closed_weekdays += 1;
            }
        }
        assert!(closed_weekdays > 3000, "{closed_weekdays}");
        for (y, m, d) in [(2001, 9, 11), (2012, 10, 29), (2025, 1, 9), (2024, 12, 25)] {
            assert!(!cal.is_trading_day(NaiveDate::from_ymd_opt(y, m, d).unwrap()));
        }
    }

    /// The calendar without its own `session_bits`.
    #[derive(Debug)]
    struct ByDay(NyseCalendar);
    impl TradingCalendar for ByDay {
        fn is_trading_day(&self, d: NaiveDate) -> bool {
            self.0.is_trading_day(d)
        }
    }

    #[test]
    fn session_bits_are_the_day_by_day_answers() {
        let cal = NyseCalendar::new();
        let mut rng = fastrand::Rng::with_seed(23);
        let mut cases: Vec<(NaiveDate, usize)> = vec![
            (NaiveDate::from_ymd_opt(1995, 1, 3).unwrap(), 7300),
            (NaiveDate::from_ymd_opt(1899, 12, 1).unwrap(), 900),
            (NaiveDate::from_ymd_opt(2199, 6, 1).unwrap(), 500),
            (NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(), 0),
            (NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(), 1),
            (NaiveDate::MAX - chrono::Days::new(40), 100),
        ];
        for _ in 0..300 {
            let year = rng.i32(1850..2250);
            let day = NaiveDate::from_yo_opt(year, rng.u32(1..366)).unwrap();
            cases.push((day, rng.usize(0..1500)));
        }
        for (first, len) in cases {
            // The trait's own answer, one `is_trading_day` a day.
            let want = ByDay(cal).session_bits(first, len);
            assert_eq!(cal.session_bits(first, len), want, "{first} + {len}");
        }
    }
}
