//! The in-memory store: the same contract as SQLite, nothing on disk. Backs
//! `TestCa::builder().state_in_memory()` for Rust test suites that start the mock
//! in-process. Every method checks before it changes anything, so each is atomic.

use std::collections::{BTreeMap, HashMap};

use time::OffsetDateTime;

use super::*;
use crate::error::{Error, Result};

#[derive(Clone, Debug)]
struct StoredCertificate {
    card_id: CardId,
    certificate: NewCertificate,
    revocation: Option<Revocation>,
}

/// A store that lives and dies with the process.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    settings: HashMap<String, String>,
    next_serial: u32,
    changes: ChangeCounter,
    authorities: HashMap<CertKind, Vec<AuthorityRecord>>,
    crl_numbers: HashMap<(CertKind, u32, String), u64>,
    cards: BTreeMap<CardId, NewCard>,
    certificates: BTreeMap<Serial, StoredCertificate>,
    events: Vec<EventRecord>,
    pins: HashMap<(CardId, CertKind), PinRecord>,
    /// During a batch: the store as it was when the batch began.
    before_batch: Option<Box<MemoryStore>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            next_serial: FIRST_SERIAL,
            ..Self::default()
        }
    }

    fn generation_mut(&mut self, kind: CertKind, generation: u32) -> Result<&mut AuthorityRecord> {
        self.authorities
            .get_mut(&kind)
            .and_then(|g| g.iter_mut().find(|g| g.generation == generation))
            .ok_or_else(|| {
                Error::NotFound(format!("no {kind} CA generation {generation} in the state"))
            })
    }

    fn check_new_certificates(&self, certificates: &[NewCertificate]) -> Result<()> {
        for c in certificates {
            if self.certificates.contains_key(&c.serial) {
                return Err(Error::State(format!("serial {} is already used", c.serial)));
            }
        }
        Ok(())
    }

    fn check_event(&self, event: &NewEvent) -> Result<()> {
        for (serial, _) in &event.revokes {
            match self.certificates.get(serial) {
                Some(c)
                    if c.card_id == event.card_id
                        && c.revocation.is_none_or(|r| r.lifted_at.is_some()) => {}
                _ => {
                    return Err(Error::ConcurrentChange(format!(
                        "certificate {serial} of card {} is not revocable (already revoked, or not this card's)",
                        event.card_id
                    )))
                }
            }
        }
        Ok(())
    }

    fn apply_event(&mut self, event: &NewEvent) -> i64 {
        let id = self.events.len() as i64 + 1;
        for (serial, reason) in &event.revokes {
            if let Some(c) = self.certificates.get_mut(serial) {
                c.revocation = Some(Revocation {
                    at: event.at,
                    cause: event.cause,
                    reason: *reason,
                    recorded_at: event.recorded_at,
                    lifted_at: None,
                });
            }
        }
        self.events.push(EventRecord {
            id,
            event: event.clone(),
        });
        id
    }

    fn add(&mut self, card_id: CardId, certificates: &[NewCertificate]) {
        for c in certificates {
            self.certificates.insert(
                c.serial,
                StoredCertificate {
                    card_id,
                    certificate: c.clone(),
                    revocation: None,
                },
            );
        }
    }

    fn record(&self, serial: Serial, stored: &StoredCertificate) -> CertificateRecord {
        debug_assert_eq!(serial, stored.certificate.serial);
        CertificateRecord {
            card_id: stored.card_id,
            certificate: stored.certificate.clone(),
            revocation: stored.revocation,
        }
    }
}

impl Store for MemoryStore {
    fn begin_batch(&mut self) -> Result<()> {
        if self.before_batch.is_some() {
            return Err(Error::Internal("a batch is already open".into()));
        }
        self.before_batch = Some(Box::new(self.clone()));
        Ok(())
    }

    fn end_batch(&mut self, commit: bool) -> Result<()> {
        let before = self
            .before_batch
            .take()
            .ok_or_else(|| Error::Internal("no batch is open".into()))?;
        if !commit {
            *self = *before;
        }
        Ok(())
    }

    fn authorities(&self, kind: CertKind) -> Result<Vec<AuthorityRecord>> {
        Ok(self.authorities.get(&kind).cloned().unwrap_or_default())
    }

    fn put_authority(&mut self, kind: CertKind, record: &AuthorityRecord) -> Result<()> {
        let generations = self.authorities.entry(kind).or_default();
        if generations
            .iter()
            .any(|g| g.generation == record.generation)
        {
            return Err(Error::ConcurrentChange(format!(
                "{kind} CA generation {} exists already",
                record.generation
            )));
        }
        generations.push(record.clone());
        self.changes.bump();
        Ok(())
    }

    fn put_responder(
        &mut self,
        kind: CertKind,
        generation: u32,
        cert: &[u8],
        key_pem: &str,
    ) -> Result<()> {
        let record = self.generation_mut(kind, generation)?;
        record.responder_cert = cert.to_vec();
        record.responder_key_pem = key_pem.to_string();
        self.changes.bump();
        Ok(())
    }

    fn put_ca_certificate(&mut self, kind: CertKind, generation: u32, cert: &[u8]) -> Result<()> {
        self.generation_mut(kind, generation)?.ca_cert = cert.to_vec();
        self.changes.bump();
        Ok(())
    }

    fn revoke_authority(
        &mut self,
        kind: CertKind,
        generation: u32,
        revocation: CaRevocation,
    ) -> Result<()> {
        let record = self.generation_mut(kind, generation)?;
        if record.revocation.is_some() {
            return Err(Error::ConcurrentChange(format!(
                "{kind} CA generation {generation} is revoked already"
            )));
        }
        record.revocation = Some(revocation);
        self.changes.bump();
        Ok(())
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self.settings.get(key).cloned())
    }

    fn put_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.settings.insert(key.to_string(), value.to_string());
        self.changes.bump();
        Ok(())
    }

    fn allocate_serials(&mut self, count: usize) -> Result<Vec<Serial>> {
        let start = self.next_serial.max(FIRST_SERIAL);
        let end = u64::from(start) + count as u64;
        if end - 1 > u64::from(LAST_SERIAL) {
            return Err(Error::Refused(
                "the 4-byte serial counter is exhausted".into(),
            ));
        }
        self.next_serial = end as u32;
        Ok((start..end as u32).map(Serial).collect())
    }

    fn insert_card(
        &mut self,
        card: &NewCard,
        certificates: &[NewCertificate],
        pin_hashes: &[(CertKind, String)],
        event: Option<&NewEvent>,
    ) -> Result<CardId> {
        self.check_new_certificates(certificates)?;
        if let Some(event) = event {
            self.check_event(event)?;
        }
        let id = CardId(self.cards.keys().next_back().map_or(1, |last| last.0 + 1));
        self.cards.insert(id, card.clone());
        self.add(id, certificates);
        for (kind, hash) in pin_hashes {
            self.pins.insert(
                (id, *kind),
                PinRecord {
                    hash: hash.clone(),
                    failures: 0,
                },
            );
        }
        if let Some(event) = event {
            self.apply_event(event);
        }
        self.changes.bump();
        Ok(id)
    }

    fn add_certificates(
        &mut self,
        card_id: CardId,
        certificates: &[NewCertificate],
        event: Option<&NewEvent>,
    ) -> Result<()> {
        if !self.cards.contains_key(&card_id) {
            return Err(Error::NotFound(format!("no card {card_id}")));
        }
        self.check_new_certificates(certificates)?;
        if let Some(event) = event {
            self.check_event(event)?;
        }
        self.add(card_id, certificates);
        if let Some(event) = event {
            self.apply_event(event);
        }
        self.changes.bump();
        Ok(())
    }

    fn record_event(&mut self, event: &NewEvent) -> Result<i64> {
        if !self.cards.contains_key(&event.card_id) {
            return Err(Error::NotFound(format!("no card {}", event.card_id)));
        }
        self.check_event(event)?;
        let id = self.apply_event(event);
        self.changes.bump();
        Ok(id)
    }

    fn lift_holds(&mut self, serials: &[Serial], lifted_at: OffsetDateTime) -> Result<()> {
        for serial in serials {
            let held = self
                .certificates
                .get(serial)
                .and_then(|c| c.revocation)
                .is_some_and(|r| r.lifted_at.is_none());
            if !held {
                return Err(Error::ConcurrentChange(format!(
                    "certificate {serial} is not held (not revoked, or its hold was lifted)"
                )));
            }
        }
        for serial in serials {
            if let Some(r) = self
                .certificates
                .get_mut(serial)
                .and_then(|c| c.revocation.as_mut())
            {
                r.lifted_at = Some(lifted_at);
            }
        }
        self.changes.bump();
        Ok(())
    }

    fn put_holder(&mut self, card_id: CardId, holder: &HolderRecord) -> Result<()> {
        let card = self
            .cards
            .get_mut(&card_id)
            .ok_or_else(|| Error::NotFound(format!("no card {card_id}")))?;
        card.holder = holder.clone();
        self.changes.bump();
        Ok(())
    }

    fn card(&self, id: CardId) -> Result<Option<CardRecord>> {
        Ok(self.cards.get(&id).map(|card| CardRecord {
            id,
            card: card.clone(),
            replaced_by: self
                .cards
                .iter()
                .find(|(_, c)| c.replaces == Some(id))
                .map(|(successor, _)| *successor),
        }))
    }

    fn cards(&self) -> Result<Vec<CardRecord>> {
        self.cards
            .keys()
            .map(|id| Ok(self.card(*id)?.expect("listed cards exist")))
            .collect()
    }

    fn card_certificates(&self, id: CardId) -> Result<Vec<CertificateRecord>> {
        Ok(self
            .certificates
            .iter()
            .filter(|(_, c)| c.card_id == id)
            .map(|(serial, c)| self.record(*serial, c))
            .collect())
    }

    fn card_events(&self, id: CardId) -> Result<Vec<EventRecord>> {
        Ok(self
            .events
            .iter()
            .filter(|e| e.event.card_id == id)
            .cloned()
            .collect())
    }

    fn certificate(&self, serial: Serial) -> Result<Option<CertificateRecord>> {
        Ok(self
            .certificates
            .get(&serial)
            .map(|c| self.record(serial, c)))
    }

    fn status(&self, serial: Serial) -> Result<Option<StatusRecord>> {
        Ok(self.certificates.get(&serial).map(|c| StatusRecord {
            kind: c.certificate.kind,
            generation: c.certificate.generation,
            not_after: c.certificate.not_after,
            revocation: c.revocation,
        }))
    }

    fn for_each_revoked(
        &self,
        query: &RevokedQuery<'_>,
        each: &mut dyn FnMut(RevokedEntry),
    ) -> Result<()> {
        for (serial, c) in &self.certificates {
            let Some(r) = c.revocation else { continue };
            let certificate = &c.certificate;
            if certificate.kind == query.kind
                && certificate.generation == query.generation
                && query.locality.is_none_or(|l| *l == certificate.locality)
                && certificate.not_after >= query.unexpired_at
                && r.in_force(query.recorded_before)
            {
                each(RevokedEntry {
                    serial: *serial,
                    at: r.at,
                    reason: r.reason,
                });
            }
        }
        Ok(())
    }

    fn localities(&self, kind: CertKind, generation: u32) -> Result<Vec<Locality>> {
        let mut localities: Vec<Locality> = self
            .certificates
            .values()
            .map(|c| &c.certificate)
            .filter(|c| c.kind == kind && c.generation == generation)
            .map(|c| c.locality.clone())
            .collect();
        localities.sort_by(|a, b| {
            (&a.prefecture, &a.municipality).cmp(&(&b.prefecture, &b.municipality))
        });
        localities.dedup();
        Ok(localities)
    }

    fn names_locality(&self, kind: CertKind, generation: u32, locality: &Locality) -> Result<bool> {
        Ok(self.certificates.values().any(|c| {
            let c = &c.certificate;
            c.kind == kind && c.generation == generation && c.locality == *locality
        }))
    }

    fn next_crl_number(&mut self, kind: CertKind, generation: u32, scope: &str) -> Result<u64> {
        self.generation_mut(kind, generation)?;
        let number = self
            .crl_numbers
            .entry((kind, generation, scope.to_string()))
            .or_default();
        *number += 1;
        Ok(*number)
    }

    fn pin(&self, card_id: CardId, kind: CertKind) -> Result<Option<PinRecord>> {
        Ok(self.pins.get(&(card_id, kind)).cloned())
    }

    fn set_pin_failures(&mut self, card_id: CardId, kind: CertKind, failures: u32) -> Result<()> {
        if let Some(pin) = self.pins.get_mut(&(card_id, kind)) {
            pin.failures = failures;
        }
        Ok(())
    }

    fn put_pin(&mut self, card_id: CardId, kind: CertKind, hash: &str) -> Result<()> {
        self.pins.insert(
            (card_id, kind),
            PinRecord {
                hash: hash.to_string(),
                failures: 0,
            },
        );
        Ok(())
    }

    fn certificates_expiring(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<CertificateRecord>> {
        Ok(self
            .certificates
            .iter()
            .filter(|(_, c)| (from..=to).contains(&c.certificate.not_after))
            .map(|(serial, c)| self.record(*serial, c))
            .collect())
    }

    fn revision(&self) -> Result<u64> {
        self.changes.load()
    }

    fn changes(&self) -> ChangeCounter {
        self.changes.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::super::contract;
    use super::MemoryStore;

    #[test]
    fn holds_are_lifted_and_phones_and_holders_are_kept() {
        contract::holds_are_lifted_and_phones_and_holders_are_kept(&mut MemoryStore::new());
    }
}
