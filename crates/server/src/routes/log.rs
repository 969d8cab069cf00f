//! `GET/PUT /api/v1/log`: the running log filter, and one module's level changed at run time
//! (`ux_log_level_ctrl`). 409 when the binary did not hand over a reload handle.

use crate::audit::noted;
use crate::error::ApiError;
use crate::log_level::{valid_module, with_module_level, LogLevelControl, LEVELS};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelEdit {
    /// A module path (`optifire_engine::exec`); absent: the default level.
    pub module: Option<String>,
    pub level: String,
}

fn control(state: &AppState) -> Result<Arc<dyn LogLevelControl>, ApiError> {
    state.log_control().cloned().ok_or_else(|| {
        ApiError::Conflict("log levels cannot be changed in this process (no reload handle)".into())
    })
}

pub async fn get(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let c = control(&state)?;
    Ok(Json(json!({"directives": c.current(), "levels": LEVELS})))
}

/// Applies one edit; returns the running directives afterwards.
pub fn apply(state: &AppState, edit: &LevelEdit) -> Result<String, ApiError> {
    let c = control(state)?;
    let level = edit.level.trim().to_ascii_lowercase();
    if !LEVELS.contains(&level.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "level must be one of {}",
            LEVELS.join(", ")
        )));
    }
    let module = edit
        .module
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    if let Some(m) = module {
        if !valid_module(m) {
            return Err(ApiError::BadRequest(format!("invalid module path {m:?}")));
        }
    }
    let next = with_module_level(&c.current(), module, &level);
    c.set(&next).map_err(ApiError::BadRequest)?;
    // The filter's own rendering (it orders directives by specificity).
    let now = c.current();
    tracing::info!(directives = %now, "log levels changed");
    Ok(now)
}

pub async fn put(State(state): State<AppState>, Json(edit): Json<LevelEdit>) -> Response {
    let what = format!(
        "{}={}",
        edit.module.as_deref().unwrap_or("<default>"),
        edit.level
    );
    match apply(&state, &edit) {
        Ok(d) => noted(Json(json!({"directives": d})), "log.level", Some(what)),
        Err(e) => noted(e, "log.level", Some(format!("{what} refused"))),
    }
}
