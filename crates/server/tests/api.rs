//! End-to-end behaviour of the HTTP API through the real router (tower `oneshot`, no network):
//! auth on every route, login with and without TOTP, lock-out, CSRF, config and flag edits,
//! audit rows, metrics, security headers, CORS, refresh and revocation, write-back.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use optifire_core::clock::Clock;
use optifire_core::config::{ConfigSet, Secret};
use optifire_core::event::{Event, PluginRunRecord, RunStatus};
use optifire_core::store::Store;
use optifire_core::Timestamp;
use optifire_server::auth::totp;
use optifire_server::{router, AppState, ServerDb};
use serde_json::{json, Value};
use std::sync::Arc;

/// Every route except login and /health, with a method and a body it accepts.
fn protected_routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/api/v1/config", None),
        (
            Method::PUT,
            "/api/v1/config",
            Some(json!({"config_text": "", "features_text": ""})),
        ),
        (Method::GET, "/api/v1/config/versions", None),
        (
            Method::POST,
            "/api/v1/config/rollback",
            Some(json!({"version": 1})),
        ),
        (Method::GET, "/api/v1/flags", None),
        (
            Method::POST,
            "/api/v1/flags/fe_kalman",
            Some(json!({"enabled": true})),
        ),
        (Method::GET, "/api/v1/plugins", None),
        (Method::GET, "/api/v1/events", None),
        (Method::GET, "/api/v1/audit", None),
        (Method::POST, "/api/v1/auth/logout", None),
        (Method::POST, "/api/v1/auth/refresh", None),
        (Method::GET, "/metrics", None),
    ]
}

#[tokio::test]
async fn every_route_without_auth_is_401_and_health_is_open() {
    let h = harness();
    for (m, uri, body) in protected_routes() {
        let r = h.call(m.clone(), uri, &[], body.clone(), LOCAL).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{m} {uri}: {}", r.text);
        let bad = h
            .call(
                m.clone(),
                uri,
                &[("authorization", "Bearer not.a.jwt")],
                body,
                LOCAL,
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNAUTHORIZED,
            "{m} {uri} with junk token"
        );
    }
    let r = h.call(Method::GET, "/health", &[], None, LOCAL).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"status": "ok", "store": "ok"}));
}

#[tokio::test]
async fn login_good_and_bad_and_session_cookie_flags() {
    let h = harness();
    let (token, r) = h.token().await;
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["expires_at"],
        T0_SECS + 24 * 3600,
        "api.jwt_expiry_hours = 24"
    );
    let cookies = r.cookies();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("optifire_session="))
        .unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    assert!(
        !session.contains("Secure"),
        "no Secure flag without tls_proxy"
    );
    assert_eq!(h.get("/api/v1/flags", &token).await.status, StatusCode::OK);

    let wrong = h.login("alice", "wrong password!!", LOCAL).await;
    let unknown = h.login("mallory", PASSWORD, LOCAL).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.text, unknown.text,
        "unknown user and bad password look the same"
    );
    assert!(wrong.cookies().is_empty());

    // Expiry follows the injected clock.
    h.clock.advance_secs(24 * 3600);
    assert_eq!(
        h.get("/api/v1/flags", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn totp_is_required_when_enrolled_and_wrong_code_refused() {
    let h = harness();
    let enrol = h.state.db.enroll_totp("alice", h.clock.now()).unwrap();
    let r = h.login("alice", PASSWORD, LOCAL).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(body["mfa_required"], true);
    assert!(
        body.get("token").is_none() && r.cookies().is_empty(),
        "no session yet"
    );
    let mfa = body["mfa_token"].as_str().unwrap().to_string();
    // The pending token is not a session.
    assert_eq!(
        h.get("/api/v1/flags", &mfa).await.status,
        StatusCode::UNAUTHORIZED
    );

    let now = T0_SECS as u64;
    let right = totp::code_at(&enrol.secret_base32, "alice", now).unwrap();
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let bad = h
        .call(
            Method::POST,
            "/api/v1/auth/totp",
            &[],
            Some(json!({"token": mfa, "code": wrong})),
            LOCAL,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);

    let ok = h
        .call(
            Method::POST,
            "/api/v1/auth/totp",
            &[],
            Some(json!({"token": mfa, "code": right})),
            LOCAL,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let token = ok.json()["token"].as_str().unwrap().to_string();
    assert_eq!(h.get("/api/v1/flags", &token).await.status, StatusCode::OK);

    // The pending token and the code are single-use.
    let replay = h
        .call(
            Method::POST,
            "/api/v1/auth/totp",
            &[],
            Some(json!({"token": mfa, "code": right})),
            LOCAL,
        )
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rate_limit_locks_out_after_max_attempts_even_with_the_right_password() {
    let h = harness();
    let rl = h.state.api().login_rate_limit;
    let ip = [10, 0, 0, 7];
    for i in 0..rl.max_attempts {
        let r = h.login("alice", "not the password", ip).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let locked = h.login("alice", PASSWORD, ip).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers.contains_key("retry-after"));
    // The user is locked from another address too (per-user key).
    let other_ip = h.login("alice", PASSWORD, [10, 0, 0, 8]).await;
    assert_eq!(other_ip.status, StatusCode::TOO_MANY_REQUESTS);
    // After the window the right password works again.
    h.clock.advance_secs(rl.window_secs as i64);
    assert_eq!(h.login("alice", PASSWORD, ip).await.status, StatusCode::OK);
}

#[tokio::test]
async fn cookie_write_needs_csrf_header_but_bearer_does_not() {
    let h = harness();
    let (token, r) = h.token().await;
    let csrf = r.json()["csrf_token"].as_str().unwrap().to_string();
    let cookie = format!("optifire_session={token}");
    let body = json!({"enabled": false});
    let no_header = h
        .call(
            Method::POST,
            "/api/v1/flags/infra_psutil_health",
            &[("cookie", &cookie)],
            Some(body.clone()),
            LOCAL,
        )
        .await;
    assert_eq!(no_header.status, StatusCode::FORBIDDEN);
    let wrong = h
        .call(
            Method::PUT,
            "/api/v1/config",
            &[("cookie", &cookie), ("x-csrf-token", "0000")],
            Some(json!({"config_text": "", "features_text": ""})),
            LOCAL,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // A cookie GET needs no CSRF header.
    let get = h
        .call(
            Method::GET,
            "/api/v1/flags",
            &[("cookie", &cookie)],
            None,
            LOCAL,
        )
        .await;
    assert_eq!(get.status, StatusCode::OK);
    let with_header = h
        .call(
            Method::POST,
            "/api/v1/flags/infra_psutil_health",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            Some(body.clone()),
            LOCAL,
        )
        .await;
    assert_eq!(with_header.status, StatusCode::OK, "{}", with_header.text);
    let bearer = h
        .send(
            Method::POST,
            "/api/v1/flags/infra_psutil_health",
            &token,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(bearer.status, StatusCode::OK, "{}", bearer.text);
}

#[tokio::test]
async fn invalid_config_edit_is_422_and_changes_nothing() {
    let h = harness();
    let (token, _) = h.token().await;
    let before = h.get("/api/v1/config", &token).await.json();
    assert_eq!(before["config"]["api"]["port"], 8080);
    let text = before["config_text"].as_str().unwrap();
    let features = before["features_text"].as_str().unwrap();
    assert!(text.contains("port: 8080"));

    let bad = h
        .send(
            Method::PUT,
            "/api/v1/config",
            &token,
            json!({"config_text": text.replace("port: 8080", "port: not-a-port"), "features_text": features}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = bad.json()["errors"].as_array().unwrap().clone();
    assert!(
        errors
            .iter()
            .any(|e| e.as_str().unwrap().contains("api.port")),
        "{errors:?}"
    );
    let after = h.get("/api/v1/config", &token).await.json();
    assert_eq!(after["config"]["api"]["port"], 8080);
    assert_eq!(after["version"], before["version"]);

    let good = h
        .send(
            Method::PUT,
            "/api/v1/config",
            &token,
            json!({"config_text": text.replace("port: 8080", "port: 8081"), "features_text": features}),
        )
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text);
    let v2 = good.json()["version"].as_i64().unwrap();
    assert_eq!(
        h.get("/api/v1/config", &token).await.json()["config"]["api"]["port"],
        8081
    );

    // Rollback to the first version brings 8080 back as a new version.
    let v1 = before["version"].as_i64().unwrap();
    let rb = h
        .send(
            Method::POST,
            "/api/v1/config/rollback",
            &token,
            json!({"version": v1}),
        )
        .await;
    assert_eq!(rb.status, StatusCode::OK, "{}", rb.text);
    assert!(rb.json()["version"].as_i64().unwrap() > v2);
    assert_eq!(
        h.get("/api/v1/config", &token).await.json()["config"]["api"]["port"],
        8080
    );
    let versions = h.get("/api/v1/config/versions", &token).await.json();
    assert_eq!(versions["versions"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn disabling_a_plugin_an_enabled_plugin_reads_is_422_at_its_line() {
    let h = harness();
    let (token, _) = h.token().await;
    let before = h.state.config.current_version();
    let r = h
        .send(
            Method::POST,
            "/api/v1/flags/fe_kalman",
            &token,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Line 121 of configs/features.yaml is fe_kalman's `enabled: true` (read off the file).
    assert_eq!(
        r.json()["errors"],
        json!([
            "features.yaml:121:5: plugins.fe_kalman.enabled: alpha_cross_asset_corr is \
                enabled and reads fe_kalman's outputs in the same cycle, so fe_kalman must be \
                enabled too (enable fe_kalman or disable alpha_cross_asset_corr)"
        ])
    );
    assert_eq!(h.state.config.current_version(), before, "nothing changed");
    assert!(h.state.config.current().features.plugins["fe_kalman"].enabled);
}

#[tokio::test]
async fn enabling_an_unimplemented_plugin_is_422() {
    let h = harness();
    let (token, _) = h.token().await;
    let unimplemented = h
        .state
        .registry
        .entries()
        .into_iter()
        .find(|e| e.implementation.is_none())
        .unwrap()
        .catalogue
        .id;
    let r = h
        .send(
            Method::POST,
            &format!("/api/v1/flags/{unimplemented}"),
            &token,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains(unimplemented));
    let flags = h.get("/api/v1/flags", &token).await.json();
    let flag = flags["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == unimplemented)
        .unwrap()
        .clone();
    assert_eq!(flag["enabled"], false);
    assert_eq!(flag["availability"], "not implemented");

    let unknown = h
        .send(
            Method::POST,
            "/api/v1/flags/no_such_plugin",
            &token,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn audit_rows_for_logins_and_writes() {
    let h = harness();
    let _ = h.login("alice", "bad password!!", [192, 168, 1, 9]).await;
    let (token, _) = h.token().await;
    let _ = h
        .send(
            Method::POST,
            "/api/v1/flags/fe_kalman",
            &token,
            json!({"schedule": "@open"}),
        )
        .await;
    let _ = h
        .send(Method::POST, "/api/v1/auth/logout", &token, json!({}))
        .await;
    // The token is revoked now; log in again to read the trail.
    assert_eq!(
        h.get("/api/v1/audit", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let (token2, _) = h.token().await;
    let audit = h.get("/api/v1/audit", &token2).await.json();
    let rows = audit["entries"].as_array().unwrap();
    let summary: Vec<(Value, Value, Value, Value)> = rows
        .iter()
        .map(|r| {
            (
                r["username"].clone(),
                r["ip"].clone(),
                r["action"].clone(),
                r["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                Value::Null,
                json!("192.168.1.9"),
                json!("login.failed"),
                json!(401)
            ),
            (
                json!("alice"),
                json!("127.0.0.1"),
                json!("login"),
                json!(200)
            ),
            (
                json!("alice"),
                json!("127.0.0.1"),
                json!("flags.edit fe_kalman"),
                json!(200)
            ),
            (
                json!("alice"),
                json!("127.0.0.1"),
                json!("logout"),
                json!(200)
            ),
            (
                json!("alice"),
                json!("127.0.0.1"),
                json!("login"),
                json!(200)
            ),
        ]
    );
    assert_eq!(rows[2]["path"], "/api/v1/flags/fe_kalman");
    // A refused write (no token) is recorded too, without a user.
    let _ = h
        .call(
            Method::POST,
            "/api/v1/config/rollback",
            &[],
            Some(json!({"version": 1})),
            [10, 9, 8, 7],
        )
        .await;
    let last = h.get("/api/v1/audit?after=5", &token2).await.json();
    let row = &last["entries"][0];
    assert_eq!(
        (
            &row["username"],
            &row["ip"],
            &row["action"],
            &row["status"],
            &row["path"]
        ),
        (
            &Value::Null,
            &json!("10.9.8.7"),
            &json!("refused"),
            &json!(401),
            &json!("/api/v1/config/rollback")
        )
    );
    assert_eq!(rows[2]["ts"], json!(T0_SECS * 1_000_000_000));
}

#[tokio::test]
async fn plugins_events_and_metrics() {
    let h = harness();
    let (token, _) = h.token().await;
    let t = Timestamp::from_secs(T0_SECS);
    for (cpu, status) in [
        (2.0, RunStatus::Ok),
        (3.5, RunStatus::Ok),
        (1.0, RunStatus::Error),
    ] {
        h.store
            .record_plugin_run(&PluginRunRecord {
                plugin_id: "fe_kalman".into(),
                started_at: t,
                cpu_ms: cpu,
                wall_ms: cpu,
                mem_bytes: None,
                status,
                outputs: 1,
                message: None,
                over_budget: false,
            })
            .unwrap();
    }
    for i in 0..3 {
        h.store
            .append_event(
                t,
                &Event::Alert {
                    ts: t,
                    source: "test".into(),
                    severity: optifire_core::event::Severity::Info,
                    message: format!("alert {i}"),
                },
            )
            .unwrap();
    }
    let plugins = h.get("/api/v1/plugins", &token).await.json();
    let kalman = plugins["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "fe_kalman")
        .unwrap()
        .clone();
    assert_eq!(kalman["implemented"], true);
    assert_eq!(kalman["last_run"]["plugin_id"], "fe_kalman");

    let page1 = h.get("/api/v1/events?after=0&limit=2", &token).await.json();
    assert_eq!(page1["events"].as_array().unwrap().len(), 2);
    let next = page1["next_after"].as_i64().unwrap();
    let page2 = h
        .get(&format!("/api/v1/events?after={next}&limit=2"), &token)
        .await
        .json();
    let rest = page2["events"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["kind"], "alert");

    let m = h.get("/metrics", &token).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m
        .text
        .contains("optifire_plugin_runs_total{plugin=\"fe_kalman\",status=\"ok\"} 2\n"));
    assert!(m
        .text
        .contains("optifire_plugin_runs_total{plugin=\"fe_kalman\",status=\"error\"} 1\n"));
    // (2.0 + 3.5 + 1.0) ms = 0.0065 s
    assert!(m
        .text
        .contains("optifire_plugin_cpu_seconds_total{plugin=\"fe_kalman\"} 0.0065\n"));
    assert!(m.text.contains("\noptifire_events_total 3\n"), "{}", m.text);
    assert!(m.text.contains("\nprocess_resident_memory_bytes "));
}

#[tokio::test]
async fn security_headers_present() {
    let h = harness();
    let r = h.call(Method::GET, "/health", &[], None, LOCAL).await;
    assert_eq!(
        r.headers["content-security-policy"],
        "default-src 'self'; frame-ancestors 'none'"
    );
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["x-frame-options"], "DENY");
    assert_eq!(r.headers["referrer-policy"], "no-referrer");
    assert!(
        !r.headers.contains_key("strict-transport-security"),
        "no HSTS without tls_proxy"
    );
    assert!(
        !r.headers.contains_key("access-control-allow-origin"),
        "CORS off by default"
    );
}

#[tokio::test]
async fn behind_tls_proxy_cookies_are_secure_hsts_is_sent_and_forwarded_ip_is_audited() {
    let h = harness_with(|c| c.replace("tls_proxy: false", "tls_proxy: true"));
    assert!(h.state.api().tls_proxy);
    let r = h
        .call(
            Method::POST,
            "/api/v1/auth/login",
            // The client-supplied first entry is ignored; the proxy appended the last one.
            &[("x-forwarded-for", "6.6.6.6, 203.0.113.5")],
            Some(json!({"username": "alice", "password": PASSWORD})),
            LOCAL,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.cookies().iter().all(|c| c.contains("; Secure")),
        "{:?}",
        r.cookies()
    );
    assert_eq!(
        r.headers["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let token = r.json()["token"].as_str().unwrap().to_string();
    let audit = h.get("/api/v1/audit", &token).await.json();
    assert_eq!(audit["entries"][0]["ip"], "203.0.113.5");
}

#[tokio::test]
async fn cors_only_for_configured_origins() {
    let h = harness_with(|c| {
        c.replace(
            "cors_origins: []",
            "cors_origins: [\"https://dash.example.org\"]",
        )
    });
    let pre = |origin: &'static str| {
        let h = &h;
        async move {
            h.call(
                Method::OPTIONS,
                "/api/v1/config",
                &[("origin", origin), ("access-control-request-method", "PUT")],
                None,
                LOCAL,
            )
            .await
        }
    };
    let ok = pre("https://dash.example.org").await;
    assert_eq!(
        ok.headers["access-control-allow-origin"],
        "https://dash.example.org"
    );
    let other = pre("https://evil.example.com").await;
    assert!(!other.headers.contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn refresh_replaces_the_token_and_revocation_survives_a_restart() {
    let h = harness();
    let (old, _) = h.token().await;
    let r = h
        .send(Method::POST, "/api/v1/auth/refresh", &old, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let new = r.json()["token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(
        h.get("/api/v1/flags", &old).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(h.get("/api/v1/flags", &new).await.status, StatusCode::OK);

    // A second server on the same database still refuses the revoked token.
    let state2 = AppState::new(
        h.state.config.clone(),
        h.state.store.clone(),
        Arc::new(ServerDb::open(&h.db_path).unwrap()),
        h.state.clock.clone(),
        h.state.registry.clone(),
        &Secret::new(JWT_SECRET),
    )
    .unwrap();
    let h2 = Harness {
        app: router(state2.clone()),
        state: state2,
        clock: h.clock.clone(),
        store: h.store.clone(),
        db_path: h.db_path.clone(),
        dir: tempfile::tempdir().unwrap(),
    };
    assert_eq!(
        h2.get("/api/v1/flags", &old).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(h2.get("/api/v1/flags", &new).await.status, StatusCode::OK);
}

#[tokio::test]
async fn accepted_edits_are_written_back_with_comments_kept() {
    let h = harness();
    let (c, f) = ConfigSet::embedded_texts();
    let dir = h.dir.path().join("configs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("config.yaml"), c).unwrap();
    std::fs::write(dir.join("features.yaml"), f).unwrap();
    h.state.persist_config_to(dir.clone());
    let (token, _) = h.token().await;
    let r = h
        .send(
            Method::POST,
            "/api/v1/flags/fe_kalman",
            &token,
            json!({"schedule": "interval_15m", "budget": {"mem_mb": 48}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["persisted"], true);
    let written = std::fs::read_to_string(dir.join("features.yaml")).unwrap();
    assert_eq!(written, h.state.config.current().features_text);
    assert!(
        written.starts_with("# OptiFIRE plugin feature flags"),
        "comments kept"
    );
    let features: optifire_core::config::Features = serde_yaml_ng::from_str(&written).unwrap();
    assert_eq!(features.plugins["fe_kalman"].schedule, "interval_15m");
    assert_eq!(features.plugins["fe_kalman"].budget.mem_mb, 48.0);
    // Exactly two lines differ from the committed file.
    let changed = f
        .lines()
        .zip(written.lines())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!((changed, f.lines().count()), (2, written.lines().count()));
}

#[tokio::test]
async fn metrics_public_serves_without_login() {
    let h = harness_with(|c| c.replace("metrics_public: false", "metrics_public: true"));
    let r = h.call(Method::GET, "/metrics", &[], None, LOCAL).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert!(r.text.contains("\noptifire_events_total 0\n"), "{}", r.text);
    // Only /metrics opens up.
    let c = h
        .call(Method::GET, "/api/v1/config", &[], None, LOCAL)
        .await;
    assert_eq!(c.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn oversized_password_is_refused_like_a_wrong_one() {
    let h = harness();
    let huge = "x".repeat(100_000);
    let r = h.login("alice", &huge, LOCAL).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.text,
        h.login("alice", "wrong password!!", LOCAL).await.text
    );
}
