//! Renewal inside the window and card reissue: new certificates, the old ones revoked
//! in the same transaction.

use super::issue::CertOrder;
use super::views::{CertStatus, IssuedCard, RevokedView};
use super::{bad, holder_facts, rfc3339, Authority, REISSUE_FEE_YEN};
use crate::error::{Error, Result};
use crate::rules::{jst, Cause, CertKind, CrlReason, HolderName, Issuance, Serial};
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
            self.config
                .validity
                .check_renewal(expiry, today)
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
        let order = CertOrder {
            card: &card.card,
            facts: &facts,
            kinds: &kinds,
            current_auth_expiry,
            phone: None,
            ends: &[],
        };
        let certificates = self.build_card_certificates(order, Issuance::Renewal, now)?;
        let reason = self.config.reasons.reason(Cause::Superseded);
        let event = NewEvent {
            card_id: id,
            cause: Cause::Superseded,
            at: now,
            recorded_at: now,
            revokes: old.iter().map(|&s| (s, reason)).collect(),
        };
        self.store
            .add_certificates(id, &certificates, Some(&event))?;
        let revoked = self.revoked_views(&event, &current);
        let mut renewed = card.card.clone();
        renewed.fee_yen = 0;
        self.issued_card(id, &renewed, &certificates, revoked)
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
        let order = CertOrder {
            card: &card,
            facts: &facts,
            kinds: &kinds,
            current_auth_expiry: None,
            phone: None,
            ends: &[],
        };
        let certificates = self.build_card_certificates(order, Issuance::New, now)?;
        let event = NewEvent {
            card_id: id,
            cause: Cause::CardInvalidated,
            at: now,
            recorded_at: now,
            revokes,
        };
        let event_ref = (!event.revokes.is_empty()).then_some(&event);
        let new_id = self
            .store
            .insert_card(&card, &certificates, &[], event_ref)?;
        let revoked = self.revoked_views(&event, &current);
        self.issued_card(new_id, &card, &certificates, revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at, authority_at, authority_on_clock, cause, holder, issue};
    use crate::clock::Clock;
    use crate::error::Error;
    use crate::rules::{Cause, CertKind, CrlReason, Serial};
    use crate::store::CardId;

    const NOW: &str = "2021-03-15T10:00:00+09:00";

    fn refusal<T: std::fmt::Debug>(result: crate::Result<T>) -> String {
        match result {
            Err(Error::Refused(message)) => message,
            other => panic!("expected Refused, got {other:?}"),
        }
    }

    #[test]
    fn renewal_is_refused_outside_the_window_and_supersedes_inside_it() {
        let mut a = authority_on_clock(NOW);
        let card = issue(&mut a, &holder("山田 太郎")).unwrap();
        let old = [card.sign.unwrap().serial, card.auth.unwrap().serial];
        // Both expire 2025-10-01: the window is 2025-07-02 ..= 2025-10-01 (JST).
        for (when, says) in [
            (NOW, "opens on 2025-07-02"),
            ("2025-07-01T23:59:59+09:00", "opens on 2025-07-02"),
            ("2025-10-02T00:00:00+09:00", "expired on 2025-10-01"),
        ] {
            a.set_clock(Clock::Fixed { now: at(when) }).unwrap();
            let message = refusal(a.renew(card.card_id, None));
            assert!(message.contains(says), "{when}: {message}");
        }
        assert_eq!(a.store().card_certificates(card.card_id).unwrap().len(), 2);

        a.set_clock(Clock::Fixed {
            now: at("2025-08-01T10:00:00+09:00"),
        })
        .unwrap();
        let renewed = a.renew(card.card_id, None).unwrap();
        assert_eq!((renewed.card_id, renewed.fee_yen), (card.card_id, 0));
        for new in [renewed.sign.unwrap(), renewed.auth.unwrap()] {
            assert!(!old.contains(&new.serial));
            assert_eq!(new.not_before, "2025-08-01T01:00:00Z");
            // The 6th birthday counted from 2025-08-01, the old expiry 2025-10-01 being
            // the first: 2030-10-01, the card's expiry too (the 5th is 2029-10-01).
            assert_eq!(new.not_after, "2030-10-01T14:59:59Z");
        }
        let revoked: Vec<_> = renewed.revoked.iter().map(|r| r.serial).collect();
        assert_eq!(revoked, old);
        for r in &renewed.revoked {
            assert_eq!(r.reason, CrlReason::Superseded);
            assert_eq!(r.revoked_at, "2025-08-01T01:00:00Z");
        }
        let view = a.certificate_view(Serial(old[0])).unwrap();
        assert_eq!(view.cause, Some(Cause::Superseded));
    }

    #[test]
    fn a_replaced_card_cannot_be_renewed() {
        let mut a = authority_at(NOW);
        let card = issue(&mut a, &holder("山田 太郎")).unwrap();
        a.reissue(card.card_id).unwrap();
        let message = refusal(a.renew(card.card_id, Some(&[CertKind::Auth])));
        assert!(message.contains("replaced by card 2"), "{message}");
    }

    #[test]
    fn reissue_costs_200_yen_and_invalidates_the_good_certificates_once() {
        let mut a = authority_at(NOW);
        let card = issue(&mut a, &holder("山田 太郎")).unwrap();
        let (sign, auth) = (card.sign.unwrap().serial, card.auth.unwrap().serial);
        a.revoke(card.card_id, &cause(Cause::AddressChange))
            .unwrap();

        let new = a.reissue(card.card_id).unwrap();
        assert_eq!((new.card_id, new.fee_yen), (CardId(2), 200));
        assert_eq!(new.card_expiry, "2030-10-01");
        // Only the auth certificate was still good; the revoked one keeps its reason.
        assert_eq!(new.revoked.len(), 1);
        assert_eq!(new.revoked[0].serial, auth);
        assert_eq!(new.revoked[0].reason, CrlReason::CessationOfOperation);
        assert_eq!(new.revoked[0].revoked_at, "2021-03-15T01:00:00Z");
        let old_auth = a.certificate_view(Serial(auth)).unwrap();
        assert_eq!(old_auth.cause, Some(Cause::CardInvalidated));
        let old_sign = a.certificate_view(Serial(sign)).unwrap();
        assert_eq!(old_sign.reason, Some(CrlReason::AffiliationChanged));
        // The same kinds, new serials; no PIN until pin-reset.
        let serials = [new.sign.unwrap().serial, new.auth.unwrap().serial];
        assert!(!serials.contains(&sign) && !serials.contains(&auth));
        assert!(a
            .store()
            .pin(new.card_id, CertKind::Auth)
            .unwrap()
            .is_none());
        assert_eq!(
            a.card_view(card.card_id).unwrap().replaced_by,
            Some(CardId(2))
        );
        assert_eq!(a.card_view(CardId(2)).unwrap().replaces, Some(card.card_id));

        let message = refusal(a.reissue(card.card_id));
        assert!(message.contains("already replaced by card 2"), "{message}");
        assert_eq!(a.store().cards().unwrap().len(), 2);
    }
}
