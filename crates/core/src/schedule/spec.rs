//! The schedule vocabulary of plugins: `@open`, `@close`, `@idle`, `interval_*` and cron.
//!
//! One enum parsed from the config text, so every plugin's timing is data that the scheduler,
//! the status page and the backtester interpret identically.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::cron::CronSchedule;
use super::error::ScheduleError;

/// When a plugin runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Schedule {
    /// `@open`: the session open (09:30 New York) of every NYSE trading day.
    Open,
    /// `@close`: the session close of every trading day (16:00, or 13:00 on early closes).
    Close,
    /// `@idle`: the top of every hour at which the regular session is not open (nights,
    /// weekends, holidays; the close instant itself counts as idle, the open does not).
    Idle,
    /// `interval_1m|5m|15m|1h`: every `minutes` minutes, aligned to the Unix epoch (so to the
    /// UTC clock), at all times.
    Interval { minutes: u32 },
    /// A 5-field cron expression evaluated in America/New_York.
    Cron(CronSchedule),
}

/// The interval spellings accepted, with their length in minutes.
const INTERVALS: &[(&str, u32)] = &[
    ("interval_1m", 1),
    ("interval_5m", 5),
    ("interval_15m", 15),
    ("interval_1h", 60),
];

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t {
            "@open" => return Ok(Schedule::Open),
            "@close" => return Ok(Schedule::Close),
            "@idle" => return Ok(Schedule::Idle),
            _ => {}
        }
        if let Some((_, minutes)) = INTERVALS.iter().find(|(name, _)| *name == t) {
            return Ok(Schedule::Interval { minutes: *minutes });
        }
        if t.starts_with('@') || t.starts_with("interval") {
            return Err(ScheduleError::Parse {
                text: s.to_string(),
                reason: "unknown schedule keyword; expected @open, @close, @idle, \
                         interval_1m, interval_5m, interval_15m, interval_1h or a 5-field cron \
                         expression"
                    .to_string(),
            });
        }
        if t.is_empty() {
            return Err(ScheduleError::Parse {
                text: s.to_string(),
                reason: "empty schedule".to_string(),
            });
        }
        CronSchedule::parse(t).map(Schedule::Cron)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Open => f.write_str("@open"),
            Schedule::Close => f.write_str("@close"),
            Schedule::Idle => f.write_str("@idle"),
            Schedule::Interval { minutes } => match INTERVALS.iter().find(|(_, m)| m == minutes) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "interval_{minutes}m"),
            },
            Schedule::Cron(c) => write!(f, "{c}"),
        }
    }
}

impl TryFrom<String> for Schedule {
    type Error = ScheduleError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Schedule> for String {
    fn from(s: Schedule) -> String {
        s.to_string()
    }
}
