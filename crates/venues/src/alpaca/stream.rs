//! Alpaca's websockets: the trading stream (order updates, fills) and the market-data stream.
//!
//! Each runs as a task that authenticates, subscribes, watches the connection with pings (a
//! silent connection is declared dead), and reconnects with exponential backoff, subscribing
//! again each time. Every state change reaches the caller as a typed `StreamEvent`.

use super::config::{AlpacaConfig, AlpacaCredentials};
use super::convert::Timeframe;
use super::convert::{bar_from_alpaca, fill_from_trade_update, order_from_alpaca, parse_ts};
use super::models::{DataStreamMessage, TradeUpdate, TradingStreamMessage};
use super::retry::Backoff;
use super::tls;
use futures_util::{SinkExt, StreamExt};
use optifire_core::domain::{Bar, Quote, Symbol, TradeTick};
use optifire_core::venue::VenueUpdate;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{timeout, timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::Connector;

/// What a stream tells its caller, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamEvent<T> {
    /// First connection authenticated and subscribed.
    Connected,
    /// A later connection authenticated and subscribed again; `attempt` counts reconnections.
    /// Alpaca does not replay what happened during the gap: reconcile orders with
    /// `AlpacaClient::list_orders` and backfill bars with `AlpacaClient::bars`.
    Reconnected {
        attempt: u32,
    },
    /// The server's acknowledgement: the streams (or `channel:SYMBOL`s) now active.
    Subscribed {
        streams: Vec<String>,
    },
    Data(T),
    /// The connection ended or could not be made; a reconnect follows unless the limit is hit.
    Disconnected {
        reason: String,
    },
    /// The keys were refused. Terminal: retrying bad keys only risks a lockout.
    AuthFailed {
        reason: String,
    },
    /// The server reported an error that does not end the stream.
    ServerError {
        reason: String,
    },
    /// A message that could not be understood; it is reported, never silently dropped.
    Malformed {
        reason: String,
    },
    /// The reconnect limit was reached; the task has ended.
    GaveUp {
        reason: String,
    },
}

/// Reconnect and heartbeat settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamOptions {
    /// Wait before reconnect attempt n is `backoff.delay(n)`.
    pub backoff: Backoff,
    /// How often a ping is sent and the connection's liveness checked.
    pub ping_interval: Duration,
    /// A connection with no frame (data, pong, anything) for this long is dead.
    pub dead_after: Duration,
    /// Limit for connecting, authenticating and subscribing.
    pub handshake_timeout: Duration,
    /// Consecutive failed connections before giving up; `None` retries forever.
    pub max_reconnects: Option<u32>,
    pub channel_capacity: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            backoff: Backoff {
                base: Duration::from_secs(1),
                max: Duration::from_secs(60),
            },
            ping_interval: Duration::from_secs(15),
            dead_after: Duration::from_secs(45),
            handshake_timeout: Duration::from_secs(10),
            max_reconnects: None,
            channel_capacity: 4096,
        }
    }
}

/// Market data the data stream delivers.
#[derive(Clone, Debug, PartialEq)]
pub enum MarketData {
    /// Minute bar, stamped at its close.
    Bar(Bar),
    Quote(Quote),
    Trade(TradeTick),
}

/// Symbols per channel of the market-data stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subscription {
    pub bars: Vec<Symbol>,
    pub quotes: Vec<Symbol>,
    pub trades: Vec<Symbol>,
}

/// The caller's end of a running stream. Dropping it stops the task.
#[derive(Debug)]
pub struct StreamHandle<T> {
    events: mpsc::Receiver<StreamEvent<T>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl<T> StreamHandle<T> {
    /// The next event; `None` once the task has ended and every event was read.
    pub async fn next(&mut self) -> Option<StreamEvent<T>> {
        self.events.recv().await
    }

    /// The next event if one is waiting, for callers polling from a synchronous loop.
    pub fn try_next(&mut self) -> Option<StreamEvent<T>> {
        self.events.try_recv().ok()
    }

    /// Stops the task and waits for it to end.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl<T> Drop for StreamHandle<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the trading stream: `VenueUpdate::Fill` then `VenueUpdate::Order` for each fill event,
/// `VenueUpdate::Order` for every other order event.
pub fn spawn_trading_stream(
    config: &AlpacaConfig,
    creds: AlpacaCredentials,
    opts: StreamOptions,
) -> StreamHandle<VenueUpdate> {
    let proto = TradingProtocol {
        url: config.trading_stream_url.clone(),
        creds,
        filled: HashMap::new(),
    };
    spawn(proto, opts)
}

/// Starts the market-data stream for `sub` on the configured feed.
pub fn spawn_market_data_stream(
    config: &AlpacaConfig,
    creds: AlpacaCredentials,
    sub: Subscription,
    opts: StreamOptions,
) -> StreamHandle<MarketData> {
    let proto = DataProtocol {
        url: config.data_stream_endpoint(),
        creds,
        sub,
    };
    spawn(proto, opts)
}

fn spawn<P: Protocol>(proto: P, opts: StreamOptions) -> StreamHandle<P::Item> {
    let (tx, rx) = mpsc::channel(opts.channel_capacity.max(1));
    let (stop_tx, stop_rx) = oneshot::channel();
    let task = tokio::spawn(run(proto, opts, tx, stop_rx));
    StreamHandle {
        events: rx,
        stop: Some(stop_tx),
        task,
    }
}

/// One parsed server message.
enum Incoming<T> {
    /// The server's greeting; protocols that wait for it authenticate only then.
    Welcome,
    Authorized,
    AuthFailed(String),
    Subscribed(Vec<String>),
    Data(T),
    ServerError(String),
    Malformed(String),
    Ignore,
}

/// What differs between the two streams: addresses, messages, parsing.
trait Protocol: Send + Sync + 'static {
    type Item: Send + 'static;
    fn url(&self) -> String;
    fn auth_message(&self) -> String;
    /// Whether to wait for the server's greeting before authenticating.
    fn waits_for_welcome(&self) -> bool {
        false
    }
    fn subscribe_message(&self) -> String;
    fn parse(&mut self, text: &str) -> Vec<Incoming<Self::Item>>;
    fn redact(&self, text: &str) -> String;
}

enum SessionEnd {
    /// Ended after being established (or failed before); reconnect.
    Closed {
        reason: String,
        established: bool,
    },
    AuthFailed(String),
    ReceiverGone,
}

async fn run<P: Protocol>(
    mut proto: P,
    opts: StreamOptions,
    tx: mpsc::Sender<StreamEvent<P::Item>>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut established = 0u32;
    let mut failures = 0u32;
    loop {
        let end = tokio::select! {
            _ = &mut stop => return,
            end = session(&mut proto, &opts, &tx, established) => end,
        };
        match end {
            SessionEnd::ReceiverGone => return,
            SessionEnd::AuthFailed(reason) => {
                let reason = proto.redact(&reason);
                let _ = tx.send(StreamEvent::AuthFailed { reason }).await;
                return;
            }
            SessionEnd::Closed {
                reason,
                established: was_up,
            } => {
                if was_up {
                    established += 1;
                    failures = 0;
                }
                let reason = proto.redact(&reason);
                tracing::warn!(%reason, "alpaca stream disconnected");
                if tx
                    .send(StreamEvent::Disconnected {
                        reason: reason.clone(),
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                if let Some(max) = opts.max_reconnects {
                    if failures >= max {
                        let _ = tx
                            .send(StreamEvent::GaveUp {
                                reason: format!("{max} reconnects failed; last: {reason}"),
                            })
                            .await;
                        return;
                    }
                }
            }
        }
        let delay = opts.backoff.delay(failures);
        failures += 1;
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

fn frame_text(msg: Message) -> Option<String> {
    match msg {
        Message::Text(t) => Some(t.as_str().to_string()),
        // The trading stream sends JSON in binary frames.
        Message::Binary(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        _ => None,
    }
}

fn closed(reason: impl Into<String>, established: bool) -> SessionEnd {
    SessionEnd::Closed {
        reason: reason.into(),
        established,
    }
}

/// One connection: connect, authenticate, subscribe, then forward until it ends.
async fn session<P: Protocol>(
    proto: &mut P,
    opts: &StreamOptions,
    tx: &mpsc::Sender<StreamEvent<P::Item>>,
    established_before: u32,
) -> SessionEnd {
    let url = proto.url();
    let connector = match tls::client_config() {
        Ok(c) => Connector::Rustls(Arc::new(c)),
        Err(e) => return closed(format!("TLS setup: {e}"), false),
    };
    let connect =
        tokio_tungstenite::connect_async_tls_with_config(url.as_str(), None, true, Some(connector));
    let ws = match timeout(opts.handshake_timeout, connect).await {
        Err(_) => return closed(format!("connect to {url} timed out"), false),
        Ok(Err(e)) => return closed(format!("connect to {url}: {e}"), false),
        Ok(Ok((ws, _))) => ws,
    };
    let (mut sink, mut source) = ws.split();
    if !proto.waits_for_welcome() {
        if let Err(e) = sink.send(Message::text(proto.auth_message())).await {
            return closed(format!("send auth: {e}"), false);
        }
    }

    // Handshake: authorization, then subscription acknowledgement.
    let deadline = Instant::now() + opts.handshake_timeout;
    let mut authorized = false;
    let mut live = false;
    while !live {
        let msg = match timeout_at(deadline, source.next()).await {
            Err(_) => return closed("authentication/subscription timed out", false),
            Ok(None) => return closed("server closed the connection during handshake", false),
            Ok(Some(Err(e))) => return closed(format!("read during handshake: {e}"), false),
            Ok(Some(Ok(m))) => m,
        };
        let Some(text) = frame_text(msg) else {
            continue;
        };
        for inc in proto.parse(&text) {
            match inc {
                Incoming::Welcome => {
                    if let Err(e) = sink.send(Message::text(proto.auth_message())).await {
                        return closed(format!("send auth: {e}"), false);
                    }
                }
                Incoming::Authorized => {
                    authorized = true;
                    if let Err(e) = sink.send(Message::text(proto.subscribe_message())).await {
                        return closed(format!("send subscribe: {e}"), false);
                    }
                }
                Incoming::AuthFailed(r) => return SessionEnd::AuthFailed(r),
                Incoming::Subscribed(streams) if authorized => {
                    let first = if established_before == 0 {
                        StreamEvent::Connected
                    } else {
                        StreamEvent::Reconnected {
                            attempt: established_before,
                        }
                    };
                    if tx.send(first).await.is_err()
                        || tx.send(StreamEvent::Subscribed { streams }).await.is_err()
                    {
                        return SessionEnd::ReceiverGone;
                    }
                    live = true;
                }
                other => {
                    if let Some(end) = forward(proto, tx, other).await {
                        return end;
                    }
                }
            }
        }
    }

    // Live: forward data, ping, and declare the connection dead when it goes silent.
    let mut ping = tokio::time::interval(opts.ping_interval);
    ping.tick().await;
    let mut last_rx = Instant::now();
    loop {
        tokio::select! {
            m = source.next() => {
                let msg = match m {
                    None => return closed("server closed the connection", true),
                    Some(Err(e)) => return closed(format!("read: {e}"), true),
                    Some(Ok(Message::Close(frame))) => {
                        let why = frame.map(|f| format!("{} {}", f.code, f.reason)).unwrap_or_default();
                        return closed(format!("server sent close {why}").trim().to_string(), true);
                    }
                    Some(Ok(m)) => m,
                };
                last_rx = Instant::now();
                if let Some(text) = frame_text(msg) {
                    for inc in proto.parse(&text) {
                        if let Some(end) = forward(proto, tx, inc).await {
                            return end;
                        }
                    }
                }
            }
            _ = ping.tick() => {
                let silent = last_rx.elapsed();
                if silent >= opts.dead_after {
                    return closed(format!("heartbeat timeout: no frame for {} ms", silent.as_millis()), true);
                }
                if let Err(e) = sink.send(Message::Ping(Vec::new().into())).await {
                    return closed(format!("ping: {e}"), true);
                }
            }
        }
    }
}

/// Passes a non-handshake message to the caller; `Some` ends the session.
async fn forward<P: Protocol>(
    proto: &P,
    tx: &mpsc::Sender<StreamEvent<P::Item>>,
    inc: Incoming<P::Item>,
) -> Option<SessionEnd> {
    let ev = match inc {
        Incoming::Data(d) => StreamEvent::Data(d),
        Incoming::Malformed(r) => StreamEvent::Malformed {
            reason: proto.redact(&r),
        },
        Incoming::ServerError(r) => StreamEvent::ServerError {
            reason: proto.redact(&r),
        },
        Incoming::Subscribed(streams) => StreamEvent::Subscribed { streams },
        Incoming::AuthFailed(r) => return Some(SessionEnd::AuthFailed(r)),
        Incoming::Welcome | Incoming::Authorized | Incoming::Ignore => return None,
    };
    if tx.send(ev).await.is_err() {
        Some(SessionEnd::ReceiverGone)
    } else {
        None
    }
}

fn snippet(text: &str) -> String {
    text.chars().take(200).collect()
}

/// `wss://…/stream`: `auth`, `listen` to `trade_updates`.
struct TradingProtocol {
    url: String,
    creds: AlpacaCredentials,
    /// Cumulative filled quantity seen per Alpaca order id, to size fills sent without `qty`.
    filled: HashMap<String, Decimal>,
}

impl TradingProtocol {
    fn trade_update(&mut self, data: serde_json::Value) -> Vec<Incoming<VenueUpdate>> {
        let u: TradeUpdate = match serde_json::from_value(data) {
            Ok(u) => u,
            Err(e) => return vec![Incoming::Malformed(format!("trade update: {e}"))],
        };
        let order = match order_from_alpaca(&u.order) {
            Ok(o) => o,
            Err(e) => return vec![Incoming::Malformed(format!("trade update order: {e}"))],
        };
        let previous = self.filled.get(&u.order.id).copied().unwrap_or_default();
        let mut out = Vec::new();
        match fill_from_trade_update(&u, previous) {
            Ok(Some(fill)) => out.push(Incoming::Data(VenueUpdate::Fill(fill))),
            Ok(None) => {}
            Err(e) => out.push(Incoming::Malformed(format!("fill: {e}"))),
        }
        if order.status.is_terminal() {
            self.filled.remove(&u.order.id);
        } else {
            self.filled.insert(u.order.id.clone(), order.filled_qty.0);
        }
        out.push(Incoming::Data(VenueUpdate::Order(order)));
        out
    }
}

impl Protocol for TradingProtocol {
    type Item = VenueUpdate;

    fn url(&self) -> String {
        self.url.clone()
    }

    fn auth_message(&self) -> String {
        serde_json::json!({
            "action": "auth",
            "key": self.creds.expose_key_id(),
            "secret": self.creds.expose_secret(),
        })
        .to_string()
    }

    fn subscribe_message(&self) -> String {
        serde_json::json!({"action": "listen", "data": {"streams": ["trade_updates"]}}).to_string()
    }

    fn parse(&mut self, text: &str) -> Vec<Incoming<VenueUpdate>> {
        let msg: TradingStreamMessage = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => return vec![Incoming::Malformed(format!("{e}: {}", snippet(text)))],
        };
        match msg.stream.as_str() {
            "authorization" => {
                let status = msg.data.get("status").and_then(|s| s.as_str());
                if status == Some("authorized") {
                    vec![Incoming::Authorized]
                } else {
                    let why = msg
                        .data
                        .get("message")
                        .and_then(|s| s.as_str())
                        .or(status)
                        .unwrap_or("unauthorized");
                    vec![Incoming::AuthFailed(why.to_string())]
                }
            }
            "listening" => {
                let streams = msg
                    .data
                    .get("streams")
                    .and_then(|s| s.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                vec![Incoming::Subscribed(streams)]
            }
            "trade_updates" => self.trade_update(msg.data),
            "error" => vec![Incoming::ServerError(msg.data.to_string())],
            _ => vec![Incoming::Ignore],
        }
    }

    fn redact(&self, text: &str) -> String {
        self.creds.redact(text)
    }
}

/// `wss://stream.data.alpaca.markets/v2/{feed}`: `auth`, `subscribe` bars/quotes/trades.
struct DataProtocol {
    url: String,
    creds: AlpacaCredentials,
    sub: Subscription,
}

fn names(v: &[Symbol]) -> Vec<&str> {
    v.iter().map(Symbol::as_str).collect()
}

/// Errors that retrying cannot fix: 402 auth failed, 409 insufficient subscription.
const FATAL_DATA_CODES: [i64; 2] = [402, 409];

impl DataProtocol {
    fn item(&self, m: DataStreamMessage) -> Incoming<MarketData> {
        let bad = Incoming::Malformed;
        match m {
            DataStreamMessage::Success { msg } if msg == "authenticated" => Incoming::Authorized,
            DataStreamMessage::Success { msg } if msg == "connected" => Incoming::Welcome,
            DataStreamMessage::Success { .. } => Incoming::Ignore,
            DataStreamMessage::Error { code, msg } if FATAL_DATA_CODES.contains(&code) => {
                Incoming::AuthFailed(format!("{code} {msg}"))
            }
            DataStreamMessage::Error { code, msg } => {
                Incoming::ServerError(format!("{code} {msg}"))
            }
            DataStreamMessage::Subscription {
                trades,
                quotes,
                bars,
            } => {
                let mut s = Vec::new();
                s.extend(bars.iter().map(|x| format!("bars:{x}")));
                s.extend(quotes.iter().map(|x| format!("quotes:{x}")));
                s.extend(trades.iter().map(|x| format!("trades:{x}")));
                Incoming::Subscribed(s)
            }
            DataStreamMessage::Bar { symbol, bar } => {
                match bar_from_alpaca(&Symbol::new(&symbol), &bar, Timeframe::Minutes(1)) {
                    Ok(b) => Incoming::Data(MarketData::Bar(b)),
                    Err(e) => bad(e.to_string()),
                }
            }
            DataStreamMessage::Quote {
                symbol,
                bp,
                bs,
                ap,
                ask_size,
                t,
            } => match parse_ts("t", &t) {
                Ok(ts) => Incoming::Data(MarketData::Quote(Quote {
                    symbol: Symbol::new(&symbol),
                    ts,
                    bid: bp,
                    bid_size: bs,
                    ask: ap,
                    ask_size,
                })),
                Err(e) => bad(e.to_string()),
            },
            DataStreamMessage::Trade { symbol, p, s, t } => match parse_ts("t", &t) {
                Ok(ts) => Incoming::Data(MarketData::Trade(TradeTick {
                    symbol: Symbol::new(&symbol),
                    ts,
                    price: p,
                    size: s,
                })),
                Err(e) => bad(e.to_string()),
            },
            DataStreamMessage::Other => Incoming::Ignore,
        }
    }
}

impl Protocol for DataProtocol {
    type Item = MarketData;

    fn url(&self) -> String {
        self.url.clone()
    }

    fn auth_message(&self) -> String {
        serde_json::json!({
            "action": "auth",
            "key": self.creds.expose_key_id(),
            "secret": self.creds.expose_secret(),
        })
        .to_string()
    }

    /// The data stream greets with `[{"T":"success","msg":"connected"}]` first.
    fn waits_for_welcome(&self) -> bool {
        true
    }

    fn subscribe_message(&self) -> String {
        serde_json::json!({
            "action": "subscribe",
            "trades": names(&self.sub.trades),
            "quotes": names(&self.sub.quotes),
            "bars": names(&self.sub.bars),
        })
        .to_string()
    }

    fn parse(&mut self, text: &str) -> Vec<Incoming<MarketData>> {
        let items: Vec<serde_json::Value> = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return vec![Incoming::Malformed(format!("{e}: {}", snippet(text)))],
        };
        items
            .into_iter()
            .map(
                |v| match serde_json::from_value::<DataStreamMessage>(v.clone()) {
                    Ok(m) => self.item(m),
                    Err(e) => Incoming::Malformed(format!("{e}: {}", snippet(&v.to_string()))),
                },
            )
            .collect()
    }

    fn redact(&self, text: &str) -> String {
        self.creds.redact(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_proto() -> DataProtocol {
        DataProtocol {
            url: String::new(),
            creds: AlpacaCredentials::new("k", "s"),
            sub: Subscription::default(),
        }
    }

    #[test]
    fn data_messages_from_the_docs_parse() {
        // Examples from docs.alpaca.markets, "Real-time Stock Pricing Data".
        let text = r#"[{"T":"q","S":"AMD","bx":"U","bp":87.66,"bs":1,"ax":"Q","ap":87.68,"as":4,"t":"2021-02-22T15:51:45.335689322Z","c":["R"],"z":"C"},
            {"T":"t","i":96921,"S":"AAPL","x":"D","p":126.55,"s":1,"t":"2021-02-22T15:51:44.208Z","c":["@","I"],"z":"C"},
            {"T":"b","S":"SPY","o":388.985,"h":389.13,"l":388.975,"c":389.12,"v":49378,"t":"2021-02-22T19:15:00Z"}]"#;
        let got = data_proto().parse(text);
        assert_eq!(got.len(), 3);
        match &got[0] {
            Incoming::Data(MarketData::Quote(q)) => {
                assert_eq!((q.bid, q.ask, q.ask_size), (87.66, 87.68, 4.0));
                assert_eq!(q.ts.to_string(), "2021-02-22T15:51:45.335689322Z");
            }
            _ => panic!("quote"),
        }
        match &got[2] {
            Incoming::Data(MarketData::Bar(b)) => {
                // Minute bar starting 19:15 is known at 19:16.
                assert_eq!(b.ts.to_string(), "2021-02-22T19:16:00Z");
                assert_eq!(b.close, 389.12);
            }
            _ => panic!("bar"),
        }
    }

    #[test]
    fn auth_errors_are_fatal_only_when_retrying_cannot_help() {
        let mut p = data_proto();
        assert!(matches!(
            p.parse(r#"[{"T":"error","code":402,"msg":"auth failed"}]"#)[0],
            Incoming::AuthFailed(_)
        ));
        assert!(matches!(
            p.parse(r#"[{"T":"error","code":406,"msg":"connection limit exceeded"}]"#)[0],
            Incoming::ServerError(_)
        ));
        assert!(matches!(p.parse("not json")[0], Incoming::Malformed(_)));
    }
}
