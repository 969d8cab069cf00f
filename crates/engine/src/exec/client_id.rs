//! Deterministic client order ids: the same decision always gets the same id.
//!
//! The function lives in core next to `PlannedOrder` (execution plugins reshape planned orders
//! and their ids follow); re-exported here where the executor's readers look for it.

pub use optifire_core::domain::client_id::{client_order_id, fnv1a64, MAX_CLIENT_ID_LEN};
