//! The trading halt: an unexplained difference stops new risk until a person says it is
//! understood.
//!
//! The halt is stored (as the plugin state `HALT_STATE_ID`, which the dashboard already lists
//! with its reason), so a restart does not silently lift it: after a restart the adopted ledger
//! agrees with the broker and the difference that caused the halt is no longer visible.

use optifire_core::domain::Portfolio;
use optifire_core::event::{Event, Severity};
use optifire_core::store::{Store, StoreResult};
use optifire_core::venue::Broker;
use optifire_core::Timestamp;
use serde::{Deserialize, Serialize};

use super::orders::Pass;
use super::policy::ReconcilePolicy;
use super::record::{alert, ALERT_SOURCE};
use super::{reconcile, ReconcileReport};

/// Key of the stored halt in the store's plugin state table.
pub const HALT_STATE_ID: &str = "engine_reconcile";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradingHalt {
    pub since: Timestamp,
    pub reason: String,
}

impl TradingHalt {
    /// The text to hand the risk engine as a failed required input
    /// (`RiskInputs::failed_required`), which closes its gate to everything but risk-reducing
    /// changes.
    pub fn gate_reason(&self) -> String {
        format!(
            "{HALT_STATE_ID}: trading halted since {}: {}",
            self.since, self.reason
        )
    }
}

/// Runs `reconcile` under a policy and keeps the halt it may raise.
#[derive(Clone, Debug)]
pub struct Reconciler {
    policy: ReconcilePolicy,
    halt: Option<TradingHalt>,
}

impl Reconciler {
    pub fn new(policy: ReconcilePolicy) -> Self {
        Reconciler { policy, halt: None }
    }

    /// A reconciler carrying the halt stored by an earlier process, if one is still in force.
    pub fn restore(store: &dyn Store, policy: ReconcilePolicy) -> StoreResult<Self> {
        let halt = store
            .plugin_states()?
            .into_iter()
            .find(|s| s.plugin_id == HALT_STATE_ID && s.disabled)
            .map(|s| TradingHalt {
                since: s.updated_at,
                reason: s.reason.unwrap_or_else(|| "no reason stored".into()),
            });
        Ok(Reconciler { policy, halt })
    }

    pub fn policy(&self) -> &ReconcilePolicy {
        &self.policy
    }

    /// `Some` while new risk is refused.
    pub fn trading_halted(&self) -> Option<&TradingHalt> {
        self.halt.as_ref()
    }

    pub fn allows_new_risk(&self) -> bool {
        self.halt.is_none()
    }

    /// Reconciles (see `reconcile`); with `halt_on_unexplained`, any unexplained difference,
    /// or any store error that left the reconciliation incomplete (fail closed: the books are
    /// not known to agree), halts trading (stored, with a critical alert). A halt already in
    /// force stays as it was.
    pub fn run(
        &mut self,
        store: &dyn Store,
        broker: &mut dyn Broker,
        portfolio: &mut Portfolio,
        now: Timestamp,
    ) -> ReconcileReport {
        let report = reconcile(store, broker, portfolio, &self.policy, now);
        let unexplained: Vec<String> = report.unexplained().map(|d| d.to_string()).collect();
        let problems = unexplained.len() + report.errors.len();
        if !self.policy.halt_on_unexplained || problems == 0 || self.halt.is_some() {
            return report;
        }
        let mut parts = Vec::new();
        if !unexplained.is_empty() {
            parts.push(format!(
                "{} unexplained difference(s) with the broker: {}",
                unexplained.len(),
                unexplained.join("; ")
            ));
        }
        if !report.errors.is_empty() {
            parts.push(format!(
                "reconciliation incomplete, {} store error(s): {}",
                report.errors.len(),
                report.errors.join("; ")
            ));
        }
        let halt = TradingHalt {
            since: now,
            reason: parts.join("; "),
        };
        let mut pass = Pass::new(store, now);
        pass.report = report;
        let breaches = u32::try_from(problems).unwrap_or(u32::MAX);
        if let Err(e) =
            store.set_plugin_state(HALT_STATE_ID, true, Some(&halt.reason), breaches, now)
        {
            pass.report.errors.push(format!("store the halt: {e}"));
        }
        alert(
            &mut pass,
            Severity::Critical,
            format!(
                "trading halted: {}; acknowledge to resume new risk",
                halt.reason
            ),
        );
        self.halt = Some(halt);
        pass.report
    }

    /// Lifts the halt once a person has looked (`note` says who and why). The lifted state and
    /// its alert are stored before the halt is lifted in memory, so a failed write leaves
    /// trading halted (a retry is harmless). Returns the halt that was lifted.
    pub fn acknowledge(
        &mut self,
        store: &dyn Store,
        now: Timestamp,
        note: &str,
    ) -> StoreResult<Option<TradingHalt>> {
        let Some(halt) = self.halt.clone() else {
            return Ok(None);
        };
        let reason = format!("acknowledged: {note}");
        store.set_plugin_state(HALT_STATE_ID, false, Some(&reason), 0, now)?;
        let event = Event::Alert {
            ts: now,
            source: ALERT_SOURCE.into(),
            severity: Severity::Warning,
            message: format!("trading halt of {} lifted ({reason})", halt.since),
        };
        store.append_event(now, &event)?;
        self.halt = None;
        Ok(Some(halt))
    }
}
