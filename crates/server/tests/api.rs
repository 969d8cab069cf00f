//! End-to-end behaviour of the HTTP API through the real router (tower `oneshot`, no network):
//! auth on every route, login with and without TOTP, lock-out, CSRF, config and flag edits,
//! audit rows, and that no secret reaches a response or the log.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use optifire_core::bus::Bus;
use optifire_core::clock::{Clock, SimulatedClock};
use optifire_core::config::{
    parse, ConfigHistory, ConfigManager, ConfigSet, PluginCatalog, Secret,
};
use optifire_core::event::{Event, PluginRunRecord, RunStatus};
use optifire_core::store::{SqliteStore, Store};
use optifire_core::Timestamp;
use optifire_server::auth::totp;
use optifire_server::{router, AppState, ServerDb};
use serde_json::{json, Value};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

const JWT_SECRET: &str = "jwt-secret-for-tests-0123456789-abcdefXYZ";
const PASSWORD: &str = "correct horse battery staple";
const T0_SECS: i64 = 1_700_000_000;

struct Harness {
    app: Router,
    state: AppState,
    clock: SimulatedClock,
    store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("optifire.db");
    let store = Arc::new(SqliteStore::open(&db_path).unwrap());
    let registry = Arc::new(optifire_plugins::registry());
    let (c, f) = ConfigSet::embedded_texts();
    let set = parse(c, "config.yaml", f, "features.yaml", registry.as_ref()).unwrap();
    let clock = SimulatedClock::new(Timestamp::from_secs(T0_SECS));
    let clock_dyn: Arc<dyn Clock> = Arc::new(clock.clone());
    let catalog: Arc<dyn PluginCatalog> = registry.clone();
    let history: Arc<dyn ConfigHistory> = store.clone();
    let mgr = Arc::new(
        ConfigManager::new(set, catalog, history, clock_dyn.clone(), Bus::new(16)).unwrap(),
    );
    let db = Arc::new(ServerDb::open(&db_path).unwrap());
    db.add_user("alice", PASSWORD, clock.now()).unwrap();
    let store_dyn: Arc<dyn Store> = store.clone();
    let state = AppState::new(
        mgr,
        store_dyn,
        db,
        clock_dyn,
        registry,
        &Secret::new(JWT_SECRET),
    )
    .unwrap();
    Harness {
        app: router(state.clone()),
        state,
        clock,
        store,
        _dir: dir,
    }
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

impl Harness {
    async fn call(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
        ip: [u8; 4],
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = match body {
            Some(v) => b
                .header("content-type", "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 40_000))));
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            text: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn login(&self, user: &str, password: &str, ip: [u8; 4]) -> Resp {
        self.call(
            Method::POST,
            "/api/v1/auth/login",
            &[],
            Some(json!({"username": user, "password": password})),
            ip,
        )
        .await
    }

    /// Logs alice in; returns the bearer token and the whole response.
    async fn token(&self) -> (String, Resp) {
        let r = self.login("alice", PASSWORD, LOCAL).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        (r.json()["token"].as_str().unwrap().to_string(), r)
    }

    async fn get(&self, uri: &str, token: &str) -> Resp {
        let auth = format!("Bearer {token}");
        self.call(Method::GET, uri, &[("authorization", &auth)], None, LOCAL)
            .await
    }

    async fn send(&self, method: Method, uri: &str, token: &str, body: Value) -> Resp {
        let auth = format!("Bearer {token}");
        self.call(method, uri, &[("authorization", &auth)], Some(body), LOCAL)
            .await
    }
}

const LOCAL: [u8; 4] = [127, 0, 0, 1];

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
            "/api/v1/flags/fe_kalman",
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
            "/api/v1/flags/fe_kalman",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            Some(body.clone()),
            LOCAL,
        )
        .await;
    assert_eq!(with_header.status, StatusCode::OK, "{}", with_header.text);
    let bearer = h
        .send(
            Method::POST,
            "/api/v1/flags/fe_kalman",
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
    let _guard = tracing::subscriber::set_default(subscriber);

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
