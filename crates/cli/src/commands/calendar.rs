//! `optifire calendar [--year Y]`: the NYSE holidays and early closes of a year, by rule.

use anyhow::{bail, Result};
use chrono::Datelike;
use optifire_core::calendar::NyseCalendar;
use optifire_core::clock::{Clock, RealClock};
use std::io::Write;
use std::process::ExitCode;

pub fn run(year: Option<i32>, out: &mut dyn Write) -> Result<ExitCode> {
    // The CLI is the edge of the system: the only place a default "this year" may come from the
    // wall clock.
    let year = year.unwrap_or_else(|| RealClock.now().to_new_york().year());
    if !(1990..=2200).contains(&year) {
        bail!("year {year} is outside the supported range 1990..=2200");
    }
    let cal = NyseCalendar::new();
    writeln!(
        out,
        "NYSE {year}: {} trading days",
        cal.trading_days(first(year), last(year)).len()
    )?;
    writeln!(out, "holidays (market closed):")?;
    for (d, name) in cal.holidays(year) {
        writeln!(out, "  {} {}  {name}", d, d.format("%a"))?;
    }
    writeln!(out, "early closes (13:00 ET):")?;
    for d in cal.early_closes(year) {
        let close = cal
            .session(d)
            .map(|s| s.close.to_new_york().format("%H:%M").to_string())
            .unwrap_or_default();
        writeln!(out, "  {} {}  close {close} ET", d, d.format("%a"))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn first(y: i32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or_default()
}
fn last(y: i32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or_default()
}
