//! When a row's bar became known: the timestamp every bar carries.
//!
//! `Bar.ts` is the instant the bar's values were final (its close), never its start, so a backtest
//! that only sees bars with `ts <= now` can never peek at a close that had not happened yet.

use crate::Timestamp;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone};
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
