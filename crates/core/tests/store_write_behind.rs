//! `WriteBehindStore`: the same calls give the same rows and answers as one store written call
//! by call, reads see every earlier write, and a failed queued write is reported by every later
//! call, never lost.

mod store_support;

use optifire_core::domain::{
    ClientOrderId, EquityPoint, Fill, Money, Order, OrderStatus, OrderType, Portfolio, Price,
    Quantity, Side,
};
use optifire_core::event::{Event, PluginRunRecord, RiskDecision, RunStatus, Severity};
use optifire_core::plugin::{Output, PluginOutput};
use optifire_core::store::{JournalAction, SqliteStore, Store, StoreError, WriteBehindStore};
use optifire_core::Timestamp;
use rust_decimal_macros::dec;
use std::sync::Arc;
use store_support::request;

/// Every field of a run record varies, so each one's trip through the queue is compared.
fn run(t: i64) -> PluginRunRecord {
    PluginRunRecord {
        plugin_id: format!("p{}", t % 3),
        started_at: Timestamp(t),
        cpu_ms: 0.25 + t as f64 / 7.0,
        wall_ms: 1.5,
        mem_bytes: (t % 3 != 0).then_some(42 + t as u64),
        status: [
            RunStatus::Ok,
            RunStatus::Error,
            RunStatus::Panicked,
            RunStatus::Skipped,
        ][(t % 4) as usize]
            .clone(),
        outputs: t as usize,
        message: (t % 2 == 0).then(|| format!("note {t} \u{e9}")),
        over_budget: t % 5 == 0,
    }
}

fn outputs(t: i64) -> Vec<PluginOutput> {
    vec![
        PluginOutput {
            plugin_id: "regime".into(),
            ts: Timestamp(t),
            output: Output::Regime {
                name: "normal".into(),
                multiplier: 0.5,
            },
        },
        PluginOutput {
            plugin_id: "fe".into(),
            ts: Timestamp(t),
            output: Output::Feature {
                symbol: "SPY".into(),
                name: "x".into(),
                value: t as f64,
            },
        },
        PluginOutput {
            plugin_id: "sig".into(),
            ts: Timestamp(t),
            output: Output::Signal {
                symbol: "SPY".into(),
                value: optifire_core::domain::Signal::new(0.25).unwrap(),
            },
        },
        // A second feature of the same run and a repeated one (the stored set keeps its first
        // place and last value), a signal on another symbol, and the kinds kept as values.
        PluginOutput {
            plugin_id: "fe".into(),
            ts: Timestamp(t),
            output: Output::Feature {
                symbol: "QQQ".into(),
                name: "y".into(),
                value: -1.0 / t as f64,
            },
        },
        PluginOutput {
            plugin_id: "fe".into(),
            ts: Timestamp(t),
            output: Output::Feature {
                symbol: "SPY".into(),
                name: "x".into(),
                value: t as f64 * 0.5,
            },
        },
        PluginOutput {
            plugin_id: "sig".into(),
            ts: Timestamp(t),
            output: Output::Signal {
                symbol: "QQQ".into(),
                value: optifire_core::domain::Signal::new(-(t as f64) / 41.0).unwrap(),
            },
        },
        PluginOutput {
            plugin_id: "rep".into(),
            ts: Timestamp(t),
            output: Output::Report {
                name: "r".into(),
                body: serde_json::json!({ "t": t, "s": "x\"y" }),
            },
        },
        PluginOutput {
            plugin_id: "ex".into(),
            ts: Timestamp(t),
            output: Output::ExposureMultiplier {
                symbol: Some("SPY".into()),
                multiplier: 0.75,
                reason: "why".into(),
            },
        },
    ]
}

fn risk(t: i64) -> Event {
    Event::Risk {
        ts: Timestamp(t),
        decision: RiskDecision {
            symbol: None,
            approved: t % 2 == 0,
            rule: "max_var".into(),
            reason: format!("reason {t}"),
        },
    }
}

fn fill(id: &str, t: i64) -> Fill {
    Fill {
        fill_id: format!("f-{id}").into(),
        client_order_id: ClientOrderId(id.into()),
        symbol: "SPY".into(),
        side: Side::Buy,
        qty: Quantity(dec!(2)),
        price: Price(dec!(10.5)),
        commission: Money(dec!(0.1)),
        ts: Timestamp(t),
    }
}

/// What a backtest's engine asks of its store over a few cycles, with every answer it gets.
fn drive(s: &dyn Store) -> Vec<String> {
    let mut answers = Vec::new();
    let mut book = Portfolio::new(Money(dec!(1000)));
    s.begin_batch().unwrap();
    for t in 1..=40 {
        s.push_plugin_run(&run(t)).unwrap();
        s.insert_outputs(&outputs(t)).unwrap();
        s.push_event(Timestamp(t), &risk(t)).unwrap();
        s.set_plugin_state("p1", t % 5 == 0, Some("why"), 1, Timestamp(t))
            .unwrap();
        s.set_plugin_state("p2", false, None, t as u32, Timestamp(t))
            .unwrap();
        if t % 4 == 0 {
            let mut req = request(&format!("o{t}"), t);
            if t % 8 == 0 {
                // Other order types, quantities with a scale, and a symbol as deserializing
                // keeps it (the store reads it back upper-cased).
                req.order_type = OrderType::Limit {
                    limit: Price(dec!(10.50)),
                };
                req.qty = Quantity(dec!(2.500));
                req.symbol = serde_json::from_str("\" spy\"").unwrap();
            }
            s.journal_intent(&req).unwrap();
            // Journaling twice is refused, whatever the queue held.
            let again = s.journal_intent(&req);
            answers.push(format!("{again:?}"));
            let mut order = Order::new(req.clone());
            order.status = OrderStatus::Accepted;
            order.updated_at = Timestamp(t);
            s.upsert_order(&order).unwrap();
            // The read sees the queued upsert.
            answers.push(format!("{:?}", s.order(&req.client_order_id).unwrap()));
            let seq = s
                .journal_append(
                    Timestamp(t),
                    &req.client_order_id,
                    JournalAction::Ack,
                    &serde_json::json!({ "t": t }),
                )
                .unwrap();
            answers.push(format!("seq {seq}"));
            let f = fill(&req.client_order_id.0, t);
            answers.push(format!("{:?}", s.insert_fill(&f).unwrap()));
            answers.push(format!("{:?}", s.insert_fill(&f).unwrap()));
            // The same fill id with other content is a conflict.
            let mut other = f.clone();
            other.price = Price(dec!(10.6));
            answers.push(format!("{:?}", s.insert_fill(&other)));
            book.apply_fill(&f).unwrap();
            if t % 12 == 0 {
                let mut done = order.clone();
                done.status = OrderStatus::Filled;
                done.filled_qty = Quantity(dec!(2));
                done.avg_fill_price = Some(Price(dec!(10.5)));
                done.broker_order_id = Some(format!("b{t}").into());
                done.reason = Some("filled".into());
                done.updated_at = Timestamp(t + 1);
                // The request part of a stored order stays as stored.
                done.request.qty = Quantity(dec!(99));
                s.upsert_order(&done).unwrap();
                answers.push(format!("{:?}", s.order(&req.client_order_id).unwrap()));
            }
            answers.push(format!("{:?}", s.open_orders().unwrap()));
            answers.push(format!(
                "{:?}",
                s.orders(Some(OrderStatus::Accepted), 2).unwrap()
            ));
        }
        s.insert_equity(&EquityPoint {
            ts: Timestamp(t),
            equity: Money(dec!(1000)),
            cash: book.cash,
            gross_exposure: Money::ZERO,
        })
        .unwrap();
        s.snapshot_positions(Timestamp(t), &book).unwrap();
        if t % 16 == 0 {
            s.commit_batch().unwrap();
            s.begin_batch().unwrap();
        }
        if t == 20 {
            // Ids handed out by the id-returning calls continue the pushed ones.
            answers.push(format!(
                "event id {}",
                s.append_event(Timestamp(t), &risk(t)).unwrap()
            ));
            answers.push(format!("run id {}", s.record_plugin_run(&run(t)).unwrap()));
        }
    }
    s.commit_batch().unwrap();
    let all = (Timestamp::MIN, Timestamp::MAX);
    answers.push(format!("{:?}", s.events_after(0, 1000).unwrap()));
    answers.push(format!("{:?}", s.plugin_runs(None, 1000).unwrap()));
    answers.push(format!(
        "{:?}",
        s.plugin_outputs(None, all.0, all.1).unwrap()
    ));
    answers.push(format!("{:?}", s.signals(None, all.0, all.1).unwrap()));
    answers.push(format!(
        "{:?}",
        s.features(&"SPY".into(), "x", all.0, all.1).unwrap()
    ));
    answers.push(format!(
        "{:?}",
        s.features(&"QQQ".into(), "y", all.0, all.1).unwrap()
    ));
    answers.push(format!("{:?}", s.plugin_states().unwrap()));
    answers.push(format!("{:?}", s.orders(None, 1000).unwrap()));
    answers.push(format!("{:?}", s.fills(all.0, all.1).unwrap()));
    answers.push(format!("{:?}", s.equity(all.0, all.1).unwrap()));
    answers.push(format!("{:?}", s.latest_position_snapshot().unwrap()));
    answers.push(format!(
        "{:?}",
        s.journal(&ClientOrderId("o8".into())).unwrap()
    ));
    // A journal row for an order never journaled is refused, and the journal goes on.
    let ghost = s.journal_append(
        Timestamp(99),
        &ClientOrderId("ghost".into()),
        JournalAction::Ack,
        &serde_json::json!({}),
    );
    answers.push(format!("{}", ghost.is_err()));
    let seq = s
        .journal_append(
            Timestamp(99),
            &ClientOrderId("o8".into()),
            JournalAction::Canceled,
            &serde_json::json!({ "last": true }),
        )
        .unwrap();
    answers.push(format!("seq {seq}"));
    answers.push(format!(
        "{:?}",
        s.journal(&ClientOrderId("o8".into())).unwrap()
    ));
    answers
}

#[test]
fn queued_writes_give_the_rows_and_answers_of_direct_writes() {
    let direct = SqliteStore::open_temporary(256).unwrap();
    let want = drive(&direct);
    let queued = WriteBehindStore::new(temporary(), temporary()).unwrap();
    let got = drive(&queued);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    // Over the file store's AUTOINCREMENT schema too.
    let memory = || -> Arc<dyn Store> { Arc::new(SqliteStore::open_in_memory().unwrap()) };
    let queued = WriteBehindStore::new(memory(), memory()).unwrap();
    assert_eq!(drive(&queued), want);
}

/// The order book's index starts from what the book store already holds: its orders are
/// duplicates, its fills known, and journal rows continue its sequence.
#[test]
fn the_order_book_index_starts_from_the_stored_book() {
    let book = temporary();
    let req = request("old", 1);
    book.journal_intent(&req).unwrap();
    let seq = book
        .journal_append(
            Timestamp(1),
            &req.client_order_id,
            JournalAction::Ack,
            &serde_json::json!({}),
        )
        .unwrap();
    let f = fill("old", 1);
    assert!(book.insert_fill(&f).unwrap());
    let s = WriteBehindStore::new(book.clone(), temporary()).unwrap();
    assert!(matches!(
        s.journal_intent(&req),
        Err(StoreError::DuplicateOrder(_))
    ));
    assert!(!s.insert_fill(&f).unwrap());
    assert_eq!(
        s.order(&req.client_order_id).unwrap(),
        book.order(&req.client_order_id).unwrap()
    );
    let next = s
        .journal_append(
            Timestamp(2),
            &req.client_order_id,
            JournalAction::Canceled,
            &serde_json::json!({}),
        )
        .unwrap();
    assert_eq!(next, seq + 1);
    s.flush().unwrap();
    assert_eq!(book.journal(&req.client_order_id).unwrap().len(), 3);
}

/// A row written to the book store behind the wrapper's back makes the store answer a queued
/// write otherwise than the index answered its caller: that write fails, and so does every
/// later call.
#[test]
fn a_store_answering_otherwise_than_the_index_fails_the_write() {
    let book = temporary();
    let s = WriteBehindStore::new(book.clone(), temporary()).unwrap();
    let f = fill("x", 1);
    assert!(book.insert_fill(&f).unwrap());
    // The index does not know it: "new", and queued.
    assert!(s.insert_fill(&f).unwrap());
    match s.flush() {
        Err(StoreError::WriteBehind { op, message, .. }) => {
            assert_eq!(op, "insert fill");
            assert!(message.contains("f-x"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        s.order(&ClientOrderId("x".into())),
        Err(StoreError::WriteBehind { .. })
    ));
}

fn temporary() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open_temporary(256).unwrap())
}

fn equity_point(t: i64) -> EquityPoint {
    EquityPoint {
        ts: Timestamp(t),
        equity: Money(dec!(1)),
        cash: Money(dec!(1)),
        gross_exposure: Money::ZERO,
    }
}

/// A transaction opened on the record behind the wrapper's back makes SQLite refuse the
/// queued `begin_batch`: a real failure, on the writer thread, of a call that already returned
/// `Ok`.
#[test]
fn a_failed_queued_write_fails_every_later_call_and_flush() {
    let (book, record) = (temporary(), temporary());
    let s = WriteBehindStore::new(book.clone(), record.clone()).unwrap();
    s.insert_equity(&equity_point(1)).unwrap();
    s.flush().unwrap();
    record.begin_batch().unwrap();
    s.insert_equity(&equity_point(2)).unwrap();
    // Queued, so accepted for now.
    s.begin_batch().unwrap();
    s.insert_equity(&equity_point(3)).unwrap();
    let err = s.flush().unwrap_err();
    match &err {
        StoreError::WriteBehind { op, message, .. } => {
            assert_eq!(*op, "begin write batch");
            assert!(message.contains("transaction"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("begin write batch"), "{err}");
    // Every later call, queued or not, write or read, record or order book, reports it.
    for r in [
        s.insert_equity(&equity_point(4)).map(|_| ()),
        s.push_event(Timestamp(4), &risk(4)),
        s.commit_batch(),
        s.equity(Timestamp::MIN, Timestamp::MAX).map(|_| ()),
        s.journal_intent(&request("late", 4)),
        s.insert_fill(&fill("late", 4)).map(|_| ()),
        s.orders(None, 10).map(|_| ()),
        s.flush(),
    ] {
        assert!(matches!(r, Err(StoreError::WriteBehind { .. })), "{r:?}");
    }
    // Nothing after the failure ran: no order was journaled, and the point queued after the
    // failed write is not stored (the ones before it are).
    drop(s);
    let rows: Vec<i64> = record
        .equity(Timestamp::MIN, Timestamp::MAX)
        .unwrap()
        .iter()
        .map(|p| p.ts.0)
        .collect();
    assert_eq!(rows, vec![1, 2]);
    assert!(book.order(&ClientOrderId("late".into())).unwrap().is_none());
}

#[test]
fn the_failure_counts_the_writes_it_kept_from_running() {
    let record = temporary();
    let s = WriteBehindStore::new(temporary(), record.clone()).unwrap();
    record.begin_batch().unwrap();
    s.begin_batch().unwrap();
    for t in 0..5 {
        s.insert_equity(&equity_point(t)).unwrap();
    }
    match s.flush() {
        Err(StoreError::WriteBehind { dropped, .. }) => assert_eq!(dropped, 5),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn dropping_the_store_stores_what_is_queued() {
    let record = temporary();
    let s = WriteBehindStore::new(temporary(), record.clone()).unwrap();
    // Fewer than are handed to the writer at once.
    for t in 0..3 {
        s.insert_equity(&equity_point(t)).unwrap();
    }
    drop(s);
    assert_eq!(
        record.equity(Timestamp::MIN, Timestamp::MAX).unwrap().len(),
        3
    );
}

#[test]
fn a_read_right_after_a_queued_write_sees_it() {
    let s = WriteBehindStore::new(temporary(), temporary()).unwrap();
    for t in 0..200 {
        s.push_event(
            Timestamp(t),
            &Event::Alert {
                ts: Timestamp(t),
                source: "t".into(),
                severity: Severity::Info,
                message: format!("{t}"),
            },
        )
        .unwrap();
        let last = s.events_after(t, 10).unwrap();
        assert_eq!(last.len(), 1, "{t}");
        assert_eq!(last[0].0, t + 1);
    }
}
