//! The reference strategy: a long-only simple-moving-average cross on one symbol.
//!
//! It exists to cross-check the backtester against an independent replay of the same rules
//! (tools/reference/sma_cross_reference.py): at the close of bar t, if SMA_fast crossed above
//! SMA_slow between t-1 and t and the book is flat, buy `size` shares; if it crossed below and
//! the book is long, sell everything. The orders go through the engine's executor and the
//! simulated exchange like any other, so they fill at the open of bar t+1.

use super::BacktestSpec;
use crate::cycle::{OrderIntent, Strategy};
use optifire_core::config::{Config, Features};
use optifire_core::domain::{Money, Quantity, Side, Symbol};
use optifire_core::plugin::{Context, PluginError, Registry};
use optifire_venues::sim::{CommissionModel, FillRules, SimConfig};
use rust_decimal::Decimal;
use std::path::PathBuf;

/// Everything of an sma_cross backtest but the two windows, so `optifire backtest` and every
/// cell of `optifire sweep` build the very same run.
#[derive(Debug, Clone)]
pub struct SmaCrossRun {
    /// One CSV file of bars.
    pub data: PathBuf,
    pub symbol: Symbol,
    /// Shares bought on a cross above.
    pub size: Quantity,
    pub cash: Money,
    /// Commission as a fraction of traded value (0.001 = 10 bps).
    pub commission: Decimal,
    /// Decimals of the exchange's price tick (2 = cents): fills are rounded to it.
    pub price_decimals: u32,
}

impl SmaCrossRun {
    /// The strategy alone (no plugins), commission as given, no slippage.
    pub fn spec(
        &self,
        config: Config,
        registry: Registry,
        fast: usize,
        slow: usize,
    ) -> Result<BacktestSpec, PluginError> {
        let strategy = SmaCross::new(self.symbol.clone(), fast, slow, self.size)?;
        let mut spec = BacktestSpec::new(
            config,
            Features {
                plugins: Default::default(),
            },
            registry,
            self.data.clone(),
        );
        spec.sim = Some(self.sim_config());
        spec.strategy = Some(Box::new(strategy));
        Ok(spec)
    }

    /// The exchange both paths trade on: commission as given, no slippage, fills on the tick.
    pub fn sim_config(&self) -> SimConfig {
        SimConfig {
            starting_cash: self.cash,
            commission: CommissionModel::PercentOfValue {
                rate: self.commission,
            },
            fill: FillRules {
                price_decimals: self.price_decimals,
                ..FillRules::default()
            },
            ..SimConfig::default()
        }
    }
}

/// See the module doc.
#[derive(Debug, Clone)]
pub struct SmaCross {
    pub symbol: Symbol,
    pub fast: usize,
    pub slow: usize,
    pub size: Quantity,
}

/// Mean of `xs`, summed left to right (the reference script sums the same way, so both get the
/// same bits and a crossing decided on a tie cannot differ between them). The bar loop in
/// `sma_cross_fast` sums the same windows in the same order, several windows at once
/// (`window_means`, tested bit for bit against this function).
pub fn mean(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs {
        s += x;
    }
    s / xs.len() as f64
}

/// Which way SMA_fast crossed SMA_slow between the previous bar and this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cross {
    Above,
    Below,
}

/// The crossing rule on the two SMAs one bar ago and now; exact ties are no crossing.
pub fn cross(fast_prev: f64, slow_prev: f64, fast_now: f64, slow_now: f64) -> Option<Cross> {
    if fast_prev < slow_prev && fast_now > slow_now {
        Some(Cross::Above)
    } else if fast_prev > slow_prev && fast_now < slow_now {
        Some(Cross::Below)
    } else {
        None
    }
}

/// The order a crossing asks for given the shares held: buy `size` when flat on a cross above,
/// sell everything when long on a cross below, nothing otherwise.
pub fn order_for(cross: Option<Cross>, held: Quantity, size: Quantity) -> Option<(Side, Quantity)> {
    match cross? {
        Cross::Above if held.is_zero() => Some((Side::Buy, size)),
        Cross::Below if held.0.is_sign_positive() && !held.is_zero() => Some((Side::Sell, held)),
        _ => None,
    }
}

impl SmaCross {
    /// Refuses windows that cannot cross (fast must be shorter than slow, both at least 1).
    pub fn new(
        symbol: Symbol,
        fast: usize,
        slow: usize,
        size: Quantity,
    ) -> Result<Self, PluginError> {
        if fast == 0 || slow <= fast {
            return Err(PluginError::InvalidParams(format!(
                "need 0 < fast < slow, got fast {fast}, slow {slow}"
            )));
        }
        if size.0 <= rust_decimal::Decimal::ZERO {
            return Err(PluginError::InvalidParams(format!(
                "size must be positive, got {size}"
            )));
        }
        Ok(SmaCross {
            symbol,
            fast,
            slow,
            size,
        })
    }
}

impl Strategy for SmaCross {
    fn id(&self) -> &str {
        "sma_cross"
    }

    fn decide(&mut self, ctx: &Context<'_>) -> Result<Vec<OrderIntent>, PluginError> {
        let bars = ctx.market.bars(&self.symbol);
        // Only decide on a bar that closed now: a cycle at another symbol's instant (none here,
        // but a data folder may hold several) must not re-read an old close as new.
        if bars.last().is_none_or(|b| b.ts != ctx.now) {
            return Ok(Vec::new());
        }
        let n = bars.len();
        if n < self.slow + 1 {
            return Err(PluginError::InsufficientData(format!(
                "{} bars of {}, need {}",
                n,
                self.symbol,
                self.slow + 1
            )));
        }
        let closes: Vec<f64> = bars[n - self.slow - 1..].iter().map(|b| b.close).collect();
        let m = closes.len();
        let fast_now = mean(&closes[m - self.fast..]);
        let slow_now = mean(&closes[m - self.slow..]);
        let fast_prev = mean(&closes[m - 1 - self.fast..m - 1]);
        let slow_prev = mean(&closes[m - 1 - self.slow..m - 1]);
        let held = ctx.portfolio.qty(&self.symbol);
        let c = cross(fast_prev, slow_prev, fast_now, slow_now);
        let mut out = Vec::new();
        match order_for(c, held, self.size) {
            Some((Side::Buy, qty)) => out.push(OrderIntent {
                symbol: self.symbol.clone(),
                side: Side::Buy,
                qty,
                reason: format!(
                    "SMA{} {fast_now:.4} crossed above SMA{} {slow_now:.4}: buy {qty}",
                    self.fast, self.slow
                ),
            }),
            Some((Side::Sell, qty)) => out.push(OrderIntent {
                symbol: self.symbol.clone(),
                side: Side::Sell,
                qty,
                reason: format!(
                    "SMA{} {fast_now:.4} crossed below SMA{} {slow_now:.4}: sell {qty}",
                    self.fast, self.slow
                ),
            }),
            None => {}
        }
        Ok(out)
    }
}
