//! Five-field cron expressions evaluated in America/New_York.
//!
//! Wraps `croner` so that only minute-granularity, 5-field patterns are accepted and every
//! evaluation happens on New York wall-clock time, with croner's Vixie-cron DST behaviour: a
//! fixed time skipped by spring-forward runs at the first instant after the gap, a fixed time
//! repeated by fall-back runs once (the earlier instant), and wildcard/stepped fields run at
//! every real instant.

use std::fmt;

use chrono_tz::America::New_York;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use super::error::ScheduleError;
use crate::Timestamp;

/// 2000-01-01T00:00:00Z: a fixed start for the "does this pattern ever fire" check, so parsing
/// never depends on the wall clock.
const NEVER_CHECK_FROM: i64 = 946_684_800;

/// A parsed 5-field cron expression (minute hour day-of-month month day-of-week).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronSchedule {
    text: String,
    // Boxed: a parsed pattern is large and `Schedule` is passed around by value.
    cron: Box<Cron>,
}

impl CronSchedule {
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let trimmed = text.trim();
        let fields = trimmed.split_whitespace().count();
        if fields != 5 {
            return Err(ScheduleError::Parse {
                text: text.to_string(),
                reason: format!(
                    "a cron schedule needs exactly 5 fields (minute hour day-of-month month \
                     day-of-week), found {fields}"
                ),
            });
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build();
        let cron = parser.parse(trimmed).map_err(|e| ScheduleError::Parse {
            text: text.to_string(),
            reason: format!("bad cron expression: {e}"),
        })?;
        let schedule = CronSchedule {
            text: trimmed.split_whitespace().collect::<Vec<_>>().join(" "),
            cron: Box::new(cron),
        };
        // A pattern that can never fire (30 February, 31 April) is a config mistake, not a
        // schedule: reject it here rather than have the plugin silently never run.
        if schedule
            .next_after(Timestamp::from_secs(NEVER_CHECK_FROM))
            .is_none()
        {
            return Err(ScheduleError::Parse {
                text: text.to_string(),
                reason: "the cron expression never matches a real date".to_string(),
            });
        }
        Ok(schedule)
    }

    /// The expression as written (whitespace normalised).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first fire instant strictly after `t`, or `None` if the pattern never matches again
    /// (e.g. 30 February) within croner's search limit.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        // croner works in whole seconds: start from the second containing `t` and step off it,
        // then make sure the answer is really after `t`.
        let floor =
            Timestamp::from_nanos(t.nanos().checked_sub(t.nanos().rem_euclid(1_000_000_000))?);
        let start = floor.to_utc().with_timezone(&New_York);
        let next = self.cron.find_next_occurrence(&start, false).ok()?;
        let ts = Timestamp::from_datetime(&next);
        (ts > t).then_some(ts)
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
