//! Beta hedge: when the portfolio's beta to the benchmark (SPY) exceeds `beta_hedge_threshold`
//! in absolute value, the benchmark target is adjusted to bring the beta to zero.
//!
//! The beta is the OLS slope (with intercept, ta kernel) of the weighted portfolio's daily
//! returns on the benchmark's over the last `var_lookback_days`; since OLS is linear in y this
//! equals sum_i w_i beta_i, and a benchmark weight change of -beta cancels it exactly. The hedge
//! runs before the caps, so the per-symbol cap can limit it (recorded).

use super::error::RiskError;
use super::var::{portfolio_returns, window};
use optifire_core::domain::Symbol;
use optifire_ta::stats::ols;
use std::collections::BTreeMap;

/// Beta of the weighted portfolio to `benchmark`; zero for an empty book.
pub fn portfolio_beta(
    weights: &BTreeMap<Symbol, f64>,
    returns: &BTreeMap<Symbol, Vec<f64>>,
    benchmark: &Symbol,
    lookback: usize,
) -> Result<f64, RiskError> {
    let y = portfolio_returns(weights, returns, lookback)?;
    if y.is_empty() {
        return Ok(0.0);
    }
    let x = window(returns, benchmark, lookback)?;
    let fit = ols(&y, &[x], true).map_err(|source| RiskError::Stats {
        what: "portfolio beta",
        source,
    })?;
    match fit.params.get(1) {
        Some(b) if b.is_finite() => Ok(*b),
        other => Err(RiskError::NonFinite(format!("portfolio beta {other:?}"))),
    }
}
