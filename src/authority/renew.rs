//! Renewal inside the window and card reissue: new certificates, the old ones revoked
//! in the same transaction.

use super::views::{CertStatus, IssuedCard, RevokedView};
use super::{bad, holder_facts, rfc3339, Authority, REISSUE_FEE_YEN};
use crate::error::{Error, Result};
use crate::rules::{jst, renewal, Cause, CertKind, CrlReason, HolderName, Serial};
use crate::store::{CardId, CertificateRecord, NewCard, NewEvent};

impl Authority {
    /// Renews certificates inside their window (domain.md §3): new keys, new
    /// certificates, the old ones revoked as superseded at the same instant.
    pub fn renew(&mut self, id: CardId, chosen: Option<&[CertKind]>) -> Result<IssuedCard> {
        let now = self.now();
        let today = jst::date_of(now);
        let card = self.card_record(id)?;
        if let Some(successor) = card.replaced_by {
            return Err(Error::Refused(format!(
                "card {id} was replaced by card {successor}; renew that one"
            )));
        }
        let current = self.current_certificates(id)?;
        let kinds: Vec<CertKind> = match chosen {
            Some([]) => return Err(bad("certs", "name at least one of sign, auth")),
            Some(list) => {
                let mut kinds = list.to_vec();
                kinds.sort();
                kinds.dedup();
                kinds
            }
            None => current
                .iter()
                .filter(|c| c.revocation.is_none())
                .map(|c| c.certificate.kind)
                .collect(),
        };
        if kinds.is_empty() {
            return Err(Error::Refused(format!(
                "card {id} has no unrevoked certificate to renew"
            )));
        }
        let mut old = Vec::new();
        for kind in &kinds {
            let record = current
                .iter()
                .find(|c| c.certificate.kind == *kind)
                .ok_or_else(|| Error::Refused(format!("card {id} has no {kind} certificate")))?;
            if let Some(r) = record.revocation {
                return Err(Error::Refused(format!(
                    "the {kind} certificate {} was revoked ({}) and cannot be renewed",
                    record.certificate.serial,
                    r.cause.as_str()
                )));
            }
            let expiry = jst::date_of(record.certificate.not_after);
            renewal::check_renewal(expiry, today)
                .map_err(|refusal| Error::Refused(format!("{kind} certificate: {refusal}")))?;
            old.push(record.certificate.serial);
        }
        let current_auth_expiry = current
            .iter()
            .find(|c| c.certificate.kind == CertKind::Auth)
            .filter(|c| CertStatus::of(c, now) == CertStatus::Good)
            .map(|c| jst::date_of(c.certificate.not_after));
        let name = HolderName::parse(&card.card.holder.name).map_err(|e| bad("name", e))?;
        let facts = holder_facts(&name, &card.card.holder);
        let (certificates, keys) =
            self.build_certificates(&card.card, &facts, &kinds, current_auth_expiry, now)?;
        let reason = self.config.reasons.reason(Cause::Superseded);
        let event = NewEvent {
            card_id: id,
            cause: Cause::Superseded,
            at: now,
            revokes: old.iter().map(|&s| (s, reason)).collect(),
        };
        self.store
            .add_certificates(id, &certificates, Some(&event))?;
        let revoked = self.revoked_views(&event, &current);
        let mut renewed = card.card.clone();
        renewed.fee_yen = 0;
        self.issued_card(id, &renewed, &certificates, &keys, revoked)
    }

    fn revoked_views(&self, event: &NewEvent, records: &[CertificateRecord]) -> Vec<RevokedView> {
        event
            .revokes
            .iter()
            .filter_map(|&(serial, reason)| {
                records
                    .iter()
                    .find(|r| r.certificate.serial == serial)
                    .map(|r| RevokedView {
                        serial: serial.0,
                        kind: r.certificate.kind,
                        reason,
                        revoked_at: rfc3339(event.at),
                    })
            })
            .collect()
    }

    /// Card reissue (再交付): the old card's good certificates are revoked
    /// (`card_invalidated`) and a new card gets new certificates of the same kinds, for
    /// a fee of 200 yen.
    pub fn reissue(&mut self, id: CardId) -> Result<IssuedCard> {
        let now = self.now();
        let today = jst::date_of(now);
        let old = self.card_record(id)?;
        if let Some(successor) = old.replaced_by {
            return Err(Error::Refused(format!(
                "card {id} was already replaced by card {successor}"
            )));
        }
        let current = self.current_certificates(id)?;
        let mut kinds: Vec<CertKind> = current.iter().map(|c| c.certificate.kind).collect();
        if kinds.is_empty() {
            kinds.push(CertKind::Auth);
        }
        let reason = self.config.reasons.reason(Cause::CardInvalidated);
        let revokes: Vec<(Serial, CrlReason)> = current
            .iter()
            .filter(|c| CertStatus::of(c, now) == CertStatus::Good)
            .map(|c| (c.certificate.serial, reason))
            .collect();
        let holder = old.card.holder.clone();
        let card = NewCard {
            expiry: self.config.validity.card_expiry(holder.birth, today),
            holder,
            issued_on: today,
            key_alg: old.card.key_alg,
            replaces: Some(id),
            fee_yen: REISSUE_FEE_YEN,
            created_at: now,
        };
        let name = HolderName::parse(&card.holder.name).map_err(|e| bad("name", e))?;
        let facts = holder_facts(&name, &card.holder);
        let (certificates, keys) = self.build_certificates(&card, &facts, &kinds, None, now)?;
        let event = NewEvent {
            card_id: id,
            cause: Cause::CardInvalidated,
            at: now,
            revokes,
        };
        let event_ref = (!event.revokes.is_empty()).then_some(&event);
        let new_id = self
            .store
            .insert_card(&card, &certificates, &[], event_ref)?;
        let revoked = self.revoked_views(&event, &current);
        self.issued_card(new_id, &card, &certificates, &keys, revoked)
    }
}
