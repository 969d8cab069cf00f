//! The simulated exchange behind a shared handle, as a `Broker`.
//!
//! The executor owns its broker as `Box<dyn Broker>`, while the backtest driver must feed the
//! same exchange its bars; this adapter lets both hold it without the engine knowing it is a
//! simulation.

use optifire_core::domain::{ClientOrderId, Order, OrderRequest, Position};
use optifire_core::venue::{Account, Broker, BrokerError, VenueUpdate};
use optifire_venues::SimExchange;
use std::sync::{Arc, Mutex, MutexGuard};

/// A `Broker` that forwards to a shared `SimExchange`.
#[derive(Debug, Clone)]
pub struct SharedSim(pub Arc<Mutex<SimExchange>>);

impl SharedSim {
    /// The exchange; a panic elsewhere while it was locked does not hide its state (the
    /// exchange's books are updated in single steps, so the last completed state is usable).
    pub fn lock(&self) -> MutexGuard<'_, SimExchange> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Broker for SharedSim {
    fn submit(&mut self, req: OrderRequest) -> Result<Order, BrokerError> {
        self.lock().submit(req)
    }
    fn cancel(&mut self, id: &ClientOrderId) -> Result<Order, BrokerError> {
        self.lock().cancel(id)
    }
    fn order(&self, id: &ClientOrderId) -> Option<Order> {
        self.lock().order(id)
    }
    fn open_orders(&self) -> Vec<Order> {
        self.lock().open_orders()
    }
    fn positions(&self) -> Vec<Position> {
        self.lock().positions()
    }
    fn account(&self) -> Account {
        self.lock().account()
    }
    fn drain_updates(&mut self) -> Vec<VenueUpdate> {
        self.lock().drain_updates()
    }
}
