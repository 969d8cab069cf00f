//! What the risk plugins asked for this cycle, folded per scope (all symbols, one symbol).
//!
//! Multipliers of a scope multiply together; `Block` keeps a scope to risk-reducing changes and
//! `Flatten` sets its targets to zero. A multiplier that is NaN or negative cannot be honoured,
//! so it is treated as a block of its scope (fail-closed) rather than ignored.

use optifire_core::domain::Symbol;
use optifire_core::plugin::{Output, PluginOutput};
use std::collections::BTreeMap;

/// One scope's instructions, with the reasons to repeat in decisions.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ScopeControls {
    pub multiplier: f64,
    pub multiplier_reasons: Vec<String>,
    pub block: Vec<String>,
    pub flatten: Vec<String>,
}

impl Default for ScopeControls {
    /// No instruction: multiplier 1, no blocks, no flattens.
    fn default() -> Self {
        ScopeControls {
            multiplier: 1.0,
            multiplier_reasons: Vec::new(),
            block: Vec::new(),
            flatten: Vec::new(),
        }
    }
}

/// Global controls and per-symbol controls.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PluginControls {
    pub global: ScopeControls,
    pub symbols: BTreeMap<Symbol, ScopeControls>,
}

impl PluginControls {
    pub fn from_outputs(outputs: &[PluginOutput]) -> Self {
        let mut c = PluginControls {
            global: ScopeControls::default(),
            symbols: BTreeMap::new(),
        };
        for po in outputs {
            let id = &po.plugin_id;
            let symbol = match &po.output {
                Output::ExposureMultiplier { symbol, .. }
                | Output::Block { symbol, .. }
                | Output::Flatten { symbol, .. } => symbol,
                _ => continue,
            };
            let scope = match symbol {
                None => &mut c.global,
                Some(s) => c.symbols.entry(s.clone()).or_default(),
            };
            match &po.output {
                Output::ExposureMultiplier {
                    multiplier: m,
                    reason,
                    ..
                } => {
                    if m.is_finite() && *m >= 0.0 {
                        scope.multiplier *= m;
                        scope
                            .multiplier_reasons
                            .push(format!("{id} x{m}: {reason}"));
                    } else {
                        scope
                            .block
                            .push(format!("{id} sent an invalid multiplier {m}: {reason}"));
                    }
                }
                Output::Block { reason, .. } => scope.block.push(format!("{id}: {reason}")),
                Output::Flatten { reason, .. } => scope.flatten.push(format!("{id}: {reason}")),
                _ => {}
            }
        }
        c
    }

    /// The product of the global and the symbol's multipliers.
    pub fn multiplier(&self, s: &Symbol) -> f64 {
        self.global.multiplier * self.symbols.get(s).map_or(1.0, |c| c.multiplier)
    }

    /// Reasons that keep `s` to risk-reducing changes (global blocks first).
    pub fn blocks(&self, s: &Symbol) -> Vec<String> {
        let mut v = self.global.block.clone();
        if let Some(c) = self.symbols.get(s) {
            v.extend(c.block.iter().cloned());
        }
        v
    }

    /// Reasons that set `s` to zero (global flattens first).
    pub fn flattens(&self, s: &Symbol) -> Vec<String> {
        let mut v = self.global.flatten.clone();
        if let Some(c) = self.symbols.get(s) {
            v.extend(c.flatten.iter().cloned());
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::Timestamp;

    fn po(output: Output) -> PluginOutput {
        PluginOutput {
            plugin_id: "p".into(),
            ts: Timestamp(0),
            output,
        }
    }

    #[test]
    fn folds_scopes_and_treats_bad_multipliers_as_blocks() {
        let a = Symbol::new("A");
        let c = PluginControls::from_outputs(&[
            po(Output::ExposureMultiplier {
                symbol: None,
                multiplier: 0.5,
                reason: "g".into(),
            }),
            po(Output::ExposureMultiplier {
                symbol: None,
                multiplier: 0.5,
                reason: "g2".into(),
            }),
            po(Output::ExposureMultiplier {
                symbol: Some(a.clone()),
                multiplier: 0.8,
                reason: "a".into(),
            }),
            po(Output::ExposureMultiplier {
                symbol: Some(Symbol::new("B")),
                multiplier: f64::NAN,
                reason: "b".into(),
            }),
        ]);
        // 0.5 x 0.5 x 0.8 = 0.2 for A; 0.25 for anything else.
        assert!((c.multiplier(&a) - 0.2).abs() < 1e-15);
        assert_eq!(c.multiplier(&Symbol::new("C")), 0.25);
        assert!(c.blocks(&a).is_empty());
        assert_eq!(c.blocks(&Symbol::new("B")).len(), 1);
        assert!(c.flattens(&a).is_empty());
    }
}
