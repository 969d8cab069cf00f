//! The Alpaca bridge as core's synchronous `Broker`, against the local REST and websocket
//! stand-ins answering with Alpaca's documented payloads: submit, cancel, a fill from the
//! trade-updates stream, fallback to the last known state when Alpaca is unreachable, and the
//! resync flag after the stream reconnects.
#![cfg(feature = "alpaca")]

mod alpaca_support;

use alpaca_support::{
    creds, fixture, recv_text, send_binary, Reply, RestServer, WsBehaviour, WsServer,
};
use optifire_core::domain::{
    ClientOrderId, OrderRequest, OrderStatus, OrderType, Price, Quantity, Side, TimeInForce,
};
use optifire_core::venue::{Broker, VenueUpdate};
use optifire_core::Timestamp;
use optifire_venues::alpaca::{AlpacaBroker, AlpacaConfig, Backoff, StreamOptions};
use rust_decimal_macros::dec;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::Notify;

const CID: &str = "ofi-20210316-aapl-1";
const ALPACA_ID: &str = "61e69015-8549-4bfd-b9c3-01e75843f47d";
const AUTHORIZED: &str =
    r#"{"stream":"authorization","data":{"action":"authenticate","status":"authorized"}}"#;
const LISTENING: &str = r#"{"stream":"listening","data":{"streams":["trade_updates"]}}"#;

fn limit_request() -> OrderRequest {
    OrderRequest {
        client_order_id: ClientOrderId(CID.into()),
        symbol: "AAPL".into(),
        side: Side::Buy,
        qty: Quantity(dec!(10)),
        order_type: OrderType::Limit {
            limit: Price(dec!(121.15)),
        },
        tif: TimeInForce::Day,
        created_at: Timestamp(0),
    }
}

fn opts() -> StreamOptions {
    StreamOptions {
        backoff: Backoff {
            base: Duration::from_millis(10),
            max: Duration::from_millis(100),
        },
        handshake_timeout: Duration::from_secs(3),
        ..StreamOptions::default()
    }
}

/// The servers run on their own runtime; the bridge (which blocks) is used from the test's
/// plain thread, as the driver thread uses it.
struct Servers {
    rest: RestServer,
    ws: WsServer,
    _rt: Runtime,
}

impl Servers {
    fn start(behaviour: WsBehaviour) -> Servers {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let rest = rt.block_on(RestServer::start());
        let ws = rt.block_on(WsServer::start(behaviour));
        // What the bridge reads when it connects.
        rest.on("GET", "/v2/account", Reply::fixture(200, "account.json"));
        rest.on(
            "GET",
            "/v2/positions",
            Reply::fixture(200, "positions.json"),
        );
        rest.on("GET", "/v2/orders", Reply::json(200, "[]"));
        Servers { rest, ws, _rt: rt }
    }

    fn config(&self) -> AlpacaConfig {
        AlpacaConfig {
            trading_stream_url: self.ws.config().trading_stream_url,
            max_retries: 0,
            ..self.rest.config()
        }
    }

    fn connect(&self) -> AlpacaBroker {
        AlpacaBroker::connect(self.config(), creds(), opts()).unwrap()
    }
}

async fn handshake(s: &mut axum::extract::ws::WebSocket, n: usize, log: &alpaca_support::WsLog) {
    recv_text(s, n, log).await; // auth
    send_binary(s, AUTHORIZED).await;
    recv_text(s, n, log).await; // listen
    send_binary(s, LISTENING).await;
}

fn trade_update(event: &str, order_fixture: &str, extra: &str) -> String {
    format!(
        r#"{{"stream":"trade_updates","data":{{"event":"{event}","order":{}{extra}}}}}"#,
        fixture(order_fixture)
    )
}

/// Drains until `want` updates arrived; the stream is asynchronous, so this waits (at most
/// 10 s, which fails the test).
fn drain_until(b: &mut AlpacaBroker, want: usize) -> Vec<VenueUpdate> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < want {
        assert!(
            Instant::now() < deadline,
            "timed out; updates so far: {got:#?}"
        );
        got.extend(b.drain_updates());
        std::thread::sleep(Duration::from_millis(10));
    }
    got
}

/// A stream that authenticates, then (after `go`) sends the fill of our order.
fn filling_stream(go: Arc<Notify>) -> WsBehaviour {
    Arc::new(move |n, mut s, log| {
        let go = go.clone();
        Box::pin(async move {
            handshake(&mut s, n, &log).await;
            go.notified().await;
            let fill = trade_update(
                "fill",
                "order_filled.json",
                r#","execution_id":"e-1","timestamp":"2021-03-16T18:38:09.5Z","price":"121.124","qty":"10","position_qty":"10""#,
            );
            send_binary(&mut s, &fill).await;
            while recv_text(&mut s, n, &log).await.is_some() {}
        })
    })
}

#[test]
fn submit_then_the_stream_reports_the_fill() {
    let go = Arc::new(Notify::new());
    let srv = Servers::start(filling_stream(go.clone()));
    let mut b = srv.connect();
    assert_eq!(b.account().cash.0, dec!(122086.5));

    srv.rest
        .on("POST", "/v2/orders", Reply::fixture(200, "order_new.json"));
    let o = b.submit(limit_request()).unwrap();
    assert_eq!(o.status, OrderStatus::New);
    assert_eq!(o.broker_order_id.as_deref(), Some(ALPACA_ID));

    go.notify_one();
    let updates = drain_until(&mut b, 2);
    match (&updates[0], &updates[1]) {
        (VenueUpdate::Fill(f), VenueUpdate::Order(o)) => {
            assert_eq!(&*f.fill_id, "e-1");
            assert_eq!(f.client_order_id.as_str(), CID);
            assert_eq!((f.qty, f.price), (Quantity(dec!(10)), Price(dec!(121.124))));
            assert_eq!(o.status, OrderStatus::Filled);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        b.drain_updates().is_empty(),
        "each update is handed over once"
    );

    // Alpaca unreachable for the lookup (no scripted reply: 418): the last known state, the
    // fill the stream reported, is returned instead of nothing.
    let known = b.order(&ClientOrderId(CID.into())).unwrap();
    assert_eq!(known.status, OrderStatus::Filled);
    assert!(!b.resync_flag().load(Ordering::SeqCst));
}

#[test]
fn cancel_by_client_id_returns_alpacas_state() {
    let srv = Servers::start(filling_stream(Arc::new(Notify::new())));
    let mut b = srv.connect();
    srv.rest
        .on("POST", "/v2/orders", Reply::fixture(200, "order_new.json"));
    b.submit(limit_request()).unwrap();
    // The order is open: Alpaca lists it.
    srv.rest.on(
        "GET",
        "/v2/orders",
        Reply::json(200, format!("[{}]", fixture("order_new.json"))),
    );
    let open = b.open_orders();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].request.client_order_id.as_str(), CID);

    let id_path = format!("/v2/orders/{ALPACA_ID}");
    srv.rest.on(
        "GET",
        "/v2/orders:by_client_order_id",
        Reply::fixture(200, "order_new.json"),
    );
    srv.rest.on("DELETE", &id_path, Reply::json(204, ""));
    srv.rest
        .on("GET", &id_path, Reply::fixture(200, "order_canceled.json"));
    let c = b.cancel(&ClientOrderId(CID.into())).unwrap();
    assert_eq!(c.status, OrderStatus::Canceled);
    let seen: Vec<String> = srv
        .rest
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(seen.contains(&format!("DELETE {id_path}")), "{seen:?}");

    // Alpaca now unreachable for the open-orders list (no scripted reply): the last known
    // state has no working order left.
    assert!(b.open_orders().is_empty());
    // Unreachable for positions: the ones read at connect, in symbol order.
    let p = b.positions();
    assert_eq!(
        p.iter()
            .map(|p| (p.symbol.as_str(), p.qty.0))
            .collect::<Vec<_>>(),
        vec![("AAPL", dec!(5)), ("AMD", dec!(-3))]
    );
}

#[test]
fn a_reconnected_stream_raises_the_resync_flag() {
    let behaviour: WsBehaviour = Arc::new(|n, mut s, log| {
        Box::pin(async move {
            handshake(&mut s, n, &log).await;
            if n == 0 {
                return; // dropped without a close frame
            }
            while recv_text(&mut s, n, &log).await.is_some() {}
        })
    });
    let srv = Servers::start(behaviour);
    let mut b = srv.connect();
    let flag = b.resync_flag();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !flag.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "no reconnect seen");
        assert!(b.drain_updates().is_empty());
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(srv.ws.log.connections.load(Ordering::SeqCst), 2);
}
