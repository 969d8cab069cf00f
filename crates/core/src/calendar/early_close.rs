//! Rule-based NYSE early closes (13:00 New York).
//!
//! The exchange closes early the day after Thanksgiving, on Christmas Eve, and on the eve of
//! Independence Day; the exact conditions changed over the years and are encoded here so any
//! year's sessions come out right without a hand-kept table.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::holidays::nth_weekday;

/// Early close time produced by the rules, as (hour, minute) New York.
pub const RULE_EARLY_CLOSE: (u32, u32) = (13, 0);

/// Whether a rule puts a 13:00 early close on `d`, ignoring whether `d` trades at all (the
/// caller checks holidays first). The rules:
/// - the day after Thanksgiving, from 1993;
/// - 24 December when it is Monday–Thursday, from 1999 (a Friday 24 December is the observed
///   Christmas holiday, a weekend one has no session);
/// - 3 July when it is Monday, Tuesday or Thursday (from 1995), or Wednesday (from 2013;
///   before that a Wednesday 3 July was a full day). A Friday 3 July is the observed
///   Independence Day itself, and when 4 July is a Sunday or Monday there is no early close;
/// - 5 July when it is a Friday (4 July on Thursday), 1996–2012, replaced by the Wednesday
///   3 July rule above from 2013.
pub fn rule_early_close(d: NaiveDate) -> bool {
    let year = d.year();
    let wd = d.weekday();
    match (d.month(), d.day()) {
        (11, _) => {
            year >= 1993
                && nth_weekday(year, 11, Weekday::Thu, 4)
                    .and_then(|t| t.checked_add_days(Days::new(1)))
                    == Some(d)
        }
        (12, 24) => {
            year >= 1999
                && matches!(
                    wd,
                    Weekday::Mon | Weekday::Tue | Weekday::Wed | Weekday::Thu
                )
        }
        (7, 3) => match wd {
            Weekday::Mon | Weekday::Tue | Weekday::Thu => year >= 1995,
            Weekday::Wed => year >= 2013,
            _ => false,
        },
        (7, 5) => wd == Weekday::Fri && (1996..=2012).contains(&year),
        _ => false,
    }
}
