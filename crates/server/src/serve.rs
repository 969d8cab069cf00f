//! Start-up: build the state from a config directory and an existing store, bind (loopback
//! unless configured otherwise), and serve until Ctrl-C.

use crate::app::router;
use crate::db::ServerDb;
use crate::error::ServerError;
use crate::log_level::LogLevelControl;
use crate::stall::{PeerAddr, StallGuardListener, WRITE_STALL_TIMEOUT};
use crate::state::AppState;
use optifire_core::bus::Bus;
use optifire_core::clock::{Clock, RealClock};
use optifire_core::config::{
    load_dir, ApiConfig, ConfigHistory, ConfigManager, PluginCatalog, Secrets,
};
use optifire_core::plugin::Registry;
use optifire_core::store::{SqliteStore, Store};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;

/// `api.host:api.port`. A non-loopback address without a declared TLS proxy is allowed but
/// logged as a warning: tokens and passwords would cross the network in clear text.
pub fn bind_address(api: &ApiConfig) -> Result<SocketAddr, ServerError> {
    let ip: IpAddr = api
        .host
        .parse()
        .map_err(|_| ServerError::BadAddress(api.host.clone()))?;
    if !ip.is_loopback() && !api.tls_proxy {
        tracing::warn!(
            host = %api.host,
            "binding a non-loopback address without api.tls_proxy: put a TLS proxy in front"
        );
    }
    Ok(SocketAddr::new(ip, api.port))
}

/// Serves `state` on `listener` until Ctrl-C. Connections whose peer stops reading are closed
/// after `stall::WRITE_STALL_TIMEOUT` (a stalled stream client would otherwise stay forever).
pub async fn serve(state: AppState, listener: TcpListener) -> Result<(), ServerError> {
    let listener = StallGuardListener::new(listener, WRITE_STALL_TIMEOUT);
    let app = router(state).into_make_service_with_connect_info::<PeerAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// `optifire serve`: loads `config_dir`, opens the store at `db_path` (migrating it), takes the
/// JWT secret from the environment or secrets file (via `env`), and serves. The engine is not
/// run here; the API views what the store holds.
pub fn serve_blocking(
    config_dir: &Path,
    db_path: &Path,
    registry: Registry,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ServerError> {
    serve_blocking_with_log(config_dir, db_path, registry, env, None)
}

/// `serve_blocking` with the process's log reload handle, so `/api/v1/log` and the
/// Diagnostics tab can change log levels at run time.
pub fn serve_blocking_with_log(
    config_dir: &Path,
    db_path: &Path,
    registry: Registry,
    env: &dyn Fn(&str) -> Option<String>,
    log: Option<Arc<dyn LogLevelControl>>,
) -> Result<(), ServerError> {
    let set = load_dir(config_dir, &registry)?;
    let secrets = Secrets::resolve(&set.config, config_dir, env)?;
    let jwt_secret = secrets.jwt_secret.ok_or(ServerError::MissingJwtSecret)?;
    let addr = bind_address(&set.config.api)?;
    let store = Arc::new(SqliteStore::open(db_path)?);
    let db = Arc::new(ServerDb::open(db_path)?);
    let registry = Arc::new(registry);
    let clock: Arc<dyn Clock> = Arc::new(RealClock);
    let bus = Bus::new(set.config.system.bus_capacity);
    let catalog: Arc<dyn PluginCatalog> = registry.clone();
    let history: Arc<dyn ConfigHistory> = store.clone();
    let manager = Arc::new(ConfigManager::new(
        set,
        catalog,
        history,
        Arc::clone(&clock),
        bus,
    )?);
    let store: Arc<dyn Store> = store;
    let state = AppState::new(manager, store, db, clock, registry, &jwt_secret)?;
    state.persist_config_to(config_dir.to_path_buf());
    if let Some(log) = log {
        state.attach_log_control(log);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind(addr).await?;
        tracing::info!(%addr, "optifire API listening");
        serve(state, listener).await
    })
}
