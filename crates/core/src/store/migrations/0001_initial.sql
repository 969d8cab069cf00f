-- OptiFIRE store, schema version 1.
-- Timestamps are INTEGER nanoseconds since the Unix epoch (UTC). Ledger numbers (quantities,
-- prices, cash) are TEXT holding a rust_decimal Display string, so they round-trip exactly.
-- Market data and analytics values are REAL (IEEE double, exact for f64).

CREATE TABLE bars (
    symbol TEXT NOT NULL,
    ts     INTEGER NOT NULL,
    o      REAL NOT NULL,
    h      REAL NOT NULL,
    l      REAL NOT NULL,
    c      REAL NOT NULL,
    v      REAL NOT NULL,
    PRIMARY KEY (symbol, ts)
) WITHOUT ROWID;

-- One value per (symbol, feature, time, producing plugin); a rerun overwrites. The key order
-- serves the "one feature of one symbol over a time range" query. NULL value = NaN.
CREATE TABLE features (
    symbol    TEXT NOT NULL,
    name      TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    plugin_id TEXT NOT NULL,
    value     REAL,
    PRIMARY KEY (symbol, name, ts, plugin_id)
) WITHOUT ROWID;

CREATE TABLE signals (
    plugin_id TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    symbol    TEXT NOT NULL,
    value     REAL NOT NULL,
    PRIMARY KEY (plugin_id, ts, symbol)
) WITHOUT ROWID;
CREATE INDEX signals_ts ON signals (ts);

-- Every other plugin output, as the JSON of the `Output` value.
CREATE TABLE plugin_outputs (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ts        INTEGER NOT NULL,
    plugin_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    json      TEXT NOT NULL
);
CREATE INDEX plugin_outputs_ts ON plugin_outputs (ts);
CREATE INDEX plugin_outputs_plugin_ts ON plugin_outputs (plugin_id, ts);

CREATE TABLE orders (
    client_order_id TEXT PRIMARY KEY NOT NULL,
    broker_order_id TEXT,
    symbol          TEXT NOT NULL,
    side            TEXT NOT NULL,
    qty             TEXT NOT NULL,
    order_type      TEXT NOT NULL,
    tif             TEXT NOT NULL,
    status          TEXT NOT NULL,
    -- 1 while further fills may arrive (OrderStatus::is_terminal is false), kept by the writer.
    is_open         INTEGER NOT NULL,
    filled_qty      TEXT NOT NULL,
    avg_fill_price  TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    reason          TEXT
);
CREATE INDEX orders_status_created ON orders (status, created_at);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX orders_open ON orders (created_at) WHERE is_open = 1;

-- Append-only: rows are never updated or deleted (enforced by the triggers below).
CREATE TABLE order_journal (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    ts              INTEGER NOT NULL,
    client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
    action          TEXT NOT NULL,
    payload         TEXT NOT NULL
);
CREATE INDEX order_journal_order ON order_journal (client_order_id, seq);
CREATE TRIGGER order_journal_no_update BEFORE UPDATE ON order_journal
BEGIN
    SELECT RAISE(ABORT, 'order_journal is append-only');
END;
CREATE TRIGGER order_journal_no_delete BEFORE DELETE ON order_journal
BEGIN
    SELECT RAISE(ABORT, 'order_journal is append-only');
END;

-- No foreign key to orders: fills of orders placed outside OptiFIRE must still be recorded.
CREATE TABLE fills (
    fill_id         TEXT PRIMARY KEY NOT NULL,
    client_order_id TEXT NOT NULL,
    symbol          TEXT NOT NULL,
    side            TEXT NOT NULL,
    qty             TEXT NOT NULL,
    price           TEXT NOT NULL,
    commission      TEXT NOT NULL,
    ts              INTEGER NOT NULL
);
CREATE INDEX fills_ts ON fills (ts);
CREATE INDEX fills_order ON fills (client_order_id);

-- A snapshot header, so a snapshot of an all-flat or empty book is still recorded (otherwise
-- the latest snapshot would silently be an older one that still had positions).
CREATE TABLE position_snapshots (
    ts               INTEGER PRIMARY KEY NOT NULL,
    cash             TEXT NOT NULL,
    commissions_paid TEXT NOT NULL
);

CREATE TABLE positions (
    ts           INTEGER NOT NULL REFERENCES position_snapshots (ts) ON DELETE CASCADE,
    symbol       TEXT NOT NULL,
    qty          TEXT NOT NULL,
    avg_price    TEXT NOT NULL,
    realized_pnl TEXT NOT NULL,
    PRIMARY KEY (ts, symbol)
) WITHOUT ROWID;

CREATE TABLE equity (
    ts             INTEGER PRIMARY KEY NOT NULL,
    equity         TEXT NOT NULL,
    cash           TEXT NOT NULL,
    gross_exposure TEXT NOT NULL
);

CREATE TABLE plugin_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin_id   TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    cpu_ms      REAL NOT NULL,
    wall_ms     REAL NOT NULL,
    mem_bytes   INTEGER,
    status      TEXT NOT NULL,
    outputs     INTEGER NOT NULL,
    message     TEXT,
    over_budget INTEGER NOT NULL
);
CREATE INDEX plugin_runs_plugin_started ON plugin_runs (plugin_id, started_at);
CREATE INDEX plugin_runs_started ON plugin_runs (started_at);

CREATE TABLE plugin_state (
    plugin_id  TEXT PRIMARY KEY NOT NULL,
    disabled   INTEGER NOT NULL,
    reason     TEXT,
    breaches   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The primary key is the paging cursor for the dashboard's event stream.
CREATE TABLE events (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    ts   INTEGER NOT NULL,
    kind TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX events_kind_id ON events (kind, id);

-- AUTOINCREMENT: a pruned version number is never handed out again.
CREATE TABLE config_versions (
    version       INTEGER PRIMARY KEY AUTOINCREMENT,
    ts            INTEGER NOT NULL,
    config_text   TEXT NOT NULL,
    features_text TEXT NOT NULL,
    summary       TEXT NOT NULL
);
