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
