//! The command channel into a running engine: what the HTTP server (or a test) may ask of it.
//!
//! The engine is owned by its driver thread; an `EngineHandle` sends it commands, which the
//! driver carries out between cycles (never inside one), each with a reply channel for the
//! answer. Replies are tokio oneshots, so a caller may wait for them blocking (a plain thread)
//! or with `.await` (an HTTP handler).

use crate::cycle::{ManualOrder, ManualOrderPlaced, Reconfigured};
use crate::reconcile::TradingHalt;
use optifire_core::config::{Config, Features};
use optifire_core::domain::{ClientOrderId, Order};
use optifire_core::event::PluginRunRecord;
use optifire_core::plugin::Registry;
use optifire_core::Timestamp;
use serde::Serialize;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Why a command did not do what was asked.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ControlError {
    /// The risk engine refused the manual order (stored and published as a risk decision).
    #[error("refused by risk rule {rule}: {reason}")]
    RiskRefused { rule: String, reason: String },
    /// The broker refused or failed the request.
    #[error("broker: {0}")]
    Broker(String),
    #[error("unknown order {0}")]
    UnknownOrder(String),
    #[error("no plugin {0} is loaded")]
    UnknownPlugin(String),
    /// The store could not record what was asked (the halt stays in force).
    #[error("store: {0}")]
    Store(String),
    /// A new configuration the engine could not take (it keeps running the previous one).
    #[error("configuration not applied: {0}")]
    Config(String),
    /// The engine has stopped (or stopped before answering).
    #[error("the engine is not running")]
    Stopped,
}

/// A snapshot of the running engine, for status pages.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EngineStatus {
    /// The engine's present: the last cycle's instant (replay time in a replay).
    pub now: Option<Timestamp>,
    pub cycles: u64,
    /// The feed has nothing more to give (a finished replay).
    pub feed_finished: bool,
    /// The reconciliation halt in force, if any.
    pub halt: Option<TradingHalt>,
    /// Losing trades in a row since the last reset (`Engine::losing_streak`).
    pub losing_streak: u32,
    /// `risk.max_losing_streak`: at this streak new risk pauses until a win or a reset.
    pub max_losing_streak: u32,
    pub open_orders: usize,
}

type Reply<T> = oneshot::Sender<Result<T, ControlError>>;

/// One request to the driver loop.
#[derive(Debug)]
pub enum Command {
    PlaceOrder(ManualOrder, Reply<ManualOrderPlaced>),
    CancelOrder(ClientOrderId, Reply<Order>),
    RunPlugin(String, Reply<PluginRunRecord>),
    /// Lifts the reconciliation halt; the note says who and why.
    AcknowledgeHalt(String, Reply<Option<TradingHalt>>),
    /// Lifts the losing-streak pause; the note says who and why. Answers the streak cleared.
    ResetLosingStreak(String, Reply<u32>),
    Status(Reply<EngineStatus>),
    /// Take a new configuration at the next cycle boundary.
    Reconfigure(Box<Reconfigure>, Reply<Reconfigured>),
    /// Finish the current cycle and stop.
    Stop,
}

/// A validated configuration for a running engine (`ConfigManager` checked it), with the
/// registry that creates the plugins it newly enables.
pub struct Reconfigure {
    /// The configuration history's version, for the record.
    pub version: i64,
    pub config: Config,
    pub features: Features,
    pub registry: Registry,
}

impl std::fmt::Debug for Reconfigure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconfigure")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A cloneable handle on a running engine. Commands are carried out between cycles, in the
/// order sent.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    tx: mpsc::Sender<Command>,
}

/// A handle and the receiving end a driver drains.
pub fn channel() -> (EngineHandle, mpsc::Receiver<Command>) {
    let (tx, rx) = mpsc::channel();
    (EngineHandle { tx }, rx)
}

impl EngineHandle {
    fn ask<T>(
        &self,
        make: impl FnOnce(Reply<T>) -> Command,
    ) -> Result<oneshot::Receiver<Result<T, ControlError>>, ControlError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .map_err(|_| ControlError::Stopped)?;
        Ok(rx)
    }

    fn blocking<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, ControlError> {
        self.ask(make)?
            .blocking_recv()
            .map_err(|_| ControlError::Stopped)?
    }

    async fn awaiting<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, ControlError> {
        self.ask(make)?.await.map_err(|_| ControlError::Stopped)?
    }

    /// Places a manual order through the risk engine; blocks until the engine answers (not
    /// from inside an async runtime: use `place_order_async` there).
    pub fn place_order(&self, order: ManualOrder) -> Result<ManualOrderPlaced, ControlError> {
        self.blocking(|r| Command::PlaceOrder(order, r))
    }
    pub async fn place_order_async(
        &self,
        order: ManualOrder,
    ) -> Result<ManualOrderPlaced, ControlError> {
        self.awaiting(|r| Command::PlaceOrder(order, r)).await
    }

    /// Cancels a working order by client id; the answer is the broker's state after the request.
    pub fn cancel_order(&self, id: ClientOrderId) -> Result<Order, ControlError> {
        self.blocking(|r| Command::CancelOrder(id, r))
    }
    pub async fn cancel_order_async(&self, id: ClientOrderId) -> Result<Order, ControlError> {
        self.awaiting(|r| Command::CancelOrder(id, r)).await
    }

    /// Runs a plugin now, outside its schedule (recorded, not traded on).
    pub fn run_plugin(&self, id: &str) -> Result<PluginRunRecord, ControlError> {
        let id = id.to_string();
        self.blocking(|r| Command::RunPlugin(id, r))
    }
    pub async fn run_plugin_async(&self, id: &str) -> Result<PluginRunRecord, ControlError> {
        let id = id.to_string();
        self.awaiting(|r| Command::RunPlugin(id, r)).await
    }

    /// Lifts the reconciliation halt; returns the halt lifted (`None` if there was none).
    pub fn acknowledge_halt(&self, note: &str) -> Result<Option<TradingHalt>, ControlError> {
        let note = note.to_string();
        self.blocking(|r| Command::AcknowledgeHalt(note, r))
    }
    pub async fn acknowledge_halt_async(
        &self,
        note: &str,
    ) -> Result<Option<TradingHalt>, ControlError> {
        let note = note.to_string();
        self.awaiting(|r| Command::AcknowledgeHalt(note, r)).await
    }

    /// Lifts the losing-streak pause (`Engine::reset_losing_streak`); returns the streak cleared.
    pub fn reset_losing_streak(&self, note: &str) -> Result<u32, ControlError> {
        let note = note.to_string();
        self.blocking(|r| Command::ResetLosingStreak(note, r))
    }
    pub async fn reset_losing_streak_async(&self, note: &str) -> Result<u32, ControlError> {
        let note = note.to_string();
        self.awaiting(|r| Command::ResetLosingStreak(note, r)).await
    }

    /// Hands the engine a new configuration, taken between cycles; blocks until it answers
    /// what changed (or why nothing did).
    pub fn reconfigure(&self, r: Reconfigure) -> Result<Reconfigured, ControlError> {
        self.blocking(|reply| Command::Reconfigure(Box::new(r), reply))
    }
    pub async fn reconfigure_async(&self, r: Reconfigure) -> Result<Reconfigured, ControlError> {
        self.awaiting(|reply| Command::Reconfigure(Box::new(r), reply))
            .await
    }

    pub fn status(&self) -> Result<EngineStatus, ControlError> {
        self.blocking(Command::Status)
    }
    pub async fn status_async(&self) -> Result<EngineStatus, ControlError> {
        self.awaiting(Command::Status).await
    }

    /// Asks the driver to finish its cycle and stop; does not wait. Harmless if it has stopped.
    pub fn stop(&self) {
        let _ = self.tx.send(Command::Stop);
    }
}
