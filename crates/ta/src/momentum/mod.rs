//! Momentum indicators and oscillators (RSI, MACD, ROC, MOM, ADX, CCI, STOCH, WILLR), each with
//! TA-Lib's definition, seeding and lookback, in batch and streaming form.
//!
//! Conventions (lookback NaNs, streaming form, errors, NaN input) are in [`crate::average`].

pub mod adx;
pub mod cci;
pub mod macd;
pub mod mom;
pub(crate) mod range;
pub mod roc;
pub mod rsi;
pub mod stoch;
pub mod willr;

pub use adx::{adx, Adx};
pub use cci::{cci, Cci};
pub use macd::{macd, Macd, MacdOutput, MacdSeries};
pub use mom::{mom, Mom};
pub use roc::{roc, Roc};
pub use rsi::{rsi, Rsi};
pub use stoch::{stoch, Stoch, StochOutput, StochSeries};
pub use willr::{willr, Willr};
