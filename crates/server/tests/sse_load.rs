//! Load test of the live stream (ignored by default; it runs for ~20 s):
//!
//! ```text
//! CARGO_TARGET_DIR=... cargo test -p optifire-server --test sse_load -- --ignored --nocapture
//! ```
//!
//! 100 SSE clients on loopback (90 reading, 10 that stop reading after the headers, with a
//! small receive buffer) while events of ~1 KB are published on the bus at a fixed rate. RSS is
//! read from /proc/self/status before the clients connect, every second while they run, and
//! after they are gone. Tunable with LOAD_CLIENTS, LOAD_STALLED, LOAD_SECS, LOAD_RATE and
//! LOAD_STALL_SECS (the write-stall timeout that closes the stalled clients' connections).

#![allow(clippy::print_stdout)] // the figures are the output

mod common;

use common::*;
use optifire_core::event::{Event, Severity};
use optifire_core::Timestamp;
use optifire_server::router;
use optifire_server::stall::{PeerAddr, StallGuardListener};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};

fn env_or(name: &str, dflt: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(dflt)
}

fn rss_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

async fn client(
    addr: SocketAddr,
    auth: String,
    stalled: bool,
    stop: Arc<AtomicBool>,
    bytes: Arc<AtomicU64>,
) {
    let sock = TcpSocket::new_v4().unwrap();
    if stalled {
        sock.set_recv_buffer_size(4096).unwrap();
    }
    let mut s = sock.connect(addr).await.unwrap();
    let req = format!(
        "GET /api/v1/stream HTTP/1.1\r\nHost: localhost\r\nAuthorization: {auth}\r\nAccept: text/event-stream\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 16 * 1024];
    let n = s.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    bytes.fetch_add(n as u64, Ordering::Relaxed);
    while !stop.load(Ordering::Relaxed) {
        if stalled {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        match tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
            Ok(Err(_)) => break,
            Err(_) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test, ~20 s: cargo test -p optifire-server --test sse_load -- --ignored --nocapture"]
async fn hundred_sse_clients_memory_stays_flat() {
    let clients = env_or("LOAD_CLIENTS", 100);
    let stalled = env_or("LOAD_STALLED", 10);
    let secs = env_or("LOAD_SECS", 20);
    let rate = env_or("LOAD_RATE", 200);
    let stall_secs = env_or("LOAD_STALL_SECS", 5);
    let h = harness();
    let (_engine, bus) = attach_fake(&h, 4096);
    let (t, _) = h.token().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // As `optifire_server::serve` does, with a shorter stall timeout so the run shows it.
    let listener = StallGuardListener::new(listener, Duration::from_secs(stall_secs));
    let app = router(h.state.clone()).into_make_service_with_connect_info::<PeerAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let rss_before = rss_kb();
    let stop = Arc::new(AtomicBool::new(false));
    let bytes = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in 0..clients {
        tasks.push(tokio::spawn(client(
            addr,
            format!("Bearer {t}"),
            i < stalled,
            stop.clone(),
            bytes.clone(),
        )));
    }
    while h.state.stream.clients() < clients as usize {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let padding = "x".repeat(900);
    let start = Instant::now();
    let mut samples = Vec::new();
    let mut published = 0u64;
    for s in 0..secs {
        let second = Instant::now();
        for k in 0..rate {
            bus.publish(Event::Alert {
                ts: Timestamp::from_secs(T0_SECS + published as i64),
                source: "load".into(),
                severity: Severity::Info,
                message: format!("{s}.{k} {padding}"),
            });
            published += 1;
            if k % 20 == 19 {
                tokio::time::sleep(Duration::from_millis(1000 / (rate / 20).max(1))).await;
            }
        }
        if let Some(left) = Duration::from_secs(1).checked_sub(second.elapsed()) {
            tokio::time::sleep(left).await;
        }
        samples.push((
            s + 1,
            rss_kb(),
            h.state.stream.clients(),
            h.state.stream.dropped(),
        ));
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    for _ in 0..100 {
        if h.state.stream.clients() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rss_after = rss_kb();

    println!(
        "SSE load: {clients} clients ({stalled} stalled), {rate} events/s of ~1 KB for {secs} s"
    );
    println!(
        "published {published} events in {:.1} s; clients read {:.1} MB",
        elapsed.as_secs_f64(),
        bytes.load(Ordering::Relaxed) as f64 / 1e6
    );
    println!("RSS before clients: {rss_before} kB");
    println!("  t(s)   RSS(kB)  clients  dropped");
    for (s, rss, c, d) in &samples {
        println!("  {s:>4} {rss:>9} {c:>8} {d:>8}");
    }
    println!(
        "RSS after clients left: {rss_after} kB (clients still counted: {})",
        h.state.stream.clients()
    );
    let warm = samples[samples.len().min(3) - 1].1;
    let peak = samples.iter().map(|s| s.1).max().unwrap();
    println!(
        "growth after warm-up (t=3 s → peak): {} kB",
        peak.saturating_sub(warm)
    );
    // Flat: after the first seconds (connection set-up, allocator pools) no further growth
    // beyond a few MB, whatever the number of events published.
    assert!(
        peak.saturating_sub(warm) < 16 * 1024,
        "RSS grew by {} kB during the run",
        peak - warm
    );
}
