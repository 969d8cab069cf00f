//! Every record type written to the SQLite store comes back identical, with decimals exact to
//! the last digit and scale (the expected values are decimal literals, not the store's output).

use optifire_core::domain::{
    Bar, ClientOrderId, EquityPoint, Fill, Money, Order, OrderRequest, OrderStatus, OrderType,
    Portfolio, Price, Quantity, Side, Signal, Symbol, TimeInForce,
};
use optifire_core::event::{Event, PluginRunRecord, RiskDecision, RunStatus, Severity};
use optifire_core::plugin::{Output, PluginOutput};
use optifire_core::store::{JournalAction, SqliteStore, Store, StoreError};
use optifire_core::Timestamp;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::sync::Arc;

const T0: i64 = 1_719_840_600_000_000_000; // 2024-07-01 13:30:00 UTC
const DAY: i64 = 86_400_000_000_000;

fn store() -> SqliteStore {
    SqliteStore::open_in_memory().unwrap()
}

fn bar(sym: &str, i: i64, close: f64) -> Bar {
    Bar {
        symbol: sym.into(),
        ts: Timestamp(T0 + i * DAY),
        open: close - 0.5,
        high: close + 1.25,
        low: close - 1.0,
        close,
        volume: 1_000_000.0 + i as f64,
    }
}

fn fill(id: &str, qty: Decimal, price: Decimal, fee: Decimal, ts: i64) -> Fill {
    Fill {
        fill_id: id.into(),
        client_order_id: ClientOrderId("o-1".into()),
        symbol: "SPY".into(),
        side: Side::Sell,
        qty: Quantity(qty),
        price: Price(price),
        commission: Money(fee),
        ts: Timestamp(ts),
    }
}

#[test]
fn store_is_object_safe_and_shareable_across_threads() {
    let s: Arc<dyn Store> = Arc::new(store());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                s.save_config_version(Timestamp(t), "c", "f", "thread")
                    .unwrap()
            })
        })
        .collect();
    let mut versions: Vec<i64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    versions.sort_unstable();
    assert_eq!(versions, vec![1, 2, 3, 4]);
}

#[test]
fn bars_round_trip_in_one_batch_and_upsert() {
    let s = store();
    // 20k bars in one call (one transaction); f64 values come back bit-identical.
    let bars: Vec<Bar> = (0..20_000)
        .map(|i| bar("SPY", i, 400.0 + (i % 97) as f64 * 0.01 + 0.1 + 0.2))
        .collect();
    assert_eq!(s.insert_bars(&bars).unwrap(), 20_000);
    let back = s
        .bars(&"SPY".into(), Timestamp::MIN, Timestamp::MAX)
        .unwrap();
    assert_eq!(back, bars);
    // Inclusive range on both ends.
    let mid = s
        .bars(
            &"SPY".into(),
            Timestamp(T0 + 10 * DAY),
            Timestamp(T0 + 12 * DAY),
        )
        .unwrap();
    assert_eq!(mid, bars[10..=12].to_vec());
    // Upsert: the same key replaces the values.
    let fixed = bar("SPY", 10, 512.25);
    s.insert_bars(std::slice::from_ref(&fixed)).unwrap();
    let one = s
        .bars(
            &"SPY".into(),
            Timestamp(T0 + 10 * DAY),
            Timestamp(T0 + 10 * DAY),
        )
        .unwrap();
    assert_eq!(one, vec![fixed]);
    assert!(s
        .bars(&"QQQ".into(), Timestamp::MIN, Timestamp::MAX)
        .unwrap()
        .is_empty());
}

#[test]
fn an_invalid_bar_refuses_the_whole_batch() {
    let s = store();
    let mut bad = bar("SPY", 1, 400.0);
    bad.high = f64::NAN;
    let err = s.insert_bars(&[bar("SPY", 0, 400.0), bad]).unwrap_err();
    assert!(matches!(err, StoreError::InvalidBar { .. }), "{err}");
    assert!(s
        .bars(&"SPY".into(), Timestamp::MIN, Timestamp::MAX)
        .unwrap()
        .is_empty());
}

#[test]
fn outputs_go_to_their_tables_and_round_trip() {
    let s = store();
    let spy: Symbol = "SPY".into();
    let outs = vec![
        PluginOutput {
            plugin_id: "alpha_vix_regime".into(),
            ts: Timestamp(T0),
            output: Output::Signal {
                symbol: spy.clone(),
                value: Signal::new(-0.3).unwrap(),
            },
        },
        PluginOutput {
            plugin_id: "fe_kalman".into(),
            ts: Timestamp(T0),
            output: Output::Feature {
                symbol: spy.clone(),
                name: "kalman_level".into(),
                value: 0.1 + 0.2,
            },
        },
        PluginOutput {
            plugin_id: "fe_kalman".into(),
            ts: Timestamp(T0 + DAY),
            output: Output::Feature {
                symbol: spy.clone(),
                name: "kalman_level".into(),
                value: f64::NAN,
            },
        },
        PluginOutput {
            plugin_id: "alpha_vix_regime".into(),
            ts: Timestamp(T0),
            output: Output::Regime {
                name: "calm".into(),
                multiplier: 1.25,
            },
        },
        PluginOutput {
            plugin_id: "risk_drawdown_derisk".into(),
            ts: Timestamp(T0 + DAY),
            output: Output::Block {
                symbol: None,
                reason: "drawdown 8.1% > 8%".into(),
            },
        },
        PluginOutput {
            plugin_id: "diag_slippage_report".into(),
            ts: Timestamp(T0 + DAY),
            output: Output::Report {
                name: "slippage".into(),
                body: serde_json::json!({"bps": [1.5, 2.25]}),
            },
        },
    ];
    s.insert_outputs(&outs).unwrap();

    let sig = s.signals(None, Timestamp::MIN, Timestamp::MAX).unwrap();
    assert_eq!(sig.len(), 1);
    assert_eq!(sig[0].plugin_id, "alpha_vix_regime");
    assert_eq!(sig[0].symbol, spy);
    assert_eq!(sig[0].value, -0.3);
    assert_eq!(sig[0].ts, Timestamp(T0));
    assert!(s
        .signals(Some("other"), Timestamp::MIN, Timestamp::MAX)
        .unwrap()
        .is_empty());

    let f = s
        .features(&spy, "kalman_level", Timestamp::MIN, Timestamp::MAX)
        .unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].value.to_bits(), (0.1f64 + 0.2).to_bits());
    assert!(f[1].value.is_nan(), "NaN survives as NaN, not 0");

    let others = s
        .plugin_outputs(None, Timestamp::MIN, Timestamp::MAX)
        .unwrap();
    assert_eq!(
        others,
        vec![outs[3].clone(), outs[4].clone(), outs[5].clone()]
    );
    let only = s
        .plugin_outputs(Some("risk_drawdown_derisk"), Timestamp::MIN, Timestamp::MAX)
        .unwrap();
    assert_eq!(only, vec![outs[4].clone()]);
}

#[test]
fn orders_round_trip_with_exact_decimals_and_status_filters() {
    let s = store();
    let req = OrderRequest {
        client_order_id: ClientOrderId("o-1".into()),
        symbol: "SPY".into(),
        side: Side::Buy,
        qty: Quantity(dec!(0.1) + dec!(0.2)),
        order_type: OrderType::StopLimit {
            stop: Price(dec!(399.995)),
            limit: Price(dec!(400.0100)),
        },
        tif: TimeInForce::Gtc,
        created_at: Timestamp(T0),
    };
    s.journal_intent(&req).unwrap();
    assert_eq!(
        s.order(&req.client_order_id).unwrap(),
        Some(Order::new(req.clone()))
    );

    let mut o = Order::new(req.clone());
    o.broker_order_id = Some("b-77".into());
    o.status = OrderStatus::PartiallyFilled;
    o.filled_qty = Quantity(dec!(0.1));
    o.avg_fill_price = Some(Price(dec!(400.0033333333333333333333333)));
    o.updated_at = Timestamp(T0 + 5);
    o.reason = Some("partial at the open".into());
    s.upsert_order(&o).unwrap();
    let back = s.order(&req.client_order_id).unwrap().unwrap();
    assert_eq!(back, o);
    assert_eq!(back.request.qty.0.to_string(), "0.3");
    assert_eq!(back.remaining_qty(), Quantity(dec!(0.2)));
    assert_eq!(
        back.avg_fill_price.unwrap().0.to_string(),
        "400.0033333333333333333333333"
    );

    let moc = Order::new(OrderRequest {
        client_order_id: ClientOrderId("o-2".into()),
        symbol: "TLT".into(),
        side: Side::Sell,
        qty: Quantity(dec!(7)),
        order_type: OrderType::MarketOnClose,
        tif: TimeInForce::Cls,
        created_at: Timestamp(T0 + 10),
    });
    s.upsert_order(&moc).unwrap();
    let mut done = Order::new(OrderRequest {
        client_order_id: ClientOrderId("o-3".into()),
        created_at: Timestamp(T0 + 20),
        ..moc.request.clone()
    });
    done.status = OrderStatus::Filled;
    s.upsert_order(&done).unwrap();

    let all = s.orders(None, 10).unwrap();
    let ids: Vec<&str> = all
        .iter()
        .map(|o| o.request.client_order_id.as_str())
        .collect();
    assert_eq!(ids, vec!["o-3", "o-2", "o-1"], "newest first");
    assert_eq!(s.orders(None, 2).unwrap().len(), 2);
    assert_eq!(s.orders(Some(OrderStatus::Filled), 10).unwrap(), vec![done]);
    let open: Vec<String> = s
        .open_orders()
        .unwrap()
        .into_iter()
        .map(|o| o.request.client_order_id.0.to_string())
        .collect();
    assert_eq!(
        open,
        vec!["o-1".to_string(), "o-2".to_string()],
        "oldest first"
    );
    assert_eq!(s.order(&ClientOrderId("none".into())).unwrap(), None);
}

#[test]
fn journal_keeps_every_step_in_order() {
    let s = store();
    let req = OrderRequest {
        client_order_id: ClientOrderId("j-1".into()),
        symbol: "SPY".into(),
        side: Side::Sell,
        qty: Quantity(dec!(3)),
        order_type: OrderType::Market,
        tif: TimeInForce::Day,
        created_at: Timestamp(T0),
    };
    s.journal_intent(&req).unwrap();
    let id = &req.client_order_id;
    let a = s
        .journal_append(
            Timestamp(T0 + 1),
            id,
            JournalAction::Submitted,
            &serde_json::json!({}),
        )
        .unwrap();
    let b = s
        .journal_append(
            Timestamp(T0 + 2),
            id,
            JournalAction::Ack,
            &serde_json::json!({"broker_order_id": "b-1"}),
        )
        .unwrap();
    assert!(b > a);
    let j = s.journal(id).unwrap();
    let actions: Vec<JournalAction> = j.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec![
            JournalAction::Intent,
            JournalAction::Submitted,
            JournalAction::Ack
        ]
    );
    assert_eq!(j[2].payload["broker_order_id"], "b-1");
    assert_eq!(j[2].ts, Timestamp(T0 + 2));
    assert_eq!(j[2].seq, b);
}

#[test]
fn fill_insert_is_idempotent_and_conflicts_are_refused() {
    let s = store();
    let f = fill("x-1", dec!(0.1) + dec!(0.2), dec!(410.35), dec!(0.005), T0);
    assert!(s.insert_fill(&f).unwrap());
    assert!(
        !s.insert_fill(&f).unwrap(),
        "replayed fill is not stored twice"
    );
    let mut changed = f.clone();
    changed.price = Price(dec!(410.36));
    assert!(matches!(
        s.insert_fill(&changed),
        Err(StoreError::FillConflict { .. })
    ));
    let g = fill("x-2", dec!(1), dec!(0.0001), dec!(0), T0 + DAY);
    assert!(s.insert_fill(&g).unwrap());
    let all = s.fills(Timestamp::MIN, Timestamp::MAX).unwrap();
    assert_eq!(all, vec![f.clone(), g]);
    assert_eq!(all[0].qty.0.to_string(), "0.3");
    assert_eq!(all[0].commission.0.to_string(), "0.005");
    assert_eq!(s.fills(Timestamp(T0), Timestamp(T0)).unwrap(), vec![f]);
}

#[test]
fn position_snapshots_round_trip_and_the_latest_wins() {
    let s = store();
    assert!(s.latest_positions().unwrap().is_empty());
    assert_eq!(s.latest_position_snapshot().unwrap(), None);

    let mut p = Portfolio::new(Money(dec!(10000)));
    let buy = |id: &str, sym: &str, q: Decimal, px: Decimal| Fill {
        fill_id: id.into(),
        client_order_id: ClientOrderId(id.into()),
        symbol: sym.into(),
        side: Side::Buy,
        qty: Quantity(q),
        price: Price(px),
        commission: Money(dec!(0.35)),
        ts: Timestamp(T0),
    };
    p.apply_fill(&buy("1", "SPY", dec!(10), dec!(400.10)))
        .unwrap();
    p.apply_fill(&buy("2", "SPY", dec!(10), dec!(400.20)))
        .unwrap();
    p.apply_fill(&buy("3", "TLT", dec!(0.1), dec!(0.2)))
        .unwrap();
    s.snapshot_positions(Timestamp(T0), &p).unwrap();
    let snap = s.latest_position_snapshot().unwrap().unwrap();
    // Independent arithmetic: 10000 - 4001 - 4002 - 0.02 - 3 × 0.35 = 1995.93.
    assert_eq!(snap.cash, Money(dec!(1995.93)));
    assert_eq!(snap.commissions_paid, Money(dec!(1.05)));
    let pos = s.latest_positions().unwrap();
    assert_eq!(pos.len(), 2);
    assert_eq!(pos[0].symbol, "SPY".into());
    assert_eq!(pos[0].avg_price, Price(dec!(400.15)));
    assert_eq!(pos[0].qty, Quantity(dec!(20)));
    assert_eq!(pos[1].qty, Quantity(dec!(0.1)));
    assert_eq!(pos[1].avg_price, Price(dec!(0.2)));

    // A later, empty book is the latest: old positions must not reappear.
    s.snapshot_positions(Timestamp(T0 + DAY), &Portfolio::new(Money(dec!(5))))
        .unwrap();
    assert!(s.latest_positions().unwrap().is_empty());
    // Re-snapshotting the same ts replaces it.
    s.snapshot_positions(Timestamp(T0 + DAY), &p).unwrap();
    assert_eq!(s.latest_positions().unwrap(), pos);
}

#[test]
fn equity_points_round_trip_exactly() {
    let s = store();
    let pts = [
        EquityPoint {
            ts: Timestamp(T0),
            equity: Money(dec!(100000.30)),
            cash: Money(dec!(0.1) + dec!(0.2)),
            gross_exposure: Money(dec!(99999.999999999999)),
        },
        EquityPoint {
            ts: Timestamp(T0 + DAY),
            equity: Money(dec!(-12.5)),
            cash: Money(dec!(-7922816251426433759354395033.5)),
            gross_exposure: Money::ZERO,
        },
    ];
    for p in &pts {
        s.insert_equity(p).unwrap();
    }
    let back = s.equity(Timestamp::MIN, Timestamp::MAX).unwrap();
    assert_eq!(back, pts.to_vec());
    assert_eq!(back[0].cash.0.to_string(), "0.3");
    assert_eq!(back[0].equity.0.to_string(), "100000.30");
    assert_eq!(
        back[1].cash.0.to_string(),
        "-7922816251426433759354395033.5"
    );
    let replaced = EquityPoint {
        equity: Money(dec!(1)),
        ..pts[1]
    };
    s.insert_equity(&replaced).unwrap();
    assert_eq!(
        s.equity(Timestamp(T0 + DAY), Timestamp(T0 + DAY)).unwrap(),
        vec![replaced]
    );
}

#[test]
fn plugin_runs_and_states_round_trip() {
    let s = store();
    let run = |id: &str, t: i64, status: RunStatus| PluginRunRecord {
        plugin_id: id.into(),
        started_at: Timestamp(t),
        cpu_ms: 0.1 + 0.2,
        wall_ms: 12.75,
        mem_bytes: Some(u64::try_from(i64::MAX).unwrap()),
        status,
        outputs: 3,
        message: Some("ok".into()),
        over_budget: true,
    };
    let a = run("fe_kalman", T0, RunStatus::Ok);
    let b = run("fe_kalman", T0 + 1, RunStatus::Panicked);
    let c = PluginRunRecord {
        mem_bytes: None,
        message: None,
        over_budget: false,
        ..run("alpha_vix_regime", T0 + 2, RunStatus::Skipped)
    };
    let ia = s.record_plugin_run(&a).unwrap();
    let ib = s.record_plugin_run(&b).unwrap();
    s.record_plugin_run(&c).unwrap();
    assert!(ib > ia);
    assert_eq!(
        s.plugin_runs(Some("fe_kalman"), 10).unwrap(),
        vec![b.clone(), a]
    );
    assert_eq!(s.plugin_runs(None, 2).unwrap(), vec![c, b]);
    let too_big = PluginRunRecord {
        mem_bytes: Some(u64::MAX),
        ..run("x", 0, RunStatus::Error)
    };
    assert!(matches!(
        s.record_plugin_run(&too_big),
        Err(StoreError::OutOfRange { .. })
    ));

    s.set_plugin_state("fe_kalman", false, None, 1, Timestamp(T0))
        .unwrap();
    s.set_plugin_state(
        "alpha_x",
        true,
        Some("3 budget breaches"),
        3,
        Timestamp(T0 + 9),
    )
    .unwrap();
    s.set_plugin_state(
        "fe_kalman",
        true,
        Some("panicked"),
        u32::MAX,
        Timestamp(T0 + 5),
    )
    .unwrap();
    let st = s.plugin_states().unwrap();
    assert_eq!(st.len(), 2);
    assert_eq!(st[0].plugin_id, "alpha_x");
    assert!(st[0].disabled);
    assert_eq!(st[0].reason.as_deref(), Some("3 budget breaches"));
    assert_eq!(st[1].breaches, u32::MAX);
    assert_eq!(st[1].updated_at, Timestamp(T0 + 5));
    assert_eq!(st[1].reason.as_deref(), Some("panicked"));
}

#[test]
fn every_event_kind_round_trips() {
    let s = store();
    let f = fill("e-1", dec!(0.3), dec!(1.10), dec!(0.01), T0);
    let o = Order::new(OrderRequest {
        client_order_id: ClientOrderId("e".into()),
        symbol: "SPY".into(),
        side: Side::Buy,
        qty: Quantity(dec!(1.5)),
        order_type: OrderType::Limit {
            limit: Price(dec!(0.30)),
        },
        tif: TimeInForce::Ioc,
        created_at: Timestamp(T0),
    });
    let events = vec![
        Event::Bar(bar("SPY", 0, 400.3)),
        Event::Signal {
            ts: Timestamp(T0),
            plugin_id: "a".into(),
            symbol: "SPY".into(),
            value: -1.0,
        },
        Event::Feature {
            ts: Timestamp(T0),
            plugin_id: "f".into(),
            symbol: "SPY".into(),
            name: "n".into(),
            value: 0.1 + 0.2,
        },
        Event::Order(o),
        Event::Fill(f),
        Event::Risk {
            ts: Timestamp(T0),
            decision: RiskDecision {
                symbol: Some("SPY".into()),
                approved: false,
                rule: "max_symbol_weight".into(),
                reason: "0.12 > 0.10".into(),
            },
        },
        Event::Health {
            ts: Timestamp(T0),
            source: "infra".into(),
            severity: Severity::Warning,
            message: "rss 700 MB".into(),
        },
        Event::Alert {
            ts: Timestamp(T0),
            source: "risk".into(),
            severity: Severity::Critical,
            message: "drawdown".into(),
        },
        Event::ConfigChanged {
            ts: Timestamp(T0),
            version: 7,
            summary: "risk.max_gross 0.3".into(),
        },
        Event::PluginRun(PluginRunRecord {
            plugin_id: "p".into(),
            started_at: Timestamp(T0),
            cpu_ms: 1.0,
            wall_ms: 2.0,
            mem_bytes: None,
            status: RunStatus::Error,
            outputs: 0,
            message: Some("boom".into()),
            over_budget: false,
        }),
    ];
    for (i, e) in events.iter().enumerate() {
        s.append_event(Timestamp(T0 + i as i64), e).unwrap();
    }
    let back: Vec<Event> = s
        .events_after(0, 100)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(back, events);
}
