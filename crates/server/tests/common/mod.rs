//! Shared test harness: a real router over a temporary SQLite store, a simulated clock, and
//! one user `alice`.
#![allow(dead_code)]

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
use optifire_core::store::{SqliteStore, Store};
use optifire_core::Timestamp;
use optifire_server::{router, AppState, ServerDb};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

pub const JWT_SECRET: &str = "jwt-secret-for-tests-0123456789-abcdefXYZ";
pub const PASSWORD: &str = "correct horse battery staple";
pub const T0_SECS: i64 = 1_700_000_000;

pub struct Harness {
    pub app: Router,
    pub state: AppState,
    pub clock: SimulatedClock,
    pub store: Arc<SqliteStore>,
    pub db_path: std::path::PathBuf,
    pub dir: tempfile::TempDir,
}

pub fn harness() -> Harness {
    harness_with(|c| c.to_string())
}

/// A harness whose config.yaml is the committed one edited by `edit_config`.
pub fn harness_with(edit_config: impl Fn(&str) -> String) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("optifire.db");
    let store = Arc::new(SqliteStore::open(&db_path).unwrap());
    let registry = Arc::new(optifire_plugins::registry());
    let (c, f) = ConfigSet::embedded_texts();
    let c = edit_config(c);
    let set = parse(&c, "config.yaml", f, "features.yaml", registry.as_ref()).unwrap();
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
        db_path,
        dir,
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

impl Harness {
    pub async fn call(
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

    pub async fn login(&self, user: &str, password: &str, ip: [u8; 4]) -> Resp {
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
    pub async fn token(&self) -> (String, Resp) {
        let r = self.login("alice", PASSWORD, LOCAL).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        (r.json()["token"].as_str().unwrap().to_string(), r)
    }

    pub async fn get(&self, uri: &str, token: &str) -> Resp {
        let auth = format!("Bearer {token}");
        self.call(Method::GET, uri, &[("authorization", &auth)], None, LOCAL)
            .await
    }

    pub async fn send(&self, method: Method, uri: &str, token: &str, body: Value) -> Resp {
        let auth = format!("Bearer {token}");
        self.call(method, uri, &[("authorization", &auth)], Some(body), LOCAL)
            .await
    }
}

pub const LOCAL: [u8; 4] = [127, 0, 0, 1];
