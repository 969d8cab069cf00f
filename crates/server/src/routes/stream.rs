//! `GET /api/v1/stream`: Server-Sent Events for the dashboard (`ux_ws_pnl_sse`).
//!
//! Each event carries `id:` (for Last-Event-ID resume), `event:` (its kind: equity, positions,
//! fill, order, risk, plugin_run, alert, health, config_changed) and one JSON `data:` line.
//! A keep-alive comment goes out every 15 s. A client more than `CLIENT_BUFFER` events behind
//! gets a final `dropped` event and is disconnected (its browser reconnects and resumes).

use crate::error::ApiError;
use crate::state::AppState;
use crate::stream::{Backlog, ClientGuard, StreamItem};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use serde_json::json;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};

pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `?last_event_id=N` for clients that cannot set the header on their first connection.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct StreamQuery {
    pub last_event_id: Option<i64>,
}

pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Response, ApiError> {
    let last = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or_else(|| ApiError::BadRequest("Last-Event-ID must be an integer".into()))?,
        ),
        None => q.last_event_id,
    };
    state.stream.ensure_relay(&state);
    let s = client_stream(&state, last);
    Ok(Sse::new(s)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
        .into_response())
}

struct Client {
    queued: VecDeque<SseEvent>,
    rx: broadcast::Receiver<Arc<StreamItem>>,
    last_sent: i64,
    state: AppState,
    done: bool,
    _guard: ClientGuard,
}

fn to_sse(item: &StreamItem) -> SseEvent {
    SseEvent::default()
        .id(item.id.to_string())
        .event(item.kind.as_str())
        .data(item.data.as_str())
}

/// Subscribes first, then reads the ring, so no event falls between the two; duplicates are
/// skipped by id.
fn client_stream(
    state: &AppState,
    last: Option<i64>,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let rx = state.stream.subscribe();
    let mut queued = VecDeque::new();
    let mut last_sent = i64::MIN;
    if let Some(last) = last {
        last_sent = last;
        let items = match state.stream.backlog_after(last) {
            Backlog::Items(items) => items,
            Backlog::Gap(items) => {
                let msg = json!({
                    "reason": "events after your Last-Event-ID are no longer held; reload the view",
                    "last_event_id": last,
                });
                queued.push_back(SseEvent::default().event("reset").data(msg.to_string()));
                items
            }
        };
        for i in items {
            last_sent = last_sent.max(i.id);
            queued.push_back(to_sse(&i));
        }
    }
    let ready = json!({"newest_id": state.stream.newest_id()});
    queued.push_front(SseEvent::default().event("ready").data(ready.to_string()));
    let client = Client {
        queued,
        rx,
        last_sent,
        state: state.clone(),
        done: false,
        _guard: ClientGuard::new(state),
    };
    stream::unfold(client, |mut c| async move {
        if let Some(e) = c.queued.pop_front() {
            return Some((Ok::<_, Infallible>(e), c));
        }
        if c.done {
            return None;
        }
        loop {
            match c.rx.recv().await {
                Ok(item) if item.id <= c.last_sent => continue,
                Ok(item) => {
                    c.last_sent = item.id;
                    let e = to_sse(&item);
                    return Some((Ok(e), c));
                }
                Err(RecvError::Lagged(n)) => {
                    c.state.stream.note_dropped();
                    tracing::warn!(missed = n, "SSE client too slow; dropped");
                    c.done = true;
                    let msg = json!({
                        "reason": "client too slow; reconnect with Last-Event-ID to resume",
                        "missed": n,
                        "last_event_id": c.last_sent,
                    });
                    let e = SseEvent::default().event("dropped").data(msg.to_string());
                    return Some((Ok(e), c));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
