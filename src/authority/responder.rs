//! What the OCSP responder needs from the state: which CA a CertID names, a
//! certificate's status, and the (delegated) responder certificate that signs.

use std::sync::Arc;

use time::OffsetDateTime;

use super::crl::PublishedData;
use super::{responder_certificate, Authority};
use crate::error::Result;
use crate::issuer::Issuer;
use crate::pki::cert::{self, LeafParams};
use crate::pki::keys::KeyPair;
use crate::pki::ocsp::{OcspStatus, RequestedCert};
use crate::rules::{CertKind, Serial};

impl Authority {
    /// Which CA generation issued one of our certificates, if we issued it.
    pub fn issuer_of(&self, serial: Serial) -> Result<Option<(CertKind, u32)>> {
        Ok(self
            .store
            .status(serial)?
            .map(|record| (record.kind, record.generation)))
    }

    /// The CA generation whose name and key hashes a CertID carries, if any: the
    /// generations of a CA share the name hash, so the key hash decides.
    pub fn ca_of_cert_id(&self, requested: &RequestedCert) -> Option<(CertKind, u32)> {
        CertKind::ALL.into_iter().find_map(|kind| {
            self.generations(kind)
                .iter()
                .find(|g| g.hashes.matches(requested))
                .map(|g| (kind, g.number))
        })
    }

    /// A certificate's OCSP status as published at the clock's now: revoked (at any
    /// time: the hold on a lost card is never released), good (expired certificates
    /// too: they were not revoked, and a revocation not yet published), or unknown if
    /// this CA generation did not issue it.
    pub fn ocsp_status(
        &self,
        kind: CertKind,
        generation: u32,
        serial: Option<Serial>,
    ) -> Result<OcspStatus> {
        let Some(serial) = serial else {
            return Ok(OcspStatus::Unknown);
        };
        let cutoff = self.published(PublishedData::Ocsp).map(|p| p.cutoff);
        match self.store.status(serial)? {
            Some(record) if record.kind == kind && record.generation == generation => {
                Ok(match record.revocation {
                    Some(r) if r.in_force(cutoff) => OcspStatus::Revoked {
                        at: r.at,
                        reason: r.reason,
                    },
                    _ => OcspStatus::Good,
                })
            }
            Some(_) => Ok(OcspStatus::Unknown),
            None => {
                let pair = self.generation(kind, generation)?;
                let ours = [pair.ca.certificate(), pair.responder.certificate()]
                    .iter()
                    .any(|c| cert::serial_of(&c.tbs_certificate.serial_number) == Some(serial));
                Ok(if ours {
                    OcspStatus::Good
                } else {
                    OcspStatus::Unknown
                })
            }
        }
    }

    /// The responder that signs for a CA generation at `now`, re-issued (same key, new
    /// serial) when `now` is outside its validity or less than a third of it is left,
    /// as long as the CA itself is valid then.
    pub fn responder(
        &mut self,
        kind: CertKind,
        generation: u32,
        now: OffsetDateTime,
    ) -> Result<Arc<Issuer>> {
        let ca = self.generation(kind, generation)?;
        let current = ca.responder.clone();
        let validity = &current.certificate().tbs_certificate.validity;
        let not_before = crate::pki::time::instant_of(&validity.not_before);
        let not_after = crate::pki::time::instant_of(&validity.not_after);
        let renew_at = not_after - (not_after - not_before) / 3;
        if (now >= not_before && now < renew_at) || !ca.valid_at(now) {
            return Ok(current);
        }
        // Near the CA's own end the responder is capped by it: renew it once only.
        if now >= not_before && not_after == ca.not_after() {
            return Ok(current);
        }
        let key = KeyPair::from_pkcs8_der(current.key().pkcs8_der())?;
        let serial = self.store.allocate_serials(1)?[0];
        let der = responder_certificate(
            &self.config,
            self.base_url()?,
            kind,
            &self.generation(kind, generation)?.ca,
            serial,
            &key,
            now,
        )?;
        self.store
            .put_responder(kind, generation, &der, &key.to_pkcs8_pem())?;
        tracing::info!(%kind, generation, %serial, "re-issued the OCSP responder certificate");
        let responder = Arc::new(Issuer::new(der, key)?);
        self.generation_mut(kind, generation).responder = responder.clone();
        Ok(responder)
    }

    /// A responder certificate that is wrong on purpose, for fault injection: without
    /// the OCSPSigning EKU, or expired a month ago. Made on first use with its own key
    /// and kept in memory only.
    pub fn faulty_responder(
        &mut self,
        kind: CertKind,
        generation: u32,
        variant: FaultyResponder,
    ) -> Result<Arc<Issuer>> {
        let now = self.now();
        if let Some(found) = self.faulty_responders.get(&(kind, generation, variant)) {
            return Ok(found.clone());
        }
        let label = match generation {
            1 => format!("faulty-responder-{kind}-{variant:?}"),
            n => format!("faulty-responder-{kind}-{n}-{variant:?}"),
        };
        let key = self.new_key(self.config.profile.key_alg, &label)?;
        let serial = self.store.allocate_serials(1)?[0];
        let (not_before, not_after, ocsp_signing) = match variant {
            FaultyResponder::WithoutOcspSigning => (
                now - time::Duration::hours(1),
                now + time::Duration::days(30),
                false,
            ),
            FaultyResponder::Expired => (
                now - time::Duration::days(60),
                now - time::Duration::days(30),
                true,
            ),
        };
        let tbs = cert::responder_tbs(
            &self.profile()?,
            kind,
            self.generation(kind, generation)?.ca.certificate(),
            LeafParams {
                serial,
                not_before,
                not_after,
                spki_der: key.spki_der(),
            },
            ocsp_signing,
        )?;
        let der = self.generation(kind, generation)?.ca.sign_tbs(&tbs)?;
        let issuer = Arc::new(Issuer::new(der, key)?);
        self.faulty_responders
            .insert((kind, generation, variant), issuer.clone());
        Ok(issuer)
    }
}

/// The wrong responders fault injection signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultyResponder {
    /// No id-kp-OCSPSigning.
    WithoutOcspSigning,
    /// Past its notAfter.
    Expired,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use time::Duration;

    use super::super::tests::{at, authority_at, cause, holder, issue};
    use super::super::Authority;
    use crate::pki::cert::serial_of;
    use crate::pki::ocsp::OcspStatus;
    use crate::rules::{Cause, CertKind, CrlReason, Serial};

    const NOW: &str = "2021-03-15T10:00:00+09:00";

    /// The serial of a CA's current responder certificate.
    fn serial(a: &Authority, kind: CertKind) -> Serial {
        let responder = &a.ca(kind).responder;
        serial_of(&responder.certificate().tbs_certificate.serial_number).unwrap()
    }

    #[test]
    fn ocsp_status_is_good_revoked_or_unknown() {
        let mut a = authority_at(NOW);
        let card = issue(&mut a, &holder("山田 太郎")).unwrap();
        let sign = Serial(card.sign.unwrap().serial);
        let auth = Serial(card.auth.unwrap().serial);
        assert_eq!(
            a.ocsp_status(CertKind::Sign, 1, Some(sign)).unwrap(),
            OcspStatus::Good
        );
        a.revoke(card.card_id, &cause(Cause::Lost)).unwrap();
        assert_eq!(
            a.ocsp_status(CertKind::Sign, 1, Some(sign)).unwrap(),
            OcspStatus::Revoked {
                at: at(NOW),
                reason: CrlReason::CertificateHold
            }
        );
        for (kind, serial) in [
            (CertKind::Sign, Some(Serial(0x7000_0000))),
            (CertKind::Sign, Some(auth)),
            (CertKind::Auth, Some(sign)),
            (CertKind::Auth, None),
        ] {
            let status = a.ocsp_status(kind, 1, serial).unwrap();
            assert_eq!(status, OcspStatus::Unknown, "{kind} {serial:?}");
        }
        // The CA's own responder certificate is ours, and good.
        let responder = Some(serial(&a, CertKind::Auth));
        let status = a.ocsp_status(CertKind::Auth, 1, responder).unwrap();
        assert_eq!(status, OcspStatus::Good);
    }

    #[test]
    fn certificate_kind_names_the_issuing_ca() {
        let mut a = authority_at(NOW);
        let card = issue(&mut a, &holder("山田 太郎")).unwrap();
        let kind = |s: u32| a.issuer_of(Serial(s)).unwrap().map(|(kind, _)| kind);
        let (sign, auth) = (card.sign.unwrap().serial, card.auth.unwrap().serial);
        assert_eq!(kind(sign), Some(CertKind::Sign));
        assert_eq!(kind(auth), Some(CertKind::Auth));
        assert_eq!(kind(0x7000_0000), None);
    }

    #[test]
    fn the_responder_is_reissued_with_its_key_when_two_thirds_have_passed() {
        let mut a = authority_at(NOW);
        let first = a.ca(CertKind::Sign).responder.clone();
        let auth = a.ca(CertKind::Auth).responder.clone();
        let first_serial = serial(&a, CertKind::Sign);
        // Made at NOW: valid from NOW − 1 h for 30 days + 1 h (2,595,600 s); a third
        // (865,200 s) is left from NOW + 1,726,800 s = 2021-04-04T00:40:00Z.
        let renew_at = at("2021-04-04T00:40:00Z");
        assert_eq!(renew_at - at(NOW), Duration::seconds(1_726_800));
        for now in [
            at(NOW) - Duration::hours(1),
            renew_at - Duration::seconds(1),
        ] {
            let same = a.responder(CertKind::Sign, 1, now).unwrap();
            assert!(Arc::ptr_eq(&same, &first), "{now}");
        }
        let renewed = a.responder(CertKind::Sign, 1, renew_at).unwrap();
        assert_ne!(renewed.certificate_der(), first.certificate_der());
        assert_ne!(serial(&a, CertKind::Sign), first_serial);
        let (old, new) = (first.certificate(), renewed.certificate());
        assert_eq!(
            new.tbs_certificate.subject_public_key_info,
            old.tbs_certificate.subject_public_key_info
        );
        let not_before = crate::pki::time::instant_of(&new.tbs_certificate.validity.not_before);
        assert_eq!(not_before, renew_at - Duration::hours(1));
        // Kept: the state holds it, and the next call returns it.
        let stored = a.store().authorities(CertKind::Sign).unwrap().remove(0);
        assert_eq!(stored.responder_cert, renewed.certificate_der());
        let again = a.responder(CertKind::Sign, 1, renew_at).unwrap();
        assert!(Arc::ptr_eq(&again, &renewed));
        // The other CA's responder is untouched.
        assert!(Arc::ptr_eq(&a.ca(CertKind::Auth).responder, &auth));
    }

    #[test]
    fn a_clock_before_the_responder_s_not_before_reissues_it() {
        let mut a = authority_at(NOW);
        let first_serial = serial(&a, CertKind::Auth);
        let earlier = at(NOW) - Duration::hours(1) - Duration::seconds(1);
        let renewed = a.responder(CertKind::Auth, 1, earlier).unwrap();
        assert_ne!(serial(&a, CertKind::Auth), first_serial);
        let validity = &renewed.certificate().tbs_certificate.validity;
        let not_before = crate::pki::time::instant_of(&validity.not_before);
        assert_eq!(not_before, earlier - Duration::hours(1));
    }
}
