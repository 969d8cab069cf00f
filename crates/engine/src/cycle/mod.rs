//! The engine and its cycle: one code path for backtest, paper and live.
//!
//! A driver gives the engine time (a `Clock`) and data (`MarketData`, a `Broker`); `cycle(now)`
//! then does DESIGN.md's data flow: due plugins against a point-in-time context, combiner, the
//! fail-closed risk engine, planner, shapers, router, journal-first submission, fills into the
//! ledger, an equity point. Nothing here knows which driver is running it.

mod contributions;
mod manual;
mod marks;
mod reload;
mod strategy;

pub use manual::{ManualOrder, ManualOrderError, ManualOrderPlaced};
use marks::ReturnsCache;
pub use marks::{aligned_returns, ledger_price, marks};
pub use reload::Reconfigured;
pub use strategy::{OrderIntent, Strategy};

use crate::combiner::{Combined, Combiner, Contribution};
use crate::exec::{
    estimate_for_order, plan_orders, working_qty, CycleId, Executor, Leg, PlanConfig, PlannedOrder,
    Router, RouterConfig, SubmitReport,
};
use crate::risk::{check_slippage, Mark, RiskEngine, RiskInputs, SlippageCheck};
use optifire_core::bus::Bus;
use optifire_core::calendar::NyseCalendar;
use optifire_core::clock::Clock;
use optifire_core::config::{Config, Features};
use optifire_core::domain::{
    ClientOrderId, CostEstimate, EquityHistory, EquityPoint, Fill, Instrument, LedgerError, Money,
    OrderType, Portfolio, Price, Symbol, TimeInForce,
};
use optifire_core::event::{Event, RiskDecision, RunStatus, Severity};
use optifire_core::plugin::recorder::record_run;
use optifire_core::plugin::{
    Category, Context, ExecutedFill, MarketData, PluginOutput, ProcessProbe, Registry, RunReport,
    Runner, RunnerPolicy,
};
use optifire_core::schedule::{Schedule, Scheduler};
use optifire_core::store::Store;
use optifire_core::venue::Broker;
use optifire_core::Timestamp;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why an engine could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("plugin {id}: {reason}")]
    Plugin { id: String, reason: String },
    #[error("schedule: {0}")]
    Schedule(String),
    #[error("router: {0}")]
    Router(String),
}

/// Engine settings that are not in config.yaml.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub runner_policy: RunnerPolicy,
    /// Per-plugin combiner weights (default 1 each).
    pub combiner_weights: BTreeMap<String, f64>,
    /// Record scheduler misfires (off for backtests over daily bars, where every intraday
    /// schedule coalesces by design).
    pub record_misfires: bool,
    pub plan: PlanConfig,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            runner_policy: RunnerPolicy::default(),
            combiner_weights: BTreeMap::new(),
            record_misfires: true,
            plan: PlanConfig::default(),
        }
    }
}

/// A fill that reduced a position, with the PnL it realized (price difference times quantity
/// against the average cost; commissions are reported separately).
#[derive(Clone, Debug, PartialEq)]
pub struct ClosedTrade {
    pub ts: Timestamp,
    pub symbol: Symbol,
    /// The closing fill's id (shared text, as the fill's).
    pub fill_id: std::sync::Arc<str>,
    pub pnl: Money,
}

impl ClosedTrade {
    /// Applies `f` to `portfolio` and returns the trade it closed when it reduced a position,
    /// with the realized PnL it added. The engine and the sma_cross bar loop both count closed
    /// trades through here, so their trade lists cannot drift apart.
    pub fn apply_fill(portfolio: &mut Portfolio, f: &Fill) -> Result<Option<Self>, LedgerError> {
        let realized = |p: &Portfolio| {
            p.positions
                .get(&f.symbol)
                .map_or(Money::ZERO, |x| x.realized_pnl)
        };
        let before = realized(portfolio);
        let held_before = portfolio.qty(&f.symbol);
        portfolio.apply_fill(f)?;
        let reduced = held_before.0.is_sign_positive() != f.signed_qty().0.is_sign_positive()
            && !held_before.is_zero();
        Ok(reduced.then(|| ClosedTrade {
            ts: f.ts,
            symbol: f.symbol.clone(),
            fill_id: f.fill_id.clone(),
            pnl: realized(portfolio) - before,
        }))
    }
}

/// What one cycle did, for drivers, tests and reports.
#[derive(Clone, Debug)]
pub struct CycleReport {
    pub now: Timestamp,
    /// Plugin ids run, in the order run.
    pub ran: Vec<String>,
    pub outputs: Vec<PluginOutput>,
    pub combined: Combined,
    pub risk_decisions: Vec<RiskDecision>,
    /// Orders handed to the executor (after shaping and routing).
    pub orders: Vec<PlannedOrder>,
    pub submit: SubmitReport,
    /// Fills applied to the ledger in this cycle (at its start and after submission).
    pub fills: Vec<Fill>,
    pub equity: Option<EquityPoint>,
    /// Store, ledger and broker problems; each is also logged.
    pub errors: Vec<String>,
    /// Why no orders were planned, when none were.
    pub notes: Vec<String>,
}

/// The engine. See the module doc.
pub struct Engine {
    runner: Runner,
    scheduler: Scheduler,
    risk: RiskEngine,
    executor: Executor,
    /// Ids of enabled plugins that shape orders (`Plugin::shaper`), in features order.
    shapers: Vec<String>,
    router: Router,
    slippage: optifire_core::config::SlippageModel,
    combiner: Combiner,
    strategy: Option<Box<dyn Strategy>>,
    portfolio: Portfolio,
    equity: EquityHistory,
    market: MarketData,
    store: Arc<dyn Store>,
    bus: Bus,
    clock: Arc<dyn Clock>,
    process: Option<Arc<dyn ProcessProbe>>,
    calendar: NyseCalendar,
    plan_config: PlanConfig,
    benchmark: Symbol,
    var_lookback: usize,
    /// Ids of enabled risk plugins: their failure closes the risk gate.
    risk_plugins: Vec<String>,
    last_status: BTreeMap<String, RunStatus>,
    /// Runs per plugin and status (`ok`, `skipped`, `error`, `panicked`).
    run_counts: BTreeMap<String, BTreeMap<String, u64>>,
    prev: Option<Timestamp>,
    seq: u64,
    fills: Vec<Fill>,
    /// `fills` with the decision instant and expected cost of their orders (same order).
    executions: Vec<ExecutedFill>,
    /// Decision instant and expected cost of every order sent and not yet terminal.
    expected: BTreeMap<ClientOrderId, (Timestamp, Option<CostEstimate>)>,
    /// Per plugin: how many of `fills` it has seen.
    fills_seen: BTreeMap<String, usize>,
    closed_trades: Vec<ClosedTrade>,
    /// `closed_trades`' PnLs as f64, kept alongside: the risk engine reads them every cycle,
    /// and converting the whole history each time grew with the run.
    closed_pnls: Vec<f64>,
    /// The latest cycle's combiner contributions (each cycle's are also in its report).
    contributions: Vec<Contribution>,
    /// The reconciliation halt's gate reason while it is in force (see `manual.rs`).
    trading_halt: Option<String>,
    /// The risk engine's aligned returns, carried from cycle to cycle.
    returns_cache: ReturnsCache,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("runner", &self.runner)
            .field("prev", &self.prev)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// What an engine is built from.
pub struct EngineParts {
    pub config: Config,
    pub features: Features,
    pub registry: Registry,
    pub market: MarketData,
    pub store: Arc<dyn Store>,
    pub bus: Bus,
    pub clock: Arc<dyn Clock>,
    pub executor: Executor,
    pub process: Option<Arc<dyn ProcessProbe>>,
    pub options: EngineOptions,
}

impl std::fmt::Debug for EngineParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineParts").finish_non_exhaustive()
    }
}

impl Engine {
    /// Builds the engine: every enabled plugin of `features` is created from the registry,
    /// configured with its params, given its budget and scheduled (features.yaml's schedule).
    pub fn new(parts: EngineParts) -> Result<Engine, EngineError> {
        let EngineParts {
            config,
            features,
            registry,
            market,
            store,
            bus,
            clock,
            executor,
            process,
            options,
        } = parts;
        let mut runner = Runner::new(options.runner_policy);
        let mut scheduler = Scheduler::default();
        scheduler.set_record_misfires(options.record_misfires);
        let mut risk_plugins = Vec::new();
        let mut shapers = Vec::new();
        for (id, flags) in features.plugins.iter().filter(|(_, f)| f.enabled) {
            let err = |reason: String| EngineError::Plugin {
                id: id.clone(),
                reason,
            };
            let mut plugin = registry.create(id).map_err(|e| err(e.to_string()))?;
            plugin
                .configure(&flags.params)
                .map_err(|e| err(e.to_string()))?;
            let meta = plugin.describe();
            let plan = plugin.plan();
            let schedule: Schedule = flags
                .schedule
                .parse()
                .map_err(|e: optifire_core::schedule::ScheduleError| err(e.to_string()))?;
            if meta.category == Category::Risk {
                risk_plugins.push(id.clone());
            }
            if plugin.shaper().is_some() {
                shapers.push(id.clone());
            }
            runner.add(plugin, flags.budget);
            scheduler
                .add(id, schedule, plan.depends_on)
                .map_err(|e| EngineError::Schedule(e.to_string()))?;
        }
        scheduler
            .validate()
            .map_err(|e| EngineError::Schedule(e.to_string()))?;
        let router = Router::new(
            RouterConfig::from_execution(&config.execution)
                .map_err(|e| EngineError::Router(e.to_string()))?,
        );
        Ok(Engine {
            runner,
            scheduler,
            risk: RiskEngine::new(config.risk.clone())
                .with_benchmark(config.system.benchmark.clone()),
            executor,
            shapers,
            router,
            slippage: config.execution.slippage.clone(),
            combiner: Combiner::new(options.combiner_weights),
            strategy: None,
            portfolio: Portfolio::new(config.system.initial_cash),
            equity: EquityHistory::new(),
            market,
            store,
            bus,
            clock,
            process,
            calendar: NyseCalendar::new(),
            plan_config: options.plan,
            benchmark: config.system.benchmark.clone(),
            var_lookback: config.risk.var_lookback_days as usize,
            risk_plugins,
            last_status: BTreeMap::new(),
            run_counts: BTreeMap::new(),
            prev: None,
            seq: 0,
            fills: Vec::new(),
            executions: Vec::new(),
            expected: BTreeMap::new(),
            fills_seen: BTreeMap::new(),
            closed_trades: Vec::new(),
            closed_pnls: Vec::new(),
            contributions: Vec::new(),
            trading_halt: None,
            returns_cache: ReturnsCache::default(),
        })
    }

    /// Replaces combiner, risk sizing and planner with a strategy that asks for share counts.
    pub fn set_strategy(&mut self, strategy: Box<dyn Strategy>) {
        self.strategy = Some(strategy);
    }

    pub fn market(&self) -> &MarketData {
        &self.market
    }
    /// For live and paper drivers that append bars as they arrive.
    pub fn market_mut(&mut self) -> &mut MarketData {
        // The cached returns assume the bars they were computed from never change.
        self.returns_cache = ReturnsCache::default();
        &mut self.market
    }
    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }
    pub fn equity(&self) -> &EquityHistory {
        &self.equity
    }
    pub fn fills(&self) -> &[Fill] {
        &self.fills
    }
    pub fn closed_trades(&self) -> &[ClosedTrade] {
        &self.closed_trades
    }
    /// The combiner contributions of the latest cycle that ran the combiner.
    pub fn contributions(&self) -> &[Contribution] {
        &self.contributions
    }
    /// Runs per plugin and status since the engine started.
    pub fn run_counts(&self) -> &BTreeMap<String, BTreeMap<String, u64>> {
        &self.run_counts
    }
    pub fn runner(&self) -> &Runner {
        &self.runner
    }
    /// The risk engine as it stands (limits, drawdown guard, losing-streak reset).
    pub fn risk(&self) -> &RiskEngine {
        &self.risk
    }
    /// The losing streak as the risk engine counts it now (losses in a row closed since the
    /// operator's last reset): new risk pauses when it reaches `risk.max_losing_streak`.
    pub fn losing_streak(&self) -> u32 {
        crate::risk::losing_streak_since(&self.closed_pnls, self.risk.streak_reset_at())
    }
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
    pub fn broker(&self) -> &dyn Broker {
        self.executor.broker()
    }

    /// One cycle at the injected clock's time.
    pub fn tick(&mut self) -> CycleReport {
        let now = self.clock.now();
        self.cycle(now)
    }

    /// One cycle at `now`. Never panics on plugin, store or broker trouble: problems are in the
    /// report, logged, and (where DESIGN.md says so) stored as events.
    pub fn cycle(&mut self, now: Timestamp) -> CycleReport {
        let mut rep = manual::blank_report(now);
        // Fills that happened since the last cycle (in a backtest: at this bar's open).
        self.take_fills(now, &mut rep);
        let marks = marks(&self.market.view(now));
        self.mark_equity(now, &marks, &mut rep);

        // Plugins due in (prev, now], in dependency order. The first cycle looks back one
        // second, so a driver starting exactly on a fire time runs it.
        let prev = self.prev.unwrap_or(now.plus_secs(-1));
        self.prev = Some(now);
        let due = self.scheduler.due(prev, now);
        let mut outputs: Vec<PluginOutput> = Vec::new();
        for run in &due {
            let seen = self.fills_seen.get(&run.id).copied().unwrap_or(0);
            let ctx = Context {
                now,
                market: self.market.view(now),
                portfolio: &self.portfolio,
                equity: &self.equity,
                recent_fills: &self.executions[seen.min(self.executions.len())..],
                cycle_outputs: &outputs,
                process: self.process.as_deref(),
            };
            let report = self.runner.run(&run.id, &ctx);
            self.fills_seen
                .insert(run.id.clone(), self.executions.len());
            outputs.extend(self.account_run(report, &mut rep));
            rep.ran.push(run.id.clone());
        }
        self.seq += 1;
        let cycle = CycleId {
            ts: now,
            seq: self.seq,
        };

        let planned = if self.strategy.is_some() {
            self.strategy_orders(now, cycle, &outputs, &mut rep)
        } else {
            self.combiner
                .update(rep.ran.iter().map(String::as_str), &outputs);
            rep.combined = self.combiner.combine();
            self.record_contributions(now, &mut rep);
            self.contributions = rep.combined.contributions.clone();
            if rep.ran.is_empty() {
                rep.notes
                    .push("no plugin was due: the book is not rebalanced".into());
                Vec::new()
            } else {
                self.target_orders(now, cycle, &marks, &outputs, &mut rep)
            }
        };
        rep.outputs = outputs;

        let mut orders = self.shape(now, planned, &mut rep);
        let view = self.market.view(now);
        for o in &mut orders {
            self.router.route(now, o, None);
            // The expected price is journaled with the order, so realized slippage can be
            // measured against it (diag_slippage_report).
            if let (Some(mid), Some(bar)) = (o.reference_price, view.last(&o.symbol)) {
                o.expected = Some(estimate_for_order(
                    &self.slippage,
                    &o.order_type,
                    o.side,
                    o.qty,
                    mid,
                    None,
                    bar.volume,
                ));
            }
        }
        let orders = self.slippage_limit(now, orders, &mut rep);
        if !orders.is_empty() {
            for o in &orders {
                self.expected
                    .insert(o.client_order_id(), (o.cycle.ts, o.expected));
            }
            rep.submit = self.executor.submit_all(now, orders.clone());
        }
        rep.orders = orders;
        // Brokers that fill on submission (live market orders) report here.
        self.take_fills(now, &mut rep);
        for e in &rep.errors {
            tracing::warn!(%now, "cycle: {e}");
        }
        rep
    }

    /// Stores a run, counts it and remembers its status; returns its outputs.
    fn account_run(&mut self, report: RunReport, rep: &mut CycleReport) -> Vec<PluginOutput> {
        let id = report.record.plugin_id.clone();
        let breaches = self
            .runner
            .health(&id)
            .map_or(0, |h| h.consecutive_breaches);
        if let Err(e) = record_run(self.store.as_ref(), &self.bus, &report, breaches) {
            rep.errors.push(format!("record run of {id}: {e}"));
        }
        *self
            .run_counts
            .entry(id.clone())
            .or_default()
            .entry(report.record.status.as_str().to_string())
            .or_default() += 1;
        self.last_status.insert(id, report.record.status.clone());
        report.outputs
    }

    /// The enabled exec plugins' shapers, in features order, each on the previous one's
    /// output. Each call is a recorded run with an `order_shaping` report. The engine shapes
    /// each cycle's orders as one batch: they share the cycle's instant, so one window, and
    /// the planner counts orders still working, so a later cycle never re-sends or opposes
    /// what an earlier one sent. A shaper that fails leaves the orders as they were (noted).
    fn shape(
        &mut self,
        now: Timestamp,
        mut orders: Vec<PlannedOrder>,
        rep: &mut CycleReport,
    ) -> Vec<PlannedOrder> {
        if orders.is_empty() {
            return orders;
        }
        for id in self.shapers.clone() {
            let (result, report) = self.runner.shape(&id, now, &orders);
            match result {
                Some(r) => orders = r.orders,
                None => rep.notes.push(format!(
                    "{id} did not shape the orders ({}): sent as planned",
                    report.record.message.as_deref().unwrap_or("no result")
                )),
            }
            let outs = self.account_run(report, rep);
            rep.outputs.extend(outs);
            rep.ran.push(id);
        }
        orders
    }

    /// Combiner targets through the risk engine into planned orders.
    fn target_orders(
        &mut self,
        now: Timestamp,
        cycle: CycleId,
        marks: &BTreeMap<Symbol, Mark>,
        outputs: &[PluginOutput],
        rep: &mut CycleReport,
    ) -> Vec<PlannedOrder> {
        let view = self.market.view(now);
        // Lent by the cache (see `ReturnsCache::returns`); read again below through the field,
        // so `publish_risk` can borrow the engine in between.
        self.returns_cache
            .returns(&view, &self.benchmark, self.var_lookback);
        let failed = self.failed_required();
        let targets = rep.combined.targets.clone();
        let open = self.executor.broker().open_orders();
        if targets.is_empty() && self.portfolio.open_positions().next().is_none() && open.is_empty()
        {
            rep.notes
                .push("no targets, positions or working orders: nothing to trade".into());
            return Vec::new();
        }
        // Say plainly when the risk engine cannot size new risk yet for lack of history; the
        // engine's own fail-closed VaR decision follows.
        let wanted: Vec<&Symbol> = targets
            .iter()
            .filter(|(_, w)| **w != 0.0)
            .map(|(s, _)| s)
            .chain(std::iter::once(&self.benchmark))
            .collect();
        if targets.values().any(|w| *w != 0.0) {
            let returns = self.returns_cache.current();
            let have = wanted
                .iter()
                .map(|s| returns.get(*s).map_or(0, Vec::len))
                .min()
                .unwrap_or(0);
            if have < self.var_lookback {
                let d = RiskDecision {
                    symbol: None,
                    approved: false,
                    rule: "warm_up".into(),
                    reason: format!(
                        "risk inputs warming up: {have} of {} daily returns; no new risk until \
                         the VaR and beta can be computed",
                        self.var_lookback
                    ),
                };
                self.publish_risk(now, d.clone(), rep);
            }
        }
        let inputs = RiskInputs {
            now,
            portfolio: &self.portfolio,
            equity: &self.equity,
            marks,
            returns: self.returns_cache.current(),
            plugin_outputs: outputs,
            failed_required: &failed,
            calendar: &self.calendar,
            closed_trade_pnls: &self.closed_pnls,
            kelly: None,
        };
        let outcome = self.risk.apply_targets(&targets, &inputs);
        for d in outcome.decisions.iter().cloned() {
            self.publish_risk(now, d, rep);
        }
        let equity = match self.equity.last() {
            Some(p) if p.ts == now => p.equity.to_f64(),
            _ => {
                rep.notes
                    .push("no equity point for this cycle: nothing planned".into());
                return Vec::new();
            }
        };
        let working = working_qty(&open);
        let prices: BTreeMap<Symbol, f64> =
            marks.iter().map(|(s, m)| (s.clone(), m.price)).collect();
        let plan = plan_orders(
            &outcome.targets,
            &self.portfolio,
            &working,
            &prices,
            equity,
            &Instrument::infer,
            cycle,
            &self.plan_config,
        );
        // The risk engine's frozen symbols must be left exactly as they are.
        let (keep, dropped): (Vec<_>, Vec<_>) = plan
            .orders
            .into_iter()
            .partition(|o| !outcome.frozen.contains(&o.symbol));
        for o in dropped {
            rep.notes.push(format!(
                "{} {} {} not sent: the risk engine froze {}",
                o.side.as_str(),
                o.qty,
                o.symbol,
                o.symbol
            ));
        }
        keep
    }

    /// The strategy's intents as planned market orders.
    fn strategy_orders(
        &mut self,
        now: Timestamp,
        cycle: CycleId,
        outputs: &[PluginOutput],
        rep: &mut CycleReport,
    ) -> Vec<PlannedOrder> {
        let Some(strategy) = self.strategy.as_mut() else {
            return Vec::new();
        };
        let ctx = Context {
            now,
            market: self.market.view(now),
            portfolio: &self.portfolio,
            equity: &self.equity,
            recent_fills: &[],
            cycle_outputs: outputs,
            process: self.process.as_deref(),
        };
        let intents = match strategy.decide(&ctx) {
            Ok(i) => i,
            Err(e) => {
                rep.notes.push(format!("strategy {}: {e}", strategy.id()));
                return Vec::new();
            }
        };
        let view = self.market.view(now);
        intents
            .into_iter()
            .map(|i| {
                rep.notes
                    .push(format!("strategy {}: {}", strategy.id(), i.reason));
                PlannedOrder {
                    cycle,
                    instrument: Instrument::infer(&i.symbol),
                    reference_price: view.last(&i.symbol).map(|b| b.close),
                    symbol: i.symbol,
                    side: i.side,
                    qty: i.qty,
                    leg: Leg::Adjust,
                    order_type: OrderType::Market,
                    tif: TimeInForce::Day,
                    expected: None,
                }
            })
            .collect()
    }

    /// `max_slippage_bps` on the routed, costed orders (see `risk::check_slippage`).
    fn slippage_limit(
        &mut self,
        now: Timestamp,
        orders: Vec<PlannedOrder>,
        rep: &mut CycleReport,
    ) -> Vec<PlannedOrder> {
        let limit = self.risk.config().max_slippage_bps;
        let mut kept = Vec::with_capacity(orders.len());
        for o in orders {
            let position = self.portfolio.qty(&o.symbol).0;
            let cost = o.expected.map(|e| e.cost_bps);
            match check_slippage(&o.symbol, o.side, o.qty, position, cost, limit) {
                SlippageCheck::Pass => kept.push(o),
                SlippageCheck::PassReducing(d) => {
                    self.publish_risk(now, d, rep);
                    kept.push(o);
                }
                SlippageCheck::Refuse(d) => self.publish_risk(now, d, rep),
            }
        }
        kept
    }

    fn publish_risk(&mut self, now: Timestamp, decision: RiskDecision, rep: &mut CycleReport) {
        let e = Event::Risk {
            ts: now,
            decision: decision.clone(),
        };
        if let Err(err) = self.store.push_event(now, &e) {
            rep.errors.push(format!("store risk decision: {err}"));
        }
        self.bus.publish(e);
        rep.risk_decisions.push(decision);
    }

    /// Broker updates into the store and new fills into the ledger.
    fn take_fills(&mut self, now: Timestamp, rep: &mut CycleReport) {
        let applied = self.executor.apply_updates(now);
        rep.errors.extend(applied.errors);
        let terminal: Vec<ClientOrderId> = applied
            .orders
            .iter()
            .filter(|o| o.status.is_terminal())
            .map(|o| o.request.client_order_id.clone())
            .collect();
        for o in applied.orders {
            self.bus.publish(Event::Order(o));
        }
        for f in applied.fills {
            match ClosedTrade::apply_fill(&mut self.portfolio, &f) {
                Ok(closed) => {
                    if let Some(t) = closed {
                        self.closed_pnls.push(t.pnl.to_f64());
                        self.closed_trades.push(t);
                    }
                    let e = Event::Fill(f.clone());
                    if let Err(err) = self.store.push_event(now, &e) {
                        rep.errors.push(format!("store fill event: {err}"));
                    }
                    self.bus.publish(e);
                    let known = self.expected.get(&f.client_order_id);
                    self.executions.push(ExecutedFill {
                        fill: f.clone(),
                        decided_at: known.map(|k| k.0),
                        expected: known.and_then(|k| k.1),
                    });
                    self.fills.push(f.clone());
                    rep.fills.push(f);
                }
                Err(e) => {
                    let msg = format!("ledger refused fill {}: {e}", f.fill_id);
                    let ev = Event::Alert {
                        ts: now,
                        source: "engine".into(),
                        severity: Severity::Critical,
                        message: msg.clone(),
                    };
                    if let Err(err) = self.store.push_event(now, &ev) {
                        rep.errors.push(format!("store alert: {err}"));
                    }
                    self.bus.publish(ev);
                    rep.errors.push(msg);
                }
            }
        }
        // Fills are applied first, so a terminal order's last fill still finds its expectation.
        for id in terminal {
            self.expected.remove(&id);
        }
    }

    /// Marks the book to the last closes known at `now` and records the equity point.
    fn mark_equity(
        &mut self,
        now: Timestamp,
        marks: &BTreeMap<Symbol, Mark>,
        rep: &mut CycleReport,
    ) {
        let price =
            |s: &Symbol| -> Option<Price> { marks.get(s).and_then(|m| ledger_price(m.price)) };
        let (equity, gross) = match (
            self.portfolio.equity(price),
            self.portfolio.gross_exposure(price),
        ) {
            (Ok(e), Ok(g)) => (e, g),
            (Err(e), _) | (_, Err(e)) => {
                rep.errors.push(format!("equity not marked at {now}: {e}"));
                return;
            }
        };
        let point = EquityPoint {
            ts: now,
            equity,
            cash: self.portfolio.cash,
            gross_exposure: gross,
        };
        if !self.equity.push(point) {
            return;
        }
        if let Err(e) = self.store.insert_equity(&point) {
            rep.errors.push(format!("store equity: {e}"));
        }
        if let Err(e) = self.store.snapshot_positions(now, &self.portfolio) {
            rep.errors.push(format!("store positions: {e}"));
        }
        rep.equity = Some(point);
    }
}
