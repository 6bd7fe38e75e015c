//! Persistence behind a trait. `sqlite` is the default (a state directory shared by the
//! CLI and the server); `postgres` keeps the state in a database schema that several
//! server replicas share; `memory` lives and dies with the process. [`StoreLocation`]
//! names where a state lives. The records hold facts; they make no decisions.

pub mod changes;
#[cfg(test)]
mod contract;
mod location;
pub mod memory;
pub mod postgres;
pub mod sqlite;
pub mod tenants;

use time::{Date, OffsetDateTime};

pub use changes::ChangeCounter;
pub use location::StoreLocation;

use crate::error::Result;
use crate::rules::locality::Locality;
use crate::rules::{Carrier, Cause, CertKind, CrlReason, Gender, KeyAlg, Platform, Serial};

/// The first serial handed out: the smallest positive 4-byte INTEGER above 0x01000000,
/// so that every serial encodes in exactly four bytes.
const FIRST_SERIAL: u32 = 0x0100_0001;
/// The largest serial that still encodes as a positive 4-byte INTEGER.
const LAST_SERIAL: u32 = 0x7FFF_FFFF;

/// The text forms the SQL stores keep, read back (an error names what is wrong).
mod fields {
    use time::{Date, OffsetDateTime};

    use crate::rules::{Cause, CrlReason};

    pub(super) fn instant(seconds: i64) -> Result<OffsetDateTime, String> {
        OffsetDateTime::from_unix_timestamp(seconds).map_err(|e| e.to_string())
    }

    pub(super) fn date(text: &str) -> Result<Date, String> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        Date::parse(text, &format).map_err(|e| e.to_string())
    }

    pub(super) fn parsed<T: std::str::FromStr>(text: &str) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        text.parse().map_err(|e: T::Err| e.to_string())
    }

    pub(super) fn reason(code: i64) -> Result<CrlReason, String> {
        u8::try_from(code)
            .ok()
            .and_then(CrlReason::from_code)
            .ok_or_else(|| format!("{code} is not a CRLReason code"))
    }

    pub(super) fn cause(text: &str) -> Result<Cause, String> {
        if text == Cause::Superseded.as_str() {
            Ok(Cause::Superseded)
        } else {
            parsed(text)
        }
    }

    /// A phone binding from its two columns (both NULL: the card).
    pub(super) fn phone(
        platform: Option<&str>,
        device_id: Option<String>,
    ) -> Result<Option<super::PhoneBinding>, String> {
        match (platform, device_id) {
            (None, None) => Ok(None),
            (Some(platform), Some(device_id)) => Ok(Some(super::PhoneBinding {
                platform: parsed(platform)?,
                device_id,
            })),
            _ => Err("a phone certificate lacks its platform or device".into()),
        }
    }

    /// The columns a card record is read from, `cards c` (the same SQL on both).
    pub(super) const CARD_COLUMNS: &str = "c.id, c.name, c.birth, c.gender, c.address, c.prefecture, c.municipality, c.issued_on, c.expiry, c.key_alg, c.replaces, c.fee_yen, c.created_at, (SELECT r.id FROM cards r WHERE r.replaces = c.id)";

    /// The query of `Store::for_each_revoked`, the same on both SQL stores (`mark`:
    /// `?` for SQLite, `$` for PostgreSQL), with only the conditions asked for (each
    /// costs a comparison per entry). Its parameters, in order: kind, generation,
    /// unexpired_at; prefecture and municipality with a locality; the cutoff with one.
    pub(super) fn revoked_sql(query: &super::RevokedQuery<'_>, mark: char) -> String {
        let mut sql = format!(
            "SELECT serial, revoked_at, reason FROM certificates
             WHERE kind = {mark}1 AND generation = {mark}2 AND revoked_at IS NOT NULL
             AND not_after >= {mark}3"
        );
        let mut next = 4;
        if query.locality.is_some() {
            sql += &format!(" AND prefecture = {mark}4 AND municipality = {mark}5");
            next = 6;
        }
        sql += &match query.recorded_before {
            // Published with a cutoff: recorded before it, and not lifted before it.
            Some(_) => format!(
                " AND recorded_at < {mark}{next} AND (lifted_at IS NULL OR lifted_at >= {mark}{next})"
            ),
            None => " AND lifted_at IS NULL".to_string(),
        };
        sql + " ORDER BY serial"
    }

    /// An event's revoked serials, as the `revoked` column keeps them (JSON).
    pub(super) fn serials_json(revokes: &[(crate::rules::Serial, CrlReason)]) -> String {
        let serials: Vec<u32> = revokes.iter().map(|(s, _)| s.0).collect();
        serde_json::to_string(&serials).expect("a list of numbers serialises")
    }
}

/// A card's identifier.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct CardId(pub i64);

impl std::fmt::Display for CardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The holder as entered (the certificate forms are derived when issuing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolderRecord {
    /// Surname and given name, separated by a space.
    pub name: String,
    /// Date of birth.
    pub birth: Date,
    /// Sex.
    pub gender: Gender,
    /// Address as entered.
    pub address: String,
    /// Prefecture and municipality, romaji.
    pub locality: Locality,
}

/// A card to be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCard {
    /// The holder.
    pub holder: HolderRecord,
    /// The card's issue date (JST).
    pub issued_on: Date,
    /// The card's expiry date.
    pub expiry: Date,
    /// Key algorithm of its certificates.
    pub key_alg: KeyAlg,
    /// The card this one replaces (reissue).
    pub replaces: Option<CardId>,
    /// The fee charged for issuing it (domain.md §6).
    pub fee_yen: u32,
    /// When it was recorded.
    pub created_at: OffsetDateTime,
}

/// A stored card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardRecord {
    /// Its id.
    pub id: CardId,
    /// Everything it was created with.
    pub card: NewCard,
    /// The card that replaced it, if reissued.
    pub replaced_by: Option<CardId>,
}

/// A certificate to be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCertificate {
    /// Serial.
    pub serial: Serial,
    /// Which CA issued it.
    pub kind: CertKind,
    /// Which generation of that CA.
    pub generation: u32,
    /// The municipality its CRL distribution point names (its CRL partition).
    pub locality: Locality,
    /// Issue instant.
    pub not_before: OffsetDateTime,
    /// Last valid second.
    pub not_after: OffsetDateTime,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// The card's private key, PKCS#8 DER (the virtual card signs with it). Certificates
    /// may share a key (`populate --key-pool`); the SQLite store keeps each key once.
    pub key_pkcs8: Vec<u8>,
    /// The phone it was issued to; `None`: the card.
    pub phone: Option<PhoneBinding>,
}

impl NewCertificate {
    /// What carries it: the card or a phone.
    pub fn carrier(&self) -> Carrier {
        self.phone
            .as_ref()
            .map_or(Carrier::Card, |p| Carrier::Phone(p.platform))
    }
}

/// The phone a certificate was issued to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneBinding {
    /// Its platform.
    pub platform: Platform,
    /// The device id given at issuance (or made up).
    pub device_id: String,
}

/// A revocation as recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// Revocation instant.
    pub at: OffsetDateTime,
    /// The cause.
    pub cause: Cause,
    /// The CRLReason it maps to (fixed when it happened).
    pub reason: CrlReason,
    /// When it was recorded (the virtual now): publication schedules count from this.
    pub recorded_at: OffsetDateTime,
    /// When its hold was lifted (recorded, the virtual now): the entry leaves the CRL
    /// and OCSP says good again (removeFromCRL). Only a phone's auth hold is lifted.
    pub lifted_at: Option<OffsetDateTime>,
}

impl Revocation {
    /// Whether it is in force in the data published with this cutoff (`None`: the
    /// state as it is): recorded before the cutoff and not lifted before it.
    pub fn in_force(&self, cutoff: Option<OffsetDateTime>) -> bool {
        match cutoff {
            None => self.lifted_at.is_none(),
            Some(cutoff) => {
                self.recorded_at < cutoff && self.lifted_at.is_none_or(|lifted| lifted >= cutoff)
            }
        }
    }
}

/// A stored certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRecord {
    /// The card it belongs to.
    pub card_id: CardId,
    /// The certificate.
    pub certificate: NewCertificate,
    /// Its revocation, if revoked.
    pub revocation: Option<Revocation>,
}

/// A card event (a cause applied at an instant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// The card.
    pub card_id: CardId,
    /// The cause.
    pub cause: Cause,
    /// When it takes effect.
    pub at: OffsetDateTime,
    /// When it was recorded (the virtual now).
    pub recorded_at: OffsetDateTime,
    /// The certificates it revokes (already checked to be unrevoked), with their reason.
    pub revokes: Vec<(Serial, CrlReason)>,
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// Its id, in recording order.
    pub id: i64,
    /// What happened.
    pub event: NewEvent,
}

/// The status facts of one certificate (the OCSP hot path reads only these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusRecord {
    /// Which CA issued it.
    pub kind: CertKind,
    /// Which generation of that CA.
    pub generation: u32,
    /// Last valid second.
    pub not_after: OffsetDateTime,
    /// Its revocation, if revoked.
    pub revocation: Option<Revocation>,
}

/// A stored PIN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinRecord {
    /// Argon2 PHC string.
    pub hash: String,
    /// Wrong tries since the last right one.
    pub failures: u32,
}

/// One CRL entry's facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevokedEntry {
    /// Serial.
    pub serial: Serial,
    /// Revocation instant.
    pub at: OffsetDateTime,
    /// Reason.
    pub reason: CrlReason,
}

/// Which revoked certificates a CRL lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevokedQuery<'a> {
    /// The CA.
    pub kind: CertKind,
    /// Its generation.
    pub generation: u32,
    /// Only the certificates naming this municipality's distribution point.
    pub locality: Option<&'a Locality>,
    /// Only certificates whose notAfter is at or after this instant.
    pub unexpired_at: OffsetDateTime,
    /// Only revocations recorded strictly before this instant (publication).
    pub recorded_before: Option<OffsetDateTime>,
}

/// A CA generation's revocation (a compromise drill): it goes on the ARL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaRevocation {
    /// Revocation instant.
    pub at: OffsetDateTime,
    /// Reason.
    pub reason: CrlReason,
}

/// One generation of a CA with its delegated OCSP responder: certificates DER, keys
/// PKCS#8 PEM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorityRecord {
    /// The generation, from 1.
    pub generation: u32,
    /// From when it issues (`ca rollover --at`; generation 1: its creation).
    pub issuing_from: OffsetDateTime,
    /// Its revocation, if revoked.
    pub revocation: Option<CaRevocation>,
    /// The CA certificate.
    pub ca_cert: Vec<u8>,
    /// The CA key.
    pub ca_key_pem: String,
    /// The responder certificate.
    pub responder_cert: Vec<u8>,
    /// The responder key.
    pub responder_key_pem: String,
}

/// Persistence. Each method is atomic: it happens entirely or not at all.
pub trait Store: Send {
    /// Starts a batch: every write until [`Store::end_batch`] joins one transaction
    /// (each method stays atomic inside it; reads see the batch's writes). For bulk
    /// work (`populate`): one commit per thousand cards instead of one per card.
    /// Batches do not nest.
    fn begin_batch(&mut self) -> Result<()>;
    /// Ends the batch: keeps all its writes (`commit`), or undoes them all.
    fn end_batch(&mut self, commit: bool) -> Result<()>;
    /// Every generation of a CA with its responder, oldest first (empty before `init`).
    fn authorities(&self, kind: CertKind) -> Result<Vec<AuthorityRecord>>;
    /// Stores a new CA generation and its responder (`init`, `ca rollover`).
    fn put_authority(&mut self, kind: CertKind, record: &AuthorityRecord) -> Result<()>;
    /// Replaces a generation's responder certificate (and key) when it is renewed.
    fn put_responder(
        &mut self,
        kind: CertKind,
        generation: u32,
        cert: &[u8],
        key_pem: &str,
    ) -> Result<()>;
    /// Replaces a generation's CA certificate (the same key re-signed it: a new base
    /// URL for its ARL).
    fn put_ca_certificate(&mut self, kind: CertKind, generation: u32, cert: &[u8]) -> Result<()>;
    /// Revokes a CA generation (once).
    fn revoke_authority(
        &mut self,
        kind: CertKind,
        generation: u32,
        revocation: CaRevocation,
    ) -> Result<()>;
    /// A free-form setting (base URL, clock).
    fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Sets a free-form setting.
    fn put_setting(&mut self, key: &str, value: &str) -> Result<()>;
    /// Allocates `count` serials from the one counter. Never reused.
    fn allocate_serials(&mut self, count: usize) -> Result<Vec<Serial>>;
    /// Stores a new card with its certificates, its PIN hashes, and the event that
    /// revokes what it replaces (reissue).
    fn insert_card(
        &mut self,
        card: &NewCard,
        certificates: &[NewCertificate],
        pin_hashes: &[(CertKind, String)],
        event: Option<&NewEvent>,
    ) -> Result<CardId>;
    /// Adds certificates to an existing card (renewal), with the event revoking the
    /// old ones.
    fn add_certificates(
        &mut self,
        card_id: CardId,
        certificates: &[NewCertificate],
        event: Option<&NewEvent>,
    ) -> Result<()>;
    /// Records an event and the revocations it causes (a certificate whose hold was
    /// lifted may be revoked again).
    fn record_event(&mut self, event: &NewEvent) -> Result<i64>;
    /// Lifts the holds on these revoked certificates at `lifted_at` (recorded, the
    /// virtual now); fails whole if one is not revoked or already lifted.
    fn lift_holds(&mut self, serials: &[Serial], lifted_at: OffsetDateTime) -> Result<()>;
    /// Replaces a card's holder facts (a new name or address, from the next certificate
    /// on).
    fn put_holder(&mut self, card_id: CardId, holder: &HolderRecord) -> Result<()>;
    /// One card.
    fn card(&self, id: CardId) -> Result<Option<CardRecord>>;
    /// All cards, by id.
    fn cards(&self) -> Result<Vec<CardRecord>>;
    /// A card's certificates, oldest first.
    fn card_certificates(&self, id: CardId) -> Result<Vec<CertificateRecord>>;
    /// A card's events, oldest first.
    fn card_events(&self, id: CardId) -> Result<Vec<EventRecord>>;
    /// One certificate.
    fn certificate(&self, serial: Serial) -> Result<Option<CertificateRecord>>;
    /// What OCSP needs of one certificate: its CA, notAfter and revocation.
    fn status(&self, serial: Serial) -> Result<Option<StatusRecord>>;
    /// Calls `each` for every revoked certificate `query` selects, in serial order
    /// (streamed: a CRL may have a million entries).
    fn for_each_revoked(
        &self,
        query: &RevokedQuery<'_>,
        each: &mut dyn FnMut(RevokedEntry),
    ) -> Result<()>;
    /// The distinct localities of a CA generation's certificates (its distribution
    /// points), sorted.
    fn localities(&self, kind: CertKind, generation: u32) -> Result<Vec<Locality>>;
    /// Whether a certificate of a CA generation names this locality's distribution
    /// point (one partition's existence, without listing them all).
    fn names_locality(&self, kind: CertKind, generation: u32, locality: &Locality) -> Result<bool>;
    /// Takes the next cRLNumber of one sequence of a CA generation: `scope` is `""`
    /// for the generation's CRL and ARL, else a partition's `Pref/Muni` (monotonic,
    /// survives restarts).
    fn next_crl_number(&mut self, kind: CertKind, generation: u32, scope: &str) -> Result<u64>;
    /// A card's PIN of one kind: its hash and the count of wrong tries since the last
    /// right one.
    fn pin(&self, card_id: CardId, kind: CertKind) -> Result<Option<PinRecord>>;
    /// Sets the count of wrong tries.
    fn set_pin_failures(&mut self, card_id: CardId, kind: CertKind, failures: u32) -> Result<()>;
    /// Sets (or replaces) a PIN hash and clears its counter.
    fn put_pin(&mut self, card_id: CardId, kind: CertKind, hash: &str) -> Result<()>;
    /// Certificates whose notAfter lies in `[from, to]`, by serial.
    fn certificates_expiring(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<CertificateRecord>>;
    /// A number that changes whenever a certificate is added or revoked, by this or
    /// any other process. One query.
    fn revision(&self) -> Result<u64>;
    /// The change signal: bumped after every commit that changes [`Store::revision`],
    /// by this or any other process. One memory read (PostgreSQL: one query, the
    /// stored revision itself, since no memory is shared across machines).
    fn changes(&self) -> ChangeCounter;
}
