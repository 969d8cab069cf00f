//! The gates only a person may lift: the reconciliation halt (an unexplained difference
//! between the ledger and the broker) and the losing-streak pause. Both close the risk engine
//! to new risk on purpose, so lifting one is a deliberate act: the request must say
//! `"confirm": true` and carry a note saying why, the note is stored with the engine's
//! decision under the caller's name, and every attempt leaves an audit row.
//!
//! A lift is refused (409) when the gate is not closed: resetting a streak that has not reached
//! its limit would quietly make the next pause take longer to come.

use crate::audit::noted;
use crate::control::{EngineControl, EngineGates, HaltInfo};
use crate::error::{ApiError, NO_ENGINE};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// Longest note kept; a reason is a sentence, not a report.
pub const MAX_NOTE_CHARS: usize = 500;

/// The body of a lift request.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiftRequest {
    /// Must be `true`: the caller read what the gate protects against.
    #[serde(default)]
    pub confirm: bool,
    /// Why it is safe to resume (who checked what); stored with the decision.
    #[serde(default)]
    pub note: String,
}

/// Checks the request and returns the note to store: `"{username}: {note}"`.
pub fn checked_note(req: &LiftRequest, username: &str) -> Result<String, ApiError> {
    if !req.confirm {
        return Err(ApiError::BadRequest(
            "confirmation required: send \"confirm\": true to lift the gate".into(),
        ));
    }
    let note = req.note.trim();
    if note.is_empty() {
        return Err(ApiError::BadRequest(
            "a note is required: say why it is safe to resume (it is stored with the decision)"
                .into(),
        ));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::BadRequest(format!(
            "the note is longer than {MAX_NOTE_CHARS} characters"
        )));
    }
    if note.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "the note must be one line of text (no control characters)".into(),
        ));
    }
    Ok(format!("{username}: {note}"))
}

fn engine(state: &AppState) -> Result<Arc<dyn EngineControl>, ApiError> {
    state
        .engine()
        .cloned()
        .ok_or_else(|| ApiError::Conflict(NO_ENGINE.into()))
}

/// Runs `f` on the engine from a blocking thread (the engine answers between its cycles).
async fn on_engine<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn EngineControl) -> Result<T, crate::control::ControlError> + Send + 'static,
) -> Result<T, ApiError> {
    let engine = engine(state)?;
    tokio::task::spawn_blocking(move || f(engine.as_ref()))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)
}

pub async fn current(state: &AppState) -> Result<EngineGates, ApiError> {
    on_engine(state, |e| e.gates()).await
}

/// Lifts the reconciliation halt after the checks above; answers the halt lifted.
pub async fn acknowledge(
    state: &AppState,
    req: &LiftRequest,
    username: &str,
) -> Result<HaltInfo, ApiError> {
    let note = checked_note(req, username)?;
    if current(state).await?.halt.is_none() {
        return Err(ApiError::Conflict(
            "no reconciliation halt is in force; nothing to acknowledge".into(),
        ));
    }
    on_engine(state, move |e| e.acknowledge_halt(&note))
        .await?
        // Lifted by someone else between the two calls: nothing was done by this one.
        .ok_or_else(|| ApiError::Conflict("the halt was lifted before this request".into()))
}

/// Resets the losing streak after the checks above; answers the streak cleared.
pub async fn reset_streak(
    state: &AppState,
    req: &LiftRequest,
    username: &str,
) -> Result<u32, ApiError> {
    let note = checked_note(req, username)?;
    let gates = current(state).await?;
    if !gates.streak_paused() {
        return Err(ApiError::Conflict(format!(
            "the losing-streak pause is not in force ({} losing trade(s) in a row, limit {}); \
             nothing to reset",
            gates.losing_streak, gates.max_losing_streak
        )));
    }
    on_engine(state, move |e| e.reset_losing_streak(&note)).await
}

pub async fn get(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let gates = current(&state).await?;
    let paused = gates.streak_paused();
    Ok(Json(
        json!({"gates": gates, "losing_streak_paused": paused}),
    ))
}

pub async fn acknowledge_halt(
    State(state): State<AppState>,
    Extension(user): Extension<crate::auth::AuthUser>,
    Json(req): Json<LiftRequest>,
) -> Response {
    match acknowledge(&state, &req, &user.username).await {
        Ok(halt) => {
            let detail = format!("lifted the halt of {}: {}", halt.since, req.note.trim());
            noted(
                Json(json!({"lifted": halt})),
                "engine.halt.ack",
                Some(detail),
            )
        }
        Err(e) => {
            let detail = e.to_string();
            noted(e, "engine.halt.ack", Some(detail))
        }
    }
}

pub async fn reset_losing_streak(
    State(state): State<AppState>,
    Extension(user): Extension<crate::auth::AuthUser>,
    Json(req): Json<LiftRequest>,
) -> Response {
    match reset_streak(&state, &req, &user.username).await {
        Ok(cleared) => {
            let detail = format!("cleared a streak of {cleared}: {}", req.note.trim());
            noted(
                Json(json!({"cleared": cleared})),
                "engine.streak.reset",
                Some(detail),
            )
        }
        Err(e) => {
            let detail = e.to_string();
            noted(e, "engine.streak.reset", Some(detail))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(confirm: bool, note: &str) -> LiftRequest {
        LiftRequest {
            confirm,
            note: note.into(),
        }
    }

    #[test]
    fn a_lift_needs_confirmation_and_a_one_line_note() {
        assert!(matches!(
            checked_note(&req(false, "checked"), "alice"),
            Err(ApiError::BadRequest(m)) if m.contains("confirm")
        ));
        assert!(matches!(
            checked_note(&req(true, "   "), "alice"),
            Err(ApiError::BadRequest(m)) if m.contains("note is required")
        ));
        assert!(matches!(
            checked_note(&req(true, "a\nb"), "alice"),
            Err(ApiError::BadRequest(_))
        ));
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        assert!(checked_note(&req(true, &long), "alice").is_err());
        assert_eq!(
            checked_note(&req(true, "  positions match the broker "), "alice").unwrap(),
            "alice: positions match the broker"
        );
    }
}
