//! Shared state of every request: the configuration manager, the store, the server's own
//! tables, the injected clock and the auth machinery (keys, limiter, revocation list).

use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::LoginLimiter;
use crate::db::ServerDb;
use crate::error::ServerError;
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
        })))
    }

    /// Makes accepted configuration edits also write `dir/config.yaml` and `dir/features.yaml`.
    /// Set once; a second call is ignored.
    pub fn persist_config_to(&self, dir: PathBuf) {
        let _ = self.config_dir.set(dir);
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
