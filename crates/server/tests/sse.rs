//! The live stream: auth, events with ids, resume from Last-Event-ID, and a slow client being
//! dropped instead of buffered.

mod common;

use axum::body::Body;
use axum::http::StatusCode;
use common::*;
use http_body_util::BodyExt;
use optifire_core::bus::Bus;
use optifire_core::event::{Event, Severity};
use optifire_core::Timestamp;
use optifire_server::stream::CLIENT_BUFFER;
use std::time::Duration;

fn alert(i: i64) -> Event {
    Event::Alert {
        ts: Timestamp::from_secs(T0_SECS + i),
        source: "test".into(),
        severity: Severity::Warning,
        message: format!("alert number {i}"),
    }
}

/// Reads frames until `until` holds for the text so far; fails after `limit` (a deadline for a
/// broken stream, not a timing assertion).
async fn read_until(body: &mut Body, text: &mut String, until: impl Fn(&str) -> bool) {
    let limit = Duration::from_secs(10);
    let deadline = tokio::time::Instant::now() + limit;
    while !until(text) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, body.frame()).await {
            Ok(Some(Ok(f))) => {
                if let Ok(d) = f.into_data() {
                    text.push_str(std::str::from_utf8(&d).unwrap());
                }
            }
            Ok(None) => return,
            Ok(Some(Err(e))) => panic!("stream error: {e}"),
            Err(_) => panic!("stream did not deliver in time; got:\n{text}"),
        }
    }
}

/// Waits until the relay has moved `n` events into the hub.
async fn relayed(h: &Harness, n: usize) -> i64 {
    for _ in 0..1000 {
        let (optifire_server::stream::Backlog::Items(v) | optifire_server::stream::Backlog::Gap(v)) =
            h.state.stream.backlog_after(0);
        if v.len() >= n {
            return v[n - 1].id;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("relay did not forward {n} events");
}

fn ids(text: &str) -> Vec<i64> {
    text.lines()
        .filter_map(|l| l.strip_prefix("id: ").or_else(|| l.strip_prefix("id:")))
        .map(|v| v.trim().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn stream_needs_a_session() {
    let h = harness();
    let r = h.open("/api/v1/stream", &[]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_client_receives_published_events_with_ids_and_resumes() {
    let h = harness();
    let (_engine, bus): (_, Bus) = attach_fake(&h, 64);
    let (t, _) = h.token().await;
    let auth = format!("Bearer {t}");
    let resp = h.open("/api/v1/stream", &[("authorization", &auth)]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let mut text = String::new();
    read_until(&mut body, &mut text, |t| t.contains("event: ready")).await;
    for i in 1..=3 {
        bus.publish(alert(i));
    }
    // Bars are not streamed; they would flood a page.
    bus.publish(Event::Bar(optifire_core::domain::Bar {
        symbol: "SPY".into(),
        ts: Timestamp::from_secs(T0_SECS),
        open: 1.0,
        high: 1.0,
        low: 1.0,
        close: 1.0,
        volume: 1.0,
    }));
    read_until(&mut body, &mut text, |t| t.contains("alert number 3")).await;
    let got = ids(&text);
    assert_eq!(got.len(), 3, "{text}");
    assert!(
        got.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive ids: {got:?}"
    );
    assert!(text.contains("event: alert"));
    assert!(text.contains("\"message\":\"alert number 1\""));
    drop(body);

    // Resume after the first: the second and third come from the ring, in order, then live.
    let last = got[0].to_string();
    let resp = h
        .open(
            "/api/v1/stream",
            &[("authorization", &auth), ("last-event-id", &last)],
        )
        .await;
    let mut body = resp.into_body();
    let mut text = String::new();
    read_until(&mut body, &mut text, |t| t.contains("alert number 3")).await;
    assert_eq!(ids(&text), vec![got[1], got[2]], "{text}");
    assert!(!text.contains("alert number 1"));
    bus.publish(alert(4));
    read_until(&mut body, &mut text, |t| t.contains("alert number 4")).await;
    assert_eq!(ids(&text).last(), Some(&(got[2] + 1)));

    // An id the ring no longer holds (or from an earlier process) is a reset, not silence.
    let resp = h
        .open(
            "/api/v1/stream",
            &[("authorization", &auth), ("last-event-id", "5")],
        )
        .await;
    let mut body = resp.into_body();
    let mut text = String::new();
    read_until(&mut body, &mut text, |t| t.contains("alert number 4")).await;
    assert!(text.contains("event: reset"), "{text}");
}

#[tokio::test]
async fn a_slow_client_is_dropped_not_buffered() {
    let h = harness();
    // The bus holds everything the test publishes, so only the client can fall behind.
    let (_engine, bus) = attach_fake(&h, 4 * CLIENT_BUFFER);
    let (t, _) = h.token().await;
    let auth = format!("Bearer {t}");
    let fast = h.open("/api/v1/stream", &[("authorization", &auth)]).await;
    let slow = h.open("/api/v1/stream", &[("authorization", &auth)]).await;
    assert_eq!(h.state.stream.clients(), 2);
    let mut fast = fast.into_body();
    let mut fast_text = String::new();
    let n = CLIENT_BUFFER + 50;
    for i in 1..=n as i64 {
        bus.publish(alert(i));
        if i % 16 == 0 {
            // The fast client keeps reading; the slow one never reads.
            read_until(&mut fast, &mut fast_text, |t| {
                t.contains(&format!("alert number {i}\""))
            })
            .await;
        }
    }
    relayed(&h, n).await;
    read_until(&mut fast, &mut fast_text, |t| {
        t.contains(&format!("alert number {n}\""))
    })
    .await;
    assert_eq!(ids(&fast_text).len(), n, "the fast client got every event");

    // The slow client's stream: its greeting, then `dropped`, then the end of the body.
    let mut slow = slow.into_body();
    let mut slow_text = String::new();
    read_until(&mut slow, &mut slow_text, |_| false).await;
    assert!(slow_text.contains("event: dropped"), "{slow_text}");
    assert!(
        ids(&slow_text).is_empty(),
        "nothing buffered for it: {slow_text}"
    );
    assert_eq!(h.state.stream.dropped(), 1);
    drop(slow);
    assert_eq!(h.state.stream.clients(), 1, "the dropped client is gone");
    drop(fast);
    assert_eq!(h.state.stream.clients(), 0);
}

#[tokio::test]
async fn serve_mode_tails_the_store_events() {
    use optifire_core::store::Store;
    let h = harness();
    let (t, _) = h.token().await;
    let auth = format!("Bearer {t}");
    // Stored before the client connected: not replayed (the API pages through history).
    h.store
        .append_event(Timestamp::from_secs(T0_SECS), &alert(1))
        .unwrap();
    let resp = h.open("/api/v1/stream", &[("authorization", &auth)]).await;
    let mut body = resp.into_body();
    let mut text = String::new();
    read_until(&mut body, &mut text, |t| t.contains("event: ready")).await;
    h.store
        .append_event(Timestamp::from_secs(T0_SECS + 1), &alert(2))
        .unwrap();
    read_until(&mut body, &mut text, |t| t.contains("alert number 2")).await;
    assert!(!text.contains("alert number 1"), "{text}");
    assert_eq!(ids(&text).len(), 1);
}
