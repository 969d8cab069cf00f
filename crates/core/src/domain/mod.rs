//! The domain model: what is traded, what the market says, what we ask for and what we own.
//!
//! Market data (bars, quotes, trades) is analytics input and uses `f64`; everything that enters
//! the ledger (prices of fills, quantities, cash) is exact `Decimal`, so the books always balance
//! to the cent no matter how many fills they see.

mod bar;
pub mod client_id;
mod decimal_ops;
mod equity;
mod fill;
mod id_hash;
mod instrument;
mod order;
mod planned;
mod portfolio;
mod position;
mod quote;
mod units;

pub use bar::{Bar, BarError};
pub use equity::{EquityHistory, EquityPoint};
pub use fill::Fill;
pub use id_hash::{IdHash, IdHasher};
pub use instrument::{AssetClass, Instrument, Symbol};
pub use order::{ClientOrderId, Order, OrderRequest, OrderStatus, OrderType, Side, TimeInForce};
pub use planned::{CostEstimate, CycleId, Leg, PlannedOrder};
pub use portfolio::{LedgerError, Portfolio};
pub use position::Position;
pub use quote::{Quote, TradeTick};
pub use units::{Money, Price, Quantity, Signal, Weight};
