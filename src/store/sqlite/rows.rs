//! Conversions between SQLite rows and the store's records, and the writes that more
//! than one operation shares.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::Digest;
use time::{Date, OffsetDateTime};

use super::super::*;
use crate::error::{Error, Result};

pub(super) fn unix(instant: OffsetDateTime) -> i64 {
    instant.unix_timestamp()
}

pub(super) fn instant(seconds: i64) -> rusqlite::Result<OffsetDateTime> {
    fields::instant(seconds).map_err(conversion)
}

pub(super) fn conversion(message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, message.into())
}

pub(super) fn date(text: String) -> rusqlite::Result<Date> {
    fields::date(&text).map_err(conversion)
}

pub(super) fn parsed<T: std::str::FromStr>(text: String) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    fields::parsed(&text).map_err(conversion)
}

pub(super) fn reason_from_code(code: u8) -> rusqlite::Result<CrlReason> {
    fields::reason(code.into()).map_err(conversion)
}

pub(super) fn cause(text: String) -> rusqlite::Result<Cause> {
    fields::cause(&text).map_err(conversion)
}

pub(super) fn bump_revision(tx: &Connection) -> Result<()> {
    tx.execute(
        "UPDATE counters SET value = value + 1 WHERE name = 'revision'",
        [],
    )?;
    Ok(())
}

pub(super) fn insert_certificates(
    tx: &Connection,
    card_id: CardId,
    certificates: &[NewCertificate],
) -> Result<()> {
    let mut statement = tx.prepare_cached(
        "INSERT INTO certificates (serial, card_id, kind, generation, prefecture, municipality, not_before, not_after, der, key_pkcs8, key_id, platform, device_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, x'', ?10, ?11, ?12)",
    )?;
    for c in certificates {
        let key_id = key_id(tx, &c.key_pkcs8)?;
        statement.execute(params![
            c.serial.0,
            card_id.0,
            c.kind.as_str(),
            c.generation,
            c.locality.prefecture,
            c.locality.municipality,
            unix(c.not_before),
            unix(c.not_after),
            c.der,
            key_id,
            c.phone.as_ref().map(|p| p.platform.as_str()),
            c.phone.as_ref().map(|p| &p.device_id),
        ])?;
    }
    Ok(())
}

/// The row of `card_keys` holding this key, added if new: a key shared by many
/// certificates (`populate --key-pool`) is stored once. Found by its SHA-256.
fn key_id(tx: &Connection, pkcs8: &[u8]) -> Result<i64> {
    let digest = sha2::Sha256::digest(pkcs8).to_vec();
    let found = tx
        .prepare_cached("SELECT id FROM card_keys WHERE digest = ?1")?
        .query_row([&digest], |r| r.get(0))
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    tx.prepare_cached("INSERT INTO card_keys (digest, pkcs8) VALUES (?1, ?2)")?
        .execute(params![digest, pkcs8])?;
    Ok(tx.last_insert_rowid())
}

pub(super) fn insert_event(tx: &Connection, event: &NewEvent) -> Result<i64> {
    tx.execute(
        "INSERT INTO events (card_id, cause, at, revoked, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            event.card_id.0,
            event.cause.as_str(),
            unix(event.at),
            fields::serials_json(&event.revokes),
            unix(event.recorded_at),
        ],
    )?;
    let id = tx.last_insert_rowid();
    let mut statement = tx.prepare_cached(
        "UPDATE certificates SET revoked_at = ?1, cause = ?2, reason = ?3, revoked_by = ?4, recorded_at = ?7, lifted_at = NULL
         WHERE serial = ?5 AND card_id = ?6 AND (revoked_at IS NULL OR lifted_at IS NOT NULL)",
    )?;
    for (serial, reason) in &event.revokes {
        let changed = statement.execute(params![
            unix(event.at),
            event.cause.as_str(),
            reason.code(),
            id,
            serial.0,
            event.card_id.0,
            unix(event.recorded_at),
        ])?;
        if changed != 1 {
            // The authority checked this; another process may have revoked it first.
            return Err(Error::ConcurrentChange(format!(
                "certificate {serial} of card {} is not revocable (already revoked, or not this card's)",
                event.card_id
            )));
        }
    }
    Ok(id)
}

pub(super) use fields::CARD_COLUMNS;

pub(super) fn card_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CardRecord> {
    Ok(CardRecord {
        id: CardId(row.get(0)?),
        card: NewCard {
            holder: HolderRecord {
                name: row.get(1)?,
                birth: date(row.get(2)?)?,
                gender: parsed(row.get(3)?)?,
                address: row.get(4)?,
                locality: Locality {
                    prefecture: row.get(5)?,
                    municipality: row.get(6)?,
                },
            },
            issued_on: date(row.get(7)?)?,
            expiry: date(row.get(8)?)?,
            key_alg: parsed(row.get(9)?)?,
            replaces: row.get::<_, Option<i64>>(10)?.map(CardId),
            fee_yen: row.get(11)?,
            created_at: instant(row.get(12)?)?,
        },
        replaced_by: row.get::<_, Option<i64>>(13)?.map(CardId),
    })
}

/// The key comes from `card_keys` (schema 3), else from the certificate's own column
/// (certificates stored before).
pub(super) const CERT_COLUMNS: &str = "serial, card_id, kind, not_before, not_after, der, \
     COALESCE((SELECT k.pkcs8 FROM card_keys k WHERE k.id = key_id), key_pkcs8), \
     revoked_at, cause, reason, recorded_at, lifted_at, generation, prefecture, municipality, \
     platform, device_id";

/// The revocation in the columns `revoked_at, cause, reason, recorded_at, lifted_at` from
/// `first`.
pub(super) fn revocation(
    row: &rusqlite::Row<'_>,
    first: usize,
) -> rusqlite::Result<Option<Revocation>> {
    let Some(at) = row.get::<_, Option<i64>>(first)? else {
        return Ok(None);
    };
    Ok(Some(Revocation {
        at: instant(at)?,
        cause: cause(row.get(first + 1)?)?,
        reason: reason_from_code(row.get(first + 2)?)?,
        recorded_at: instant(row.get(first + 3)?)?,
        lifted_at: row
            .get::<_, Option<i64>>(first + 4)?
            .map(instant)
            .transpose()?,
    }))
}

pub(super) fn certificate_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CertificateRecord> {
    Ok(CertificateRecord {
        card_id: CardId(row.get(1)?),
        certificate: NewCertificate {
            serial: Serial(row.get(0)?),
            kind: parsed(row.get(2)?)?,
            generation: row.get(12)?,
            locality: Locality {
                prefecture: row.get(13)?,
                municipality: row.get(14)?,
            },
            not_before: instant(row.get(3)?)?,
            not_after: instant(row.get(4)?)?,
            der: row.get(5)?,
            key_pkcs8: row.get(6)?,
            phone: phone(row.get(15)?, row.get(16)?)?,
        },
        revocation: revocation(row, 7)?,
    })
}

/// The phone in the columns `platform, device_id` (both NULL: the card).
fn phone(
    platform: Option<String>,
    device_id: Option<String>,
) -> rusqlite::Result<Option<PhoneBinding>> {
    fields::phone(platform.as_deref(), device_id).map_err(conversion)
}
