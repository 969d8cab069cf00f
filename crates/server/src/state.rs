//! Shared state of every request: the configuration manager, the store, the server's own
//! tables, the injected clock, the auth machinery (keys, limiter, revocation list), and what a
//! running process attaches: the engine's control handle and bus, and the log reload handle.

use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::LoginLimiter;
use crate::control::EngineControl;
use crate::db::ServerDb;
use crate::error::ServerError;
use crate::log_level::LogLevelControl;
use crate::stream::StreamHub;
use optifire_core::bus::Bus;
use optifire_core::clock::Clock;
use optifire_core::config::{ApiConfig, ConfigManager, Secret};
use optifire_core::plugin::Registry;
use optifire_core::store::Store;
use optifire_core::Timestamp;
use std::collections::HashMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Cheap to clone (one `Arc`).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub config: Arc<ConfigManager>,
    pub store: Arc<dyn Store>,
    pub db: Arc<ServerDb>,
    pub clock: Arc<dyn Clock>,
    pub registry: Arc<Registry>,
    pub(crate) jwt: JwtKeys,
    pub(crate) limiter: LoginLimiter,
    /// Revoked token ids and their expiry (Unix seconds); mirrored in `revoked_tokens`.
    revoked: Mutex<HashMap<String, i64>>,
    /// Where accepted edits are written back (`optifire serve --config DIR`), so they survive a
    /// restart and reach an engine watching the same folder. Unset: in memory and history only.
    config_dir: OnceLock<PathBuf>,
    /// Set by `optifire run`; absent in `optifire serve` (routes that act answer 409).
    engine: OnceLock<Arc<dyn EngineControl>>,
    bus: OnceLock<Bus>,
    log: OnceLock<Arc<dyn LogLevelControl>>,
    pub stream: StreamHub,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Fails when the JWT secret is shorter than 32 bytes or the revocation list cannot be read.
    pub fn new(
        config: Arc<ConfigManager>,
        store: Arc<dyn Store>,
        db: Arc<ServerDb>,
        clock: Arc<dyn Clock>,
        registry: Arc<Registry>,
        jwt_secret: &Secret,
    ) -> Result<Self, ServerError> {
        let jwt = JwtKeys::new(jwt_secret)?;
        let now_secs = clock.now().0.div_euclid(NANOS_PER_SEC);
        let revoked = db.revoked_tokens(now_secs)?.into_iter().collect();
        let first_stream_id = clock.now().0.div_euclid(1000).max(1);
        Ok(AppState(Arc::new(Inner {
            config,
            store,
            db,
            clock,
            registry,
            jwt,
            limiter: LoginLimiter::new(),
            revoked: Mutex::new(revoked),
            config_dir: OnceLock::new(),
            engine: OnceLock::new(),
            bus: OnceLock::new(),
            log: OnceLock::new(),
            stream: StreamHub::new(first_stream_id),
        })))
    }

    /// Makes accepted configuration edits also write `dir/config.yaml` and `dir/features.yaml`.
    /// Set once; a second call is ignored.
    pub fn persist_config_to(&self, dir: PathBuf) {
        let _ = self.config_dir.set(dir);
    }

    /// Connects a running engine: its control handle (manual orders, cancels, run-now) and its
    /// bus (the live stream). Call before serving; set once, a second call is ignored.
    pub fn attach_engine(&self, control: Arc<dyn EngineControl>, bus: Bus) {
        let _ = self.engine.set(control);
        let _ = self.bus.set(bus);
        self.stream.ensure_relay(self);
    }

    /// Lets `/api/v1/log` read and change log levels. Set once.
    pub fn attach_log_control(&self, control: Arc<dyn LogLevelControl>) {
        let _ = self.log.set(control);
    }

    pub fn engine(&self) -> Option<&Arc<dyn EngineControl>> {
        self.engine.get()
    }

    pub fn bus(&self) -> Option<&Bus> {
        self.bus.get()
    }

    pub fn log_control(&self) -> Option<&Arc<dyn LogLevelControl>> {
        self.log.get()
    }

    /// Writes the running configuration to the folder given by `persist_config_to` (nothing
    /// without one), as accepted API edits are: for a process that changes the running version
    /// itself (a rollback after the engine refused an edit).
    pub fn persist_config(&self) -> std::io::Result<()> {
        match self.config_dir() {
            Some(dir) => crate::routes::config::persist(self, dir),
            None => Ok(()),
        }
    }

    pub fn config_dir(&self) -> Option<&Path> {
        self.config_dir.get().map(PathBuf::as_path)
    }

    /// The running `api` section; read per request so hot-reloaded limits apply at once.
    pub fn api(&self) -> ApiConfig {
        self.config.current().config.api.clone()
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn now_secs(&self) -> i64 {
        self.clock.now().0.div_euclid(NANOS_PER_SEC)
    }

    pub fn is_revoked(&self, jti: &str) -> bool {
        self.revoked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(jti)
    }

    /// Revokes in memory first (effective at once), then durably.
    pub fn revoke(&self, jti: &str, exp: i64) -> Result<(), ServerError> {
        let now = self.now_secs();
        {
            let mut r = self.revoked.lock().unwrap_or_else(PoisonError::into_inner);
            r.retain(|_, e| *e >= now);
            r.insert(jti.to_string(), exp);
        }
        self.db.revoke(jti, exp)
    }
}
