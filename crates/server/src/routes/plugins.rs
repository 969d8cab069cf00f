//! `GET /api/v1/plugins`: every catalogue plugin with its implementation metadata, flags, runtime
//! state (disabled after budget breaches, and why) and last run.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let set = state.config.current();
    let states: BTreeMap<String, _> = state
        .store
        .plugin_states()?
        .into_iter()
        .map(|s| (s.plugin_id.clone(), s))
        .collect();
    let mut items = Vec::new();
    for e in state.registry.entries() {
        let id = e.catalogue.id;
        let last_run = state.store.plugin_runs(Some(id), 1)?.into_iter().next();
        let flags = set.features.plugins.get(id);
        let (meta, plan) = match &e.implementation {
            Some((m, p)) => (Some(m), Some(p)),
            None => (None, None),
        };
        items.push(json!({
            "id": id,
            "category": e.catalogue.category.as_str(),
            "summary": e.catalogue.summary,
            "implemented": e.implementation.is_some(),
            "meta": meta,
            "plan": plan,
            "enabled": flags.is_some_and(|f| f.enabled),
            "schedule": flags.map(|f| f.schedule.clone()),
            "state": states.get(id),
            "last_run": last_run,
        }));
    }
    Ok(Json(json!({"plugins": items})))
}

/// `POST /api/v1/plugins/{id}/run`: runs one plugin now through the attached engine (409 in
/// `optifire serve`); answers with the run as the runtime measured it.
pub async fn run_now(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> axum::response::Response {
    let result = run_plugin(&state, &id).await;
    match result {
        Ok(run) => {
            let detail = format!("{id} → {}", run.status.as_str());
            crate::audit::noted(Json(json!({"run": run})), "plugin.run", Some(detail))
        }
        Err(e) => {
            let detail = format!("{id} → {e}");
            crate::audit::noted(e, "plugin.run", Some(detail))
        }
    }
}

pub async fn run_plugin(
    state: &AppState,
    id: &str,
) -> Result<optifire_core::event::PluginRunRecord, ApiError> {
    if state.registry.status(id) == optifire_core::plugin::Availability::Unknown {
        return Err(ApiError::NotFound(format!("plugin {id}")));
    }
    let engine = state
        .engine()
        .cloned()
        .ok_or_else(|| ApiError::Conflict(crate::error::NO_ENGINE.into()))?;
    let id = id.to_string();
    tokio::task::spawn_blocking(move || engine.run_plugin(&id))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)
}
