//! optifire-server: the secure HTTP API (JSON under `/api/v1`), health and Prometheus metrics.
//!
//! It views a running system through the store and the `ConfigManager`; every call but `/health`
//! needs a login, and every state-changing call leaves an audit row.

pub mod app;
pub mod audit;
pub mod auth;
pub mod db;
pub mod error;
pub mod routes;
pub mod security;
pub mod serve;
pub mod state;

pub use app::router;
pub use db::ServerDb;
pub use error::{ApiError, ServerError};
pub use serve::{bind_address, serve, serve_blocking};
pub use state::AppState;
