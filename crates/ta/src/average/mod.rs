//! Moving averages (SMA, EMA, WMA) with TA-Lib's definitions and seeding.
//!
//! Also home of the shared pieces of all indicator families: the `TaError` type, the
//! compensated window every windowed indicator is built on, Wilder's smoothing and the fixed-order
//! window sums.
//!
//! # Conventions shared by every indicator (average, momentum, volatility, volume)
//! - Reference: TA-Lib 0.8 (PyPI `TA-Lib` 0.8.2), default compatibility mode, unstable period
//!   0; checked against its recorded output to 1e-9 (tests/talib_reference.rs).
//! - Batch form: slices in, `Vec<f64>` of the input's length out; the first `lookback` entries
//!   are NaN, exactly as many as TA-Lib leaves out. Empty input gives empty output; input not
//!   longer than the lookback gives all NaN; a single value gives `[NaN]` (OBV: its volume).
//! - Streaming form: `new(params)`, `update(..) -> Option<_>` (`None` until warm), `reset()`,
//!   `is_ready()`. Batch forms are direct loops over the slices (no per-value struct dispatch)
//!   doing the same arithmetic in the same order as the streaming struct, so both give
//!   bit-identical numbers (a property test checks it on random and real series).
//! - Parameters below TA-Lib's accepted minimum, non-finite real parameters and input slices of
//!   different lengths are refused with a `TaError`.
//! - NaN or infinite input (TA-Lib has no rule for it): windowed indicators give NaN for every
//!   window containing it and recover once it has left; recursive ones (EMA, RSI, ATR, ADX,
//!   MACD, OBV) give NaN from there on until `reset`; MOM, ROC and TRANGE are pointwise.
//! - Constant series (high = low = close): averages and bands equal the constant; RSI, ADX,
//!   CCI, STOCH, WILLR, MFI, STDDEV, ATR, MACD, ROC and MOM are 0, as in TA-Lib.

mod error;
pub(crate) mod lanes;
pub(crate) mod output;
pub(crate) mod wilder;
pub(crate) mod window;

pub mod ema;
pub mod sma;
pub mod wma;

pub use ema::{ema, Ema};
pub use error::TaError;
pub(crate) use error::{check_finite, check_lengths, check_period};
pub use sma::{sma, Sma};
pub use wma::{wma, Wma};
