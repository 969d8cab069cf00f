//! The real-time drivers (paper and live) and what they share with the backtest.
//!
//! One engine, three drivers: the backtest (`crate::backtest`), paper (`paper`: replayed or live
//! bars, simulated exchange) and live (`live`, feature `alpaca`: Alpaca's feed and broker) all
//! build their engine with `setup` and call the same `Engine::cycle`. Only time, data and venue
//! differ. A running engine is commanded through `control::EngineHandle`.

pub mod control;
pub mod drive;
pub mod feed;
#[cfg(feature = "alpaca")]
pub mod live;
pub mod paper;
pub mod setup;
pub mod wait;

pub use control::{channel, Command, ControlError, EngineHandle, EngineStatus, Reconfigure};
pub use drive::{Driver, DriverOptions, DriverOutcome, StopReason};
pub use feed::{Batch, Feed, FeedPoll, Pace, ReplayFeed};
pub use paper::{
    paper_replay, realtime_driver, DriverError, PaperSpec, Prepared, RealtimeParts, Venue,
};
pub use wait::{RealWaiter, SimWaiter, Waited, Waiter};
