//! Contract tests of the Alpaca websockets against a local server speaking the documented
//! protocol: trade updates to core updates, market data, reconnect with resubscribe, heartbeat
//! timeout, auth failure.
#![cfg(feature = "alpaca")]

mod alpaca_support;

use alpaca_support::{creds, fixture, recv_text, send_binary, send_text, WsBehaviour, WsServer};
use alpaca_support::{KEY_ID, SECRET};
use optifire_core::domain::{OrderStatus, Price, Quantity};
use optifire_core::venue::VenueUpdate;
use optifire_venues::alpaca::{
    spawn_market_data_stream, spawn_trading_stream, Backoff, MarketData, StreamEvent, StreamHandle,
    StreamOptions, Subscription,
};
use rust_decimal_macros::dec;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

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

/// Reads events until `done` says stop (or 10 s pass, which fails the test).
async fn collect<T: std::fmt::Debug>(
    h: &mut StreamHandle<T>,
    mut done: impl FnMut(&[StreamEvent<T>]) -> bool,
) -> Vec<StreamEvent<T>> {
    let mut out = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(ev) = h.next().await {
            out.push(ev);
            if done(&out) {
                return;
            }
        }
    })
    .await;
    assert!(r.is_ok(), "timed out; events so far: {out:#?}");
    out
}

const AUTHORIZED: &str =
    r#"{"stream":"authorization","data":{"action":"authenticate","status":"authorized"}}"#;
const LISTENING: &str = r#"{"stream":"listening","data":{"streams":["trade_updates"]}}"#;

fn trade_update(event: &str, order_fixture: &str, extra: &str) -> String {
    format!(
        r#"{{"stream":"trade_updates","data":{{"event":"{event}","order":{}{extra}}}}}"#,
        fixture(order_fixture)
    )
}

async fn trading_handshake(
    s: &mut axum::extract::ws::WebSocket,
    n: usize,
    log: &alpaca_support::WsLog,
) {
    recv_text(s, n, log).await; // auth
    send_binary(s, AUTHORIZED).await;
    recv_text(s, n, log).await; // listen
    send_binary(s, LISTENING).await;
}

#[tokio::test]
async fn trade_updates_become_fills_and_orders_and_survive_a_drop() {
    let behaviour: WsBehaviour = Arc::new(|n, mut s, log| {
        Box::pin(async move {
            trading_handshake(&mut s, n, &log).await;
            if n == 0 {
                let msgs = [
                    trade_update(
                        "new",
                        "order_new.json",
                        r#","timestamp":"2021-03-16T18:38:01.942282Z""#,
                    ),
                    trade_update(
                        "partial_fill",
                        "order_partially_filled.json",
                        r#","execution_id":"7922ab44-c2e1-4b2f-a6e4-0b8d4a0c7c21","timestamp":"2021-03-16T18:38:05.12Z","price":"121.1","qty":"4","position_qty":"4""#,
                    ),
                    // Older documented shape: no execution_id, no qty, price as a number.
                    trade_update(
                        "fill",
                        "order_filled.json",
                        r#","timestamp":"2021-03-16T18:38:09.5Z","price":121.14,"position_qty":"10""#,
                    ),
                    // A second order, canceled; a third, rejected.
                    trade_update(
                        "canceled",
                        "order_canceled.json",
                        r#","timestamp":"2021-03-16T18:39:00Z""#,
                    )
                    .replace(
                        "61e69015-8549-4bfd-b9c3-01e75843f47d",
                        "0c7d4e6a-0000-4000-8000-000000000003",
                    )
                    .replace("ofi-20210316-aapl-1", "ofi-20210316-aapl-3"),
                    trade_update(
                        "rejected",
                        "order_rejected.json",
                        r#","timestamp":"2021-03-16T18:38:02Z""#,
                    ),
                ];
                for m in msgs {
                    send_binary(&mut s, &m).await;
                }
                // Drop the connection without a close frame.
                return;
            }
            while recv_text(&mut s, n, &log).await.is_some() {}
        })
    });
    let srv = WsServer::start(behaviour).await;
    let mut h = spawn_trading_stream(&srv.config(), creds(), opts());
    let evs = collect(&mut h, |e| {
        e.iter()
            .filter(|x| matches!(x, StreamEvent::Subscribed { .. }))
            .count()
            == 2
    })
    .await;

    assert_eq!(evs[0], StreamEvent::Connected);
    assert_eq!(
        evs[1],
        StreamEvent::Subscribed {
            streams: vec!["trade_updates".into()]
        }
    );
    let data: Vec<&VenueUpdate> = evs
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Data(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(data.len(), 7, "{data:#?}");
    match data[0] {
        VenueUpdate::Order(o) => assert_eq!(o.status, OrderStatus::New),
        other => panic!("{other:?}"),
    }
    match (data[1], data[2]) {
        (VenueUpdate::Fill(f), VenueUpdate::Order(o)) => {
            assert_eq!(&*f.fill_id, "7922ab44-c2e1-4b2f-a6e4-0b8d4a0c7c21");
            assert_eq!((f.qty, f.price), (Quantity(dec!(4)), Price(dec!(121.1))));
            assert_eq!(f.client_order_id.as_str(), "ofi-20210316-aapl-1");
            assert_eq!(o.status, OrderStatus::PartiallyFilled);
        }
        other => panic!("{other:?}"),
    }
    match (data[3], data[4]) {
        (VenueUpdate::Fill(f), VenueUpdate::Order(o)) => {
            // 10 filled in total, 4 before: this execution is 6 at 121.14
            // (4 x 121.1 + 6 x 121.14 = 1211.24 = 10 x the order's average 121.124).
            assert_eq!((f.qty, f.price), (Quantity(dec!(6)), Price(dec!(121.14))));
            let nanos = chrono::DateTime::parse_from_rfc3339("2021-03-16T18:38:09.5Z")
                .unwrap()
                .timestamp_nanos_opt()
                .unwrap();
            assert_eq!(
                &*f.fill_id,
                format!("61e69015-8549-4bfd-b9c3-01e75843f47d:{nanos}:6")
            );
            assert_eq!(o.status, OrderStatus::Filled);
        }
        other => panic!("{other:?}"),
    }
    match (data[5], data[6]) {
        (VenueUpdate::Order(c), VenueUpdate::Order(r)) => {
            assert_eq!(c.request.client_order_id.as_str(), "ofi-20210316-aapl-3");
            assert_eq!(c.status, OrderStatus::Canceled);
            assert_eq!(c.filled_qty, Quantity(dec!(0)));
            assert_eq!(r.request.client_order_id.as_str(), "ofi-20210316-amd-2");
            assert_eq!(r.status, OrderStatus::Rejected);
        }
        other => panic!("{other:?}"),
    }
    assert!(evs
        .iter()
        .any(|e| matches!(e, StreamEvent::Disconnected { .. })));
    assert!(evs.contains(&StreamEvent::Reconnected { attempt: 1 }));

    // The server saw auth and listen on both connections: resubscribed after the reconnect.
    let got = srv.log.received();
    let listens: Vec<usize> = got
        .iter()
        .filter(|(_, t)| t.contains(r#""action":"listen""#))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(listens, vec![0, 1]);
    let auth: serde_json::Value = serde_json::from_str(&got[0].1).unwrap();
    assert_eq!(
        auth,
        serde_json::json!({"action":"auth","key":KEY_ID,"secret":SECRET})
    );
    h.stop().await;
}

#[tokio::test]
async fn trading_auth_failure_is_terminal() {
    let behaviour: WsBehaviour = Arc::new(|n, mut s, log| {
        Box::pin(async move {
            recv_text(&mut s, n, &log).await;
            send_binary(
                &mut s,
                r#"{"stream":"authorization","data":{"action":"authenticate","message":"access key verification failed","status":"unauthorized"}}"#,
            )
            .await;
            while recv_text(&mut s, n, &log).await.is_some() {}
        })
    });
    let srv = WsServer::start(behaviour).await;
    let mut h = spawn_trading_stream(&srv.config(), creds(), opts());
    let evs = collect(&mut h, |e| !e.is_empty()).await;
    assert_eq!(
        evs,
        vec![StreamEvent::AuthFailed {
            reason: "access key verification failed".into()
        }]
    );
    // The task ends: no event follows and no second connection is made.
    let rest = tokio::time::timeout(Duration::from_secs(5), h.next()).await;
    assert_eq!(rest.unwrap(), None);
    assert_eq!(h.try_next(), None);
    assert_eq!(srv.log.connections.load(Ordering::SeqCst), 1);
}

async fn data_handshake(
    s: &mut axum::extract::ws::WebSocket,
    n: usize,
    log: &alpaca_support::WsLog,
) {
    send_text(s, r#"[{"T":"success","msg":"connected"}]"#).await;
    recv_text(s, n, log).await; // auth
    send_text(s, r#"[{"T":"success","msg":"authenticated"}]"#).await;
    recv_text(s, n, log).await; // subscribe
    send_text(
        s,
        r#"[{"T":"subscription","trades":["AAPL"],"quotes":["AMD"],"bars":["SPY"],"updatedBars":[],"dailyBars":[],"statuses":[],"lulds":[],"corrections":["AAPL"],"cancelErrors":["AAPL"]}]"#,
    )
    .await;
}

fn subscription() -> Subscription {
    Subscription {
        bars: vec!["SPY".into()],
        quotes: vec!["AMD".into()],
        trades: vec!["AAPL".into()],
    }
}

#[tokio::test]
async fn market_data_flows_and_resubscribes_after_a_drop() {
    let behaviour: WsBehaviour = Arc::new(|n, mut s, log| {
        Box::pin(async move {
            data_handshake(&mut s, n, &log).await;
            if n == 0 {
                send_text(
                    &mut s,
                    r#"[{"T":"q","S":"AMD","bx":"U","bp":87.66,"bs":1,"ax":"Q","ap":87.68,"as":4,"t":"2021-02-22T15:51:45.335689322Z","c":["R"],"z":"C"},{"T":"t","i":96921,"S":"AAPL","x":"D","p":126.55,"s":1,"t":"2021-02-22T15:51:44.208Z","c":["@","I"],"z":"C"},{"T":"b","S":"SPY","o":388.985,"h":389.13,"l":388.975,"c":389.12,"v":49378,"t":"2021-02-22T19:15:00Z"}]"#,
                )
                .await;
                let _ = s.send(axum::extract::ws::Message::Close(None)).await;
                return;
            }
            while recv_text(&mut s, n, &log).await.is_some() {}
        })
    });
    let srv = WsServer::start(behaviour).await;
    let mut h = spawn_market_data_stream(&srv.config(), creds(), subscription(), opts());
    let evs = collect(&mut h, |e| {
        e.iter()
            .any(|x| matches!(x, StreamEvent::Reconnected { .. }))
    })
    .await;
    assert_eq!(evs[0], StreamEvent::Connected);
    assert_eq!(
        evs[1],
        StreamEvent::Subscribed {
            streams: vec!["bars:SPY".into(), "quotes:AMD".into(), "trades:AAPL".into()]
        }
    );
    match (&evs[2], &evs[3], &evs[4]) {
        (
            StreamEvent::Data(MarketData::Quote(q)),
            StreamEvent::Data(MarketData::Trade(t)),
            StreamEvent::Data(MarketData::Bar(b)),
        ) => {
            assert_eq!(
                (q.bid, q.bid_size, q.ask, q.ask_size),
                (87.66, 1.0, 87.68, 4.0)
            );
            assert_eq!((t.price, t.size), (126.55, 1.0));
            assert_eq!(t.ts.to_string(), "2021-02-22T15:51:44.208Z");
            assert_eq!(
                (b.open, b.high, b.low, b.close, b.volume),
                (388.985, 389.13, 388.975, 389.12, 49378.0)
            );
            assert_eq!(b.ts.to_string(), "2021-02-22T19:16:00Z");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(evs[5], StreamEvent::Disconnected { .. }),
        "{:?}",
        evs[5]
    );

    let subs: Vec<(usize, serde_json::Value)> = srv
        .log
        .received()
        .into_iter()
        .filter(|(_, t)| t.contains(r#""action":"subscribe""#))
        .map(|(n, t)| (n, serde_json::from_str(&t).unwrap()))
        .collect();
    let expected =
        serde_json::json!({"action":"subscribe","trades":["AAPL"],"quotes":["AMD"],"bars":["SPY"]});
    assert_eq!(subs, vec![(0, expected.clone()), (1, expected)]);
    h.stop().await;
}

#[tokio::test]
async fn market_data_auth_failure_is_terminal() {
    let behaviour: WsBehaviour = Arc::new(|n, mut s, log| {
        Box::pin(async move {
            send_text(&mut s, r#"[{"T":"success","msg":"connected"}]"#).await;
            recv_text(&mut s, n, &log).await;
            send_text(&mut s, r#"[{"T":"error","code":402,"msg":"auth failed"}]"#).await;
            while recv_text(&mut s, n, &log).await.is_some() {}
        })
    });
    let srv = WsServer::start(behaviour).await;
    let mut h = spawn_market_data_stream(&srv.config(), creds(), subscription(), opts());
    let evs = collect(&mut h, |e| !e.is_empty()).await;
    assert_eq!(
        evs,
        vec![StreamEvent::AuthFailed {
            reason: "402 auth failed".into()
        }]
    );
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(5), h.next())
            .await
            .unwrap(),
        None
    );
    assert_eq!(srv.log.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn silent_connection_is_declared_dead_and_replaced() {
    let behaviour: WsBehaviour = Arc::new(|n, mut s, log| {
        Box::pin(async move {
            data_handshake(&mut s, n, &log).await;
            if n == 0 {
                // Stop reading: pings go unanswered, nothing is sent. Hold the socket open.
                tokio::time::sleep(Duration::from_secs(30)).await;
                drop(s);
                return;
            }
            while recv_text(&mut s, n, &log).await.is_some() {}
        })
    });
    let srv = WsServer::start(behaviour).await;
    let o = StreamOptions {
        ping_interval: Duration::from_millis(50),
        dead_after: Duration::from_millis(300),
        ..opts()
    };
    let mut h = spawn_market_data_stream(&srv.config(), creds(), subscription(), o);
    let evs = collect(&mut h, |e| {
        e.iter()
            .any(|x| matches!(x, StreamEvent::Reconnected { .. }))
    })
    .await;
    let reason = evs
        .iter()
        .find_map(|e| match e {
            StreamEvent::Disconnected { reason } => Some(reason.clone()),
            _ => None,
        })
        .expect("a disconnect");
    assert!(reason.contains("heartbeat timeout"), "{reason}");
    assert_eq!(srv.log.connections.load(Ordering::SeqCst), 2);
    h.stop().await;
}

#[tokio::test]
async fn unreachable_stream_gives_up_after_the_limit() {
    let mut cfg = optifire_venues::alpaca::AlpacaConfig::paper();
    cfg.trading_stream_url = "ws://127.0.0.1:9/stream".into();
    let o = StreamOptions {
        max_reconnects: Some(2),
        ..opts()
    };
    let mut h = spawn_trading_stream(&cfg, creds(), o);
    let evs = collect(&mut h, |e| {
        e.iter().any(|x| matches!(x, StreamEvent::GaveUp { .. }))
    })
    .await;
    let disconnects = evs
        .iter()
        .filter(|e| matches!(e, StreamEvent::Disconnected { .. }))
        .count();
    assert_eq!(disconnects, 3, "{evs:#?}");
    for e in &evs {
        let text = format!("{e:?}");
        assert!(!text.contains(SECRET), "{text}");
    }
}
