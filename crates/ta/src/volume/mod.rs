//! Volume indicators (OBV, MFI) with TA-Lib's definitions, in batch and streaming form.

pub mod mfi;
pub mod obv;

pub use mfi::{mfi, Mfi};
pub use obv::{obv, Obv};
