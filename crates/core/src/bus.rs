//! Bounded publish/subscribe for events.
//!
//! Built on a broadcast ring: publishing never waits, and a subscriber that falls more than the
//! capacity behind loses the oldest events and is told how many it missed (`Lagged`), instead
//! of slowing the engine down.

use crate::event::Event;
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Debug, Clone)]
pub struct Bus {
    tx: broadcast::Sender<Arc<Event>>,
}

/// What a subscriber gets from `recv`.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    Event(Arc<Event>),
    /// The subscriber was too slow; this many events were dropped for it.
    Lagged(u64),
    /// Every publisher is gone.
    Closed,
}

#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Event>>,
}

impl Bus {
    /// `capacity` events are kept per slow subscriber before it lags.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Bus { tx }
    }

    /// Publishes to every current subscriber; returns how many there were. Never blocks.
    pub fn publish(&self, event: Event) -> usize {
        self.tx.send(Arc::new(event)).unwrap_or(0)
    }

    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
        }
    }

    pub fn subscriber_count(&self) -> usize {
        self.tx.receiver_count()
    }
}

impl Subscription {
    /// Waits for the next event (async).
    pub async fn recv(&mut self) -> Received {
        match self.rx.recv().await {
            Ok(e) => Received::Event(e),
            Err(broadcast::error::RecvError::Lagged(n)) => Received::Lagged(n),
            Err(broadcast::error::RecvError::Closed) => Received::Closed,
        }
    }

    /// The next event if one is ready; `None` when there is none yet.
    pub fn try_recv(&mut self) -> Option<Received> {
        match self.rx.try_recv() {
            Ok(e) => Some(Received::Event(e)),
            Err(broadcast::error::TryRecvError::Lagged(n)) => Some(Received::Lagged(n)),
            Err(broadcast::error::TryRecvError::Closed) => Some(Received::Closed),
            Err(broadcast::error::TryRecvError::Empty) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Severity;
    use crate::Timestamp;

    fn alert(i: i64) -> Event {
        Event::Alert {
            ts: Timestamp(i),
            source: "t".into(),
            severity: Severity::Info,
            message: i.to_string(),
        }
    }

    #[test]
    fn slow_subscriber_lags_and_publisher_never_blocks() {
        let bus = Bus::new(4);
        let mut fast = bus.subscribe();
        let mut slow = bus.subscribe();
        for i in 0..10 {
            bus.publish(alert(i));
            // The fast subscriber keeps up.
            assert!(matches!(fast.try_recv(), Some(Received::Event(_))));
        }
        // The slow one missed 6 of 10 and is told so, then gets the 4 newest.
        assert_eq!(slow.try_recv(), Some(Received::Lagged(6)));
        let mut got = Vec::new();
        while let Some(Received::Event(e)) = slow.try_recv() {
            if let Event::Alert { ts, .. } = &*e {
                got.push(ts.0);
            }
        }
        assert_eq!(got, vec![6, 7, 8, 9]);
    }

    #[test]
    fn publish_without_subscribers_is_fine() {
        assert_eq!(Bus::new(2).publish(alert(1)), 0);
    }
}
