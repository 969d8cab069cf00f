//! Local stand-ins for Alpaca used by the contract tests: a scripted HTTP server and helpers.
//!
//! Nothing here touches the network beyond 127.0.0.1; replies are the documented payloads in
//! `fixtures/alpaca/`.

#![allow(dead_code)]

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use optifire_venues::alpaca::{AlpacaConfig, AlpacaCredentials, Sleeper};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KEY_ID: &str = "PKTEST0KEY0ID";
pub const SECRET: &str = "sEcReT-do-not-print-0123456789";

pub fn creds() -> AlpacaCredentials {
    AlpacaCredentials::new(KEY_ID, SECRET)
}

pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/alpaca/{}",
        env!("CARGO_MANIFEST_DIR"),
        name
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// Wait before answering (to provoke a client timeout).
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn fixture(status: u16, name: &str) -> Reply {
        Reply::json(status, fixture(name))
    }
    pub fn header(mut self, k: &'static str, v: &str) -> Reply {
        self.headers.push((k, v.to_string()));
        self
    }
    pub fn delayed(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

/// A request the server saw.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: String,
}

#[derive(Default)]
struct Script {
    replies: Mutex<HashMap<String, VecDeque<Reply>>>,
    log: Mutex<Vec<Recorded>>,
}

/// HTTP server answering `METHOD /path` with scripted replies, in order, and logging requests.
pub struct RestServer {
    pub base: String,
    script: Arc<Script>,
}

async fn handle(
    State(s): State<Arc<Script>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let key = format!("{} {}", method, uri.path());
    s.log.lock().unwrap().push(Recorded {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().unwrap_or("").to_string(),
        headers,
        body,
    });
    let reply = s
        .replies
        .lock()
        .unwrap()
        .get_mut(&key)
        .and_then(|q| q.pop_front());
    let Some(r) = reply else {
        return Response::builder()
            .status(StatusCode::IM_A_TEAPOT)
            .body(Body::from(format!("no scripted reply for {key}")))
            .unwrap();
    };
    if !r.delay.is_zero() {
        tokio::time::sleep(r.delay).await;
    }
    let mut b = Response::builder().status(r.status);
    b = b.header("content-type", "application/json");
    for (k, v) in &r.headers {
        b = b.header(*k, v.as_str());
    }
    b.body(Body::from(r.body)).unwrap()
}

impl RestServer {
    pub async fn start() -> RestServer {
        let script = Arc::new(Script::default());
        let app = Router::new().fallback(handle).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        RestServer {
            base: format!("http://{addr}"),
            script,
        }
    }

    pub fn on(&self, method: &str, path: &str, reply: Reply) {
        self.script
            .replies
            .lock()
            .unwrap()
            .entry(format!("{method} {path}"))
            .or_default()
            .push_back(reply);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.script.log.lock().unwrap().clone()
    }

    pub fn config(&self) -> AlpacaConfig {
        AlpacaConfig {
            trading_base_url: self.base.clone(),
            data_base_url: self.base.clone(),
            timeout: Duration::from_secs(5),
            max_retries: 3,
            ..AlpacaConfig::paper()
        }
    }
}

/// Records the waits the client asks for instead of sleeping.
#[derive(Default)]
pub struct RecordingSleeper {
    pub waits: Mutex<Vec<Duration>>,
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, d: Duration) -> optifire_venues::alpaca::retry::SleepFuture {
        self.waits.lock().unwrap().push(d);
        Box::pin(async {})
    }
}

/// Per-connection behaviour of a websocket test server: gets the connection index (0 first).
pub type WsBehaviour = Arc<
    dyn Fn(
            usize,
            axum::extract::ws::WebSocket,
            Arc<WsLog>,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send
        + Sync,
>;

/// What the websocket server saw.
#[derive(Default)]
pub struct WsLog {
    pub connections: std::sync::atomic::AtomicUsize,
    pub received: Mutex<Vec<(usize, String)>>,
}

impl WsLog {
    pub fn received(&self) -> Vec<(usize, String)> {
        self.received.lock().unwrap().clone()
    }
}

#[derive(Clone)]
struct WsState {
    log: Arc<WsLog>,
    behaviour: WsBehaviour,
}

async fn ws_handler(
    State(st): State<WsState>,
    ws: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| {
        let n = st
            .log
            .connections
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (st.behaviour)(n, socket, st.log.clone())
    })
}

/// A websocket server on 127.0.0.1 serving `/stream` (trading) and `/v2/iex` (data).
pub struct WsServer {
    pub addr: std::net::SocketAddr,
    pub log: Arc<WsLog>,
}

impl WsServer {
    pub async fn start(behaviour: WsBehaviour) -> WsServer {
        let log = Arc::new(WsLog::default());
        let st = WsState {
            log: log.clone(),
            behaviour,
        };
        let app = Router::new()
            .route("/stream", axum::routing::get(ws_handler))
            .route("/v2/iex", axum::routing::get(ws_handler))
            .with_state(st);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        WsServer { addr, log }
    }

    pub fn config(&self) -> AlpacaConfig {
        AlpacaConfig {
            trading_stream_url: format!("ws://{}/stream", self.addr),
            data_stream_url: format!("ws://{}/v2", self.addr),
            ..AlpacaConfig::paper()
        }
    }
}

/// Next text or binary frame as text, logging it; `None` when the client went away.
pub async fn recv_text(
    socket: &mut axum::extract::ws::WebSocket,
    conn: usize,
    log: &WsLog,
) -> Option<String> {
    use axum::extract::ws::Message;
    while let Some(Ok(m)) = socket.recv().await {
        let text = match m {
            Message::Text(t) => t.as_str().to_string(),
            Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
            _ => continue,
        };
        log.received.lock().unwrap().push((conn, text.clone()));
        return Some(text);
    }
    None
}

pub async fn send_text(socket: &mut axum::extract::ws::WebSocket, text: &str) {
    let _ = socket
        .send(axum::extract::ws::Message::Text(text.to_string().into()))
        .await;
}

/// The trading stream sends JSON in binary frames.
pub async fn send_binary(socket: &mut axum::extract::ws::WebSocket, text: &str) {
    let _ = socket
        .send(axum::extract::ws::Message::Binary(
            text.as_bytes().to_vec().into(),
        ))
        .await;
}
