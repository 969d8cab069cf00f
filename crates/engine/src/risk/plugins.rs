//! What the risk plugins asked for this cycle, folded per scope (all symbols, one symbol).
//!
//! Multipliers of a scope multiply together; `Block` keeps a scope to risk-reducing changes and
//! `Flatten` sets its targets to zero. A multiplier that is NaN or negative cannot be honoured,
//! so it is treated as a block of its scope (fail-closed) rather than ignored.

use optifire_core::domain::Symbol;
use optifire_core::plugin::{Output, PluginOutput};
use std::collections::BTreeMap;

/// One instruction's reason as the decisions repeat it, formatted only when a decision does
/// (most cycles most symbols' reasons are never shown, and formatting every one of them was a
/// tenth of the risk engine's time).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Reason<'a> {
    /// `{id} x{m}: {reason}`
    Multiplier {
        id: &'a str,
        m: f64,
        reason: &'a str,
    },
    /// `{id} sent an invalid multiplier {m}: {reason}`
    InvalidMultiplier {
        id: &'a str,
        m: f64,
        reason: &'a str,
    },
    /// `{id}: {reason}`
    Plain { id: &'a str, reason: &'a str },
}

impl std::fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Multiplier { id, m, reason } => write!(f, "{id} x{m}: {reason}"),
            Reason::InvalidMultiplier { id, m, reason } => {
                write!(f, "{id} sent an invalid multiplier {m}: {reason}")
            }
            Reason::Plain { id, reason } => write!(f, "{id}: {reason}"),
        }
    }
}

/// One scope's instructions, with the reasons to repeat in decisions.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ScopeControls<'a> {
    pub multiplier: f64,
    pub multiplier_reasons: Vec<Reason<'a>>,
    pub block: Vec<Reason<'a>>,
    pub flatten: Vec<Reason<'a>>,
}

impl Default for ScopeControls<'_> {
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

/// Global controls and per-symbol controls, borrowing the outputs they come from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PluginControls<'a> {
    pub global: ScopeControls<'a>,
    pub symbols: BTreeMap<&'a Symbol, ScopeControls<'a>>,
}

impl<'a> PluginControls<'a> {
    pub fn from_outputs(outputs: &'a [PluginOutput]) -> Self {
        let mut c = PluginControls {
            global: ScopeControls::default(),
            symbols: BTreeMap::new(),
        };
        for po in outputs {
            let id = po.plugin_id.as_str();
            let symbol = match &po.output {
                Output::ExposureMultiplier { symbol, .. }
                | Output::Block { symbol, .. }
                | Output::Flatten { symbol, .. } => symbol,
                _ => continue,
            };
            let scope = match symbol {
                None => &mut c.global,
                Some(s) => c.symbols.entry(s).or_default(),
            };
            match &po.output {
                Output::ExposureMultiplier {
                    multiplier: m,
                    reason,
                    ..
                } => {
                    let (m, reason) = (*m, reason.as_str());
                    if m.is_finite() && m >= 0.0 {
                        scope.multiplier *= m;
                        scope
                            .multiplier_reasons
                            .push(Reason::Multiplier { id, m, reason });
                    } else {
                        scope
                            .block
                            .push(Reason::InvalidMultiplier { id, m, reason });
                    }
                }
                Output::Block { reason, .. } => scope.block.push(Reason::Plain { id, reason }),
                Output::Flatten { reason, .. } => scope.flatten.push(Reason::Plain { id, reason }),
                _ => {}
            }
        }
        c
    }

    /// The product of the global and the symbol's multipliers.
    pub fn multiplier(&self, s: &Symbol) -> f64 {
        self.global.multiplier * self.symbols.get(s).map_or(1.0, |c| c.multiplier)
    }

    /// The multiplier reasons of `s` (global ones first).
    pub fn multiplier_reasons(&self, s: &Symbol) -> impl Iterator<Item = &Reason<'a>> {
        let own = self.symbols.get(s).into_iter();
        self.global
            .multiplier_reasons
            .iter()
            .chain(own.flat_map(|c| &c.multiplier_reasons))
    }

    /// Reasons that keep `s` to risk-reducing changes (global blocks first).
    pub fn blocks(&self, s: &Symbol) -> Vec<String> {
        let own = self.symbols.get(s).into_iter();
        let all = self.global.block.iter().chain(own.flat_map(|c| &c.block));
        all.map(ToString::to_string).collect()
    }

    /// Reasons that set `s` to zero (global flattens first).
    pub fn flattens(&self, s: &Symbol) -> Vec<String> {
        let own = self.symbols.get(s).into_iter();
        let all = self
            .global
            .flatten
            .iter()
            .chain(own.flat_map(|c| &c.flatten));
        all.map(ToString::to_string).collect()
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
        let outputs = [
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
        ];
        let c = PluginControls::from_outputs(&outputs);
        // 0.5 x 0.5 x 0.8 = 0.2 for A; 0.25 for anything else.
        assert!((c.multiplier(&a) - 0.2).abs() < 1e-15);
        assert_eq!(c.multiplier(&Symbol::new("C")), 0.25);
        assert!(c.blocks(&a).is_empty());
        assert_eq!(c.blocks(&Symbol::new("B")).len(), 1);
        assert!(c.flattens(&a).is_empty());
    }

    /// The reasons against the eager `format!`s they replace, for every kind of control.
    #[test]
    fn reasons_read_as_the_eager_strings_did() {
        let (a, b) = (Symbol::new("A"), Symbol::new("B"));
        let out = |id: &str, output: Output| PluginOutput {
            plugin_id: id.into(),
            ts: Timestamp(0),
            output,
        };
        let mult =
            |symbol: Option<&Symbol>, multiplier: f64, reason: &str| Output::ExposureMultiplier {
                symbol: symbol.cloned(),
                multiplier,
                reason: reason.into(),
            };
        let outputs = vec![
            out(
                "vol",
                mult(Some(&a), 0.123456789, "A: realized vol 20.1% → ×0.123"),
            ),
            out("dd", mult(None, 0.5, "drawdown 7%")),
            out("vol", mult(Some(&b), f64::NAN, "B: no vol")),
            out("vol", mult(Some(&b), -1.0, "B: negative")),
            out("vol", mult(Some(&a), 1e-7, "tiny")),
            out("dd", mult(None, 2.0, "x")),
            out(
                "dd",
                Output::Block {
                    symbol: None,
                    reason: "halt".into(),
                },
            ),
            out(
                "q",
                Output::Flatten {
                    symbol: Some(a.clone()),
                    reason: "gone".into(),
                },
            ),
            out(
                "q",
                Output::Flatten {
                    symbol: None,
                    reason: "all gone".into(),
                },
            ),
        ];
        // The strings as `from_outputs` used to build them, per scope (None = global).
        let mut eager: BTreeMap<Option<Symbol>, [Vec<String>; 3]> = BTreeMap::new();
        for po in &outputs {
            let id = &po.plugin_id;
            match &po.output {
                Output::ExposureMultiplier {
                    symbol,
                    multiplier: m,
                    reason,
                } => {
                    let e = eager.entry(symbol.clone()).or_default();
                    if m.is_finite() && *m >= 0.0 {
                        e[0].push(format!("{id} x{m}: {reason}"));
                    } else {
                        e[1].push(format!("{id} sent an invalid multiplier {m}: {reason}"));
                    }
                }
                Output::Block { symbol, reason } => {
                    eager.entry(symbol.clone()).or_default()[1].push(format!("{id}: {reason}"))
                }
                Output::Flatten { symbol, reason } => {
                    eager.entry(symbol.clone()).or_default()[2].push(format!("{id}: {reason}"))
                }
                _ => {}
            }
        }
        let c = PluginControls::from_outputs(&outputs);
        let strings = |v: &[Reason<'_>]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        let scopes = std::iter::once((None, &c.global))
            .chain(c.symbols.iter().map(|(s, sc)| (Some((*s).clone()), sc)));
        let mut seen = 0;
        for (s, sc) in scopes {
            let e = &eager[&s];
            assert_eq!(strings(&sc.multiplier_reasons), e[0], "{s:?}");
            assert_eq!(strings(&sc.block), e[1], "{s:?}");
            assert_eq!(strings(&sc.flatten), e[2], "{s:?}");
            seen += 1;
        }
        assert_eq!(seen, eager.len());
        let global = &eager[&None];
        let with = |i: usize, s: &Symbol| {
            let mut v = global[i].clone();
            v.extend(eager.get(&Some(s.clone())).map_or(vec![], |e| e[i].clone()));
            v
        };
        for s in [&a, &b, &Symbol::new("C")] {
            let reasons: Vec<String> = c.multiplier_reasons(s).map(ToString::to_string).collect();
            assert_eq!(reasons, with(0, s));
            assert_eq!(c.blocks(s), with(1, s));
            assert_eq!(c.flattens(s), with(2, s));
        }
    }
}
