//! Volatility indicators (TRANGE, ATR, STDDEV, BBANDS) with TA-Lib's definitions, in batch and
//! streaming form.
//!
//! Conventions (lookback NaNs, streaming form, errors, NaN input) are in [`crate::average`].

pub mod atr;
pub mod bbands;
pub mod stddev;
pub mod trange;

pub use atr::{atr, Atr};
pub use bbands::{bbands, Bbands, BbandsOutput, BbandsSeries};
pub use stddev::{stddev, Stddev};
pub use trange::{trange, true_range, Trange};
