//! Volume indicators (OBV, MFI) with TA-Lib's definitions, in batch and streaming form.
//!
//! Conventions (lookback NaNs, streaming form, errors, NaN input) are in [`crate::average`].

pub mod mfi;
pub mod obv;

pub use mfi::{mfi, Mfi};
pub use obv::{obv, Obv};
