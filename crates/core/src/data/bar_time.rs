//! When a row's bar became known: the timestamp every bar carries.
//!
//! `Bar.ts` is the instant the bar's values were final (its close), never its start, so a backtest
//! that only sees bars with `ts <= now` can never peek at a close that had not happened yet.

use crate::Timestamp;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone};
use chrono_tz::America::New_York;
use chrono_tz::Tz;

/// The instant a daily bar closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DailyClose {
    /// 16:00 America/New_York on the session date: the regular NYSE close. On 13:00 early-close
    /// days (e.g. the day after Thanksgiving) the bar is final three hours earlier, so 16:00 is
    /// late but never early: conservative against look-ahead. DST is handled by the time zone.
    ExchangeClose,
    /// The end of the UTC day (next day 00:00 UTC): the day boundary of crypto daily candles.
    UtcDayEnd,
}

impl DailyClose {
    /// The instant the daily bar of `date` became known.
    pub fn known_at(self, date: NaiveDate) -> Option<Timestamp> {
        match self {
            DailyClose::ExchangeClose => {
                let local = date.and_time(NaiveTime::from_hms_opt(16, 0, 0)?);
                // 16:00 is never inside a DST transition (those happen at 02:00), so `single` holds.
                let dt = New_York.from_local_datetime(&local).single()?;
                Some(Timestamp::from_datetime(&dt))
            }
            DailyClose::UtcDayEnd => {
                let next = date.succ_opt()?.and_time(NaiveTime::MIN);
                Some(Timestamp::from_datetime(&next.and_utc()))
            }
        }
    }
}

/// Days over which New York's UTC offset at 16:00 changes at most once (a test checks this
/// against the time-zone database for 1800 to 2262: the closest two changes are 70 days apart,
/// 1973-10-28 and 1974-01-06, the energy-crisis winter; all others at least 119).
const SPAN_DAYS: u64 = 63;

/// `DailyClose::known_at` for many dates, asking the time-zone database about twice in nine
/// weeks instead of once a date: when the 16:00 offset is the same on a date and `SPAN_DAYS`
/// later, it did not change in between (it changes at most once in that span), so every date
/// in between closes at its UTC midnight plus the same number of seconds; when it differs,
/// bisection finds the last date before the change. A daily file's rows are consecutive
/// dates, so most rows fall in the span last worked out.
#[derive(Clone, Debug)]
pub(crate) struct KnownAtMemo {
    rule: DailyClose,
    /// First and last date (as days since the Unix epoch) of the span, and the close's
    /// seconds after UTC midnight on each of its dates.
    span: Option<(i64, i64, i64)>,
    /// The span after a change of offset found just past `span`, before a date reached it.
    next: Option<(i64, i64, i64)>,
}

/// Days from 0001-01-01 (chrono's day 1) to the Unix epoch.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

pub(crate) fn epoch_day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - EPOCH_DAYS_FROM_CE
}

impl KnownAtMemo {
    pub(crate) fn new(rule: DailyClose) -> Self {
        KnownAtMemo {
            rule,
            span: None,
            next: None,
        }
    }

    /// Exactly `self.rule.known_at(date)`.
    pub(crate) fn known_at(&mut self, date: NaiveDate) -> Option<Timestamp> {
        if self.rule != DailyClose::ExchangeClose {
            return self.rule.known_at(date);
        }
        self.known_at_day(date, epoch_day(date))
    }

    /// `known_at(date)` when the caller already has `date` as days since the Unix epoch
    /// (`day`), sparing chrono's day count.
    pub(crate) fn known_at_day(&mut self, date: NaiveDate, day: i64) -> Option<Timestamp> {
        if self.rule != DailyClose::ExchangeClose {
            return self.rule.known_at(date);
        }
        let secs_of = |day: i64, ts: Timestamp| ts.0.div_euclid(1_000_000_000) - day * 86_400;
        if let Some(next @ (first, last, secs)) = self.next {
            if (first..=last).contains(&day) {
                (self.span, self.next) = (Some(next), None);
                return Some(Timestamp::from_secs(day * 86_400 + secs));
            }
        }
        if let Some((first, last, secs)) = self.span {
            if (first..=last).contains(&day) {
                return Some(Timestamp::from_secs(day * 86_400 + secs));
            }
            // A date in the `SPAN_DAYS` after the span: the close `SPAN_DAYS` after the span's
            // last date settles them all for one look-up. At the same seconds, the offset did
            // not change in between (a change would hold past that date, changes being
            // further apart): the span grows. At other seconds, it changed once in between,
            // and bisection finds the change: the span grows to the day before it, and the
            // dates from the change to that close make the next span.
            if day > last && day - last <= SPAN_DAYS as i64 {
                let end = last + SPAN_DAYS as i64;
                // The close's seconds after midnight `n` days from `day`'s (whole seconds).
                let secs_at = |n: i64| {
                    let d =
                        date.checked_add_days(chrono::Days::new(u64::try_from(n - day).ok()?))?;
                    let t = self.rule.known_at(d)?;
                    (t.0.rem_euclid(1_000_000_000) == 0).then(|| secs_of(n, t))
                };
                let at_end = secs_at(end);
                if at_end == Some(secs) {
                    self.span = Some((first, end, secs));
                    return Some(Timestamp::from_secs(day * 86_400 + secs));
                }
                if let Some(new_secs) = at_end {
                    // `secs` up to `lo`, `new_secs` from `hi` (when `hi_secs` says so) to `end`.
                    let (mut lo, mut hi, mut hi_secs) = (last, end, at_end);
                    while hi - lo > 1 {
                        let mid = (lo + hi) / 2;
                        let at_mid = secs_at(mid);
                        if at_mid == Some(secs) {
                            lo = mid;
                        } else {
                            (hi, hi_secs) = (mid, at_mid);
                        }
                    }
                    let after = (hi_secs == Some(new_secs)).then_some((hi, end, new_secs));
                    if day <= lo {
                        (self.span, self.next) = (Some((first, lo, secs)), after);
                        return Some(Timestamp::from_secs(day * 86_400 + secs));
                    }
                    if let Some(after) = after {
                        (self.span, self.next) = (Some(after), None);
                        return Some(Timestamp::from_secs(day * 86_400 + new_secs));
                    }
                }
            }
        }
        let ts = self.rule.known_at(date)?;
        let secs = secs_of(day, ts);
        // Only whole seconds are cached (the close is 16:00:00 local, a whole second).
        if ts.0.rem_euclid(1_000_000_000) == 0 {
            // Whether the close `k` days on is at the same seconds after midnight. With at most
            // one change of offset in the window, that holds for every `k` before the change
            // and for none after it, so the last `k` it holds for is found by bisection: the
            // span reaches the day before a change instead of being given up near one.
            let same = |k: u64| {
                let d = date.checked_add_days(chrono::Days::new(k))?;
                let t = self.rule.known_at(d)?;
                let k = i64::try_from(k).ok()?;
                Some(t.0.rem_euclid(1_000_000_000) == 0 && secs_of(day + k, t) == secs)
            };
            let (mut lo, mut hi) = (0, SPAN_DAYS);
            if same(hi) == Some(true) {
                lo = hi;
            }
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if same(mid) == Some(true) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            (self.span, self.next) = (Some((day, day + lo as i64, secs)), None);
        }
        Some(ts)
    }
}

/// Why a local intraday time could not be turned into an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NonexistentLocalTime;

/// The instant an intraday row became known: its local start time in `tz` plus the bar length.
/// A local time that occurs twice (DST fall-back) is read as the later instant, which can only
/// delay a bar, never make it visible early. A local time skipped by DST is an error.
pub(crate) fn intraday_known_at(
    local_start: NaiveDateTime,
    tz: Tz,
    bar_length: TimeDelta,
) -> Result<Timestamp, NonexistentLocalTime> {
    let start = tz
        .from_local_datetime(&local_start)
        .latest()
        .ok_or(NonexistentLocalTime)?;
    let known = Timestamp::from_datetime(&start);
    Ok(known.plus_nanos(bar_length.num_nanoseconds().unwrap_or(i64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn exchange_close_follows_new_york_dst() {
        // Reference epoch seconds, computed by hand: 2021-01-04 00:00 UTC = 1_609_718_400;
        // 16:00 EST = 21:00 UTC (+75_600 s). 2023-05-25 00:00 UTC = 1_684_972_800; 16:00 EDT =
        // 20:00 UTC (+72_000 s).
        assert_eq!(
            DailyClose::ExchangeClose.known_at(d(2021, 1, 4)),
            Some(Timestamp::from_secs(1_609_718_400 + 75_600))
        );
        assert_eq!(
            DailyClose::ExchangeClose.known_at(d(2023, 5, 25)),
            Some(Timestamp::from_secs(1_684_972_800 + 72_000))
        );
    }

    /// The 16:00 close's seconds after UTC midnight, by the time-zone database.
    fn close_secs(date: NaiveDate) -> Option<i64> {
        let ts = DailyClose::ExchangeClose.known_at(date)?;
        Some(ts.0.div_euclid(1_000_000_000) - epoch_day(date) * 86_400)
    }

    #[test]
    fn the_close_offset_changes_at_most_once_a_span() {
        // Timestamps end in 2262.
        let mut day = d(1800, 1, 1);
        let mut last: Option<(NaiveDate, i64)> = None;
        let mut changes: Vec<NaiveDate> = Vec::new();
        while day < d(2262, 1, 1) {
            let secs = close_secs(day).unwrap();
            if let Some((_, before)) = last {
                if before != secs {
                    changes.push(day);
                }
            }
            last = Some((day, secs));
            day = day.succ_opt().unwrap();
        }
        // New York's DST history, as the database has it, changes the offset many times.
        assert!(changes.len() > 200, "{}", changes.len());
        let closest = changes
            .windows(2)
            .map(|w| (w[1] - w[0]).num_days())
            .min()
            .unwrap();
        assert!(closest > SPAN_DAYS as i64, "{closest}");
    }

    #[test]
    fn memo_gives_the_databases_instants_in_any_order() {
        let mut dates: Vec<NaiveDate> = Vec::new();
        let mut day = d(1850, 1, 1);
        while day < d(2250, 1, 1) {
            dates.push(day);
            day = day.succ_opt().unwrap();
        }
        // In order (a daily file), backwards, and shuffled; weekdays only (gaps of 3 days).
        let mut orders = vec![dates.clone()];
        orders.push(dates.iter().rev().copied().collect());
        let mut shuffled = dates.clone();
        fastrand::Rng::with_seed(7).shuffle(&mut shuffled);
        orders.push(shuffled);
        orders.push(
            dates
                .iter()
                .copied()
                .filter(|d| d.weekday().num_days_from_monday() < 5)
                .collect(),
        );
        // Forward with a look back now and then: a span must not take in a day before it.
        let mut rng = fastrand::Rng::with_seed(11);
        let mut zigzag = Vec::new();
        for (i, &date) in dates.iter().enumerate() {
            zigzag.push(date);
            if rng.u8(..3) == 0 {
                zigzag.push(dates[i.saturating_sub(rng.usize(1..6))]);
            }
        }
        orders.push(zigzag);
        for rule in [DailyClose::ExchangeClose, DailyClose::UtcDayEnd] {
            for order in &orders {
                let mut memo = KnownAtMemo::new(rule);
                for &date in order {
                    assert_eq!(memo.known_at(date), rule.known_at(date), "{date}");
                }
            }
        }
        // The ends of chrono's range.
        let mut memo = KnownAtMemo::new(DailyClose::ExchangeClose);
        for date in [
            NaiveDate::MAX,
            NaiveDate::MIN,
            d(2024, 3, 10),
            NaiveDate::MAX,
        ] {
            assert_eq!(
                memo.known_at(date),
                DailyClose::ExchangeClose.known_at(date)
            );
        }
    }

    #[test]
    fn crypto_day_ends_at_next_utc_midnight() {
        // 2021-01-01 00:00 UTC = 1_609_459_200; the bar is known one day later.
        assert_eq!(
            DailyClose::UtcDayEnd.known_at(d(2021, 1, 1)),
            Some(Timestamp::from_secs(1_609_459_200 + 86_400))
        );
    }

    #[test]
    fn intraday_adds_bar_length_and_resolves_dst() {
        let t = d(2006, 1, 2).and_hms_opt(9, 1, 0).unwrap();
        // 2006-01-02 00:00 UTC = 1_136_160_000; 09:01 + 1 minute = 09:02 → +32_520 s.
        assert_eq!(
            intraday_known_at(t, chrono_tz::UTC, TimeDelta::minutes(1)),
            Ok(Timestamp::from_secs(1_136_160_000 + 32_520))
        );
        // 2024-11-03 01:30 happens twice in New York; the later one is 06:30 UTC (EST).
        let ambiguous = d(2024, 11, 3).and_hms_opt(1, 30, 0).unwrap();
        let later = d(2024, 11, 3).and_hms_opt(6, 30, 0).unwrap().and_utc();
        assert_eq!(
            intraday_known_at(ambiguous, New_York, TimeDelta::zero()),
            Ok(Timestamp::from_datetime(&later))
        );
        // 2024-03-10 02:30 does not exist in New York.
        let skipped = d(2024, 3, 10).and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(
            intraday_known_at(skipped, New_York, TimeDelta::zero()),
            Err(NonexistentLocalTime)
        );
    }
}
