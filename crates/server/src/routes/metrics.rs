//! `GET /metrics` in the Prometheus text format (version 0.0.4).
//!
//! Access: a valid login is required unless `api.metrics_public` is true (then anyone who can
//! reach the port may scrape; keep it on a private network). Run counts and CPU come from the
//! store's `plugin_runs` (within its retention), so they survive restarts.

use crate::auth::authenticate;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use std::fmt::Write;

pub async fn metrics(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !state.api().metrics_public {
        authenticate(&state, &headers, &method)?;
    }
    let stats = state.db.plugin_run_stats()?;
    let events = state.db.events_total()?;
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(
        out,
        "# HELP optifire_plugin_runs_total Plugin runs recorded in the store, by outcome."
    );
    let _ = writeln!(out, "# TYPE optifire_plugin_runs_total counter");
    for s in &stats {
        let _ = writeln!(
            out,
            "optifire_plugin_runs_total{{plugin=\"{}\",status=\"{}\"}} {}",
            label(&s.plugin_id),
            label(&s.status),
            s.runs
        );
    }
    let _ = writeln!(
        out,
        "# HELP optifire_plugin_cpu_seconds_total CPU time of recorded plugin runs."
    );
    let _ = writeln!(out, "# TYPE optifire_plugin_cpu_seconds_total counter");
    let mut cpu: std::collections::BTreeMap<&str, f64> = Default::default();
    for s in &stats {
        *cpu.entry(&s.plugin_id).or_default() += s.cpu_ms;
    }
    for (id, ms) in cpu {
        let _ = writeln!(
            out,
            "optifire_plugin_cpu_seconds_total{{plugin=\"{}\"}} {}",
            label(id),
            ms / 1000.0
        );
    }
    let _ = writeln!(
        out,
        "# HELP optifire_events_total Events appended to the store."
    );
    let _ = writeln!(out, "# TYPE optifire_events_total counter");
    let _ = writeln!(out, "optifire_events_total {events}");
    let _ = writeln!(
        out,
        "# HELP optifire_sse_clients Connected live-stream (SSE) clients."
    );
    let _ = writeln!(out, "# TYPE optifire_sse_clients gauge");
    let _ = writeln!(out, "optifire_sse_clients {}", state.stream.clients());
    let _ = writeln!(
        out,
        "# HELP optifire_sse_dropped_total Stream clients dropped for falling behind."
    );
    let _ = writeln!(out, "# TYPE optifire_sse_dropped_total counter");
    let _ = writeln!(out, "optifire_sse_dropped_total {}", state.stream.dropped());
    if let Some(rss) = process_rss_bytes() {
        let _ = writeln!(
            out,
            "# HELP process_resident_memory_bytes Resident memory size in bytes."
        );
        let _ = writeln!(out, "# TYPE process_resident_memory_bytes gauge");
        let _ = writeln!(out, "process_resident_memory_bytes {rss}");
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

/// Escapes a label value as the exposition format requires.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `VmRSS` from /proc/self/status (Linux); `None` elsewhere.
fn process_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_escaping_follows_the_exposition_format() {
        assert_eq!(label(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(label("x\ny"), "x\\ny");
    }
}
