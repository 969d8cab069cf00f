//! Operator actions on a running engine: a manual order (through the same risk engine as the
//! targets), a cancel, a plugin run on demand, and reconciliation with its trading halt.
//!
//! Drivers call these between cycles (see `drivers::control`), so they never interleave with a
//! cycle's journal-first submission. Each action leaves the same records a cycle would: risk
//! decisions and fills in the store and on the bus, orders in the journal.

use super::{aligned_returns, marks, CycleReport, Engine};
use crate::combiner::Combined;
use crate::exec::{estimate_for_order, CycleId, Leg, PlannedOrder, SubmitEntry, SubmitReport};
use crate::reconcile::{ReconcileReport, Reconciler};
use crate::risk::{RiskInputs, RiskRefused};
use optifire_core::domain::{
    ClientOrderId, Instrument, Order, OrderType, Portfolio, Quantity, Side, Symbol, TimeInForce,
};
use optifire_core::event::{Event, PluginRunRecord, RiskDecision, RunStatus};
use optifire_core::plugin::recorder::record_run;
use optifire_core::plugin::{Context, PluginOutput};
use optifire_core::store::PositionSnapshot;
use optifire_core::venue::BrokerError;
use optifire_core::Timestamp;
use serde::{Deserialize, Serialize};

/// An order an operator asks for (API or dashboard). Quantity is positive; the side carries the
/// direction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManualOrder {
    pub symbol: Symbol,
    pub side: Side,
    pub qty: Quantity,
    pub order_type: OrderType,
    pub tif: TimeInForce,
}

/// A manual order the risk engine approved and the executor handled.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ManualOrderPlaced {
    /// What became of the order at the broker (accepted, rejected, unknown...).
    pub entry: SubmitEntry,
    /// The risk engine's decisions on the way (also stored and published).
    pub decisions: Vec<RiskDecision>,
}

/// Why a manual order was not placed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ManualOrderError {
    /// The risk engine said no; the refusal is stored and published as a risk decision.
    #[error("refused by risk rule {}: {}", .0.rule, .0.reason)]
    Refused(RiskRefused),
}

/// A cycle report with nothing in it: the start of every cycle and of a manual order's
/// bookkeeping.
pub(super) fn blank_report(now: Timestamp) -> CycleReport {
    CycleReport {
        now,
        ran: Vec::new(),
        outputs: Vec::new(),
        combined: Combined::default(),
        risk_decisions: Vec::new(),
        orders: Vec::new(),
        submit: SubmitReport::default(),
        fills: Vec::new(),
        equity: None,
        errors: Vec::new(),
        notes: Vec::new(),
    }
}

impl Engine {
    /// The instant of the last cycle run, if any.
    pub fn last_cycle(&self) -> Option<Timestamp> {
        self.prev
    }

    /// Starts client-order-id sequence numbers after `seq`, so a new session on a store that
    /// already holds an earlier session's orders never derives one of their ids (the executor
    /// would refuse to send it as already journaled). A fresh store needs no offset.
    pub fn continue_sequence_after(&mut self, seq: u64) {
        self.seq = self.seq.max(seq);
    }

    /// Required risk inputs that failed: enabled risk plugins that are disabled or whose last
    /// run failed, and the reconciliation halt. Any entry closes the risk gate to new risk.
    pub(super) fn failed_required(&self) -> Vec<String> {
        self.risk_plugins
            .iter()
            .filter(|id| {
                self.runner.health(id).is_some_and(|h| h.disabled.is_some())
                    || matches!(
                        self.last_status.get(*id),
                        Some(RunStatus::Error) | Some(RunStatus::Panicked)
                    )
            })
            .cloned()
            .chain(self.trading_halt.clone())
            .collect()
    }

    /// Continues from a ledger recorded earlier (an outside broker's account outlives the
    /// process). Fills already stored are not applied again: reconciliation checks fill ids
    /// against the store.
    pub fn restore_ledger(&mut self, snapshot: &PositionSnapshot) {
        let mut p = Portfolio::new(snapshot.cash);
        p.commissions_paid = snapshot.commissions_paid;
        for pos in &snapshot.positions {
            p.positions.insert(pos.symbol.clone(), pos.clone());
        }
        self.portfolio = p;
    }

    /// The reconciliation halt now in force (its gate reason), if any.
    pub fn trading_halt(&self) -> Option<&str> {
        self.trading_halt.as_deref()
    }

    /// Reconciles the ledger and store with the broker (see `reconcile::reconcile`), publishes
    /// what it found, and closes the risk gate while the reconciler's halt is in force. Call
    /// between cycles only.
    pub fn reconcile_with(
        &mut self,
        reconciler: &mut Reconciler,
        now: Timestamp,
    ) -> ReconcileReport {
        let store = self.store.clone();
        let report = reconciler.run(
            store.as_ref(),
            self.executor.broker_mut(),
            &mut self.portfolio,
            now,
        );
        for e in &report.events {
            self.bus.publish(e.clone());
        }
        for f in &report.fills {
            self.bus.publish(Event::Fill(f.clone()));
            self.fills.push(f.clone());
        }
        self.sync_halt(reconciler);
        report
    }

    /// Takes the reconciler's halt state (after an operator acknowledged it, say).
    pub fn sync_halt(&mut self, reconciler: &Reconciler) {
        self.trading_halt = reconciler.trading_halted().map(|h| h.gate_reason());
    }

    /// The operator's reset of the losing-streak pause: losses closed so far no longer count,
    /// so new risk may be taken again until `max_losing_streak` new losses in a row. Without it
    /// a flat book could never lift the pause (only a winning close ends a streak). Stored and
    /// published as a risk decision carrying the operator's note; returns the streak cleared.
    pub fn reset_losing_streak(&mut self, now: Timestamp, note: &str) -> u32 {
        let streak =
            crate::risk::losing_streak_since(&self.closed_pnls, self.risk.streak_reset_at());
        self.risk.reset_losing_streak(self.closed_pnls.len());
        let decision = RiskDecision {
            symbol: None,
            approved: true,
            rule: "losing_streak_reset".into(),
            reason: format!(
                "operator reset of the losing streak ({streak} losing trade(s) in a row, {} closed in all): {note}",
                self.closed_pnls.len()
            ),
        };
        let mut rep = blank_report(now);
        self.publish_risk(now, decision, &mut rep);
        streak
    }

    /// Checks `order` with the risk engine against the book at `now` (the same limits as the
    /// target path: post-trade symbol and gross exposure, VaR, drawdown and cooldown, losing
    /// streak, plugin blocks of `plugin_outputs`, input health and the reconciliation halt, then
    /// `max_slippage_bps` on its expected cost) and, if approved, sends it journal-first. Every decision is stored and published.
    pub fn place_manual_order(
        &mut self,
        now: Timestamp,
        order: ManualOrder,
        plugin_outputs: &[PluginOutput],
    ) -> Result<ManualOrderPlaced, ManualOrderError> {
        let view = self.market.view(now);
        let marks = marks(&view);
        let returns = aligned_returns(&view, &self.benchmark, self.var_lookback);
        let failed = self.failed_required();
        let pnls: Vec<f64> = self.closed_trades.iter().map(|t| t.pnl.to_f64()).collect();
        // The sequence number makes the id unique; it is taken only for an approved order.
        let mut planned = PlannedOrder {
            cycle: CycleId {
                ts: now,
                seq: self.seq + 1,
            },
            instrument: Instrument::infer(&order.symbol),
            reference_price: view.last(&order.symbol).map(|b| b.close),
            symbol: order.symbol,
            side: order.side,
            qty: order.qty,
            leg: Leg::Adjust,
            order_type: order.order_type,
            tif: order.tif,
            expected: None,
        };
        // The expected price is journaled with the order, as for the cycle's orders.
        if let (Some(mid), Some(bar)) = (planned.reference_price, view.last(&planned.symbol)) {
            planned.expected = Some(estimate_for_order(
                &self.slippage,
                &planned.order_type,
                planned.side,
                planned.qty,
                mid,
                None,
                bar.volume,
            ));
        }
        let request = planned.to_request();
        let inputs = RiskInputs {
            now,
            portfolio: &self.portfolio,
            equity: &self.equity,
            marks: &marks,
            returns: &returns,
            plugin_outputs,
            failed_required: &failed,
            calendar: &self.calendar,
            closed_trade_pnls: &pnls,
            kelly: None,
        };
        let checked = self.risk.check_order(&request, &inputs);
        let mut rep = blank_report(now);
        let approved = match checked {
            Ok(a) => a,
            Err(refused) => {
                self.publish_risk(now, refused.decision(), &mut rep);
                for e in &rep.errors {
                    tracing::warn!(%now, "manual order: {e}");
                }
                return Err(ManualOrderError::Refused(refused));
            }
        };
        for d in approved.decisions.iter().cloned() {
            self.publish_risk(now, d, &mut rep);
        }
        // The expected-slippage limit applies to manual orders as to the cycle's.
        let Some(planned) = self
            .slippage_limit(now, vec![planned], &mut rep)
            .into_iter()
            .next()
        else {
            let (rule, reason) = rep
                .risk_decisions
                .last()
                .map(|d| (d.rule.clone(), d.reason.clone()))
                .unwrap_or_else(|| {
                    (
                        "max_slippage_bps".into(),
                        "refused on its expected slippage".into(),
                    )
                });
            return Err(ManualOrderError::Refused(RiskRefused {
                order: Box::new(request),
                rule,
                reason,
            }));
        };
        self.seq += 1;
        let mut submitted = self.executor.submit_all(now, vec![planned]);
        self.take_fills(now, &mut rep);
        for e in &rep.errors {
            tracing::warn!(%now, "manual order: {e}");
        }
        let entry = submitted
            .entries
            .pop()
            .expect("submit_all reports every order it is given");
        Ok(ManualOrderPlaced {
            entry,
            decisions: rep.risk_decisions,
        })
    }

    /// Sends orders reconciliation handed back (`PendingPolicy::Resend`) under their journaled
    /// client ids; a copy the broker already has is adopted, not sent twice.
    pub fn resend_after_reconcile(
        &mut self,
        now: Timestamp,
        orders: Vec<PlannedOrder>,
    ) -> SubmitReport {
        let report = self.executor.submit_all(now, orders);
        let mut rep = blank_report(now);
        self.take_fills(now, &mut rep);
        for e in &rep.errors {
            tracing::warn!(%now, "resend: {e}");
        }
        report
    }

    /// Asks the broker to cancel a working order and records the broker's answer (store, bus).
    /// Cancels always pass: they only reduce risk.
    pub fn cancel_order(
        &mut self,
        now: Timestamp,
        id: &ClientOrderId,
    ) -> Result<Order, BrokerError> {
        let order = self.executor.broker_mut().cancel(id)?;
        let mut rep = blank_report(now);
        self.take_fills(now, &mut rep);
        for e in &rep.errors {
            tracing::warn!(%now, "cancel {id}: {e}");
        }
        Ok(order)
    }

    /// Runs one plugin now, outside its schedule, against the point-in-time context at `now`;
    /// the run is recorded like a scheduled one. Its outputs are not combined: a run on demand
    /// shows what the plugin says, it does not trade.
    pub fn run_plugin_now(&mut self, now: Timestamp, id: &str) -> Option<PluginRunRecord> {
        self.runner.health(id)?;
        let ctx = Context {
            process: self.process.as_deref(),
            ..Context::new(now, &self.market, &self.portfolio, &self.equity)
        };
        let report = self.runner.run(id, &ctx);
        let breaches = self.runner.health(id).map_or(0, |h| h.consecutive_breaches);
        if let Err(e) = record_run(self.store.as_ref(), &self.bus, &report, breaches) {
            tracing::warn!(%now, "record run of {id}: {e}");
        }
        *self
            .run_counts
            .entry(id.to_string())
            .or_default()
            .entry(report.record.status.as_str().to_string())
            .or_default() += 1;
        self.last_status
            .insert(id.to_string(), report.record.status.clone());
        Some(report.record)
    }
}
