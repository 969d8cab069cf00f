//! Checks a loaded series for what the loader cannot see in one row alone.
//!
//! Ordering, OHLC sense, volume that does not fit the series, sessions missing or on closed days,
//! and one-bar price spikes. Each finding is a `Defect` naming file, line, date and reason; the
//! validator never changes the data, the caller decides what to drop.

use super::csv_loader::{Frequency, LoadedSeries, RowInfo};
use super::defect::{num, Defect, DefectKind};
use super::outlier::{find_spikes, OutlierOptions};
use crate::calendar::TradingCalendar;
use crate::domain::{Bar, BarError};
use chrono::{Datelike, NaiveDate};

/// Thresholds of the validator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValidateOptions {
    /// A series with zero volume on at least this share of its rows is an index (VIX): its zero
    /// volume is normal, and a row that does carry volume is what gets reported.
    pub index_zero_volume_share: f64,
    pub outliers: OutlierOptions,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            index_zero_volume_share: 0.9,
            outliers: OutlierOptions::default(),
        }
    }
}

/// Every defect of `series`, in row order per check: ordering, values, volume, sessions (daily
/// series only; pass `AlwaysOpen` or `calendar_for` for crypto), spikes. The loader's
/// `parse_defects` are not repeated here.
///
/// Ticks (intraday rows of zero length) may share a timestamp: two trades in the same
/// millisecond are normal. Bars must have strictly increasing timestamps.
pub fn validate(
    series: &LoadedSeries,
    cal: &dyn TradingCalendar,
    opts: &ValidateOptions,
) -> Vec<Defect> {
    let mut out = Vec::new();
    let mut report = |row: &RowInfo, kind: DefectKind, reason: String| {
        out.push(Defect {
            file: series.file.clone(),
            line: Some(row.line()),
            date: row.date_text().to_string(),
            kind,
            reason,
        });
    };
    let rows = &series.rows;
    let bars = &series.bars;
    let ticks =
        matches!(series.frequency, Frequency::Intraday { bar_length } if bar_length.is_zero());

    check_order(bars, rows, ticks, &mut report);
    for (bar, row) in bars.iter().zip(rows) {
        for (kind, reason) in value_defects(bar) {
            report(row, kind, reason);
        }
    }
    check_volume(bars, rows, opts, &mut report);
    let sessions = matches!(series.frequency, Frequency::Daily(_))
        .then(|| Sessions::of(rows, cal))
        .flatten();
    if let Some(sessions) = &sessions {
        for &i in &sessions.off_session {
            report(
                &rows[i],
                DefectKind::NonSessionDate,
                "row on a non-session date".into(),
            );
        }
    }
    let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let unit = match series.frequency {
        Frequency::Daily(_) => "one-day",
        Frequency::Intraday { .. } => "one-bar",
    };
    for s in find_spikes(&closes, &opts.outliers) {
        let (prev, now) = (closes[s.index - 1], closes[s.index]);
        let shape = if s.reverted {
            "reverted at the next bar"
        } else {
            "several-fold"
        };
        report(
            &rows[s.index],
            DefectKind::Outlier,
            format!(
                "{unit} jump: close {} after {} (log return {:+.3}, {:.1} robust sigmas), {shape}",
                num(now),
                num(prev),
                s.log_return,
                s.sigmas
            ),
        );
    }
    if let Some(sessions) = &sessions {
        out.extend(sessions.missing(series));
    }
    out
}

/// Which days trade, from the first to the last date of a daily series' rows, and which have
/// a row: the calendar asked once for the whole span rather than day by day, and each row's
/// day in the span worked out once for both checks.
struct Sessions {
    first: NaiveDate,
    days: usize,
    /// `TradingCalendar::session_bits` of the span.
    open: Vec<u64>,
    /// The days of the span with a row, as bits.
    present: Vec<u64>,
    /// The rows on a day that is not a session, in row order.
    off_session: Vec<usize>,
}

impl Sessions {
    /// `None` without rows.
    fn of(rows: &[RowInfo], cal: &dyn TradingCalendar) -> Option<Sessions> {
        let first = rows.iter().map(RowInfo::date).min()?;
        let last = rows.iter().map(RowInfo::date).max()?;
        let days = usize::try_from((last - first).num_days()).ok()? + 1;
        let open = cal.session_bits(first, days);
        let mut present = vec![0u64; open.len()];
        let mut off_session = Vec::new();
        let first_ce = first.num_days_from_ce();
        for (i, row) in rows.iter().enumerate() {
            // Every row's date is in the span.
            let k = (row.date().num_days_from_ce() - first_ce) as usize;
            let bit = 1 << (k % 64);
            present[k / 64] |= bit;
            if open[k / 64] & bit == 0 {
                off_session.push(i);
            }
        }
        Some(Sessions {
            first,
            days,
            open,
            present,
            off_session,
        })
    }

    /// Sessions of the span that have no row, in date order.
    fn missing(&self, series: &LoadedSeries) -> Vec<Defect> {
        let mut out = Vec::new();
        for (w, (&open, &seen)) in self.open.iter().zip(&self.present).enumerate() {
            let mut missing = open & !seen;
            while missing != 0 {
                let k = w * 64 + missing.trailing_zeros() as usize;
                missing &= missing - 1;
                let d = self.first + chrono::Days::new(k as u64);
                out.push(Defect {
                    file: series.file.clone(),
                    line: None,
                    date: d.format("%Y-%m-%d").to_string(),
                    kind: DefectKind::MissingSession,
                    reason: "missing session".into(),
                });
            }
        }
        debug_assert!(out.len() <= self.days);
        out
    }
}

fn check_order(
    bars: &[Bar],
    rows: &[RowInfo],
    ticks: bool,
    report: &mut impl FnMut(&RowInfo, DefectKind, String),
) {
    // Compare with the latest timestamp so far, so one bad row early does not make every later
    // row look out of order.
    let mut latest: Option<usize> = None;
    for i in 0..bars.len() {
        let Some(j) = latest else {
            latest = Some(i);
            continue;
        };
        let (now, max) = (bars[i].ts, bars[j].ts);
        if now == max && !ticks {
            let reason = format!("duplicate timestamp (same as line {})", rows[j].line());
            report(&rows[i], DefectKind::Duplicate, reason);
        } else if now < max {
            let reason = format!(
                "out of order (earlier than line {}, {})",
                rows[j].line(),
                rows[j].date_text()
            );
            report(&rows[i], DefectKind::OutOfOrder, reason);
        } else {
            latest = Some(i);
        }
    }
}

/// Non-finite, negative and zero values and OHLC inconsistencies of one bar, with reasons that
/// name the values that break the rule.
fn value_defects(bar: &Bar) -> Vec<(DefectKind, String)> {
    // A valid bar with no zero price has nothing to report (almost every bar: checked first).
    // In a valid bar the low is the smallest price and none is negative, so no price is zero
    // exactly when the low is above zero.
    if bar.is_valid() & (bar.low > 0.0) {
        return Vec::new();
    }
    all_value_defects(bar)
}

/// `value_defects` without the shortcut for clean bars.
fn all_value_defects(bar: &Bar) -> Vec<(DefectKind, String)> {
    let mut out = Vec::new();
    for e in bar.defects() {
        match e {
            BarError::NotFinite { field, value } => out.push((
                DefectKind::NotFinite,
                format!("{field} is not a finite number ({value})"),
            )),
            BarError::Negative { field, value } => out.push((
                DefectKind::Negative,
                format!("{field} is negative ({})", num(value)),
            )),
            BarError::Inconsistent {
                open,
                high,
                low,
                close,
            } => {
                let mut broken = Vec::new();
                for (name, v) in [("open", open), ("close", close)] {
                    if low > v {
                        broken.push(format!("low {} above {name} {}", num(low), num(v)));
                    }
                    if high < v {
                        broken.push(format!("{name} {} above high {}", num(v), num(high)));
                    }
                }
                if low > high {
                    broken.push(format!("low {} above high {}", num(low), num(high)));
                }
                out.push((
                    DefectKind::OhlcInconsistent,
                    format!("OHLC inconsistent: {}", broken.join(", ")),
                ));
            }
        }
    }
    let prices = [
        ("open", bar.open),
        ("high", bar.high),
        ("low", bar.low),
        ("close", bar.close),
    ];
    for (field, value) in prices {
        if value == 0.0 {
            out.push((DefectKind::ZeroPrice, format!("{field} is zero")));
        }
    }
    out
}

fn check_volume(
    bars: &[Bar],
    rows: &[RowInfo],
    opts: &ValidateOptions,
    report: &mut impl FnMut(&RowInfo, DefectKind, String),
) {
    if bars.is_empty() {
        return;
    }
    let zero = bars.iter().filter(|b| b.volume == 0.0).count();
    let n = bars.len();
    let is_index = zero as f64 >= opts.index_zero_volume_share * n as f64;
    // A traded series reports its zero volumes, an index its rows with volume (none when all
    // are zero): without any, the rows need not be walked again.
    let nothing_to_report = if is_index { zero == n } else { zero == 0 };
    if nothing_to_report {
        return;
    }
    for (bar, row) in bars.iter().zip(rows) {
        if is_index && bar.volume > 0.0 {
            let reason = format!(
                "volume {} on an index series (zero on {zero} of {n} rows)",
                num(bar.volume)
            );
            report(row, DefectKind::VolumeOnIndex, reason);
        } else if !is_index && bar.volume == 0.0 {
            let reason = format!("zero volume on a traded series (zero on {zero} of {n} rows)");
            report(row, DefectKind::ZeroVolume, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Symbol;
    use crate::Timestamp;

    /// The session checks as first written: each row's date, then every day of the span,
    /// asked of the calendar one at a time.
    fn reference_session_defects(series: &LoadedSeries, cal: &dyn TradingCalendar) -> Vec<Defect> {
        let mut out: Vec<Defect> = series
            .rows
            .iter()
            .filter(|r| !cal.is_trading_day(r.date()))
            .map(|r| Defect {
                file: series.file.clone(),
                line: Some(r.line()),
                date: r.date_text().to_string(),
                kind: DefectKind::NonSessionDate,
                reason: "row on a non-session date".into(),
            })
            .collect();
        out.extend(missing_sessions(series, cal));
        out
    }

    /// Sessions of `cal` between the first and the last date of the series that have no bar.
    fn missing_sessions(series: &LoadedSeries, cal: &dyn TradingCalendar) -> Vec<Defect> {
        // The row dates sorted and unique (files are in date order: the sort is one pass), walked
        // alongside the calendar days.
        let mut dates: Vec<_> = series.rows.iter().map(RowInfo::date).collect();
        dates.sort_unstable();
        dates.dedup();
        let (Some(&first), Some(&last)) = (dates.first(), dates.last()) else {
            return Vec::new();
        };
        let mut next = dates.iter().peekable();
        first
            .iter_days()
            .take_while(|d| *d <= last)
            .filter(|d| {
                let present = next.next_if_eq(&d).is_some();
                !present && cal.is_trading_day(*d)
            })
            .map(|d| Defect {
                file: series.file.clone(),
                line: None,
                date: d.format("%Y-%m-%d").to_string(),
                kind: DefectKind::MissingSession,
                reason: "missing session".into(),
            })
            .collect()
    }

    #[test]
    fn session_defects_are_the_day_by_day_ones() {
        use crate::calendar::{AlwaysOpen, NyseCalendar};
        let mut rng = fastrand::Rng::with_seed(29);
        let start = NaiveDate::from_ymd_opt(1999, 12, 20).unwrap();
        for case in 0..400 {
            // Dates in a few weeks to a few years, in order with gaps, some repeated, some
            // out of order, weekends and holidays among them.
            let span = rng.u64(1..1500);
            let mut dates: Vec<NaiveDate> = (0..rng.usize(0..400))
                .map(|_| start + chrono::Days::new(rng.u64(..span)))
                .collect();
            if case % 2 == 0 {
                dates.sort();
            }
            let series = series_of(&dates);
            let cal: &dyn TradingCalendar = if case % 5 == 0 {
                &AlwaysOpen
            } else {
                &NyseCalendar
            };
            let got: Vec<Defect> = validate(&series, cal, &ValidateOptions::default())
                .into_iter()
                .filter(|d| {
                    matches!(
                        d.kind,
                        DefectKind::NonSessionDate | DefectKind::MissingSession
                    )
                })
                .collect();
            assert_eq!(got, reference_session_defects(&series, cal), "case {case}");
        }
    }

    /// A daily series with a flat clean bar on each of `dates`.
    fn series_of(dates: &[NaiveDate]) -> LoadedSeries {
        let bar = |d: &NaiveDate| Bar {
            symbol: Symbol::new("SPY"),
            ts: Timestamp(
                d.and_hms_opt(21, 0, 0)
                    .unwrap()
                    .and_utc()
                    .timestamp_millis(),
            ),
            open: 10.0,
            high: 10.0,
            low: 10.0,
            close: 10.0,
            volume: 5.0,
        };
        LoadedSeries {
            symbol: Symbol::new("SPY"),
            file: "t.csv".into(),
            layout: crate::data::Layout::Daily,
            frequency: Frequency::Daily(crate::data::DailyClose::ExchangeClose),
            bars: dates.iter().map(bar).collect(),
            rows: dates
                .iter()
                .enumerate()
                .map(|(i, d)| RowInfo::new(i as u64 + 2, &d.to_string(), *d))
                .collect(),
            parse_defects: Vec::new(),
        }
    }

    /// The volume check without its shortcut: every row looked at.
    fn reference_volume_kinds(bars: &[Bar], share: f64) -> Vec<(usize, DefectKind)> {
        let zero = bars.iter().filter(|b| b.volume == 0.0).count();
        let is_index = zero as f64 >= share * bars.len() as f64;
        (0..bars.len())
            .filter_map(|i| {
                let v = bars[i].volume;
                if is_index && v > 0.0 {
                    Some((i, DefectKind::VolumeOnIndex))
                } else if !is_index && v == 0.0 {
                    Some((i, DefectKind::ZeroVolume))
                } else {
                    None
                }
            })
            .collect()
    }

    #[test]
    fn volume_shortcut_reports_what_every_row_would() {
        let mut rng = fastrand::Rng::with_seed(37);
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        for case in 0..3000 {
            let n = rng.usize(1..40);
            let dates: Vec<NaiveDate> = (0..n as u64)
                .map(|k| start + chrono::Days::new(k))
                .collect();
            let mut series = series_of(&dates);
            let zeros = rng.f64();
            for b in &mut series.bars {
                b.volume = match rng.u8(..20) {
                    0 => f64::NAN,
                    1 => -0.0,
                    _ if rng.f64() < zeros => 0.0,
                    _ => 5.0,
                };
            }
            let share = [0.0, 0.5, 0.9, 1.0, 1.5][case % 5];
            let opts = ValidateOptions {
                index_zero_volume_share: share,
                ..ValidateOptions::default()
            };
            let got: Vec<(usize, DefectKind)> =
                validate(&series, &crate::calendar::AlwaysOpen, &opts)
                    .into_iter()
                    .filter(|d| {
                        matches!(d.kind, DefectKind::ZeroVolume | DefectKind::VolumeOnIndex)
                    })
                    .map(|d| (d.line.unwrap() as usize - 2, d.kind))
                    .collect();
            assert_eq!(
                got,
                reference_volume_kinds(&series.bars, share),
                "case {case}"
            );
        }
    }

    #[test]
    fn clean_bar_shortcut_reports_what_the_full_check_does() {
        let specials = [0.0, -0.0, 1.0, -1.0, 3.0, f64::NAN, f64::INFINITY];
        let mut rng = fastrand::Rng::with_seed(5);
        let mut pick = || {
            if rng.bool() {
                specials[rng.usize(..specials.len())]
            } else {
                rng.f64() * 4.0
            }
        };
        for _ in 0..100_000 {
            let bar = Bar {
                symbol: Symbol::new("SPY"),
                ts: Timestamp(0),
                open: pick(),
                high: pick(),
                low: pick(),
                close: pick(),
                volume: pick(),
            };
            assert_eq!(value_defects(&bar), all_value_defects(&bar), "{bar:?}");
        }
    }
}
