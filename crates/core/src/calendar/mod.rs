//! Market calendars: the NYSE (holidays, early closes, sessions) and an always-open calendar.
//!
//! Market times come from here and never from a fixed hour list, so schedules, backtests and
//! the data layer agree on when the exchange trades (America/New_York, DST via chrono-tz).

mod early_close;
mod easter;
mod holidays;
mod nyse;
mod session;
mod special;

use chrono::NaiveDate;

pub use early_close::rule_early_close;
pub use easter::{easter_sunday, good_friday};
pub use holidays::{
    rule_holidays, CHRISTMAS_DAY, GOOD_FRIDAY, INDEPENDENCE_DAY, JUNETEENTH, LABOR_DAY,
    MEMORIAL_DAY, MLK_DAY, NEW_YEARS_DAY, THANKSGIVING_DAY, WASHINGTONS_BIRTHDAY,
};
pub use nyse::{NyseCalendar, REGULAR_CLOSE, REGULAR_OPEN};
pub use session::{new_york_instant, Session};
pub use special::{SpecialClosure, SpecialEarlyClose, SPECIAL_CLOSURES, SPECIAL_EARLY_CLOSES};

/// The one question code outside the scheduler asks of a market: does it trade on this date?
/// Lets equity (NYSE) and crypto (every day) share the same callers via `&dyn TradingCalendar`.
pub trait TradingCalendar: Send + Sync + std::fmt::Debug {
    fn is_trading_day(&self, d: NaiveDate) -> bool;

    /// `is_trading_day` of the `len` days from `first`, as bits: day `first + k` is bit
    /// `k % 64` of word `k / 64` (days past chrono's last date: not trading). The validator
    /// asks about every day a file spans; a calendar may answer for a run of days at once
    /// faster than one `dyn` call per day.
    fn session_bits(&self, first: NaiveDate, len: usize) -> Vec<u64> {
        let mut bits = vec![0u64; len.div_ceil(64)];
        let mut day = Some(first);
        for k in 0..len {
            let Some(d) = day else { break };
            bits[k / 64] |= u64::from(self.is_trading_day(d)) << (k % 64);
            day = d.succ_opt();
        }
        bits
    }
}

/// A market that trades every calendar day (crypto).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlwaysOpen;

impl TradingCalendar for AlwaysOpen {
    fn is_trading_day(&self, _d: NaiveDate) -> bool {
        true
    }
}
