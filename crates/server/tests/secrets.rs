//! No secret (JWT key, password, password hash, TOTP secret, tokens) ever appears in a response
//! body or in the log. Its own test binary so the log capture can be the global subscriber
//! (a scoped one misses events whose call sites another test thread registered first).

mod common;

use axum::http::Method;
use common::*;
use optifire_core::clock::Clock;
use optifire_server::auth::totp;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Collects everything the server logs, at every level.
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_in_responses_or_logs() {
    let logs = LogBuf::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let h = harness();
    let hash = h.state.db.user("alice").unwrap().unwrap().password_hash;
    let mut bodies = String::new();
    // A password typed into the user-name field must not be logged either.
    bodies += &h.login(PASSWORD, PASSWORD, LOCAL).await.text;
    bodies += &h.login("alice", "wrong-password-xyz", LOCAL).await.text;
    let (token, r) = h.token().await;
    bodies += &r.text;
    for uri in [
        "/api/v1/config",
        "/api/v1/config/versions",
        "/api/v1/flags",
        "/api/v1/plugins",
        "/api/v1/events",
        "/api/v1/audit",
        "/metrics",
        "/health",
    ] {
        bodies += &h.get(uri, &token).await.text;
    }
    let enrol = h.state.db.enroll_totp("alice", h.clock.now()).unwrap();
    let mfa = h.login("alice", PASSWORD, LOCAL).await;
    bodies += &mfa.text;
    let code = totp::code_at(&enrol.secret_base32, "alice", T0_SECS as u64).unwrap();
    let mfa_token = mfa.json()["mfa_token"].as_str().unwrap().to_string();
    bodies += &h
        .call(
            Method::POST,
            "/api/v1/auth/totp",
            &[],
            Some(json!({"token": mfa_token, "code": code})),
            LOCAL,
        )
        .await
        .text;
    bodies += &h.get("/api/v1/audit", &token).await.text;

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("login failed"),
        "the log was captured: {logged}"
    );
    for secret in [
        JWT_SECRET,
        PASSWORD,
        "wrong-password-xyz",
        hash.as_str(),
        enrol.secret_base32.as_str(),
    ] {
        assert!(!bodies.contains(secret), "a response leaked {secret:?}");
        assert!(!logged.contains(secret), "the log leaked {secret:?}");
    }
    assert!(!logged.contains(&token), "the log leaked a session token");
    assert!(!logged.contains(&mfa_token), "the log leaked an MFA token");
}
