//! UTC timestamps in integer nanoseconds.
//!
//! One integer type for time keeps ordering, hashing and storage exact and cheap; conversion to
//! chrono types happens only at the edges (parsing, display in America/New_York).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Nanoseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

const NANOS_PER_SEC: i64 = 1_000_000_000;

impl Timestamp {
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    pub fn from_nanos(n: i64) -> Self {
        Timestamp(n)
    }
    pub fn nanos(self) -> i64 {
        self.0
    }
    pub fn from_secs(s: i64) -> Self {
        Timestamp(s * NANOS_PER_SEC)
    }
    pub fn from_datetime<Z: TimeZone>(dt: &DateTime<Z>) -> Self {
        let utc = dt.with_timezone(&Utc);
        // Out-of-range (year > 2262) saturates rather than panicking; such dates never trade.
        Timestamp(utc.timestamp_nanos_opt().unwrap_or(i64::MAX))
    }
    pub fn to_utc(self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_nanos(self.0)
    }
    /// The same instant in America/New_York, where the exchange lives.
    pub fn to_new_york(self) -> DateTime<Tz> {
        self.to_utc().with_timezone(&New_York)
    }
    /// The New York calendar date of this instant.
    ///
    /// Asked for every bar and equity point, so the time-zone lookup is skipped where it
    /// cannot matter: from 1900 to 2200 New York is 5 or 4 hours behind UTC, and both give the
    /// same date unless the UTC time of day is between 04:00 and 05:00.
    pub fn ny_date(self) -> NaiveDate {
        if let Some(d) = self.ny_day_number().and_then(date_of_epoch_day) {
            return d;
        }
        self.to_new_york().date_naive()
    }

    /// Days from 1970-01-01 to `ny_date()`, when it is known without the time-zone database
    /// (1900 to 2200, outside 04:00-05:00 UTC; see `ny_date`); `None` otherwise. Two instants
    /// with day numbers are on New York dates that many days apart.
    pub fn ny_day_number(self) -> Option<i64> {
        const FROM: i64 = -2_208_988_800 * NANOS_PER_SEC; // 1900-01-01T00:00:00Z
        const UNTIL: i64 = 7_258_118_400 * NANOS_PER_SEC; // 2200-01-01T00:00:00Z
        const HOUR: i64 = 3600 * NANOS_PER_SEC;
        const DAY: i64 = 24 * HOUR;
        if !(FROM..UNTIL).contains(&self.0) {
            return None;
        }
        // The UTC-4 date; the UTC-5 one is the same unless the UTC-4 time is before 01:00.
        // One division instead of one to seconds and one per offset (the day numbers of the
        // whole seconds and of the nanoseconds are the same: a day is whole seconds).
        let shifted = self.0 - 4 * HOUR;
        let edt = shifted.div_euclid(DAY);
        (shifted - edt * DAY >= HOUR).then_some(edt)
    }
    pub fn plus_secs(self, s: i64) -> Self {
        Timestamp(self.0.saturating_add(s.saturating_mul(NANOS_PER_SEC)))
    }
    pub fn plus_nanos(self, n: i64) -> Self {
        Timestamp(self.0.saturating_add(n))
    }
    /// Seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn secs_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / NANOS_PER_SEC as f64
    }
}

/// The date `day` days after 1970-01-01 (before it when negative); `None` outside chrono's
/// range. The inverse of a day number such as `Timestamp::ny_day_number`.
pub fn date_of_epoch_day(day: i64) -> Option<NaiveDate> {
    // Days from 0001-01-01 (chrono's day 1) to the Unix epoch.
    const EPOCH_FROM_CE: i64 = 719_163;
    i32::try_from(day.checked_add(EPOCH_FROM_CE)?)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            self.to_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(dt: DateTime<Utc>) -> Self {
        Timestamp::from_datetime(&dt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ny_day_number` as first written: whole seconds, then the day at each offset.
    fn reference_day_number(t: Timestamp) -> Option<i64> {
        let secs = t.0.div_euclid(NANOS_PER_SEC);
        if !(-2_208_988_800..7_258_118_400).contains(&secs) {
            return None;
        }
        let est = (secs - 5 * 3600).div_euclid(86_400);
        let edt = (secs - 4 * 3600).div_euclid(86_400);
        (est == edt).then_some(est)
    }

    #[test]
    fn day_numbers_are_the_two_offset_ones() {
        let mut rng = fastrand::Rng::with_seed(31);
        let hour = 3600 * NANOS_PER_SEC;
        let edges = [
            -2_208_988_800 * NANOS_PER_SEC,
            7_258_118_400 * NANOS_PER_SEC,
            0,
        ];
        for _ in 0..1_000_000 {
            let t = match rng.u8(..4) {
                0 => rng.i64(..),
                1 => rng.i64(-3_000_000_000 * NANOS_PER_SEC..8_000_000_000 * NANOS_PER_SEC),
                // Near a day's 04:00 and 05:00 UTC, and near the ends of the range.
                2 => {
                    rng.i64(-30_000..30_000) * 86_400 * NANOS_PER_SEC
                        + [4, 5][rng.usize(..2)] * hour
                        + rng.i64(-2..=2)
                }
                _ => edges[rng.usize(..3)] + rng.i64(-2..=2),
            };
            let t = Timestamp(t);
            assert_eq!(t.ny_day_number(), reference_day_number(t), "{}", t.0);
        }
    }

    #[test]
    fn ny_date_agrees_with_the_time_zone_database() {
        // Steps of 3h 7m 11s cover every time of day over the years, plus the hours around each
        // DST change and both ends of the shortcut's range.
        let reference = |t: Timestamp| t.to_new_york().date_naive();
        let mut s: i64 = -2_300_000_000;
        while s < 7_400_000_000 {
            let t = Timestamp::from_secs(s);
            assert_eq!(t.ny_date(), reference(t), "{s}");
            s += 11_231;
        }
        for y in [1918, 1942, 1945, 1974, 1987, 2006, 2007, 2024, 2199] {
            let start = Timestamp::from_datetime(
                &NaiveDate::from_ymd_opt(y, 1, 1)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap()
                    .and_utc(),
            );
            for m in 0..(366 * 24 * 4) {
                let t = start.plus_secs(m * 900 - 1);
                assert_eq!(t.ny_date(), reference(t), "{t}");
            }
        }
        for s in [-2_208_988_801, -2_208_988_800, 7_258_118_399, 7_258_118_400] {
            let t = Timestamp::from_secs(s);
            assert_eq!(t.ny_date(), reference(t), "{s}");
        }
        let t = Timestamp(-1);
        assert_eq!(t.ny_date(), reference(t));
    }

    #[test]
    fn round_trips_through_chrono_and_new_york() {
        let dt = Utc.with_ymd_and_hms(2024, 7, 1, 13, 30, 0).unwrap();
        let ts = Timestamp::from(dt);
        assert_eq!(ts.to_utc(), dt);
        // 13:30 UTC in July is 09:30 EDT.
        assert_eq!(ts.to_new_york().format("%H:%M").to_string(), "09:30");
        assert_eq!(ts.ny_date(), NaiveDate::from_ymd_opt(2024, 7, 1).unwrap());
    }
}
