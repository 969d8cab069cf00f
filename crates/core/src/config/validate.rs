//! Semantic checks that types alone cannot express: ranges, orderings, cross-field rules.
//!
//! Each problem names the dotted key it is about, so the loader can point at the line; all
//! problems are collected, not just the first.

use super::features::{is_plausible_schedule, Features, PluginAvailability, PluginCatalog};
use super::model::{Broker, CommissionKind, Config, Feed, Mode};
use rust_decimal::Decimal;

/// One semantic problem: the key it is about and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub key: String,
    pub message: String,
}

#[derive(Default)]
struct Checks(Vec<Problem>);

impl Checks {
    fn fail(&mut self, key: &str, message: impl Into<String>) {
        self.0.push(Problem {
            key: key.to_string(),
            message: message.into(),
        });
    }
    /// `lo < v <= hi` (or `lo <= v` when `lo_incl`), and finite.
    fn range(&mut self, key: &str, v: f64, lo: f64, lo_incl: bool, hi: f64, hi_incl: bool) {
        let lo_ok = if lo_incl { v >= lo } else { v > lo };
        let hi_ok = if hi_incl { v <= hi } else { v < hi };
        if !(v.is_finite() && lo_ok && hi_ok) {
            let l = if lo_incl { '[' } else { '(' };
            let h = if hi_incl { ']' } else { ')' };
            self.fail(key, format!("{v} is outside {l}{lo}, {hi}{h}"));
        }
    }
    fn positive(&mut self, key: &str, v: f64) {
        if !(v.is_finite() && v > 0.0) {
            self.fail(key, format!("must be > 0, got {v}"));
        }
    }
    fn non_negative(&mut self, key: &str, v: f64) {
        if !(v.is_finite() && v >= 0.0) {
            self.fail(key, format!("must be >= 0, got {v}"));
        }
    }
    fn url(&mut self, key: &str, v: &str, schemes: &[&str]) {
        let ok = schemes.iter().any(|s| {
            v.strip_prefix(s)
                .and_then(|r| r.strip_prefix("://"))
                .is_some_and(|host| !host.is_empty() && !host.contains(char::is_whitespace))
        });
        if !ok {
            self.fail(key, format!("{v:?} is not a {} URL", schemes.join("/")));
        }
    }
}

pub(crate) fn validate_config(c: &Config) -> Vec<Problem> {
    let mut k = Checks::default();
    let s = &c.system;
    if s.mode == Mode::Live {
        if !s.live_confirmed {
            k.fail(
                "system.live_confirmed",
                "must be true when system.mode is live (a second switch against accidental live trading)",
            );
        }
        if c.execution.broker != Broker::Alpaca {
            k.fail("execution.broker", "live mode needs broker alpaca");
        }
        if c.data.feed != Feed::Alpaca {
            k.fail("data.feed", "live mode needs feed alpaca");
        }
    }
    if s.timezone.parse::<chrono_tz::Tz>().is_err() {
        k.fail(
            "system.timezone",
            format!("{:?} is not an IANA time zone", s.timezone),
        );
    }
    for (key, path) in [
        ("system.data_dir", &s.data_dir),
        ("system.db_path", &s.db_path),
    ] {
        if path.as_os_str().is_empty() {
            k.fail(key, "must not be empty");
        }
    }
    if s.initial_cash.0 <= Decimal::ZERO {
        k.fail(
            "system.initial_cash",
            format!("must be > 0, got {}", s.initial_cash.0),
        );
    }
    if s.symbols.is_empty() {
        k.fail("system.symbols", "the universe must not be empty");
    }
    for (i, sym) in s.symbols.iter().enumerate() {
        if !valid_symbol(sym.as_str()) {
            k.fail(
                &format!("system.symbols[{i}]"),
                format!("{:?} is not a ticker (A-Z, 0-9, '.', '-')", sym.as_str()),
            );
        }
    }
    for (i, sym) in s.symbols.iter().enumerate() {
        if s.symbols[..i].contains(sym) {
            k.fail(
                &format!("system.symbols[{i}]"),
                format!("{sym} is listed twice"),
            );
        }
    }
    if !valid_symbol(s.benchmark.as_str()) {
        k.fail(
            "system.benchmark",
            format!("{:?} is not a ticker", s.benchmark.as_str()),
        );
    }
    if s.bus_capacity == 0 {
        k.fail("system.bus_capacity", "must be at least 1");
    }
    if s.config_history_keep == 0 {
        k.fail(
            "system.config_history_keep",
            "must keep at least 1 version (the running one)",
        );
    }
    if s.plugin_breach_limit == 0 {
        k.fail("system.plugin_breach_limit", "must be at least 1");
    }

    let r = &c.risk;
    k.range(
        "risk.max_exposure_total",
        r.max_exposure_total,
        0.0,
        false,
        1.0,
        true,
    );
    k.range(
        "risk.max_exposure_symbol",
        r.max_exposure_symbol,
        0.0,
        false,
        1.0,
        true,
    );
    if r.max_exposure_symbol > r.max_exposure_total {
        k.fail(
            "risk.max_exposure_symbol",
            format!(
                "{} exceeds risk.max_exposure_total {}",
                r.max_exposure_symbol, r.max_exposure_total
            ),
        );
    }
    k.range("risk.max_drawdown", r.max_drawdown, 0.0, false, 1.0, false);
    k.range(
        "risk.soft_drawdown",
        r.soft_drawdown,
        0.0,
        false,
        1.0,
        false,
    );
    if r.soft_drawdown >= r.max_drawdown {
        k.fail(
            "risk.soft_drawdown",
            format!(
                "{} must be below risk.max_drawdown {}",
                r.soft_drawdown, r.max_drawdown
            ),
        );
    }
    k.non_negative("risk.cooldown_hours", r.cooldown_hours);
    if r.max_losing_streak == 0 {
        k.fail("risk.max_losing_streak", "must be at least 1");
    }
    k.range("risk.max_var_pct", r.max_var_pct, 0.0, false, 1.0, true);
    k.range(
        "risk.var_confidence",
        r.var_confidence,
        0.0,
        false,
        1.0,
        false,
    );
    if r.var_lookback_days < 2 {
        k.fail("risk.var_lookback_days", "needs at least 2 days of returns");
    }
    k.positive("risk.kelly_min", r.kelly_min);
    k.positive("risk.kelly_max", r.kelly_max);
    if r.kelly_min > r.kelly_max {
        k.fail(
            "risk.kelly_min",
            format!("{} exceeds risk.kelly_max {}", r.kelly_min, r.kelly_max),
        );
    }
    k.range(
        "risk.kelly_fraction",
        r.kelly_fraction,
        0.0,
        false,
        1.0,
        true,
    );
    k.non_negative("risk.max_slippage_bps", r.max_slippage_bps);
    k.range(
        "risk.beta_hedge_threshold",
        r.beta_hedge_threshold,
        0.0,
        true,
        10.0,
        true,
    );
    k.range("risk.target_vol", r.target_vol, 0.0, false, 2.0, true);
    if r.stale_price_secs == 0 {
        k.fail("risk.stale_price_secs", "must be at least 1");
    }

    let e = &c.execution;
    if e.batch_window_ms > 60_000 {
        k.fail(
            "execution.batch_window_ms",
            format!("{} ms is over the 60 s maximum", e.batch_window_ms),
        );
    }
    match parse_hhmm(&e.moc_cutoff) {
        Some((h, m)) if (9 * 60 + 30..16 * 60).contains(&(h * 60 + m)) => {}
        Some(_) => k.fail(
            "execution.moc_cutoff",
            format!(
                "{} is outside regular trading hours 09:30-16:00",
                e.moc_cutoff
            ),
        ),
        None => k.fail(
            "execution.moc_cutoff",
            format!("{:?} is not HH:MM", e.moc_cutoff),
        ),
    }
    k.non_negative("execution.limit_offset_bps", e.limit_offset_bps);
    k.non_negative("execution.slippage.spread_bps", e.slippage.spread_bps);
    k.non_negative("execution.slippage.impact_bps", e.slippage.impact_bps);
    let cm = &e.commission;
    k.non_negative("execution.commission.per_share", cm.per_share);
    k.non_negative("execution.commission.min_per_order", cm.min_per_order);
    k.range(
        "execution.commission.max_pct",
        cm.max_pct,
        0.0,
        true,
        0.1,
        true,
    );
    k.range(
        "execution.commission.rate_bps",
        cm.rate_bps,
        0.0,
        true,
        1000.0,
        true,
    );
    match cm.kind {
        CommissionKind::PerShare if cm.per_share <= 0.0 => k.fail(
            "execution.commission.per_share",
            "kind per_share needs per_share > 0",
        ),
        CommissionKind::Percent if cm.rate_bps <= 0.0 => k.fail(
            "execution.commission.rate_bps",
            "kind percent needs rate_bps > 0",
        ),
        _ => {}
    }

    let a = &c.api;
    if a.host.trim().is_empty() {
        k.fail("api.host", "must not be empty");
    }
    if a.port == 0 {
        k.fail("api.port", "must be 1-65535");
    }
    if a.jwt_expiry_hours == 0 || a.jwt_expiry_hours > 24 * 30 {
        k.fail(
            "api.jwt_expiry_hours",
            format!("{} is outside 1..=720", a.jwt_expiry_hours),
        );
    }
    for (i, o) in a.cors_origins.iter().enumerate() {
        k.url(&format!("api.cors_origins[{i}]"), o, &["http", "https"]);
    }
    if a.login_rate_limit.max_attempts == 0 {
        k.fail("api.login_rate_limit.max_attempts", "must be at least 1");
    }
    if a.login_rate_limit.window_secs == 0 {
        k.fail("api.login_rate_limit.window_secs", "must be at least 1");
    }

    let ai = &c.ai;
    if ai.enabled {
        if ai.provider.trim().is_empty() {
            k.fail("ai.provider", "must be set when ai is enabled");
        }
        if ai.model.trim().is_empty() {
            k.fail("ai.model", "must be set when ai is enabled");
        }
    }
    if !is_env_name(&ai.api_key_env) {
        k.fail(
            "ai.api_key_env",
            format!(
                "{:?} is not an environment variable name (the key itself is never put in a file)",
                ai.api_key_env
            ),
        );
    }
    k.url("ai.base_url", &ai.base_url, &["https", "http"]);
    if ai.timeout_secs == 0 {
        k.fail("ai.timeout_secs", "must be at least 1");
    }

    let d = &c.data;
    k.non_negative("data.replay_speed", d.replay_speed);
    k.url("data.alpaca_data_url", &d.alpaca_data_url, &["https"]);
    k.url("data.alpaca_stream_url", &d.alpaca_stream_url, &["wss"]);
    k.url("data.alpaca_paper_url", &d.alpaca_paper_url, &["https"]);
    k.url("data.alpaca_live_url", &d.alpaca_live_url, &["https"]);

    let m = &c.ml;
    if !is_plausible_schedule(&m.retrain_schedule) {
        k.fail(
            "ml.retrain_schedule",
            format!(
                "{:?} is not a schedule ({SCHEDULE_HELP})",
                m.retrain_schedule
            ),
        );
    }
    if m.retrain_lookback_days == 0 {
        k.fail("ml.retrain_lookback_days", "must be at least 1");
    }
    if m.min_train_samples == 0 {
        k.fail("ml.min_train_samples", "must be at least 1");
    }
    k.range(
        "ml.validation_fraction",
        m.validation_fraction,
        0.0,
        false,
        1.0,
        false,
    );
    k.0
}

const SCHEDULE_HELP: &str =
    "@open, @close, @idle, interval_1m, interval_5m, interval_15m, interval_1h or 5 cron fields";

pub(crate) fn validate_features(f: &Features, catalog: &dyn PluginCatalog) -> Vec<Problem> {
    let mut k = Checks::default();
    let mut needs: Vec<(&str, Vec<String>)> = Vec::new();
    for (id, flags) in &f.plugins {
        match catalog.status(id) {
            PluginAvailability::Unknown => {
                k.fail(
                    &format!("plugins.{id}"),
                    format!("unknown plugin id {id:?} (not in the catalogue)"),
                );
                continue;
            }
            PluginAvailability::NotImplemented if flags.enabled => k.fail(
                &format!("plugins.{id}.enabled"),
                format!("plugin {id} is not implemented and cannot be enabled"),
            ),
            PluginAvailability::Implemented => match catalog.check_plugin(id, &flags.params) {
                Ok(deps) if flags.enabled => needs.push((id, deps)),
                Ok(_) => {}
                Err(why) => k.fail(&format!("plugins.{id}.params"), why),
            },
            _ => {}
        }
        if !is_plausible_schedule(&flags.schedule) {
            k.fail(
                &format!("plugins.{id}.schedule"),
                format!("{:?} is not a schedule ({SCHEDULE_HELP})", flags.schedule),
            );
        }
        k.positive(&format!("plugins.{id}.budget.cpu_ms"), flags.budget.cpu_ms);
        k.positive(&format!("plugins.{id}.budget.mem_mb"), flags.budget.mem_mb);
        if !(flags.params.is_null() || flags.params.is_object()) {
            k.fail(
                &format!("plugins.{id}.params"),
                "must be a mapping of parameter names to values",
            );
        }
    }
    // An enabled plugin whose dependency is off would be refused by the engine at its next
    // cycle; refusing here names the line at fault and keeps the running version.
    for (id, deps) in needs {
        for dep in deps.iter().filter(|d| !f.is_enabled(d)) {
            let key = if f.plugins.contains_key(dep) {
                format!("plugins.{dep}.enabled")
            } else {
                format!("plugins.{id}")
            };
            k.fail(
                &key,
                format!(
                    "{id} is enabled and reads {dep}'s outputs in the same cycle, so {dep} must \
                     be enabled too (enable {dep} or disable {id})"
                ),
            );
        }
    }
    k.0
}

fn valid_symbol(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 12
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_hhmm(s: &str) -> Option<(u32, u32)> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hhmm() {
        assert_eq!(parse_hhmm("15:50"), Some((15, 50)));
        assert_eq!(parse_hhmm("24:00"), None);
        assert_eq!(parse_hhmm("9:30"), None);
        assert_eq!(parse_hhmm("15:5x"), None);
    }

    #[test]
    fn symbols_and_env_names() {
        assert!(valid_symbol("BRK.B"));
        assert!(!valid_symbol("spy"));
        assert!(!valid_symbol(""));
        assert!(is_env_name("OPENAI_API_KEY"));
        assert!(!is_env_name("sk-abc"));
    }
}
