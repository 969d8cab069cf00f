//! The live feed behind `/api/v1/stream` (`ux_ws_pnl_sse`): engine events with ids, a bounded
//! ring for Last-Event-ID resume, and a bounded fan-out that drops a slow client.
//!
//! One relay task per process feeds the hub: from the core `Bus` when an engine is attached,
//! otherwise by tailing the store's events table. Ids are the hub's own (increasing, starting
//! from the clock's microseconds so an id from an earlier process reads as a gap); resume is
//! from the ring, and a client whose id fell out of it gets a `reset` event. The relay also turns new
//! equity points and position snapshots in the store into `equity` and `positions` events.
//! Memory is bounded by the ring and the broadcast capacity, whatever the number of clients.

use crate::state::AppState;
use optifire_core::bus::{Bus, Received};
use optifire_core::event::Event;
use optifire_core::Timestamp;
use serde_json::json;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;
use tokio::sync::broadcast;

/// Events kept for resume.
pub const RING_CAPACITY: usize = 1024;
/// How far (in events) a client may fall behind before it is dropped.
pub const CLIENT_BUFFER: usize = 256;
/// How often the relay looks at the store (new events in serve mode, equity, positions).
pub const STORE_POLL: Duration = Duration::from_millis(1000);
/// Store events read per poll.
const TAIL_BATCH: usize = 500;

/// One event as sent: `id:`, `event:` (the kind) and `data:` (JSON) lines.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamItem {
    pub id: i64,
    pub kind: String,
    pub data: String,
}

/// Bus events the stream forwards; bars, signals and features are too many for a page and are
/// read through the API instead.
pub fn streamed(e: &Event) -> bool {
    !matches!(
        e,
        Event::Bar(_) | Event::Signal { .. } | Event::Feature { .. }
    )
}

/// What a resuming client gets before live events.
#[derive(Debug, Clone, PartialEq)]
pub enum Backlog {
    /// Every event after the client's id, in order (possibly none).
    Items(Vec<Arc<StreamItem>>),
    /// The client's id is older than the ring (or from another process): it missed events and
    /// must reload its view. The items are the whole ring.
    Gap(Vec<Arc<StreamItem>>),
}

#[derive(Debug)]
pub struct StreamHub {
    tx: broadcast::Sender<Arc<StreamItem>>,
    ring: Mutex<VecDeque<Arc<StreamItem>>>,
    next_id: AtomicU64,
    relay: OnceLock<()>,
    clients: AtomicUsize,
    dropped: AtomicU64,
}

impl StreamHub {
    /// `first_id` is the first id handed out; the caller passes the clock's microseconds so ids
    /// keep growing across restarts and an id from a previous process reads as a gap.
    pub fn new(first_id: i64) -> Self {
        let (tx, _) = broadcast::channel(CLIENT_BUFFER);
        StreamHub {
            tx,
            ring: Mutex::new(VecDeque::with_capacity(RING_CAPACITY)),
            next_id: AtomicU64::new(u64::try_from(first_id.max(1)).unwrap_or(1)),
            relay: OnceLock::new(),
            clients: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// Publishes with the next id; returns the id.
    pub fn publish_next(&self, kind: &str, data: String) -> i64 {
        let id = i64::try_from(self.next_id.fetch_add(1, Ordering::Relaxed)).unwrap_or(i64::MAX);
        self.publish(id, kind, data);
        id
    }

    /// Appends to the ring (dropping the oldest when full) and fans out. Never blocks. Ids must
    /// increase; `publish_next` guarantees it.
    fn publish(&self, id: i64, kind: &str, data: String) {
        let item = Arc::new(StreamItem {
            id,
            kind: kind.to_string(),
            data,
        });
        {
            let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
            if ring.len() == RING_CAPACITY {
                ring.pop_front();
            }
            ring.push_back(Arc::clone(&item));
        }
        let _ = self.tx.send(item);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StreamItem>> {
        self.tx.subscribe()
    }

    /// Ring events after `last_id`; a gap when the ring no longer holds the event right after
    /// it, or `last_id` is beyond anything published.
    pub fn backlog_after(&self, last_id: i64) -> Backlog {
        let ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        let all: Vec<Arc<StreamItem>> = ring.iter().cloned().collect();
        let (Some(first), Some(last)) = (all.first(), all.last()) else {
            return Backlog::Items(Vec::new());
        };
        if last_id > last.id || last_id < first.id - 1 {
            return Backlog::Gap(all);
        }
        Backlog::Items(all.into_iter().filter(|i| i.id > last_id).collect())
    }

    pub fn newest_id(&self) -> Option<i64> {
        let ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        ring.back().map(|i| i.id)
    }

    /// Connected stream clients.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    /// Clients dropped for falling behind, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub(crate) fn note_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// Starts the relay once, on the runtime of the caller (the first stream request, or
    /// `AppState::attach_engine` when called inside a runtime). Outside a runtime it does nothing
    /// and a later call starts it.
    pub fn ensure_relay(&self, state: &AppState) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        self.relay.get_or_init(|| {
            // Subscribed here, not in the task, so nothing published after this call is missed.
            let sub = state.bus().map(Bus::subscribe);
            // Serve mode starts after the newest stored event; older ones are at
            // `/api/v1/events`.
            let tail_after = if sub.is_none() {
                state.db.events_total().unwrap_or(0)
            } else {
                0
            };
            rt.spawn(relay(state.clone(), sub, tail_after));
        });
    }
}

/// Counts a connected client until its stream is dropped (disconnect or slow-client drop).
#[derive(Debug)]
pub(crate) struct ClientGuard(AppState);

impl ClientGuard {
    pub(crate) fn new(state: &AppState) -> Self {
        state.stream.clients.fetch_add(1, Ordering::Relaxed);
        ClientGuard(state.clone())
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.stream.clients.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The relay loop: bus events as they come, the store every `STORE_POLL`.
async fn relay(
    state: AppState,
    mut sub: Option<optifire_core::bus::Subscription>,
    tail_after: i64,
) {
    let mut watch = StoreWatch {
        tail_after,
        ..StoreWatch::default()
    };
    let mut tick = tokio::time::interval(STORE_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        match sub.as_mut() {
            Some(s) => {
                tokio::select! {
                    r = s.recv() => match r {
                        Received::Event(e) => forward(&state, &e),
                        Received::Lagged(n) => {
                            let msg = json!({"missed": n, "reason": "the stream relay fell behind the bus"});
                            state.stream.publish_next("gap", msg.to_string());
                        }
                        Received::Closed => sub = None,
                    },
                    _ = tick.tick() => watch.poll(&state, false),
                }
            }
            None => {
                tick.tick().await;
                watch.poll(&state, state.bus().is_none());
            }
        }
    }
}

fn forward(state: &AppState, e: &Event) {
    if !streamed(e) {
        return;
    }
    match serde_json::to_string(e) {
        Ok(data) => {
            state.stream.publish_next(e.kind(), data);
        }
        Err(err) => tracing::error!(error = %err, kind = e.kind(), "event not serialisable"),
    }
}

/// What the relay last saw in the store.
#[derive(Debug, Default)]
struct StoreWatch {
    tail_after: i64,
    equity_ts: Option<Timestamp>,
    positions_ts: Option<Timestamp>,
}

impl StoreWatch {
    fn poll(&mut self, state: &AppState, tail_events: bool) {
        if tail_events {
            match state.store.events_after(self.tail_after, TAIL_BATCH) {
                Ok(events) => {
                    for (id, e) in events {
                        self.tail_after = id;
                        if streamed(&e) {
                            if let Ok(data) = serde_json::to_string(&e) {
                                state.stream.publish_next(e.kind(), data);
                            }
                        }
                    }
                }
                Err(err) => tracing::warn!(error = %err, "stream: reading events failed"),
            }
        }
        let publish = |kind: &str, data: String| {
            state.stream.publish_next(kind, data);
        };
        match state.db.latest_equity_ts() {
            Ok(Some(ts)) if Some(ts) != self.equity_ts => {
                if let Ok(points) = state.store.equity(ts, ts) {
                    if let Some(p) = points.last() {
                        self.equity_ts = Some(ts);
                        if let Ok(data) = serde_json::to_string(p) {
                            publish("equity", data);
                        }
                    }
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "stream: reading equity failed"),
        }
        match state.store.latest_position_snapshot() {
            Ok(Some(snap)) if Some(snap.ts) != self.positions_ts => {
                self.positions_ts = Some(snap.ts);
                if let Ok(data) = serde_json::to_string(&snap) {
                    publish("positions", data);
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "stream: reading positions failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_resumes_after_an_id_and_reports_gaps() {
        let hub = StreamHub::new(10);
        assert_eq!(hub.backlog_after(0), Backlog::Items(vec![]));
        for k in 0..3 {
            hub.publish_next("alert", format!("{k}"));
        }
        // ids 10, 11, 12
        let Backlog::Items(after_10) = hub.backlog_after(10) else {
            panic!("expected items")
        };
        assert_eq!(
            after_10.iter().map(|i| i.id).collect::<Vec<_>>(),
            vec![11, 12]
        );
        assert_eq!(hub.backlog_after(12), Backlog::Items(vec![]));
        // Right before the first held event: complete, not a gap.
        assert!(matches!(hub.backlog_after(9), Backlog::Items(v) if v.len() == 3));
        assert!(matches!(hub.backlog_after(5), Backlog::Gap(v) if v.len() == 3));
        assert!(matches!(hub.backlog_after(99), Backlog::Gap(_)));
    }

    #[test]
    fn ring_is_bounded() {
        let hub = StreamHub::new(1);
        for k in 0..(RING_CAPACITY + 10) {
            hub.publish_next("alert", k.to_string());
        }
        let Backlog::Gap(all) = hub.backlog_after(1) else {
            panic!("the oldest ten are gone")
        };
        assert_eq!(all.len(), RING_CAPACITY);
        assert_eq!(all[0].id, 11);
    }
}
