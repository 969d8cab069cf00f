//! Orders, the append-only order journal and fills: the tables that must never lose or
//! duplicate money. The journal rows of an intent are written in the same transaction as the
//! order itself, so a crash leaves both or neither.

use super::codec::{dec_text, enum_text, limit, parse_dec, parse_enum};
use crate::domain::{
    ClientOrderId, Fill, Money, Order, OrderRequest, OrderStatus, Price, Quantity, Symbol,
};
use crate::store::error::{Context, StoreError, StoreResult};
use crate::store::records::{JournalAction, JournalEntry};
use crate::Timestamp;
use rusqlite::{params, Connection, Row};

const ORDER_COLUMNS: &str = "client_order_id, broker_order_id, symbol, side, qty, order_type, \
     tif, status, filled_qty, avg_fill_price, created_at, updated_at, reason";

pub fn journal_intent(conn: &Connection, request: &OrderRequest) -> StoreResult<()> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM orders WHERE client_order_id = ?1")
        .and_then(|mut s| s.exists([&request.client_order_id.0]))
        .ctx("look up order before journaling")?;
    if exists {
        return Err(StoreError::DuplicateOrder(request.client_order_id.clone()));
    }
    upsert_order(conn, &Order::new(request.clone()))?;
    let payload = serde_json::to_value(request).ctx("encode order intent")?;
    journal_append(
        conn,
        request.created_at,
        &request.client_order_id,
        JournalAction::Intent,
        &payload,
    )?;
    Ok(())
}

pub fn journal_append(
    conn: &Connection,
    ts: Timestamp,
    client_order_id: &ClientOrderId,
    action: JournalAction,
    payload: &serde_json::Value,
) -> StoreResult<i64> {
    let payload = serde_json::to_string(payload).ctx("encode journal payload")?;
    journal_append_text(conn, ts, &client_order_id.0, action, &payload)
}

/// `journal_append` of a payload already encoded as JSON text.
pub fn journal_append_text(
    conn: &Connection,
    ts: Timestamp,
    client_order_id: &str,
    action: JournalAction,
    payload: &str,
) -> StoreResult<i64> {
    const OP: &str = "insert into order_journal";
    let action = enum_text(&action, "action")?;
    conn.prepare_cached(
        "INSERT INTO order_journal (ts, client_order_id, action, payload) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute(params![ts.0, client_order_id, action, payload]))
    .ctx(OP)?;
    Ok(conn.last_insert_rowid())
}

pub fn journal(
    conn: &Connection,
    client_order_id: &ClientOrderId,
) -> StoreResult<Vec<JournalEntry>> {
    const OP: &str = "read order_journal";
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, ts, action, payload FROM order_journal
             WHERE client_order_id = ?1 ORDER BY seq",
        )
        .ctx(OP)?;
    let mut rows = stmt.query([&client_order_id.0]).ctx(OP)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().ctx(OP)? {
        let payload: String = r.get(3).ctx(OP)?;
        out.push(JournalEntry {
            seq: r.get(0).ctx(OP)?,
            ts: Timestamp(r.get(1).ctx(OP)?),
            client_order_id: client_order_id.clone(),
            action: parse_enum("order_journal", "action", r.get(2).ctx(OP)?)?,
            payload: serde_json::from_str(&payload).ctx("decode order_journal.payload")?,
        });
    }
    Ok(out)
}

pub fn upsert_order(conn: &Connection, order: &Order) -> StoreResult<()> {
    let req = &order.request;
    let order_type = serde_json::to_string(&req.order_type).ctx("encode order type")?;
    let tif = enum_text(&req.tif, "tif")?;
    conn.prepare_cached(
        "INSERT INTO orders (client_order_id, broker_order_id, symbol, side, qty, order_type, tif,
                             status, is_open, filled_qty, avg_fill_price, created_at, updated_at,
                             reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (client_order_id) DO UPDATE SET
            broker_order_id = excluded.broker_order_id, status = excluded.status,
            is_open = excluded.is_open, filled_qty = excluded.filled_qty,
            avg_fill_price = excluded.avg_fill_price, updated_at = excluded.updated_at,
            reason = excluded.reason",
    )
    .and_then(|mut s| {
        s.execute(params![
            req.client_order_id.0,
            order.broker_order_id,
            req.symbol.as_str(),
            req.side.as_str(),
            dec_text(req.qty.0),
            order_type,
            tif,
            order.status.as_str(),
            !order.status.is_terminal(),
            dec_text(order.filled_qty.0),
            order.avg_fill_price.map(|p| dec_text(p.0)),
            req.created_at.0,
            order.updated_at.0,
            order.reason,
        ])
    })
    .ctx("upsert into orders")?;
    Ok(())
}

fn read_order(r: &Row<'_>) -> StoreResult<Order> {
    const OP: &str = "read orders";
    const T: &str = "orders";
    let order_type: String = r.get(5).ctx(OP)?;
    let avg: Option<String> = r.get(9).ctx(OP)?;
    Ok(Order {
        request: OrderRequest {
            client_order_id: ClientOrderId(r.get(0).ctx(OP)?),
            symbol: Symbol::new(&r.get::<_, String>(2).ctx(OP)?),
            side: parse_enum(T, "side", r.get(3).ctx(OP)?)?,
            qty: Quantity(parse_dec(T, "qty", &r.get::<_, String>(4).ctx(OP)?)?),
            order_type: serde_json::from_str(&order_type).ctx("decode orders.order_type")?,
            tif: parse_enum(T, "tif", r.get(6).ctx(OP)?)?,
            created_at: Timestamp(r.get(10).ctx(OP)?),
        },
        broker_order_id: r.get(1).ctx(OP)?,
        status: parse_enum(T, "status", r.get(7).ctx(OP)?)?,
        filled_qty: Quantity(parse_dec(T, "filled_qty", &r.get::<_, String>(8).ctx(OP)?)?),
        avg_fill_price: avg
            .map(|s| parse_dec(T, "avg_fill_price", &s).map(Price))
            .transpose()?,
        updated_at: Timestamp(r.get(11).ctx(OP)?),
        reason: r.get(12).ctx(OP)?,
    })
}

fn query_orders(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<Order>> {
    const OP: &str = "read orders";
    let mut stmt = conn.prepare_cached(sql).ctx(OP)?;
    let mut rows = stmt.query(params).ctx(OP)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().ctx(OP)? {
        out.push(read_order(r)?);
    }
    Ok(out)
}

pub fn order(conn: &Connection, client_order_id: &ClientOrderId) -> StoreResult<Option<Order>> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE client_order_id = ?1");
    Ok(query_orders(conn, &sql, [&client_order_id.0])?
        .into_iter()
        .next())
}

pub fn orders(conn: &Connection, status: Option<OrderStatus>, n: usize) -> StoreResult<Vec<Order>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE (?1 IS NULL OR status = ?1)
         ORDER BY created_at DESC, client_order_id DESC LIMIT ?2"
    );
    query_orders(conn, &sql, params![status.map(|s| s.as_str()), limit(n)])
}

pub fn open_orders(conn: &Connection) -> StoreResult<Vec<Order>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE is_open = 1 ORDER BY created_at, client_order_id"
    );
    query_orders(conn, &sql, [])
}

pub fn insert_fill(conn: &Connection, fill: &Fill) -> StoreResult<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO fills (fill_id, client_order_id, symbol, side, qty, price, commission, ts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (fill_id) DO NOTHING",
        )
        .and_then(|mut s| {
            s.execute(params![
                fill.fill_id,
                fill.client_order_id.0,
                fill.symbol.as_str(),
                fill.side.as_str(),
                dec_text(fill.qty.0),
                dec_text(fill.price.0),
                dec_text(fill.commission.0),
                fill.ts.0,
            ])
        })
        .ctx("insert into fills")?;
    if inserted == 1 {
        return Ok(true);
    }
    let stored = query_fills(
        conn,
        &format!("SELECT {FILL_COLUMNS} FROM fills WHERE fill_id = ?1"),
        [&fill.fill_id],
    )?;
    if stored.first() == Some(fill) {
        Ok(false)
    } else {
        Err(StoreError::FillConflict {
            fill_id: fill.fill_id.to_string(),
        })
    }
}

const FILL_COLUMNS: &str = "fill_id, client_order_id, symbol, side, qty, price, commission, ts";

fn query_fills(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<Fill>> {
    const OP: &str = "read fills";
    const T: &str = "fills";
    let mut stmt = conn.prepare_cached(sql).ctx(OP)?;
    let mut rows = stmt.query(params).ctx(OP)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().ctx(OP)? {
        out.push(Fill {
            fill_id: r.get(0).ctx(OP)?,
            client_order_id: ClientOrderId(r.get(1).ctx(OP)?),
            symbol: Symbol::new(&r.get::<_, String>(2).ctx(OP)?),
            side: parse_enum(T, "side", r.get(3).ctx(OP)?)?,
            qty: Quantity(parse_dec(T, "qty", &r.get::<_, String>(4).ctx(OP)?)?),
            price: Price(parse_dec(T, "price", &r.get::<_, String>(5).ctx(OP)?)?),
            commission: Money(parse_dec(T, "commission", &r.get::<_, String>(6).ctx(OP)?)?),
            ts: Timestamp(r.get(7).ctx(OP)?),
        });
    }
    Ok(out)
}

pub fn fills(conn: &Connection, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Fill>> {
    query_fills(
        conn,
        &format!(
            "SELECT {FILL_COLUMNS} FROM fills WHERE ts BETWEEN ?1 AND ?2 ORDER BY ts, fill_id"
        ),
        params![from.0, to.0],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows are written with `as_str` and read with serde: the two names must agree.
    #[test]
    fn status_text_matches_serde_name() {
        for s in [
            OrderStatus::PendingNew,
            OrderStatus::New,
            OrderStatus::Accepted,
            OrderStatus::PartiallyFilled,
            OrderStatus::Filled,
            OrderStatus::PendingCancel,
            OrderStatus::Canceled,
            OrderStatus::Expired,
            OrderStatus::Rejected,
            OrderStatus::Replaced,
        ] {
            let back: OrderStatus = parse_enum("orders", "status", s.as_str().to_owned()).unwrap();
            assert_eq!(back, s);
        }
    }
}
