//! The router: which path goes to which handler, and which layers guard it.
//!
//! Everything under `/api/v1` except login needs a session; `/health` is open; `/metrics`
//! checks for itself (see `routes::metrics`); the dashboard pages (`ui`) redirect to `/login`.

use crate::auth::require_auth;
use crate::routes::{
    account, audit, auth, config, events, flags, gates, health, log, metrics, orders, plugins,
    stream,
};
use crate::security;
use crate::state::AppState;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;

pub fn router(state: AppState) -> Router {
    let protected = Router::new()
        .route("/config", get(config::get).put(config::put))
        .route("/config/versions", get(config::versions))
        .route("/config/rollback", post(config::rollback))
        .route("/flags", get(flags::list))
        .route("/flags/{id}", post(flags::edit))
        .route("/plugins", get(plugins::list))
        .route("/plugins/{id}/run", post(plugins::run_now))
        .route("/orders", get(orders::list).post(orders::place))
        .route("/orders/{id}", get(orders::get))
        .route("/orders/{id}/cancel", post(orders::cancel))
        .route("/engine/gates", get(gates::get))
        .route("/engine/halt/acknowledge", post(gates::acknowledge_halt))
        .route(
            "/engine/losing-streak/reset",
            post(gates::reset_losing_streak),
        )
        .route("/positions", get(account::positions))
        .route("/account", get(account::account))
        .route("/equity", get(account::equity))
        .route("/metrics", get(account::metrics))
        .route("/log", get(log::get).put(log::put))
        .route("/stream", get(stream::stream))
        .route("/events", get(events::list))
        .route("/audit", get(audit::list))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/refresh", post(auth::refresh))
        .route_layer(from_fn_with_state(state.clone(), require_auth));
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/totp", post(auth::totp_step))
        .merge(protected);
    let app = Router::new()
        .nest("/api/v1", api)
        .route("/health", get(health::health))
        .route("/metrics", get(metrics::metrics))
        .merge(crate::ui::router(state.clone()))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .with_state(state.clone());
    match security::cors_layer(&state.api().cors_origins) {
        Some(cors) => app.layer(cors),
        None => app,
    }
}
