//! Conversions between PostgreSQL rows and the store's records.

use ::postgres::Row;
use time::OffsetDateTime;

use super::super::*;
use crate::error::{Error, Result};

/// A column read and converted; a value the store never writes is a corrupt state.
fn column<'a, T: ::postgres::types::FromSql<'a>>(row: &'a Row, index: usize) -> Result<T> {
    Ok(row.try_get(index)?)
}

fn corrupt(message: String) -> Error {
    Error::State(format!("the PostgreSQL state is corrupt: {message}"))
}

pub(super) fn unix(instant: OffsetDateTime) -> i64 {
    instant.unix_timestamp()
}

pub(super) fn instant(row: &Row, index: usize) -> Result<OffsetDateTime> {
    fields::instant(column(row, index)?).map_err(corrupt)
}

pub(super) fn parsed<T: std::str::FromStr>(row: &Row, index: usize) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    fields::parsed(column::<&str>(row, index)?).map_err(corrupt)
}

pub(super) fn reason(row: &Row, index: usize) -> Result<CrlReason> {
    fields::reason(column(row, index)?).map_err(corrupt)
}

/// A u32 kept as BIGINT (generations, serials, counters).
pub(super) fn small(row: &Row, index: usize) -> Result<u32> {
    let value: i64 = column(row, index)?;
    u32::try_from(value).map_err(|_| corrupt(format!("{value} is out of range")))
}

pub(super) fn serial(row: &Row, index: usize) -> Result<Serial> {
    small(row, index).map(Serial)
}

pub(super) use fields::CARD_COLUMNS;

pub(super) fn card_row(row: &Row) -> Result<CardRecord> {
    Ok(CardRecord {
        id: CardId(column(row, 0)?),
        card: NewCard {
            holder: HolderRecord {
                name: column(row, 1)?,
                birth: fields::date(column(row, 2)?).map_err(corrupt)?,
                gender: parsed(row, 3)?,
                address: column(row, 4)?,
                locality: Locality {
                    prefecture: column(row, 5)?,
                    municipality: column(row, 6)?,
                },
            },
            issued_on: fields::date(column(row, 7)?).map_err(corrupt)?,
            expiry: fields::date(column(row, 8)?).map_err(corrupt)?,
            key_alg: parsed(row, 9)?,
            replaces: column::<Option<i64>>(row, 10)?.map(CardId),
            fee_yen: small(row, 11)?,
            created_at: instant(row, 12)?,
        },
        replaced_by: column::<Option<i64>>(row, 13)?.map(CardId),
    })
}

/// The columns `certificate_row` reads, from `certificates c` joined with `card_keys k`.
pub(super) const CERT_COLUMNS: &str =
    "c.serial, c.card_id, c.kind, c.not_before, c.not_after, c.der, k.pkcs8, \
     c.revoked_at, c.cause, c.reason, c.recorded_at, c.lifted_at, c.generation, c.prefecture, \
     c.municipality, c.platform, c.device_id";

/// The certificates with their keys.
pub(super) const CERT_TABLES: &str = "certificates c JOIN card_keys k ON k.id = c.key_id";

/// The revocation in the columns `revoked_at, cause, reason, recorded_at, lifted_at` from
/// `first`.
pub(super) fn revocation(row: &Row, first: usize) -> Result<Option<Revocation>> {
    if column::<Option<i64>>(row, first)?.is_none() {
        return Ok(None);
    }
    Ok(Some(Revocation {
        at: instant(row, first)?,
        cause: fields::cause(column(row, first + 1)?).map_err(corrupt)?,
        reason: reason(row, first + 2)?,
        recorded_at: instant(row, first + 3)?,
        lifted_at: match column::<Option<i64>>(row, first + 4)? {
            Some(_) => Some(instant(row, first + 4)?),
            None => None,
        },
    }))
}

pub(super) fn certificate_row(row: &Row) -> Result<CertificateRecord> {
    Ok(CertificateRecord {
        card_id: CardId(column(row, 1)?),
        certificate: NewCertificate {
            serial: serial(row, 0)?,
            kind: parsed(row, 2)?,
            generation: small(row, 12)?,
            locality: Locality {
                prefecture: column(row, 13)?,
                municipality: column(row, 14)?,
            },
            not_before: instant(row, 3)?,
            not_after: instant(row, 4)?,
            der: column(row, 5)?,
            key_pkcs8: column(row, 6)?,
            phone: fields::phone(column(row, 15)?, column(row, 16)?).map_err(corrupt)?,
        },
        revocation: revocation(row, 7)?,
    })
}

pub(super) fn authority_row(row: &Row) -> Result<AuthorityRecord> {
    let revocation = match column::<Option<i64>>(row, 7)? {
        Some(_) => Some(CaRevocation {
            at: instant(row, 7)?,
            reason: reason(row, 8)?,
        }),
        None => None,
    };
    Ok(AuthorityRecord {
        generation: small(row, 0)?,
        issuing_from: instant(row, 5)?,
        revocation,
        ca_cert: column(row, 1)?,
        ca_key_pem: column(row, 2)?,
        responder_cert: column(row, 3)?,
        responder_key_pem: column(row, 4)?,
    })
}

/// The columns `authority_row` reads.
pub(super) const AUTHORITY_COLUMNS: &str = "generation, ca_cert, ca_key_pem, responder_cert, responder_key_pem, issuing_from, kind, revoked_at, reason";
