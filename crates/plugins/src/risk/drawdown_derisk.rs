//! `risk_drawdown_derisk`: cut exposure as the portfolio falls from its high-water mark.
//!
//! Between the soft limit (4%) and the hard limit (8%) exposure shrinks linearly:
//! multiplier = (hard − dd) / (hard − soft), 1 above soft, 0 at hard. At the hard limit the
//! plugin flattens everything and blocks new risk for `cooldown_hours` (24 h). After the cooldown
//! the high-water mark restarts at the then-current equity: a flattened book cannot recover the
//! old peak by itself, so measuring from it would keep the system out of the market forever.

use crate::params;
use optifire_core::event::Severity;
use optifire_core::plugin::{
    Category, Context, Output, Plugin, PluginError, PluginMeta, PluginPlan,
};
use optifire_core::Timestamp;
use serde::Deserialize;

pub const ID: &str = "risk_drawdown_derisk";

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub soft_limit: f64,
    pub hard_limit: f64,
    pub cooldown_hours: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            soft_limit: 0.04,
            hard_limit: 0.08,
            cooldown_hours: 24.0,
        }
    }
}

#[derive(Debug, Default)]
pub struct DrawdownDerisk {
    params: Params,
    high_water: Option<f64>,
    last_seen: Option<Timestamp>,
    cooldown_until: Option<Timestamp>,
}

impl DrawdownDerisk {
    /// Linear de-risking multiplier for a drawdown `dd` (a positive fraction).
    pub fn multiplier(&self, dd: f64) -> f64 {
        let Params {
            soft_limit: s,
            hard_limit: h,
            ..
        } = self.params;
        if dd <= s {
            1.0
        } else if dd >= h {
            0.0
        } else {
            (h - dd) / (h - s)
        }
    }
}

impl Plugin for DrawdownDerisk {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: ID.into(),
            name: "Drawdown de-risking".into(),
            category: Category::Risk,
            version: "1.0.0".into(),
            description: "linear de-risking between soft and hard drawdown limits; flatten and cooldown at the hard limit".into(),
            inputs: vec!["state:equity".into()],
            outputs: vec!["exposure_multiplier".into(), "flatten".into(), "block".into(), "report:drawdown".into()],
            // A scan of the equity points added since the previous run.
            est_cpu_ms: 0.01,
            est_mem_mb: 0.01,
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
        if !(p.soft_limit >= 0.0
            && p.soft_limit < p.hard_limit
            && p.hard_limit < 1.0
            && p.cooldown_hours >= 0.0)
        {
            return Err(PluginError::InvalidParams(format!(
                "need 0 ≤ soft < hard < 1 and cooldown ≥ 0: {p:?}"
            )));
        }
        self.params = p;
        Ok(())
    }

    fn run(&mut self, ctx: &Context<'_>) -> Result<Vec<Output>, PluginError> {
        let points = ctx.equity.points();
        let Some(last) = points.last() else {
            return Err(PluginError::InsufficientData(
                "no equity history yet".into(),
            ));
        };
        let now = ctx.now;
        if let Some(until) = self.cooldown_until {
            if now < until {
                let reason = format!("drawdown cooldown until {until}: no new risk");
                return Ok(vec![
                    Output::ExposureMultiplier {
                        symbol: None,
                        multiplier: 0.0,
                        reason: reason.clone(),
                    },
                    Output::Block {
                        symbol: None,
                        reason,
                    },
                ]);
            }
            // Cooldown over: restart the high-water mark at the current equity.
            self.cooldown_until = None;
            self.high_water = Some(last.equity.to_f64()).filter(|e| e.is_finite());
            self.last_seen = Some(last.ts);
        }
        let start = self
            .last_seen
            .map(|t| points.partition_point(|p| p.ts <= t))
            .unwrap_or(0);
        for p in &points[start..] {
            let e = p.equity.to_f64();
            if e.is_finite() {
                self.high_water = Some(self.high_water.map_or(e, |h| h.max(e)));
            }
        }
        self.last_seen = Some(last.ts);
        let equity = last.equity.to_f64();
        let hwm = self.high_water.unwrap_or(equity);
        if !(equity.is_finite() && hwm > 0.0) {
            return Err(PluginError::Failed(format!(
                "equity {equity} / high-water {hwm} unusable"
            )));
        }
        let dd = (1.0 - equity / hwm).max(0.0);
        let m = self.multiplier(dd);
        let report = Output::Report {
            name: "drawdown".into(),
            body: serde_json::json!({ "drawdown": dd, "high_water": hwm, "equity": equity, "multiplier": m }),
        };
        // A drawdown equal to the hard limit triggers it; 1e-12 absorbs the rounding of
        // 1 − equity/hwm (e.g. 1 − 101.2/110 = 0.07999999999999996 for an exact 8%).
        if dd >= self.params.hard_limit - 1e-12 {
            let until = now.plus_secs((self.params.cooldown_hours * 3600.0).round() as i64);
            self.cooldown_until = Some(until);
            let reason = format!(
                "drawdown {:.2}% ≥ hard limit {:.2}%: flatten, cooldown until {until}",
                dd * 100.0,
                self.params.hard_limit * 100.0
            );
            return Ok(vec![
                report,
                Output::Flatten {
                    symbol: None,
                    reason: reason.clone(),
                },
                Output::ExposureMultiplier {
                    symbol: None,
                    multiplier: 0.0,
                    reason: reason.clone(),
                },
                Output::Block {
                    symbol: None,
                    reason: reason.clone(),
                },
                Output::Alert {
                    severity: Severity::Critical,
                    message: reason,
                },
            ]);
        }
        Ok(vec![
            report,
            Output::ExposureMultiplier {
                symbol: None,
                multiplier: m,
                reason: format!(
                    "drawdown {:.2}% from high-water {hwm:.2} → ×{m:.3}",
                    dd * 100.0
                ),
            },
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::{EquityHistory, EquityPoint, Money, Portfolio};
    use optifire_core::plugin::MarketData;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    const H: i64 = 3600;

    fn run_at(p: &mut DrawdownDerisk, eq: &EquityHistory, t: i64) -> Vec<Output> {
        let md = MarketData::new();
        let pf = Portfolio::new(Money::ZERO);
        let now = Timestamp::from_secs(t);
        let ctx = Context::new(now, &md, &pf, eq);
        p.run(&ctx).unwrap()
    }

    fn push(eq: &mut EquityHistory, t: i64, e: &str) {
        let m = Money(Decimal::from_str(e).unwrap());
        assert!(eq.push(EquityPoint {
            ts: Timestamp::from_secs(t),
            equity: m,
            cash: m,
            gross_exposure: Money::ZERO
        }));
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
    fn linear_between_soft_and_hard_then_flatten_and_cooldown() {
        let mut p = DrawdownDerisk::default();
        let mut eq = EquityHistory::new();
        push(&mut eq, 0, "100");
        push(&mut eq, H, "110"); // high-water 110
        push(&mut eq, 2 * H, "106.7"); // dd = 1 − 106.7/110 = 3% ≤ 4% → ×1
        assert_eq!(mult(&run_at(&mut p, &eq, 2 * H)), 1.0);
        push(&mut eq, 3 * H, "104.5"); // dd = 5% → (8 − 5)/(8 − 4) = 0.75
        assert!((mult(&run_at(&mut p, &eq, 3 * H)) - 0.75).abs() < 1e-12);
        push(&mut eq, 4 * H, "101.2"); // dd = 8% → flatten + cooldown until 4h + 24h
        let out = run_at(&mut p, &eq, 4 * H);
        assert!(out
            .iter()
            .any(|o| matches!(o, Output::Flatten { symbol: None, .. })));
        assert_eq!(mult(&out), 0.0);
        // 23 h later: still cooling down, even though equity recovered a little.
        push(&mut eq, 27 * H, "103");
        let out = run_at(&mut p, &eq, 27 * H);
        assert!(out
            .iter()
            .any(|o| matches!(o, Output::Block { symbol: None, .. })));
        assert_eq!(mult(&out), 0.0);
        // 24 h after the flatten the high-water mark restarts at 103: dd 0 → ×1.
        push(&mut eq, 28 * H, "103");
        assert_eq!(mult(&run_at(&mut p, &eq, 28 * H)), 1.0);
        // And it is measured from 103 from now on: 98.88 is 4% below → ×1; 96.82 is 6% → 0.5.
        push(&mut eq, 29 * H, "96.82");
        assert!((mult(&run_at(&mut p, &eq, 29 * H)) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn intermediate_peaks_between_runs_count() {
        // The plugin ran at 0 h only; a peak of 120 at 1 h must still be the high-water mark.
        let mut p = DrawdownDerisk::default();
        let mut eq = EquityHistory::new();
        push(&mut eq, 0, "100");
        run_at(&mut p, &eq, 0);
        push(&mut eq, H, "120");
        push(&mut eq, 2 * H, "114"); // 5% below 120 → 0.75
        assert!((mult(&run_at(&mut p, &eq, 2 * H)) - 0.75).abs() < 1e-12);
    }
}
