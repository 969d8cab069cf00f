//! optifire-server: the secure HTTP API (JSON under `/api/v1`), the live SSE stream, the
//! server-rendered dashboard, health and Prometheus metrics.
//!
//! It views a running system through the store and the `ConfigManager`, and acts on one through
//! `EngineControl` when an engine is attached; every call but `/health` and the login page needs
//! a login, and every state-changing call leaves an audit row.

pub mod analytics;
pub mod app;
pub mod audit;
pub mod auth;
pub mod control;
pub mod db;
pub mod error;
pub mod log_level;
pub mod routes;
pub mod security;
pub mod serve;
pub mod stall;
pub mod state;
pub mod stream;
pub mod ui;

pub use app::router;
pub use control::{ControlError, EngineControl, EngineGates, HaltInfo, ManualOrder, OrderAck};
pub use db::ServerDb;
pub use error::{ApiError, ServerError};
pub use log_level::LogLevelControl;
pub use serve::{bind_address, serve, serve_blocking, serve_blocking_with_log};
pub use state::AppState;
