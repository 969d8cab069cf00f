//! Writes each difference where people and the next restart will find it: a `reconciled`
//! journal row on its order (the journal is per order, so position and cash differences have
//! none) and an `Event::Alert` in the store for the dashboard and the bus.

use optifire_core::event::{Event, Severity};
use optifire_core::store::JournalAction;
use serde_json::json;

use super::diff::{Difference, DifferenceKind};
use super::orders::Pass;

/// The `source` of every alert reconciliation raises.
pub const ALERT_SOURCE: &str = "reconcile";

fn severity(d: &Difference) -> Severity {
    match (d.is_explained(), d.kind) {
        (false, _) => Severity::Critical,
        (true, DifferenceKind::MissingFill) => Severity::Info,
        (true, _) => Severity::Warning,
    }
}

pub(super) fn alert(pass: &mut Pass<'_>, severity: Severity, message: String) {
    let event = Event::Alert {
        ts: pass.now,
        source: ALERT_SOURCE.into(),
        severity,
        message,
    };
    if let Err(e) = pass.store.append_event(pass.now, &event) {
        pass.report.errors.push(format!("store alert: {e}"));
    }
    pass.report.events.push(event);
}

pub(super) fn record_all(pass: &mut Pass<'_>) {
    let diffs = pass.report.differences.clone();
    for d in &diffs {
        if let Some(id) = &d.client_order_id {
            let mut payload = json!(d);
            payload["event"] = json!(d.kind.as_str());
            if let Err(e) =
                pass.store
                    .journal_append(pass.now, id, JournalAction::Reconciled, &payload)
            {
                pass.report
                    .errors
                    .push(format!("journal reconciled {id}: {e}"));
            }
        }
        alert(pass, severity(d), format!("reconcile: {d}"));
    }
}
