//! `GET /api/v1/events?after=ID&limit=N`: stored events, ascending, paged by id (the same cursor
//! the SSE stream will use).

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
    let events = state.store.events_after(page.after, page.limit())?;
    let next_after = events.last().map_or(page.after, |(id, _)| *id);
    let items: Vec<Value> = events
        .into_iter()
        .map(|(id, e)| json!({"id": id, "kind": e.kind(), "event": e}))
        .collect();
    Ok(Json(json!({"events": items, "next_after": next_after})))
}
