//! Runs plugins: measures each run, contains errors and panics, enforces budgets.
//!
//! One misbehaving plugin must never stop the engine or hide its misbehaviour: every run yields
//! a `PluginRunRecord` (ok, error, panicked or skipped, with CPU ms and peak heap), over-budget
//! runs are flagged, and a plugin that keeps breaching its budget or keeps failing is disabled
//! with the reason kept for the dashboard.

pub use crate::config::Budget;
use crate::domain::PlannedOrder;
use crate::event::{PluginRunRecord, RunStatus};
use crate::plugin::measure::{monotonic_secs, thread_cpu_ms, MemMark};
use crate::plugin::shaping::{ShapeResult, ShapingReport, SHAPING_REPORT};
use crate::plugin::{Context, Output, Plugin, PluginError, PluginOutput};
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// When the runner gives up on a plugin.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunnerPolicy {
    /// Consecutive over-budget runs before the plugin is disabled (0 = never).
    pub breach_limit: u32,
    /// Consecutive failed runs (error or panic) before the plugin is disabled (0 = never).
    pub failure_limit: u32,
}

impl Default for RunnerPolicy {
    fn default() -> Self {
        RunnerPolicy {
            breach_limit: 3,
            failure_limit: 5,
        }
    }
}

/// What the runner knows about a plugin's health.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PluginHealth {
    pub runs: u64,
    pub consecutive_breaches: u32,
    pub total_breaches: u64,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    /// `Some(reason)` once disabled.
    pub disabled: Option<String>,
}

/// The result of one `Runner::run`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    pub record: PluginRunRecord,
    pub outputs: Vec<PluginOutput>,
    /// Set when this run caused the plugin to be disabled.
    pub disabled_now: Option<String>,
    /// Outputs the runtime refused (NaN feature, negative multiplier), with reasons.
    pub rejected: Vec<String>,
}

struct Managed {
    plugin: Box<dyn Plugin>,
    budget: Budget,
    health: PluginHealth,
}

#[derive(Default)]
pub struct Runner {
    plugins: BTreeMap<String, Managed>,
    policy: RunnerPolicy,
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("plugins", &self.plugins.keys().collect::<Vec<_>>())
            .field("policy", &self.policy)
            .finish()
    }
}

impl Runner {
    pub fn new(policy: RunnerPolicy) -> Self {
        Runner {
            plugins: BTreeMap::new(),
            policy,
        }
    }

    /// Adds a plugin under its own id (replacing any previous instance and its health).
    pub fn add(&mut self, plugin: Box<dyn Plugin>, budget: Budget) -> String {
        let id = plugin.describe().id;
        self.plugins.insert(
            id.clone(),
            Managed {
                plugin,
                budget,
                health: PluginHealth::default(),
            },
        );
        id
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.plugins.keys().map(String::as_str)
    }

    pub fn health(&self, id: &str) -> Option<&PluginHealth> {
        self.plugins.get(id).map(|m| &m.health)
    }

    pub fn budget(&self, id: &str) -> Option<Budget> {
        self.plugins.get(id).map(|m| m.budget)
    }

    pub fn set_budget(&mut self, id: &str, budget: Budget) {
        if let Some(m) = self.plugins.get_mut(id) {
            m.budget = budget;
        }
    }

    /// Disables a plugin (operator action or restored state) with a reason.
    pub fn disable(&mut self, id: &str, reason: &str) {
        if let Some(m) = self.plugins.get_mut(id) {
            m.health.disabled = Some(reason.to_string());
        }
    }

    /// Re-enables a plugin and clears its breach and failure streaks.
    pub fn enable(&mut self, id: &str) {
        if let Some(m) = self.plugins.get_mut(id) {
            m.health.disabled = None;
            m.health.consecutive_breaches = 0;
            m.health.consecutive_failures = 0;
        }
    }

    /// Runs plugin `id` against `ctx`. Never panics and never returns an error: every outcome,
    /// including "unknown plugin" and "disabled", is a record.
    pub fn run(&mut self, id: &str, ctx: &Context<'_>) -> RunReport {
        self.measured(id, ctx.now, |p| p.run(ctx))
    }

    /// Lets plugin `id` reshape `orders` through its `Plugin::shaper`, measured, contained and
    /// budgeted like a run. The result is `None` when the plugin is missing, disabled, offers
    /// no shaper, fails or panics: the caller then keeps `orders` as they were. The report's
    /// one output is the `order_shaping` report (orders in, orders out, notes).
    pub fn shape(
        &mut self,
        id: &str,
        now: Timestamp,
        orders: &[PlannedOrder],
    ) -> (Option<ShapeResult>, RunReport) {
        let mut result = None;
        let report = self.measured(id, now, |p| match p.shaper() {
            None => Err(PluginError::Failed(format!("{id} offers no order shaper"))),
            Some(s) => {
                let r = s.shape(now, orders);
                let body = serde_json::to_value(ShapingReport::new(orders, &r))
                    .map_err(|e| PluginError::Failed(format!("shaping report: {e}")))?;
                result = Some(r);
                Ok(vec![Output::Report {
                    name: SHAPING_REPORT.to_string(),
                    body,
                }])
            }
        });
        if report.record.status != RunStatus::Ok {
            result = None;
        }
        (result, report)
    }

    /// Runs `f` on plugin `id` with CPU, memory and panic accounting, budget checks and the
    /// disabling policy: the one path every plugin call takes.
    fn measured(
        &mut self,
        id: &str,
        now: Timestamp,
        f: impl FnOnce(&mut dyn Plugin) -> Result<Vec<Output>, PluginError>,
    ) -> RunReport {
        let policy = self.policy;
        let Some(m) = self.plugins.get_mut(id) else {
            return skipped(id, now, format!("plugin {id} is not loaded"));
        };
        if let Some(reason) = &m.health.disabled {
            return skipped(id, now, format!("disabled: {reason}"));
        }

        let mem = MemMark::start();
        let cpu0 = thread_cpu_ms();
        let wall0 = monotonic_secs();
        let result = catch_unwind(AssertUnwindSafe(|| f(m.plugin.as_mut())));
        let cpu_ms = thread_cpu_ms() - cpu0;
        let wall_ms = (monotonic_secs() - wall0) * 1e3;
        let mem_bytes = mem.peak_bytes();

        let (status, message, raw) = match result {
            Ok(Ok(outs)) => (RunStatus::Ok, None, outs),
            Ok(Err(e)) if e.is_skip() => (RunStatus::Skipped, Some(e.to_string()), Vec::new()),
            Ok(Err(e)) => (RunStatus::Error, Some(e.to_string()), Vec::new()),
            Err(payload) => (
                RunStatus::Panicked,
                Some(format!("panicked: {}", panic_message(&payload))),
                Vec::new(),
            ),
        };

        let mut rejected = Vec::new();
        let outputs: Vec<PluginOutput> = raw
            .into_iter()
            .filter_map(|o| match check_output(&o) {
                Ok(()) => Some(PluginOutput {
                    plugin_id: id.to_string(),
                    ts: now,
                    output: o,
                }),
                Err(why) => {
                    rejected.push(why);
                    None
                }
            })
            .collect();

        let cpu_over = cpu_ms > m.budget.cpu_ms;
        let mem_over = mem_bytes.is_some_and(|b| b as f64 > m.budget.mem_mb * 1024.0 * 1024.0);
        let over_budget = cpu_over || mem_over;

        let h = &mut m.health;
        h.runs += 1;
        let mut disabled_now = None;
        if over_budget {
            h.consecutive_breaches += 1;
            h.total_breaches += 1;
            let what = breach_text(cpu_ms, mem_bytes, m.budget, cpu_over, mem_over);
            tracing::warn!(plugin = id, "over budget: {what}");
            if policy.breach_limit > 0 && h.consecutive_breaches >= policy.breach_limit {
                disabled_now = Some(format!(
                    "{} consecutive budget breaches (last: {what})",
                    h.consecutive_breaches
                ));
            }
        } else {
            h.consecutive_breaches = 0;
        }
        match status {
            RunStatus::Error | RunStatus::Panicked => {
                h.consecutive_failures += 1;
                h.last_error = message.clone();
                if disabled_now.is_none()
                    && policy.failure_limit > 0
                    && h.consecutive_failures >= policy.failure_limit
                {
                    disabled_now = Some(format!(
                        "{} consecutive failed runs (last: {})",
                        h.consecutive_failures,
                        message.as_deref().unwrap_or("?")
                    ));
                }
            }
            _ => h.consecutive_failures = 0,
        }
        if let Some(reason) = &disabled_now {
            tracing::error!(plugin = id, "plugin disabled: {reason}");
            h.disabled = Some(reason.clone());
        }

        let mut message = message;
        if !rejected.is_empty() {
            let r = format!("rejected outputs: {}", rejected.join("; "));
            message = Some(match message {
                Some(m) => format!("{m}; {r}"),
                None => r,
            });
        }
        RunReport {
            record: PluginRunRecord {
                plugin_id: id.to_string(),
                started_at: now,
                cpu_ms,
                wall_ms,
                mem_bytes,
                status,
                outputs: outputs.len(),
                message,
                over_budget,
            },
            outputs,
            disabled_now,
            rejected,
        }
    }
}

fn skipped(id: &str, now: Timestamp, message: String) -> RunReport {
    RunReport {
        record: PluginRunRecord {
            plugin_id: id.to_string(),
            started_at: now,
            cpu_ms: 0.0,
            wall_ms: 0.0,
            mem_bytes: None,
            status: RunStatus::Skipped,
            outputs: 0,
            message: Some(message),
            over_budget: false,
        },
        outputs: Vec::new(),
        disabled_now: None,
        rejected: Vec::new(),
    }
}

fn breach_text(cpu_ms: f64, mem: Option<u64>, b: Budget, cpu_over: bool, mem_over: bool) -> String {
    let mut parts = Vec::new();
    if cpu_over {
        parts.push(format!("cpu {cpu_ms:.2} ms > {} ms", b.cpu_ms));
    }
    if mem_over {
        let mb = mem.unwrap_or(0) as f64 / (1024.0 * 1024.0);
        parts.push(format!("mem {mb:.2} MB > {} MB", b.mem_mb));
    }
    parts.join(", ")
}

/// Guards the rest of the engine against malformed outputs.
fn check_output(o: &Output) -> Result<(), String> {
    match o {
        Output::Feature {
            symbol,
            name,
            value,
        } if !value.is_finite() => Err(format!("feature {name} of {symbol} is {value}")),
        Output::Regime { name, multiplier } if !(multiplier.is_finite() && *multiplier >= 0.0) => {
            Err(format!("regime {name} has multiplier {multiplier}"))
        }
        Output::ExposureMultiplier { multiplier, .. }
            if !(multiplier.is_finite() && *multiplier >= 0.0) =>
        {
            Err(format!("exposure multiplier {multiplier}"))
        }
        _ => Ok(()),
    }
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}
