//! The running configuration: read (redacted), replace (validated fully; invalid → 422 and the
//! running one stays), version history and rollback.

use crate::audit::noted;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use optifire_core::config::{ApplyOutcome, CONFIG_FILE, FEATURES_FILE};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::Path;

/// Keys whose string values are replaced by `***` in any JSON the API returns. `config.yaml`
/// holds no credentials by design (they come from the environment), so this is a second guard.
const SECRET_KEY_PARTS: [&str; 5] = ["secret", "password", "token", "api_key", "key_id"];

pub fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                let lower = k.to_ascii_lowercase();
                // `*_env` and `*_file` name where a secret lives, not the secret.
                let names_location = lower.ends_with("_env") || lower.ends_with("_file");
                if !names_location
                    && SECRET_KEY_PARTS.iter().any(|p| lower.contains(p))
                    && val.is_string()
                {
                    *val = Value::String("***".to_string());
                } else {
                    redact(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

pub async fn get(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let set = state.config.current();
    let mut config =
        serde_json::to_value(&set.config).map_err(|e| ApiError::Internal(e.to_string()))?;
    redact(&mut config);
    let features =
        serde_json::to_value(&set.features).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(json!({
        "version": state.config.current_version(),
        "config": config,
        "features": features,
        "config_text": set.config_text,
        "features_text": set.features_text,
    })))
}

#[derive(Debug, Deserialize)]
pub struct PutBody {
    pub config_text: String,
    pub features_text: String,
}

pub async fn put(
    State(state): State<AppState>,
    Extension(user): Extension<AuthUser>,
    Json(body): Json<PutBody>,
) -> Result<Response, ApiError> {
    let source = format!("api:{}", user.username);
    let outcome = state
        .config
        .apply_texts(&body.config_text, &body.features_text, &source);
    respond(&state, outcome, "config.apply")
}

pub async fn versions(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = state
        .config
        .history()
        .list(100)
        .map_err(ApiError::Internal)?;
    let current = state.config.current_version();
    let items: Vec<Value> = list
        .iter()
        .map(|v| {
            json!({
                "version": v.version,
                "ts": v.ts,
                "summary": v.summary,
                "current": v.version == current,
            })
        })
        .collect();
    Ok(Json(json!({"current": current, "versions": items})))
}

#[derive(Debug, Deserialize)]
pub struct RollbackBody {
    pub version: i64,
}

pub async fn rollback(
    State(state): State<AppState>,
    Json(body): Json<RollbackBody>,
) -> Result<Response, ApiError> {
    respond(
        &state,
        state.config.rollback_to(body.version),
        &format!("config.rollback to v{}", body.version),
    )
}

/// 200 with the new version, or 422 with one line per problem; either way audited.
pub fn respond(
    state: &AppState,
    outcome: Result<ApplyOutcome, optifire_core::config::ConfigErrors>,
    action: &str,
) -> Result<Response, ApiError> {
    match outcome {
        Ok(ApplyOutcome::Applied { version, summary }) => {
            let persisted = state.config_dir().map(|dir| match persist(state, dir) {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(dir = %dir.display(), error = %e,
                        "configuration applied but not written back to its files");
                    false
                }
            });
            Ok(noted(
                Json(json!({
                    "status": "applied",
                    "version": version,
                    "summary": summary,
                    "persisted": persisted,
                })),
                action,
                Some(format!("v{version}: {summary}")),
            ))
        }
        Ok(ApplyOutcome::Unchanged { version }) => Ok(noted(
            Json(json!({"status": "unchanged", "version": version})),
            action,
            Some(format!("unchanged v{version}")),
        )),
        Err(errors) => Ok(noted(
            ApiError::invalid_config(&errors),
            action,
            Some(format!("rejected: {} problem(s)", errors.len())),
        )),
    }
}

/// Writes the running texts next to the old files and renames them over, so a reader (the
/// engine's watcher) never sees a half-written file.
pub(crate) fn persist(state: &AppState, dir: &Path) -> std::io::Result<()> {
    let set = state.config.current();
    for (name, text) in [
        (CONFIG_FILE, &set.config_text),
        (FEATURES_FILE, &set.features_text),
    ] {
        let tmp = dir.join(format!(".{name}.api-tmp"));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, dir.join(name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secret_looking_strings_but_not_their_locations() {
        let mut v = json!({
            "ai": {"api_key_env": "OPENAI_API_KEY", "api_key": "sk-123"},
            "system": {"secrets_file": "s.yaml", "jwt_secret": "abc"},
            "list": [{"password": "p"}],
            "n": {"token_budget": 5},
        });
        redact(&mut v);
        assert_eq!(v["ai"]["api_key_env"], "OPENAI_API_KEY");
        assert_eq!(v["ai"]["api_key"], "***");
        assert_eq!(v["system"]["secrets_file"], "s.yaml");
        assert_eq!(v["system"]["jwt_secret"], "***");
        assert_eq!(v["list"][0]["password"], "***");
        assert_eq!(v["n"]["token_budget"], 5);
    }
}
