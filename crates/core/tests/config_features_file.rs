//! The committed `configs/features.yaml` against the plugin catalogue.
//!
//! The file is generated once by `regenerate_features_yaml` (run with `--ignored`) and then
//! edited by hand; these tests hold it to the catalogue: every id listed, only the defaults on.

use optifire_core::config::{parse, Features, KnownPlugins};
use optifire_core::plugin::catalogue::{self, Category};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn repo_configs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs")
}

fn committed() -> Features {
    let text = std::fs::read_to_string(repo_configs().join("features.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

#[test]
fn committed_features_list_exactly_the_catalogue_ids() {
    let listed: BTreeSet<String> = committed().plugins.keys().cloned().collect();
    let expected: BTreeSet<String> = catalogue::all().map(|e| e.id.to_string()).collect();
    assert_eq!(expected.len(), 107);
    let missing: Vec<_> = expected.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&expected).collect();
    assert!(
        missing.is_empty(),
        "missing from features.yaml: {missing:?}"
    );
    assert!(extra.is_empty(), "not in the catalogue: {extra:?}");
}

#[test]
fn only_the_default_plugins_are_enabled() {
    let f = committed();
    let enabled: BTreeSet<&str> = f.enabled_ids().collect();
    let expected: BTreeSet<&str> = catalogue::default_enabled_now().collect();
    assert_eq!(enabled, expected);
}

#[test]
fn committed_files_validate_when_the_defaults_are_implemented() {
    let dir = repo_configs();
    let c = std::fs::read_to_string(dir.join("config.yaml")).unwrap();
    let f = std::fs::read_to_string(dir.join("features.yaml")).unwrap();
    let catalog = KnownPlugins::new(catalogue::default_enabled_now());
    let set = parse(
        &c,
        "configs/config.yaml",
        &f,
        "configs/features.yaml",
        &catalog,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // The defaults DESIGN.md promises a new user.
    assert_eq!(set.config.system.mode, optifire_core::config::Mode::Paper);
    assert_eq!(
        set.config.execution.broker,
        optifire_core::config::Broker::Sim
    );
    assert_eq!(set.config.data.feed, optifire_core::config::Feed::Replay);
    assert_eq!(set.config.data.sample_dir, PathBuf::from("data/sample"));
    assert_eq!(set.config.risk.max_exposure_total, 0.30);
    assert_eq!(set.config.risk.max_exposure_symbol, 0.10);
    assert_eq!(set.config.risk.max_drawdown, 0.08);
    assert_eq!(set.config.risk.cooldown_hours, 24.0);
    assert_eq!(set.config.risk.max_var_pct, 0.05);
}

#[test]
fn every_key_of_the_committed_config_has_a_comment_above_it() {
    let text = std::fs::read_to_string(repo_configs().join("config.yaml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let is_key = !t.starts_with('#') && !t.starts_with('-') && t.contains(':');
        let top_level = !l.starts_with(' ');
        if is_key && !top_level {
            assert!(
                i > 0 && lines[i - 1].trim_start().starts_with('#'),
                "config.yaml line {}: {t} has no comment",
                i + 1
            );
        }
    }
}

/// Default schedule and budget by category: daily-bar work at the close, execution and health
/// every minute, dashboards every five, external-data pulls outside trading hours.
fn defaults(c: Category) -> (&'static str, u32, u32) {
    match c {
        Category::Alpha | Category::Feature | Category::Risk => ("@close", 250, 64),
        Category::Ml => ("@close", 2000, 256),
        Category::Execution => ("interval_1m", 50, 32),
        Category::Ux => ("interval_5m", 100, 32),
        Category::Diagnostics => ("@close", 500, 64),
        Category::Infrastructure => ("interval_1m", 50, 16),
        Category::Data => ("@idle", 2000, 128),
    }
}

#[test]
#[ignore = "writes configs/features.yaml; run once with --ignored to regenerate"]
fn regenerate_features_yaml() {
    let mut s = String::from(
        "# OptiFIRE plugin feature flags: every plugin of the catalogue, one entry each.\n\
         # Keys per plugin:\n\
         #   enabled   only implemented plugins may be enabled (loading fails otherwise).\n\
         #   schedule  @open (09:30 ET), @close (16:00 ET), @idle (outside trading hours),\n\
         #             interval_1m|interval_5m|interval_15m|interval_1h, or 5-field cron in\n\
         #             America/New_York (minute hour day-of-month month day-of-week).\n\
         #   budget    per-run limits: cpu_ms (CPU milliseconds) and mem_mb (megabytes); a run\n\
         #             over budget is warned about, system.plugin_breach_limit breaches in a\n\
         #             row disable the plugin.\n\
         #   params    plugin parameters (optional; unknown keys are rejected by the plugin).\n\
         # Edits are hot-reloaded; a bad edit is rejected and the running flags stay.\n\
         # Defaults: DESIGN.md's eight default plugins are enabled as their implementations\n\
         # land; the ones still pending stay disabled because they cannot run yet.\n\
         plugins:\n",
    );
    for e in catalogue::all() {
        let (schedule, cpu, mem) = defaults(e.category);
        let enabled = catalogue::default_enabled_now().any(|d| d == e.id);
        let ext = if e.extended { ", extended set" } else { "" };
        s.push_str(&format!(
            "  # {} ({}{ext}): {}\n  {}:\n    enabled: {enabled}\n    schedule: \"{schedule}\"\n    budget:\n      cpu_ms: {cpu}\n      mem_mb: {mem}\n    params: {{}}\n",
            e.id,
            e.category.as_str(),
            e.summary,
            e.id
        ));
    }
    std::fs::write(repo_configs().join("features.yaml"), s).unwrap();
}
