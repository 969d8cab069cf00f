-- OptiFIRE store, schema version 2: HTTP API users, the audit trail and revoked tokens.
-- Owned by optifire-server, which reads and writes these tables on the same database file.
-- Timestamps are INTEGER nanoseconds since the Unix epoch (UTC).

-- password_hash is an argon2id PHC string (salt and parameters inside); the password itself is
-- never stored. totp_secret is the base32 shared secret, NULL until `optifire user totp` enrols;
-- totp_last_step is the last accepted 30 s step, so one code cannot be used twice.
CREATE TABLE users (
    username       TEXT PRIMARY KEY NOT NULL,
    password_hash  TEXT NOT NULL,
    totp_secret    TEXT,
    totp_last_step INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- One row per state-changing API call (and every login attempt): who, what, when, from where.
-- username is NULL when the caller was not authenticated (a failed login).
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    ts       INTEGER NOT NULL,
    username TEXT,
    ip       TEXT NOT NULL,
    method   TEXT NOT NULL,
    path     TEXT NOT NULL,
    action   TEXT NOT NULL,
    status   INTEGER NOT NULL,
    detail   TEXT
);
CREATE INDEX audit_log_ts ON audit_log (ts);

-- Logged-out tokens by JWT id, kept until they would have expired anyway. expires_at is the
-- token's `exp` claim: Unix SECONDS, as JWT defines it (the one column here not in nanoseconds).
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
);
