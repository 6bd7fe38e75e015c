//! Revocation causes applied to a card's certificates (domain.md §4).

use super::request::RevokeRequest;
use super::views::{CertStatus, RevocationReport, RevokedView, UnchangedView};
use super::virtual_clock::MOVE_THE_CLOCK;
use super::{bad, rfc3339, Authority};
use crate::error::{Error, Result};
use crate::rules::{Carrier, Cause, CrlReason, Platform, Serial};
use crate::store::{CardId, CertificateRecord, NewCertificate, NewEvent};
use time::OffsetDateTime;

impl Authority {
    /// Applies a revocation cause to a card's current certificates (domain.md §4).
    pub fn revoke(&mut self, id: CardId, request: &RevokeRequest) -> Result<RevocationReport> {
        let now = self.now();
        self.card_record(id)?;
        let cause = request.cause;
        let targets = cause
            .targets(request.certs.as_deref())
            .map_err(|e| bad("certs", e))?;
        let at = request.at.unwrap_or(now);
        if at > now {
            return Err(bad(
                "at",
                format!("{} is in the future (now is {})", rfc3339(at), rfc3339(now)),
            ));
        }
        let reason = self.config.reasons.reason(cause);
        // Another process may revoke the same certificates between our look and our
        // write; the write then fails whole, and a second look sees them revoked.
        let mut attempts = 0;
        let (revoked, unchanged) = loop {
            attempts += 1;
            // The certificates may sit on the cards this one replaced (a phone's).
            let mut revokes: Vec<(CardId, Serial)> = Vec::new();
            let mut revoked = Vec::new();
            let mut unchanged = Vec::new();
            let reached = self.reached_certificates(id, cause, request.platform)?;
            if let (Some(platform), true) = (request.platform, reached.is_empty()) {
                return Err(Error::Refused(format!(
                    "card {id} has no {platform} phone certificates (issue them with phone issue)"
                )));
            }
            for record in reached {
                let c = &record.certificate;
                if !targets.contains(&c.kind) {
                    continue;
                }
                match CertStatus::of(&record, at) {
                    CertStatus::Good => {
                        if at < c.not_before {
                            return Err(self.before_issuance(request.at.is_some(), at, c));
                        }
                        revokes.push((record.card_id, c.serial));
                        revoked.push(RevokedView {
                            serial: c.serial.0,
                            kind: c.kind,
                            reason,
                            revoked_at: rfc3339(at),
                        });
                    }
                    status => unchanged.push(UnchangedView {
                        serial: c.serial.0,
                        kind: c.kind,
                        status: status.state(),
                    }),
                }
            }
            let events: Vec<NewEvent> = self.events_by_card(&revokes, cause, at, reason);
            match self.record_events(&events) {
                Ok(()) => break (revoked, unchanged),
                Err(Error::ConcurrentChange(_)) if attempts < 3 => continue,
                Err(e) => return Err(e),
            }
        };
        let message = if revoked.is_empty() {
            format!(
                "{}: nothing to revoke on card {id}; the targeted certificates are already revoked or expired",
                cause.as_str()
            )
        } else {
            format!(
                "{}: revoked {} certificate(s) of card {id}",
                cause.as_str(),
                revoked.len()
            )
        };
        Ok(RevocationReport {
            card_id: id,
            cause,
            revoked,
            unchanged,
            message,
        })
    }
}

impl Authority {
    /// The certificates a cause applied to a card reaches: the card's current ones,
    /// and the current set of each phone it reaches (of `platform` only, when given).
    fn reached_certificates(
        &self,
        id: CardId,
        cause: Cause,
        platform: Option<Platform>,
    ) -> Result<Vec<CertificateRecord>> {
        let mut reached = Vec::new();
        if cause.reaches(Carrier::Card) {
            reached.extend(self.current_certificates(id)?);
        }
        for phone in Platform::ALL {
            if cause.reaches(Carrier::Phone(phone)) && platform.is_none_or(|p| p == phone) {
                reached.extend(self.current_phone_set(id, phone)?);
            }
        }
        Ok(reached)
    }

    /// One event per card whose certificates are revoked, in card order.
    pub(super) fn events_by_card(
        &self,
        revokes: &[(CardId, Serial)],
        cause: Cause,
        at: OffsetDateTime,
        reason: CrlReason,
    ) -> Vec<NewEvent> {
        let mut events: Vec<NewEvent> = Vec::new();
        for &(card_id, serial) in revokes {
            match events.iter_mut().find(|e| e.card_id == card_id) {
                Some(event) => event.revokes.push((serial, reason)),
                None => events.push(NewEvent {
                    card_id,
                    cause,
                    at,
                    recorded_at: self.now(),
                    revokes: vec![(serial, reason)],
                }),
            }
        }
        events.sort_by_key(|e| e.card_id);
        events
    }

    /// Records events in one transaction.
    pub(super) fn record_events(&mut self, events: &[NewEvent]) -> Result<()> {
        match events {
            [] => Ok(()),
            [one] => self.store.record_event(one).map(drop),
            several => {
                self.store.begin_batch()?;
                let recorded = several
                    .iter()
                    .try_for_each(|e| self.store.record_event(e).map(drop));
                self.store.end_batch(recorded.is_ok())?;
                recorded
            }
        }
    }

    /// The refusal of an event dated before a certificate was issued: names `at` when
    /// the caller sent it, else the clock the event took its time from.
    fn before_issuance(&self, at_was_sent: bool, at: OffsetDateTime, c: &NewCertificate) -> Error {
        let issued = rfc3339(c.not_before);
        if at_was_sent {
            return bad(
                "at",
                format!(
                    "{} is before certificate {} was issued ({issued})",
                    rfc3339(at),
                    c.serial
                ),
            );
        }
        Error::Refused(format!(
            "the event's time is now, {} by {}, which is before certificate {} was issued \
             ({issued}); {MOVE_THE_CLOCK}",
            rfc3339(at),
            self.clock_name(),
            c.serial
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at, authority_at, bad_input, cause, holder, issue};
    use super::super::views::{CertState, RevokedView, UnchangedView};
    use super::super::RevokeRequest;
    use crate::error::Error;
    use crate::rules::{Cause, CertKind, CrlReason, Serial};
    use crate::store::CardId;

    const NOW: &str = "2021-03-15T10:00:00+09:00";

    #[test]
    fn address_change_revokes_the_signing_certificate_only_and_only_once() {
        let mut a = authority_at(NOW);
        let card = issue(&mut a, &holder("山田 太郎")).unwrap();
        let (sign, auth) = (card.sign.unwrap().serial, card.auth.unwrap().serial);

        let first = a
            .revoke(card.card_id, &cause(Cause::AddressChange))
            .unwrap();
        assert_eq!(
            first.revoked,
            [RevokedView {
                serial: sign,
                kind: CertKind::Sign,
                reason: CrlReason::AffiliationChanged,
                revoked_at: "2021-03-15T01:00:00Z".into(),
            }]
        );
        assert!(first.unchanged.is_empty());
        assert_eq!(
            a.certificate_view(Serial(auth)).unwrap().status,
            CertState::Good
        );

        let again = a
            .revoke(card.card_id, &cause(Cause::AddressChange))
            .unwrap();
        assert!(again.revoked.is_empty());
        assert_eq!(
            again.unchanged,
            [UnchangedView {
                serial: sign,
                kind: CertKind::Sign,
                status: CertState::Revoked,
            }]
        );
        assert!(
            again.message.contains("nothing to revoke"),
            "{}",
            again.message
        );
    }

    #[test]
    fn a_chosen_certificate_is_the_only_one_revoked() {
        let mut a = authority_at(NOW);
        let card = issue(&mut a, &holder("山田 太郎")).unwrap();
        let request = RevokeRequest {
            certs: Some(vec![CertKind::Auth]),
            ..cause(Cause::Stop)
        };
        let report = a.revoke(card.card_id, &request).unwrap();
        assert_eq!(report.revoked.len(), 1);
        assert_eq!(report.revoked[0].serial, card.auth.unwrap().serial);
        assert_eq!(report.revoked[0].reason, CrlReason::CessationOfOperation);
        let sign = a
            .certificate_view(Serial(card.sign.unwrap().serial))
            .unwrap();
        assert_eq!(sign.status, CertState::Good);
    }

    #[test]
    fn at_in_the_future_or_before_issuance_is_bad_input_and_revokes_nothing() {
        let mut a = authority_at(NOW);
        let card = issue(&mut a, &holder("山田 太郎")).unwrap();
        for (when, says) in [
            ("2021-03-15T10:00:01+09:00", "in the future"),
            // The certificates were issued at NOW.
            ("2021-03-15T09:59:59+09:00", "before certificate"),
        ] {
            let request = RevokeRequest {
                at: Some(at(when)),
                ..cause(Cause::Lost)
            };
            let message = bad_input(a.revoke(card.card_id, &request));
            assert!(
                message.starts_with("at: ") && message.contains(says),
                "{message}"
            );
        }
        let view = a.card_view(card.card_id).unwrap();
        assert!(view
            .certificates
            .iter()
            .all(|c| c.status == CertState::Good));
        // `at` equal to now is allowed.
        let request = RevokeRequest {
            at: Some(at(NOW)),
            ..cause(Cause::Lost)
        };
        assert_eq!(a.revoke(card.card_id, &request).unwrap().revoked.len(), 2);
    }

    #[test]
    fn an_unknown_card_is_not_found() {
        let mut a = authority_at(NOW);
        let result = a.revoke(CardId(7), &cause(Cause::Lost));
        assert!(matches!(result, Err(Error::NotFound(_))), "{result:?}");
    }
}
