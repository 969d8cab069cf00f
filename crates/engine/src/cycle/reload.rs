//! Hot reload into a running engine: a new, already validated configuration taken between
//! cycles, so one cycle never mixes two configurations.
//!
//! Risk limits and the benchmark apply at once (the drawdown guard's high-water mark and
//! cooldown are kept). Newly enabled plugins are created; disabled ones leave the schedule and
//! their standing signals leave the combiner; changed params recreate a plugin (its state
//! restarts, its last signals stand until it runs again); changed budgets and schedules apply
//! in place. Everything is built first and swapped only when all of it succeeded, so a reload
//! that fails changes nothing. Execution settings are read at start-up (reported as such).

use super::{Engine, EngineError};
use crate::risk::RiskEngine;
use optifire_core::config::{Config, Features, PluginFlags};
use optifire_core::plugin::{Category, Plugin, Registry};
use optifire_core::schedule::{Schedule, Scheduler};
use serde::Serialize;

/// What a reload changed in the engine, for the record and the operator.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Reconfigured {
    /// Plugins created because they are newly enabled.
    pub enabled: Vec<String>,
    /// Plugins taken off the schedule.
    pub disabled: Vec<String>,
    /// Plugins recreated because their params changed (their state starts afresh).
    pub recreated: Vec<String>,
    /// Plugins whose schedule or budget changed in place.
    pub retimed: Vec<String>,
    /// The risk section or the benchmark changed.
    pub risk_changed: bool,
    /// Changes the running engine does not take (they apply at the next start).
    pub at_restart: Vec<String>,
}

impl Reconfigured {
    /// One line for the alert the driver records.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.risk_changed {
            parts.push("risk limits updated".to_string());
        }
        for (what, ids) in [
            ("enabled", &self.enabled),
            ("disabled", &self.disabled),
            ("recreated", &self.recreated),
            ("rescheduled", &self.retimed),
        ] {
            if !ids.is_empty() {
                parts.push(format!("{what} {}", ids.join(", ")));
            }
        }
        if !self.at_restart.is_empty() {
            parts.push(format!("at the next start: {}", self.at_restart.join(", ")));
        }
        if parts.is_empty() {
            "nothing the engine uses changed".to_string()
        } else {
            parts.join("; ")
        }
    }
}

impl Engine {
    /// The bus the engine publishes on (drivers publish their own records there too).
    pub fn bus(&self) -> &optifire_core::bus::Bus {
        &self.bus
    }

    /// Takes `config` and `features` (validated by the caller) in place of `prev_config` and
    /// `prev_features`, the ones the engine runs on. `registry` creates newly enabled or
    /// re-parameterised plugins; `record_misfires` is the engine's setting (see
    /// `EngineOptions`). Call between cycles only. On error nothing changed.
    pub fn reconfigure(
        &mut self,
        prev_config: &Config,
        prev_features: &Features,
        config: &Config,
        features: &Features,
        registry: &Registry,
        record_misfires: bool,
    ) -> Result<Reconfigured, EngineError> {
        let mut out = Reconfigured::default();
        let was = |id: &str| -> Option<&PluginFlags> {
            prev_features.plugins.get(id).filter(|f| f.enabled)
        };
        // New plugin instances and the new schedule, built aside.
        let mut created: Vec<(Box<dyn Plugin>, PluginFlags)> = Vec::new();
        let mut scheduler = Scheduler::default();
        scheduler.set_record_misfires(record_misfires);
        let mut risk_plugins = Vec::new();
        let mut shapers = Vec::new();
        for (id, flags) in features.plugins.iter().filter(|(_, f)| f.enabled) {
            let err = |reason: String| EngineError::Plugin {
                id: id.clone(),
                reason,
            };
            let schedule: Schedule = flags
                .schedule
                .parse()
                .map_err(|e: optifire_core::schedule::ScheduleError| err(e.to_string()))?;
            let old = was(id);
            let depends_on = match old {
                Some(o) if o.params == flags.params => {
                    if o.schedule != flags.schedule || o.budget != flags.budget {
                        out.retimed.push(id.clone());
                    }
                    if self.risk_plugins.contains(id) {
                        risk_plugins.push(id.clone());
                    }
                    if self.shapers.contains(id) {
                        shapers.push(id.clone());
                    }
                    self.scheduler
                        .depends_on(id)
                        .map(<[String]>::to_vec)
                        .unwrap_or_default()
                }
                _ => {
                    let mut plugin = registry.create(id).map_err(|e| err(e.to_string()))?;
                    plugin
                        .configure(&flags.params)
                        .map_err(|e| err(e.to_string()))?;
                    if plugin.describe().category == Category::Risk {
                        risk_plugins.push(id.clone());
                    }
                    if plugin.shaper().is_some() {
                        shapers.push(id.clone());
                    }
                    let deps = plugin.plan().depends_on;
                    if old.is_some() {
                        out.recreated.push(id.clone());
                    } else {
                        out.enabled.push(id.clone());
                    }
                    created.push((plugin, flags.clone()));
                    deps
                }
            };
            scheduler
                .add(id, schedule, depends_on)
                .map_err(|e| EngineError::Schedule(e.to_string()))?;
        }
        scheduler
            .validate()
            .map_err(|e| EngineError::Schedule(e.to_string()))?;
        out.disabled = prev_features
            .enabled_ids()
            .filter(|id| !features.is_enabled(id))
            .map(str::to_string)
            .collect();
        out.risk_changed = prev_config.risk != config.risk
            || prev_config.system.benchmark != config.system.benchmark;
        if prev_config.execution != config.execution {
            out.at_restart.push("execution".into());
        }
        if prev_config.system.initial_cash != config.system.initial_cash {
            out.at_restart.push("system.initial_cash".into());
        }

        // Everything built: swap it in.
        for (plugin, flags) in created {
            self.runner.add(plugin, flags.budget);
        }
        for id in &out.retimed {
            if let Some(f) = features.plugins.get(id) {
                self.runner.set_budget(id, f.budget);
            }
        }
        for id in &out.disabled {
            self.runner
                .disable(id, "disabled in the configuration (hot reload)");
            // Its standing signals go with it: a disabled plugin must not keep moving targets.
            self.combiner.update([id.as_str()], &[]);
        }
        for id in &out.enabled {
            // A plugin enabled again after a disable: the new instance starts healthy.
            self.runner.enable(id);
        }
        self.scheduler = scheduler;
        self.risk_plugins = risk_plugins;
        self.shapers = shapers;
        if out.risk_changed {
            let guard = self.risk.drawdown_guard().clone();
            let mut risk = RiskEngine::new(config.risk.clone())
                .with_benchmark(config.system.benchmark.clone());
            risk.restore_drawdown_guard(guard);
            if let Some(closed) = self.risk.streak_reset_at() {
                risk.reset_losing_streak(closed);
            }
            self.risk = risk;
            self.benchmark = config.system.benchmark.clone();
            self.var_lookback = config.risk.var_lookback_days as usize;
        }
        Ok(out)
    }
}
