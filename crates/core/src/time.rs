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
    pub fn ny_date(self) -> NaiveDate {
        self.to_new_york().date_naive()
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
