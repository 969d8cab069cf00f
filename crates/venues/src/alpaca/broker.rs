//! Alpaca as core's synchronous `Broker`: the async REST client and trade-updates stream run
//! on the bridge's own tokio runtime, and the engine's driver thread calls in and blocks.
//!
//! Reads (`order`, `open_orders`, `positions`, `account`) ask Alpaca and fall back to the last
//! known state when Alpaca cannot be reached, so a dropped connection never makes the engine
//! see an empty book. `drain_updates` hands over what the trade-updates stream delivered. After
//! the stream reconnects Alpaca does not replay the gap, so the bridge raises its `resync` flag
//! and the driver reconciles (journal, ledger and store against Alpaca's orders and positions)
//! before trading on. Never call it from inside an async runtime: it blocks.

use super::config::{AlpacaConfig, AlpacaCredentials};
use super::rest::{AlpacaClient, OrderQueryStatus};
use super::stream::{spawn_trading_stream, StreamEvent, StreamHandle, StreamOptions};
use optifire_core::domain::{ClientOrderId, Order, OrderRequest, Position};
use optifire_core::venue::{Account, Broker, BrokerError, VenueUpdate};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::runtime::Runtime;

/// Open orders asked for at once; Alpaca's maximum page.
const OPEN_ORDERS_LIMIT: u32 = 500;

/// The last state Alpaca reported.
#[derive(Debug)]
struct Known {
    orders: BTreeMap<ClientOrderId, Order>,
    positions: Vec<Position>,
    account: Account,
}

/// Alpaca behind the `Broker` trait. See the module doc.
pub struct AlpacaBroker {
    client: AlpacaClient,
    stream: Option<StreamHandle<VenueUpdate>>,
    known: Mutex<Known>,
    pending: Vec<VenueUpdate>,
    resync: Arc<AtomicBool>,
    /// Dropped last: the stream task and client connections live on it.
    rt: Runtime,
}

impl std::fmt::Debug for AlpacaBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlpacaBroker")
            .field("client", &self.client)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl AlpacaBroker {
    /// Starts the runtime and the trade-updates stream and reads account, positions and open
    /// orders. Fails when the account cannot be read (wrong keys or URL): better at start-up
    /// than at the first order.
    pub fn connect(
        config: AlpacaConfig,
        creds: AlpacaCredentials,
        opts: StreamOptions,
    ) -> Result<AlpacaBroker, BrokerError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("alpaca-broker")
            .enable_all()
            .build()
            .map_err(|e| BrokerError::Other(format!("start the Alpaca runtime: {e}")))?;
        let client = AlpacaClient::new(config.clone(), creds.clone())?;
        let account = rt.block_on(client.account())?;
        let positions = rt.block_on(client.positions())?;
        let open = rt.block_on(client.list_orders(OrderQueryStatus::Open, OPEN_ORDERS_LIMIT))?;
        let stream = {
            let _inside = rt.enter();
            spawn_trading_stream(&config, creds, opts)
        };
        Ok(AlpacaBroker {
            client,
            stream: Some(stream),
            known: Mutex::new(Known {
                orders: open
                    .into_iter()
                    .map(|o| (o.request.client_order_id.clone(), o))
                    .collect(),
                positions,
                account,
            }),
            pending: Vec::new(),
            resync: Arc::new(AtomicBool::new(false)),
            rt,
        })
    }

    /// Raised when the trade-updates stream came back after a drop; the driver clears it when
    /// it reconciles.
    pub fn resync_flag(&self) -> Arc<AtomicBool> {
        self.resync.clone()
    }

    /// A handle on the bridge's runtime, for starting other Alpaca streams (market data) on it.
    pub fn runtime(&self) -> tokio::runtime::Handle {
        self.rt.handle().clone()
    }

    fn known(&self) -> MutexGuard<'_, Known> {
        // Each update replaces whole values, so the state after a panic elsewhere is usable.
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn block<T>(&self, f: impl Future<Output = T>) -> T {
        self.rt.block_on(f)
    }

    fn remember(&self, o: &Order) {
        self.known()
            .orders
            .insert(o.request.client_order_id.clone(), o.clone());
    }

    /// Takes what the stream delivered so far into `pending`.
    fn pull_stream(&mut self) {
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        let mut events = Vec::new();
        while let Some(ev) = stream.try_next() {
            events.push(ev);
        }
        for ev in events {
            match ev {
                StreamEvent::Data(u) => {
                    if let VenueUpdate::Order(o) = &u {
                        self.remember(o);
                    }
                    self.pending.push(u);
                }
                StreamEvent::Reconnected { attempt } => {
                    tracing::warn!(attempt, "Alpaca trade updates reconnected: reconcile");
                    self.resync.store(true, Ordering::SeqCst);
                }
                StreamEvent::Disconnected { reason } => {
                    tracing::warn!(%reason, "Alpaca trade updates disconnected");
                }
                StreamEvent::AuthFailed { reason } | StreamEvent::GaveUp { reason } => {
                    tracing::error!(%reason, "Alpaca trade updates stopped: fills arrive only \
                        through reconciliation");
                    self.resync.store(true, Ordering::SeqCst);
                }
                StreamEvent::ServerError { reason } | StreamEvent::Malformed { reason } => {
                    tracing::warn!(%reason, "Alpaca trade updates");
                }
                StreamEvent::Connected | StreamEvent::Subscribed { .. } => {}
            }
        }
    }
}

impl Broker for AlpacaBroker {
    fn submit(&mut self, req: OrderRequest) -> Result<Order, BrokerError> {
        let o = self.block(self.client.submit_order(&req))?;
        self.remember(&o);
        Ok(o)
    }

    fn cancel(&mut self, id: &ClientOrderId) -> Result<Order, BrokerError> {
        let o = self.block(self.client.cancel_by_client_id(id))?;
        self.remember(&o);
        Ok(o)
    }

    fn order(&self, id: &ClientOrderId) -> Option<Order> {
        match self.block(self.client.order_by_client_id(id)) {
            Ok(o) => {
                self.remember(&o);
                Some(o)
            }
            Err(BrokerError::UnknownOrder) => None,
            Err(e) => {
                tracing::warn!(id = %id.0, "Alpaca order lookup failed, last known state: {e}");
                self.known().orders.get(id).cloned()
            }
        }
    }

    fn open_orders(&self) -> Vec<Order> {
        match self.block(
            self.client
                .list_orders(OrderQueryStatus::Open, OPEN_ORDERS_LIMIT),
        ) {
            Ok(open) => {
                let mut k = self.known();
                for o in &open {
                    k.orders
                        .insert(o.request.client_order_id.clone(), o.clone());
                }
                open
            }
            Err(e) => {
                tracing::warn!("Alpaca open orders unavailable, last known state: {e}");
                let mut open: Vec<Order> = self
                    .known()
                    .orders
                    .values()
                    .filter(|o| !o.status.is_terminal())
                    .cloned()
                    .collect();
                open.sort_by(|a, b| {
                    (a.request.created_at, &a.request.client_order_id.0)
                        .cmp(&(b.request.created_at, &b.request.client_order_id.0))
                });
                open
            }
        }
    }

    fn positions(&self) -> Vec<Position> {
        match self.block(self.client.positions()) {
            Ok(p) => {
                self.known().positions = p.clone();
                p
            }
            Err(e) => {
                tracing::warn!("Alpaca positions unavailable, last known state: {e}");
                self.known().positions.clone()
            }
        }
    }

    fn account(&self) -> Account {
        match self.block(self.client.account()) {
            Ok(a) => {
                self.known().account = a;
                a
            }
            Err(e) => {
                tracing::warn!("Alpaca account unavailable, last known state: {e}");
                self.known().account
            }
        }
    }

    fn drain_updates(&mut self) -> Vec<VenueUpdate> {
        self.pull_stream();
        std::mem::take(&mut self.pending)
    }
}

impl Drop for AlpacaBroker {
    fn drop(&mut self) {
        // Abort the stream task while the runtime still exists.
        self.stream.take();
    }
}
