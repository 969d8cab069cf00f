//! Makes every plugin run visible: the run record and outputs go to the store, events to the bus.
//!
//! Kept apart from the runner so the runner stays a pure, synchronous measurement of one run,
//! while persistence policy (what becomes a stored event, what only a bus message) lives here.

use crate::bus::Bus;
use crate::event::{Event, Severity};
use crate::plugin::{Output, RunReport};
use crate::store::{Store, StoreResult};

/// Persists one run and publishes what it produced.
///
/// Stored: the run record, every output (signals and features in their tables), alerts, health
/// readings and a disabling as events. Published: all of that plus a `plugin_run` event, and
/// signals and features for live views. `breaches` is the plugin's consecutive breach count.
pub fn record_run(
    store: &dyn Store,
    bus: &Bus,
    report: &RunReport,
    breaches: u32,
) -> StoreResult<()> {
    let rec = &report.record;
    let ts = rec.started_at;
    // Events only a subscriber would get are not even built without one (a backtest has
    // none): a run's events were ~2% of its CPU. Publishing reaches only those subscribed when
    // it happens anyway, so one subscribing meanwhile misses what it would have missed a moment
    // later.
    let live = bus.subscriber_count() > 0;
    store.push_plugin_run(rec)?;
    if !report.outputs.is_empty() {
        store.insert_outputs(&report.outputs)?;
    }
    for o in &report.outputs {
        if !live && matches!(o.output, Output::Signal { .. } | Output::Feature { .. }) {
            continue;
        }
        let source = o.plugin_id.clone();
        let event = match &o.output {
            Output::Signal { symbol, value } => Some(Event::Signal {
                ts,
                plugin_id: source,
                symbol: symbol.clone(),
                value: value.value(),
            }),
            Output::Feature {
                symbol,
                name,
                value,
            } => Some(Event::Feature {
                ts,
                plugin_id: source,
                symbol: symbol.clone(),
                name: name.clone(),
                value: *value,
            }),
            Output::Alert { severity, message } => {
                let e = Event::Alert {
                    ts,
                    source,
                    severity: *severity,
                    message: message.clone(),
                };
                store.push_event(ts, &e)?;
                Some(e)
            }
            Output::Health {
                severity, message, ..
            } => {
                let e = Event::Health {
                    ts,
                    source,
                    severity: *severity,
                    message: message.clone(),
                };
                store.push_event(ts, &e)?;
                Some(e)
            }
            _ => None,
        };
        if let Some(e) = event.filter(|_| live) {
            bus.publish(e);
        }
    }
    if let Some(reason) = &report.disabled_now {
        store.set_plugin_state(&rec.plugin_id, true, Some(reason), breaches, ts)?;
        let e = Event::Alert {
            ts,
            source: rec.plugin_id.clone(),
            severity: Severity::Critical,
            message: format!("plugin {} disabled: {reason}", rec.plugin_id),
        };
        store.push_event(ts, &e)?;
        bus.publish(e);
    }
    if live {
        bus.publish(Event::PluginRun(rec.clone()));
    }
    Ok(())
}
