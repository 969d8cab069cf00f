//! Alpha plugins: signals in [-1, 1] per symbol, or a market regime.

pub mod cross_asset_corr;
pub mod vix_regime;
