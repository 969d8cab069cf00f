//! What the risk engine answers: adjusted targets with one reasoned decision per rule that bit,
//! and for single orders `RiskApproved` / `RiskRefused` (after barter-rs).
//!
//! Nothing is dropped silently: every cap, scale, hold or refusal carries the rule name and the
//! numbers behind it, so the operator can see why a target is not what the strategy asked for.

use optifire_core::domain::{OrderRequest, Symbol};
use optifire_core::event::RiskDecision;
use optifire_core::fixed::Fixed;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The result of `RiskEngine::apply_targets`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RiskOutcome {
    /// Approved signed target weights (fraction of equity) for every requested or held symbol,
    /// except the frozen ones.
    pub targets: BTreeMap<Symbol, f64>,
    /// Symbols that must not be traded this cycle (outside regular hours, or a held position
    /// whose weight cannot be computed because its mark is missing). They are absent from
    /// `targets`; the executor must leave their positions exactly as they are.
    pub frozen: BTreeSet<Symbol>,
    /// One entry per rule that changed, refused or reported something, in rule order.
    /// `approved` is false when the rule cut or refused what was asked (cap, scale, hold,
    /// flatten, fault) and true for information (VaR within the limit, cooldown ended) and for
    /// targets the engine added itself (the beta hedge).
    pub decisions: Vec<RiskDecision>,
}

/// An order the risk engine let through, with the decisions taken on the way.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RiskApproved {
    pub order: OrderRequest,
    pub decisions: Vec<RiskDecision>,
}

/// An order the risk engine refused, with the rule and the reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RiskRefused {
    /// Boxed to keep `Result<RiskApproved, RiskRefused>` small.
    pub order: Box<OrderRequest>,
    pub rule: String,
    pub reason: String,
}

impl RiskRefused {
    /// The refusal as the event-log record.
    pub fn decision(&self) -> RiskDecision {
        RiskDecision {
            symbol: Some(self.order.symbol.clone()),
            approved: false,
            rule: self.rule.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// Collects decisions in rule order.
#[derive(Debug, Default)]
pub(crate) struct DecisionLog(pub(crate) Vec<RiskDecision>);

impl DecisionLog {
    /// Records a rule that changed or refused something (`approved = false`).
    pub(crate) fn refuse(&mut self, symbol: Option<&Symbol>, rule: &str, reason: String) {
        self.push(symbol, false, rule, reason);
    }
    /// Records information or an addition made by the engine itself (`approved = true`).
    pub(crate) fn note(&mut self, symbol: Option<&Symbol>, rule: &str, reason: String) {
        self.push(symbol, true, rule, reason);
    }
    fn push(&mut self, symbol: Option<&Symbol>, approved: bool, rule: &str, reason: String) {
        self.0.push(RiskDecision {
            symbol: symbol.cloned(),
            approved,
            rule: rule.to_string(),
            reason,
        });
    }
}

/// A weight for reason strings: four decimals, enough for basis points of equity.
pub(crate) fn fw(x: f64) -> Fixed {
    Fixed(x, 4)
}

/// A fraction as a percentage for reason strings.
pub(crate) fn pct(x: f64) -> String {
    let p = x * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round())
    } else {
        format!("{}%", Fixed(p, 2))
    }
}
