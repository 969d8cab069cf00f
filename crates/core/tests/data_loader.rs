//! The CSV loader on excerpts of the shared files: each layout, timestamps against epoch seconds
//! computed independently (Python `datetime(..., tzinfo=timezone.utc).timestamp()`), values
//! against the file text, and bad rows reported with line, date and reason.

mod data_support;

use chrono::TimeDelta;
use data_support::test_data;
use optifire_core::data::{
    load_csv, load_dir, DailyClose, DefectKind, Frequency, Layout, LoadError, LoadOptions,
};
use optifire_core::domain::Symbol;
use optifire_core::Timestamp;

fn excerpt(name: &str) -> std::path::PathBuf {
    test_data(&format!("excerpts/{name}"))
}

#[test]
fn yahoo_daily_close_first_order_reads_by_name() {
    let s = load_csv(&excerpt("SPY.csv"), &LoadOptions::default()).unwrap();
    assert_eq!(s.symbol, Symbol::new("SPY"));
    assert_eq!(s.layout, Layout::Daily);
    assert_eq!(s.frequency, Frequency::Daily(DailyClose::ExchangeClose));
    assert_eq!(s.bars.len(), 5);
    assert!(s.parse_defects.is_empty());
    // Row `2021-01-04,343.3191223144531,349.5191455225328,339.6233135802176,349.38880113928235,110210800`
    // of `Date,Close,High,Low,Open,Volume`.
    let b = &s.bars[0];
    assert_eq!(b.open, 349.38880113928235);
    assert_eq!(b.high, 349.5191455225328);
    assert_eq!(b.low, 339.6233135802176);
    assert_eq!(b.close, 343.3191223144531);
    assert_eq!(b.volume, 110210800.0);
    // 2021-01-04 16:00 EST = 21:00 UTC = 1_609_794_000.
    assert_eq!(b.ts, Timestamp::from_secs(1_609_794_000));
    assert_eq!(
        (s.rows[0].line(), s.rows[0].date_text().as_str()),
        (2, "2021-01-04")
    );
    assert_eq!(s.rows[4].line(), 6);
}

#[test]
fn adj_close_layout_takes_close_not_adj_close() {
    let s = load_csv(&excerpt("ORCL.csv"), &LoadOptions::default()).unwrap();
    // `1995-01-03,2.179012,2.191358,2.117284,2.117284,1.883304,36301200`
    let b = &s.bars[0];
    assert_eq!(
        (b.open, b.high, b.low, b.close),
        (2.179012, 2.191358, 2.117284, 2.117284)
    );
    assert_eq!(b.volume, 36301200.0);
    // 1995-01-03 21:00 UTC.
    assert_eq!(b.ts, Timestamp::from_secs(789_166_800));
}

#[test]
fn crypto_daily_bar_is_known_at_the_end_of_the_utc_day() {
    let s = load_csv(&excerpt("BTC-USD.csv"), &LoadOptions::default()).unwrap();
    assert_eq!(s.symbol, Symbol::new("BTC-USD"));
    assert_eq!(s.frequency, Frequency::Daily(DailyClose::UtcDayEnd));
    // 2021-01-01 → 2021-01-02 00:00 UTC = 1_609_545_600.
    assert_eq!(s.bars[0].ts, Timestamp::from_secs(1_609_545_600));
    assert_eq!(s.bars[0].close, 29374.15234375);
}

#[test]
fn minute_file_with_unnamed_time_field() {
    let s = load_csv(
        &excerpt("index-futures-2006-minute.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(s.layout, Layout::SplitDateTime { time_named: false });
    assert_eq!(
        s.frequency,
        Frequency::Intraday {
            bar_length: TimeDelta::minutes(1)
        }
    );
    assert!(s.parse_defects.is_empty());
    // `2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0`: known at 09:02 UTC.
    let b = &s.bars[0];
    assert_eq!(
        (b.open, b.high, b.low, b.close, b.volume),
        (3602.0, 3603.0, 3597.0, 3599.0, 5699.0)
    );
    assert_eq!(b.ts, Timestamp::from_secs(1_136_192_520));
    assert_eq!(s.rows[0].date_text(), "2006-01-02 09:01:00");

    // The same rows read as Central European time: 09:01 CET = 08:01 UTC, known 08:02 UTC.
    let opts = LoadOptions {
        intraday_tz: chrono_tz::Europe::Berlin,
        ..LoadOptions::default()
    };
    let s = load_csv(&excerpt("index-futures-2006-minute.csv"), &opts).unwrap();
    assert_eq!(s.bars[0].ts, Timestamp::from_secs(1_136_188_920));
}

#[test]
fn ticks_with_millisecond_timestamps_have_zero_length() {
    let s = load_csv(&excerpt("ticksample.csv"), &LoadOptions::default()).unwrap();
    assert_eq!(s.layout, Layout::DateTime);
    // 2015-09-23T20:57:42.146 UTC = 1_443_041_862 s + 146 ms.
    assert_eq!(
        s.bars[0].ts,
        Timestamp::from_nanos(1_443_041_862 * 1_000_000_000 + 146_000_000)
    );
    assert_eq!(s.bars[0].close, 3067.0);
    let five = LoadOptions {
        bar_length: Some(TimeDelta::seconds(5)),
        ..LoadOptions::default()
    };
    let s = load_csv(&excerpt("ticksample.csv"), &five).unwrap();
    assert_eq!(
        s.bars[0].ts,
        Timestamp::from_nanos(1_443_041_867 * 1_000_000_000 + 146_000_000)
    );
}

#[test]
fn header_case_and_order_do_not_matter_and_symbol_can_be_given() {
    let opts = LoadOptions {
        symbol: Some(Symbol::new("xyz")),
        ..LoadOptions::default()
    };
    let s = load_csv(&excerpt("mixed_case.csv"), &opts).unwrap();
    assert_eq!(s.symbol.as_str(), "XYZ");
    let b = &s.bars[0];
    assert_eq!(
        (b.open, b.high, b.low, b.close, b.volume),
        (10.0, 11.0, 9.5, 10.5, 1000.0)
    );
}

#[test]
fn bad_rows_become_defects_and_the_rest_loads() {
    let s = load_csv(&excerpt("bad_rows.csv"), &LoadOptions::default()).unwrap();
    let kept: Vec<String> = s.rows.iter().map(|r| r.date_text().to_string()).collect();
    assert_eq!(kept, ["2024-01-02", "2024-01-11"]);
    assert_eq!(s.rows[1].line(), 9);
    let got: Vec<(Option<u64>, &str, &str)> = s
        .parse_defects
        .iter()
        .map(|d| (d.line, d.date.as_str(), d.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Some(3), "2024-01-03", "close is empty"),
            (Some(4), "2024-01-04", "high `NaN` is not a finite number"),
            (Some(5), "2024-01-05", "close `abc` is not a number"),
            (Some(6), "2024-01-08", "expected 6 fields, found 5"),
            (Some(7), "2024-01-09", "volume `inf` is not a finite number"),
            (Some(8), "2024-13-10", "date `2024-13-10` is not YYYY-MM-DD"),
        ]
    );
    assert!(s
        .parse_defects
        .iter()
        .all(|d| d.kind == DefectKind::Unparsable));
    let shown = s.parse_defects[0].to_string();
    assert!(
        shown.ends_with("bad_rows.csv 2024-01-03 close is empty"),
        "{shown}"
    );
}

#[test]
fn missing_column_and_unreadable_file_are_errors_that_name_them() {
    let e = load_csv(&excerpt("no_close.csv"), &LoadOptions::default()).unwrap_err();
    assert!(matches!(
        e,
        LoadError::MissingColumn {
            column: "Close",
            ..
        }
    ));
    let msg = e.to_string();
    assert!(
        msg.contains("no_close.csv") && msg.contains("`Close`"),
        "{msg}"
    );

    let e = load_csv(&excerpt("does_not_exist.csv"), &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, LoadError::Open { .. }));
    assert!(e.to_string().contains("does_not_exist.csv"));

    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("EMPTY.csv");
    std::fs::write(&empty, "").unwrap();
    assert!(matches!(
        load_csv(&empty, &LoadOptions::default()),
        Err(LoadError::Empty { .. })
    ));
    // A header without rows is an empty series, not an error.
    let header_only = dir.path().join("HDR.csv");
    std::fs::write(&header_only, "Date,Open,High,Low,Close,Volume\n").unwrap();
    let s = load_csv(&header_only, &LoadOptions::default()).unwrap();
    assert!(s.bars.is_empty() && s.parse_defects.is_empty());
}

#[test]
fn load_dir_reads_csv_files_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["SPY.csv", "BTC-USD.csv", "ORCL.csv"] {
        std::fs::copy(excerpt(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not data").unwrap();
    let all = load_dir(dir.path(), &LoadOptions::default()).unwrap();
    let symbols: Vec<&str> = all.iter().map(|s| s.symbol.as_str()).collect();
    assert_eq!(symbols, ["BTC-USD", "ORCL", "SPY"]);
    assert!(matches!(
        load_dir(&dir.path().join("nope"), &LoadOptions::default()),
        Err(LoadError::ReadDir { .. })
    ));
}

#[test]
fn explicit_offsets_name_the_instant_whatever_the_zone_option() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("X.csv");
    std::fs::write(
        &path,
        "Datetime,Open,High,Low,Close,Volume\n2015-09-23T16:57:42.146-04:00,1,1,1,1,1\n2015-09-23T20:57:43Z,1,1,1,1,1\n",
    )
    .unwrap();
    let opts = LoadOptions {
        intraday_tz: chrono_tz::Asia::Tokyo,
        ..LoadOptions::default()
    };
    let s = load_csv(&path, &opts).unwrap();
    // 16:57:42.146 at UTC-4 is 20:57:42.146 UTC = 1_443_041_862.146 s.
    assert_eq!(
        s.bars[0].ts,
        Timestamp::from_nanos(1_443_041_862 * 1_000_000_000 + 146_000_000)
    );
    assert_eq!(s.bars[1].ts, Timestamp::from_secs(1_443_041_863));
    // In Tokyo that instant is already 2015-09-24.
    assert_eq!(
        s.rows[0].date(),
        chrono::NaiveDate::from_ymd_opt(2015, 9, 24).unwrap()
    );
}
