//! The validator on the real shared data: it must report exactly the defects listed (and
//! justified) in `tests/data/EXPECTED_DEFECTS.md`, and nothing on the clean files.

mod data_support;

use data_support::{nyse_holidays_by_rule, sample_dir, test_data, Nyse2021To2026, NyseByRule};
use optifire_core::calendar::TradingCalendar;
use optifire_core::data::{
    calendar_for, load_csv, load_dir, validate, Defect, DefectKind, LoadOptions, LoadedSeries,
    ValidateOptions,
};
use std::collections::BTreeSet;
use std::path::Path;

type Key = (String, String, String, String);

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn kind_name(k: DefectKind) -> String {
    serde_json::to_string(&k)
        .unwrap()
        .trim_matches('"')
        .to_string()
}

fn key(d: &Defect) -> Key {
    (
        file_name(&d.file),
        d.date.clone(),
        kind_name(d.kind),
        d.reason.clone(),
    )
}

/// Parse defects plus validator defects of every series.
fn all_defects(series: &[LoadedSeries], exchange: &dyn TradingCalendar) -> Vec<Defect> {
    let mut out = Vec::new();
    for s in series {
        out.extend(s.parse_defects.iter().cloned());
        out.extend(validate(
            s,
            calendar_for(&s.symbol, exchange),
            &ValidateOptions::default(),
        ));
    }
    out
}

/// The rows of the table under "## Row defects" in EXPECTED_DEFECTS.md.
fn expected_rows() -> BTreeSet<Key> {
    let md = std::fs::read_to_string(test_data("EXPECTED_DEFECTS.md")).unwrap();
    let section = md.split("## Row defects").nth(1).unwrap();
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(".csv"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").map(|c| c.trim_matches(['|', ' '])).collect();
            (
                cells[0].into(),
                cells[1].into(),
                cells[2].into(),
                cells[3].into(),
            )
        })
        .collect()
}

#[test]
fn sample_data_has_exactly_the_documented_defects() {
    let series = load_dir(&sample_dir(), &LoadOptions::default()).unwrap();
    assert_eq!(series.len(), 19);
    let defects = all_defects(&series, &Nyse2021To2026);
    let got: BTreeSet<Key> = defects
        .iter()
        .filter(|d| d.kind != DefectKind::MissingSession)
        .map(key)
        .collect();
    let expected = expected_rows();
    assert_eq!(expected.len(), 11);
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "not reported: {missing:#?}\nunexpected: {extra:#?}"
    );
    // No defect is reported twice.
    assert_eq!(got.len(), defects.len());
}

#[test]
fn sample_data_has_no_missing_session() {
    let series = load_dir(&sample_dir(), &LoadOptions::default()).unwrap();
    let missing: Vec<String> = all_defects(&series, &Nyse2021To2026)
        .iter()
        .filter(|d| d.kind == DefectKind::MissingSession)
        .map(|d| d.to_string())
        .collect();
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn genuine_large_moves_are_not_flagged() {
    let series = load_dir(&sample_dir(), &LoadOptions::default()).unwrap();
    let flagged: Vec<(String, String)> = all_defects(&series, &Nyse2021To2026)
        .iter()
        .filter(|d| d.kind == DefectKind::Outlier)
        .map(|d| (file_name(&d.file), d.date.clone()))
        .collect();
    for (file, date) in [("META.csv", "2022-02-03"), ("NVDA.csv", "2023-05-25")] {
        assert!(
            !flagged.contains(&(file.into(), date.into())),
            "{file} {date}"
        );
    }
}

#[test]
fn twenty_years_of_unadjusted_daily_bars_are_clean() {
    let series = load_dir(&test_data("daily-long"), &LoadOptions::default()).unwrap();
    assert_eq!(series.len(), 3);
    let defects: Vec<String> = all_defects(&series, &NyseByRule::new())
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert!(defects.is_empty(), "{defects:#?}");
}

#[test]
fn intraday_files_are_clean() {
    for name in ["ticksample.csv", "index-futures-2006-01-17-18-minute.csv"] {
        let s = load_csv(
            &test_data(&format!("intraday/{name}")),
            &LoadOptions::default(),
        )
        .unwrap();
        assert!(s.bars.len() > 100);
        let defects: Vec<String> = all_defects(&[s], &NyseByRule::new())
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert!(defects.is_empty(), "{name}: {defects:#?}");
    }
}

#[test]
fn rule_calendar_agrees_with_the_published_holiday_list() {
    let by_rule: Vec<String> = (2021..=2026)
        .flat_map(nyse_holidays_by_rule)
        .map(|d| d.to_string())
        .collect();
    assert_eq!(by_rule, data_support::NYSE_HOLIDAYS_2021_2026);
}
