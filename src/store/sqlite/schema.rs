//! The SQLite schema: migrations applied in order, counted by `PRAGMA user_version`.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    r#"
-- CA generations (issue 13): one row per key, all sharing the CA's DN.
CREATE TABLE ca_generations (
    kind TEXT NOT NULL CHECK (kind IN ('sign', 'auth')),
    generation INTEGER NOT NULL CHECK (generation >= 1),
    ca_cert BLOB NOT NULL,
    responder_cert BLOB NOT NULL,
    issuing_from INTEGER NOT NULL,
    revoked_at INTEGER,
    reason INTEGER,
    PRIMARY KEY (kind, generation)
);
INSERT INTO ca_generations (kind, generation, ca_cert, responder_cert, issuing_from)
    SELECT kind, 1, ca_cert, responder_cert, 0 FROM authorities;
-- One cRLNumber sequence per generation and scope ('' = the generation's CRL and ARL).
CREATE TABLE crl_numbers (
    kind TEXT NOT NULL,
    generation INTEGER NOT NULL,
    scope TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (kind, generation, scope)
);
INSERT INTO crl_numbers (kind, generation, scope, value)
    SELECT kind, 1, '', crl_number FROM authorities;
DROP TABLE authorities;
ALTER TABLE certificates ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
-- The municipality the certificate's CRL distribution point names, fixed at issuance.
ALTER TABLE certificates ADD COLUMN prefecture TEXT NOT NULL DEFAULT '';
ALTER TABLE certificates ADD COLUMN municipality TEXT NOT NULL DEFAULT '';
UPDATE certificates SET
    prefecture = (SELECT c.prefecture FROM cards c WHERE c.id = card_id),
    municipality = (SELECT c.municipality FROM cards c WHERE c.id = card_id);
-- When a revocation was recorded (the virtual now), for publication schedules.
ALTER TABLE certificates ADD COLUMN recorded_at INTEGER;
UPDATE certificates SET recorded_at = revoked_at WHERE revoked_at IS NOT NULL;
ALTER TABLE events ADD COLUMN recorded_at INTEGER;
UPDATE events SET recorded_at = at;
DROP INDEX revoked_entries;
-- Cover the CRL queries: a generation's revoked entries in serial order, whole or
-- per distribution point, read from the index alone.
CREATE INDEX revoked_entries ON certificates
    (kind, generation, serial, not_after, revoked_at, reason, recorded_at)
    WHERE revoked_at IS NOT NULL;
CREATE INDEX revoked_by_point ON certificates
    (kind, generation, prefecture, municipality, serial, not_after, revoked_at, reason, recorded_at)
    WHERE revoked_at IS NOT NULL;
CREATE INDEX points ON certificates (kind, generation, prefecture, municipality);
"#,
    r#"
-- End-entity keys, each stored once however many certificates share it (populate's key
-- pool), found by their SHA-256. A certificate names its key by key_id and leaves
-- key_pkcs8 empty; certificates stored before keep their key in key_pkcs8.
CREATE TABLE card_keys (
    id INTEGER PRIMARY KEY,
    digest BLOB NOT NULL UNIQUE,
    pkcs8 BLOB NOT NULL
);
ALTER TABLE certificates ADD COLUMN key_id INTEGER REFERENCES card_keys(id);
-- Reading a card looks up the card that replaced it: without this index, a scan of
-- every card (a million, after populate) for each card read.
CREATE INDEX cards_by_replaces ON cards (replaces) WHERE replaces IS NOT NULL;
"#,
    r#"
-- Phone certificates (issue 17): the platform and device a certificate was issued to
-- (NULL: the card), and when a hold was lifted (removeFromCRL: the entry leaves the CRL).
ALTER TABLE certificates ADD COLUMN platform TEXT CHECK (platform IN ('android', 'ios'));
ALTER TABLE certificates ADD COLUMN device_id TEXT;
ALTER TABLE certificates ADD COLUMN lifted_at INTEGER;
DROP INDEX revoked_entries;
DROP INDEX revoked_by_point;
CREATE INDEX revoked_entries ON certificates
    (kind, generation, serial, not_after, revoked_at, reason, recorded_at, lifted_at)
    WHERE revoked_at IS NOT NULL;
CREATE INDEX revoked_by_point ON certificates
    (kind, generation, prefecture, municipality, serial, not_after, revoked_at, reason, recorded_at, lifted_at)
    WHERE revoked_at IS NOT NULL;
"#,
];

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
