//! `risk_vol_target`: scale each symbol's exposure so its volatility contribution is on target.
//!
//! multiplier = target_vol / realized_vol, with realized vol the annualized (√252) sample std of
//! the last `window` daily log returns, bounded to [min_mult, max_mult] (PLUGINS.md: 15%, 20d,
//! [0.5, 2.0]). Calm markets get more exposure, turbulent ones less, within hard bounds.

use crate::params;
use optifire_core::domain::{AssetClass, Instrument, Symbol};
use optifire_core::fixed::Fixed;
use optifire_core::plugin::{
    Category, Context, Output, Plugin, PluginError, PluginMeta, PluginPlan,
};
use optifire_ta::returns::{realized_volatility, TRADING_DAYS_PER_YEAR};
use serde::Deserialize;

pub const ID: &str = "risk_vol_target";

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub target_vol: f64,
    pub window: usize,
    pub min_mult: f64,
    pub max_mult: f64,
    /// Symbols to scale; empty means every tradable symbol of the feed.
    pub symbols: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            target_vol: 0.15,
            window: 20,
            min_mult: 0.5,
            max_mult: 2.0,
            symbols: Vec::new(),
        }
    }
}

#[derive(Debug, Default)]
pub struct VolTarget {
    params: Params,
}

impl VolTarget {
    /// The bounded multiplier for an annualized realized vol (0 vol → the upper bound).
    pub fn multiplier(&self, realized: f64) -> f64 {
        let p = &self.params;
        if realized <= 0.0 {
            return p.max_mult;
        }
        (p.target_vol / realized).clamp(p.min_mult, p.max_mult)
    }
}

impl Plugin for VolTarget {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: ID.into(),
            name: "Volatility target".into(),
            category: Category::Risk,
            version: "1.0.0".into(),
            description: "target vol / realized vol (20d), bounded [0.5, 2.0], per symbol".into(),
            inputs: vec!["bars".into()],
            outputs: vec![
                "exposure_multiplier".into(),
                "feature:realized_vol_<N>".into(),
            ],
            // One 21-value std per symbol per run.
            est_cpu_ms: 0.05,
            est_mem_mb: 0.05,
        }
    }

    fn plan(&self) -> PluginPlan {
        PluginPlan {
            schedule: "@close".into(),
            depends_on: vec![],
        }
    }

    fn configure(&mut self, params: &serde_json::Value) -> Result<(), PluginError> {
        let p: Params = params::parse(params)?;
        if !(p.target_vol > 0.0 && p.window >= 2 && p.min_mult > 0.0 && p.min_mult <= p.max_mult) {
            return Err(PluginError::InvalidParams(format!(
                "need target_vol > 0, window ≥ 2, 0 < min_mult ≤ max_mult: {p:?}"
            )));
        }
        self.params = p;
        Ok(())
    }

    fn run(&mut self, ctx: &Context<'_>) -> Result<Vec<Output>, PluginError> {
        let symbols: Vec<Symbol> = if self.params.symbols.is_empty() {
            ctx.market
                .symbols()
                .filter(|s| Instrument::infer(s).asset_class != AssetClass::Index)
                .cloned()
                .collect()
        } else {
            self.params.symbols.iter().map(|s| Symbol::new(s)).collect()
        };
        let n = self.params.window;
        let mut out = Vec::new();
        for sym in symbols {
            let closes = ctx.market.closes(&sym, n + 1);
            if closes.len() < n + 1 {
                continue;
            }
            let vol = realized_volatility(&closes, n, TRADING_DAYS_PER_YEAR)
                .map_err(|e| PluginError::Failed(format!("{sym}: {e}")))?
                .last()
                .copied()
                .unwrap_or(f64::NAN);
            if !vol.is_finite() {
                // Fail closed: an unknown vol must not become a full-size position.
                out.push(Output::ExposureMultiplier {
                    symbol: Some(sym.clone()),
                    multiplier: self.params.min_mult,
                    reason: format!(
                        "{sym}: realized vol not computable; minimum ×{}",
                        self.params.min_mult
                    ),
                });
                continue;
            }
            let m = self.multiplier(vol);
            out.push(Output::Feature {
                symbol: sym.clone(),
                name: format!("realized_vol_{n}"),
                value: vol,
            });
            out.push(Output::ExposureMultiplier {
                symbol: Some(sym.clone()),
                multiplier: m,
                reason: format!(
                    "{sym}: realized vol {}% vs target {}% → ×{}",
                    Fixed(vol * 100.0, 1),
                    Fixed(self.params.target_vol * 100.0, 1),
                    Fixed(m, 3)
                ),
            });
        }
        if out.is_empty() {
            return Err(PluginError::InsufficientData(format!(
                "fewer than {} bars for every symbol",
                n + 1
            )));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::{Bar, EquityHistory, Money, Portfolio};
    use optifire_core::plugin::MarketData;
    use optifire_core::Timestamp;

    /// 21 closes whose 20 log returns alternate +a, −a.
    fn zigzag(a: f64) -> Vec<f64> {
        let mut p = vec![100.0];
        for i in 0..20 {
            let r: f64 = if i % 2 == 0 { a } else { -a };
            p.push(p[i] * r.exp());
        }
        p
    }

    fn run_on(closes: &[f64]) -> Vec<Output> {
        let bars = closes
            .iter()
            .enumerate()
            .map(|(i, c)| Bar {
                symbol: "SPY".into(),
                ts: Timestamp::from_secs(86_400 * (i as i64 + 1)),
                open: *c,
                high: *c,
                low: *c,
                close: *c,
                volume: 1.0,
            })
            .collect();
        let mut md = MarketData::new();
        md.insert("SPY".into(), bars).unwrap();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let now = Timestamp::from_secs(86_400 * 100);
        let ctx = Context::new(now, &md, &pf, &eq);
        VolTarget::default().run(&ctx).unwrap()
    }

    fn mult(out: &[Output]) -> f64 {
        out.iter()
            .find_map(|o| {
                if let Output::ExposureMultiplier { multiplier, .. } = o {
                    Some(*multiplier)
                } else {
                    None
                }
            })
            .unwrap()
    }

    #[test]
    fn worked_example() {
        // Returns ±0.01, mean 0: sample std = 0.01·√(20/19) = 0.0102597835;
        // annualized ×√252 = 0.1628690142; multiplier 0.15 / 0.1628690142 = 0.9209854970
        // (checked with Python's statistics.stdev).
        let out = run_on(&zigzag(0.01));
        let vol = 0.01 * (20.0f64 / 19.0).sqrt() * 252f64.sqrt();
        assert!((vol - 0.162_869_014_2).abs() < 1e-9);
        assert!(
            (mult(&out) - 0.920_985_497_0).abs() < 1e-9,
            "{}",
            mult(&out)
        );
    }

    #[test]
    fn bounded_to_half_and_double() {
        // ±0.1%: vol 1.63% → 9.2× → 2.0. ±5%: vol 81.4% → 0.18× → 0.5.
        assert_eq!(mult(&run_on(&zigzag(0.001))), 2.0);
        assert_eq!(mult(&run_on(&zigzag(0.05))), 0.5);
        // Constant prices: zero vol → the upper bound, not a division by zero.
        assert_eq!(mult(&run_on(&[50.0; 21])), 2.0);
    }

    #[test]
    fn short_history_is_warm_up() {
        let md = MarketData::new();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let now = Timestamp::from_secs(0);
        let ctx = Context::new(now, &md, &pf, &eq);
        assert!(matches!(
            VolTarget::default().run(&ctx),
            Err(PluginError::InsufficientData(_))
        ));
    }
}
