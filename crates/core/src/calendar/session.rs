//! Intraday NYSE sessions: the open and close instants of each trading day, in UTC.
//!
//! Everything that fires at "the open" or "the close" goes through here so daylight saving and
//! early closes are handled in exactly one place (chrono-tz resolves New York local time).

use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::America::New_York;
use serde::{Deserialize, Serialize};

use super::nyse::{NyseCalendar, REGULAR_OPEN};
use crate::Timestamp;

/// How far [`NyseCalendar::next_session`] and friends search before giving up: longer than any
/// closure in NYSE history since 1914.
const SEARCH_DAYS: usize = 400;

/// One regular trading session. `open` is 09:30 New York and `close` 16:00 (or the early close
/// time) on `date`, both as UTC instants; the market is open in `[open, close)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub date: NaiveDate,
    pub open: Timestamp,
    pub close: Timestamp,
    pub early_close: bool,
}

impl Session {
    /// Whether `t` lies in `[open, close)`.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.open <= t && t < self.close
    }
}

/// The UTC instant of New York wall-clock time `time` on `date`. Session times (09:30–16:00)
/// never fall in a daylight-saving gap or fold, but an ambiguous time resolves to the earlier
/// instant and a skipped one to `None` all the same.
pub fn new_york_instant(date: NaiveDate, time: NaiveTime) -> Option<Timestamp> {
    New_York
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|dt| Timestamp::from_datetime(&dt))
}

impl NyseCalendar {
    /// The session of `d`, or `None` when `d` does not trade.
    pub fn session(&self, d: NaiveDate) -> Option<Session> {
        let close_time = self.close_time(d)?;
        let open_time = NaiveTime::from_hms_opt(REGULAR_OPEN.0, REGULAR_OPEN.1, 0)?;
        Some(Session {
            date: d,
            open: new_york_instant(d, open_time)?,
            close: new_york_instant(d, close_time)?,
            early_close: self.is_early_close(d),
        })
    }

    /// Whether the regular session is open at `t` (open inclusive, close exclusive).
    pub fn is_open_at(&self, t: Timestamp) -> bool {
        self.session(t.ny_date()).is_some_and(|s| s.contains(t))
    }

    /// The first session whose open is strictly after `after`. At exactly 09:30 on a trading
    /// day that session has already opened, so the next day's is returned. `None` only past the
    /// end of the `Timestamp` range (year 2262).
    pub fn next_session(&self, after: Timestamp) -> Option<Session> {
        after
            .ny_date()
            .iter_days()
            .take(SEARCH_DAYS)
            .filter_map(|d| self.session(d))
            .find(|s| s.open > after)
    }

    /// The latest session whose open is at or before `t`: the session in progress if the market
    /// is open, otherwise the most recent one (already closed). `None` only before 1583.
    pub fn previous_or_current_session(&self, t: Timestamp) -> Option<Session> {
        let mut d = t.ny_date();
        for _ in 0..SEARCH_DAYS {
            if let Some(s) = self.session(d) {
                if s.open <= t {
                    return Some(s);
                }
            }
            d = d.pred_opt()?;
        }
        None
    }

    /// Sessions of the trading days from `from` to `to` inclusive.
    pub fn sessions(&self, from: NaiveDate, to: NaiveDate) -> Vec<Session> {
        from.iter_days()
            .take_while(|d| *d <= to)
            .filter_map(|d| self.session(d))
            .collect()
    }
}
