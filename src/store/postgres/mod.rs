//! The PostgreSQL store, for several replicas sharing one state: every table of the
//! SQLite store, and the CA and responder keys too (so that every replica signs with the
//! same CA), in one schema of a database (`public`, or the URL's `schema=NAME`).
//!
//! Each method is one transaction; every writing transaction (and a whole batch) first
//! takes an advisory lock of its schema, so that writes are serialised across replicas
//! as SQLite's write lock serialises processes: a read-modify-write inside a batch is
//! safe. Serials and cRLNumbers come from counter rows updated in the transaction, so
//! two replicas never take the same one. Every transaction that changes what the server
//! publishes bumps the `revision` row, which the server's polled change counter reads at
//! each OCSP request: a replica sees another's revocation in its very next answer.
//!
//! The client is the blocking `postgres` one, which runs its own small runtime: every
//! call leaves the async worker first (`tokio::task::block_in_place`), so the store may
//! be used from `serve`'s worker threads (a multi-threaded runtime) as from any thread.

use std::cell::{RefCell, RefMut};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ::postgres::fallible_iterator::FallibleIterator;
use ::postgres::types::ToSql;
use ::postgres::{Client, Config, NoTls, Row, Statement};
use sha2::Digest;
use time::OffsetDateTime;

mod rows;
mod schema;
pub mod tenants;
pub mod testing;

use rows::*;

use super::*;
use crate::error::{Error, Result};

/// The advisory lock class of write transactions ("JPKI"); the key is the schema's.
const WRITE_LOCK: i32 = 0x4A50_4B49;
/// The advisory lock class of schema creation and migration.
const MIGRATION_LOCK: i32 = 0x4A50_4B4A;
/// Connections the polled change counter may use at once (OCSP requests in parallel).
const PROBES: usize = 4;

/// A schema's advisory lock key: FNV-1a of its name (two schemas sharing a key only
/// wait for each other).
fn lock_key(schema: &str) -> i32 {
    let hash = schema.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    i32::from_ne_bytes(hash.to_ne_bytes())
}

/// The schema as an SQL identifier (its name is checked: a-z, 0-9 and `_`).
fn quoted(schema: &str) -> String {
    format!("\"{schema}\"")
}

/// Runs blocking PostgreSQL I/O off the async worker thread it may be called on (the
/// client's own runtime cannot start inside another's worker). Outside a runtime, or on
/// a blocking-pool thread, it just runs `work`; on a current-thread runtime's own
/// thread, where nothing may block, it panics.
fn off_runtime<T>(work: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(work)
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Where to connect, for connections and for messages.
#[derive(Clone)]
struct Server {
    config: Config,
    schema: String,
    /// `host:port/database`, for messages (no password).
    name: String,
}

impl Server {
    fn new(url: &str, schema: &str) -> Result<Self> {
        super::location::check_schema(schema)?;
        let config: Config = url.parse().map_err(|e| {
            Error::BadInput(format!(
                "bad PostgreSQL URL {}: {e}",
                super::location::redact(url)
            ))
        })?;
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .map(|host| match host {
                ::postgres::config::Host::Tcp(name) => name.clone(),
                ::postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let name = format!(
            "{}:{port}/{}",
            hosts.join(","),
            config.get_dbname().unwrap_or("")
        );
        Ok(Self {
            config,
            schema: schema.to_string(),
            name,
        })
    }

    /// A connection whose search path is the schema.
    fn connect(&self) -> Result<Client> {
        let mut client = off_runtime(|| self.config.connect(NoTls)).map_err(|e| {
            Error::State(format!(
                "cannot connect to PostgreSQL at {}: {}",
                self.name,
                crate::error::describe_postgres(&e)
            ))
        })?;
        off_runtime(|| {
            client.batch_execute(&format!("SET search_path TO {}", quoted(&self.schema)))
        })?;
        Ok(client)
    }
}

/// A connection and its prepared statements.
struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// Closes a client: closing blocks, so it too must leave the async worker (a server's
/// state is dropped inside its runtime).
fn close(client: impl Send) {
    off_runtime(|| drop(client));
}

impl Connection {
    fn new(client: Client) -> Self {
        Self {
            client,
            statements: HashMap::new(),
        }
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        Ok(self.client.query(&statement, params)?)
    }

    fn query_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>> {
        let statement = self.statement(sql)?;
        Ok(self.client.query_opt(&statement, params)?)
    }

    fn query_one(&mut self, sql: &str, params: Params<'_>) -> Result<Row> {
        let statement = self.statement(sql)?;
        Ok(self.client.query_one(&statement, params)?)
    }

    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64> {
        let statement = self.statement(sql)?;
        Ok(self.client.execute(&statement, params)?)
    }
}

/// The PostgreSQL store.
pub struct PostgresStore {
    server: Server,
    lock_key: i32,
    /// `None` only once dropped.
    connection: RefCell<Option<Connection>>,
    changes: ChangeCounter,
    /// Whether a batch's transaction is open (`begin_batch`).
    in_batch: bool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PostgresStore({} schema {})",
            self.server.name, self.server.schema
        )
    }
}

/// The connections the polled change counter reads the revision on, each connected on
/// first use and again after a failure.
struct Probe {
    server: Server,
    slots: Vec<Mutex<Option<(Client, Statement)>>>,
    next: AtomicUsize,
}

const REVISION: &str = "SELECT value FROM counters WHERE name = 'revision'";

impl Drop for Probe {
    fn drop(&mut self) {
        for slot in &mut self.slots {
            if let Ok(slot) = slot.get_mut() {
                close(slot.take());
            }
        }
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        close(self.connection.get_mut().take());
    }
}

impl Probe {
    fn revision(&self) -> Result<u64> {
        let free = self.slots.iter().find_map(|slot| slot.try_lock().ok());
        let mut slot = match free {
            Some(slot) => slot,
            None => {
                let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
                self.slots[turn]
                    .lock()
                    .map_err(|_| Error::Internal("a revision probe panicked".into()))?
            }
        };
        off_runtime(|| {
            let (mut client, statement) = match slot.take() {
                Some((client, statement)) if !client.is_closed() => (client, statement),
                _ => {
                    let mut client = self.server.connect()?;
                    let statement = client.prepare(REVISION)?;
                    (client, statement)
                }
            };
            let value: i64 = client.query_one(&statement, &[])?.try_get(0)?;
            *slot = Some((client, statement));
            Ok(value as u64)
        })
    }
}

impl PostgresStore {
    /// Opens the state in `schema` of the database at `url` (refused when the schema
    /// holds none: `init` first).
    pub fn open(url: &str, schema: &str) -> Result<Self> {
        let server = Server::new(url, schema)?;
        let mut client = server.connect()?;
        if !off_runtime(|| schema::exists(&mut client, schema))? {
            return Err(Error::State(format!(
                "no jpki-mock state in schema {schema} of PostgreSQL at {}: run `jpki-mock --store {} init` first",
                server.name,
                StoreLocation::Postgres {
                    url: super::location::redact(url),
                    schema: schema.to_string()
                }
            )));
        }
        Self::start(server, client)
    }

    /// Opens the state in `schema` of the database at `url`, creating the schema and
    /// its tables if missing.
    pub fn create(url: &str, schema: &str) -> Result<Self> {
        let server = Server::new(url, schema)?;
        let client = server.connect()?;
        Self::start(server, client)
    }

    fn start(server: Server, mut client: Client) -> Result<Self> {
        off_runtime(|| schema::migrate(&mut client, &server.schema))?;
        let probe = Arc::new(Probe {
            server: server.clone(),
            slots: (0..PROBES).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        });
        Ok(Self {
            lock_key: lock_key(&server.schema),
            server,
            connection: RefCell::new(Some(Connection::new(client))),
            changes: ChangeCounter::polled(Box::new(move || probe.revision())),
            in_batch: false,
        })
    }

    /// The connection, connected again if the server closed it (outside a batch: a
    /// batch's transaction died with its connection).
    fn connection(&self) -> Result<RefMut<'_, Connection>> {
        let mut connection = self.connection.borrow_mut();
        let closed = connection.as_ref().is_none_or(|c| c.client.is_closed());
        if closed {
            if self.in_batch {
                return Err(Error::State(format!(
                    "the connection to PostgreSQL at {} closed during a batch: its writes are lost",
                    self.server.name
                )));
            }
            close(connection.take());
            *connection = Some(Connection::new(self.server.connect()?));
        }
        // Some: connected just above if it was not.
        RefMut::filter_map(connection, Option::as_mut)
            .map_err(|_| Error::Internal("the PostgreSQL store has no connection".into()))
    }

    /// Runs a read.
    fn read<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut connection = self.connection()?;
        off_runtime(|| work(&mut connection))
    }

    /// Runs a write as one transaction under the schema's write lock (inside a batch:
    /// a savepoint of the batch's transaction, so that a failing method still undoes its
    /// own writes). `change`: it changes what the server publishes, so it bumps the
    /// revision with its data.
    fn write<T>(
        &mut self,
        change: bool,
        work: impl FnOnce(&mut Connection) -> Result<T>,
    ) -> Result<T> {
        let (in_batch, key) = (self.in_batch, self.lock_key);
        let mut connection = self.connection()?;
        off_runtime(|| {
            let connection = &mut *connection;
            let begin = if in_batch {
                "SAVEPOINT write".to_string()
            } else {
                format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK}, {key})")
            };
            let (end, undo) = if in_batch {
                (
                    "RELEASE SAVEPOINT write",
                    "ROLLBACK TO SAVEPOINT write; RELEASE SAVEPOINT write",
                )
            } else {
                ("COMMIT", "ROLLBACK")
            };
            let bump = "UPDATE counters SET value = value + 1 WHERE name = 'revision'; ";
            let outcome = (|| {
                connection.client.batch_execute(&begin)?;
                let value = work(connection)?;
                if change {
                    connection.client.batch_execute(&format!("{bump}{end}"))?;
                } else {
                    connection.client.batch_execute(end)?;
                }
                Ok(value)
            })();
            if outcome.is_err() {
                // Best effort: the error to report is the one that made it necessary
                // (and a failed COMMIT has ended the transaction already).
                let _ = connection.client.batch_execute(undo);
            }
            outcome
        })
    }
}

/// The row of `card_keys` holding this key, added if new: a key shared by many
/// certificates (`populate --key-pool`) is stored once. Found by its SHA-256.
fn key_id(connection: &mut Connection, pkcs8: &[u8]) -> Result<i64> {
    let digest = sha2::Sha256::digest(pkcs8).to_vec();
    if let Some(row) =
        connection.query_opt("SELECT id FROM card_keys WHERE digest = $1", &[&digest])?
    {
        return Ok(row.try_get(0)?);
    }
    Ok(connection
        .query_one(
            "INSERT INTO card_keys (digest, pkcs8) VALUES ($1, $2) RETURNING id",
            &[&digest, &pkcs8],
        )?
        .try_get(0)?)
}

fn insert_certificates(
    connection: &mut Connection,
    card_id: CardId,
    certificates: &[NewCertificate],
) -> Result<()> {
    for c in certificates {
        let key_id = key_id(connection, &c.key_pkcs8)?;
        connection.execute(
            "INSERT INTO certificates (serial, card_id, kind, generation, prefecture, municipality, not_before, not_after, der, key_id, platform, device_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &i64::from(c.serial.0),
                &card_id.0,
                &c.kind.as_str(),
                &i64::from(c.generation),
                &c.locality.prefecture,
                &c.locality.municipality,
                &unix(c.not_before),
                &unix(c.not_after),
                &c.der,
                &key_id,
                &c.phone.as_ref().map(|p| p.platform.as_str()),
                &c.phone.as_ref().map(|p| p.device_id.as_str()),
            ],
        )?;
    }
    Ok(())
}

fn insert_event(connection: &mut Connection, event: &NewEvent) -> Result<i64> {
    let id: i64 = connection
        .query_one(
            "INSERT INTO events (card_id, cause, at, recorded_at, revoked) VALUES ($1, $2, $3, $4, $5)
             RETURNING id",
            &[
                &event.card_id.0,
                &event.cause.as_str(),
                &unix(event.at),
                &unix(event.recorded_at),
                &fields::serials_json(&event.revokes),
            ],
        )?
        .try_get(0)?;
    for (serial, reason) in &event.revokes {
        let changed = connection.execute(
            "UPDATE certificates SET revoked_at = $1, cause = $2, reason = $3, revoked_by = $4, recorded_at = $7, lifted_at = NULL
             WHERE serial = $5 AND card_id = $6 AND (revoked_at IS NULL OR lifted_at IS NOT NULL)",
            &[
                &unix(event.at),
                &event.cause.as_str(),
                &i64::from(reason.code()),
                &id,
                &i64::from(serial.0),
                &event.card_id.0,
                &unix(event.recorded_at),
            ],
        )?;
        if changed != 1 {
            // The authority checked this; another replica may have revoked it first.
            return Err(Error::ConcurrentChange(format!(
                "certificate {serial} of card {} is not revocable (already revoked, or not this card's)",
                event.card_id
            )));
        }
    }
    Ok(id)
}

fn generation_exists(connection: &mut Connection, kind: CertKind, generation: u32) -> Result<bool> {
    Ok(connection
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM ca_generations WHERE kind = $1 AND generation = $2)",
            &[&kind.as_str(), &i64::from(generation)],
        )?
        .try_get(0)?)
}

impl Store for PostgresStore {
    fn begin_batch(&mut self) -> Result<()> {
        if self.in_batch {
            return Err(Error::Internal("a batch is already open".into()));
        }
        let key = self.lock_key;
        self.read(|c| {
            let begun = c.client.batch_execute(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK}, {key})"
            ));
            if begun.is_err() {
                let _ = c.client.batch_execute("ROLLBACK");
            }
            Ok(begun?)
        })?;
        self.in_batch = true;
        Ok(())
    }

    fn end_batch(&mut self, commit: bool) -> Result<()> {
        if !self.in_batch {
            return Err(Error::Internal("no batch is open".into()));
        }
        self.in_batch = false;
        let end = if commit { "COMMIT" } else { "ROLLBACK" };
        self.read(|c| {
            if let Err(e) = c.client.batch_execute(end) {
                let _ = c.client.batch_execute("ROLLBACK");
                return Err(e.into());
            }
            Ok(())
        })
    }

    fn authorities(&self, kind: CertKind) -> Result<Vec<AuthorityRecord>> {
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {AUTHORITY_COLUMNS} FROM ca_generations WHERE kind = $1 ORDER BY generation"
                ),
                &[&kind.as_str()],
            )?
            .iter()
            .map(authority_row)
            .collect()
        })
    }

    fn put_authority(&mut self, kind: CertKind, record: &AuthorityRecord) -> Result<()> {
        let generation = record.generation;
        self.write(true, |c| {
            if generation_exists(c, kind, generation)? {
                return Err(Error::ConcurrentChange(format!(
                    "{kind} CA generation {generation} exists already (made by another replica)"
                )));
            }
            c.execute(
                "INSERT INTO ca_generations (kind, generation, ca_cert, ca_key_pem, responder_cert, responder_key_pem, issuing_from)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &kind.as_str(),
                    &i64::from(generation),
                    &record.ca_cert,
                    &record.ca_key_pem,
                    &record.responder_cert,
                    &record.responder_key_pem,
                    &unix(record.issuing_from),
                ],
            )?;
            Ok(())
        })
    }

    fn put_responder(
        &mut self,
        kind: CertKind,
        generation: u32,
        cert: &[u8],
        key_pem: &str,
    ) -> Result<()> {
        self.write(true, |c| {
            c.execute(
                "UPDATE ca_generations SET responder_cert = $1, responder_key_pem = $2
                 WHERE kind = $3 AND generation = $4",
                &[&cert, &key_pem, &kind.as_str(), &i64::from(generation)],
            )?;
            Ok(())
        })
    }

    fn put_ca_certificate(&mut self, kind: CertKind, generation: u32, cert: &[u8]) -> Result<()> {
        self.write(true, |c| {
            c.execute(
                "UPDATE ca_generations SET ca_cert = $1 WHERE kind = $2 AND generation = $3",
                &[&cert, &kind.as_str(), &i64::from(generation)],
            )?;
            Ok(())
        })
    }

    fn revoke_authority(
        &mut self,
        kind: CertKind,
        generation: u32,
        revocation: CaRevocation,
    ) -> Result<()> {
        self.write(true, |c| {
            let changed = c.execute(
                "UPDATE ca_generations SET revoked_at = $1, reason = $2
                 WHERE kind = $3 AND generation = $4 AND revoked_at IS NULL",
                &[
                    &unix(revocation.at),
                    &i64::from(revocation.reason.code()),
                    &kind.as_str(),
                    &i64::from(generation),
                ],
            )?;
            if changed != 1 {
                return Err(Error::ConcurrentChange(format!(
                    "{kind} CA generation {generation} is not revocable (already revoked, or absent)"
                )));
            }
            Ok(())
        })
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| {
            c.query_opt("SELECT value FROM settings WHERE key = $1", &[&key])?
                .map(|row| row.try_get(0))
                .transpose()
                .map_err(Error::from)
        })
    }

    fn put_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.write(true, |c| {
            c.execute(
                "INSERT INTO settings (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )?;
            Ok(())
        })
    }

    fn allocate_serials(&mut self, count: usize) -> Result<Vec<Serial>> {
        let count = i64::try_from(count)
            .map_err(|_| Error::Refused("the 4-byte serial counter is exhausted".into()))?;
        self.write(false, |c| {
            // The row stays locked until the commit: another replica takes the next ones.
            let end: i64 = c
                .query_one(
                    "UPDATE counters SET value = GREATEST(value, $1) + $2 WHERE name = 'next_serial'
                     RETURNING value",
                    &[&i64::from(FIRST_SERIAL), &count],
                )?
                .try_get(0)?;
            if end - 1 > i64::from(LAST_SERIAL) {
                return Err(Error::Refused(
                    "the 4-byte serial counter is exhausted".into(),
                ));
            }
            // In range: FIRST_SERIAL <= serial <= LAST_SERIAL, both u32.
            Ok((end - count..end).map(|s| Serial(s as u32)).collect())
        })
    }

    fn insert_card(
        &mut self,
        card: &NewCard,
        certificates: &[NewCertificate],
        pin_hashes: &[(CertKind, String)],
        event: Option<&NewEvent>,
    ) -> Result<CardId> {
        self.write(true, |c| {
            let h = &card.holder;
            let id = CardId(
                c.query_one(
                    "INSERT INTO cards (name, birth, gender, address, prefecture, municipality, issued_on, expiry, key_alg, replaces, fee_yen, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                    &[
                        &h.name,
                        &h.birth.to_string(),
                        &h.gender.as_str(),
                        &h.address,
                        &h.locality.prefecture,
                        &h.locality.municipality,
                        &card.issued_on.to_string(),
                        &card.expiry.to_string(),
                        &card.key_alg.as_str(),
                        &card.replaces.map(|r| r.0),
                        &i64::from(card.fee_yen),
                        &unix(card.created_at),
                    ],
                )?
                .try_get(0)?,
            );
            insert_certificates(c, id, certificates)?;
            for (kind, hash) in pin_hashes {
                c.execute(
                    "INSERT INTO pins (card_id, kind, hash) VALUES ($1, $2, $3)",
                    &[&id.0, &kind.as_str(), hash],
                )?;
            }
            if let Some(event) = event {
                insert_event(c, event)?;
            }
            Ok(id)
        })
    }

    fn add_certificates(
        &mut self,
        card_id: CardId,
        certificates: &[NewCertificate],
        event: Option<&NewEvent>,
    ) -> Result<()> {
        self.write(true, |c| {
            insert_certificates(c, card_id, certificates)?;
            if let Some(event) = event {
                insert_event(c, event)?;
            }
            Ok(())
        })
    }

    fn record_event(&mut self, event: &NewEvent) -> Result<i64> {
        self.write(true, |c| insert_event(c, event))
    }

    fn lift_holds(&mut self, serials: &[Serial], lifted_at: OffsetDateTime) -> Result<()> {
        self.write(true, |c| {
            for serial in serials {
                let changed = c.execute(
                    "UPDATE certificates SET lifted_at = $1
                     WHERE serial = $2 AND revoked_at IS NOT NULL AND lifted_at IS NULL",
                    &[&unix(lifted_at), &i64::from(serial.0)],
                )?;
                if changed != 1 {
                    return Err(Error::ConcurrentChange(format!(
                        "certificate {serial} is not held (not revoked, or its hold was lifted)"
                    )));
                }
            }
            Ok(())
        })
    }

    fn put_holder(&mut self, card_id: CardId, holder: &HolderRecord) -> Result<()> {
        self.write(false, |c| {
            let changed = c.execute(
                "UPDATE cards SET name = $1, address = $2, prefecture = $3, municipality = $4 WHERE id = $5",
                &[
                    &holder.name,
                    &holder.address,
                    &holder.locality.prefecture,
                    &holder.locality.municipality,
                    &card_id.0,
                ],
            )?;
            if changed != 1 {
                return Err(Error::NotFound(format!("no card {card_id}")));
            }
            Ok(())
        })
    }

    fn card(&self, id: CardId) -> Result<Option<CardRecord>> {
        self.read(|c| {
            c.query_opt(
                &format!("SELECT {CARD_COLUMNS} FROM cards c WHERE c.id = $1"),
                &[&id.0],
            )?
            .as_ref()
            .map(card_row)
            .transpose()
        })
    }

    fn cards(&self) -> Result<Vec<CardRecord>> {
        self.read(|c| {
            c.query(
                &format!("SELECT {CARD_COLUMNS} FROM cards c ORDER BY c.id"),
                &[],
            )?
            .iter()
            .map(card_row)
            .collect()
        })
    }

    fn card_certificates(&self, id: CardId) -> Result<Vec<CertificateRecord>> {
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {CERT_COLUMNS} FROM {CERT_TABLES} WHERE c.card_id = $1 ORDER BY c.serial"
                ),
                &[&id.0],
            )?
            .iter()
            .map(certificate_row)
            .collect()
        })
    }

    fn card_events(&self, id: CardId) -> Result<Vec<EventRecord>> {
        self.read(|c| {
            let events = c.query(
                "SELECT id, cause, at, revoked, recorded_at FROM events WHERE card_id = $1 ORDER BY id",
                &[&id.0],
            )?;
            let mut records = Vec::with_capacity(events.len());
            for row in &events {
                let event_id: i64 = row.try_get(0)?;
                let serials: Vec<u32> = serde_json::from_str(row.try_get(3)?)
                    .map_err(|e| Error::State(format!("event {event_id} is corrupt: {e}")))?;
                let mut revokes = Vec::with_capacity(serials.len());
                for serial in serials {
                    let reason_row = c.query_one(
                        "SELECT reason FROM certificates WHERE serial = $1",
                        &[&i64::from(serial)],
                    )?;
                    revokes.push((Serial(serial), reason(&reason_row, 0)?));
                }
                records.push(EventRecord {
                    id: event_id,
                    event: NewEvent {
                        card_id: id,
                        cause: fields::cause(row.try_get(1)?).map_err(Error::State)?,
                        at: instant(row, 2)?,
                        recorded_at: instant(row, 4)?,
                        revokes,
                    },
                });
            }
            Ok(records)
        })
    }

    fn certificate(&self, serial: Serial) -> Result<Option<CertificateRecord>> {
        self.read(|c| {
            c.query_opt(
                &format!("SELECT {CERT_COLUMNS} FROM {CERT_TABLES} WHERE c.serial = $1"),
                &[&i64::from(serial.0)],
            )?
            .as_ref()
            .map(certificate_row)
            .transpose()
        })
    }

    fn status(&self, serial: Serial) -> Result<Option<StatusRecord>> {
        self.read(|c| {
            c.query_opt(
                "SELECT kind, generation, not_after, revoked_at, cause, reason, recorded_at, lifted_at
                 FROM certificates WHERE serial = $1",
                &[&i64::from(serial.0)],
            )?
            .map(|r| {
                Ok(StatusRecord {
                    kind: parsed(&r, 0)?,
                    generation: small(&r, 1)?,
                    not_after: instant(&r, 2)?,
                    revocation: revocation(&r, 3)?,
                })
            })
            .transpose()
        })
    }

    fn for_each_revoked(
        &self,
        query: &RevokedQuery<'_>,
        each: &mut dyn FnMut(RevokedEntry),
    ) -> Result<()> {
        let kind = query.kind.as_str();
        let generation = i64::from(query.generation);
        let unexpired_at = unix(query.unexpired_at);
        let recorded_before = query.recorded_before.map(unix);
        let sql = fields::revoked_sql(query, '$');
        let mut values: Vec<&(dyn ToSql + Sync)> = vec![&kind, &generation, &unexpired_at];
        if let Some(locality) = query.locality {
            values.extend([
                &locality.prefecture as &(dyn ToSql + Sync),
                &locality.municipality,
            ]);
        }
        if let Some(before) = &recorded_before {
            values.push(before);
        }
        self.read(|c| {
            let statement = c.statement(&sql)?;
            // Streamed: a CRL may list a million entries.
            let mut rows = c.client.query_raw(&statement, values)?;
            while let Some(row) = rows.next()? {
                each(RevokedEntry {
                    serial: serial(&row, 0)?,
                    at: instant(&row, 1)?,
                    reason: reason(&row, 2)?,
                });
            }
            Ok(())
        })
    }

    fn localities(&self, kind: CertKind, generation: u32) -> Result<Vec<Locality>> {
        // A loose index scan: one index seek per distinct point, not a pass over every
        // certificate (a million certificates name a few thousand points).
        self.read(|c| {
            c.query(
                "WITH RECURSIVE points AS (
                     (SELECT prefecture, municipality FROM certificates
                      WHERE kind = $1 AND generation = $2
                      ORDER BY prefecture, municipality LIMIT 1)
                     UNION ALL
                     SELECT next.prefecture, next.municipality FROM points p,
                         LATERAL (SELECT c.prefecture, c.municipality FROM certificates c
                             WHERE c.kind = $1 AND c.generation = $2
                                 AND (c.prefecture, c.municipality) > (p.prefecture, p.municipality)
                             ORDER BY c.prefecture, c.municipality LIMIT 1) next
                 )
                 SELECT prefecture, municipality FROM points",
                &[&kind.as_str(), &i64::from(generation)],
            )?
            .iter()
            .map(|row| {
                Ok(Locality {
                    prefecture: row.try_get(0)?,
                    municipality: row.try_get(1)?,
                })
            })
            .collect()
        })
    }

    fn names_locality(&self, kind: CertKind, generation: u32, locality: &Locality) -> Result<bool> {
        self.read(|c| {
            Ok(c.query_one(
                "SELECT EXISTS (SELECT 1 FROM certificates
                 WHERE kind = $1 AND generation = $2 AND prefecture = $3 AND municipality = $4)",
                &[
                    &kind.as_str(),
                    &i64::from(generation),
                    &locality.prefecture,
                    &locality.municipality,
                ],
            )?
            .try_get(0)?)
        })
    }

    fn next_crl_number(&mut self, kind: CertKind, generation: u32, scope: &str) -> Result<u64> {
        self.write(false, |c| {
            if !generation_exists(c, kind, generation)? {
                return Err(Error::NotFound(format!(
                    "no {kind} CA generation {generation} in the state"
                )));
            }
            // The row stays locked until the commit: never the same number twice.
            let number: i64 = c
                .query_one(
                    "INSERT INTO crl_numbers (kind, generation, scope, value) VALUES ($1, $2, $3, 1)
                     ON CONFLICT (kind, generation, scope) DO UPDATE SET value = crl_numbers.value + 1
                     RETURNING value",
                    &[&kind.as_str(), &i64::from(generation), &scope],
                )?
                .try_get(0)?;
            Ok(number as u64)
        })
    }

    fn pin(&self, card_id: CardId, kind: CertKind) -> Result<Option<PinRecord>> {
        self.read(|c| {
            c.query_opt(
                "SELECT hash, failures FROM pins WHERE card_id = $1 AND kind = $2",
                &[&card_id.0, &kind.as_str()],
            )?
            .map(|r| {
                Ok(PinRecord {
                    hash: r.try_get(0)?,
                    failures: small(&r, 1)?,
                })
            })
            .transpose()
        })
    }

    fn set_pin_failures(&mut self, card_id: CardId, kind: CertKind, failures: u32) -> Result<()> {
        self.write(false, |c| {
            c.execute(
                "UPDATE pins SET failures = $1 WHERE card_id = $2 AND kind = $3",
                &[&i64::from(failures), &card_id.0, &kind.as_str()],
            )?;
            Ok(())
        })
    }

    fn put_pin(&mut self, card_id: CardId, kind: CertKind, hash: &str) -> Result<()> {
        self.write(false, |c| {
            c.execute(
                "INSERT INTO pins (card_id, kind, hash, failures) VALUES ($1, $2, $3, 0)
                 ON CONFLICT (card_id, kind) DO UPDATE SET hash = excluded.hash, failures = 0",
                &[&card_id.0, &kind.as_str(), &hash],
            )?;
            Ok(())
        })
    }

    fn certificates_expiring(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<CertificateRecord>> {
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {CERT_COLUMNS} FROM {CERT_TABLES} WHERE c.not_after BETWEEN $1 AND $2 ORDER BY c.serial"
                ),
                &[&unix(from), &unix(to)],
            )?
            .iter()
            .map(certificate_row)
            .collect()
        })
    }

    fn revision(&self) -> Result<u64> {
        self.read(|c| {
            let value: i64 = c.query_one(REVISION, &[])?.try_get(0)?;
            Ok(value as u64)
        })
    }

    fn changes(&self) -> ChangeCounter {
        self.changes.clone()
    }
}

#[cfg(test)]
mod tests;
