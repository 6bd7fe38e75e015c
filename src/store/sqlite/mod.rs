//! The default store: SQLite (WAL) plus PKCS#8 PEM key files (mode 0600) in one state
//! directory. A second process (the CLI) may write while `serve` reads; `revision()`
//! tells the server that something changed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{
    params, Connection, OptionalExtension, Savepoint, Transaction, TransactionBehavior,
};
use time::OffsetDateTime;

mod rows;
mod schema;

use rows::*;
use schema::migrate;

use super::*;
use crate::error::{Error, Result};

/// The database file inside the state directory.
pub const DATABASE_FILE: &str = "jpki-mock.sqlite3";

/// The SQLite store.
pub struct SqliteStore {
    directory: PathBuf,
    connection: Connection,
    changes: ChangeCounter,
    /// Whether a batch's transaction is open (`begin_batch`).
    in_batch: bool,
}

/// One method's writes: its own IMMEDIATE transaction, or, inside a batch, a savepoint
/// of the batch's transaction (so that a failing method still undoes its own writes).
enum Tx<'c> {
    Own(Transaction<'c>),
    InBatch(Savepoint<'c>),
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Tx::Own(tx) => tx,
            Tx::InBatch(savepoint) => savepoint,
        }
    }
}

impl Tx<'_> {
    fn commit(self) -> Result<()> {
        match self {
            Tx::Own(tx) => tx.commit()?,
            Tx::InBatch(savepoint) => savepoint.commit()?,
        }
        Ok(())
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqliteStore({})", self.directory.display())
    }
}

/// `ca-sign.key` for generation 1 (as before generations), `ca-sign-2.key` after.
fn key_file(kind: CertKind, generation: u32, role: &str) -> String {
    match generation {
        1 => format!("{role}-{}.key", kind.as_str()),
        n => format!("{role}-{}-{n}.key", kind.as_str()),
    }
}

/// Writes a secret file with mode 0600, atomically (temporary file, then rename).
fn write_secret(path: &Path, contents: &str) -> Result<()> {
    let temporary = path.with_extension("key.tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&temporary)
        .map_err(|e| Error::io(format!("cannot write {}", temporary.display()), e))?;
    file.write_all(contents.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| Error::io(format!("cannot write {}", temporary.display()), e))?;
    fs::rename(&temporary, path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

fn read_secret(path: &Path) -> Result<String> {
    fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read key {}", path.display()), e))
}

impl SqliteStore {
    /// Opens an existing state directory.
    pub fn open(directory: &Path) -> Result<Self> {
        let database = directory.join(DATABASE_FILE);
        if !database.is_file() {
            return Err(Error::State(format!(
                "no jpki-mock state in {}: run `jpki-mock init --state {}` first",
                directory.display(),
                directory.display()
            )));
        }
        Self::connect(directory)
    }

    /// Opens a state directory, creating it (mode 0700) and the database if missing.
    pub fn create(directory: &Path) -> Result<Self> {
        if !directory.exists() {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder.create(directory).map_err(|e| {
                Error::io(
                    format!("cannot create state directory {}", directory.display()),
                    e,
                )
            })?;
        }
        Self::connect(directory)
    }

    fn connect(directory: &Path) -> Result<Self> {
        let path = directory.join(DATABASE_FILE);
        let mut connection = Connection::open(&path)
            .map_err(|e| Error::State(format!("cannot open database {}: {e}", path.display())))?;
        let setup = |connection: &mut Connection| -> Result<()> {
            connection.busy_timeout(std::time::Duration::from_secs(10))?;
            connection.pragma_update(None, "journal_mode", "WAL")?;
            connection.pragma_update(None, "synchronous", "FULL")?;
            connection.pragma_update(None, "foreign_keys", "ON")?;
            migrate(connection)
        };
        setup(&mut connection).map_err(|e| explain_unwritable(directory, e))?;
        Ok(Self {
            directory: directory.to_path_buf(),
            connection,
            changes: ChangeCounter::open(directory)?,
            in_batch: false,
        })
    }

    /// The state directory.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// Warnings for a state directory others can read (should be 0700) and key files
    /// others can read (should be 0600).
    pub fn permission_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| fs::metadata(path).map(|m| m.permissions().mode() & 0o777);
            if let Ok(m) = mode(&self.directory) {
                if m & 0o077 != 0 {
                    warnings.push(format!(
                        "state directory {} has mode {m:03o}; it holds private keys: chmod 700 it",
                        self.directory.display()
                    ));
                }
            }
            if let Ok(entries) = fs::read_dir(&self.directory) {
                for path in entries.flatten().map(|e| e.path()) {
                    if path.extension().is_some_and(|e| e == "key") {
                        if let Ok(m) = mode(&path) {
                            if m & 0o077 != 0 {
                                warnings.push(format!(
                                    "key file {} has mode {m:03o}: chmod 600 it",
                                    path.display()
                                ));
                            }
                        }
                    }
                }
            }
        }
        warnings
    }

    fn immediate(&mut self) -> Result<Tx<'_>> {
        open_tx(&mut self.connection, self.in_batch)
    }

    /// A write transaction that changes what the server publishes.
    fn change(&mut self) -> Result<Change<'_>> {
        Ok(Change {
            tx: open_tx(&mut self.connection, self.in_batch)?,
            changes: &self.changes,
        })
    }
}

fn open_tx(connection: &mut Connection, in_batch: bool) -> Result<Tx<'_>> {
    Ok(if in_batch {
        Tx::InBatch(connection.savepoint()?)
    } else {
        Tx::Own(connection.transaction_with_behavior(TransactionBehavior::Immediate)?)
    })
}

/// A write whose commit is a change of the state: it bumps the stored revision with
/// the data, and the change counter once the commit is durable (inside a batch, when
/// the batch commits).
struct Change<'a> {
    tx: Tx<'a>,
    changes: &'a ChangeCounter,
}

impl Change<'_> {
    fn commit(self) -> Result<()> {
        bump_revision(&self.tx)?;
        let durable = matches!(self.tx, Tx::Own(_));
        self.tx.commit()?;
        if durable {
            self.changes.bump();
        }
        Ok(())
    }
}

impl std::ops::Deref for Change<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.tx
    }
}

/// SQLite says "attempt to write a readonly database" even when the cause is the
/// directory (WAL needs its `-shm` and `-wal` files there), so name the directory.
fn explain_unwritable(directory: &Path, error: Error) -> Error {
    match &error {
        Error::Database(e)
            if matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
            ) =>
        {
            Error::State(format!(
                "the state in {} cannot be written ({e}): jpki-mock needs write access to the \
                 state directory and its files, even to read",
                directory.display()
            ))
        }
        _ => error,
    }
}

impl Store for SqliteStore {
    fn begin_batch(&mut self) -> Result<()> {
        if self.in_batch {
            return Err(Error::Internal("a batch is already open".into()));
        }
        // A batch writes thousands of rows into indexes far larger than SQLite's
        // default 2 MB page cache (the distribution points' index of a million cards is
        // about 90 MB): a bigger cache for this connection saves rereading their pages.
        self.connection
            .execute_batch("PRAGMA cache_size = -131072; BEGIN IMMEDIATE")?;
        self.in_batch = true;
        Ok(())
    }

    fn end_batch(&mut self, commit: bool) -> Result<()> {
        if !self.in_batch {
            return Err(Error::Internal("no batch is open".into()));
        }
        self.in_batch = false;
        let end = if commit { "COMMIT" } else { "ROLLBACK" };
        if let Err(e) = self.connection.execute_batch(end) {
            // A failed COMMIT leaves the transaction open: undo it.
            let _ = self.connection.execute_batch("ROLLBACK");
            return Err(e.into());
        }
        if commit {
            self.changes.bump();
        }
        Ok(())
    }

    fn authorities(&self, kind: CertKind) -> Result<Vec<AuthorityRecord>> {
        let mut statement = self.connection.prepare_cached(
            "SELECT generation, ca_cert, responder_cert, issuing_from, revoked_at, reason
             FROM ca_generations WHERE kind = ?1 ORDER BY generation",
        )?;
        let rows = statement
            .query_map([kind.as_str()], |r| {
                let revocation = match r.get::<_, Option<i64>>(4)? {
                    Some(at) => Some(CaRevocation {
                        at: instant(at)?,
                        reason: reason_from_code(r.get(5)?)?,
                    }),
                    None => None,
                };
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    instant(r.get(3)?)?,
                    revocation,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(
                |(generation, ca_cert, responder_cert, issuing_from, revocation)| {
                    let key =
                        |role| read_secret(&self.directory.join(key_file(kind, generation, role)));
                    Ok(AuthorityRecord {
                        generation,
                        issuing_from,
                        revocation,
                        ca_cert,
                        ca_key_pem: key("ca")?,
                        responder_cert,
                        responder_key_pem: key("responder")?,
                    })
                },
            )
            .collect()
    }

    fn put_authority(&mut self, kind: CertKind, record: &AuthorityRecord) -> Result<()> {
        let generation = record.generation;
        // Under the write lock, so that two processes rolling over at once cannot both
        // write generation N's key files: the second finds the row and stops first.
        let directory = self.directory.clone();
        let tx = self.change()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM ca_generations WHERE kind = ?1 AND generation = ?2)",
            params![kind.as_str(), generation],
            |r| r.get(0),
        )?;
        if exists {
            return Err(Error::ConcurrentChange(format!(
                "{kind} CA generation {generation} exists already (made by another process)"
            )));
        }
        for (role, pem) in [
            ("ca", &record.ca_key_pem),
            ("responder", &record.responder_key_pem),
        ] {
            write_secret(&directory.join(key_file(kind, generation, role)), pem)?;
        }
        tx.execute(
            "INSERT INTO ca_generations (kind, generation, ca_cert, responder_cert, issuing_from)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                kind.as_str(),
                generation,
                record.ca_cert,
                record.responder_cert,
                unix(record.issuing_from)
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn put_responder(
        &mut self,
        kind: CertKind,
        generation: u32,
        cert: &[u8],
        key_pem: &str,
    ) -> Result<()> {
        write_secret(
            &self.directory.join(key_file(kind, generation, "responder")),
            key_pem,
        )?;
        let tx = self.change()?;
        tx.execute(
            "UPDATE ca_generations SET responder_cert = ?1 WHERE kind = ?2 AND generation = ?3",
            params![cert, kind.as_str(), generation],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn put_ca_certificate(&mut self, kind: CertKind, generation: u32, cert: &[u8]) -> Result<()> {
        let tx = self.change()?;
        tx.execute(
            "UPDATE ca_generations SET ca_cert = ?1 WHERE kind = ?2 AND generation = ?3",
            params![cert, kind.as_str(), generation],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn revoke_authority(
        &mut self,
        kind: CertKind,
        generation: u32,
        revocation: CaRevocation,
    ) -> Result<()> {
        let tx = self.change()?;
        let changed = tx.execute(
            "UPDATE ca_generations SET revoked_at = ?1, reason = ?2
             WHERE kind = ?3 AND generation = ?4 AND revoked_at IS NULL",
            params![
                unix(revocation.at),
                revocation.reason.code(),
                kind.as_str(),
                generation
            ],
        )?;
        if changed != 1 {
            return Err(Error::ConcurrentChange(format!(
                "{kind} CA generation {generation} is not revocable (already revoked, or absent)"
            )));
        }
        tx.commit()?;
        Ok(())
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .connection
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn put_setting(&mut self, key: &str, value: &str) -> Result<()> {
        let tx = self.change()?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn allocate_serials(&mut self, count: usize) -> Result<Vec<Serial>> {
        let tx = self.immediate()?;
        let next: i64 = tx.query_row(
            "SELECT value FROM counters WHERE name = 'next_serial'",
            [],
            |r| r.get(0),
        )?;
        let next = next.max(i64::from(FIRST_SERIAL));
        let end = next + count as i64;
        if end - 1 > i64::from(LAST_SERIAL) {
            return Err(Error::Refused(
                "the 4-byte serial counter is exhausted".into(),
            ));
        }
        tx.execute(
            "UPDATE counters SET value = ?1 WHERE name = 'next_serial'",
            [end],
        )?;
        tx.commit()?;
        Ok((next..end).map(|s| Serial(s as u32)).collect())
    }

    fn insert_card(
        &mut self,
        card: &NewCard,
        certificates: &[NewCertificate],
        pin_hashes: &[(CertKind, String)],
        event: Option<&NewEvent>,
    ) -> Result<CardId> {
        let tx = self.change()?;
        let h = &card.holder;
        tx.prepare_cached(
            "INSERT INTO cards (name, birth, gender, address, prefecture, municipality, issued_on, expiry, key_alg, replaces, fee_yen, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
                h.name,
                h.birth.to_string(),
                h.gender.as_str(),
                h.address,
                h.locality.prefecture,
                h.locality.municipality,
                card.issued_on.to_string(),
                card.expiry.to_string(),
                card.key_alg.as_str(),
                card.replaces.map(|c| c.0),
                card.fee_yen,
                unix(card.created_at),
            ])?;
        let id = CardId(tx.last_insert_rowid());
        insert_certificates(&tx, id, certificates)?;
        for (kind, hash) in pin_hashes {
            tx.execute(
                "INSERT INTO pins (card_id, kind, hash) VALUES (?1, ?2, ?3)",
                params![id.0, kind.as_str(), hash],
            )?;
        }
        if let Some(event) = event {
            insert_event(&tx, event)?;
        }
        tx.commit()?;
        Ok(id)
    }

    fn add_certificates(
        &mut self,
        card_id: CardId,
        certificates: &[NewCertificate],
        event: Option<&NewEvent>,
    ) -> Result<()> {
        let tx = self.change()?;
        insert_certificates(&tx, card_id, certificates)?;
        if let Some(event) = event {
            insert_event(&tx, event)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn record_event(&mut self, event: &NewEvent) -> Result<i64> {
        let tx = self.change()?;
        let id = insert_event(&tx, event)?;
        tx.commit()?;
        Ok(id)
    }

    fn lift_holds(&mut self, serials: &[Serial], lifted_at: OffsetDateTime) -> Result<()> {
        let tx = self.change()?;
        let mut statement = tx.prepare_cached(
            "UPDATE certificates SET lifted_at = ?1
             WHERE serial = ?2 AND revoked_at IS NOT NULL AND lifted_at IS NULL",
        )?;
        for serial in serials {
            if statement.execute(params![unix(lifted_at), serial.0])? != 1 {
                return Err(Error::ConcurrentChange(format!(
                    "certificate {serial} is not held (not revoked, or its hold was lifted)"
                )));
            }
        }
        drop(statement);
        tx.commit()
    }

    fn put_holder(&mut self, card_id: CardId, holder: &HolderRecord) -> Result<()> {
        let tx = self.change()?;
        let changed = tx.execute(
            "UPDATE cards SET name = ?1, address = ?2, prefecture = ?3, municipality = ?4 WHERE id = ?5",
            params![
                holder.name,
                holder.address,
                holder.locality.prefecture,
                holder.locality.municipality,
                card_id.0
            ],
        )?;
        if changed != 1 {
            return Err(Error::NotFound(format!("no card {card_id}")));
        }
        tx.commit()
    }

    fn card(&self, id: CardId) -> Result<Option<CardRecord>> {
        Ok(self
            .connection
            .prepare_cached(&format!(
                "SELECT {CARD_COLUMNS} FROM cards c WHERE c.id = ?1"
            ))?
            .query_row([id.0], card_row)
            .optional()?)
    }

    fn cards(&self) -> Result<Vec<CardRecord>> {
        let mut statement = self
            .connection
            .prepare_cached(&format!("SELECT {CARD_COLUMNS} FROM cards c ORDER BY c.id"))?;
        let rows = statement.query_map([], card_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn card_certificates(&self, id: CardId) -> Result<Vec<CertificateRecord>> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {CERT_COLUMNS} FROM certificates WHERE card_id = ?1 ORDER BY serial"
        ))?;
        let rows = statement.query_map([id.0], certificate_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn card_events(&self, id: CardId) -> Result<Vec<EventRecord>> {
        let mut statement = self.connection.prepare_cached(
            "SELECT e.id, e.cause, e.at, e.revoked, e.recorded_at FROM events e WHERE e.card_id = ?1 ORDER BY e.id",
        )?;
        let events = statement
            .query_map([id.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    cause(r.get(1)?)?,
                    instant(r.get(2)?)?,
                    r.get::<_, String>(3)?,
                    instant(r.get(4)?)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut reason_of = self
            .connection
            .prepare_cached("SELECT reason FROM certificates WHERE serial = ?1")?;
        let mut records = Vec::with_capacity(events.len());
        for (event_id, cause, at, revoked, recorded_at) in events {
            let serials: Vec<u32> = serde_json::from_str(&revoked)
                .map_err(|e| Error::State(format!("event {event_id} is corrupt: {e}")))?;
            let mut revokes = Vec::with_capacity(serials.len());
            for serial in serials {
                let reason: u8 = reason_of.query_row([serial], |r| r.get(0))?;
                revokes.push((Serial(serial), reason_from_code(reason)?));
            }
            records.push(EventRecord {
                id: event_id,
                event: NewEvent {
                    card_id: id,
                    cause,
                    at,
                    recorded_at,
                    revokes,
                },
            });
        }
        Ok(records)
    }

    fn certificate(&self, serial: Serial) -> Result<Option<CertificateRecord>> {
        Ok(self
            .connection
            .prepare_cached(&format!(
                "SELECT {CERT_COLUMNS} FROM certificates WHERE serial = ?1"
            ))?
            .query_row([serial.0], certificate_row)
            .optional()?)
    }

    fn status(&self, serial: Serial) -> Result<Option<StatusRecord>> {
        Ok(self
            .connection
            .prepare_cached(
                "SELECT kind, generation, not_after, revoked_at, cause, reason, recorded_at, lifted_at
                 FROM certificates WHERE serial = ?1",
            )?
            .query_row([serial.0], |r| {
                Ok(StatusRecord {
                    kind: parsed(r.get(0)?)?,
                    generation: r.get(1)?,
                    not_after: instant(r.get(2)?)?,
                    revocation: revocation(r, 3)?,
                })
            })
            .optional()?)
    }

    fn for_each_revoked(
        &self,
        query: &RevokedQuery<'_>,
        each: &mut dyn FnMut(RevokedEntry),
    ) -> Result<()> {
        let kind = query.kind.as_str();
        let unexpired_at = unix(query.unexpired_at);
        let recorded_before = query.recorded_before.map(unix);
        let sql = fields::revoked_sql(query, '?');
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&kind, &query.generation, &unexpired_at];
        if let Some(locality) = query.locality {
            values.extend([
                &locality.prefecture as &dyn rusqlite::ToSql,
                &locality.municipality,
            ]);
        }
        if let Some(before) = &recorded_before {
            values.push(before);
        }
        let mut statement = self.connection.prepare_cached(&sql)?;
        let mut rows = statement.query(values.as_slice())?;
        while let Some(r) = rows.next()? {
            each(RevokedEntry {
                serial: Serial(r.get(0)?),
                at: instant(r.get(1)?)?,
                reason: reason_from_code(r.get(2)?)?,
            });
        }
        Ok(())
    }

    fn localities(&self, kind: CertKind, generation: u32) -> Result<Vec<Locality>> {
        // A loose index scan: one index seek per distinct point, not a pass over every
        // certificate (a million certificates name a few thousand points).
        // The next municipality of the same prefecture, else the first of the next
        // prefecture: two seeks (a row-value comparison would seek on the prefecture
        // alone and then walk every certificate of it).
        let mut next = self.connection.prepare_cached(
            "SELECT * FROM (SELECT prefecture, municipality FROM certificates
                 WHERE kind = ?1 AND generation = ?2 AND prefecture = ?3 AND municipality > ?4
                 ORDER BY municipality LIMIT 1)
             UNION ALL
             SELECT * FROM (SELECT prefecture, municipality FROM certificates
                 WHERE kind = ?1 AND generation = ?2 AND prefecture > ?3
                 ORDER BY prefecture, municipality LIMIT 1)
             LIMIT 1",
        )?;
        let mut localities: Vec<Locality> = Vec::new();
        loop {
            let (prefecture, municipality) = localities.last().map_or(("", ""), |l| {
                (l.prefecture.as_str(), l.municipality.as_str())
            });
            let found = next
                .query_row(
                    params![kind.as_str(), generation, prefecture, municipality],
                    |r| {
                        Ok(Locality {
                            prefecture: r.get(0)?,
                            municipality: r.get(1)?,
                        })
                    },
                )
                .optional()?;
            match found {
                Some(locality) => localities.push(locality),
                None => return Ok(localities),
            }
        }
    }

    fn names_locality(&self, kind: CertKind, generation: u32, locality: &Locality) -> Result<bool> {
        Ok(self
            .connection
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM certificates
             WHERE kind = ?1 AND generation = ?2 AND prefecture = ?3 AND municipality = ?4)",
            )?
            .query_row(
                params![
                    kind.as_str(),
                    generation,
                    locality.prefecture,
                    locality.municipality
                ],
                |r| r.get(0),
            )?)
    }

    fn next_crl_number(&mut self, kind: CertKind, generation: u32, scope: &str) -> Result<u64> {
        let tx = self.immediate()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM ca_generations WHERE kind = ?1 AND generation = ?2)",
            params![kind.as_str(), generation],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(Error::NotFound(format!(
                "no {kind} CA generation {generation} in the state"
            )));
        }
        let number: i64 = tx.query_row(
            "INSERT INTO crl_numbers (kind, generation, scope, value) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (kind, generation, scope) DO UPDATE SET value = value + 1
             RETURNING value",
            params![kind.as_str(), generation, scope],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(number as u64)
    }

    fn pin(&self, card_id: CardId, kind: CertKind) -> Result<Option<PinRecord>> {
        Ok(self
            .connection
            .prepare_cached("SELECT hash, failures FROM pins WHERE card_id = ?1 AND kind = ?2")?
            .query_row(params![card_id.0, kind.as_str()], |r| {
                Ok(PinRecord {
                    hash: r.get(0)?,
                    failures: r.get(1)?,
                })
            })
            .optional()?)
    }

    fn set_pin_failures(&mut self, card_id: CardId, kind: CertKind, failures: u32) -> Result<()> {
        let tx = self.immediate()?;
        tx.execute(
            "UPDATE pins SET failures = ?1 WHERE card_id = ?2 AND kind = ?3",
            params![failures, card_id.0, kind.as_str()],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn put_pin(&mut self, card_id: CardId, kind: CertKind, hash: &str) -> Result<()> {
        let tx = self.immediate()?;
        tx.execute(
            "INSERT INTO pins (card_id, kind, hash, failures) VALUES (?1, ?2, ?3, 0)
             ON CONFLICT (card_id, kind) DO UPDATE SET hash = excluded.hash, failures = 0",
            params![card_id.0, kind.as_str(), hash],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn certificates_expiring(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<CertificateRecord>> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {CERT_COLUMNS} FROM certificates WHERE not_after BETWEEN ?1 AND ?2 ORDER BY serial"
        ))?;
        let rows = statement.query_map(params![unix(from), unix(to)], certificate_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn changes(&self) -> ChangeCounter {
        self.changes.clone()
    }

    fn revision(&self) -> Result<u64> {
        let value: i64 = self
            .connection
            .prepare_cached("SELECT value FROM counters WHERE name = 'revision'")?
            .query_row([], |r| r.get(0))?;
        Ok(value as u64)
    }
}

#[cfg(test)]
mod tests;
