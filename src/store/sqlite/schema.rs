//! The SQLite schema: migrations applied in order, counted by `PRAGMA user_version`.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
pub(super) const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO counters (name, value) VALUES ('next_serial', 16777217), ('revision', 0);
CREATE TABLE authorities (
    kind TEXT PRIMARY KEY CHECK (kind IN ('sign', 'auth')),
    ca_cert BLOB NOT NULL,
    responder_cert BLOB NOT NULL,
    crl_number INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE cards (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    birth TEXT NOT NULL,
    gender TEXT NOT NULL,
    address TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    municipality TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    expiry TEXT NOT NULL,
    key_alg TEXT NOT NULL,
    replaces INTEGER REFERENCES cards(id),
    fee_yen INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE certificates (
    serial INTEGER PRIMARY KEY,
    card_id INTEGER NOT NULL REFERENCES cards(id),
    kind TEXT NOT NULL CHECK (kind IN ('sign', 'auth')),
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    der BLOB NOT NULL,
    key_pkcs8 BLOB NOT NULL,
    revoked_at INTEGER,
    cause TEXT,
    reason INTEGER,
    revoked_by INTEGER REFERENCES events(id)
);
CREATE INDEX certificates_by_card ON certificates (card_id, kind);
-- Covers the CRL query: revoked entries of a CA in serial order, read from the index alone.
CREATE INDEX revoked_entries ON certificates (kind, serial, not_after, revoked_at, reason) WHERE revoked_at IS NOT NULL;
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    card_id INTEGER NOT NULL REFERENCES cards(id),
    cause TEXT NOT NULL,
    at INTEGER NOT NULL,
    revoked TEXT NOT NULL
);
CREATE INDEX events_by_card ON events (card_id);
CREATE TABLE pins (
    card_id INTEGER NOT NULL REFERENCES cards(id),
    kind TEXT NOT NULL CHECK (kind IN ('sign', 'auth')),
    hash TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (card_id, kind)
);
"#];

pub(super) fn migrate(connection: &mut Connection) -> Result<()> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: usize = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        return Err(Error::State(format!(
            "the state was written by a newer jpki-mock (schema {version}, this one knows {})",
            MIGRATIONS.len()
        )));
    }
    for migration in &MIGRATIONS[version..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len())?;
    tx.commit()?;
    Ok(())
}
