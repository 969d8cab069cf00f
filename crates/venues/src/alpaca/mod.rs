//! The Alpaca adapter: REST client (Trading API v2, Market Data API v2) and websocket streams.
//!
//! Everything crosses into core types here (`Order`, `Fill`, `Bar`, `BrokerError`,
//! `VenueUpdate`), so nothing above the venue layer knows it is talking to Alpaca.

pub mod broker;
pub mod config;
pub mod convert;
pub mod errors;
pub mod models;
pub mod rest;
pub mod retry;
pub mod stream;
mod tls;

pub use broker::AlpacaBroker;
pub use config::{AlpacaConfig, AlpacaCredentials, DataFeed};
pub use convert::{ConvertError, Timeframe};
pub use rest::{
    Adjustment, AlpacaClient, BarsQuery, CalendarDay, MarketClock, OrderQueryStatus, ReplaceRequest,
};
pub use retry::{Backoff, Sleeper, TokioSleeper};
pub use stream::{
    spawn_market_data_stream, spawn_trading_stream, MarketData, StreamEvent, StreamHandle,
    StreamOptions, Subscription,
};
