//! The server's `EngineControl` over the engine's command channel, for `optifire run`.
//!
//! The server crate defines what it may ask of an engine in its own plain types and the engine
//! crate its own command channel; this adapter is the only place that knows both, so neither
//! crate depends on the other's request shapes.

use optifire_core::domain::{ClientOrderId, Order, OrderStatus};
use optifire_core::event::PluginRunRecord;
use optifire_engine::cycle::{ManualOrder as EngineOrder, ManualOrderPlaced};
use optifire_engine::drivers::{ControlError as EngineError, EngineHandle};
use optifire_engine::exec::SubmitOutcome;
use optifire_engine::reconcile::TradingHalt;
use optifire_server::{ControlError, EngineControl, EngineGates, HaltInfo, ManualOrder, OrderAck};

/// `EngineControl` for the HTTP API; the server calls it from a blocking thread, so waiting on
/// the engine's reply here is fine.
#[derive(Clone, Debug)]
pub struct EngineBridge(pub EngineHandle);

fn map_err(e: EngineError) -> ControlError {
    match e {
        EngineError::RiskRefused { rule, reason } => ControlError::Refused { rule, reason },
        EngineError::UnknownOrder(id) => ControlError::NotFound {
            what: format!("order {id}"),
        },
        EngineError::UnknownPlugin(id) => ControlError::NotFound {
            what: format!("plugin {id}"),
        },
        EngineError::Broker(reason) => ControlError::Unavailable {
            reason: format!("broker: {reason}"),
        },
        EngineError::Store(reason) => ControlError::Unavailable {
            reason: format!("store: {reason}"),
        },
        EngineError::Config(reason) => ControlError::Invalid { reason },
        EngineError::Stopped => ControlError::Unavailable {
            reason: "the engine is not running".into(),
        },
    }
}

/// What the broker made of a placed order, as the API reports it. An order that was never
/// sent is an error; one whose fate is unknown stays `pending_new` with the reason, because
/// reconciliation will settle it.
fn ack(placed: ManualOrderPlaced) -> Result<OrderAck, ControlError> {
    let id = placed.entry.client_order_id;
    let (status, message) = match placed.entry.outcome {
        SubmitOutcome::Accepted { order } | SubmitOutcome::DuplicateAdopted { order } => {
            (order.status, order.reason)
        }
        SubmitOutcome::Rejected { reason } => (OrderStatus::Rejected, Some(reason)),
        SubmitOutcome::AlreadyJournaled { status } => (
            status,
            Some("already journaled: sent before, not resent".into()),
        ),
        SubmitOutcome::Unknown { error } => (
            OrderStatus::PendingNew,
            Some(format!(
                "broker state unknown, reconciliation will settle it: {error}"
            )),
        ),
        SubmitOutcome::NotSent { error } => {
            return Err(ControlError::Unavailable {
                reason: format!("order {id} not sent: {error}"),
            })
        }
    };
    Ok(OrderAck {
        client_order_id: id,
        status,
        message,
    })
}

fn halt_info(h: TradingHalt) -> HaltInfo {
    HaltInfo {
        since: h.since,
        reason: h.reason,
    }
}

fn order_ack(o: Order) -> OrderAck {
    OrderAck {
        client_order_id: o.request.client_order_id,
        status: o.status,
        message: o.reason,
    }
}

impl EngineControl for EngineBridge {
    fn place_order(&self, order: ManualOrder) -> Result<OrderAck, ControlError> {
        let placed = self
            .0
            .place_order(EngineOrder {
                symbol: order.symbol,
                side: order.side,
                qty: order.qty,
                order_type: order.order_type,
                tif: order.tif,
            })
            .map_err(map_err)?;
        ack(placed)
    }

    fn cancel_order(&self, id: &ClientOrderId) -> Result<OrderAck, ControlError> {
        self.0
            .cancel_order(id.clone())
            .map(order_ack)
            .map_err(map_err)
    }

    fn run_plugin(&self, plugin_id: &str) -> Result<PluginRunRecord, ControlError> {
        self.0.run_plugin(plugin_id).map_err(map_err)
    }

    fn gates(&self) -> Result<EngineGates, ControlError> {
        let s = self.0.status().map_err(map_err)?;
        Ok(EngineGates {
            now: s.now,
            halt: s.halt.map(halt_info),
            losing_streak: s.losing_streak,
            max_losing_streak: s.max_losing_streak,
        })
    }

    fn acknowledge_halt(&self, note: &str) -> Result<Option<HaltInfo>, ControlError> {
        Ok(self
            .0
            .acknowledge_halt(note)
            .map_err(map_err)?
            .map(halt_info))
    }

    fn reset_losing_streak(&self, note: &str) -> Result<u32, ControlError> {
        self.0.reset_losing_streak(note).map_err(map_err)
    }
}
