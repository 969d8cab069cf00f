//! `GET /api/v1/audit?after=ID&limit=N`: the audit trail, oldest first, cursor-paged.

use crate::error::ApiError;
use crate::routes::Page;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};

pub async fn list(
    State(state): State<AppState>,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let rows = state.db.audit_after(page.after, page.limit())?;
    let next_after = rows.last().map_or(page.after, |r| r.id);
    Ok(Json(json!({"entries": rows, "next_after": next_after})))
}
