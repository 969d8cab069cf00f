//! The fail-closed risk engine: every target and every manual order passes here before it can
//! become an order, and every change it makes is recorded with its rule and numbers.
//!
//! `RiskEngine::apply_targets` runs the rules in this order (each may only shrink risk, except
//! the Kelly multiplier and the beta hedge, which the hard limits after them still bound):
//!
//! 1. `rth_only`: outside the NYSE regular session nothing changes; all symbols are frozen.
//! 2. `fail_closed` input check: stale/missing/NaN marks, failed required risk plugins, empty
//!    equity history (and later any computation that cannot be done) close the gate.
//! 3. Plugin outputs: `Flatten` sets the scope to 0; `ExposureMultiplier`s of the scope (global
//!    x symbol) multiply the target; `Block` closes the gate for its scope.
//! 4. Drawdown (`drawdown.rs`): linear scaling between soft and hard limit; at the hard limit
//!    flatten and start the cooldown, during which the gate is closed.
//! 5. `losing_streak`: `max_losing_streak` losses in a row close the gate.
//! 6. `kelly` (only when `RiskInputs::kelly` is given): all targets x `kelly_size`.
//! 7. `beta_hedge`: |beta to SPY| > `beta_hedge_threshold` adjusts the SPY target to beta 0.
//! 8. `max_exposure_symbol` cap, then `max_exposure_total` proportional scaling.
//! 9. The gate: where it is closed (global reasons or a symbol's plugin block) each target is
//!    clamped to its largest risk-reducing part (|new| <= |current|, same sign or zero).
//! 10. `max_var`: historical VaR of the result over `var_lookback_days`; over `max_var_pct`
//!     every weight is scaled by max / VaR (CVaR reported alongside).
//!
//! After planning, `check_slippage` (`max_slippage_bps`) stops orders adding risk whose
//! expected cost is over the limit (the cycle applies it once costs are estimated).
//!
//! A requested target map is complete: a held symbol missing from it is a request to close it.
//! Any error on the way fails closed (risk-reducing only), never open.

mod beta_hedge;
mod book;
mod decision;
mod drawdown;
mod error;
mod failsafe;
mod inputs;
mod kelly;
mod limits;
mod order_check;
mod plugins;
mod reducing;
mod slippage_limit;
mod streak;
mod var;

pub use beta_hedge::portfolio_beta;
pub use decision::{RiskApproved, RiskOutcome, RiskRefused};
pub use drawdown::{drawdown_multiplier, DrawdownAction, DrawdownGuard};
pub use error::RiskError;
pub use inputs::{KellyInput, Mark, RiskInputs};
pub use kelly::kelly_size;
pub use reducing::{clamp_to_reducing, is_risk_reducing};
pub use slippage_limit::{check_slippage, order_reduces, SlippageCheck};
pub use streak::{losing_streak, losing_streak_since};
pub use var::{portfolio_returns, portfolio_var, VarReport};

use book::{current_book, Book};
use decision::{fw, pct, DecisionLog};
use optifire_core::config::RiskConfig;
use optifire_core::domain::{OrderRequest, Symbol};
use optifire_core::fixed::Fixed;
use optifire_core::Timestamp;
use plugins::PluginControls;
use std::collections::{BTreeMap, BTreeSet};

/// The benchmark the beta hedge trades unless `with_benchmark` says otherwise.
pub const DEFAULT_BENCHMARK: &str = "SPY";

/// The risk engine with the state it keeps across cycles (cooldown, re-based high-water mark,
/// losing-streak reset).
#[derive(Clone, Debug)]
pub struct RiskEngine {
    cfg: RiskConfig,
    benchmark: Symbol,
    drawdown: DrawdownGuard,
    streak_reset_at: Option<usize>,
}

/// A reason that closes the gate: (rule, reason).
type GateReason = (&'static str, String);

impl RiskEngine {
    pub fn new(cfg: RiskConfig) -> Self {
        RiskEngine {
            cfg,
            benchmark: Symbol::new(DEFAULT_BENCHMARK),
            drawdown: DrawdownGuard::default(),
            streak_reset_at: None,
        }
    }

    /// Uses `benchmark` instead of SPY for the beta hedge.
    pub fn with_benchmark(mut self, benchmark: Symbol) -> Self {
        self.benchmark = benchmark;
        self
    }

    pub fn config(&self) -> &RiskConfig {
        &self.cfg
    }

    pub fn drawdown_guard(&self) -> &DrawdownGuard {
        &self.drawdown
    }

    /// Restores state saved from `drawdown_guard` after a restart.
    pub fn restore_drawdown_guard(&mut self, guard: DrawdownGuard) {
        self.drawdown = guard;
    }

    /// Operator reset of the drawdown cooldown; the high-water mark restarts at current equity.
    pub fn reset_cooldown(
        &mut self,
        now: Timestamp,
        equity: &optifire_core::domain::EquityHistory,
    ) {
        self.drawdown.reset(now, equity);
    }

    /// Operator reset of the losing streak; `closed_trades` is the number of trades closed so
    /// far (the length of `RiskInputs::closed_trade_pnls`). Only later trades count afterwards.
    pub fn reset_losing_streak(&mut self, closed_trades: usize) {
        self.streak_reset_at = Some(closed_trades);
    }

    /// How many trades had closed at the operator's last losing-streak reset, if any; a
    /// reload hands it to the new engine so the reset survives a limit change.
    pub fn streak_reset_at(&self) -> Option<usize> {
        self.streak_reset_at
    }

    /// Applies every rule to the requested `targets` (signed weights of equity).
    pub fn apply_targets(
        &mut self,
        targets: &BTreeMap<Symbol, f64>,
        inputs: &RiskInputs<'_>,
    ) -> RiskOutcome {
        let book = current_book(inputs);
        let mut log = DecisionLog::default();
        match self.run(targets, inputs, &book, &mut log) {
            Ok(outcome) => outcome,
            Err(e) => fail_closed_fallback(targets, &book, log, &e),
        }
    }

    /// Checks one manual order against the same limits (post-trade exposure of the symbol and
    /// the book, VaR, drawdown, cooldown, streak, plugin blocks, input health).
    pub fn check_order(
        &self,
        order: &OrderRequest,
        inputs: &RiskInputs<'_>,
    ) -> Result<RiskApproved, RiskRefused> {
        order_check::check_order(self, order, inputs)
    }

    fn run(
        &mut self,
        targets: &BTreeMap<Symbol, f64>,
        inputs: &RiskInputs<'_>,
        book: &Book,
        log: &mut DecisionLog,
    ) -> Result<RiskOutcome, RiskError> {
        let cfg = &self.cfg;
        let held: BTreeSet<Symbol> = inputs
            .portfolio
            .open_positions()
            .map(|p| p.symbol.clone())
            .collect();

        // 1. Regular trading hours.
        if cfg.rth_only && !inputs.calendar.is_open_at(inputs.now) {
            log.refuse(
                None,
                "rth_only",
                format!(
                    "market closed at {} (New York {}): no orders, all positions held",
                    inputs.now,
                    inputs.now.to_new_york().format("%a %Y-%m-%d %H:%M")
                ),
            );
            let frozen = targets.keys().cloned().chain(held).collect();
            return Ok(RiskOutcome {
                targets: BTreeMap::new(),
                frozen,
                decisions: std::mem::take(&mut log.0),
            });
        }

        // Requested weights; held symbols not requested are to be closed.
        let mut frozen = BTreeSet::new();
        let mut w: BTreeMap<Symbol, f64> = held.iter().map(|s| (s.clone(), 0.0)).collect();
        for (s, x) in targets {
            if x.is_finite() {
                w.insert(s.clone(), *x);
                continue;
            }
            match book.weight(s) {
                Some(cur) => {
                    log.refuse(
                        Some(s),
                        "fail_closed",
                        format!("{s} target {x} is not a number: held at {}", fw(cur)),
                    );
                    w.insert(s.clone(), cur);
                }
                None => {
                    log.refuse(
                        Some(s),
                        "fail_closed",
                        format!("{s} target {x} is not a number and its weight is unknown: frozen"),
                    );
                    w.remove(s);
                    frozen.insert(s.clone());
                }
            }
        }

        // 2. Input health.
        let mut closed: Vec<GateReason> = Vec::new();
        let needed: BTreeSet<Symbol> = w
            .iter()
            .filter(|(s, x)| **x != 0.0 || held.contains(*s))
            .map(|(s, _)| s.clone())
            .collect();
        for f in failsafe::input_faults(inputs, &needed, cfg.stale_price_secs) {
            log.refuse(None, "fail_closed", format!("no new risk: {f}"));
            closed.push(("fail_closed", f));
        }

        // 3. Plugin outputs.
        let controls = PluginControls::from_outputs(inputs.plugin_outputs);
        for (s, x) in w.iter_mut() {
            let flat = controls.flattens(s);
            if !flat.is_empty() {
                if *x != 0.0 {
                    log.refuse(
                        Some(s),
                        "plugin_flatten",
                        format!("{s} target {} set to 0: {}", fw(*x), flat.join("; ")),
                    );
                }
                *x = 0.0;
                continue;
            }
            let m = controls.multiplier(s);
            if m != 1.0 && *x != 0.0 {
                let reasons: Vec<String> = controls
                    .multiplier_reasons(s)
                    .map(ToString::to_string)
                    .collect();
                log.refuse(
                    Some(s),
                    "plugin_multiplier",
                    format!(
                        "{s} target {} x{m} = {} ({})",
                        fw(*x),
                        fw(*x * m),
                        reasons.join("; ")
                    ),
                );
                *x *= m;
            }
        }

        // 4. Drawdown and cooldown.
        let (mut guard, ended) = self.drawdown.refreshed(inputs.now, inputs.equity);
        if ended {
            log.note(
                None,
                "cooldown",
                format!(
                    "cooldown ended at {}; high-water mark re-based to the latest equity",
                    self.drawdown
                        .cooldown_until()
                        .map_or_else(|| "?".to_string(), |t| t.to_string())
                ),
            );
        }
        match guard.drawdown(inputs.equity) {
            None => {
                let f = "drawdown cannot be computed from the equity history".to_string();
                log.refuse(None, "fail_closed", format!("no new risk: {f}"));
                closed.push(("fail_closed", f));
            }
            Some(dd) => {
                let (soft, hard) = (cfg.soft_drawdown, cfg.max_drawdown);
                match guard.evaluate(inputs.now, dd, soft, hard, cfg.cooldown_hours) {
                    DrawdownAction::None => {}
                    DrawdownAction::Scale(m) => {
                        scale_for_drawdown(&mut w, m, dd, soft, hard, log);
                    }
                    DrawdownAction::Flatten { started } => {
                        w.values_mut().for_each(|x| *x = 0.0);
                        let until = guard
                            .cooldown_until()
                            .map_or_else(|| "?".to_string(), |t| t.to_string());
                        let what = if started {
                            format!(
                                "cooldown of {} h started, until {until}",
                                cfg.cooldown_hours
                            )
                        } else {
                            format!("cooldown runs until {until}")
                        };
                        log.refuse(
                            None,
                            "max_drawdown",
                            format!(
                                "drawdown {} at or over the limit {}: all targets flattened; {what}",
                                pct(dd),
                                pct(hard)
                            ),
                        );
                    }
                    DrawdownAction::CooldownGate(m) => {
                        if m < 1.0 {
                            scale_for_drawdown(&mut w, m, dd, soft, hard, log);
                        }
                        let until = guard
                            .cooldown_until()
                            .map_or_else(|| "?".to_string(), |t| t.to_string());
                        let r = format!(
                            "cooldown after the max drawdown until {until} (drawdown now {})",
                            pct(dd)
                        );
                        log.refuse(None, "cooldown", format!("no new risk: {r}"));
                        closed.push(("cooldown", r));
                    }
                }
            }
        }
        self.drawdown = guard;
        let cfg = &self.cfg;

        // 5. Losing streak.
        let streak = losing_streak_since(inputs.closed_trade_pnls, self.streak_reset_at);
        if streak >= cfg.max_losing_streak {
            let r = format!(
                "{streak} consecutive losing trades (limit {}): no new risk until a win or an \
                 operator reset",
                cfg.max_losing_streak
            );
            log.refuse(None, "losing_streak", r.clone());
            closed.push(("losing_streak", r));
        }

        // 6. Kelly.
        if let Some(k) = inputs.kelly {
            match kelly_size(cfg, k.win_rate, k.payoff) {
                Ok(m) => {
                    w.values_mut().for_each(|x| *x *= m);
                    log.note(
                        None,
                        "kelly",
                        format!(
                            "targets x{}: clamp({} x Kelly(p {}, b {}), {}, {})",
                            Fixed(m, 6),
                            cfg.kelly_fraction,
                            k.win_rate,
                            k.payoff,
                            cfg.kelly_min,
                            cfg.kelly_max
                        ),
                    );
                }
                Err(e) => {
                    let f = format!("Kelly size cannot be computed: {e}");
                    log.refuse(None, "fail_closed", format!("no new risk: {f}"));
                    closed.push(("fail_closed", f));
                }
            }
        }

        // 7. Beta hedge.
        let lookback = cfg.var_lookback_days as usize;
        match portfolio_beta(&w, inputs.returns, &self.benchmark, lookback) {
            Ok(beta) => {
                let b = &self.benchmark;
                if beta.abs() > cfg.beta_hedge_threshold {
                    let old = w.get(b).copied().unwrap_or(0.0);
                    let new = old - beta;
                    w.insert(b.clone(), new);
                    log.note(
                        Some(b),
                        "beta_hedge",
                        format!(
                            "portfolio beta {} to {b} exceeds +-{}: {b} target {} -> {} \
                             to bring beta to 0",
                            Fixed(beta, 4),
                            cfg.beta_hedge_threshold,
                            fw(old),
                            fw(new)
                        ),
                    );
                    if let Some(f) = failsafe::mark_fault(inputs, b, cfg.stale_price_secs) {
                        log.refuse(None, "fail_closed", format!("no new risk: {f}"));
                        closed.push(("fail_closed", f));
                    }
                } else if beta != 0.0 {
                    log.note(
                        None,
                        "beta_hedge",
                        format!(
                            "portfolio beta {} to {b} within +-{}: no hedge",
                            Fixed(beta, 4),
                            cfg.beta_hedge_threshold
                        ),
                    );
                }
            }
            Err(e) => {
                let f = format!("portfolio beta cannot be computed: {e}");
                log.refuse(None, "fail_closed", format!("no new risk: {f}"));
                closed.push(("fail_closed", f));
            }
        }

        // 8. Hard exposure limits.
        limits::cap_symbols(&mut w, cfg.max_exposure_symbol, log);
        limits::cap_gross(&mut w, cfg.max_exposure_total, log);

        // 9. The gate.
        gate(&mut w, book, log, &mut frozen, |s| {
            let mut r = closed.clone();
            r.extend(controls.blocks(s).into_iter().map(|b| ("plugin_block", b)));
            r
        });

        // 10. VaR.
        match portfolio_var(&w, inputs.returns, lookback, cfg.var_confidence) {
            Ok(rep) => {
                let c = pct(cfg.var_confidence);
                if rep.var > cfg.max_var_pct {
                    let k = cfg.max_var_pct / rep.var;
                    w.values_mut().for_each(|x| *x *= k);
                    log.refuse(
                        None,
                        "max_var",
                        format!(
                            "VaR({c}, {} d) {} over the limit {}: targets x{}; \
                             CVaR {} -> {}",
                            rep.days,
                            Fixed(rep.var, 6),
                            pct(cfg.max_var_pct),
                            Fixed(k, 6),
                            Fixed(rep.cvar, 6),
                            Fixed(rep.cvar * k, 6)
                        ),
                    );
                } else {
                    log.note(
                        None,
                        "max_var",
                        format!(
                            "VaR({c}, {} d) {} within the limit {}; CVaR {}",
                            rep.days,
                            // + 0.0 turns the -0 of a riskless book into 0 for display.
                            Fixed(rep.var + 0.0, 6),
                            pct(cfg.max_var_pct),
                            Fixed(rep.cvar + 0.0, 6)
                        ),
                    );
                }
            }
            Err(e) => {
                let f = format!("VaR cannot be computed: {e}");
                log.refuse(None, "fail_closed", format!("no new risk: {f}"));
                let reason = ("fail_closed", f);
                gate(&mut w, book, log, &mut frozen, |_| vec![reason.clone()]);
            }
        }

        if let Some((s, x)) = w.iter().find(|(_, x)| !x.is_finite()) {
            return Err(RiskError::NonFinite(format!("final target of {s} ({x})")));
        }
        Ok(RiskOutcome {
            targets: w,
            frozen,
            decisions: std::mem::take(&mut log.0),
        })
    }
}

/// Scales every target by the soft-band drawdown factor `m`, saying how it was computed.
fn scale_for_drawdown(
    w: &mut BTreeMap<Symbol, f64>,
    m: f64,
    dd: f64,
    soft: f64,
    hard: f64,
    log: &mut DecisionLog,
) {
    w.values_mut().for_each(|x| *x *= m);
    log.refuse(
        None,
        "drawdown",
        format!(
            "drawdown {} between soft {} and hard {}: targets x{} = ({hard} - {}) / \
             ({hard} - {soft})",
            pct(dd),
            pct(soft),
            pct(hard),
            Fixed(m, 6),
            Fixed(dd, 6)
        ),
    );
}

/// Clamps every target whose scope has closing reasons to its largest risk-reducing part;
/// a symbol whose current weight is unknown is frozen unless its target is zero.
fn gate(
    w: &mut BTreeMap<Symbol, f64>,
    book: &Book,
    log: &mut DecisionLog,
    frozen: &mut BTreeSet<Symbol>,
    reasons: impl Fn(&Symbol) -> Vec<GateReason>,
) {
    let mut to_freeze = Vec::new();
    for (s, x) in w.iter_mut() {
        let r = reasons(s);
        let Some((rule, _)) = r.first() else {
            continue;
        };
        let why: Vec<&str> = r.iter().map(|(_, t)| t.as_str()).collect();
        match book.weight(s) {
            Some(cur) => {
                let new = clamp_to_reducing(cur, *x);
                if new != *x {
                    log.refuse(
                        Some(s),
                        rule,
                        format!(
                            "{s} target {} held to {} (current {}): only risk-reducing changes \
                             pass ({})",
                            fw(*x),
                            fw(new),
                            fw(cur),
                            why.join("; ")
                        ),
                    );
                    *x = new;
                }
            }
            None if *x == 0.0 => {}
            None => {
                log.refuse(
                    Some(s),
                    rule,
                    format!(
                        "{s} target {} refused and position frozen: its current weight is \
                         unknown ({})",
                        fw(*x),
                        why.join("; ")
                    ),
                );
                to_freeze.push(s.clone());
            }
        }
    }
    for s in to_freeze {
        w.remove(&s);
        frozen.insert(s);
    }
}

/// The answer when a rule could not be computed: every request clamped to its risk-reducing
/// part, unknown positions frozen.
fn fail_closed_fallback(
    targets: &BTreeMap<Symbol, f64>,
    book: &Book,
    mut log: DecisionLog,
    e: &RiskError,
) -> RiskOutcome {
    log.refuse(
        None,
        "internal_error",
        format!("risk computation failed ({e}): only risk-reducing changes pass"),
    );
    let mut w: BTreeMap<Symbol, f64> = book
        .weights
        .keys()
        .chain(&book.unknown)
        .map(|s| (s.clone(), 0.0))
        .collect();
    let mut frozen = BTreeSet::new();
    for (s, x) in targets {
        match (x.is_finite(), book.weight(s)) {
            (true, _) => {
                w.insert(s.clone(), *x);
            }
            (false, Some(cur)) => {
                w.insert(s.clone(), cur);
            }
            (false, None) => {
                w.remove(s);
                frozen.insert(s.clone());
            }
        }
    }
    let reason = ("internal_error", e.to_string());
    gate(
        &mut w,
        book,
        &mut log,
        &mut frozen,
        |_| vec![reason.clone()],
    );
    RiskOutcome {
        targets: w,
        frozen,
        decisions: log.0,
    }
}
