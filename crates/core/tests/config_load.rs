//! Loading errors point at file, line, column and dotted key; all problems are reported.
//!
//! Expected lines were read off the fixture files by hand (see fixtures/config/README.md).

use optifire_core::config::{load_dir, parse, ConfigSet, KnownPlugins};
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name);
    std::fs::read_to_string(p).unwrap()
}

fn good_config() -> String {
    ConfigSet::embedded_texts().0.to_string()
}

fn good_features() -> String {
    fixture("features_minimal.yaml")
}

fn catalog() -> KnownPlugins {
    KnownPlugins::new(["fe_kalman"])
}

#[test]
fn unknown_key_reports_file_line_column_and_key_path() {
    let err = parse(
        &fixture("unknown_key.yaml"),
        "configs/config.yaml",
        &good_features(),
        "configs/features.yaml",
        &catalog(),
    )
    .unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    let e = &err.0[0];
    assert_eq!(e.file, "configs/config.yaml");
    assert_eq!(e.line, Some(42));
    assert_eq!(e.column, Some(3));
    assert_eq!(e.key, "risk.max_exposur_total");
    let shown = err.to_string();
    assert!(
        shown.starts_with(
            "configs/config.yaml:42:3: risk.max_exposur_total: unknown field `max_exposur_total`"
        ),
        "{shown}"
    );
}

#[test]
fn wrong_type_reports_file_line_column_and_key_path() {
    let err = parse(
        &fixture("wrong_type.yaml"),
        "configs/config.yaml",
        &good_features(),
        "configs/features.yaml",
        &catalog(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "configs/config.yaml:46:17: risk.max_drawdown: invalid type: string \"abc\", expected f64"
    );
}

#[test]
fn semantic_errors_are_all_reported_with_their_lines() {
    let err = parse(
        &fixture("semantic_errors.yaml"),
        "config.yaml",
        &good_features(),
        "features.yaml",
        &catalog(),
    )
    .unwrap_err();
    let got: Vec<(Option<usize>, &str)> = err.iter().map(|e| (e.line, e.key.as_str())).collect();
    for expected in [
        (Some(10), "system.live_confirmed"),
        (Some(79), "execution.broker"),
        (Some(145), "data.feed"),
        (Some(25), "system.symbols[2]"),
        (Some(48), "risk.soft_drawdown"),
        (Some(56), "risk.var_confidence"),
        (Some(111), "api.port"),
        (Some(165), "ml.retrain_schedule"),
    ] {
        assert!(got.contains(&expected), "missing {expected:?} in\n{err}");
    }
    assert_eq!(err.len(), 8, "{err}");
    assert!(err.iter().all(|e| e.file == "config.yaml"));
    // One line per problem.
    assert_eq!(err.to_string().lines().count(), 8);
}

#[test]
fn enabled_unimplemented_and_unknown_plugins_are_errors() {
    let err = parse(
        &good_config(),
        "config.yaml",
        &fixture("features_bad.yaml"),
        "features.yaml",
        &catalog(),
    )
    .unwrap_err();
    let lines: Vec<String> = err.iter().map(|e| e.to_string()).collect();
    assert!(
        lines.contains(
            &"features.yaml:13:5: plugins.fe_garch.enabled: plugin fe_garch is not implemented and cannot be enabled"
                .to_string()
        ),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("features.yaml:19:3: plugins.fe_kalmann: unknown plugin id")),
        "{err}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(
            "features.yaml:26:5: plugins.fe_entropy.schedule: \"every day\" is not a schedule"
        )),
        "{err}"
    );
    assert_eq!(err.len(), 3, "{err}");
}

#[test]
fn the_same_plugin_enabled_is_fine_once_implemented() {
    let features = fixture("features_minimal.yaml").replace("fe_kalman", "fe_garch");
    assert!(parse(&good_config(), "c", &features, "f", &catalog()).is_err());
    let set = parse(
        &good_config(),
        "c",
        &features,
        "f",
        &KnownPlugins::new(["fe_garch"]),
    )
    .unwrap();
    assert!(set.features.is_enabled("fe_garch"));
}

#[test]
fn errors_in_both_files_are_reported_together() {
    let err = parse(
        &fixture("wrong_type.yaml"),
        "config.yaml",
        &fixture("features_bad.yaml"),
        "features.yaml",
        &catalog(),
    )
    .unwrap_err();
    assert!(err.iter().any(|e| e.file == "config.yaml"));
    assert!(err.iter().any(|e| e.file == "features.yaml"));
}

#[test]
fn load_dir_names_files_by_path_and_reports_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_dir(dir.path(), &catalog()).unwrap_err();
    assert_eq!(err.len(), 2, "{err}");
    assert!(err.0[0].file.ends_with("config.yaml"));
    assert!(err.0[0].message.starts_with("cannot read"));

    std::fs::write(dir.path().join("config.yaml"), fixture("unknown_key.yaml")).unwrap();
    std::fs::write(dir.path().join("features.yaml"), good_features()).unwrap();
    let err = load_dir(dir.path(), &catalog()).unwrap_err();
    let expected_file = dir.path().join("config.yaml").display().to_string();
    assert!(
        err.to_string()
            .starts_with(&format!("{expected_file}:42:3: risk.max_exposur_total")),
        "{err}"
    );

    std::fs::write(dir.path().join("config.yaml"), good_config()).unwrap();
    let set = load_dir(dir.path(), &catalog()).unwrap();
    assert_eq!(set.config_text, good_config());
}

#[test]
fn missing_required_key_names_the_section() {
    let text = good_config().replace("  benchmark: SPY\n", "");
    let err = parse(&text, "config.yaml", &good_features(), "f", &catalog()).unwrap_err();
    let e = &err.0[0];
    assert_eq!(e.key, "system");
    assert!(e.message.contains("missing field `benchmark`"), "{err}");
    assert!(e.line.is_some());
}

#[test]
fn yaml_syntax_error_points_at_the_offending_character() {
    // A tab used for indentation on the `port` line of the committed config.
    let text = good_config().replace("  port: 8080", "\tport: 8080");
    let line_of_port = good_config()
        .lines()
        .position(|l| l == "  port: 8080")
        .unwrap()
        + 1;
    let err = parse(&text, "config.yaml", &good_features(), "f", &catalog()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "config.yaml:{line_of_port}:1: api: found character that cannot start any token, \
             while scanning for the next token"
        )
    );
}

/// Two implemented plugins, `alpha_cross_asset_corr` reading `fe_kalman`'s outputs (as the
/// real plugins do; the plugins crate cannot be used from core's tests).
struct DependentCatalog;

impl optifire_core::config::PluginCatalog for DependentCatalog {
    fn status(&self, id: &str) -> optifire_core::config::PluginAvailability {
        KnownPlugins::new(["fe_kalman", "alpha_cross_asset_corr"]).status(id)
    }
    fn check_plugin(&self, id: &str, _params: &serde_json::Value) -> Result<Vec<String>, String> {
        Ok(match id {
            "alpha_cross_asset_corr" => vec!["fe_kalman".to_string()],
            _ => Vec::new(),
        })
    }
}

fn two_plugins(alpha: bool, kalman: Option<bool>) -> String {
    let mut s = format!(
        "plugins:\n  alpha_cross_asset_corr:\n    enabled: {alpha}\n    schedule: \"@close\"\n    budget: {{cpu_ms: 50, mem_mb: 16}}\n"
    );
    if let Some(k) = kalman {
        s.push_str(&format!(
            "  fe_kalman:\n    enabled: {k}\n    schedule: \"@close\"\n    budget: {{cpu_ms: 50, mem_mb: 16}}\n"
        ));
    }
    s
}

#[test]
fn disabling_a_plugin_another_enabled_plugin_reads_is_refused_at_its_line() {
    let check = |features: &str| {
        parse(
            &good_config(),
            "config.yaml",
            features,
            "features.yaml",
            &DependentCatalog,
        )
        .map(|_| ())
        .map_err(|e| e.iter().map(|e| e.to_string()).collect::<Vec<_>>())
    };
    // Lines read off `two_plugins`: fe_kalman's `enabled:` is line 7, column 5; the
    // alpha_cross_asset_corr key is line 2, column 3.
    assert_eq!(
        check(&two_plugins(true, Some(false))).unwrap_err(),
        vec![
            "features.yaml:7:5: plugins.fe_kalman.enabled: alpha_cross_asset_corr is enabled and \
             reads fe_kalman's outputs in the same cycle, so fe_kalman must be enabled too \
             (enable fe_kalman or disable alpha_cross_asset_corr)"
                .to_string()
        ]
    );
    let missing = check(&two_plugins(true, None)).unwrap_err();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].starts_with("features.yaml:2:3: plugins.alpha_cross_asset_corr: "),
        "{missing:?}"
    );
    assert!(check(&two_plugins(true, Some(true))).is_ok());
    assert!(check(&two_plugins(false, Some(false))).is_ok());
    assert!(check(&two_plugins(false, None)).is_ok());
}
