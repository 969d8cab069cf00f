//! Records the combiner's contributions of a cycle (exact, with the configured weights) in the
//! store and on the bus, so the dashboard shows what the engine computed rather than a
//! re-derivation. Only a change is recorded: most cycles repeat the previous split.

use super::{CycleReport, Engine};
use optifire_core::event::{Event, SignalContribution};
use optifire_core::Timestamp;

impl Engine {
    /// Call after the combiner ran and before `self.contributions` takes this cycle's.
    pub(super) fn record_contributions(&mut self, now: Timestamp, rep: &mut CycleReport) {
        let new = &rep.combined.contributions;
        if *new == self.contributions {
            return;
        }
        let event = Event::Contributions {
            ts: now,
            contributions: new
                .iter()
                .map(|c| SignalContribution {
                    plugin: c.plugin.clone(),
                    symbol: c.symbol.clone(),
                    weight: c.weight,
                })
                .collect(),
        };
        if let Err(e) = self.store.push_event(now, &event) {
            rep.errors.push(format!("store contributions: {e}"));
        }
        self.bus.publish(event);
    }
}
