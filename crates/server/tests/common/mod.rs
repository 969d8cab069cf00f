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

    /// A form post (`application/x-www-form-urlencoded`), as a browser sends it.
    pub async fn form(&self, uri: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        let mut b = Request::builder().method(Method::POST).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = b
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((LOCAL, 40_000))));
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

    /// The response itself, body unread (for streams).
    pub async fn open(&self, uri: &str, headers: &[(&str, &str)]) -> axum::response::Response {
        let mut b = Request::builder().method(Method::GET).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = b.body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((LOCAL, 40_000))));
        self.app.clone().oneshot(req).await.unwrap()
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

/// A stand-in engine: refuses orders above 100 shares the way a risk rule would, knows one open
/// order `open-1`, and runs any implemented plugin instantly.
#[derive(Debug, Default)]
pub struct FakeEngine {
    pub placed: std::sync::Mutex<Vec<optifire_server::ManualOrder>>,
    /// The reconciliation halt in force (none unless a test sets one).
    pub halt: std::sync::Mutex<Option<optifire_server::HaltInfo>>,
    /// Losing trades in a row; the pause is in force at `FAKE_MAX_STREAK`.
    pub streak: std::sync::Mutex<u32>,
    /// Notes the gate lifts carried, in order.
    pub lift_notes: std::sync::Mutex<Vec<String>>,
}

pub const FAKE_MAX_STREAK: u32 = 5;

pub const REFUSAL_RULE: &str = "max_position_pct";
pub const REFUSAL_REASON: &str = "SPY would be 14.2% of equity; limit 10%";

impl optifire_server::EngineControl for FakeEngine {
    fn place_order(
        &self,
        order: optifire_server::ManualOrder,
    ) -> Result<optifire_server::OrderAck, optifire_server::ControlError> {
        if order.qty.to_f64() > 100.0 {
            return Err(optifire_server::ControlError::Refused {
                rule: REFUSAL_RULE.into(),
                reason: REFUSAL_REASON.into(),
            });
        }
        self.placed.lock().unwrap().push(order);
        Ok(optifire_server::OrderAck {
            client_order_id: optifire_core::domain::ClientOrderId("manual-1".into()),
            status: optifire_core::domain::OrderStatus::New,
            message: None,
        })
    }

    fn cancel_order(
        &self,
        id: &optifire_core::domain::ClientOrderId,
    ) -> Result<optifire_server::OrderAck, optifire_server::ControlError> {
        if id.as_str() != "open-1" {
            return Err(optifire_server::ControlError::NotFound {
                what: format!("order {id}"),
            });
        }
        Ok(optifire_server::OrderAck {
            client_order_id: id.clone(),
            status: optifire_core::domain::OrderStatus::PendingCancel,
            message: None,
        })
    }

    fn run_plugin(
        &self,
        plugin_id: &str,
    ) -> Result<optifire_core::event::PluginRunRecord, optifire_server::ControlError> {
        Ok(optifire_core::event::PluginRunRecord {
            plugin_id: plugin_id.to_string(),
            started_at: Timestamp::from_secs(T0_SECS),
            cpu_ms: 1.5,
            wall_ms: 2.0,
            mem_bytes: None,
            status: optifire_core::event::RunStatus::Ok,
            outputs: 1,
            message: None,
            over_budget: false,
        })
    }

    fn gates(&self) -> Result<optifire_server::EngineGates, optifire_server::ControlError> {
        Ok(optifire_server::EngineGates {
            now: Some(Timestamp::from_secs(T0_SECS)),
            halt: self.halt.lock().unwrap().clone(),
            losing_streak: *self.streak.lock().unwrap(),
            max_losing_streak: FAKE_MAX_STREAK,
        })
    }

    fn acknowledge_halt(
        &self,
        note: &str,
    ) -> Result<Option<optifire_server::HaltInfo>, optifire_server::ControlError> {
        self.lift_notes.lock().unwrap().push(note.to_string());
        Ok(self.halt.lock().unwrap().take())
    }

    fn reset_losing_streak(&self, note: &str) -> Result<u32, optifire_server::ControlError> {
        self.lift_notes.lock().unwrap().push(note.to_string());
        Ok(std::mem::take(&mut *self.streak.lock().unwrap()))
    }
}

/// Attaches a `FakeEngine` and a bus; returns both.
pub fn attach_fake(h: &Harness, bus_capacity: usize) -> (Arc<FakeEngine>, Bus) {
    let engine = Arc::new(FakeEngine::default());
    let bus = Bus::new(bus_capacity);
    h.state.attach_engine(engine.clone(), bus.clone());
    (engine, bus)
}

/// The session cookie and CSRF value of a fresh login of alice.
pub async fn cookie_session(h: &Harness) -> (String, String) {
    let (token, r) = h.token().await;
    let csrf = r.json()["csrf_token"].as_str().unwrap().to_string();
    (format!("optifire_session={token}"), csrf)
}
