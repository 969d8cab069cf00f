//! `GET /health`: liveness plus store reachability, for load balancers and systemd; no auth and
//! nothing private in the answer.

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store_ok = state.store.config_versions(1).is_ok() && state.db.ping().is_ok();
    if store_ok {
        (StatusCode::OK, Json(json!({"status": "ok", "store": "ok"})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "degraded", "store": "unreachable"})),
        )
    }
}
