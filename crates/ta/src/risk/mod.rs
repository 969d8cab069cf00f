//! Risk and performance math: drawdowns, VaR/CVaR, Kelly sizing and Sharpe-family ratios.
//!
//! Conventions follow empyrical-reloaded (252 periods a year, ddof = 1) so backtest reports
//! can be checked against it; aggregate functions refuse NaN input with `StatsError` rather
//! than skipping it, so a gap in the data cannot shrink a risk number unnoticed. Too few
//! observations is `TooShort`; a ratio whose denominator is zero (constant returns, no
//! drawdown, no downside) is NaN, never +-inf.

pub mod annual_return;
pub mod annual_volatility;
pub mod calmar;
pub mod drawdown;
pub mod historical_var;
pub mod kelly;
pub mod parametric_var;
pub mod probabilistic_sharpe;
pub mod return_ratios;
pub mod sharpe;
pub mod sharpe_inference;
pub mod sortino;

pub use annual_return::{annual_return, cagr};
pub use annual_volatility::annual_volatility;
pub use calmar::{calmar_from, calmar_ratio};
pub use drawdown::{drawdown_from_returns, drawdown_series, max_drawdown, MaxDrawdown};
pub use historical_var::{historical_cvar, historical_var, historical_var_cvar, quantile_linear};
pub use kelly::{kelly_continuous, kelly_fraction};
pub use parametric_var::{
    cornish_fisher_var, normal_cvar, normal_var, parametric_cvar, parametric_var,
};
pub use probabilistic_sharpe::{
    deflated_sharpe_ratio, expected_max_sharpe, probabilistic_sharpe_ratio,
    probabilistic_sharpe_ratio_of,
};
pub use return_ratios::{return_ratios, ReturnRatios};
pub use sharpe::sharpe_ratio;
pub use sharpe_inference::{
    lo_eta, scale_sharpe, sharpe_confidence_interval_iid, sharpe_standard_error_iid,
    ConfidenceInterval, ScaledSharpe,
};
pub use sortino::{downside_risk, sortino_ratio};
