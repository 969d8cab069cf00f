//! Hard exposure limits: |w| <= max_exposure_symbol per symbol, then sum |w| <=
//! max_exposure_total for the book, scaling every weight down by the same factor so the
//! portfolio keeps its shape (and a zero beta stays zero).

use super::decision::{fw, pct, DecisionLog};
use optifire_core::domain::Symbol;
use optifire_core::fixed::Fixed;
use std::collections::BTreeMap;

/// Caps every |weight| at `cap`.
pub(crate) fn cap_symbols(w: &mut BTreeMap<Symbol, f64>, cap: f64, log: &mut DecisionLog) {
    for (s, x) in w.iter_mut() {
        if x.abs() > cap {
            let capped = cap.copysign(*x);
            log.refuse(
                Some(s),
                "max_exposure_symbol",
                format!(
                    "{s} target {} capped to {} (limit {} of equity)",
                    fw(*x),
                    fw(capped),
                    pct(cap)
                ),
            );
            *x = capped;
        }
    }
}

/// Scales all weights by cap / gross when gross exposure exceeds `cap`.
pub(crate) fn cap_gross(w: &mut BTreeMap<Symbol, f64>, cap: f64, log: &mut DecisionLog) {
    let gross: f64 = w.values().map(|x| x.abs()).sum();
    if gross > cap {
        let k = cap / gross;
        for x in w.values_mut() {
            *x *= k;
        }
        log.refuse(
            None,
            "max_exposure_total",
            format!(
                "gross exposure {} scaled to {} (x{}, limit {} of equity)",
                fw(gross),
                fw(cap),
                Fixed(k, 6),
                pct(cap)
            ),
        );
    }
}
