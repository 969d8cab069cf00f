//! The fail-closed input check: every input the limits depend on is verified before they run.
//!
//! A stale, missing or NaN mark, a failed required risk plugin, or an empty equity history means
//! the limits cannot be trusted, so the engine allows only risk-reducing changes; each fault
//! names the input that failed.

use super::book::usable_price;
use super::inputs::RiskInputs;
use chrono::NaiveTime;
use optifire_core::calendar::{new_york_instant, NyseCalendar};
use optifire_core::domain::{Instrument, Symbol};
use optifire_core::Timestamp;
use std::collections::BTreeSet;

/// Faults in the inputs; empty means the engine may add risk.
pub(crate) fn input_faults(
    inputs: &RiskInputs<'_>,
    needed_marks: &BTreeSet<Symbol>,
    stale_price_secs: u64,
) -> Vec<String> {
    let mut faults = Vec::new();
    if !inputs.failed_required.is_empty() {
        faults.push(format!(
            "required risk plugin(s) failed or stale: {}",
            inputs.failed_required.join(", ")
        ));
    }
    match inputs.equity.last() {
        None => faults.push("equity history is empty".to_string()),
        Some(p) => {
            let e = p.equity.to_f64();
            if !(e.is_finite() && e > 0.0) {
                faults.push(format!("latest equity {e} is not positive"));
            }
        }
    }
    faults.extend(
        needed_marks
            .iter()
            .filter_map(|s| mark_fault(inputs, s, stale_price_secs)),
    );
    if let Some(i) = inputs.closed_trade_pnls.iter().position(|p| !p.is_finite()) {
        faults.push(format!("closed trade PnL #{i} is not a finite number"));
    }
    faults
}

/// Why the mark of `s` cannot be trusted (missing, not a positive number, stale, from the
/// future), or `None` when it can.
pub(crate) fn mark_fault(
    inputs: &RiskInputs<'_>,
    s: &Symbol,
    stale_price_secs: u64,
) -> Option<String> {
    let Some(m) = inputs.marks.get(s) else {
        return Some(format!("no mark for {s}"));
    };
    if usable_price(inputs.marks, s).is_none() {
        return Some(format!(
            "mark for {s} is not a positive number ({})",
            m.price
        ));
    }
    let age = inputs.now.secs_since(m.ts);
    if age < 0.0 {
        return Some(format!("mark for {s} is dated after now ({})", m.ts));
    }
    if age <= stale_price_secs as f64 {
        return None;
    }
    if !Instrument::infer(s).follows_exchange_calendar() {
        return Some(format!(
            "mark for {s} is stale: {age:.0} s old (limit {stale_price_secs} s)"
        ));
    }
    // A market that is shut cannot print a newer price: Friday's close is the freshest mark an
    // equity can have until Monday, so days NYSE does not trade do not age it.
    let open_age = age_on_trading_days(inputs.calendar, m.ts, inputs.now);
    (open_age > stale_price_secs as f64).then(|| {
        let closed = if open_age < age {
            format!(" on NYSE trading days, {age:.0} s in all")
        } else {
            String::new()
        };
        format!("mark for {s} is stale: {open_age:.0} s old{closed} (limit {stale_price_secs} s)")
    })
}

/// Seconds of `[from, now]` that fall on New York calendar days NYSE trades.
fn age_on_trading_days(calendar: &NyseCalendar, from: Timestamp, now: Timestamp) -> f64 {
    let mut age = 0.0;
    let mut day = from.ny_date();
    let last = now.ny_date();
    while day <= last {
        let next = day.succ_opt().unwrap_or(day);
        if calendar.is_trading_day(day) {
            let start = new_york_instant(day, NaiveTime::MIN).map_or(from, |t| t.max(from));
            let end = new_york_instant(next, NaiveTime::MIN).map_or(now, |t| t.min(now));
            age += end.secs_since(start).max(0.0);
        }
        if next == day {
            break;
        }
        day = next;
    }
    age
}
