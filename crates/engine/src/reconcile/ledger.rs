//! Steps 1, 3 and 4 of reconciliation: fills the store lacks, then positions and cash.
//!
//! The ledger changes only through fills, except here: when the broker's books differ after
//! every known fill, its numbers are adopted, and whether the gap is explained decides whether
//! trading may go on.

use optifire_core::domain::{Fill, LedgerError, Portfolio, Position, Price, Quantity, Symbol};
use optifire_core::store::{JournalAction, StoreError};
use optifire_core::venue::Broker;
use optifire_core::Timestamp;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

use super::diff::{Action, Difference, DifferenceKind, Observed};
use super::orders::Pass;
use super::policy::ReconcilePolicy;

fn observe_fill(f: &Fill) -> Observed {
    Observed::Fill {
        fill_id: f.fill_id.to_string(),
        qty: f.qty,
        price: f.price,
    }
}

/// Stores the drained fills; returns those new to the store (also those whose write failed:
/// the broker says they happened, so the ledger must see them).
pub(super) fn store_fills(pass: &mut Pass<'_>, fills: &[Fill]) -> Vec<Fill> {
    let mut new = Vec::new();
    for f in fills {
        match pass.store.insert_fill(f) {
            Ok(true) => new.push(f.clone()),
            Ok(false) => {}
            Err(StoreError::FillConflict { .. }) => {
                let stored = pass
                    .store
                    .fills(Timestamp::MIN, Timestamp::MAX)
                    .ok()
                    .and_then(|v| v.into_iter().find(|s| s.fill_id == f.fill_id));
                pass.push(Difference {
                    kind: DifferenceKind::ConflictingFill,
                    symbol: Some(f.symbol.clone()),
                    client_order_id: Some(f.client_order_id.clone()),
                    local: stored.as_ref().map_or(Observed::Absent, observe_fill),
                    broker: observe_fill(f),
                    action: Action::KeptStored,
                    explanation: None,
                });
            }
            Err(e) => {
                pass.report
                    .errors
                    .push(format!("store fill {}: {e}", f.fill_id));
                new.push(f.clone());
            }
        }
    }
    new
}

/// Journals each new fill (after step 2, so its order is stored) and applies it to the ledger.
pub(super) fn journal_and_apply_fills(
    pass: &mut Pass<'_>,
    portfolio: &mut Portfolio,
    new_fills: Vec<Fill>,
) {
    for f in new_fills {
        if let Err(e) =
            pass.store
                .journal_append(pass.now, &f.client_order_id, JournalAction::Fill, &json!(f))
        {
            pass.report
                .errors
                .push(format!("journal fill {}: {e}", f.fill_id));
        }
        match portfolio.apply_fill(&f) {
            // Already in this process's ledger: the store was the only one behind.
            Ok(()) | Err(LedgerError::DuplicateFill(_)) => {}
            Err(e) => pass
                .report
                .errors
                .push(format!("apply fill {} to the ledger: {e}", f.fill_id)),
        }
        pass.push(Difference {
            kind: DifferenceKind::MissingFill,
            symbol: Some(f.symbol.clone()),
            client_order_id: Some(f.client_order_id.clone()),
            local: Observed::Absent,
            broker: observe_fill(&f),
            action: Action::InsertedFill,
            explanation: Some("reported while the store was not listening".into()),
        });
        pass.report.fills.push(f);
    }
}

/// Adopts the broker's position wherever its quantity differs; returns whether any changed.
pub(super) fn reconcile_positions(
    pass: &mut Pass<'_>,
    broker: &dyn Broker,
    portfolio: &mut Portfolio,
) -> bool {
    let theirs: BTreeMap<Symbol, Position> = broker
        .positions()
        .into_iter()
        .map(|p| (p.symbol.clone(), p))
        .collect();
    let symbols: BTreeSet<Symbol> = portfolio
        .open_positions()
        .map(|p| p.symbol.clone())
        .chain(theirs.keys().cloned())
        .collect();
    let mut changed = false;
    for s in symbols {
        let ours = portfolio
            .position(&s)
            .cloned()
            .unwrap_or_else(|| Position::flat(s.clone()));
        let (bq, bavg) = theirs
            .get(&s)
            .map_or((Quantity::ZERO, Price::ZERO), |p| (p.qty, p.avg_price));
        if ours.qty.0 == bq.0 {
            continue;
        }
        let gap = bq.0 - ours.qty.0;
        let unaccounted = pass.unaccounted.get(&s).copied().unwrap_or(Decimal::ZERO);
        let explanation = (!unaccounted.is_zero() && unaccounted == gap).then(|| {
            pass.explained_gap = true;
            format!("the broker filled {unaccounted} on orders whose fills we lack")
        });
        let pos = portfolio
            .positions
            .entry(s.clone())
            .or_insert_with(|| Position::flat(s.clone()));
        pos.qty = bq;
        pos.avg_price = if bq.is_zero() { Price::ZERO } else { bavg };
        changed = true;
        pass.push(Difference {
            kind: DifferenceKind::Position,
            symbol: Some(s),
            client_order_id: None,
            local: Observed::Position {
                qty: ours.qty,
                avg_price: ours.avg_price,
            },
            broker: Observed::Position {
                qty: bq,
                avg_price: bavg,
            },
            action: Action::AdoptedPosition,
            explanation,
        });
    }
    changed
}

/// Adopts the broker's cash when it differs by more than the tolerance; returns whether it did.
pub(super) fn reconcile_cash(
    pass: &mut Pass<'_>,
    broker: &dyn Broker,
    portfolio: &mut Portfolio,
    policy: &ReconcilePolicy,
) -> bool {
    let theirs = broker.account().cash;
    if (theirs - portfolio.cash).abs().0 <= policy.cash_tolerance.0 {
        return false;
    }
    let ours = portfolio.cash;
    portfolio.cash = theirs;
    pass.push(Difference {
        kind: DifferenceKind::Cash,
        symbol: None,
        client_order_id: None,
        local: Observed::Cash { cash: ours },
        broker: Observed::Cash { cash: theirs },
        action: Action::AdoptedCash,
        explanation: pass
            .explained_gap
            .then(|| "fills we lack moved cash too".to_string()),
    });
    true
}
