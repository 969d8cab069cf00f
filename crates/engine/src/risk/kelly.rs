//! Kelly sizing: an optional multiplier on all targets from the strategy's win rate and payoff.
//!
//! size = clamp(kelly_fraction x f*, kelly_min, kelly_max) with f* = p - (1 - p) / b the full
//! Kelly bet (ta kernel). The bounds apply to the final multiplier, as the config documents
//! ("lower/upper bound of the Kelly size multiplier"); the caps and VaR limit still follow, so a
//! multiplier above 1 can never lift a target past a hard limit.

use super::error::RiskError;
use optifire_core::config::RiskConfig;
use optifire_ta::risk::kelly_fraction;

/// The Kelly size multiplier for `win_rate` in (0, 1) and `payoff` > 0.
pub fn kelly_size(cfg: &RiskConfig, win_rate: f64, payoff: f64) -> Result<f64, RiskError> {
    let full = kelly_fraction(win_rate, payoff).map_err(|source| RiskError::Stats {
        what: "kelly fraction",
        source,
    })?;
    let size = (cfg.kelly_fraction * full).clamp(cfg.kelly_min, cfg.kelly_max);
    if size.is_finite() {
        Ok(size)
    } else {
        Err(RiskError::NonFinite(format!("kelly size {size}")))
    }
}
