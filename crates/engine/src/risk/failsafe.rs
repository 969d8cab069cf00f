//! The fail-closed input check: every input the limits depend on is verified before they run.
//!
//! A stale, missing or NaN mark, a failed required risk plugin, or an empty equity history means
//! the limits cannot be trusted, so the engine allows only risk-reducing changes; each fault
//! names the input that failed.

use super::book::usable_price;
use super::inputs::RiskInputs;
use optifire_core::domain::Symbol;
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
        Some(format!("mark for {s} is dated after now ({})", m.ts))
    } else if age > stale_price_secs as f64 {
        Some(format!(
            "mark for {s} is stale: {age:.0} s old (limit {stale_price_secs} s)"
        ))
    } else {
        None
    }
}
