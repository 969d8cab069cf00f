//! Order shaping: the hook exec plugins use to change a batch between planning and sending.
//!
//! The contract (`OrderShaper`, `ShapeResult`, `ShapeNote`) lives in optifire-core so plugins can
//! implement it; the engine asks each enabled exec plugin for its shaper through the runner
//! (`Runner::shape`), which measures and records the call. `apply_shapers` chains bare shapers
//! for callers that hold them directly (tests, tools).

use optifire_core::domain::PlannedOrder;
use optifire_core::Timestamp;

pub use optifire_core::plugin::{OrderShaper, ShapeNote, ShapeResult};

/// Runs the shapers in order, each on the previous one's output; the notes of all of them.
pub fn apply_shapers(
    shapers: &mut [Box<dyn OrderShaper>],
    now: Timestamp,
    orders: Vec<PlannedOrder>,
) -> ShapeResult {
    let mut out = ShapeResult {
        orders,
        notes: Vec::new(),
    };
    for s in shapers.iter_mut() {
        let r = s.shape(now, &out.orders);
        out.orders = r.orders;
        out.notes.extend(r.notes);
    }
    out
}
