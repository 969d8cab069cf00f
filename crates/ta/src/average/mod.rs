//! Moving averages (SMA, EMA, WMA) with TA-Lib's definitions and seeding.
//!
//! Also home of the shared pieces of all indicator families: the `TaError` type and the
//! compensated window every windowed indicator is built on.

mod error;
pub(crate) mod window;

pub mod ema;
pub mod sma;
pub mod wma;

pub use ema::{ema, Ema};
pub use error::TaError;
pub(crate) use error::{check_finite, check_lengths, check_period};
pub use sma::{sma, Sma};
pub use wma::{wma, Wma};
