//! Contract tests of the Alpaca REST client against a local server answering with documented
//! payloads: order lifecycle, error mapping, retries, duplicate adoption, bars pagination.
#![cfg(feature = "alpaca")]

mod alpaca_support;

use alpaca_support::{creds, RecordingSleeper, Reply, RestServer, KEY_ID, SECRET};
use chrono::NaiveDate;
use optifire_core::domain::{
    ClientOrderId, OrderRequest, OrderStatus, OrderType, Price, Quantity, Side, TimeInForce,
};
use optifire_core::venue::BrokerError;
use optifire_core::Timestamp;
use optifire_venues::alpaca::{Adjustment, AlpacaClient, BarsQuery, OrderQueryStatus, Timeframe};
use rust_decimal_macros::dec;
use std::sync::Arc;
use std::time::Duration;

const CID: &str = "ofi-20210316-aapl-1";

fn client(srv: &RestServer) -> (AlpacaClient, Arc<RecordingSleeper>) {
    let sleeper = Arc::new(RecordingSleeper::default());
    let c = AlpacaClient::new(srv.config(), creds())
        .unwrap()
        .with_sleeper(sleeper.clone());
    (c, sleeper)
}

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

#[tokio::test]
async fn order_lifecycle_new_partial_filled() {
    let srv = RestServer::start().await;
    srv.on("POST", "/v2/orders", Reply::fixture(200, "order_new.json"));
    let by_cid = "/v2/orders:by_client_order_id";
    srv.on(
        "GET",
        by_cid,
        Reply::fixture(200, "order_partially_filled.json"),
    );
    srv.on("GET", by_cid, Reply::fixture(200, "order_filled.json"));
    let (c, sleeper) = client(&srv);

    let o = c.submit_order(&limit_request()).await.unwrap();
    assert_eq!(o.status, OrderStatus::New);
    assert_eq!(
        o.broker_order_id.as_deref(),
        Some("61e69015-8549-4bfd-b9c3-01e75843f47d")
    );
    assert_eq!(
        o.request.order_type,
        OrderType::Limit {
            limit: Price(dec!(121.15))
        }
    );
    // The request stays ours (as journaled); the state is Alpaca's.
    assert_eq!(o.request, limit_request());
    assert_eq!(o.updated_at.to_string(), "2021-03-16T18:38:01.942282Z");

    let id = ClientOrderId(CID.into());
    let p = c.order_by_client_id(&id).await.unwrap();
    assert_eq!(p.status, OrderStatus::PartiallyFilled);
    assert_eq!(p.filled_qty, Quantity(dec!(4)));
    assert_eq!(p.avg_fill_price, Some(Price(dec!(121.1))));
    assert_eq!(p.remaining_qty(), Quantity(dec!(6)));

    let f = c.order_by_client_id(&id).await.unwrap();
    assert_eq!(f.status, OrderStatus::Filled);
    assert_eq!(f.avg_fill_price, Some(Price(dec!(121.124))));
    assert_eq!(f.updated_at.to_string(), "2021-03-16T18:38:09.500Z");

    let reqs = srv.requests();
    // The body carries Alpaca's field names and exact decimal strings.
    let body: serde_json::Value = serde_json::from_str(&reqs[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"symbol":"AAPL","qty":"10","side":"buy","type":"limit",
            "time_in_force":"day","limit_price":"121.15","client_order_id":CID})
    );
    assert_eq!(reqs[0].headers["apca-api-key-id"], KEY_ID);
    assert_eq!(reqs[0].headers["apca-api-secret-key"], SECRET);
    assert_eq!(reqs[1].query, format!("client_order_id={CID}"));
    assert!(sleeper.waits.lock().unwrap().is_empty());
}

#[tokio::test]
async fn market_on_close_is_market_with_cls() {
    let srv = RestServer::start().await;
    srv.on(
        "POST",
        "/v2/orders",
        Reply::fixture(200, "order_moc_accepted.json"),
    );
    let (c, _) = client(&srv);
    let mut req = limit_request();
    req.client_order_id = ClientOrderId("ofi-moc-1".into());
    req.order_type = OrderType::MarketOnClose;
    req.qty = Quantity(dec!(3));
    let o = c.submit_order(&req).await.unwrap();
    assert_eq!(o.request, req);
    assert_eq!(o.status, OrderStatus::Accepted);
    let body: serde_json::Value = serde_json::from_str(&srv.requests()[0].body).unwrap();
    assert_eq!(body["type"], "market");
    assert_eq!(body["time_in_force"], "cls");
    assert!(body.get("limit_price").is_none());
}

#[tokio::test]
async fn cancel_by_client_id_returns_canceled_order() {
    let srv = RestServer::start().await;
    srv.on(
        "GET",
        "/v2/orders:by_client_order_id",
        Reply::fixture(200, "order_new.json"),
    );
    let id_path = "/v2/orders/61e69015-8549-4bfd-b9c3-01e75843f47d";
    srv.on("DELETE", id_path, Reply::json(204, ""));
    srv.on("GET", id_path, Reply::fixture(200, "order_canceled.json"));
    let (c, _) = client(&srv);
    let o = c
        .cancel_by_client_id(&ClientOrderId(CID.into()))
        .await
        .unwrap();
    assert_eq!(o.status, OrderStatus::Canceled);
    let methods: Vec<String> = srv
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        methods,
        vec![
            "GET /v2/orders:by_client_order_id".to_string(),
            format!("DELETE {id_path}"),
            format!("GET {id_path}"),
        ]
    );
}

#[tokio::test]
async fn rejection_is_not_retried_and_says_why() {
    let srv = RestServer::start().await;
    srv.on(
        "POST",
        "/v2/orders",
        Reply::fixture(403, "error_buying_power.json"),
    );
    let (c, sleeper) = client(&srv);
    let err = c.submit_order(&limit_request()).await.unwrap_err();
    assert_eq!(
        err,
        BrokerError::Rejected {
            reason: "insufficient buying power (alpaca code 40310000)".into()
        }
    );
    assert_eq!(srv.requests().len(), 1);
    assert!(sleeper.waits.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_order_is_404() {
    let srv = RestServer::start().await;
    srv.on(
        "GET",
        "/v2/orders:by_client_order_id",
        Reply::json(404, r#"{"code":40410000,"message":"order not found"}"#),
    );
    let (c, _) = client(&srv);
    let err = c
        .order_by_client_id(&ClientOrderId("nope".into()))
        .await
        .unwrap_err();
    assert_eq!(err, BrokerError::UnknownOrder);
    assert_eq!(srv.requests().len(), 1, "404 is not retried");
}

#[tokio::test]
async fn rate_limit_waits_what_the_server_says_then_succeeds() {
    let srv = RestServer::start().await;
    srv.on(
        "GET",
        "/v2/account",
        Reply::json(429, r#"{"code":42910000,"message":"rate limit exceeded"}"#)
            .header("retry-after", "2"),
    );
    srv.on("GET", "/v2/account", Reply::fixture(200, "account.json"));
    let (c, sleeper) = client(&srv);
    let a = c.account().await.unwrap();
    // Values of the documented account example, exactly.
    assert_eq!(a.cash.0, dec!(122086.5));
    assert_eq!(a.equity.0, dec!(123346.11));
    assert_eq!(a.buying_power.0, dec!(245432.61));
    assert_eq!(*sleeper.waits.lock().unwrap(), vec![Duration::from_secs(2)]);
    assert_eq!(srv.requests().len(), 2);
}

#[tokio::test]
async fn server_error_on_get_is_retried() {
    let srv = RestServer::start().await;
    srv.on("GET", "/v2/positions", Reply::json(500, "internal error"));
    srv.on(
        "GET",
        "/v2/positions",
        Reply::fixture(200, "positions.json"),
    );
    let (c, sleeper) = client(&srv);
    let ps = c.positions().await.unwrap();
    assert_eq!(ps.len(), 2);
    assert_eq!(ps[0].symbol.as_str(), "AAPL");
    assert_eq!((ps[0].qty.0, ps[0].avg_price.0), (dec!(5), dec!(100.0)));
    assert_eq!((ps[1].qty.0, ps[1].avg_price.0), (dec!(-3), dec!(87.655)));
    // First retry waits the backoff base (default 250 ms).
    assert_eq!(
        *sleeper.waits.lock().unwrap(),
        vec![Duration::from_millis(250)]
    );
}

#[tokio::test]
async fn retries_stop_at_the_limit() {
    let srv = RestServer::start().await;
    for _ in 0..4 {
        srv.on("GET", "/v2/clock", Reply::json(503, "unavailable"));
    }
    let (c, sleeper) = client(&srv);
    let err = c.clock().await.unwrap_err();
    assert!(
        matches!(err, BrokerError::Transient(ref t) if t.contains("503")),
        "{err:?}"
    );
    // One try plus max_retries = 3 retries, waits doubling from 250 ms.
    assert_eq!(srv.requests().len(), 4);
    let waits: Vec<u128> = sleeper
        .waits
        .lock()
        .unwrap()
        .iter()
        .map(|d| d.as_millis())
        .collect();
    assert_eq!(waits, vec![250, 500, 1000]);
}

#[tokio::test]
async fn timed_out_submit_is_retried_and_the_duplicate_adopted() {
    let srv = RestServer::start().await;
    // The first POST reaches Alpaca but the answer comes too late; the resend is a duplicate.
    srv.on(
        "POST",
        "/v2/orders",
        Reply::fixture(200, "order_new.json").delayed(Duration::from_secs(3)),
    );
    srv.on(
        "POST",
        "/v2/orders",
        Reply::fixture(422, "error_duplicate.json"),
    );
    srv.on(
        "GET",
        "/v2/orders:by_client_order_id",
        Reply::fixture(200, "order_partially_filled.json"),
    );
    let mut cfg = srv.config();
    cfg.timeout = Duration::from_millis(300);
    let sleeper = Arc::new(RecordingSleeper::default());
    let c = AlpacaClient::new(cfg, creds())
        .unwrap()
        .with_sleeper(sleeper.clone());
    let o = c.submit_order(&limit_request()).await.unwrap();
    assert_eq!(o.request.client_order_id.as_str(), CID);
    assert_eq!(o.status, OrderStatus::PartiallyFilled);
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].body, reqs[1].body, "the resend is the same order");
    assert_eq!(sleeper.waits.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_different_order_under_our_id_is_not_adopted() {
    let srv = RestServer::start().await;
    srv.on("POST", "/v2/orders", Reply::json(502, "bad gateway"));
    srv.on(
        "POST",
        "/v2/orders",
        Reply::fixture(422, "error_duplicate.json"),
    );
    // Alpaca holds 10 shares under this id; we asked for 7.
    srv.on(
        "GET",
        "/v2/orders:by_client_order_id",
        Reply::fixture(200, "order_new.json"),
    );
    let (c, _) = client(&srv);
    let mut req = limit_request();
    req.qty = Quantity(dec!(7));
    let err = c.submit_order(&req).await.unwrap_err();
    assert!(
        matches!(&err, BrokerError::Other(t) if t.contains("qty 10") && t.contains("not adopted")),
        "{err:?}"
    );
}

#[tokio::test]
async fn first_attempt_duplicate_is_reported() {
    let srv = RestServer::start().await;
    srv.on(
        "POST",
        "/v2/orders",
        Reply::fixture(422, "error_duplicate.json"),
    );
    let (c, _) = client(&srv);
    let err = c.submit_order(&limit_request()).await.unwrap_err();
    assert_eq!(err, BrokerError::DuplicateClientOrderId);
    assert_eq!(srv.requests().len(), 1);
}

#[tokio::test]
async fn bars_follow_pages_and_are_stamped_at_the_close() {
    let srv = RestServer::start().await;
    let path = "/v2/stocks/AAPL/bars";
    srv.on("GET", path, Reply::fixture(200, "bars_page1.json"));
    srv.on("GET", path, Reply::fixture(200, "bars_page2.json"));
    let (c, _) = client(&srv);
    let q = BarsQuery {
        symbol: "AAPL".into(),
        timeframe: Timeframe::Day,
        start: Timestamp::from_datetime(
            &chrono::DateTime::parse_from_rfc3339("2022-02-28T00:00:00Z").unwrap(),
        ),
        end: Timestamp::from_datetime(
            &chrono::DateTime::parse_from_rfc3339("2022-03-01T23:59:59Z").unwrap(),
        ),
        page_limit: 1,
        adjustment: Adjustment::Raw,
    };
    let bars = c.bars(&q).await.unwrap();
    assert_eq!(bars.len(), 2);
    // 2022-02-28 session closes 16:00 EST = 21:00 UTC.
    assert_eq!(bars[0].ts.to_string(), "2022-02-28T21:00:00Z");
    assert_eq!(
        (
            bars[0].open,
            bars[0].high,
            bars[0].low,
            bars[0].close,
            bars[0].volume
        ),
        (163.02, 165.42, 162.43, 165.12, 90552883.0)
    );
    assert_eq!(bars[1].ts.to_string(), "2022-03-01T21:00:00Z");
    let reqs = srv.requests();
    assert!(reqs[0].query.contains("timeframe=1Day"));
    assert!(reqs[0].query.contains("feed=iex"));
    assert!(reqs[0].query.contains("adjustment=raw"));
    assert!(reqs[0].query.contains("start=2022-02-28T00%3A00%3A00Z"));
    assert!(!reqs[0].query.contains("page_token"));
    assert!(reqs[1]
        .query
        .contains("page_token=QUFQTHxEfDIwMjItMDMtMDFUMDU6MDA6MDAuMDAwMDAwMDAwWg%3D%3D"));
}

#[tokio::test]
async fn clock_calendar_and_order_list() {
    let srv = RestServer::start().await;
    srv.on("GET", "/v2/clock", Reply::fixture(200, "clock.json"));
    srv.on("GET", "/v2/calendar", Reply::fixture(200, "calendar.json"));
    srv.on(
        "GET",
        "/v2/orders",
        Reply::json(
            200,
            format!(
                "[{},{}]",
                alpaca_support::fixture("order_filled.json"),
                alpaca_support::fixture("order_moc_accepted.json")
            ),
        ),
    );
    let (c, _) = client(&srv);
    let clock = c.clock().await.unwrap();
    assert!(clock.is_open);
    // 10:15:00.123456789 EDT = 14:15:00.123456789 UTC.
    assert_eq!(clock.now.to_string(), "2024-07-01T14:15:00.123456789Z");
    assert_eq!(clock.next_close.to_string(), "2024-07-01T20:00:00Z");

    let days = c
        .calendar(
            NaiveDate::from_ymd_opt(2024, 11, 29).unwrap(),
            NaiveDate::from_ymd_opt(2024, 12, 2).unwrap(),
        )
        .await
        .unwrap();
    // Early close 13:00 EST = 18:00 UTC; regular close 16:00 EST = 21:00 UTC.
    assert_eq!(days[0].close.to_string(), "2024-11-29T18:00:00Z");
    assert_eq!(days[1].open.to_string(), "2024-12-02T14:30:00Z");
    assert_eq!(days[1].close.to_string(), "2024-12-02T21:00:00Z");

    let orders = c.list_orders(OrderQueryStatus::All, 50).await.unwrap();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[1].request.order_type, OrderType::MarketOnClose);
    let reqs = srv.requests();
    assert_eq!(reqs[1].query, "start=2024-11-29&end=2024-12-02");
    assert_eq!(reqs[2].query, "status=all&limit=50&direction=asc");
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_errors() {
    let srv = RestServer::start().await;
    // A misbehaving server echoing the secret back in an error body.
    srv.on(
        "POST",
        "/v2/orders",
        Reply::json(
            403,
            format!(r#"{{"code":40310000,"message":"bad key {KEY_ID} with secret {SECRET}"}}"#),
        ),
    );
    srv.on(
        "GET",
        "/v2/account",
        Reply::json(401, format!(r#"{{"message":"unauthorized {SECRET}"}}"#)),
    );
    let (c, _) = client(&srv);
    let dbg = format!("{c:?} {:?}", creds());
    assert!(!dbg.contains(SECRET) && !dbg.contains(KEY_ID), "{dbg}");
    for err in [
        c.submit_order(&limit_request()).await.unwrap_err(),
        c.account().await.unwrap_err(),
    ] {
        let text = format!("{err} {err:?}");
        assert!(!text.contains(SECRET) && !text.contains(KEY_ID), "{text}");
        assert!(text.contains("***"), "{text}");
    }
}

#[tokio::test]
async fn unreachable_server_is_transient() {
    // Port 9 on localhost (discard) is closed on test machines: connection refused.
    let mut cfg = RestServer::start().await.config();
    cfg.trading_base_url = "http://127.0.0.1:9".into();
    cfg.max_retries = 1;
    let sleeper = Arc::new(RecordingSleeper::default());
    let c = AlpacaClient::new(cfg, creds())
        .unwrap()
        .with_sleeper(sleeper.clone());
    let err = c.clock().await.unwrap_err();
    assert!(matches!(err, BrokerError::Transient(_)), "{err:?}");
    assert_eq!(sleeper.waits.lock().unwrap().len(), 1);
}
