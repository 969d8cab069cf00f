//! Which dates are trading sessions, as far as the validator needs to know.
//!
//! The validator only asks "is this date a session?", so it depends on this one-method trait and
//! not on a concrete exchange calendar; the NYSE calendar implements it, crypto uses `EveryDay`.

use crate::domain::{AssetClass, Instrument, Symbol};
use chrono::NaiveDate;

/// A market calendar reduced to the question the validator asks.
pub trait SessionCalendar {
    /// Whether the market holds a session on `d` (a local calendar date of the market).
    fn is_session(&self, d: NaiveDate) -> bool;
}

/// Every calendar day is a session: crypto trades around the clock, weekends and holidays included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EveryDay;

impl SessionCalendar for EveryDay {
    fn is_session(&self, _d: NaiveDate) -> bool {
        true
    }
}

/// The calendar that applies to `symbol`: `EveryDay` for crypto (`-USD` symbols), otherwise the
/// given exchange calendar. Lets a caller validate a mixed folder with one exchange calendar.
pub fn calendar_for<'a>(
    symbol: &Symbol,
    exchange: &'a dyn SessionCalendar,
) -> &'a dyn SessionCalendar {
    if Instrument::infer(symbol).asset_class == AssetClass::Crypto {
        &EveryDay
    } else {
        exchange
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Never;
    impl SessionCalendar for Never {
        fn is_session(&self, _d: NaiveDate) -> bool {
            false
        }
    }

    #[test]
    fn crypto_uses_every_day_and_equities_the_exchange() {
        let sunday = NaiveDate::from_ymd_opt(2024, 6, 2).unwrap();
        assert!(calendar_for(&Symbol::new("BTC-USD"), &Never).is_session(sunday));
        assert!(!calendar_for(&Symbol::new("SPY"), &Never).is_session(sunday));
    }
}
