//! `fe_kalman`: Kalman-filtered price level, slope and level variance per symbol, and dynamic
//! hedge ratios for configured pairs.
//!
//! A local-linear-trend filter gives a smoothed trend that reacts without the lag of a moving
//! average; the dynamic regression gives a hedge ratio that adapts as a pair's relation drifts.
//! Filters are streaming: each run feeds only the bars that arrived since the previous run, so
//! cost per run is constant and the result is identical to filtering the whole history at once.

use crate::params;
use nalgebra::{Matrix2, Vector2};
use optifire_core::domain::{AssetClass, Instrument, Symbol};
use optifire_core::plugin::{
    Category, Context, Output, Plugin, PluginError, PluginMeta, PluginPlan,
};
use optifire_core::Timestamp;
use optifire_ta::filters::{
    DynamicRegressionFilter, DynamicRegressionParams, LocalTrendFilter, LocalTrendParams,
};
use serde::Deserialize;
use std::collections::BTreeMap;

pub const ID: &str = "fe_kalman";

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Symbols to filter; empty means every non-index symbol of the feed.
    pub symbols: Vec<String>,
    /// Noise scales as fractions of the first close c0 (scale-free defaults):
    /// level step sd = level_noise_frac·c0, slope step sd = slope_noise_frac·c0,
    /// observation sd = obs_noise_frac·c0.
    pub level_noise_frac: f64,
    pub slope_noise_frac: f64,
    pub obs_noise_frac: f64,
    /// Absolute variances overriding the fractions (research, reference checks).
    pub q_level: Option<f64>,
    pub q_slope: Option<f64>,
    pub r: Option<f64>,
    /// Prior variances of level and slope; default (r, q_slope).
    pub initial_variances: Option<[f64; 2]>,
    /// Pairs [y, x] for the dynamic hedge ratio y ≈ beta·x + alpha.
    pub pairs: Vec<[String; 2]>,
    /// Coefficient drift: Q = delta/(1-delta)·I.
    pub pair_delta: f64,
    /// Observation variance of the pair regression (price units²).
    pub pair_r: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            symbols: Vec::new(),
            level_noise_frac: 0.002,
            slope_noise_frac: 0.0002,
            obs_noise_frac: 0.01,
            q_level: None,
            q_slope: None,
            r: None,
            initial_variances: None,
            pairs: Vec::new(),
            pair_delta: 1e-4,
            pair_r: 1.0,
        }
    }
}

impl Params {
    fn trend_params(&self, c0: f64) -> LocalTrendParams {
        let ql = self.q_level.unwrap_or((self.level_noise_frac * c0).powi(2));
        let qs = self.q_slope.unwrap_or((self.slope_noise_frac * c0).powi(2));
        let r = self.r.unwrap_or((self.obs_noise_frac * c0).powi(2));
        let [p_level, p_slope] = self.initial_variances.unwrap_or([r, qs]);
        LocalTrendParams {
            q: Matrix2::new(ql, 0.0, 0.0, qs),
            r,
            initial_state: Vector2::new(c0, 0.0),
            initial_covariance: Matrix2::new(p_level, 0.0, 0.0, p_slope),
        }
    }
}

#[derive(Debug)]
struct Tracked<F> {
    filter: F,
    last_ts: Timestamp,
    last: Option<[f64; 3]>,
}

#[derive(Debug, Default)]
pub struct FeKalman {
    params: Params,
    trends: BTreeMap<Symbol, Tracked<LocalTrendFilter>>,
    pairs: BTreeMap<(Symbol, Symbol), Tracked<DynamicRegressionFilter>>,
}

impl FeKalman {
    fn symbols(&self, ctx: &Context<'_>) -> Vec<Symbol> {
        if self.params.symbols.is_empty() {
            ctx.market
                .symbols()
                .filter(|s| Instrument::infer(s).asset_class != AssetClass::Index)
                .cloned()
                .collect()
        } else {
            self.params.symbols.iter().map(|s| Symbol::new(s)).collect()
        }
    }
}

impl Plugin for FeKalman {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: ID.into(),
            name: "Kalman trend".into(),
            category: Category::Feature,
            version: "1.0.0".into(),
            description: "local-linear-trend Kalman filter of close (level, slope, variance); dynamic hedge ratios".into(),
            inputs: vec!["bars".into()],
            outputs: vec![
                "feature:kalman_level".into(),
                "feature:kalman_slope".into(),
                "feature:kalman_variance".into(),
                "feature:kalman_hedge_ratio_<X>".into(),
            ],
            // Measured by the runner on the sample (19 symbols, one new bar each): a few µs per
            // symbol per run; the first run filters the whole history.
            est_cpu_ms: 0.1,
            est_mem_mb: 0.1,
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
        let fracs = [p.level_noise_frac, p.slope_noise_frac, p.obs_noise_frac];
        if fracs.iter().any(|f| !(f.is_finite() && *f >= 0.0)) || p.obs_noise_frac <= 0.0 {
            return Err(PluginError::InvalidParams(format!(
                "noise fractions must be ≥ 0 (obs > 0): {fracs:?}"
            )));
        }
        if !(p.pair_delta > 0.0 && p.pair_delta < 1.0 && p.pair_r > 0.0) {
            return Err(PluginError::InvalidParams(
                "pair_delta must be in (0, 1) and pair_r > 0".into(),
            ));
        }
        self.params = p;
        self.trends.clear();
        self.pairs.clear();
        Ok(())
    }

    fn run(&mut self, ctx: &Context<'_>) -> Result<Vec<Output>, PluginError> {
        let mut out = Vec::new();
        for sym in self.symbols(ctx) {
            let bars = ctx.market.bars(&sym);
            let Some(first) = bars.first() else { continue };
            if !self.trends.contains_key(&sym) {
                let filter = LocalTrendFilter::new(self.params.trend_params(first.close))
                    .map_err(|e| PluginError::InvalidParams(format!("{sym}: {e}")))?;
                self.trends.insert(
                    sym.clone(),
                    Tracked {
                        filter,
                        last_ts: Timestamp::MIN,
                        last: None,
                    },
                );
            }
            let Some(t) = self.trends.get_mut(&sym) else {
                continue;
            };
            let start = bars.partition_point(|b| b.ts <= t.last_ts);
            for b in &bars[start..] {
                let e = t.filter.update(b.close);
                t.last = Some([e.level, e.slope, e.covariance[(0, 0)]]);
                t.last_ts = b.ts;
            }
            if let Some([level, slope, var]) = t.last {
                out.push(Output::Feature {
                    symbol: sym.clone(),
                    name: "kalman_level".into(),
                    value: level,
                });
                out.push(Output::Feature {
                    symbol: sym.clone(),
                    name: "kalman_slope".into(),
                    value: slope,
                });
                out.push(Output::Feature {
                    symbol: sym.clone(),
                    name: "kalman_variance".into(),
                    value: var,
                });
            }
        }
        for [y, x] in &self.params.pairs {
            let (ys, xs) = (Symbol::new(y), Symbol::new(x));
            let key = (ys.clone(), xs.clone());
            if !self.pairs.contains_key(&key) {
                let p = DynamicRegressionParams::with_delta(
                    self.params.pair_delta,
                    self.params.pair_r,
                    Vector2::zeros(),
                    Matrix2::from_element(1.0),
                )
                .map_err(|e| PluginError::InvalidParams(e.to_string()))?;
                let filter = DynamicRegressionFilter::new(p)
                    .map_err(|e| PluginError::InvalidParams(e.to_string()))?;
                self.pairs.insert(
                    key.clone(),
                    Tracked {
                        filter,
                        last_ts: Timestamp::MIN,
                        last: None,
                    },
                );
            }
            let Some(t) = self.pairs.get_mut(&key) else {
                continue;
            };
            // Pair observations are the timestamps both series share.
            let (by, bx) = (ctx.market.bars(&ys), ctx.market.bars(&xs));
            let (mut i, mut j) = (
                by.partition_point(|b| b.ts <= t.last_ts),
                bx.partition_point(|b| b.ts <= t.last_ts),
            );
            while i < by.len() && j < bx.len() {
                match by[i].ts.cmp(&bx[j].ts) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        let e = t.filter.update(bx[j].close, by[i].close);
                        t.last = Some([e.beta, e.alpha, e.covariance[(0, 0)]]);
                        t.last_ts = by[i].ts;
                        i += 1;
                        j += 1;
                    }
                }
            }
            if let Some([beta, _, _]) = t.last {
                out.push(Output::Feature {
                    symbol: ys.clone(),
                    name: format!("kalman_hedge_ratio_{xs}"),
                    value: beta,
                });
            }
        }
        if out.is_empty() {
            return Err(PluginError::InsufficientData(
                "no bars for any configured symbol yet".into(),
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::{Bar, EquityHistory, Money, Portfolio};
    use optifire_core::plugin::MarketData;

    /// pykalman reference (tools/reference/risk_fixtures.py → crates/ta/tests/fixtures/ref/filters.json,
    /// copied to tests/fixtures/kalman_pykalman.json).
    fn fixture() -> serde_json::Value {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/kalman_pykalman.json"
        );
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    }

    fn series(v: &serde_json::Value) -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    }

    fn bars(sym: &str, closes: &[f64]) -> Vec<Bar> {
        closes
            .iter()
            .enumerate()
            .map(|(i, c)| Bar {
                symbol: sym.into(),
                ts: Timestamp::from_secs(1_700_000_000 + 86_400 * i as i64),
                open: *c,
                high: *c,
                low: *c,
                close: *c,
                volume: 1.0,
            })
            .collect()
    }

    fn feature(out: &[Output], sym: &str, name: &str) -> f64 {
        out.iter()
            .find_map(|o| match o {
                Output::Feature {
                    symbol,
                    name: n,
                    value,
                } if symbol.as_str() == sym && n == name => Some(*value),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no {name} for {sym}"))
    }

    fn close(what: &str, i: usize, got: f64, want: f64) {
        // 1e-9 relative (floor 1e-12 absolute), the tolerance of the kernel's own reference test.
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1e-3),
            "{what}[{i}]: {got} vs pykalman {want}"
        );
    }

    #[test]
    fn streaming_runs_match_pykalman_trend_and_hedge_ratio_step_by_step() {
        let f = fixture();
        let (spy, tlt) = (series(&f["spy"]), series(&f["tlt"]));
        let lt = &f["local_trend"];
        let p0 = lt["p0"].as_array().unwrap();
        let mut md = MarketData::new();
        md.insert("SPY".into(), bars("SPY", &spy)).unwrap();
        md.insert("TLT".into(), bars("TLT", &tlt)).unwrap();
        let mut k = FeKalman::default();
        k.configure(&serde_json::json!({
            "symbols": ["SPY"],
            "q_level": lt["q_level"], "q_slope": lt["q_slope"], "r": lt["r"],
            "initial_variances": [p0[0][0], p0[1][1]],
            "pairs": [["TLT", "SPY"]],
            "pair_delta": f["dynamic_regression"]["delta"], "pair_r": f["dynamic_regression"]["r"],
        }))
        .unwrap();
        let (level, slope) = (series(&lt["level"]), series(&lt["slope"]));
        let beta = series(&f["dynamic_regression"]["beta"]);
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        // Run after every bar for the first 50, then once after a gap of 100 bars (catch-up),
        // then at the end: all must agree with the reference at that step.
        let mut steps: Vec<usize> = (0..50).collect();
        steps.extend([150, spy.len() - 1]);
        for i in steps {
            let now = Timestamp::from_secs(1_700_000_000 + 86_400 * i as i64);
            let ctx = Context::new(now, &md, &pf, &eq);
            let out = k.run(&ctx).unwrap();
            close("level", i, feature(&out, "SPY", "kalman_level"), level[i]);
            close("slope", i, feature(&out, "SPY", "kalman_slope"), slope[i]);
            close(
                "beta",
                i,
                feature(&out, "TLT", "kalman_hedge_ratio_SPY"),
                beta[i],
            );
        }
    }

    #[test]
    fn nothing_to_filter_is_insufficient_data_not_an_error() {
        let md = MarketData::new();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let now = Timestamp::from_secs(0);
        let ctx = Context::new(now, &md, &pf, &eq);
        assert!(matches!(
            FeKalman::default().run(&ctx),
            Err(PluginError::InsufficientData(_))
        ));
    }
}
