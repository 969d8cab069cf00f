//! Portfolio value at risk: historical VaR and CVaR of the target weights applied to each
//! symbol's daily returns over the last `var_lookback_days`.
//!
//! Historical VaR is positively homogeneous (VaR(k r) = k VaR(r) for k > 0), so a portfolio over
//! `max_var_pct` is brought exactly to the limit by scaling every weight by max / VaR.

use super::error::RiskError;
use optifire_core::domain::Symbol;
use optifire_ta::risk::historical_var_cvar;
use std::collections::BTreeMap;

/// VaR and CVaR as positive loss fractions of equity, over `days` observations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VarReport {
    pub var: f64,
    pub cvar: f64,
    pub days: usize,
}

/// The last `lookback` returns of `s`, or why they are not there.
pub(crate) fn window<'r>(
    returns: &'r BTreeMap<Symbol, Vec<f64>>,
    s: &Symbol,
    lookback: usize,
) -> Result<&'r [f64], RiskError> {
    let r = returns
        .get(s)
        .ok_or_else(|| RiskError::NoReturns(s.clone()))?;
    if r.len() < lookback {
        return Err(RiskError::ShortReturns {
            symbol: s.clone(),
            got: r.len(),
            needed: lookback,
        });
    }
    Ok(&r[r.len() - lookback..])
}

/// Daily returns of the weighted portfolio: sum_i w_i r_i(t) over the last `lookback` days.
/// Empty when every weight is zero.
pub fn portfolio_returns(
    weights: &BTreeMap<Symbol, f64>,
    returns: &BTreeMap<Symbol, Vec<f64>>,
    lookback: usize,
) -> Result<Vec<f64>, RiskError> {
    let mut out: Vec<f64> = Vec::new();
    for (s, w) in weights.iter().filter(|(_, w)| **w != 0.0) {
        let r = window(returns, s, lookback)?;
        if out.is_empty() {
            out = vec![0.0; lookback];
        }
        for (o, x) in out.iter_mut().zip(r) {
            *o += w * x;
        }
    }
    Ok(out)
}

/// Historical VaR and CVaR of the weighted portfolio at `confidence`; zero for an empty book.
pub fn portfolio_var(
    weights: &BTreeMap<Symbol, f64>,
    returns: &BTreeMap<Symbol, Vec<f64>>,
    lookback: usize,
    confidence: f64,
) -> Result<VarReport, RiskError> {
    let r = portfolio_returns(weights, returns, lookback)?;
    if r.is_empty() {
        return Ok(VarReport {
            var: 0.0,
            cvar: 0.0,
            days: 0,
        });
    }
    // Both from one sort; a sample either refuses both or neither, and VaR was asked first.
    let (var, cvar) = historical_var_cvar(&r, confidence).map_err(|source| RiskError::Stats {
        what: "historical VaR",
        source,
    })?;
    Ok(VarReport {
        var,
        cvar,
        days: r.len(),
    })
}
