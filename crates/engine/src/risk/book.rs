//! The current book as weights of equity, the reference every risk-reducing test compares to.
//!
//! Equity is the ledger marked at the usable marks; when a held symbol has no usable mark the
//! last recorded equity point stands in, and that symbol's own weight is unknown (frozen).

use super::inputs::{Mark, RiskInputs};
use optifire_core::domain::{Price, Symbol};
use std::collections::{BTreeMap, BTreeSet};

/// Current weights; `unknown` holds positions whose weight cannot be computed.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Book {
    pub equity: Option<f64>,
    pub weights: BTreeMap<Symbol, f64>,
    pub unknown: BTreeSet<Symbol>,
}

impl Book {
    /// The current weight of `s`: `Some(0)` when not held, `None` when held but unknown.
    pub fn weight(&self, s: &Symbol) -> Option<f64> {
        if self.unknown.contains(s) {
            None
        } else {
            Some(self.weights.get(s).copied().unwrap_or(0.0))
        }
    }
}

/// A mark's price when it is usable for valuation (finite and positive).
pub(crate) fn usable_price(marks: &BTreeMap<Symbol, Mark>, s: &Symbol) -> Option<f64> {
    marks
        .get(s)
        .map(|m| m.price)
        .filter(|p| p.is_finite() && *p > 0.0)
}

pub(crate) fn current_book(inputs: &RiskInputs<'_>) -> Book {
    let marked = inputs
        .portfolio
        .equity(|s| usable_price(inputs.marks, s).and_then(Price::from_f64));
    let equity = match marked {
        Ok(e) => Some(e.to_f64()),
        Err(_) => inputs.equity.last().map(|p| p.equity.to_f64()),
    }
    .filter(|e| e.is_finite() && *e > 0.0);
    let mut book = Book {
        equity,
        ..Book::default()
    };
    for pos in inputs.portfolio.open_positions() {
        let qty = pos.qty.to_f64();
        match (equity, usable_price(inputs.marks, &pos.symbol)) {
            (Some(e), Some(p)) if qty.is_finite() => {
                book.weights.insert(pos.symbol.clone(), qty * p / e);
            }
            _ => {
                book.unknown.insert(pos.symbol.clone());
            }
        }
    }
    book
}
