//! `alpha_cross_asset_corr`: cross-asset correlations, the equity-bond correlation regime, and a
//! correlation-aware trend signal.
//!
//! Correlation: the sample correlation matrix of daily log returns over `window` (60) common
//! days of SPY/TLT/GLD/UUP/QQQ. Diversification score: 1 − mean |off-diagonal correlation|.
//! Equity-bond regime: the sign of corr(SPY, TLT), with a ±`flip_band` dead zone so noise around
//! zero does not flap; a flip raises an alert (bonds stop hedging equities when it turns positive,
//! as in 2022).
//! Signal per asset = trend × diversification, where trend = tanh(annualized Kalman slope /
//! level / `trend_scale`) from `fe_kalman` (same cycle) and diversification = 1 − mean |corr| of
//! the asset with the others: follow trends, and lean on the assets that diversify the rest.
//! Long-only by default (negative trend → 0), because shorting bonds or gold is not the intent.

use crate::params;
use optifire_core::domain::{Bar, Signal, Symbol};
use optifire_core::event::Severity;
use optifire_core::plugin::{
    Category, Context, Output, Plugin, PluginError, PluginMeta, PluginPlan,
};
use optifire_ta::returns::correlation_matrix;
use serde::Deserialize;
use std::collections::BTreeMap;

pub const ID: &str = "alpha_cross_asset_corr";

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub symbols: Vec<String>,
    pub window: usize,
    pub equity: String,
    pub bond: String,
    pub flip_band: f64,
    /// Annualized drift (fraction) that maps to tanh(1) ≈ 0.76 of full conviction.
    pub trend_scale: f64,
    pub long_only: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            symbols: ["SPY", "TLT", "GLD", "UUP", "QQQ"]
                .map(String::from)
                .to_vec(),
            window: 60,
            equity: "SPY".into(),
            bond: "TLT".into(),
            flip_band: 0.1,
            trend_scale: 0.2,
            long_only: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EquityBond {
    Negative,
    Positive,
}

#[derive(Debug, Default)]
pub struct CrossAssetCorr {
    params: Params,
    regime: Option<EquityBond>,
}

/// Log returns of `symbols` over the last `window` timestamps common to all of them.
/// Log returns of each symbol over the last `window` steps between the instants all of them
/// have a bar at (within a generous lookback), oldest first; `None` with fewer such instants.
fn aligned_returns(ctx: &Context<'_>, symbols: &[Symbol], window: usize) -> Option<Vec<Vec<f64>>> {
    // Look back generously so missing days in one series still leave `window + 1` common ones.
    let lookback = window * 2 + 10;
    let series: Vec<&[Bar]> = symbols
        .iter()
        .map(|s| ctx.market.last_n(s, lookback))
        .collect();
    // The bars are in strictly increasing time order, so the common instants are found by
    // walking every series forward once (this replaced a map per symbol and a set
    // intersection, a tenth of the plugin's cost each run, and gives the same closes).
    let (first, rest) = series.split_first()?;
    let mut at = vec![0usize; rest.len()];
    let mut closes: Vec<Vec<f64>> = vec![Vec::with_capacity(first.len()); series.len()];
    'instants: for b in first.iter() {
        for (i, s) in at.iter_mut().zip(rest) {
            while s.get(*i).is_some_and(|x| x.ts < b.ts) {
                *i += 1;
            }
            if s.get(*i).is_none_or(|x| x.ts != b.ts) {
                continue 'instants;
            }
        }
        closes[0].push(b.close);
        for ((c, i), s) in closes[1..].iter_mut().zip(&at).zip(rest) {
            c.push(s[*i].close);
        }
    }
    if closes[0].len() < window + 1 {
        return None;
    }
    Some(
        closes
            .iter()
            .map(|c| {
                c[c.len() - window - 1..]
                    .windows(2)
                    .map(|w| (w[1] / w[0]).ln())
                    .collect()
            })
            .collect(),
    )
}

impl CrossAssetCorr {
    /// Regime after observing corr(equity, bond) = `c`, with the dead zone.
    pub fn next_regime(&self, c: f64) -> Option<EquityBond> {
        let band = self.params.flip_band;
        if c > band {
            Some(EquityBond::Positive)
        } else if c < -band {
            Some(EquityBond::Negative)
        } else {
            self.regime
        }
    }
}

impl Plugin for CrossAssetCorr {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: ID.into(),
            name: "Cross-asset correlation".into(),
            category: Category::Alpha,
            version: "1.0.0".into(),
            description: "rolling cross-asset correlations, equity-bond regime, diversification-weighted trend signals".into(),
            inputs: vec!["bars".into(), "fe_kalman".into()],
            outputs: vec!["signal".into(), "feature:corr_<X>".into(), "report:cross_asset_corr".into(), "alert".into()],
            // A 5×60 correlation matrix per run.
            est_cpu_ms: 0.05,
            est_mem_mb: 0.05,
        }
    }

    fn plan(&self) -> PluginPlan {
        PluginPlan {
            schedule: "@close".into(),
            depends_on: vec!["fe_kalman".into()],
        }
    }

    fn configure(&mut self, params: &serde_json::Value) -> Result<(), PluginError> {
        let p: Params = params::parse(params)?;
        let ok = p.symbols.len() >= 2
            && p.window >= 3
            && (0.0..1.0).contains(&p.flip_band)
            && p.trend_scale > 0.0;
        if !ok {
            return Err(PluginError::InvalidParams(format!(
                "need ≥ 2 symbols, window ≥ 3, 0 ≤ flip_band < 1, trend_scale > 0: {p:?}"
            )));
        }
        if !p.symbols.contains(&p.equity) || !p.symbols.contains(&p.bond) {
            return Err(PluginError::InvalidParams(
                "equity and bond must be among the symbols".into(),
            ));
        }
        self.params = p;
        Ok(())
    }

    fn run(&mut self, ctx: &Context<'_>) -> Result<Vec<Output>, PluginError> {
        let p = &self.params;
        let syms: Vec<Symbol> = p.symbols.iter().map(|s| Symbol::new(s)).collect();
        let rets = aligned_returns(ctx, &syms, p.window).ok_or_else(|| {
            PluginError::InsufficientData(format!(
                "fewer than {} common days of {:?}",
                p.window + 1,
                p.symbols
            ))
        })?;
        let refs: Vec<&[f64]> = rets.iter().map(Vec::as_slice).collect();
        let corr = correlation_matrix(&refs).map_err(|e| PluginError::Failed(e.to_string()))?;
        let n = syms.len();
        let mut out = Vec::new();
        let mut div = vec![0.0; n];
        let mut sum_abs = 0.0;
        for i in 0..n {
            let mut s = 0.0;
            for j in 0..n {
                if i != j {
                    let c = corr[(i, j)];
                    if !c.is_finite() {
                        return Err(PluginError::Failed(format!(
                            "correlation of {} and {} undefined (constant series)",
                            syms[i], syms[j]
                        )));
                    }
                    s += c.abs();
                    if i < j {
                        out.push(Output::Feature {
                            symbol: syms[i].clone(),
                            name: format!("corr_{}", syms[j]),
                            value: c,
                        });
                        sum_abs += c.abs();
                    }
                }
            }
            div[i] = 1.0 - s / (n - 1) as f64;
        }
        let score = 1.0 - sum_abs / (n * (n - 1) / 2) as f64;
        let (ie, ib) = (
            p.symbols.iter().position(|s| *s == p.equity),
            p.symbols.iter().position(|s| *s == p.bond),
        );
        let eb = match (ie, ib) {
            (Some(a), Some(b)) => corr[(a, b)],
            _ => f64::NAN,
        };
        let regime = self.next_regime(eb);
        if let (Some(prev), Some(now)) = (self.regime, regime) {
            if prev != now {
                out.push(Output::Alert {
                    severity: Severity::Warning,
                    message: format!(
                        "equity-bond correlation flipped {} ({} vs {} {:.2} over {} days)",
                        if now == EquityBond::Positive {
                            "positive: bonds no longer hedge equities"
                        } else {
                            "negative: bonds hedge equities again"
                        },
                        p.equity,
                        p.bond,
                        eb,
                        p.window
                    ),
                });
            }
        }
        self.regime = regime;

        // Trend from fe_kalman's outputs of this cycle.
        let mut level = BTreeMap::new();
        let mut slope = BTreeMap::new();
        for o in ctx.outputs_of("fe_kalman") {
            if let Output::Feature {
                symbol,
                name,
                value,
            } = &o.output
            {
                match name.as_str() {
                    "kalman_level" => level.insert(symbol.clone(), *value),
                    "kalman_slope" => slope.insert(symbol.clone(), *value),
                    _ => None,
                };
            }
        }
        let mut missing = Vec::new();
        for (i, s) in syms.iter().enumerate() {
            let (Some(l), Some(sl)) = (level.get(s), slope.get(s)) else {
                missing.push(s.to_string());
                continue;
            };
            if *l <= 0.0 {
                continue;
            }
            let trend = (sl / l * 252.0 / p.trend_scale).tanh();
            let raw = trend * div[i].max(0.0);
            let v = if p.long_only { raw.max(0.0) } else { raw };
            if let Some(sig) = Signal::new(v) {
                out.push(Output::Signal {
                    symbol: s.clone(),
                    value: sig,
                });
            }
        }
        out.push(Output::Report {
            name: "cross_asset_corr".into(),
            body: serde_json::json!({
                "symbols": p.symbols,
                "window": p.window,
                "diversification_score": score,
                "equity_bond_corr": eb,
                "equity_bond_regime": regime.map(|r| if r == EquityBond::Positive { "positive" } else { "negative" }),
                "diversification": div,
                "no_trend_input": missing,
            }),
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fe::kalman::FeKalman;
    use optifire_core::domain::{Bar, EquityHistory, Money, Portfolio};
    use optifire_core::plugin::{MarketData, PluginOutput};
    use optifire_core::Timestamp;

    fn bars_from_returns(sym: &str, rets: &[f64]) -> Vec<Bar> {
        let mut p = 100.0;
        let mut v = vec![Bar {
            symbol: sym.into(),
            ts: Timestamp::from_secs(86_400),
            open: p,
            high: p,
            low: p,
            close: p,
            volume: 1.0,
        }];
        for (i, r) in rets.iter().enumerate() {
            p *= f64::exp(*r);
            v.push(Bar {
                symbol: sym.into(),
                ts: Timestamp::from_secs(86_400 * (i as i64 + 2)),
                open: p,
                high: p,
                low: p,
                close: p,
                volume: 1.0,
            });
        }
        v
    }

    fn kalman(sym: &str, level: f64, slope: f64) -> Vec<PluginOutput> {
        ["kalman_level", "kalman_slope"]
            .iter()
            .zip([level, slope])
            .map(|(n, v)| PluginOutput {
                plugin_id: "fe_kalman".into(),
                ts: Timestamp(0),
                output: Output::Feature {
                    symbol: sym.into(),
                    name: (*n).into(),
                    value: v,
                },
            })
            .collect()
    }

    #[test]
    fn worked_example_with_exact_correlations() {
        // A = (+1,−1,+1,−1)%, B = −A, C = (+1,+1,−1,−1)%: corr(A,B) = −1, corr(A,C) = corr(B,C) = 0.
        // Diversification: A and B 1 − (1 + 0)/2 = 0.5; C 1 − 0 = 1. Score 1 − (1+0+0)/3 = 2/3.
        let a = [0.01, -0.01, 0.01, -0.01];
        let b = a.map(|x| -x);
        let c = [0.01, 0.01, -0.01, -0.01];
        let mut md = MarketData::new();
        md.insert("A".into(), bars_from_returns("A", &a)).unwrap();
        md.insert("B".into(), bars_from_returns("B", &b)).unwrap();
        md.insert("C".into(), bars_from_returns("C", &c)).unwrap();
        let mut p = CrossAssetCorr::default();
        p.configure(&serde_json::json!({"symbols": ["A", "B", "C"], "window": 4, "equity": "A", "bond": "B", "trend_scale": 0.2})).unwrap();
        // Kalman trend: A drifts +0.02%/day on level 100 → 0.0002·252/0.2 = 0.252 → tanh = 0.24679...
        let mut cyc = kalman("A", 100.0, 0.02);
        cyc.extend(kalman("B", 100.0, -0.02));
        cyc.extend(kalman("C", 50.0, 0.01));
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let now = Timestamp::from_secs(86_400 * 10);
        let ctx = Context {
            cycle_outputs: &cyc,
            ..Context::new(now, &md, &pf, &eq)
        };
        let out = p.run(&ctx).unwrap();
        let feat = |s: &str, n: &str| {
            out.iter().find_map(|o| match o {
                Output::Feature {
                    symbol,
                    name,
                    value,
                } if symbol.as_str() == s && name == n => Some(*value),
                _ => None,
            })
        };
        assert!((feat("A", "corr_B").unwrap() + 1.0).abs() < 1e-12);
        assert!(feat("A", "corr_C").unwrap().abs() < 1e-12);
        let sig = |s: &str| {
            out.iter().find_map(|o| match o {
                Output::Signal { symbol, value } if symbol.as_str() == s => Some(value.value()),
                _ => None,
            })
        };
        let t = 0.252f64.tanh(); // 0.246_797_...
        assert!((sig("A").unwrap() - 0.5 * t).abs() < 1e-12);
        assert_eq!(
            sig("B"),
            Some(0.0),
            "long-only: a falling trend gives no short"
        );
        assert!(
            (sig("C").unwrap() - t).abs() < 1e-12,
            "C: 0.01/50 is the same relative drift, full diversification"
        );
        let rep = out
            .iter()
            .find_map(|o| {
                if let Output::Report { body, .. } = o {
                    Some(body.clone())
                } else {
                    None
                }
            })
            .unwrap();
        assert!((rep["diversification_score"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(rep["equity_bond_regime"], "negative");
    }

    /// The returns as first written: a map per symbol and the intersection of their keys.
    fn aligned_returns_by_maps(
        ctx: &Context<'_>,
        symbols: &[Symbol],
        window: usize,
    ) -> Option<Vec<Vec<f64>>> {
        use std::collections::BTreeSet;
        let lookback = window * 2 + 10;
        let maps: Vec<BTreeMap<Timestamp, f64>> = symbols
            .iter()
            .map(|s| {
                ctx.market
                    .last_n(s, lookback)
                    .iter()
                    .map(|b| (b.ts, b.close))
                    .collect()
            })
            .collect();
        let mut common: BTreeSet<Timestamp> = maps.first()?.keys().copied().collect();
        for m in &maps[1..] {
            common.retain(|t| m.contains_key(t));
        }
        let ts: Vec<Timestamp> = common.into_iter().collect();
        if ts.len() < window + 1 {
            return None;
        }
        let ts = &ts[ts.len() - window - 1..];
        Some(
            maps.iter()
                .map(|m| ts.windows(2).map(|w| (m[&w[1]] / m[&w[0]]).ln()).collect())
                .collect(),
        )
    }

    /// Series with their own gaps, one trading every day, one starting late: the walk gives
    /// the maps' returns bit for bit at every instant, and `None` exactly where they do.
    #[test]
    fn aligned_returns_match_the_map_intersection() {
        let series = |sym: &str, days: &mut dyn Iterator<Item = i64>| -> Vec<Bar> {
            days.map(|d| {
                let c = 100.0 + ((d * 37 + sym.len() as i64 * 11) % 23) as f64 * 0.7;
                Bar {
                    symbol: sym.into(),
                    ts: Timestamp::from_secs(86_400 * d),
                    open: c,
                    high: c,
                    low: c,
                    close: c,
                    volume: 1.0,
                }
            })
            .collect()
        };
        let mut md = MarketData::new();
        md.insert("A".into(), series("A", &mut (1..200).filter(|d| d % 7 < 5)))
            .unwrap();
        md.insert("BB".into(), series("BB", &mut (1..200))).unwrap();
        md.insert(
            "CCC".into(),
            series("CCC", &mut (40..200).filter(|d| d % 11 != 3)),
        )
        .unwrap();
        md.insert(
            "DDDD".into(),
            series("DDDD", &mut (1..200).filter(|d| d % 13 != 0)),
        )
        .unwrap();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let sets: [&[&str]; 4] = [
            &["A", "BB", "CCC", "DDDD"],
            &["BB", "A"],
            &["DDDD", "CCC", "BB"],
            &["A", "ZZ"],
        ];
        let mut compared = 0;
        for day in (1..210).step_by(3) {
            let ctx = Context::new(Timestamp::from_secs(86_400 * day), &md, &pf, &eq);
            for syms in sets {
                let syms: Vec<Symbol> = syms.iter().map(|s| Symbol::new(s)).collect();
                for window in [3, 10, 30] {
                    let want = aligned_returns_by_maps(&ctx, &syms, window);
                    let got = aligned_returns(&ctx, &syms, window);
                    let bits = |r: &Option<Vec<Vec<f64>>>| {
                        r.as_ref().map(|v| {
                            v.iter()
                                .map(|x| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>())
                                .collect::<Vec<_>>()
                        })
                    };
                    assert_eq!(bits(&got), bits(&want), "day {day} {syms:?} {window}");
                    compared += usize::from(want.is_some());
                }
            }
        }
        assert!(compared > 100, "{compared}");
    }

    #[test]
    fn dead_zone_keeps_the_regime() {
        let mut p = CrossAssetCorr::default();
        assert_eq!(p.next_regime(0.05), None);
        p.regime = p.next_regime(-0.3);
        assert_eq!(p.regime, Some(EquityBond::Negative));
        assert_eq!(
            p.next_regime(0.09),
            Some(EquityBond::Negative),
            "inside ±0.1: unchanged"
        );
        assert_eq!(p.next_regime(0.11), Some(EquityBond::Positive));
    }

    /// On the bundled real data the 60-day SPY/TLT correlation turned positive in 2022 (the
    /// well-documented breakdown of the stock-bond hedge when inflation rose).
    #[test]
    fn the_2022_equity_bond_flip_is_seen_on_real_data() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample");
        let mut md = MarketData::new();
        for s in ["SPY", "TLT", "GLD", "UUP", "QQQ"] {
            let text = std::fs::read_to_string(format!("{dir}/{s}.csv")).unwrap();
            let mut bars = Vec::new();
            for (i, l) in text.lines().skip(1).enumerate() {
                // Date,Close,...; stop before the known bad final rows (see data validate).
                if l >= "2026-03-25" {
                    break;
                }
                let close: f64 = l.split(',').nth(1).unwrap().parse().unwrap();
                bars.push(Bar {
                    symbol: s.into(),
                    ts: Timestamp::from_secs(86_400 * (i as i64 + 1)),
                    open: close,
                    high: close,
                    low: close,
                    close,
                    volume: 1.0,
                });
            }
            md.insert(s.into(), bars).unwrap();
        }
        let mut k = FeKalman::default();
        let mut p = CrossAssetCorr::default();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let mut flips = Vec::new();
        for day in 1..=1310i64 {
            let now = Timestamp::from_secs(86_400 * day);
            let ctx = Context::new(now, &md, &pf, &eq);
            let kout: Vec<PluginOutput> = k
                .run(&ctx)
                .unwrap()
                .into_iter()
                .map(|o| PluginOutput {
                    plugin_id: "fe_kalman".into(),
                    ts: now,
                    output: o,
                })
                .collect();
            let ctx = Context {
                cycle_outputs: &kout,
                ..ctx
            };
            match p.run(&ctx) {
                Ok(out) => {
                    for o in out {
                        if let Output::Alert { message, .. } = o {
                            flips.push((day, message));
                        }
                    }
                }
                Err(PluginError::InsufficientData(_)) => assert!(day <= 61, "day {day}"),
                Err(e) => panic!("{e}"),
            }
        }
        // Trading day ~252-503 is 2022 (the sample starts 2021-01-04).
        assert!(
            flips
                .iter()
                .any(|(d, m)| (252..=504).contains(d) && m.contains("positive")),
            "flips: {flips:?}"
        );
    }
}
