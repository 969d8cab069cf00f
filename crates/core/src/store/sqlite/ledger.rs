//! Position snapshots and the equity curve: the ledger's state over time, exact decimals.

use super::codec::{dec_text, parse_dec};
use crate::domain::{EquityPoint, Money, Portfolio, Position, Price, Quantity, Symbol};
use crate::store::error::{Context, StoreResult};
use crate::store::records::PositionSnapshot;
use crate::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};

/// Writes the snapshot at `ts`, replacing one already there. `replaces`: whether one may be
/// there (a caller that knows `ts` is new skips the two deletes, which would find nothing).
pub fn snapshot_positions(
    conn: &Connection,
    ts: Timestamp,
    p: &Portfolio,
    replaces: bool,
) -> StoreResult<()> {
    if replaces {
        conn.prepare_cached("DELETE FROM positions WHERE ts = ?1")
            .and_then(|mut s| s.execute([ts.0]))
            .ctx("replace positions snapshot")?;
        conn.prepare_cached("DELETE FROM position_snapshots WHERE ts = ?1")
            .and_then(|mut s| s.execute([ts.0]))
            .ctx("replace position_snapshots row")?;
    }
    conn.prepare_cached(
        "INSERT INTO position_snapshots (ts, cash, commissions_paid) VALUES (?1, ?2, ?3)",
    )
    .and_then(|mut s| {
        s.execute(params![
            ts.0,
            dec_text(p.cash.0),
            dec_text(p.commissions_paid.0)
        ])
    })
    .ctx("insert into position_snapshots")?;
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO positions (ts, symbol, qty, avg_price, realized_pnl)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .ctx("insert into positions")?;
    for pos in p.positions.values() {
        stmt.execute(params![
            ts.0,
            pos.symbol.as_str(),
            dec_text(pos.qty.0),
            dec_text(pos.avg_price.0),
            dec_text(pos.realized_pnl.0),
        ])
        .ctx("insert into positions")?;
    }
    Ok(())
}

pub fn latest_snapshot(conn: &Connection) -> StoreResult<Option<PositionSnapshot>> {
    const OP: &str = "read positions";
    const T: &str = "positions";
    let head: Option<(i64, String, String)> = conn
        .prepare_cached(
            "SELECT ts, cash, commissions_paid FROM position_snapshots ORDER BY ts DESC LIMIT 1",
        )
        .and_then(|mut s| {
            s.query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .ctx("read position_snapshots")?;
    let Some((ts, cash, fees)) = head else {
        return Ok(None);
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT symbol, qty, avg_price, realized_pnl FROM positions
             WHERE ts = ?1 ORDER BY symbol",
        )
        .ctx(OP)?;
    let mut rows = stmt.query([ts]).ctx(OP)?;
    let mut positions = Vec::new();
    while let Some(r) = rows.next().ctx(OP)? {
        positions.push(Position {
            symbol: Symbol::new(&r.get::<_, String>(0).ctx(OP)?),
            qty: Quantity(parse_dec(T, "qty", &r.get::<_, String>(1).ctx(OP)?)?),
            avg_price: Price(parse_dec(T, "avg_price", &r.get::<_, String>(2).ctx(OP)?)?),
            realized_pnl: Money(parse_dec(
                T,
                "realized_pnl",
                &r.get::<_, String>(3).ctx(OP)?,
            )?),
        });
    }
    Ok(Some(PositionSnapshot {
        ts: Timestamp(ts),
        cash: Money(parse_dec("position_snapshots", "cash", &cash)?),
        commissions_paid: Money(parse_dec("position_snapshots", "commissions_paid", &fees)?),
        positions,
    }))
}

pub fn insert_equity(conn: &Connection, p: &EquityPoint) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO equity (ts, equity, cash, gross_exposure) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (ts) DO UPDATE SET equity = excluded.equity, cash = excluded.cash,
            gross_exposure = excluded.gross_exposure",
    )
    .and_then(|mut s| {
        s.execute(params![
            p.ts.0,
            dec_text(p.equity.0),
            dec_text(p.cash.0),
            dec_text(p.gross_exposure.0)
        ])
    })
    .ctx("upsert into equity")?;
    Ok(())
}

pub fn equity(conn: &Connection, from: Timestamp, to: Timestamp) -> StoreResult<Vec<EquityPoint>> {
    const OP: &str = "read equity";
    const T: &str = "equity";
    let mut stmt = conn
        .prepare_cached(
            "SELECT ts, equity, cash, gross_exposure FROM equity
             WHERE ts BETWEEN ?1 AND ?2 ORDER BY ts",
        )
        .ctx(OP)?;
    let mut rows = stmt.query([from.0, to.0]).ctx(OP)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().ctx(OP)? {
        out.push(EquityPoint {
            ts: Timestamp(r.get(0).ctx(OP)?),
            equity: Money(parse_dec(T, "equity", &r.get::<_, String>(1).ctx(OP)?)?),
            cash: Money(parse_dec(T, "cash", &r.get::<_, String>(2).ctx(OP)?)?),
            gross_exposure: Money(parse_dec(
                T,
                "gross_exposure",
                &r.get::<_, String>(3).ctx(OP)?,
            )?),
        });
    }
    Ok(out)
}
