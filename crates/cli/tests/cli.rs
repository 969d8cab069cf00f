//! The `optifire` binary end to end: exit codes and output lines of each foundation command.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn optifire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_optifire"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn data_validate_reports_the_real_defects_of_the_sample_and_exits_1() {
    let o = optifire(&["data", "validate", "data/sample"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 11, "{out}");
    assert!(lines.contains(
        &"data/sample/SPY.csv 2026-03-26 OHLC inconsistent: open 658.669983 above high 652.450012"
    ));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("data/sample/VIX.csv 2026-03-25 one-day jump: close 154.960007")));
    // Nothing is reported before the final two days: the clean rows stay clean.
    assert!(
        lines
            .iter()
            .all(|l| l.contains(" 2026-03-25 ") || l.contains(" 2026-03-26 ")),
        "{out}"
    );
}

#[test]
fn data_validate_exit_codes_clean_and_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("CLEAN.csv");
    std::fs::write(&clean, "Date,Open,High,Low,Close,Volume\n2024-07-01,10,11,9,10.5,100\n2024-07-02,10.5,11,10,10.8,120\n").unwrap();
    let o = optifire(&["data", "validate", clean.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).is_empty());
    let o = optifire(&[
        "data",
        "validate",
        dir.path().join("missing.csv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let no_close = dir.path().join("NOCLOSE.csv");
    std::fs::write(
        &no_close,
        "Date,Open,High,Low,Volume\n2024-07-01,10,11,9,100\n",
    )
    .unwrap();
    let o = optifire(&["data", "validate", no_close.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("required column `Close` missing from header `Date,Open,High,Low,Volume`"),
        "{err}"
    );
}

#[test]
fn config_check_accepts_the_committed_config_and_rejects_bad_edits_with_file_line_and_key() {
    let o = optifire(&["config", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).starts_with("ok: configs valid"));

    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(repo().join("configs/config.yaml")).unwrap();
    let features = std::fs::read_to_string(repo().join("configs/features.yaml")).unwrap();
    let line_of =
        |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let cases = [
        (
            "max_exposure_symbol: 0.10",
            "max_exposure_symbl: 0.10",
            "risk.max_exposure_symbl: unknown field",
        ),
        (
            "max_drawdown: 0.08",
            "max_drawdown: eight",
            "risk.max_drawdown: invalid type: string \"eight\", expected f64",
        ),
    ];
    for (from, to, expect) in cases {
        let bad = config.replacen(from, to, 1);
        std::fs::write(dir.path().join("config.yaml"), &bad).unwrap();
        std::fs::write(dir.path().join("features.yaml"), &features).unwrap();
        let o = optifire(&["config", "check", dir.path().to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        let want = format!("config.yaml:{}:", line_of(&bad, to));
        let out = stdout(&o);
        assert!(
            out.lines().any(|l| l.contains(&want) && l.contains(expect)),
            "{want} {expect}\n{out}"
        );
    }
    std::fs::write(dir.path().join("config.yaml"), &config).unwrap();
    let bad = features.replacen(
        "  fe_garch:\n    enabled: false",
        "  fe_garch:\n    enabled: true",
        1,
    );
    std::fs::write(dir.path().join("features.yaml"), &bad).unwrap();
    let o = optifire(&["config", "check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let want = format!("features.yaml:{}:5: plugins.fe_garch.enabled: plugin fe_garch is not implemented and cannot be enabled", line_of(&bad, "  fe_garch:") + 1);
    assert!(stdout(&o).contains(&want), "{}", stdout(&o));
}

#[test]
fn plugins_list_shows_every_catalogue_plugin_and_describe_explains_one() {
    let o = optifire(&["plugins", "list"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1 + 107);
    let vix = out
        .lines()
        .find(|l| l.starts_with("alpha_vix_regime "))
        .unwrap();
    assert_eq!(
        vix.split_whitespace().collect::<Vec<_>>(),
        ["alpha_vix_regime", "alpha", "yes", "yes", "@close"]
    );
    let garch = out.lines().find(|l| l.starts_with("fe_garch ")).unwrap();
    assert!(garch.contains("not implemented"));
    let o = optifire(&["plugins", "describe", "infra_psutil_health"]);
    assert!(stdout(&o).contains("status:      implemented"));
    let o = optifire(&["plugins", "describe", "fe_garch"]);
    assert!(stdout(&o).contains("not implemented (cannot be enabled)"));
    let o = optifire(&["plugins", "describe", "nope"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn calendar_prints_the_published_2026_holidays() {
    let o = optifire(&["calendar", "--year", "2026"]);
    let out = stdout(&o);
    assert!(out.starts_with("NYSE 2026: 251 trading days"), "{out}");
    assert!(out.contains("2026-04-03 Fri  Good Friday"));
    assert!(out.contains("2026-07-03 Fri  Independence Day"));
    assert!(out.contains("2026-11-27 Fri  close 13:00 ET"));
}
