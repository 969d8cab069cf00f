//! `alpha_vix_regime`: the VIX level sets the market regime and an exposure multiplier.
//!
//! Regimes (PLUGINS.md): low_vol below 15 (×1.2), normal below 25 (×1.0), elevated below 35
//! (×0.7), crisis from 35 (×0.3). Hysteresis is asymmetric on purpose: a calmer regime is
//! entered only once VIX is `hysteresis` points below the boundary, while a more dangerous one is
//! entered at the boundary itself, so the plugin never delays de-risking and does not flap
//! back and forth around a threshold.

use crate::params;
use optifire_core::domain::Symbol;
use optifire_core::event::Severity;
use optifire_core::plugin::{
    Category, Context, Output, Plugin, PluginError, PluginMeta, PluginPlan,
};
use serde::Deserialize;

pub const ID: &str = "alpha_vix_regime";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Regime {
    LowVol,
    Normal,
    Elevated,
    Crisis,
}

impl Regime {
    const ALL: [Regime; 4] = [
        Regime::LowVol,
        Regime::Normal,
        Regime::Elevated,
        Regime::Crisis,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Regime::LowVol => "low_vol",
            Regime::Normal => "normal",
            Regime::Elevated => "elevated",
            Regime::Crisis => "crisis",
        }
    }
    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// The series carrying the VIX index level.
    pub symbol: String,
    /// Upper bounds of low_vol, normal and elevated (crisis above the last).
    pub thresholds: [f64; 3],
    /// Exposure multipliers for low_vol, normal, elevated, crisis.
    pub multipliers: [f64; 4],
    /// VIX points below a boundary needed to move to the calmer regime.
    pub hysteresis: f64,
    /// A VIX bar older than this many days is stale: the plugin fails (risk engine fails closed).
    pub max_age_days: f64,
    /// VIX has never closed above 83 (2020-03-16); a reading above this is bad data, not a regime.
    pub max_plausible: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            symbol: "VIX".into(),
            thresholds: [15.0, 25.0, 35.0],
            multipliers: [1.2, 1.0, 0.7, 0.3],
            hysteresis: 1.0,
            max_age_days: 4.0,
            max_plausible: 100.0,
        }
    }
}

impl Params {
    fn check(&self) -> Result<(), PluginError> {
        let t = self.thresholds;
        if !(t[0] > 0.0 && t[0] < t[1] && t[1] < t[2]) {
            return Err(PluginError::InvalidParams(format!(
                "thresholds must be increasing and positive, got {t:?}"
            )));
        }
        if self
            .multipliers
            .iter()
            .any(|m| !(m.is_finite() && *m >= 0.0))
        {
            return Err(PluginError::InvalidParams(format!(
                "multipliers must be ≥ 0, got {:?}",
                self.multipliers
            )));
        }
        let ok = self.hysteresis >= 0.0 && self.max_age_days > 0.0;
        if !ok {
            return Err(PluginError::InvalidParams(
                "hysteresis must be ≥ 0 and max_age_days > 0".into(),
            ));
        }
        Ok(())
    }

    /// The regime the thresholds alone give for `vix`.
    pub fn raw_regime(&self, vix: f64) -> Regime {
        let n = self.thresholds.iter().filter(|t| vix >= **t).count();
        Regime::ALL[n]
    }
}

#[derive(Debug, Default)]
pub struct VixRegime {
    params: Params,
    current: Option<Regime>,
}

impl VixRegime {
    pub fn current(&self) -> Option<Regime> {
        self.current
    }

    /// The regime after observing `vix`, given the current one (pure; used by `run`).
    pub fn next_regime(&self, vix: f64) -> Regime {
        let raw = self.params.raw_regime(vix);
        match self.current {
            None => raw,
            Some(cur) if raw >= cur => raw,
            // Calmer: only as far as VIX is clear of each boundary by the hysteresis.
            Some(cur) => cur.min(self.params.raw_regime(vix + self.params.hysteresis)),
        }
    }
}

impl Plugin for VixRegime {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: ID.into(),
            name: "VIX regime".into(),
            category: Category::Alpha,
            version: "1.0.0".into(),
            description: "VIX level → regime and exposure multiplier, with hysteresis".into(),
            inputs: vec![format!("bars:{}", self.params.symbol)],
            outputs: vec![
                "regime".into(),
                "exposure_multiplier".into(),
                "feature:vix_level".into(),
            ],
            // Measured: one binary search and a comparison per run (see the runner's records).
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
        p.check()?;
        self.params = p;
        Ok(())
    }

    fn run(&mut self, ctx: &Context<'_>) -> Result<Vec<Output>, PluginError> {
        let sym = Symbol::new(&self.params.symbol);
        let bar = ctx.market.last(&sym).ok_or_else(|| {
            PluginError::NoDataSource(format!("no {sym} series in the market data feed"))
        })?;
        let age_days = ctx.now.secs_since(bar.ts) / 86_400.0;
        if age_days > self.params.max_age_days {
            return Err(PluginError::Failed(format!(
                "{sym} is stale: last bar {} is {age_days:.1} days old (max {})",
                bar.ts, self.params.max_age_days
            )));
        }
        let vix = bar.close;
        if !(vix.is_finite() && vix > 0.0 && vix <= self.params.max_plausible) {
            return Err(PluginError::Failed(format!(
                "{sym} close {vix} at {} is implausible (allowed 0 < VIX ≤ {}); regime unchanged",
                bar.ts, self.params.max_plausible
            )));
        }
        let previous = self.current;
        let regime = self.next_regime(vix);
        self.current = Some(regime);
        let multiplier = self.params.multipliers[regime.index()];
        let mut out = vec![
            Output::Feature {
                symbol: sym.clone(),
                name: "vix_level".into(),
                value: vix,
            },
            Output::Regime {
                name: regime.name().into(),
                multiplier,
            },
            Output::ExposureMultiplier {
                symbol: None,
                multiplier,
                reason: format!("VIX {vix:.2}: {} regime (×{multiplier})", regime.name()),
            },
        ];
        if let Some(prev) = previous.filter(|p| *p != regime) {
            let severity = if regime > prev {
                Severity::Warning
            } else {
                Severity::Info
            };
            out.push(Output::Alert {
                severity,
                message: format!(
                    "VIX regime {} → {} (VIX {vix:.2})",
                    prev.name(),
                    regime.name()
                ),
            });
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

    const DAY: i64 = 86_400;

    fn run_series(p: &mut VixRegime, closes: &[f64]) -> Vec<(Regime, f64)> {
        let mut md = MarketData::new();
        let bars: Vec<Bar> = closes
            .iter()
            .enumerate()
            .map(|(i, c)| Bar {
                symbol: "VIX".into(),
                ts: Timestamp::from_secs(1_700_000_000 + i as i64 * DAY),
                open: *c,
                high: *c,
                low: *c,
                close: *c,
                volume: 0.0,
            })
            .collect();
        let times: Vec<Timestamp> = bars.iter().map(|b| b.ts).collect();
        md.insert("VIX".into(), bars).unwrap();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        times
            .into_iter()
            .map(|now| {
                let ctx = Context::new(now, &md, &pf, &eq);
                let out = p.run(&ctx).unwrap();
                let m = out
                    .iter()
                    .find_map(|o| match o {
                        Output::ExposureMultiplier { multiplier, .. } => Some(*multiplier),
                        _ => None,
                    })
                    .unwrap();
                (p.current().unwrap(), m)
            })
            .collect()
    }

    #[test]
    fn thresholds_and_multipliers_of_the_catalogue() {
        let p = Params::default();
        assert_eq!(p.raw_regime(14.99), Regime::LowVol);
        assert_eq!(p.raw_regime(15.0), Regime::Normal);
        assert_eq!(p.raw_regime(24.99), Regime::Normal);
        assert_eq!(p.raw_regime(25.0), Regime::Elevated);
        assert_eq!(p.raw_regime(34.99), Regime::Elevated);
        assert_eq!(p.raw_regime(35.0), Regime::Crisis);
        for (vix, mult) in [(12.0, 1.2), (20.0, 1.0), (30.0, 0.7), (40.0, 0.3)] {
            let r = run_series(&mut VixRegime::default(), &[vix]);
            assert_eq!(r[0].1, mult, "VIX {vix}");
        }
    }

    #[test]
    fn escalates_at_the_boundary_and_calms_only_past_the_band() {
        // normal → 25.0 elevated at once → 24.5 stays (within 1 pt) → 23.9 normal.
        let r = run_series(
            &mut VixRegime::default(),
            &[20.0, 25.0, 24.5, 24.1, 23.9, 14.5, 13.9],
        );
        let names: Vec<_> = r.iter().map(|x| x.0.name()).collect();
        assert_eq!(
            names,
            ["normal", "elevated", "elevated", "elevated", "normal", "normal", "low_vol"]
        );
        // A crash straight from crisis to calm falls through every band in one step.
        let r = run_series(&mut VixRegime::default(), &[40.0, 12.0]);
        assert_eq!(r[1].0, Regime::LowVol);
    }

    #[test]
    fn hysteresis_reduces_flapping_on_the_real_vix_series() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample/VIX.csv");
        let text = std::fs::read_to_string(path).unwrap();
        // Rows before the known bad final rows; Close is the second column.
        let closes: Vec<f64> = text
            .lines()
            .skip(1)
            .filter(|l| l < &"2026-03-25")
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert!(closes.len() > 1300);
        let changes = |h: f64| {
            let mut p = VixRegime::default();
            p.configure(&serde_json::json!({ "hysteresis": h }))
                .unwrap();
            let r = run_series(&mut p, &closes);
            r.windows(2).filter(|w| w[0].0 != w[1].0).count()
        };
        let (none, one) = (changes(0.0), changes(1.0));
        assert!(
            one < none,
            "hysteresis 1.0 gave {one} changes, none gave {none}"
        );
        // With no hysteresis the plugin is exactly the threshold table on every day.
        let mut p = VixRegime::default();
        p.configure(&serde_json::json!({ "hysteresis": 0.0 }))
            .unwrap();
        let r = run_series(&mut p, &closes);
        for (c, (reg, _)) in closes.iter().zip(&r) {
            assert_eq!(*reg, Params::default().raw_regime(*c));
        }
    }

    #[test]
    fn missing_stale_and_implausible_data_produce_no_regime() {
        let mut p = VixRegime::default();
        let md = MarketData::new();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let now = Timestamp::from_secs(1_700_000_000);
        let ctx = Context::new(now, &md, &pf, &eq);
        assert!(matches!(p.run(&ctx), Err(PluginError::NoDataSource(_))));

        let mut md = MarketData::new();
        let bar = |t: i64, c: f64| Bar {
            symbol: "VIX".into(),
            ts: Timestamp::from_secs(t),
            open: c,
            high: c,
            low: c,
            close: c,
            volume: 0.0,
        };
        md.insert(
            "VIX".into(),
            vec![bar(1_700_000_000, 20.0), bar(1_700_000_000 + DAY, 154.96)],
        )
        .unwrap();
        let later = Timestamp::from_secs(1_700_000_000 + 10 * DAY);
        let ctx = Context {
            now: later,
            market: md.view(later),
            ..ctx
        };
        assert!(matches!(p.run(&ctx), Err(PluginError::Failed(m)) if m.contains("stale")));
        let t1 = Timestamp::from_secs(1_700_000_000 + DAY);
        let ctx = Context {
            now: t1,
            market: md.view(t1),
            ..ctx
        };
        assert!(matches!(p.run(&ctx), Err(PluginError::Failed(m)) if m.contains("implausible")));
        assert_eq!(p.current(), None);
    }

    #[test]
    fn bad_params_are_refused() {
        let mut p = VixRegime::default();
        assert!(p
            .configure(&serde_json::json!({ "thresholds": [25.0, 15.0, 35.0] }))
            .is_err());
        assert!(p
            .configure(&serde_json::json!({ "hysterisis": 1.0 }))
            .is_err());
        assert!(p
            .configure(&serde_json::json!({ "hysteresis": "1" }))
            .is_err());
    }
}
