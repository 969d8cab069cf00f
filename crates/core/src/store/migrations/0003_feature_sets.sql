-- OptiFIRE store, schema version 3: features packed one row per plugin run.
-- A plugin run emits its features together (fe_kalman: three per symbol, every cycle), and one
-- `features` row per value made their index upkeep the largest single cost of a backtest. New
-- features go here, one row per (instant, plugin), `data` holding every (symbol, name, value)
-- of that run: repeated records of
--   u16 LE symbol length, symbol UTF-8, u16 LE name length, name UTF-8, f64 LE value
-- (NaN kept as NaN). A rerun at the same instant merges into the row, replacing the values it
-- repeats, as a rerun replaced `features` rows. Rows already in `features` (written by older
-- builds) stay there and are still read; for the same (symbol, name, ts, plugin) this table
-- wins, as the later write.
CREATE TABLE feature_sets (
    id        INTEGER PRIMARY KEY,
    ts        INTEGER NOT NULL,
    plugin_id TEXT NOT NULL,
    data      BLOB NOT NULL
);
CREATE UNIQUE INDEX feature_sets_ts_plugin ON feature_sets (ts, plugin_id);
