//! Route handlers, one file per resource.

pub mod account;
pub mod audit;
pub mod auth;
pub mod config;
pub mod events;
pub mod flags;
pub mod gates;
pub mod health;
pub mod log;
pub mod metrics;
pub mod orders;
pub mod plugins;
pub mod stream;

use serde::Deserialize;

/// `?after=ID&limit=N` for cursor-paged lists.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Page {
    #[serde(default)]
    pub after: i64,
    pub limit: Option<usize>,
}

pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 1000;

impl Page {
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
    }
}
