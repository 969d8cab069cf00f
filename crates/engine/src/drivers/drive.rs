//! The real-time driver loop shared by paper and live trading.
//!
//! Each turn: carry out waiting commands, reconcile when due, ask the feed for bars at the
//! clock's time, give them to the simulated exchange (paper) and to the engine's market data,
//! and run `Engine::cycle`, the same call the backtest makes. Between bars it waits on the
//! command channel, so the API is answered promptly and always between cycles.

use super::control::Reconfigure;
use super::control::{Command, ControlError, EngineStatus};
use super::feed::{Batch, Feed, FeedPoll};
use super::setup::{relax_rth_for_daily_bars, session_of};
use super::wait::{Waited, Waiter};
use crate::backtest::SharedSim;
use crate::cycle::{CycleReport, Engine, ManualOrderError};
use crate::reconcile::Reconciler;
use optifire_core::calendar::NyseCalendar;
use optifire_core::clock::Clock;
use optifire_core::config::{Config, Features};
use optifire_core::data::Frequency;
use optifire_core::domain::Symbol;
use optifire_core::event::{Event, Severity};
use optifire_core::plugin::PluginOutput;
use optifire_core::venue::BrokerError;
use optifire_core::Timestamp;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;

const NANOS: i64 = 1_000_000_000;

/// How the loop behaves around its feed.
#[derive(Clone, Debug, PartialEq)]
pub struct DriverOptions {
    /// Stop when the feed has nothing more (tests, one-shot replays). Otherwise the engine keeps
    /// answering commands until stopped.
    pub stop_when_finished: bool,
    /// Reconcile with the broker every this many clock seconds (besides start-up and after a
    /// broker reconnect); `None` for never.
    pub reconcile_every_secs: Option<i64>,
    /// Live feeds only: with no bar for this many seconds, cycle at the clock's time anyway, so
    /// time-based schedules (`@open`, intervals) fire.
    pub idle_cycle_secs: i64,
    /// How often to look again once the feed is finished, seconds.
    pub idle_poll_secs: i64,
    /// On stop, cancel the simulated exchange's working orders (recorded in the store): a
    /// simulated account does not outlive its process, so orders left working would be
    /// reported lost by the next session's reconciliation.
    pub cancel_sim_orders_on_stop: bool,
}

impl Default for DriverOptions {
    fn default() -> Self {
        DriverOptions {
            stop_when_finished: false,
            reconcile_every_secs: Some(300),
            idle_cycle_secs: 60,
            idle_poll_secs: 1,
            cancel_sim_orders_on_stop: true,
        }
    }
}

/// Why the loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// `EngineHandle::stop`.
    Asked,
    /// The feed finished and `stop_when_finished` was set.
    FeedFinished,
    /// Every handle was dropped: nothing could stop the loop any more.
    HandlesDropped,
}

/// What a finished run leaves: the engine (fills, equity, ...) and how it ended.
#[derive(Debug)]
pub struct DriverOutcome {
    pub engine: Engine,
    pub cycles: u64,
    pub stopped: StopReason,
    /// Problems reported by cycles, the exchange and the market data, each also logged.
    pub errors: Vec<String>,
}

/// A driver ready to run. Build it with `paper::paper_replay` or `live` (feature `alpaca`).
pub struct Driver {
    pub(super) engine: Engine,
    pub(super) feed: Box<dyn Feed>,
    /// The simulated exchange when paper trading: it sees each bar before the engine cycles.
    pub(super) exchange: Option<SharedSim>,
    pub(super) frequency: BTreeMap<Symbol, Frequency>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) waiter: Box<dyn Waiter>,
    pub(super) commands: Receiver<Command>,
    pub(super) reconciler: Reconciler,
    /// Set by a broker whose connection came back: reconcile before trading on.
    pub(super) resync: Option<Arc<AtomicBool>>,
    pub(super) options: DriverOptions,
    /// The engine's time before its first cycle (the replay's first instant).
    pub(super) start: Timestamp,
    /// The configuration the engine runs on, for hot reload.
    pub(super) applied: Applied,
}

/// What a hot reload compares against and must keep: the running configuration as the engine
/// took it (after the driver's adjustments) and the engine settings it was built with.
#[derive(Clone, Debug)]
pub(super) struct Applied {
    pub config: Config,
    pub features: Features,
    pub record_misfires: bool,
    pub has_strategy: bool,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("feed", &self.feed)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The loop's working state.
struct Running {
    calendar: NyseCalendar,
    last_outputs: Vec<PluginOutput>,
    cycles: u64,
    feed_finished: bool,
    last_reconcile: Timestamp,
    last_cycle_clock: Timestamp,
    errors: Vec<String>,
}

/// At most this many problems are kept in the outcome (all are logged).
const MAX_KEPT_ERRORS: usize = 10_000;

impl Driver {
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs until stopped (see `StopReason`). Blocks the calling thread.
    pub fn run(mut self) -> DriverOutcome {
        let clock_now = self.clock.now();
        let mut st = Running {
            calendar: NyseCalendar::new(),
            last_outputs: Vec::new(),
            cycles: 0,
            feed_finished: false,
            last_reconcile: clock_now,
            last_cycle_clock: clock_now,
            errors: Vec::new(),
        };
        self.reconcile(&mut st, "start-up");
        let stopped = loop {
            if let Some(r) = self.drain_commands(&mut st) {
                break r;
            }
            if self
                .resync
                .as_ref()
                .is_some_and(|f| f.swap(false, Ordering::SeqCst))
            {
                self.reconcile(&mut st, "broker reconnected");
            }
            let clock_now = self.clock.now();
            if let Some(every) = self.options.reconcile_every_secs {
                if clock_now.0.saturating_sub(st.last_reconcile.0) >= every.saturating_mul(NANOS) {
                    self.reconcile(&mut st, "periodic");
                }
            }
            let mut until = match self.feed.poll(clock_now) {
                FeedPoll::Ready(batch) => {
                    self.step(&mut st, batch);
                    continue;
                }
                FeedPoll::Wait(t) => t,
                FeedPoll::Finished => {
                    if !st.feed_finished {
                        st.feed_finished = true;
                        tracing::info!(cycles = st.cycles, "feed finished");
                    }
                    if self.options.stop_when_finished {
                        break StopReason::FeedFinished;
                    }
                    Timestamp(
                        clock_now
                            .0
                            .saturating_add(self.options.idle_poll_secs.max(1) * NANOS),
                    )
                }
            };
            if self.feed.is_live() {
                let idle_due = Timestamp(
                    st.last_cycle_clock
                        .0
                        .saturating_add(self.options.idle_cycle_secs.max(1) * NANOS),
                );
                if clock_now >= idle_due {
                    let at = self.engine_now();
                    self.cycle(&mut st, at);
                    continue;
                }
                until = until.min(idle_due);
            }
            match self.waiter.wait(until, &self.commands) {
                Waited::Command(c) => {
                    if self.handle(&mut st, c) {
                        break StopReason::Asked;
                    }
                }
                Waited::Elapsed => {}
                Waited::Disconnected => break StopReason::HandlesDropped,
            }
        };
        self.shutdown(&mut st);
        tracing::info!(cycles = st.cycles, ?stopped, "driver stopped");
        DriverOutcome {
            engine: self.engine,
            cycles: st.cycles,
            stopped,
            errors: st.errors,
        }
    }

    /// The engine's present: the clock's time for a live feed, else the last cycle's instant.
    fn engine_now(&self) -> Timestamp {
        let last = self.engine.last_cycle();
        if self.feed.is_live() {
            let now = self.clock.now();
            last.map_or(now, |l| l.max(now))
        } else {
            last.unwrap_or(self.start)
        }
    }

    fn note(st: &mut Running, msg: String) {
        tracing::warn!("driver: {msg}");
        if st.errors.len() < MAX_KEPT_ERRORS {
            st.errors.push(msg);
        }
    }

    /// Bars to the exchange first (orders from earlier cycles fill at their open), then to the
    /// engine's market data, then the cycle: the backtest's order of events.
    fn step(&mut self, st: &mut Running, batch: Batch) {
        for bar in &batch.bars {
            if let Some(x) = &self.exchange {
                let session = session_of(bar, self.frequency.get(&bar.symbol), &st.calendar);
                if let Err(e) = x.lock().on_bar(bar, session) {
                    Self::note(st, format!("exchange refused bar: {e}"));
                }
            }
            if let Err(e) = self.engine.market_mut().push(bar.clone()) {
                Self::note(st, format!("market data refused bar: {e}"));
            }
        }
        let at = if self.feed.is_live() {
            self.clock.now().max(batch.at)
        } else {
            batch.at
        };
        self.cycle(st, at);
    }

    fn cycle(&mut self, st: &mut Running, at: Timestamp) {
        let rep: CycleReport = self.engine.cycle(at);
        st.cycles += 1;
        st.last_cycle_clock = self.clock.now();
        for e in rep.errors {
            if st.errors.len() < MAX_KEPT_ERRORS {
                st.errors.push(format!("{at}: {e}"));
            }
        }
        st.last_outputs = rep.outputs;
    }

    fn reconcile(&mut self, st: &mut Running, why: &str) {
        let now = self.engine_now();
        let report = self.engine.reconcile_with(&mut self.reconciler, now);
        st.last_reconcile = self.clock.now();
        if !report.is_clean() {
            tracing::warn!(
                why,
                differences = report.differences.len(),
                errors = report.errors.len(),
                "reconciliation found differences"
            );
        }
        for e in report.errors {
            Self::note(st, format!("reconcile ({why}): {e}"));
        }
        if let Some(h) = self.reconciler.trading_halted() {
            tracing::warn!(reason = %h.reason, "trading halted: only risk-reducing orders pass");
        }
        if !report.resend.is_empty() {
            let sent = self.engine.resend_after_reconcile(now, report.resend);
            tracing::info!(
                orders = sent.entries.len(),
                live = sent.live().count(),
                "resent after reconciliation"
            );
        }
    }

    /// Carries out every waiting command; `Some` when the loop must end.
    fn drain_commands(&mut self, st: &mut Running) -> Option<StopReason> {
        loop {
            match self.commands.try_recv() {
                Ok(c) => {
                    if self.handle(st, c) {
                        return Some(StopReason::Asked);
                    }
                }
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => return Some(StopReason::HandlesDropped),
            }
        }
    }

    /// One command; true for stop. A reply nobody waits for any more is dropped.
    fn handle(&mut self, st: &mut Running, cmd: Command) -> bool {
        let now = self.engine_now();
        match cmd {
            Command::PlaceOrder(order, reply) => {
                let res = self
                    .engine
                    .place_manual_order(now, order, &st.last_outputs)
                    .map_err(|e| match e {
                        ManualOrderError::Refused(r) => ControlError::RiskRefused {
                            rule: r.rule,
                            reason: r.reason,
                        },
                    });
                let _ = reply.send(res);
            }
            Command::CancelOrder(id, reply) => {
                let res = self.engine.cancel_order(now, &id).map_err(|e| match e {
                    BrokerError::UnknownOrder => ControlError::UnknownOrder(id.0.to_string()),
                    other => ControlError::Broker(other.to_string()),
                });
                let _ = reply.send(res);
            }
            Command::RunPlugin(id, reply) => {
                let res = self
                    .engine
                    .run_plugin_now(now, &id)
                    .ok_or(ControlError::UnknownPlugin(id));
                let _ = reply.send(res);
            }
            Command::AcknowledgeHalt(note, reply) => {
                let store = self.engine.store().clone();
                let res = self
                    .reconciler
                    .acknowledge(store.as_ref(), now, &note)
                    .map_err(|e| ControlError::Store(e.to_string()));
                self.engine.sync_halt(&self.reconciler);
                let _ = reply.send(res);
            }
            Command::ResetLosingStreak(note, reply) => {
                let _ = reply.send(Ok(self.engine.reset_losing_streak(now, &note)));
            }
            Command::Status(reply) => {
                let _ = reply.send(Ok(EngineStatus {
                    now: self.engine.last_cycle(),
                    cycles: st.cycles,
                    feed_finished: st.feed_finished,
                    halt: self.reconciler.trading_halted().cloned(),
                    losing_streak: self.engine.losing_streak(),
                    max_losing_streak: self.engine.risk().config().max_losing_streak,
                    open_orders: self.engine.broker().open_orders().len(),
                }));
            }
            Command::Reconfigure(r, reply) => {
                let _ = reply.send(self.reconfigure(now, *r));
            }
            Command::Stop => return true,
        }
        false
    }

    /// Takes a new configuration between cycles with the same adjustments the driver made at
    /// start (regular hours relaxed for daily bars), and records what changed as an alert in
    /// the store and on the bus. On failure the engine keeps the running one (also recorded).
    fn reconfigure(
        &mut self,
        now: Timestamp,
        r: Reconfigure,
    ) -> Result<crate::cycle::Reconfigured, ControlError> {
        let Reconfigure {
            version,
            mut config,
            features,
            registry,
        } = r;
        let _ = relax_rth_for_daily_bars(&mut config, &self.frequency, self.applied.has_strategy);
        config.system.initial_cash = self.applied.config.system.initial_cash;
        let res = self.engine.reconfigure(
            &self.applied.config,
            &self.applied.features,
            &config,
            &features,
            &registry,
            self.applied.record_misfires,
        );
        let (severity, message) = match &res {
            Ok(done) => (
                Severity::Info,
                format!(
                    "engine applied configuration v{version} at its cycle boundary: {}",
                    done.summary()
                ),
            ),
            Err(e) => (
                Severity::Critical,
                format!("engine kept its configuration; v{version} not applied: {e}"),
            ),
        };
        let alert = Event::Alert {
            ts: now,
            source: "engine".into(),
            severity,
            message,
        };
        if let Err(e) = self.engine.store().append_event(now, &alert) {
            tracing::warn!("store the reload alert: {e}");
        }
        self.engine.bus().publish(alert);
        let done = res.map_err(|e| ControlError::Config(e.to_string()))?;
        self.applied.config = config;
        self.applied.features = features;
        tracing::info!(version, "configuration applied: {}", done.summary());
        Ok(done)
    }

    fn shutdown(&mut self, st: &mut Running) {
        if !(self.options.cancel_sim_orders_on_stop && self.exchange.is_some()) {
            return;
        }
        let now = self.engine_now();
        for o in self.engine.broker().open_orders() {
            let id = o.request.client_order_id;
            if let Err(e) = self.engine.cancel_order(now, &id) {
                Self::note(st, format!("cancel {} on stop: {e}", id.0));
            }
        }
    }
}
