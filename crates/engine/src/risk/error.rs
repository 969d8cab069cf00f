//! Why a risk computation could not be completed. The engine never returns these to the caller
//! as a reason to trade: every error turns into a fail-closed decision (risk-reducing only).

use optifire_core::domain::Symbol;
use optifire_ta::stats::StatsError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RiskError {
    #[error("no returns for {0}")]
    NoReturns(Symbol),
    #[error("{symbol} has {got} daily returns, the window needs {needed}")]
    ShortReturns {
        symbol: Symbol,
        got: usize,
        needed: usize,
    },
    #[error("{what}: {source}")]
    Stats {
        what: &'static str,
        #[source]
        source: StatsError,
    },
    #[error("{0} is not a finite number")]
    NonFinite(String),
}
