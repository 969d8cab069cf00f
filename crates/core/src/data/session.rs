//! Which calendar a series is validated against.
//!
//! The validator only asks "is this date a session?" (`TradingCalendar`); crypto symbols trade
//! every day (`AlwaysOpen`), everything else follows the exchange calendar given.

use crate::calendar::{AlwaysOpen, TradingCalendar};
use crate::domain::{AssetClass, Instrument, Symbol};

/// The calendar that applies to `symbol`: `AlwaysOpen` for crypto (`-USD` symbols), otherwise the
/// given exchange calendar. Lets a caller validate a mixed folder with one exchange calendar.
pub fn calendar_for<'a>(
    symbol: &Symbol,
    exchange: &'a dyn TradingCalendar,
) -> &'a dyn TradingCalendar {
    if Instrument::infer(symbol).asset_class == AssetClass::Crypto {
        &AlwaysOpen
    } else {
        exchange
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[derive(Debug)]
    struct Never;
    impl TradingCalendar for Never {
        fn is_trading_day(&self, _d: NaiveDate) -> bool {
            false
        }
    }

    #[test]
    fn crypto_uses_every_day_and_equities_the_exchange() {
        let sunday = NaiveDate::from_ymd_opt(2024, 6, 2).unwrap();
        assert!(calendar_for(&Symbol::new("BTC-USD"), &Never).is_trading_day(sunday));
        assert!(!calendar_for(&Symbol::new("SPY"), &Never).is_trading_day(sunday));
    }
}
