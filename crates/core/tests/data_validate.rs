//! Each validator check on small hand-made series whose defects are known by construction.

mod data_support;

use chrono::TimeDelta;
use data_support::{d, AllDays, Nyse2021To2026};
use optifire_core::calendar::TradingCalendar;
use optifire_core::data::{
    calendar_for, validate, DailyClose, DefectKind, Frequency, Layout, LoadedSeries, RowInfo,
    ValidateOptions,
};
use optifire_core::domain::{Bar, Symbol};
use optifire_core::Timestamp;

type Row<'a> = (&'a str, f64, f64, f64, f64, f64);

fn daily(symbol: &str, rows: &[Row<'_>]) -> LoadedSeries {
    let symbol = Symbol::new(symbol);
    let rule = if symbol.as_str().ends_with("-USD") {
        DailyClose::UtcDayEnd
    } else {
        DailyClose::ExchangeClose
    };
    let mut s = LoadedSeries {
        symbol: symbol.clone(),
        file: format!("{symbol}.csv"),
        layout: Layout::Daily,
        frequency: Frequency::Daily(rule),
        bars: Vec::new(),
        rows: Vec::new(),
        parse_defects: Vec::new(),
    };
    for (i, &(date, open, high, low, close, volume)) in rows.iter().enumerate() {
        s.bars.push(Bar {
            symbol: symbol.clone(),
            ts: rule.known_at(d(date)).unwrap(),
            open,
            high,
            low,
            close,
            volume,
        });
        s.rows.push(RowInfo::new(i as u64 + 2, date, d(date)));
    }
    s
}

/// `n` clean sessions from 2024-01-02 on: moves of up to ±1 %, all different.
fn clean_rows(n: usize) -> Vec<(String, f64, f64, f64, f64, f64)> {
    let cal = Nyse2021To2026;
    let mut day = d("2024-01-02");
    let mut p = 100.0;
    let mut out = Vec::new();
    while out.len() < n {
        if cal.is_trading_day(day) {
            let c = p * (1.0 + 0.01 * (out.len() as f64 * 1.7).sin());
            let (hi, lo) = (f64::max(p, c) * 1.002, f64::min(p, c) * 0.998);
            out.push((day.to_string(), p, hi, lo, c, 1e6));
            p = c;
        }
        day = day.succ_opt().unwrap();
    }
    out
}

fn as_rows(v: &[(String, f64, f64, f64, f64, f64)]) -> Vec<Row<'_>> {
    v.iter()
        .map(|r| (r.0.as_str(), r.1, r.2, r.3, r.4, r.5))
        .collect()
}

fn kinds(defects: &[optifire_core::data::Defect]) -> Vec<(String, DefectKind)> {
    defects.iter().map(|d| (d.date.clone(), d.kind)).collect()
}

fn check(s: &LoadedSeries) -> Vec<(String, DefectKind)> {
    kinds(&validate(
        s,
        calendar_for(&s.symbol, &Nyse2021To2026),
        &ValidateOptions::default(),
    ))
}

#[test]
fn clean_series_has_no_defects() {
    let rows = clean_rows(250);
    assert!(check(&daily("ABC", &as_rows(&rows))).is_empty());
}

#[test]
fn duplicate_and_out_of_order_rows() {
    let s = daily(
        "ABC",
        &[
            ("2024-01-02", 10.0, 11.0, 9.0, 10.0, 1.0),
            ("2024-01-03", 10.0, 11.0, 9.0, 10.0, 1.0),
            ("2024-01-03", 10.0, 11.0, 9.0, 10.0, 1.0),
            ("2024-01-02", 10.0, 11.0, 9.0, 10.0, 1.0),
            ("2024-01-04", 10.0, 11.0, 9.0, 10.0, 1.0),
        ],
    );
    let v = validate(&s, &Nyse2021To2026, &ValidateOptions::default());
    assert_eq!(
        kinds(&v),
        [
            ("2024-01-03".into(), DefectKind::Duplicate),
            ("2024-01-02".into(), DefectKind::OutOfOrder),
        ]
    );
    assert_eq!(v[0].line, Some(4));
    assert_eq!(v[0].reason, "duplicate timestamp (same as line 3)");
    assert_eq!(
        v[1].to_string(),
        "ABC.csv 2024-01-02 out of order (earlier than line 3, 2024-01-03)"
    );
}

#[test]
fn ticks_may_share_a_timestamp_but_not_go_back() {
    let mut s = daily(
        "T",
        &[
            ("2024-01-02", 10.0, 10.0, 10.0, 10.0, 1.0),
            ("2024-01-02", 11.0, 11.0, 11.0, 11.0, 1.0),
            ("2024-01-03", 10.0, 10.0, 10.0, 10.0, 1.0),
        ],
    );
    s.frequency = Frequency::Intraday {
        bar_length: TimeDelta::zero(),
    };
    s.bars[2].ts = Timestamp(s.bars[0].ts.0 - 1);
    assert_eq!(check(&s), [("2024-01-03".into(), DefectKind::OutOfOrder)]);
}

#[test]
fn ohlc_negative_and_zero_prices() {
    let s = daily(
        "ABC",
        &[
            // SPY's last shared row: open above high.
            ("2024-01-02", 658.67, 652.45, 650.73, 652.34, 7e6),
            ("2024-01-03", 10.0, 11.0, 9.0, 10.0, -5.0),
            ("2024-01-04", 10.0, 11.0, 0.0, 10.0, 1.0),
            ("2024-01-05", 10.0, 11.0, 12.0, 10.0, 1.0),
        ],
    );
    let v = validate(&s, &Nyse2021To2026, &ValidateOptions::default());
    let reasons: Vec<String> = v.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        reasons,
        [
            "ABC.csv 2024-01-02 OHLC inconsistent: open 658.67 above high 652.45",
            "ABC.csv 2024-01-03 volume is negative (-5)",
            "ABC.csv 2024-01-04 low is zero",
            "ABC.csv 2024-01-05 OHLC inconsistent: low 12 above open 10, low 12 above close 10, low 12 above high 11",
        ]
    );
}

#[test]
fn zero_volume_is_a_defect_on_a_traded_series_only() {
    let mut rows = clean_rows(100);
    rows[50].5 = 0.0;
    let v = check(&daily("ABC", &as_rows(&rows)));
    assert_eq!(v, [(rows[50].0.clone(), DefectKind::ZeroVolume)]);

    // An index: zero everywhere except one foreign row.
    for r in &mut rows {
        r.5 = 0.0;
    }
    assert!(check(&daily("ABC", &as_rows(&rows))).is_empty());
    rows[70].5 = 37993457.0;
    let v = check(&daily("ABC", &as_rows(&rows)));
    assert_eq!(v, [(rows[70].0.clone(), DefectKind::VolumeOnIndex)]);
}

#[test]
fn missing_sessions_and_rows_on_holidays() {
    // 2024-07-03 (a 13:00 early close, still a session), 07-04 holiday, 07-05 Friday,
    // 07-06 Saturday, 07-08 Monday.
    let s = daily(
        "ABC",
        &[
            ("2024-07-02", 10.0, 11.0, 9.0, 10.0, 1.0),
            ("2024-07-04", 10.0, 11.0, 9.0, 10.0, 1.0),
            ("2024-07-06", 10.0, 11.0, 9.0, 10.0, 1.0),
            ("2024-07-08", 10.0, 11.0, 9.0, 10.0, 1.0),
        ],
    );
    let v = validate(&s, &Nyse2021To2026, &ValidateOptions::default());
    assert_eq!(
        kinds(&v),
        [
            ("2024-07-04".into(), DefectKind::NonSessionDate),
            ("2024-07-06".into(), DefectKind::NonSessionDate),
            ("2024-07-03".into(), DefectKind::MissingSession),
            ("2024-07-05".into(), DefectKind::MissingSession),
        ]
    );
    assert_eq!(v[2].to_string(), "ABC.csv 2024-07-03 missing session");
    assert_eq!(v[2].line, None);
}

#[test]
fn crypto_misses_weekend_days_too() {
    let s = daily(
        "BTC-USD",
        &[
            ("2024-07-05", 10.0, 11.0, 9.0, 10.0, 1.0),
            ("2024-07-07", 10.0, 11.0, 9.0, 10.0, 1.0),
        ],
    );
    assert_eq!(
        check(&s),
        [("2024-07-06".into(), DefectKind::MissingSession)]
    );
    let v = validate(&s, &AllDays, &ValidateOptions::default());
    assert_eq!(
        kinds(&v),
        [("2024-07-06".into(), DefectKind::MissingSession)]
    );
}

#[test]
fn spikes_are_flagged_and_large_real_moves_are_not() {
    let rows = clean_rows(200);
    // A foreign row: six times the price for one day, then back.
    let mut spiked = rows.clone();
    let r = &mut spiked[120];
    (r.1, r.2, r.3, r.4) = (r.1 * 6.0, r.2 * 6.0, r.3 * 6.0, r.4 * 6.0);
    let v = check(&daily("ABC", &as_rows(&spiked)));
    assert_eq!(v, [(rows[120].0.clone(), DefectKind::Outlier)]);

    // A real −26 % gap that stays (META on 2022-02-03): 30 robust sigmas here, not flagged.
    let mut gapped = rows.clone();
    for r in &mut gapped[120..] {
        (r.1, r.2, r.3, r.4) = (r.1 * 0.74, r.2 * 0.74, r.3 * 0.74, r.4 * 0.74);
    }
    gapped[120].2 = gapped[119].4; // the gap day's high is the previous close
    gapped[120].1 = gapped[119].4;
    assert!(check(&daily("ABC", &as_rows(&gapped))).is_empty());
}
