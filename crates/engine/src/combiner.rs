//! The combiner: alpha signals in [-1, 1] from many plugins become one target weight per symbol.
//!
//! Every plugin's part in every target is kept as a `Contribution`, so a dashboard can say which
//! plugin asked for how much of each position (ux_signal_contrib) and nothing is blended silently.

use optifire_core::domain::Symbol;
use optifire_core::plugin::{Output, PluginOutput};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One plugin's part of one symbol's target weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub plugin: String,
    pub symbol: Symbol,
    /// This plugin's share of the target: its weight times its signal over the sum of the
    /// weights of the plugins signalling the symbol. The contributions of a symbol sum to its
    /// target.
    pub weight: f64,
}

/// The combined targets and where each came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Combined {
    /// Signed target weight per symbol, in [-1, 1] before the risk engine.
    pub targets: BTreeMap<Symbol, f64>,
    pub contributions: Vec<Contribution>,
}

/// Weighted average of the latest signal of every plugin, per symbol.
///
/// Signals persist: a plugin's signals stand until its next run replaces all of them (a symbol it
/// no longer signals drops out), so a cycle in which only a risk plugin runs does not read as
/// "every alpha went flat".
#[derive(Clone, Debug, Default)]
pub struct Combiner {
    /// Per-plugin weights; plugins not listed weigh `default_weight`.
    weights: BTreeMap<String, f64>,
    default_weight: f64,
    /// Latest signals: plugin -> symbol -> value.
    latest: BTreeMap<String, BTreeMap<Symbol, f64>>,
}

impl Combiner {
    /// Equal weights (1 each) unless `weights` says otherwise. Non-finite or negative weights
    /// count as 0 (the plugin is heard but does not move targets).
    pub fn new(weights: BTreeMap<String, f64>) -> Combiner {
        Combiner {
            weights,
            default_weight: 1.0,
            latest: BTreeMap::new(),
        }
    }

    fn weight_of(&self, plugin: &str) -> f64 {
        let w = self
            .weights
            .get(plugin)
            .copied()
            .unwrap_or(self.default_weight);
        if w.is_finite() && w > 0.0 {
            w
        } else {
            0.0
        }
    }

    /// Takes this cycle's outputs: for every plugin that ran (`ran`), its signals replace its
    /// previous ones.
    pub fn update<'a>(&mut self, ran: impl IntoIterator<Item = &'a str>, outputs: &[PluginOutput]) {
        for id in ran {
            let mine: BTreeMap<Symbol, f64> = outputs
                .iter()
                .filter(|o| o.plugin_id == id)
                .filter_map(|o| match &o.output {
                    Output::Signal { symbol, value } => Some((symbol.clone(), value.value())),
                    _ => None,
                })
                .collect();
            if mine.is_empty() {
                self.latest.remove(id);
            } else {
                self.latest.insert(id.to_string(), mine);
            }
        }
    }

    /// Whether any plugin has a standing signal.
    pub fn has_signals(&self) -> bool {
        !self.latest.is_empty()
    }

    /// Targets from the standing signals.
    pub fn combine(&self) -> Combined {
        let mut by_symbol: BTreeMap<&Symbol, Vec<(&str, f64, f64)>> = BTreeMap::new();
        for (plugin, sigs) in &self.latest {
            let w = self.weight_of(plugin);
            for (s, v) in sigs {
                by_symbol
                    .entry(s)
                    .or_default()
                    .push((plugin.as_str(), w, *v));
            }
        }
        let mut out = Combined::default();
        for (s, parts) in by_symbol {
            let total: f64 = parts.iter().map(|(_, w, _)| w).sum();
            let mut target = 0.0;
            for (plugin, w, v) in parts {
                let c = if total > 0.0 { w * v / total } else { 0.0 };
                target += c;
                out.contributions.push(Contribution {
                    plugin: plugin.to_string(),
                    symbol: s.clone(),
                    weight: c,
                });
            }
            out.targets.insert(s.clone(), target);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::Signal;
    use optifire_core::Timestamp;

    fn sig(plugin: &str, sym: &str, v: f64) -> PluginOutput {
        PluginOutput {
            plugin_id: plugin.into(),
            ts: Timestamp(0),
            output: Output::Signal {
                symbol: sym.into(),
                value: Signal::new(v).unwrap(),
            },
        }
    }

    #[test]
    fn equal_weights_average_and_contributions_sum_to_the_target() {
        let mut c = Combiner::new(BTreeMap::new());
        let outs = [
            sig("a", "SPY", 1.0),
            sig("b", "SPY", -0.5),
            sig("b", "TLT", 0.5),
        ];
        c.update(["a", "b"], &outs);
        let r = c.combine();
        // SPY: (1 + -0.5) / 2 = 0.25; TLT: only b signals it, 0.5 / 1.
        assert_eq!(r.targets[&Symbol::new("SPY")], 0.25);
        assert_eq!(r.targets[&Symbol::new("TLT")], 0.5);
        let spy: Vec<f64> = r
            .contributions
            .iter()
            .filter(|x| x.symbol.as_str() == "SPY")
            .map(|x| x.weight)
            .collect();
        assert_eq!(spy, vec![0.5, -0.25]);
    }

    #[test]
    fn configured_weights_and_persistence_until_the_next_run() {
        let mut c = Combiner::new([("a".to_string(), 3.0)].into());
        c.update(["a", "b"], &[sig("a", "SPY", 1.0), sig("b", "SPY", -1.0)]);
        // (3 * 1 + 1 * -1) / 4 = 0.5
        assert_eq!(c.combine().targets[&Symbol::new("SPY")], 0.5);
        // Only b runs and now says nothing: a's signal stands alone.
        c.update(["b"], &[]);
        assert_eq!(c.combine().targets[&Symbol::new("SPY")], 1.0);
        c.update(["a"], &[]);
        assert!(!c.has_signals());
        assert!(c.combine().targets.is_empty());
    }
}
